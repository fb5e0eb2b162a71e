"""The 审判质效 overview of report notebook 02: tables built on :mod:`courtstudy.indicators`.

* :func:`yoy_panel`: headline indicators of one period against the same period a year earlier,
  with the direction of each change and whether it went the good way ("五升三降").
* :func:`group_panel`: a few indicators per court (or team) for one period beside the same
  group's value a year earlier: each group against its own past, listed by name, never ranked.
* :func:`pending_age_profile` / :func:`long_pending_list`: the cases pending at the end of the
  period by age (NCSC CourTools measure 4, age of active pending caseload) and the list of
  those pending longer than a year, for follow-up (internal editions only).
* :func:`km_curves`: Kaplan-Meier curves of time to closing of a filing cohort, pending cases
  censored at the as-of date (the same convention as the ``km_median_days`` indicator).

Pending at the end ``E`` of a period (domain.md section 1): ``filed_date <= E`` and
(``closed_date`` empty or ``> E``), counting only what was known at ``as_of``. Age = ``E -
filed_date`` in days; age bands use completed calendar months and the long-pending list the
"over X months" rule of the indicators (:mod:`courtstudy.core.calendar`: a case filed
2022-12-31 is over 12 months old on 2024-01-01, one filed 2023-01-15 is not on 2024-01-15).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from courtstudy.core import calendar, schema, survival
from courtstudy.core.periods import Period

#: Headline indicators of the overview, in display order.
HEADLINE: tuple[str, ...] = (
    "filed", "closed", "pending", "disposition_rate", "clearance_rate", "mean_days",
    "km_median_days", "rmst_days", "within_limit_rate", "mediation_withdrawal_rate",
    "simplified_rate", "appeal_rate", "acceptance_rate", "reversal_remand_rate",
    "per_judge_closed", "pending_over_12m_share", "pending_over_18m",
)
#: Age bands of the pending caseload: (lower bound in months, inclusive; label zh; label en).
AGE_BANDS: tuple[tuple[int, str, str], ...] = (
    (0, "3个月以内", "under 3 months"), (3, "3-6个月", "3-6 months"),
    (6, "6-12个月", "6-12 months"), (12, "12-18个月", "12-18 months"),
    (18, "18-36个月", "18-36 months"), (36, "36个月以上", "over 36 months"),
)

_ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


def _labels(lang: str) -> dict[str, str]:
    from courtstudy.indicators import INDICATORS

    return {i.name: i.label(lang) for i in INDICATORS}


def _verdict(good, comparable: bool, immature: bool, lang: str) -> str:
    if immature:
        return "未成熟，不比较" if lang == "zh" else "immature, not compared"
    if not comparable or pd.isna(good):
        return "—"
    if lang == "zh":
        return "向好" if good else "变差"
    return "better" if good else "worse"


def headline_horizon(period: Period, as_of: pd.Timestamp, maximum: int = 365) -> int:
    """The RMST horizon of a period's headline: the longest (at most ``maximum`` days) that the
    follow-up of the cases filed in the period supports at ``as_of``
    (:func:`courtstudy.core.survival.supported_horizon`); both sides of a year-on-year
    comparison use it, so RMST compares like with like and is never extrapolated. A period
    followed for less than the shortest horizon keeps its RMST flagged immature."""
    return survival.supported_horizon(period.end, as_of, maximum)


def horizon_sentence(period: Period, as_of: pd.Timestamp, horizon: int, lang: str = "zh") -> str:
    """Why the RMST stops at ``horizon`` days, computed from the period's follow-up."""
    follow = survival.follow_up_days(period.end, as_of)
    day = pd.Timestamp(as_of).date()
    if follow >= horizon:
        return (f"本期立案的案件截至 {day} 都已观察满 {horizon} 天，超出这一期限的数值要靠推断，故不采用。"
                if lang == "zh" else
                f"Every case filed in the period has been followed for at least {horizon} days by "
                f"{day}; beyond that the curve would be extrapolated.")
    return (f"本期最后立案的案件截至 {day} 只观察了 {max(follow, 0)} 天，不足 {horizon} 天，"
            "生存分析数值尚未成熟，不作比较。" if lang == "zh" else
            f"The last cases filed in the period have been followed for only {max(follow, 0)} "
            f"days by {day}, less than {horizon}: the survival figures are immature and not "
            "compared.")


