"""The indicator catalogue (domain.md sections 1-2): one declaration per indicator.

Each :class:`Indicator` declares its name, Chinese and English labels, the formula in words,
the canonical columns it reads, *how it is computed* (:class:`Count`, :class:`Ratio` or
:class:`Estimate` over the quantities below), its good direction, its maturity rule and the
reasonable range where one is published. Everything else is derived from this list:

* the engine (:mod:`courtstudy.indicators.engine`) computes exactly the per-case facts, sums,
  stocks and survival figures the declarations name, and flags each figure by its maturity rule;
* the documentation table (``docs/indicators.md``, written by :func:`catalogue_markdown`; a test
  keeps it equal to the catalogue);
* the tests' list of indicators (every declared indicator must have a hand-computed value in
  ``tests/test_indicators.py``).

**Adding an indicator** is one :class:`Indicator` entry in :data:`INDICATORS` (with a new
:class:`Fact` when it counts closed cases by a rule no existing fact states) plus its
hand-computed value in the fixture test.

Quantities the engine knows:

* stocks per group and period (domain.md section 1): ``filed``, ``carried_over``, ``caseload``,
  ``closed``, ``pending``, ``carried_over_closed`` (carried-over cases closed in P),
  ``pending_days`` (days in P x pending), ``judges`` (courts table), and
  :class:`PendingOver` (pending at the end for more than X calendar months);
* :class:`ClosedCount` (cases closed in P for which a :class:`Fact` holds) and
  :class:`ClosedSum` (sum of ``dur`` or ``trial`` days over cases closed in P);
* :class:`ClosedMedian` (median duration of cases closed in P) and :class:`Survival` (Kaplan-
  Meier median or RMST of the cohort *filed* in P, pending cases censored at as_of).

Conventions we chose where domain.md is silent (also in ``docs/assumptions.md``):

* Everything is computed as known at the as-of date: a closing after ``as_of`` is treated as
  pending, an appeal filed or decided after ``as_of`` as unknown, cases filed after ``as_of`` as
  not yet filed. A past period's figures therefore do not change when the export is newer.
* Missing ``extension_days`` / ``suspended_days`` count as 0; missing ``appealed`` /
  ``retrial_petition`` count as "no".
* ``within_limit_rate`` counts only closed cases to which a statutory limit applies
  (courtstudy.core.limits has a row for their procedure, instance and filing date).
* ``per_judge_closed`` is reported only when the grouping contains ``court`` (or is the whole
  data): the judges of the court (sum over courts) in the year of the period's end.
* Maturity rules (:data:`MATURITY_RULES`): a figure that the passing of time will still change
  is flagged ``immature`` and never compared (:mod:`courtstudy.indicators.compare`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from courtstudy.core import categories, text

#: Appeal information settles this many days after closing (domain.md "Maturity").
MATURITY_DAYS = 30
#: Appeal outcomes are mature when at most this share of the period's appeals is undecided
#: (and no closing is under MATURITY_DAYS old). Undecided appeals are left out of the reversal
#: count, so the rate can only be understated, by at most undecided appeals / closed: at 2% of
#: appeals and an 8% appeal rate, 0.16 percentage points. On the synthetic court (168 period x
#: as-of comparisons, tests/test_indicators_maturity.py) a 10% threshold let 7 year-on-year
#: directions differ from the settled ones, 5% let 3, 2% none; requiring every appeal decided
#: would withhold only a few more comparisons there, but real appeals have a long tail (extended
#: second-instance limits) that would block the figure for a year.
MAX_UNDECIDED_SHARE = 0.02


# -- per-case facts ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Fact:
    """A 0/1 fact about each case, as known at as_of. ``where`` builds it from the engine's
    per-case view (:class:`courtstudy.indicators.engine.CaseView`: ``closed``, ``cd``, ``fd``,
    ``deadline``, ``extension``, ``appealed``, ``decided``, ``retrial``, ``as_of``,
    ``one_of(column, codes)``)."""

    name: str
    doc: str
    inputs: tuple[str, ...]
    where: Callable[[Any], Any] = field(compare=False, repr=False)


IS_CLOSED = Fact("is_closed", "closed on or before as_of", ("closed_date",),
                 lambda c: c.closed)
HAS_LIMIT = Fact("has_limit", "closed, with a statutory limit (core.limits)",
                 ("procedure", "instance", "case_type", "filed_date"),
                 lambda c: c.closed & c.deadline.notnull())
WITHIN_LIMIT = Fact("within", "closed on or before its statutory deadline",
                    ("procedure", "instance", "case_type", "filed_date", "closed_date",
                     "extension_days", "suspended_days"),
                    lambda c: c.closed & c.deadline.notnull() & (c.cd <= c.deadline))
EXTENDED = Fact("extended", "closed with extension_days > 0", ("extension_days",),
                lambda c: c.closed & (c.extension > 0))
MEDIATION = Fact("mediation", "closed by mediation", ("disposition",),
                 lambda c: c.closed & c.one_of("disposition", categories.MEDIATION))
MEDIATION_WITHDRAWAL = Fact("med_wd", "closed by mediation or withdrawal", ("disposition",),
                            lambda c: c.closed
                            & c.one_of("disposition", categories.MEDIATION_WITHDRAWAL))
FIRST_INSTANCE_CIVIL = Fact("fic", "first-instance civil case, closed", ("case_type", "instance"),
                            lambda c: c.closed
                            & c.one_of("instance", {categories.FIRST_INSTANCE})
                            & c.one_of("case_type", {categories.CIVIL}))
SIMPLIFIED = Fact("simp", "first-instance civil, closed under simplified or small claims",
                  ("case_type", "instance", "procedure"),
                  lambda c: FIRST_INSTANCE_CIVIL.where(c)
                  & c.one_of("procedure", categories.SIMPLIFIED_PROCEDURES))
SMALL_CLAIMS = Fact("sc", "first-instance civil, closed under small claims",
                    ("case_type", "instance", "procedure"),
                    lambda c: FIRST_INSTANCE_CIVIL.where(c)
                    & c.one_of("procedure", categories.SMALL_CLAIMS))
APPEALED = Fact("appealed", "closed and appealed (appeal filed on or before as_of)",
                ("appealed", "appeal_filed_date"), lambda c: c.appealed)
ACCEPTED = Fact("accepted", "closed, neither appealed nor a retrial petition",
                ("appealed", "appeal_filed_date", "retrial_petition"),
                lambda c: c.closed & ~c.appealed & ~c.retrial)
REVERSAL_REMAND = Fact("revrem", "appeal decided by as_of: modified or remanded",
                       ("appeal_result", "appeal_closed_date"),
                       lambda c: c.decided & c.one_of("appeal_result", categories.REVERSAL_REMAND))
DECIDED = Fact("decided", "appeal decided on or before as_of", ("appeal_result", "appeal_closed_date"),
               lambda c: c.decided)
UNDECIDED = Fact("undecided", "appealed, no second-instance result at as_of",
                 ("appeal_result", "appeal_closed_date"), lambda c: c.appealed & ~c.decided)
MATURE = Fact("mature", f"closed at least {MATURITY_DAYS} days before as_of", ("closed_date",),
              lambda c: c.closed & (c.cd <= c.as_of - MATURITY_DAYS))


# -- quantities and statistics -----------------------------------------------------------------
#: Stocks and flows the engine computes for every group and period.
STOCKS: tuple[str, ...] = ("filed", "carried_over", "caseload", "closed", "pending",
                           "carried_over_closed", "pending_days", "judges")


@dataclass(frozen=True)
class ClosedCount:
    """Cases closed in P for which ``fact`` holds."""

    fact: Fact

    @property
    def name(self) -> str:
        return f"closed:{self.fact.name}"


@dataclass(frozen=True)
class ClosedSum:
    """Sum over cases closed in P of ``dur`` (closed - filed, days) or ``trial`` (dur -
    suspended_days)."""

    column: str

    @property
    def name(self) -> str:
        return f"sum:{self.column}"


@dataclass(frozen=True)
class ClosedMedian:
    """Median of ``dur`` over cases closed in P."""

    column: str = "dur"

    @property
    def name(self) -> str:
        return f"median:{self.column}"


@dataclass(frozen=True)
class PendingOver:
    """Cases pending at the end of P that were filed more than ``months`` calendar months
    before it (filed + months < end, core.calendar)."""

    months: int

    @property
    def name(self) -> str:
        return f"pending_over:{self.months}"


@dataclass(frozen=True)
class Survival:
    """Kaplan-Meier ``median`` or ``rmst`` (to the query's horizon) of the cohort filed in P,
    pending cases censored at as_of (core.survival)."""

    statistic: str

    @property
    def name(self) -> str:
        return f"km:{self.statistic}"


Quantity = str | ClosedCount | ClosedSum | ClosedMedian | PendingOver | Survival


def quantity_name(q: Quantity) -> str:
    return q if isinstance(q, str) else q.name


@dataclass(frozen=True)
class Count:
    """value = numerator = the quantity; no denominator."""

    quantity: Quantity


@dataclass(frozen=True)
class Ratio:
    """value = numerator / denominator (missing when the denominator is 0)."""

    numerator: Quantity
    denominator: Quantity


@dataclass(frozen=True)
class Estimate:
    """value = a statistic (a median, an RMST); denominator = the cases it rests on."""

    quantity: Quantity
    basis: Quantity


Statistic = Count | Ratio | Estimate

#: Maturity rules: name -> (zh, en) of what makes a figure immature.
MATURITY_RULES: dict[str, tuple[str, str]] = {
    "appeal_window": (f"本期有结案不足{MATURITY_DAYS}天的案件，上诉尚未确定",
                      f"some closings are less than {MATURITY_DAYS} days old: appeals not yet known"),
    "appeal_decisions": (f"上诉未决超过{MAX_UNDECIDED_SHARE:.0%}或有结案不足{MATURITY_DAYS}天",
                         f"over {MAX_UNDECIDED_SHARE:.0%} of appeals undecided, or closings under "
                         f"{MATURITY_DAYS} days old"),
    "follow_up": ("立案案件的观察期不足以支持该数值（观察期短于所需天数）",
                  "the cohort has not been followed long enough for this figure"),
}


@dataclass(frozen=True)
class IndicatorIdentity:
    """What every indicator of every catalogue states (this one and the first diversion's,
    :mod:`courtstudy.indicators.diversion`): its name, its labels, its formula in words, the
    good direction (``"up"``, ``"down"`` or None) and its kind (count, rate, days, ratio)."""

    name: str
    label_zh: str
    label_en: str
    formula: str
    better: str | None
    kind: str  # "count", "rate", "days", "ratio"

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Indicator(IndicatorIdentity):
    """One indicator: name, labels, formula, inputs, how it is computed, good direction,
    maturity rule and reasonable range."""

    value: Statistic
    inputs: tuple[str, ...] = ()
    maturity: str | None = None
    #: SPC 合理区间 (low, high) where one is published, with its source.
    reasonable_range: tuple[float | None, float | None] | None = None
    range_source: str = ""

    @property
    def appeal_based(self) -> bool:
        return self.maturity in ("appeal_window", "appeal_decisions")

    def quantities(self) -> tuple[Quantity, ...]:
        v = self.value
        if isinstance(v, Count):
            return (v.quantity,)
        if isinstance(v, Ratio):
            return (v.numerator, v.denominator)
        return (v.quantity, v.basis)


_CLOSED = ("closed_date",)
_FILED = ("filed_date",)

INDICATORS: tuple[Indicator, ...] = (
    Indicator("filed", "新收", "Filed", "cases with filed_date in P", None, "count",
              Count("filed"), _FILED),
    Indicator("carried_over", "旧存", "Carried over",
              "filed_date < start and (closed_date empty or closed_date >= start)", None, "count",
              Count("carried_over"), _FILED + _CLOSED),
    Indicator("caseload", "受理", "Caseload", "carried_over + filed", None, "count",
              Count("caseload"), _FILED + _CLOSED),
    Indicator("closed", "结案", "Closed", "cases with closed_date in P", "up", "count",
              Count("closed"), _CLOSED),
    Indicator("pending", "未结", "Pending",
              "filed_date <= end and (closed_date empty or closed_date > end) = caseload - closed",
              "down", "count", Count("pending"), _FILED + _CLOSED),
    Indicator("disposition_rate", "结案率", "Disposition rate", "closed / caseload", "up", "rate",
              Ratio("closed", "caseload"), _FILED + _CLOSED),
    Indicator("clearance_rate", "结收比", "Clearance rate", "closed / filed", "up", "ratio",
              Ratio("closed", "filed"), _FILED + _CLOSED),
    Indicator("disposition_time", "结案周期（天）", "Disposition time (days)",
              "days_in_P * pending / closed", "down", "days",
              Ratio("pending_days", "closed"), _FILED + _CLOSED),
    Indicator("mean_days", "平均审理天数", "Mean duration (days)",
              "mean of duration_days = closed_date - filed_date over cases closed in P",
              "down", "days", Ratio(ClosedSum("dur"), "closed"), _FILED + _CLOSED),
    Indicator("mean_trial_days", "平均审理天数（审限口径）", "Mean trial days (statutory clock)",
              "mean of trial_days = duration_days - suspended_days over cases closed in P",
              "down", "days", Ratio(ClosedSum("trial"), "closed"),
              _FILED + _CLOSED + ("suspended_days",)),
    Indicator("median_days", "审理天数中位数", "Median duration (days)",
              "median of duration_days over cases closed in P", "down", "days",
              Estimate(ClosedMedian("dur"), "closed"), _FILED + _CLOSED),
    Indicator("km_median_days", "生存分析中位审理天数", "Kaplan-Meier median duration (days)",
              "Kaplan-Meier median time to closing of the cases filed in P, pending cases censored "
              "at as_of (first closing time with S(t) < 0.5, as statsmodels and SAS); immature "
              "when the median exceeds the days every case of the cohort has been followed",
              "down", "days", Estimate(Survival("median"), "filed"), _FILED + _CLOSED,
              maturity="follow_up"),
    Indicator("rmst_days", "限制平均审理天数", "Restricted mean duration (days)",
              "area under the Kaplan-Meier curve of the cases filed in P from 0 to the horizon "
              "(default 365 days), pending cases censored at as_of; immature when the horizon "
              "exceeds the days every case of the cohort has been followed (as_of - end of P)",
              "down", "days", Estimate(Survival("rmst"), "filed"), _FILED + _CLOSED,
              maturity="follow_up"),
    Indicator("within_limit_rate", "法定审限内结案率", "Closed within statutory limit",
              "closed with closed_date <= filed_date + limit months (calendar) + extension_days "
              "+ suspended_days / closed cases with a statutory limit", "up", "rate",
              Ratio(ClosedCount(WITHIN_LIMIT), ClosedCount(HAS_LIMIT)), WITHIN_LIMIT.inputs),
    Indicator("extension_rate", "延长审限率", "Extension rate",
              "closed with extension_days > 0 / closed", "down", "rate",
              Ratio(ClosedCount(EXTENDED), "closed"), _CLOSED + EXTENDED.inputs),
    Indicator("mediation_rate", "调解率", "Mediation rate",
              "closed by mediation / closed", "up", "rate",
              Ratio(ClosedCount(MEDIATION), "closed"), _CLOSED + MEDIATION.inputs),
    Indicator("mediation_withdrawal_rate", "调撤率", "Mediation and withdrawal rate",
              "closed by mediation or withdrawal / closed", "up", "rate",
              Ratio(ClosedCount(MEDIATION_WITHDRAWAL), "closed"),
              _CLOSED + MEDIATION_WITHDRAWAL.inputs),
    Indicator("simplified_rate", "简易程序适用率", "Simplified procedure rate",
              "first-instance civil closed under simplified or small-claims procedure / "
              "first-instance civil closed", "up", "rate",
              Ratio(ClosedCount(SIMPLIFIED), ClosedCount(FIRST_INSTANCE_CIVIL)),
              _CLOSED + SIMPLIFIED.inputs),
    Indicator("small_claims_rate", "小额诉讼程序适用率", "Small-claims procedure rate",
              "first-instance civil closed under small claims / first-instance civil closed",
              "up", "rate", Ratio(ClosedCount(SMALL_CLAIMS), ClosedCount(FIRST_INSTANCE_CIVIL)),
              _CLOSED + SMALL_CLAIMS.inputs),
    Indicator("appeal_rate", "上诉率", "Appeal rate",
              "closed cases appealed (known at as_of) / closed", "down", "rate",
              Ratio(ClosedCount(APPEALED), "closed"), _CLOSED + APPEALED.inputs,
              maturity="appeal_window"),
    Indicator("acceptance_rate", "服判息诉率", "Acceptance rate",
              "closed cases with neither appeal nor retrial petition / closed", "up", "rate",
              Ratio(ClosedCount(ACCEPTED), "closed"), _CLOSED + ACCEPTED.inputs,
              maturity="appeal_window"),
    Indicator("reversal_remand_rate", "发改率", "Reversal and remand rate",
              "closed cases whose appeal_result is modified or remanded / closed; immature while "
              f"more than {MAX_UNDECIDED_SHARE:.0%} of the period's appeals are undecided",
              "down", "rate", Ratio(ClosedCount(REVERSAL_REMAND), "closed"),
              _CLOSED + APPEALED.inputs + REVERSAL_REMAND.inputs, maturity="appeal_decisions"),
    Indicator("reversal_remand_share_of_appeals", "二审改发比", "Reversed or remanded share of appeals",
              "modified or remanded / appeals decided (known at as_of); immature while more than "
              f"{MAX_UNDECIDED_SHARE:.0%} of the period's appeals are undecided", "down", "rate",
              Ratio(ClosedCount(REVERSAL_REMAND), ClosedCount(DECIDED)),
              _CLOSED + APPEALED.inputs + REVERSAL_REMAND.inputs, maturity="appeal_decisions"),
    Indicator("appeals_undecided_share", "上诉未决比", "Appeals still undecided",
              "appeals of cases closed in P without a second-instance result at as_of / appeals",
              None, "rate", Ratio(ClosedCount(UNDECIDED), ClosedCount(APPEALED)),
              _CLOSED + APPEALED.inputs + UNDECIDED.inputs, maturity="appeal_window"),
    Indicator("mature_closed", "成熟结案数", "Mature closings",
              f"cases closed in P at least {MATURITY_DAYS} days before as_of (appeal information "
              "settled)", None, "count", Count(ClosedCount(MATURE)), _CLOSED),
    Indicator("per_judge_closed", "人均结案数", "Closed per judge",
              "closed / judges (courts table, year of the period's end; nothing pro-rated)",
              "up", "ratio", Ratio("closed", "judges"), _CLOSED + ("court",)),
    Indicator("pending_over_12m", "超12个月未结案件数", "Pending over 12 months",
              "pending at end with filed_date + 12 calendar months < end", "down", "count",
              Count(PendingOver(12)), _FILED + _CLOSED),
    Indicator("pending_over_12m_share", "超12个月未结案件比", "Share pending over 12 months",
              "pending_over_12m / pending", "down", "rate",
              Ratio(PendingOver(12), "pending"), _FILED + _CLOSED),
    Indicator("pending_over_18m", "长期未结（18个月）", "Pending over 18 months",
              "pending at end with filed_date + 18 calendar months < end", "down", "count",
              Count(PendingOver(18)), _FILED + _CLOSED),
    Indicator("pending_over_36m", "长期未结（36个月）", "Pending over 36 months",
              "pending at end with filed_date + 36 calendar months < end", "down", "count",
              Count(PendingOver(36)), _FILED + _CLOSED),
    Indicator("carryover_clearance", "旧存案件清理率", "Carry-over clearance",
              "carried_over cases closed in P / carried_over", "up", "rate",
              Ratio("carried_over_closed", "carried_over"), _FILED + _CLOSED),
)

BY_NAME: dict[str, Indicator] = {i.name: i for i in INDICATORS}
INDICATOR_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)
APPEAL_BASED: frozenset[str] = frozenset(i.name for i in INDICATORS if i.appeal_based)
#: Facts the maturity rules read (besides those the indicators count).
MATURITY_FACTS: tuple[Fact, ...] = (MATURE, APPEALED, UNDECIDED)


def facts(indicators: tuple[Indicator, ...] = INDICATORS) -> tuple[Fact, ...]:
    """Every per-case fact the indicators and the maturity rules need, each once, in order."""
    out: dict[str, Fact] = {IS_CLOSED.name: IS_CLOSED}
    for ind in indicators:
        for q in ind.quantities():
            if isinstance(q, ClosedCount):
                out.setdefault(q.fact.name, q.fact)
    for fact in MATURITY_FACTS:
        out.setdefault(fact.name, fact)
    return tuple(out.values())


def pending_ages(indicators: tuple[Indicator, ...] = INDICATORS) -> tuple[int, ...]:
    """The pending ages (months) the indicators count, ascending."""
    return tuple(sorted({q.months for i in indicators for q in i.quantities()
                         if isinstance(q, PendingOver)}))


def _check_catalogue() -> None:
    """Catch declaration mistakes at import: unknown stocks, rules, directions, kinds."""
    for ind in INDICATORS:
        for q in ind.quantities():
            if isinstance(q, str) and q not in STOCKS:
                raise ValueError(f"indicator {ind.name}: unknown quantity {q!r}")
            if isinstance(q, ClosedSum) and q.column not in ("dur", "trial"):
                raise ValueError(f"indicator {ind.name}: cannot sum {q.column!r}")
            if isinstance(q, Survival) and q.statistic not in ("median", "rmst"):
                raise ValueError(f"indicator {ind.name}: unknown survival statistic")
        if ind.maturity is not None and ind.maturity not in MATURITY_RULES:
            raise ValueError(f"indicator {ind.name}: unknown maturity rule {ind.maturity!r}")
        if ind.better not in (None, "up", "down") or ind.kind not in ("count", "rate", "days",
                                                                      "ratio"):
            raise ValueError(f"indicator {ind.name}: bad better/kind")
    if len(BY_NAME) != len(INDICATORS):
        raise ValueError("two indicators share a name")


_check_catalogue()

#: Grouping columns the engine accepts (their labels are the canonical fields', core.schema).
GROUP_COLUMNS: tuple[str, ...] = ("court", "team", "team_type", "track", "procedure", "cause",
                                  "judge", "case_type", "instance", "disposition")


def column_label(name: str, lang: str = "zh") -> str:
    """Display label of an indicator, a group column or a shared column (the name when unknown)."""
    if name in BY_NAME:
        return BY_NAME[name].label(lang)
    return text.column_label(name, lang)


def catalogue(lang: str = "zh") -> pd.DataFrame:
    """The catalogue as a table: name, label (zh or en), formula, better, kind, appeal_based,
    maturity (the rule in words, ``lang``), inputs, reasonable_range."""
    def rng(i: Indicator) -> str:
        if i.reasonable_range is None:
            return ""
        low, high = i.reasonable_range
        return f"{'' if low is None else low}-{'' if high is None else high}"

    return pd.DataFrame({
        "name": [i.name for i in INDICATORS],
        "label": [i.label(lang) for i in INDICATORS],
        "formula": [i.formula for i in INDICATORS],
        "better": pd.array([i.better for i in INDICATORS], dtype="string"),
        "kind": [i.kind for i in INDICATORS],
        "appeal_based": [i.appeal_based for i in INDICATORS],
        "maturity": [text.pick(*MATURITY_RULES[i.maturity], lang) if i.maturity else ""
                     for i in INDICATORS],
        "inputs": [", ".join(dict.fromkeys(i.inputs)) for i in INDICATORS],
        "reasonable_range": [rng(i) for i in INDICATORS],
    })


def catalogue_markdown() -> str:
    """``docs/indicators.md``: this catalogue and the first diversion's, as Markdown tables
    (:func:`courtstudy.indicators.registry.catalogue_markdown`, the one catalogue users see)."""
    from courtstudy.indicators import registry

    return registry.catalogue_markdown()


def write_catalogue_doc(path=None) -> None:
    """Write :func:`catalogue_markdown` to ``docs/indicators.md`` of the checkout (or ``path``)."""
    from courtstudy.indicators import registry

    registry.write_catalogue_doc(path)
