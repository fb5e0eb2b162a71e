"""Court-by-period panels for the fast-track team study (速裁团队), built from canonical cases.

Each row is one court and one filing period (month or quarter). Outcomes describe the *filing
cohort*: the cases filed in that court and period, each followed for the same fixed horizon
``H`` days after filing (domain.md section 4), so a recent cohort is not made to look fast by
censoring. A cohort is kept only when ``period_end + H <= as_of``: every case in it has then been
observed for at least ``H`` days. Cohorts too recent for the horizon are dropped and counted
(:attr:`CourtPanel.n_dropped_periods`).

Outcomes (``d`` = closed_date - filed_date in days; a case closed after ``as_of`` counts as
pending at ``as_of``):

========================== ==========================================================================
``closed_90``              share of the cohort with ``d <= 90`` (needs ``H >= 90``)
``closed_180``             share with ``d <= 180`` (needs ``H >= 180``)
``rmst``                   restricted mean time to closing, ``mean(min(d, H))``; pending cases count
                           ``H``: exact, since every case is observed for ``H`` days (no KM needed)
``log_duration``           mean ``log(1 + d)`` over cases closed within ``H`` (``1 +`` keeps same-day
                           closings finite)
``appeal_rate``            appealed / closed within ``H`` (mature cohorts only, see below)
``reversal_remand_rate``   appeal_result modified or remanded / closed within ``H``
``mediation_withdrawal_rate`` disposition mediation or withdrawal / closed within ``H``
``per_judge_closed``       cases closed *in* the period (any filing date) / judges of the court in the
                           year of the period end (courts table); a flow, not a cohort measure
========================== ==========================================================================

Maturity of appeal outcomes (domain.md section 2): an appeal is known only after the appeal window,
and appeal results months later. The latest closing of a cohort is ``period_end + H``; the
cohort's appeal rate is reported only when that is at least ``appeal_window_days`` before
``as_of``, and its reversal/remand rate only when at least ``appeal_result_days`` before. Otherwise
the cell is empty (NaN) and the estimators drop those periods for that outcome.

Adoption cohort: a court's ``fast_track_start`` (courts table) falls in one period; its cohort
is that period (the first period whose end is on or after the start date), so the period before
the cohort, which difference-in-differences uses as the base, is untouched by the teams. Courts
that never adopted, or adopted after the last panel period, have cohort 0 (never treated within
the panel). Courts that adopted in or before the first panel period have no pre-period to compare
and are listed in :attr:`CourtPanel.always_treated` (the estimators drop them, and say so).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from courtstudy.core import categories

#: Outcomes the panel can hold: name -> (zh label, en label, direction "down" / "up").
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "closed_90": ("90日内结案比例", "share closed within 90 days", "up"),
    "closed_180": ("180日内结案比例", "share closed within 180 days", "up"),
    "rmst": ("限制平均审理天数", "restricted mean days to closing", "down"),
    "log_duration": ("平均对数审理天数（期限内结案）", "mean log days (closed within horizon)", "down"),
    "appeal_rate": ("上诉率", "appeal rate", "down"),
    "reversal_remand_rate": ("发改率", "reversal/remand rate", "down"),
    "mediation_withdrawal_rate": ("调撤率", "mediation/withdrawal rate", "up"),
    "per_judge_closed": ("人均结案数", "closings per judge", "up"),
}

DEFAULT_OUTCOMES: tuple[str, ...] = tuple(OUTCOMES)

_FREQ = {"month": "M", "quarter": "Q"}


def outcome_label(name: str, lang: str = "zh") -> str:
    """Display label of a panel outcome."""
    zh, en, _ = OUTCOMES.get(name, (name, name, ""))
    return zh if lang == "zh" else en


def parse_outcomes(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Outcome names from a notebook parameter: comma-separated (``,`` ``，`` or ``、``);
    empty = every outcome. Raises ValueError naming an unknown outcome."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return DEFAULT_OUTCOMES
    names = ([t.strip() for t in re.split(r"[,，、]", text)] if isinstance(text, str)
             else [str(t).strip() for t in text])
    names = [n for n in names if n]
    unknown = [n for n in names if n not in OUTCOMES]
    if unknown:
        raise ValueError(f"outcomes: unknown {', '.join(unknown)}; expected some of "
                         + ", ".join(OUTCOMES))
    return tuple(names)


@dataclass
class CourtPanel:
    """A balanced court-by-period panel with adoption cohorts.

    ``data`` has one row per court and period: ``court``, ``period`` (label such as "2021-03" or
    "2021Q1"), ``period_start``, ``period_end``, ``t`` (1, 2, ... in calendar order), ``cohort``
    (``t`` of the adoption period, 0 = never treated in the panel), ``cohort_period`` (label or
    ""), ``treated`` (1 from the adoption period on), ``n_filed``, then the outcome columns.
    """

    data: pd.DataFrame
    unit: str
    horizon_days: int
    as_of: pd.Timestamp
    outcomes: tuple[str, ...]
    n_dropped_periods: int
    n_dropped_cases: int
    dropped_periods: tuple[str, ...]
    always_treated: tuple[str, ...] = ()
    n_cases_used: int = 0
    n_cases_other_types: int = 0
    adopted_after_panel: tuple[str, ...] = ()
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def periods(self) -> list[str]:
        return list(dict.fromkeys(self.data.sort_values("t")["period"]))

    @property
    def courts(self) -> list[str]:
        return sorted(self.data["court"].unique())

    def period_label(self, t: int) -> str:
        """Label of period index ``t`` (1-based)."""
        return self.periods[int(t) - 1]

    def cohorts(self) -> pd.DataFrame:
        """One row per court: court, cohort (t), cohort_period, fast_track_start."""
        cols = ["court", "cohort", "cohort_period", "fast_track_start"]
        return self.data.drop_duplicates("court")[cols].sort_values("court").reset_index(drop=True)

    def describe(self, lang: str = "zh") -> str:
        """What the panel holds and what was left out, in words."""
        first, last = self.periods[0], self.periods[-1]
        n_courts = len(self.courts)
        cohorts = self.cohorts()
        n_treated = int((cohorts["cohort"] > 0).sum())
        if lang == "zh":
            unit = "月" if self.unit == "month" else "季度"
            text = (f"面板：{n_courts}个法院 × {len(self.periods)}个{unit}（{first}至{last}），"
                    f"按立案批次统计，观察期限{self.horizon_days}天；其中{n_treated}个法院在面板期内组建速裁团队。"
                    f"最近{self.n_dropped_periods}个立案批次（{self.n_dropped_cases}件案件）距统计截止日"
                    f"{self.as_of:%Y-%m-%d}不足{self.horizon_days}天，已剔除。")
            if self.n_cases_other_types:
                text += f"另有{self.n_cases_other_types}件其他类型或审级的案件不在研究范围内。"
            if self.always_treated:
                text += f"面板开始前已组建速裁团队、无法比较的法院：{'、'.join(self.always_treated)}。"
        else:
            text = (f"Panel: {n_courts} courts x {len(self.periods)} {self.unit}s ({first} to {last}), "
                    f"filing cohorts followed for {self.horizon_days} days; {n_treated} courts adopted "
                    f"fast-track teams within the panel. The latest {self.n_dropped_periods} filing "
                    f"cohorts ({self.n_dropped_cases} cases) are less than {self.horizon_days} days "
                    f"old at the as-of date {self.as_of:%Y-%m-%d} and were dropped.")
            if self.n_cases_other_types:
                text += (f" {self.n_cases_other_types} cases of other types or instances are "
                         "outside the study.")
            if self.always_treated:
                text += (" Courts with teams from before the panel start (no pre-period, left out): "
                         + ", ".join(self.always_treated) + ".")
        return text


def adoption_dates(courts: pd.DataFrame, column: str = "fast_track_start") -> pd.Series:
    """One date per court from the courts table's ``column`` (NaT = never), indexed by court;
    ValueError when a court has two different dates in different years."""
    if column not in courts.columns:
        return pd.Series(dtype="datetime64[s]")
    starts = {}
    for court, rows in courts.groupby(courts["court"].astype(str)):
        values = pd.to_datetime(rows[column]).dropna().unique()
        if len(values) > 1:
            raise ValueError(
                f"courts table: court {court!r} has different {column} dates in different "
                f"years ({', '.join(str(pd.Timestamp(v).date()) for v in values)}); expected one date")
        starts[court] = pd.Timestamp(values[0]) if len(values) else pd.NaT
    return pd.Series(starts, dtype="datetime64[s]")


def _adoption_dates(courts: pd.DataFrame, names: Sequence[str]) -> pd.Series:
    missing = sorted(set(names) - set(courts["court"].astype(str)))
    if missing:
        raise ValueError(
            "courts table: no row for court(s) " + ", ".join(missing)
            + " found in the cases; add them (column court, with fast_track_start empty = never)")
    return adoption_dates(courts).reindex(list(names))


def check_unit_and_horizon(unit: str, outcomes: Sequence[str], horizon_days: int) -> None:
    """The period unit is a month or a quarter, and the horizon covers the closed-within-N-days
    outcomes asked for (ValueError otherwise)."""
    if unit not in _FREQ:
        raise ValueError(f"unit must be 'month' or 'quarter', got {unit!r}")
    for name, days in (("closed_90", 90), ("closed_180", 180)):
        if name in outcomes and horizon_days < days:
            raise ValueError(f"outcome {name} needs horizon_days >= {days}, got {horizon_days}")


def in_study_scope(cases: pd.DataFrame, case_type: str | None, instance: str | None) -> pd.DataFrame:
    """The cases of ``case_type`` and ``instance`` (when given); cases with the field empty are
    kept (the field is optional in exports)."""
    frame = cases
    if case_type is not None and "case_type" in frame:
        frame = frame[frame["case_type"].isna() | (frame["case_type"] == case_type)]
    if instance is not None and "instance" in frame:
        frame = frame[frame["instance"].isna() | (frame["instance"] == instance)]
    return frame


def case_outcomes(frame: pd.DataFrame, days: pd.Series, horizon_days: int) -> pd.DataFrame:
    """Each case's outcome values (module docstring), before the maturity of appeal results:
    ``closed_90``, ``closed_180``, ``rmst`` (``min(d, H)``, pending ``H``), ``within`` (closed
    within ``H``), ``log_duration`` (``log(1 + d)`` within ``H``, else missing), and the
    indicators ``appealed``, ``reversal_remand`` (appeal result modified or remanded) and
    ``mediation_withdrawal``. ``days`` is ``closed_date - filed_date`` (missing when pending)."""
    h = float(horizon_days)
    within = (days <= h).to_numpy()  # NaN (pending) compares False
    n = len(frame)
    appealed = (frame["appealed"].astype("boolean").fillna(False).to_numpy(bool)
                if "appealed" in frame else np.zeros(n, bool))
    result = frame["appeal_result"].astype("string") if "appeal_result" in frame else \
        pd.Series(pd.NA, index=frame.index, dtype="string")
    disp = frame["disposition"].astype("string") if "disposition" in frame else \
        pd.Series(pd.NA, index=frame.index, dtype="string")
    return pd.DataFrame({
        "closed_90": (days <= 90).astype(float).to_numpy(),
        "closed_180": (days <= 180).astype(float).to_numpy(),
        "rmst": days.fillna(h).clip(upper=h).to_numpy(),
        "within": within,
        "log_duration": np.where(within, np.log1p(days.fillna(0.0)), np.nan),
        "appealed": appealed,
        "reversal_remand": result.isin(sorted(categories.REVERSAL_REMAND)).fillna(False).to_numpy(bool),
        "mediation_withdrawal": disp.isin(sorted(categories.MEDIATION_WITHDRAWAL)).fillna(False).to_numpy(bool),
    }, index=frame.index)


def _judges(courts: pd.DataFrame) -> dict[tuple[str, int], float]:
    if "judges" not in courts or "year" not in courts:
        return {}
    ok = courts.dropna(subset=["year", "judges"])
    return {(str(c), int(y)): float(j) for c, y, j in zip(ok["court"], ok["year"], ok["judges"], strict=True)}


def build_court_panel(
    cases: pd.DataFrame,
    courts: pd.DataFrame,
    *,
    unit: str = "month",
    horizon_days: int = 180,
    as_of: str | pd.Timestamp | None = None,
    outcomes: Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    instance: str | None = "first",
    case_type: str | None = "civil",
    appeal_window_days: int = 30,
    appeal_result_days: int = 180,
) -> CourtPanel:
    """Build the court-by-period panel of filing cohorts (formulas in the module docstring).

    ``cases`` is a canonical cases frame (schema.CASE_COLUMNS), ``courts`` the canonical courts
    table. Only cases of ``case_type`` and ``instance`` are used when those are given (cases with
    the field empty are kept: the field is optional in exports). ``as_of`` defaults to the latest
    filing or closing date in the cases.
    """
    outcomes = tuple(outcomes) if outcomes is not None else DEFAULT_OUTCOMES
    check_unit_and_horizon(unit, outcomes, horizon_days)
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        raise ValueError(f"unknown outcome(s) {unknown}; expected some of {list(OUTCOMES)}")
    for col in ("court", "filed_date", "closed_date"):
        if col not in cases.columns:
            raise ValueError(f"cases: column {col!r} missing; expected a canonical cases frame")
    if courts is None:
        raise ValueError("the fast-track study needs the courts table (court, year, judges, "
                         "fast_track_start): pass one (notebook parameter courts)")
    if "fast_track_start" not in courts.columns or "court" not in courts.columns:
        raise ValueError("courts table: columns 'court' and 'fast_track_start' are required")

    n_all = len(cases)
    frame = in_study_scope(cases, case_type, instance)
    filed = pd.to_datetime(frame["filed_date"])
    closed = pd.to_datetime(frame["closed_date"])
    bad = filed.isna()
    if bad.any():
        raise ValueError(f"cases: {int(bad.sum())} row(s) without filed_date (first case_id "
                         f"{frame.loc[bad].iloc[0].get('case_id')!r}); filed_date is required")
    as_of = pd.Timestamp(as_of) if as_of else max(filed.max(), closed.max())
    freq = _FREQ[unit]
    if closed.notna().any() and (closed < filed).any():
        row = frame.loc[closed < filed].iloc[0]
        raise ValueError(f"cases: case {row.get('case_id')!r} closed_date {row['closed_date']} is "
                         f"before filed_date {row['filed_date']}; expected closing on or after filing")
    closed = closed.where(closed <= as_of)
    days = (closed - filed).dt.days.astype("float64")
    period = filed.dt.to_period(freq)

    first = pd.Period(start, freq) if start else period.min()
    last_possible = pd.Period(end, freq) if end else pd.Period(as_of, freq)
    all_periods = pd.period_range(first, last_possible, freq=freq)
    mature = [p for p in all_periods
              if p.end_time.normalize() + pd.Timedelta(days=horizon_days) <= as_of]
    if len(mature) < 2:
        raise ValueError(f"fewer than two {unit}s old enough for a {horizon_days}-day horizon "
                         f"before {as_of.date()}; shorten the horizon or use a later as_of")
    dropped = [p for p in all_periods if p not in set(mature)]
    in_range = (period >= first) & (period <= last_possible)
    n_dropped_cases = int((in_range & period.isin(dropped)).sum())

    names = sorted(frame["court"].astype(str).unique())
    starts = _adoption_dates(courts, names)

    keep = period.isin(mature)
    work = pd.DataFrame({
        "court": frame["court"].astype(str).to_numpy(),
        "period": period.to_numpy(),
        "days": days.to_numpy(),
    })[keep.to_numpy()]
    per_case = case_outcomes(frame, days, horizon_days)[keep.to_numpy()]
    for name in ("closed_90", "closed_180", "rmst"):
        work[name] = per_case[name].to_numpy()
    w = per_case["within"].to_numpy(bool)
    work["within"] = w.astype(float)
    work["log_days"] = per_case["log_duration"].to_numpy()
    work["appeal_w"] = (per_case["appealed"].to_numpy(bool) & w).astype(float)
    work["rev_w"] = (per_case["reversal_remand"].to_numpy(bool) & w).astype(float)
    work["medw_w"] = (per_case["mediation_withdrawal"].to_numpy(bool) & w).astype(float)

    g = work.groupby(["court", "period"], observed=True)
    agg = g.agg(n_filed=("days", "size"), closed_90=("closed_90", "mean"),
                closed_180=("closed_180", "mean"), rmst=("rmst", "mean"),
                n_within=("within", "sum"), log_duration=("log_days", "mean"),
                appeals=("appeal_w", "sum"), reversals=("rev_w", "sum"),
                medw=("medw_w", "sum")).reset_index()

    grid = pd.MultiIndex.from_product([names, pd.PeriodIndex(mature)], names=["court", "period"])
    panel = agg.set_index(["court", "period"]).reindex(grid).reset_index()
    panel["n_filed"] = panel["n_filed"].fillna(0).astype("int64")
    denom = panel["n_within"].where(panel["n_within"] > 0)
    panel["appeal_rate"] = panel["appeals"] / denom
    panel["reversal_remand_rate"] = panel["reversals"] / denom
    panel["mediation_withdrawal_rate"] = panel["medw"] / denom
    pend = pd.PeriodIndex(panel["period"]).end_time.normalize()
    latest_closing = pend + pd.Timedelta(days=horizon_days)
    panel.loc[latest_closing + pd.Timedelta(days=appeal_window_days) > as_of, "appeal_rate"] = np.nan
    panel.loc[latest_closing + pd.Timedelta(days=appeal_result_days) > as_of,
              "reversal_remand_rate"] = np.nan

    # Closings in the period, whatever the filing date (a flow, per judge of that year).
    closed_period = closed.dt.to_period(freq)
    flow = pd.DataFrame({"court": frame["court"].astype(str).to_numpy(),
                         "period": closed_period.to_numpy()}).dropna()
    flow_counts = flow.groupby(["court", "period"], observed=True).size()
    panel["closed_in_period"] = [int(flow_counts.get((c, p), 0))
                                 for c, p in zip(panel["court"], panel["period"], strict=True)]
    judges = _judges(courts)
    panel["judges"] = [judges.get((c, int(p.end_time.year)), np.nan)
                       for c, p in zip(panel["court"], panel["period"], strict=True)]
    panel["per_judge_closed"] = panel["closed_in_period"] / panel["judges"]

    labels = {p: str(p) for p in mature}
    t_of = {p: i + 1 for i, p in enumerate(mature)}
    panel["t"] = panel["period"].map(t_of).astype("int64")
    panel["period_start"] = pd.PeriodIndex(panel["period"]).start_time.astype("datetime64[s]")
    panel["period_end"] = pd.PeriodIndex(panel["period"]).end_time.normalize().astype("datetime64[s]")
    panel["period"] = panel["period"].map(labels).astype("string")

    cohort: dict[str, int] = {}
    always: list[str] = []
    after: list[str] = []
    for court in names:
        start_date = starts[court]
        if pd.isna(start_date):
            cohort[court] = 0
            continue
        p = pd.Period(start_date, freq)
        if p <= mature[0]:
            # Treated from the first panel period on: no pre-period, never a control either.
            always.append(court)
            cohort[court] = 1
        elif p > mature[-1]:
            after.append(court)
            cohort[court] = 0
        else:
            cohort[court] = t_of[p]
    panel["cohort"] = panel["court"].map(cohort).astype("int64")
    panel["fast_track_start"] = panel["court"].map(starts).astype("datetime64[s]")
    panel["cohort_period"] = [labels[mature[c - 1]] if c > 0 else ""
                              for c in panel["cohort"]]
    panel["cohort_period"] = panel["cohort_period"].astype("string")
    panel["always_treated"] = panel["court"].isin(always)
    panel["treated"] = (((panel["cohort"] > 0) & (panel["t"] >= panel["cohort"]))
                        | panel["always_treated"]).astype("int64")
    cols = ["court", "period", "period_start", "period_end", "t", "cohort", "cohort_period",
            "fast_track_start", "always_treated", "treated", "n_filed", "closed_in_period",
            "judges", *outcomes]
    panel = panel[cols].sort_values(["court", "t"]).reset_index(drop=True)
    panel["court"] = panel["court"].astype("string")
    notes = {"zh": [], "en": []}
    if after:
        notes["zh"].append("面板期结束后才组建速裁团队的法院按未组建处理：" + "、".join(after))
        notes["en"].append("Courts adopting after the panel ends count as never treated: "
                           + ", ".join(after))
    return CourtPanel(
        data=panel, unit=unit, horizon_days=int(horizon_days), as_of=as_of, outcomes=outcomes,
        n_dropped_periods=len(dropped), n_dropped_cases=n_dropped_cases,
        dropped_periods=tuple(str(p) for p in dropped), always_treated=tuple(always),
        n_cases_used=int(keep.sum()), n_cases_other_types=n_all - len(frame),
        adopted_after_panel=tuple(after), notes=notes)