def horizon_label(name: str, horizon: int | None, lang: str = "zh") -> str:
    """An indicator's label, with the horizon for the RMST (限制平均审理天数（90天内）)."""
    label = _labels(lang)[name]
    if name != "rmst_days" or horizon is None:
        return label
    return f"{label}（{horizon}天内）" if lang == "zh" else f"{label} (to day {horizon})"


def yoy_panel(compared: pd.DataFrame, period: Period | str, lang: str = "zh",
              indicators: Sequence[str] = HEADLINE, horizon: int | None = None) -> pd.DataFrame:
    """One row per indicator of ``period`` from a :func:`courtstudy.indicators.compare` table
    of one group: ``indicator``, ``indicator_label`` (in ``lang``; the RMST's with
    ``horizon``, the one the table was computed with), ``current``, ``previous_value``,
    ``change``, ``direction`` (an arrow) and ``verdict`` (better / worse / not compared, in
    ``lang``)."""
    label = period.label if isinstance(period, Period) else str(period)
    rows = compared[compared["period"].astype(str) == label].set_index("indicator")
    names = [n for n in indicators if n in rows.index]
    labels = {n: horizon_label(n, horizon, lang) for n in names}
    return pd.DataFrame({
        "indicator": names,
        "indicator_label": [labels[n] for n in names],
        "current": rows.loc[names, "value"].to_numpy(dtype=float),
        "previous_value": rows.loc[names, "previous_value"].to_numpy(dtype=float),
        "change": rows.loc[names, "change"].to_numpy(dtype=float),
        "direction": [_ARROWS.get(str(d), "—") if pd.notna(d) else "—" for d in rows.loc[names, "direction"]],
        "verdict": [_verdict(rows.at[n, "good"], bool(rows.at[n, "comparable"]), bool(rows.at[n, "immature"]), lang)
                    for n in names],
    })


def group_panel(compared: pd.DataFrame, group: str, period: Period | str,
                indicators: Sequence[str]) -> pd.DataFrame:
    """Per ``group`` value (court, team ...) and indicator: this period (``<indicator>``) and a
    year earlier (``<indicator>_previous``), sorted by the group's name (no ranking). Other
    group columns of the comparison (the court of a team) come first. Only groups with a case
    (caseload > 0) in either period are listed: the teams a court has."""
    label = period.label if isinstance(period, Period) else str(period)
    current = compared[compared["period"].astype(str) == label]
    keys = [c for c in ("court", "team", "team_type", "track") if c in current.columns and c != group]
    index = [*keys, group]
    current = current[_has_cases(current, index)]
    rows = current[current["indicator"].isin(indicators)]
    now = rows.pivot_table(index=index, columns="indicator", values="value", aggfunc="first", dropna=False)
    before = rows.pivot_table(index=index, columns="indicator", values="previous_value",
                              aggfunc="first", dropna=False)
    out = pd.DataFrame(index=now.index)
    for name in indicators:
        if name in now.columns:
            out[name] = now[name]
            out[f"{name}_previous"] = before[name] if name in before.columns else np.nan
    present = pd.MultiIndex.from_frame(rows[index].drop_duplicates()) if len(index) > 1 \
        else pd.Index(rows[index[0]].drop_duplicates())
    out = out[out.index.isin(present)]  # pivot_table(dropna=False) adds every combination
    return out.sort_index().reset_index()


def _has_cases(compared: pd.DataFrame, index: Sequence[str]) -> pd.Series:
    """Rows of groups that had a case (caseload > 0) this period or a year earlier: a court's
    table lists the teams it has, not every team name of every court."""
    if "caseload" not in set(compared["indicator"]):
        return pd.Series(True, index=compared.index)
    load = compared[compared["indicator"] == "caseload"]
    had = (load["value"].fillna(0) > 0) | (load["previous_value"].fillna(0) > 0)
    groups = load.loc[had, list(index)].drop_duplicates()
    keyed = compared[list(index)].astype(str).agg("\x1f".join, axis=1)
    wanted = set(groups.astype(str).agg("\x1f".join, axis=1))
    return keyed.isin(wanted)


