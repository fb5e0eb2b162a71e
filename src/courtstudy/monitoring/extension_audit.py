"""Irregular extensions and deductions of time limits (延长、扣除审限异常).

:func:`audit_extensions` applies five case rules, each flag carrying the rule that fired and the
case's numbers, and two group checks.

Case rules (deadlines by :func:`courtstudy.core.limits.deadlines`; the *base deadline* is the
statutory months alone; the maximum extension is the limits table's ``max_extension_months``,
matched like the limit itself, counted as 31 days a month because exports record days):

* ``extension_not_allowed``: ``extension_days > 0`` where the table allows no extension
  (simplified and small-claims cases filed before 2022);
* ``extension_over_maximum``: ``extension_days`` over the maximum (simplified and small claims
  from 2022: one month; for ordinary cases, beyond six months, which needs the upper court's
  approval: the flag asks for it to be on file);
* ``deduction_exceeds_duration``: ``suspended_days >= duration`` (closed) or ``>= days since
  filing`` (pending): no trial day left, an impossible record;
* ``rescued_by_adjustment``: closed after the base deadline but within the adjusted one, in its
  last ``last_days`` days: the extension or deduction moved an overdue case to just within the
  limit. Each flag carries ``chance``, the probability of closing that close to the deadline
  under the court's unadjusted cases (see the bunching test);
* ``late_conversion``: a conversion from simplified to ordinary procedure (from a conversions
  table: the export does not carry them) dated within the last ``conversion_days`` days of the
  simplified limit, or after it expired.

Group checks:

* **bunching** (per court): among cases whose adjustment was decisive, are closings clustered
  in the last ``last_days`` days before the adjusted deadline more than the court's other
  cases cluster before theirs? For each such case with ``m = min(adjustment, window)`` days
  of possible slack, the chance of a slack under ``last_days`` is ``F(last_days) / F(m)``, with
  ``F`` the distribution of days-to-deadline of the court's unadjusted closings within their
  limit. Observed against expected count, ``z = (O - E) / sqrt(sum e (1 - e))``, one-sided
  normal p-value; ``excess = O - E`` estimates the dressed-up cases;
* **funnels** (:mod:`courtstudy.monitoring.funnel`): the extension rate, the deduction rate and
  the rescue rate of each judge or team against the rest of its court, standardised by
  procedure class, filing year and cause; flagged above the 99.8% limit. Never a ranking.

A flag is a lead for review, not a finding: legitimate cases trip these rules too (the
precision measured on the synthetic court's planted irregularities says how often).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from courtstudy.core import limits
from courtstudy.core.periods import Period, parse_period
from courtstudy.core.text import COLUMN_LABELS, pick
from courtstudy.monitoring.caseflow import CASE_CLASSES, case_classes
from courtstudy.monitoring.deadlines import base_deadlines, max_extension_months
from courtstudy.monitoring.funnel import Funnel, funnel

RULES: tuple[str, ...] = ("extension_not_allowed", "extension_over_maximum",
                          "deduction_exceeds_duration", "rescued_by_adjustment", "late_conversion")
RULE_LABELS: dict[str, tuple[str, str]] = {
    "extension_not_allowed": ("不允许延长却延长", "Extension where none is allowed"),
    "extension_over_maximum": ("延长超过法定上限", "Extension beyond the legal maximum"),
    "deduction_exceeds_duration": ("扣除天数不少于审理天数", "Deduction as long as the case"),
    "rescued_by_adjustment": ("延长/扣除使超限案件刚好不超限", "Adjustment moved an overdue case just within the limit"),
    "late_conversion": ("简易程序临近届满转普通程序", "Late conversion from simplified to ordinary"),
}
MEASURES: dict[str, tuple[str, str]] = {
    "extension": ("延长审限率", "Extension rate"),
    "deduction": ("扣除审限率", "Deduction rate"),
    "rescue": ("延长/扣除挽救超限率", "Rescue rate"),
}
#: Days before the adjusted deadline that count as "just within".
LAST_DAYS = 5
#: Days of slack the bunching test looks at.
WINDOW_DAYS = 30
#: Days before the end of the simplified limit within which a conversion is late.
CONVERSION_DAYS = 10
#: Columns of the flag list.
FLAG_COLUMNS: tuple[str, ...] = (
    "case_id", "court", "team", "judge", "procedure", "filed_date", "closed_date", "rule",
    "base_deadline", "deadline", "extension_days", "suspended_days", "duration_days",
    "days_before_deadline", "chance", "converted_date", "detail_zh", "detail_en")


@dataclass
class ExtensionAudit:
    """What :func:`audit_extensions` returns: ``flags`` (one row per case and rule fired, the
    columns of :data:`FLAG_COLUMNS`), ``counts`` (flags per court and rule, with the court's
    closed cases), ``bunching`` (per court), ``funnels`` (measure -> :class:`Funnel` by judge
    and by team), ``checked`` (cases examined per rule, and rules not checked with the reason),
    ``cases`` (the examined cases with their derived columns)."""

    flags: pd.DataFrame
    counts: pd.DataFrame
    bunching: pd.DataFrame
    funnels: dict[str, dict[str, Funnel]]
    checked: dict[str, str]
    cases: pd.DataFrame = field(repr=False)

    def flagged_groups(self, level: str = "judge") -> pd.DataFrame:
        """Judges (or teams) above the 99.8% limit of any measure: ``court``, the group,
        ``measure``, ``cases``, ``observed``, ``expected``, ``ratio``."""
        rows = []
        for measure, by_level in self.funnels.items():
            if level not in by_level:
                continue
            t = by_level[level].table
            hit = t[t["above99.8"]]
            rows.append(hit[[*by_level[level].by, "cases", "observed", "expected", "ratio"]]
                        .assign(measure=measure))
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _detail(rule: str, row: pd.Series) -> tuple[str, str]:
    ext, susp = int(row["extension_days"]), int(row["suspended_days"])
    if rule == "extension_not_allowed":
        return (f"{row['filed_date']:%Y-%m-%d} 立案的{row['procedure_zh']}案件依法不得延长，却记录延长 {ext} 天",
                f"filed {row['filed_date']:%Y-%m-%d} under {row['procedure']}: no extension allowed, {ext} days recorded")
    if rule == "extension_over_maximum":
        cap = int(row["allowed_extension_days"])
        if row["procedure"] == "ordinary":
            return (f"延长 {ext} 天，超过院长可批准的 {cap} 天：须有上级法院批准",
                    f"extended {ext} days, beyond the {cap} a president may approve: the upper court's approval must be on file")
        return (f"延长 {ext} 天，超过法定上限 {cap} 天", f"extended {ext} days, beyond the legal maximum of {cap}")
    if rule == "deduction_exceeds_duration":
        dropped = pd.notna(row.get("recorded_suspended_days"))
        return (f"扣除 {susp} 天，而案件自立案起仅 {int(row['elapsed_days'])} 天"
                + ("（读取时已按缺失处理）" if dropped else ""),
                f"{susp} days deducted from a case {int(row['elapsed_days'])} days old"
                + (" (dropped by the loader as impossible)" if dropped else ""))
    if rule == "rescued_by_adjustment":
        over = int(row["days_past_base"])
        return (f"按法定期限超限 {over} 天；延长 {ext} 天、扣除 {susp} 天后，于届满前 {int(row['days_before_deadline'])} 天结案",
                f"{over} days past the statutory limit; with {ext} days extended and {susp} deducted, "
                f"closed {int(row['days_before_deadline'])} days before the adjusted deadline")
    days = int(row["conversion_days_left"])
    when_zh = f"简易程序期限届满前 {days} 天" if days >= 0 else f"简易程序期限届满后 {-days} 天"
    when_en = f"{days} days before the simplified limit ran out" if days >= 0 else f"{-days} days after the simplified limit ran out"
    return (f"{row['converted_date']:%Y-%m-%d} 转为普通程序（{when_zh}）",
            f"converted to ordinary procedure on {row['converted_date']:%Y-%m-%d} ({when_en})")


def _dropped_deductions(field_issues: pd.DataFrame | None) -> pd.Series | None:
    """case_id -> the deducted days the loader dropped as longer than the case."""
    if field_issues is None or not len(field_issues) or "reason" not in field_issues:
        return None
    rows = field_issues[field_issues["reason"] == "suspended_exceeds_duration"]
    values = pd.to_numeric(rows["value"], errors="coerce")
    out = pd.Series(values.to_numpy(), index=rows["case_id"].astype(str).to_numpy()).dropna()
    return out[~out.index.duplicated()]


def _prepare(cases: pd.DataFrame, as_of: pd.Timestamp, table: pd.DataFrame | None) -> pd.DataFrame:
    from courtstudy.core import schema

    out = cases.copy()
    out["extension_days"] = pd.to_numeric(out["extension_days"], errors="coerce").fillna(0).astype("int64")
    out["suspended_days"] = pd.to_numeric(out["suspended_days"], errors="coerce").fillna(0).astype("int64")
    out["deadline"] = limits.deadlines(out, table)
    out["base_deadline"] = base_deadlines(out, table)
    out["max_extension_months"] = max_extension_months(out, table)
    out["allowed_extension_days"] = out["max_extension_months"] * 31
    closed = out["closed_date"]
    end = closed.where(closed.notna(), as_of)
    out["elapsed_days"] = (end - out["filed_date"]).dt.days
    out["duration_days"] = (closed - out["filed_date"]).dt.days.astype("Int64")
    out["days_before_deadline"] = (out["deadline"] - closed).dt.days.astype("Int64")
    out["days_past_base"] = (closed - out["base_deadline"]).dt.days.astype("Int64")
    out["procedure_zh"] = out["procedure"].map(lambda c: schema.label("procedure", c, "zh") if pd.notna(c) else "")
    klass = case_classes(out)
    out["stratum"] = (np.array(CASE_CLASSES, dtype=object)[klass] + "/" + out["filed_date"].dt.year.astype(str)
                      + "/" + out["cause"].astype("string").fillna("").to_numpy(object))
    return out


def _slack_distribution(unadjusted_slack: np.ndarray, window: int) -> np.ndarray:
    """F(k) = share of unadjusted closings within their limit with slack < k, k = 0..window."""
    s = unadjusted_slack[(unadjusted_slack >= 0) & (unadjusted_slack < window)]
    counts = np.bincount(s.astype(np.int64), minlength=window)[:window].astype(float)
    cdf = np.concatenate([[0.0], np.cumsum(counts)])
    return cdf / cdf[-1] if cdf[-1] > 0 else np.linspace(0, 1, window + 1)


def bunching_test(frame: pd.DataFrame, by: Sequence[str] = ("court",), last_days: int = LAST_DAYS,
                  window: int = WINDOW_DAYS) -> tuple[pd.DataFrame, pd.Series]:
    """The bunching test of the module docstring per group of ``by``, on closed cases with a
    deadline (columns of :func:`_prepare`). Returns the table and each decisive case's
    ``chance`` (NaN for other cases)."""
    by = list(by)
    rows = []
    labels = frame.index
    # The cases of each group are picked out by index below: work on row positions, since the
    # caller's labels may repeat (a concat of two exports) and would pick up other rows.
    frame = frame.reset_index(drop=True)
    chance = pd.Series(np.nan, index=frame.index)
    closed = frame[frame["closed_date"].notna() & frame["deadline"].notna()]
    adjustment = closed["extension_days"] + closed["suspended_days"]
    slack = closed["days_before_deadline"].astype(float)
    decisive = (closed["days_past_base"] > 0) & (slack >= 0) & (adjustment > 0)
    unadjusted = adjustment == 0
    groups = closed.groupby([closed[c].astype("string").fillna("(missing)") for c in by]) if by \
        else [((), closed)]
    for key, g in groups:
        idx = g.index
        cdf = _slack_distribution(slack[idx][unadjusted[idx]].to_numpy(), window)
        d = idx[decisive[idx].to_numpy()]
        m = np.minimum(adjustment[d].to_numpy(), window)
        s = slack[d].to_numpy()
        in_window = s < m
        k = min(last_days, window)
        e = np.divide(cdf[np.minimum(k, m)], cdf[m], out=np.ones(len(m)), where=cdf[m] > 0)
        chance[d] = e
        o = (s < k) & in_window
        n = int(in_window.sum())
        observed, expected = int(o.sum()), float(e[in_window].sum())
        var = float((e[in_window] * (1 - e[in_window])).sum())
        z = (observed - expected) / np.sqrt(var) if var > 0 else np.nan
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key, strict=True)), "decisive": n,
                     "last_days": observed, "expected": expected, "excess": observed - expected,
                     "z": z, "p_value": float(stats.norm.sf(z)) if np.isfinite(z) else np.nan,
                     "unadjusted_share_last_days": float(cdf[k])})
    return pd.DataFrame(rows), chance.set_axis(labels)


def audit_extensions(cases: pd.DataFrame, *, as_of: pd.Timestamp | str | None = None,
                     period: str | Period | None = None,
                     conversions: pd.DataFrame | None = None, table: pd.DataFrame | None = None,
                     field_issues: pd.DataFrame | None = None,
                     last_days: int = LAST_DAYS, window: int = WINDOW_DAYS,
                     conversion_days: int = CONVERSION_DAYS,
                     funnel_levels: Sequence[str] = ("judge", "team")) -> ExtensionAudit:
    """Audit the extensions and deductions of ``cases`` (see the module docstring).

    Examined: cases with a statutory limit (civil first and second instance with the shipped
    table) known at ``as_of`` (default: the latest date in the data); with ``period``, those
    closed in it and those pending at its end. ``conversions``: a table with ``case_id`` and
    ``converted_date`` (from simplified to ordinary procedure); without it the late-conversion
    rule is not checked (``checked`` says so). ``field_issues``: the loader's field-issue table
    (:attr:`courtstudy.ingest.loading.LoadedCases.field_issues`): deductions the loader dropped
    as longer than the case (``suspended_exceeds_duration``) are flagged with the recorded
    value, since the loaded cases no longer carry it."""
    from courtstudy.indicators import default_as_of
    from courtstudy.monitoring.snapshot import as_known_at

    as_of = default_as_of(cases) if as_of is None else pd.Timestamp(as_of).normalize()
    known = as_known_at(cases, as_of, table)
    if period is not None:
        p = parse_period(period)
        end = min(p.end, as_of)
        closed_in = known["closed_date"].between(p.start, end)
        pending_at = (known["filed_date"] <= end) & (known["closed_date"].isna() | (known["closed_date"] > end))
        known = known[closed_in | pending_at]
    frame = _prepare(known, as_of, table)
    has_limit = frame["deadline"].notna()
    no_limit = int((~has_limit).sum())
    frame = frame[has_limit]
    checked = {rule: f"{len(frame):,} cases with a statutory limit" for rule in RULES}
    checked["no_limit"] = f"{no_limit:,} cases without a statutory limit in the table were not examined"

    hits: dict[str, pd.Series] = {}
    ext, susp = frame["extension_days"], frame["suspended_days"]
    hits["extension_not_allowed"] = (ext > 0) & (frame["max_extension_months"] == 0)
    hits["extension_over_maximum"] = (frame["max_extension_months"] > 0) & (ext > frame["allowed_extension_days"])
    hits["deduction_exceeds_duration"] = (susp > 0) & (susp >= frame["elapsed_days"])
    dropped = _dropped_deductions(field_issues)
    frame["recorded_suspended_days"] = frame["case_id"].map(dropped) if dropped is not None else np.nan
    hits["deduction_exceeds_duration"] |= frame["recorded_suspended_days"].notna()
    bunching, chance = bunching_test(frame, ("court",), last_days, window)
    frame["chance"] = chance
    closed = frame["closed_date"].notna()
    decisive = closed & (frame["days_past_base"] > 0) & (frame["days_before_deadline"] >= 0)
    hits["rescued_by_adjustment"] = (decisive & (frame["days_before_deadline"] < last_days)).fillna(False)
    frame["converted_date"] = pd.NaT
    frame["conversion_days_left"] = np.nan
    if conversions is not None and len(conversions):
        conv = conversions.copy()
        conv["converted_date"] = pd.to_datetime(conv["converted_date"])
        conv = conv.dropna(subset=["converted_date"]).sort_values("converted_date") \
            .drop_duplicates("case_id", keep="last").set_index("case_id")["converted_date"]
        frame["converted_date"] = frame["case_id"].map(conv)
        simple_deadline = limits.deadlines(frame.assign(procedure="simplified", extension_days=0,
                                                        suspended_days=0), table)
        frame["conversion_days_left"] = (simple_deadline - frame["converted_date"]).dt.days
        hits["late_conversion"] = (frame["converted_date"].notna()
                                   & (frame["conversion_days_left"] < conversion_days)).fillna(False)
        checked["late_conversion"] = f"{int(frame['converted_date'].notna().sum()):,} conversions"
    else:
        hits["late_conversion"] = pd.Series(False, index=frame.index)
        checked["late_conversion"] = "not checked: no conversion records (the export does not carry them)"

    flag_frames = []
    for rule in RULES:
        rows = frame[hits[rule].fillna(False).to_numpy(bool)]
        if rows.empty:
            continue
        if rule == "deduction_exceeds_duration":
            # A deduction the loader dropped is shown as recorded in the export.
            recorded = rows["recorded_suspended_days"]
            rows = rows.assign(suspended_days=recorded.fillna(rows["suspended_days"]).astype("int64"))
        details = [_detail(rule, r) for _, r in rows.iterrows()]
        flag_frames.append(rows.assign(rule=rule, detail_zh=[d[0] for d in details],
                                       detail_en=[d[1] for d in details]))
    if flag_frames:
        flags = pd.concat(flag_frames, ignore_index=True)   # an index named court or case_id: ambiguous sort
        flags = flags[[c for c in FLAG_COLUMNS if c in flags]].sort_values(["court", "rule", "case_id"])
    else:
        flags = pd.DataFrame(columns=list(FLAG_COLUMNS))
    flags = flags.reset_index(drop=True)

    closed_frame = frame[closed]
    counts = flags.groupby(["court", "rule"]).size().unstack(fill_value=0) if len(flags) else pd.DataFrame()
    counts = counts.reindex(columns=list(RULES), fill_value=0)
    counts.insert(0, "closed", closed_frame.groupby(closed_frame["court"].astype(str)).size())
    counts = counts.fillna(0).astype("int64").reset_index().rename(columns={"index": "court"})
    counts.columns.name = None

    indicators = {
        "extension": (closed_frame["extension_days"] > 0).to_numpy(),
        "deduction": (closed_frame["suspended_days"] > 0).to_numpy(),
        "rescue": decisive[closed].fillna(False).to_numpy(bool),
    }
    funnels: dict[str, dict[str, Funnel]] = {}
    for measure, y in indicators.items():
        funnels[measure] = {}
        for level in funnel_levels:
            if level not in closed_frame or closed_frame[level].isna().all():
                continue
            funnels[measure][level] = funnel(closed_frame, y, ["court", level], reference="court",
                                             strata=["stratum"], measure=measure)
    return ExtensionAudit(flags=flags, counts=counts, bunching=bunching, funnels=funnels,
                          checked=checked, cases=frame)


def evaluate_against_truth(audit: ExtensionAudit, truth: pd.DataFrame,
                           judges: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Precision and recall of the audit against planted irregularities
    (:class:`courtstudy.simulate.irregularities.PlantedIrregularities`).

    ``rules``: per rule, the cases flagged, how many are planted (any kind: a planted case is
    irregular whatever rule finds it), ``precision``. ``kinds``: per planted kind, the cases
    planted, how many any rule flagged and how many the rule meant for it flagged (``recall``).
    ``judges``: per funnel measure, the judges above the 99.8% limit, how many were planted
    dressing-up judges (``precision``) and the share of planted judges found (``recall``)."""
    planted = set(truth["case_id"])
    meant = {"extension_not_allowed": "extension_not_allowed",
             "extension_over_maximum": "extension_over_maximum",
             "rescued_by_deduction": "rescued_by_adjustment",
             "rescued_by_extension": "rescued_by_adjustment",
             "deduction_exceeds_duration": "deduction_exceeds_duration",
             "late_conversion": "late_conversion",
             "padded_deduction": None, "padded_extension": None}
    flags = audit.flags
    rules = []
    for rule in RULES:
        ids = set(flags.loc[flags["rule"] == rule, "case_id"])
        tp = len(ids & planted)
        rules.append({"rule": rule, "flagged": len(ids), "planted": tp,
                      "precision": tp / len(ids) if ids else np.nan})
    any_ids = set(flags["case_id"])
    rules.append({"rule": "any", "flagged": len(any_ids), "planted": len(any_ids & planted),
                  "precision": len(any_ids & planted) / len(any_ids) if any_ids else np.nan})
    kinds = []
    for kind, group in truth.groupby("kind"):
        ids = set(group["case_id"])
        rule = meant.get(kind)
        by_rule = set(flags.loc[flags["rule"] == rule, "case_id"]) if rule else set()
        kinds.append({"kind": kind, "planted": len(ids), "rule": rule or "(funnel only)",
                      "flagged_by_rule": len(ids & by_rule), "flagged_by_any": len(ids & any_ids),
                      "recall": len(ids & by_rule) / len(ids) if rule else np.nan})
    out = {"rules": pd.DataFrame(rules), "kinds": pd.DataFrame(kinds)}
    if judges is not None:
        wanted = {(c, j) for c, j in zip(judges["court"], judges["judge"], strict=True)}
        style_measure = {"deduction": "deduction", "extension": "extension"}
        rows = []
        for measure, by_level in audit.funnels.items():
            if "judge" not in by_level:
                continue
            t = by_level["judge"].table
            hit = {(c, j) for c, j in zip(t.loc[t["above99.8"], "court"], t.loc[t["above99.8"], "judge"],
                                          strict=True)}
            target = {(c, j) for c, j, s in zip(judges["court"], judges["judge"], judges["style"], strict=True)
                      if style_measure.get(s) == measure}
            rows.append({"measure": measure, "flagged": len(hit), "planted_judges": len(hit & wanted),
                         "precision": len(hit & wanted) / len(hit) if hit else np.nan,
                         "judges_meant": len(target),
                         "recall": len(hit & target) / len(target) if target else np.nan})
        out["judges"] = pd.DataFrame(rows)
    return out


