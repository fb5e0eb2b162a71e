"""The indicator catalogue (domain.md sections 1-2): name, labels, formula, better direction.

Each :class:`Indicator` states its formula; :func:`catalogue` returns the catalogue as a table
(for the documentation and for reports). ``better`` is ``"up"``, ``"down"`` or ``None`` (counts
whose change is neither good nor bad); :mod:`courtstudy.indicators.compare` uses it.

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
* Survival indicators (``km_median_days``, ``rmst_days``) describe the cohort *filed* in the
  period; everything else describes cases closed in, or pending at the end of, the period.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Indicator:
    """One indicator: canonical name, Chinese and English labels, formula, better direction."""

    name: str
    label_zh: str
    label_en: str
    formula: str
    better: str | None
    kind: str  # "count", "rate", "days", "ratio"
    appeal_based: bool = False

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en


INDICATORS: tuple[Indicator, ...] = (
    Indicator("filed", "新收", "Filed", "cases with filed_date in P", None, "count"),
    Indicator("carried_over", "旧存", "Carried over",
              "filed_date < start and (closed_date empty or closed_date >= start)", None, "count"),
    Indicator("caseload", "受理", "Caseload", "carried_over + filed", None, "count"),
    Indicator("closed", "结案", "Closed", "cases with closed_date in P", "up", "count"),
    Indicator("pending", "未结", "Pending",
              "filed_date <= end and (closed_date empty or closed_date > end) = caseload - closed",
              "down", "count"),
    Indicator("disposition_rate", "结案率", "Disposition rate", "closed / caseload", "up", "rate"),
    Indicator("clearance_rate", "结收比", "Clearance rate", "closed / filed", "up", "ratio"),
    Indicator("disposition_time", "结案周期（天）", "Disposition time (days)",
              "days_in_P * pending / closed", "down", "days"),
    Indicator("mean_days", "平均审理天数", "Mean duration (days)",
              "mean of duration_days = closed_date - filed_date over cases closed in P",
              "down", "days"),
    Indicator("mean_trial_days", "平均审理天数（审限口径）", "Mean trial days (statutory clock)",
              "mean of trial_days = duration_days - suspended_days over cases closed in P",
              "down", "days"),
    Indicator("median_days", "审理天数中位数", "Median duration (days)",
              "median of duration_days over cases closed in P", "down", "days"),
    Indicator("km_median_days", "生存分析中位审理天数", "Kaplan-Meier median duration (days)",
              "Kaplan-Meier median time to closing of the cases filed in P, pending cases censored "
              "at as_of (first event time with S(t) < 0.5, as SAS and statsmodels)",
              "down", "days"),
    Indicator("rmst_days", "限制平均审理天数", "Restricted mean duration (days)",
              "area under the Kaplan-Meier curve of the cases filed in P from 0 to the horizon "
              "(default 365 days), pending cases censored at as_of", "down", "days"),
    Indicator("within_limit_rate", "法定审限内结案率", "Closed within statutory limit",
              "closed with closed_date <= filed_date + limit months (calendar) + extension_days "
              "+ suspended_days / closed cases with a statutory limit", "up", "rate"),
    Indicator("extension_rate", "延长审限率", "Extension rate",
              "closed with extension_days > 0 / closed", "down", "rate"),
    Indicator("mediation_rate", "调解率", "Mediation rate",
              "closed by mediation / closed", "up", "rate"),
    Indicator("mediation_withdrawal_rate", "调撤率", "Mediation and withdrawal rate",
              "closed by mediation or withdrawal / closed", "up", "rate"),
    Indicator("simplified_rate", "简易程序适用率", "Simplified procedure rate",
              "first-instance civil closed under simplified or small-claims procedure / "
              "first-instance civil closed", "up", "rate"),
    Indicator("small_claims_rate", "小额诉讼程序适用率", "Small-claims procedure rate",
              "first-instance civil closed under small claims / first-instance civil closed",
              "up", "rate"),
    Indicator("appeal_rate", "上诉率", "Appeal rate",
              "closed cases appealed (known at as_of) / closed", "down", "rate", True),
    Indicator("acceptance_rate", "服判息诉率", "Acceptance rate",
              "closed cases with neither appeal nor retrial petition / closed", "up", "rate", True),
    Indicator("reversal_remand_rate", "发改率", "Reversal and remand rate",
              "closed cases whose appeal_result is modified or remanded / closed",
              "down", "rate", True),
    Indicator("reversal_remand_share_of_appeals", "二审改发比", "Reversed or remanded share of appeals",
              "modified or remanded / appeals decided (known at as_of)", "down", "rate", True),
    Indicator("appeals_undecided_share", "上诉未决比", "Appeals still undecided",
              "appeals of cases closed in P without a second-instance result at as_of / appeals",
              None, "rate", True),
    Indicator("mature_closed", "成熟结案数", "Mature closings",
              "cases closed in P at least 30 days before as_of (appeal information settled)",
              None, "count", True),
    Indicator("per_judge_closed", "人均结案数", "Closed per judge",
              "closed / judges (courts table, year of the period's end; nothing pro-rated)",
              "up", "ratio"),
    Indicator("pending_over_12m", "超12个月未结案件数", "Pending over 12 months",
              "pending at end with filed_date + 12 calendar months < end", "down", "count"),
    Indicator("pending_over_12m_share", "超12个月未结案件比", "Share pending over 12 months",
              "pending_over_12m / pending", "down", "rate"),
    Indicator("pending_over_18m", "长期未结（18个月）", "Pending over 18 months",
              "pending at end with filed_date + 18 calendar months < end", "down", "count"),
    Indicator("pending_over_36m", "长期未结（36个月）", "Pending over 36 months",
              "pending at end with filed_date + 36 calendar months < end", "down", "count"),
    Indicator("carryover_clearance", "旧存案件清理率", "Carry-over clearance",
              "carried_over cases closed in P / carried_over", "up", "rate"),
)

BY_NAME: dict[str, Indicator] = {i.name: i for i in INDICATORS}
INDICATOR_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)
APPEAL_BASED: frozenset[str] = frozenset(i.name for i in INDICATORS if i.appeal_based)

#: Grouping columns the engine accepts, with their labels.
GROUP_COLUMNS: tuple[str, ...] = ("court", "team", "team_type", "track", "procedure", "cause",
                                  "judge", "case_type", "instance", "disposition")
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "court": ("法院", "Court"), "team": ("承办团队", "Team"), "team_type": ("团队类型", "Team type"),
    "track": ("繁简分流", "Track"), "procedure": ("审理程序", "Procedure"), "cause": ("案由", "Cause"),
    "judge": ("承办法官", "Judge"), "case_type": ("案件类型", "Case type"),
    "instance": ("审级", "Instance"), "disposition": ("结案方式", "Disposition"),
    "period": ("期间", "Period"), "immature": ("上诉指标未成熟", "Appeal figures immature"),
    "incomplete": ("期间未满", "Period not over at as-of date"),
}


def column_label(name: str, lang: str = "zh") -> str:
    """Display label of an indicator or a group column (the name itself when unknown)."""
    if name in BY_NAME:
        return BY_NAME[name].label(lang)
    if name in GROUP_LABELS:
        return GROUP_LABELS[name][0 if lang == "zh" else 1]
    return name


def catalogue(lang: str = "zh") -> pd.DataFrame:
    """The catalogue as a table: name, label (zh or en), formula, better, kind, appeal_based."""
    return pd.DataFrame({
        "name": [i.name for i in INDICATORS],
        "label": [i.label(lang) for i in INDICATORS],
        "formula": [i.formula for i in INDICATORS],
        "better": pd.array([i.better for i in INDICATORS], dtype="string"),
        "kind": [i.kind for i in INDICATORS],
        "appeal_based": [i.appeal_based for i in INDICATORS],
    })