def pending_at(cases: pd.DataFrame, end: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """The cases pending at ``end`` as known at ``as_of``, with ``age_days`` and ``age_months``
    (completed calendar months since filing)."""
    end, as_of = pd.Timestamp(end), pd.Timestamp(as_of)
    known_closed = cases["closed_date"].where(cases["closed_date"] <= as_of)
    mask = (cases["filed_date"] <= end) & (cases["filed_date"] <= as_of) & (
        known_closed.isna() | (known_closed > end))
    out = cases.loc[mask].copy()
    filed = calendar.day_numbers(out["filed_date"])
    end_day = calendar.day_number(end)
    out["age_days"] = (end_day - filed).astype("int64")
    out["age_months"] = calendar.completed_months(filed, end_day).astype("int64")
    return out


def pending_age_profile(cases: pd.DataFrame, end: pd.Timestamp, as_of: pd.Timestamp,
                        by: str = "court", lang: str = "zh") -> pd.DataFrame:
    """Cases pending at ``end`` per ``by`` and age band (:data:`AGE_BANDS`): the ``by`` column,
    one count column per band (named in ``lang``) and ``pending`` (the total)."""
    pending = pending_at(cases, end, as_of)
    bounds = [b for b, _, _ in AGE_BANDS]
    names = [zh if lang == "zh" else en for _, zh, en in AGE_BANDS]
    band = pd.cut(pending["age_months"], bins=[*bounds, np.inf], right=False, labels=names)
    table = pd.crosstab(pending[by].astype(str), band).reindex(columns=names, fill_value=0)
    table = table.astype("int64")
    table.columns = list(names)
    table["pending"] = table.sum(axis=1)
    table.index.name = by
    return table.reset_index()


def long_pending_list(cases: pd.DataFrame, end: pd.Timestamp, as_of: pd.Timestamp,
                      months: int = 12, lang: str = "zh") -> pd.DataFrame:
    """Cases pending at ``end`` for more than ``months`` calendar months (``filed + months <
    end``, the rule of the ``pending_over_12m`` indicator), oldest first: case number, court,
    team, judge, cause, procedure, filing date, age in days, extension and suspended days;
    columns labelled in ``lang``. A case-level list: internal editions only."""
    pending = pending_at(cases, end, as_of)
    over = calendar.over_months(calendar.day_numbers(pending["filed_date"]),
                                calendar.day_number(end), months)
    # positions, not the caller's labels: an index named case_id would make the sort ambiguous
    old = pending[over].reset_index(drop=True).sort_values(["age_days", "case_id"],
                                                               ascending=[False, True])
    columns = ["case_id", "court", "team", "judge", "cause", "procedure", "filed_date",
               "age_days", "extension_days", "suspended_days"]
    out = old[columns].copy()
    out["filed_date"] = out["filed_date"].dt.strftime("%Y-%m-%d")
    out["procedure"] = out["procedure"].map(
        lambda c: schema.label("procedure", c, lang) if pd.notna(c) else c)
    age = "未结天数" if lang == "zh" else "Days pending"
    out = out.rename(columns={c: schema.column_label(c, lang) for c in columns if c != "age_days"}
                     | {"age_days": age})
    return out.reset_index(drop=True)


def km_curve(time: np.ndarray, closed: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier curve of time to closing for drawing (:func:`courtstudy.core.survival.km_steps`):
    a first row (t = 0, S = 1), then one row per distinct closing time: ``time``,
    ``at_risk``, ``closings``, ``surv``; ``closed`` False = censored."""
    return survival.km_steps(time, closed)


def km_curves(cases: pd.DataFrame, cohorts: Mapping[str, Period], as_of: pd.Timestamp,
              by: str | None = None) -> pd.DataFrame:
    """KM curves of the cases filed in each cohort period (``{label: Period}``), optionally per
    ``by`` group: time = (closed_date if closed by ``as_of`` else ``as_of``) - filed_date in
    days. Columns ``cohort``, ``group`` (``""`` without ``by``), ``n``, and those of
    :func:`km_curve`."""
    as_of = pd.Timestamp(as_of)
    parts = []
    for label, period in cohorts.items():
        cohort = cases[(cases["filed_date"] >= period.start) & (cases["filed_date"] <= period.end)
                       & (cases["filed_date"] <= as_of)]
        groups = [("", cohort)] if by is None else [
            (str(k), g) for k, g in cohort.groupby(by, sort=True) if len(g)]
        for key, part in groups:
            closed = part["closed_date"].notna() & (part["closed_date"] <= as_of)
            stop = part["closed_date"].where(closed, as_of)
            days = (stop - part["filed_date"]).dt.days.to_numpy(dtype=float)
            curve = km_curve(days, closed.to_numpy())
            parts.append(curve.assign(cohort=label, group=key, n=len(part)))
    out = pd.concat(parts, ignore_index=True)
    return out[["cohort", "group", "n", "time", "at_risk", "closings", "surv"]]


#: Indicators drawn in the monthly trend panels.
TREND: tuple[str, ...] = ("filed", "closed", "pending", "mean_days", "within_limit_rate",
                          "mediation_withdrawal_rate")
#: The three duration measures of the overview (closed-case mean, KM median, RMST).
DURATIONS: tuple[str, ...] = ("mean_days", "km_median_days", "rmst_days")


def headline_text(compared: pd.DataFrame, period: Period | str, lang: str = "zh") -> str:
    """The "五升三降" line of one period of a whole-data comparison
    (:func:`courtstudy.indicators.headline` over the :data:`HEADLINE` indicators)."""
    from courtstudy.indicators import headline

    label = period.label if isinstance(period, Period) else str(period)
    rows = compared[(compared["period"].astype(str) == label) & compared["indicator"].isin(HEADLINE)]
    return headline(rows, lang=lang)


def trailing_periods(period: Period, freq: str, count: int) -> list[Period]:
    """The ``count`` periods of frequency ``freq`` ending with the one holding ``period.end``."""
    from courtstudy.core.periods import calendar_period

    out = [calendar_period(period.end, freq)]
    while len(out) < count:
        out.insert(0, calendar_period(out[0].start - pd.Timedelta(days=1), freq))
    return out


def trend_table(engine, period: Period, freq: str = "month", count: int = 24,
                by: str | Sequence[str] = (), indicators: Sequence[str] = TREND) -> pd.DataFrame:
    """Wide table (one row per group and period) of ``indicators`` over the ``count`` periods of
    ``freq`` up to ``period``'s end, canonical column names."""
    from courtstudy.indicators import wide

    long = engine.compute(by=by, period=trailing_periods(period, freq, count),
                          indicators=list(indicators))
    return wide(long)


def labels_of(names: Sequence[str], lang: str = "zh") -> dict[str, str]:
    """Indicator name -> label in ``lang``."""
    labels = _labels(lang)
    return {n: labels[n] for n in names}


def duration_table(long: pd.DataFrame, long_total: pd.DataFrame, period: Period | str,
                   lang: str = "zh") -> pd.DataFrame:
    """Closed-case mean, KM median and RMST of ``period`` per court, then the whole data
    (``long``: computed by court; ``long_total``: by nothing), plus the closed cases each mean
    rests on and the filing cohort the KM figures describe: columns ``court``, ``closed``,
    ``mean_days``, ``filed``, ``km_median_days``, ``rmst_days`` (canonical names; the notebook
    context labels them). ``lang`` names the total row."""
    label = period.label if isinstance(period, Period) else str(period)
    wanted = [*DURATIONS, "closed", "filed"]

    def of(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[(frame["period"].astype(str) == label) & frame["indicator"].isin(wanted)]

    by_court = of(long).pivot_table(index="court", columns="indicator", values="value", aggfunc="first")
    total = of(long_total).set_index("indicator")["value"].rename("全部" if lang == "zh" else "All courts")
    out = pd.concat([by_court, total.to_frame().T])
    out = out[["closed", "mean_days", "filed", "km_median_days", "rmst_days"]]
    out.columns.name = None
    out.index.name = "court"
    return out.reset_index()