def twelve_months_to(end: pd.Timestamp | str) -> Period:
    """The 12 months ending on ``end`` (a funnel needs a year of closings per judge)."""
    from courtstudy.core.calendar import add_months_to

    end = pd.Timestamp(end).normalize()
    return Period(add_months_to(end, -12) + pd.Timedelta(days=1), end, "custom")


def _pick(lang: str, pair: tuple[str, str]) -> str:
    return pick(*pair, lang)


#: Headers several of the tables below share.
_HEADERS: dict[str, tuple[str, str]] = {"rule": ("规则", "Rule"), "measure": ("指标", "Measure")}


def labelled_counts(counts: pd.DataFrame, lang: str = "zh", checked: dict[str, str] | None = None) -> pd.DataFrame:
    """Flags per court and rule, headers in ``lang`` (``court`` keeps its canonical name).
    ``checked`` (:attr:`ExtensionAudit.checked`): the rules not checked are left out (a column
    of zeros would read as "checked, nothing found")."""
    names = {r: _pick(lang, RULE_LABELS[r]) for r in RULES}
    names["closed"] = _pick(lang, ("已结案件", "Closed cases"))
    skipped = [r for r in RULES if (checked or {}).get(r, "").startswith("not checked")]
    return counts.drop(columns=[r for r in skipped if r in counts]).rename(columns=names)


RULE_GROUNDS: dict[str, tuple[str, str]] = {
    "extension_not_allowed": ("2022 年以前立案的简易程序（含小额诉讼）案件不得延长审限（民事诉讼法 2021 年修正前）",
                              "Before 2022 simplified (and small-claims) cases could not be extended"),
    "extension_over_maximum": ("简易程序、小额诉讼程序至多延长 1 个月；普通程序院长批准延长至多 6 个月，再延长须报上级法院批准（民事诉讼法第 152、164、168 条）",
                               "Simplified and small claims: at most one month; ordinary: six months with the president's approval, more only with the upper court's (CPL arts. 152, 164, 168)"),
    "deduction_exceeds_duration": ("扣除天数不少于立案至结案（或至今）的天数，记录不可能成立",
                                   "No trial day left after the deduction: the record cannot be right"),
    "rescued_by_adjustment": (f"不计延长、扣除即超审限，计入后于届满前 {LAST_DAYS} 日内结案",
                              f"Overdue without the extension or deduction, closed within {LAST_DAYS} days before the adjusted deadline"),
    "late_conversion": (f"简易程序审限届满前 {CONVERSION_DAYS} 日内或届满后才转为普通程序（审限自立案日起算，转换不重新计算）",
                        f"Converted to ordinary procedure within {CONVERSION_DAYS} days of the end of the simplified limit, or after it"),
}


def rules_table(lang: str = "zh") -> pd.DataFrame:
    """The rules and their grounds, in ``lang``."""
    return pd.DataFrame({_pick(lang, _HEADERS["rule"]): [_pick(lang, RULE_LABELS[r]) for r in RULES],
                         _pick(lang, ("依据与判断标准", "Ground and test")): [_pick(lang, RULE_GROUNDS[r]) for r in RULES]})


def labelled_bunching(bunching: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The bunching test per court, headers in ``lang``."""
    names = {"decisive": ("延长/扣除起决定作用的结案", "Closings saved by an adjustment"),
             "last_days": (f"其中届满前{LAST_DAYS}日内", f"of which in the last {LAST_DAYS} days"),
             "expected": ("按其他案件预期", "Expected from other cases"),
             "excess": ("超出预期", "Excess"), "z": COLUMN_LABELS["z"], "p_value": COLUMN_LABELS["p_value"],
             "unadjusted_share_last_days": (f"其他案件届满前{LAST_DAYS}日内结案比例", f"Other cases: share in the last {LAST_DAYS} days")}
    return bunching.rename(columns={k: _pick(lang, v) for k, v in names.items()})


def labelled_funnels(funnels: dict[str, dict[str, Funnel]], level: str, lang: str = "zh") -> pd.DataFrame:
    """Groups above the 99.8% limit of any measure, by name, headers in ``lang``."""
    rows = []
    for measure, by_level in funnels.items():
        if level not in by_level:
            continue
        t = by_level[level].table
        hit = t[t["above99.8"]]
        rows.append(pd.DataFrame({**{c: hit[c] for c in by_level[level].by},
                                  "measure": _pick(lang, MEASURES[measure]), "cases": hit["cases"],
                                  "observed": hit["observed"], "expected": hit["expected"],
                                  "ratio": hit["ratio"], "upper": hit["upper99.8"]}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["court", level, "measure", "cases", "observed", "expected", "ratio", "upper"])
    out = out.sort_values(["court", level, "measure"], kind="stable").reset_index(drop=True)
    names = {"measure": _HEADERS["measure"], "cases": ("已结案件", "Closed cases"),
             "observed": ("实际件数", "Observed"), "expected": ("预期件数", "Expected"),
             "ratio": ("实际/预期", "Observed / expected"), "upper": ("99.8% 控制上限", "99.8% upper limit")}
    return out.rename(columns={k: _pick(lang, v) for k, v in names.items()})


def labelled_detection(frame: pd.DataFrame | None, lang: str = "zh") -> pd.DataFrame:
    """A precision/recall table of :func:`evaluate_against_truth`, labels in ``lang``."""
    if frame is None:
        return pd.DataFrame()
    out = frame.copy()
    if "rule" in out:
        out["rule"] = out["rule"].map(lambda r: _pick(lang, RULE_LABELS[r]) if r in RULE_LABELS
                                      else (_pick(lang, ("任一规则", "any rule")) if r == "any"
                                            else _pick(lang, ("仅漏斗图", "funnel plots only"))))
    if "kind" in out:
        out["kind"] = out["kind"].map(lambda k: _pick(lang, KIND_LABELS.get(k, (k, k))))
    if "measure" in out:
        out["measure"] = out["measure"].map(lambda m: _pick(lang, MEASURES[m]))
    names = {"rule": _HEADERS["rule"], "kind": ("植入类型", "Planted kind"), "measure": _HEADERS["measure"],
             "flagged": ("提示数", "Flagged"), "planted": ("其中植入", "Of which planted"),
             "precision": ("准确率", "Precision"), "flagged_by_rule": ("对应规则找出", "Found by its rule"),
             "flagged_by_any": ("任一规则找出", "Found by any rule"), "recall": ("召回率", "Recall"),
             "planted_judges": ("其中植入法官", "Of which planted judges"),
             "judges_meant": ("对应的植入法官", "Planted judges it is meant for")}
    return out.rename(columns={k: _pick(lang, v) for k, v in names.items()})


#: Planted kinds of irregularity; a kind that is also a rule's code reads as the rule does.
KIND_LABELS: dict[str, tuple[str, str]] = {
    **{code: RULE_LABELS[code] for code in ("extension_not_allowed", "extension_over_maximum",
                                            "deduction_exceeds_duration", "late_conversion")},
    "rescued_by_deduction": ("以扣除挽救超限", "Overrun saved by a deduction"),
    "rescued_by_extension": ("以延长挽救超限", "Overrun saved by an extension"),
    "padded_deduction": ("无需而扣除（做账法官）", "Needless deduction (dressing-up judge)"),
    "padded_extension": ("无需而延长（做账法官）", "Needless extension (dressing-up judge)"),
}


def labelled_flags(flags: pd.DataFrame, lang: str = "zh", columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The flag list for readers: dates as text, rule and detail in ``lang``. ``columns``: the
    columns to keep, in order (default: all of them; a report page shows fewer so the case
    numbers and the detail fit)."""
    out = flags.copy()
    for column in ("filed_date", "closed_date", "base_deadline", "deadline", "converted_date"):
        if column in out:
            out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    out["rule"] = out["rule"].map(lambda r: _pick(lang, RULE_LABELS[r]))
    out["detail"] = out["detail_zh"] if lang == "zh" else out["detail_en"]
    keep = list(columns) if columns is not None else [
        "case_id", "court", "team", "judge", "procedure", "filed_date", "closed_date", "rule",
        "extension_days", "suspended_days", "detail"]
    names = {"rule": _HEADERS["rule"], "detail": ("说明", "Detail")}
    return out[[c for c in keep if c in out]].rename(columns={k: _pick(lang, v) for k, v in names.items()})


def table_kinds(lang: str = "zh") -> dict[str, str]:
    """Value kinds of the labelled audit tables' columns (header -> kind of
    :data:`courtstudy.report.tables.KINDS`)."""
    percent = [("准确率", "Precision"), ("召回率", "Recall"),
               (f"其他案件届满前{LAST_DAYS}日内结案比例", f"Other cases: share in the last {LAST_DAYS} days")]
    ratio = [("按其他案件预期", "Expected from other cases"), ("超出预期", "Excess"), ("z 值", "z"),
             ("实际/预期", "Observed / expected"), ("99.8% 控制上限", "99.8% upper limit"),
             ("预期件数", "Expected")]
    out = {_pick(lang, p): "percent" for p in percent}
    out |= {_pick(lang, r): "ratio" for r in ratio}
    out[_pick(lang, ("p 值", "p-value"))] = "p"
    return out
