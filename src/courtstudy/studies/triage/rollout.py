"""The rollout of triage as a natural experiment: the case-level sample of the Wald-DiD design.

Courts start triage (繁简分流) on different dates. Before a court's start no case is routed;
after it a large share is. Comparing all cases filed before and after the start, in starting
courts against courts that have not started (yet), is free of the selection of cases into the
simple track: it is the intention-to-treat (ITT) effect of a court starting triage. The same
comparison of the share routed simple is the first stage, and their ratio (a Wald
difference-in-differences, de Chaisemartin & D'Haultfœuille 2018) is the effect of routing on the
cases routed, against a world with no triage. :mod:`courtstudy.studies.triage.wald` estimates it;
this module builds the sample.

Who is in the rollout sample (each step's drop count is in ``RolloutSample.accounting``):

1. first-instance civil cases filed in ``period`` and by ``as_of`` (as
   :func:`~courtstudy.studies.triage.sample.select_cases`), *before and after* the start;
2. filed before the court's start of a concurrent reform (``concurrent``, default the courts
   table's ``fast_track_start``): a fast-track team starting in one court would otherwise be
   credited to triage (our convention; pass ``concurrent=()`` to keep those cases);
3. not filed in a month in which the court started triage mid-month (the month is neither
   before nor after: cells are calendar months of filing);
4. of courts with cases both before and after their start ("starts"), never starting or not
   starting within the data ("never" / "later": the comparison courts). Courts triaging since
   before the first case of the data ("always") have no before-period: they can be neither
   compared with themselves nor used as controls, and are left out.

Per case: ``month`` (the month index of filing,
:func:`~courtstudy.core.calendar.month_indexes`), ``cohort`` (month the court started;
-1 for comparison courts), ``started`` (filed in or after that month), ``routed`` (``track ==
"simple"``; a case with no track counts as not routed, and the count of started cases without a
track is in the notes), ``small_claims`` (heard under small claims) and ``appealable`` (closed by
judgment or dismissal, the dispositions that can be appealed).

Outcomes are those of the like-for-like sample (:func:`~courtstudy.studies.triage.sample.outcome_data`)
except the censored ``time_to_close``: the design compares means, so durations enter as days to
closing capped at the horizon (``days_capped_<h>``, fully observed for cases filed at least h
days before ``as_of``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from courtstudy.core import categories
from courtstudy.core.calendar import month_indexes
from courtstudy.core.errors import CourtstudyError
from courtstudy.studies.triage.sample import (
    CaseFilter,
    OutcomeData,
    check_case_columns,
    covariate_design,
    extra_outcome_data,
    outcome_data,
    resolve_as_of,
    select_cases,
    undecided_share,
)

#: Outcomes of the rollout design (``time_to_close`` is censored: the design uses capped days).
ROLLOUT_OUTCOMES: tuple[str, ...] = ("days_capped", "closed_within_limit", "appealed", "reversal_remand",
                                     "mediation_withdrawal")
#: Covariates known at filing used by the rollout's auxiliary models (who would be routed, who
#: would appeal) and its composition test; time enters the design through the cells.
ROLLOUT_COVARIATES: tuple[str, ...] = ("cause", "log_claim", "n_parties", "court")
#: Court roles in the rollout.
ROLES: dict[str, tuple[str, str]] = {
    "starts": ("实施分流（有实施前后的案件）", "starts triage (cases before and after)"),
    "never": ("从未实施分流", "never starts triage"),
    "later": ("数据期内尚未实施", "starts after the data (not yet)"),
    "always": ("数据开始前已实施（剔除）", "triaging before the data begin (left out)"),
}


@dataclass
class RolloutSample:
    """Cases of the rollout design with their cells, routing and outcomes, aligned row by row.

    ``courts`` has one row per court: ``court``, ``start`` (NaT never), ``cohort`` (month index
    of the start, -1 never), ``role`` (:data:`ROLES`), ``cases``, ``before``, ``after``,
    ``routed_share_after``.
    """

    frame: pd.DataFrame
    design: pd.DataFrame
    covariate_groups: dict[str, list[str]]
    outcomes: dict[str, OutcomeData]
    courts: pd.DataFrame
    as_of: pd.Timestamp
    horizon: int
    accounting: list[dict] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    concurrent: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def routed(self) -> np.ndarray:
        return self.frame["routed"].to_numpy(dtype=float)

    @property
    def started(self) -> np.ndarray:
        return self.frame["started"].to_numpy(dtype=bool)

    @property
    def starting_courts(self) -> list[str]:
        return self.courts.loc[self.courts["role"] == "starts", "court"].tolist()

    @property
    def comparison_courts(self) -> list[str]:
        return self.courts.loc[self.courts["role"].isin(["never", "later"]), "court"].tolist()

    @property
    def has_rollout(self) -> bool:
        """Whether the data hold a rollout to exploit: a court with cases before and after its
        start, and, in some month after a start, cases of a court that had not started."""
        if not self.starting_courts:
            return False
        frame = self.frame
        first_start = int(self.courts.loc[self.courts["role"] == "starts", "cohort"].min())
        return bool(((~frame["started"]) & (frame["month"] >= first_start)).any())


def _court_table(frame: pd.DataFrame, starts: pd.Series) -> pd.DataFrame:
    rows = []
    for court, part in frame.groupby("court", sort=True, observed=True):
        start = starts.get(court, pd.NaT)
        before = int((~part["started"]).sum())
        after = int(part["started"].sum())
        if pd.isna(start):
            role = "never"
        elif before == 0:
            role = "always"
        elif after == 0:
            role = "later"
        else:
            role = "starts"
        rows.append({"court": court, "start": start, "cohort": int(part["cohort"].iloc[0]), "role": role,
                     "cases": len(part), "before": before, "after": after,
                     "routed_share_after": float(part.loc[part["started"], "routed"].mean()) if after else np.nan})
    return pd.DataFrame(rows)


def build_rollout_sample(cases: pd.DataFrame, courts: pd.DataFrame | None, *,
                         outcomes: Sequence[str] = ROLLOUT_OUTCOMES, extra_outcomes: Sequence[str] = (),
                         covariates: Sequence[str] = ROLLOUT_COVARIATES,
                         as_of: str | pd.Timestamp | None = None, period: tuple | None = None,
                         court_filter: Sequence[str] | None = None, horizon: int = 365,
                         mature_days: int = 365, maturity_days: int = 30, decided_days: int = 180,
                         concurrent: Sequence[str] = ("fast_track_start",)) -> RolloutSample:
    """The rollout sample (see the module docstring for every rule)."""
    check_case_columns(cases)
    if courts is None or "triage_start" not in courts.columns:
        raise CourtstudyError("the rollout design needs the courts table with each court's triage_start "
                              "(繁简分流实施日期; empty = never)")
    from courtstudy.studies.triage.sample import _court_starts, court_start_dates

    as_of = resolve_as_of(cases, as_of)
    selection = CaseFilter(cases)
    select_cases(selection, as_of=as_of, period=period, court_filter=court_filter)
    used_concurrent = tuple(c for c in concurrent if c in courts.columns and c != "triage_start")
    for column in used_concurrent:
        other = court_start_dates(selection.frame, courts, column)
        selection.keep(f"filed before the court's {column} (concurrent reform)",
                       (other.isna() | (selection.frame["filed_date"] < other)).to_numpy())
    start = court_start_dates(selection.frame, courts, "triage_start")
    mid_month = start.notna() & (start.dt.day != 1)
    filed = selection.frame["filed_date"]
    same_month = (filed.dt.year == start.dt.year) & (filed.dt.month == start.dt.month)
    selection.keep("not filed in a month triage started mid-month", ~(mid_month & same_month).fillna(False).to_numpy())

    frame = selection.frame
    start = court_start_dates(frame, courts, "triage_start")
    month = month_indexes(frame["filed_date"]).to_numpy(dtype=np.int64)
    cohort = np.where(start.isna(), -1,
                      (month_indexes(start) + (start.dt.day > 1)).fillna(-1)).astype(np.int64)
    started = (cohort >= 0) & (month >= cohort)
    track = frame["track"].astype("string") if "track" in frame.columns else pd.Series(pd.NA, index=frame.index,
                                                                                       dtype="string")
    routed = track.eq("simple").fillna(False).to_numpy(dtype=float)
    base = pd.DataFrame({
        "case_id": frame["case_id"].to_numpy(), "court": frame["court"].astype("string").to_numpy(),
        "filed_date": frame["filed_date"].to_numpy(), "month": month, "cohort": cohort, "started": started,
        "routed": routed})
    starts = _court_starts(courts, "triage_start")
    table = _court_table(base, starts)
    always = table.loc[table["role"] == "always", "court"].tolist()
    selection.keep("court triaging before the data begin (no before-period)",
                   ~base["court"].isin(always).to_numpy())
    frame = selection.frame.reset_index(drop=True)
    base = base.loc[~base["court"].isin(always)].reset_index(drop=True)
    if len(frame) == 0:
        raise CourtstudyError("no case is left in the rollout sample: every court triaged before the data begin")
    keep_cols = [c for c in ("cause", "claim_amount", "n_parties", "procedure", "track", "disposition",
                             "closed_date") if c in frame.columns]
    out = pd.concat([base, frame[keep_cols].reset_index(drop=True)], axis=1)
    procedure = out["procedure"].astype("string") if "procedure" in out else pd.Series(pd.NA, index=out.index,
                                                                                        dtype="string")
    out["small_claims"] = procedure.eq("small_claims").fillna(False).to_numpy(dtype=float)
    disposition = out["disposition"].astype("string") if "disposition" in out else pd.Series(
        pd.NA, index=out.index, dtype="string")
    out["appealable"] = disposition.isin(categories.APPEALABLE).fillna(False).to_numpy(dtype=bool)

    outs = outcome_data(frame, as_of, [o for o in outcomes if o != "time_to_close"], horizon=horizon,
                        mature_days=mature_days, maturity_days=maturity_days, decided_days=decided_days)
    outs.update(extra_outcome_data(frame, extra_outcomes))
    design, groups = covariate_design(frame, [c for c in covariates if c in frame.columns or c == "log_claim"])
    courts_table = _court_table(out, starts)
    no_track = int((out["started"] & out["track"].isna()).sum()) if "track" in out else 0
    undecided = undecided_share(frame, outs)
    notes = _notes(courts_table, used_concurrent, no_track, undecided, maturity_days, decided_days, mature_days)
    return RolloutSample(out, design, groups, outs, courts_table, as_of, horizon, selection.accounting, notes,
                         used_concurrent)


def _notes(courts: pd.DataFrame, concurrent: tuple[str, ...], no_track: int, undecided: float,
           maturity_days: int, decided_days: int, mature_days: int) -> dict[str, list[str]]:
    n_start = int((courts["role"] == "starts").sum())
    n_comp = int(courts["role"].isin(["never", "later"]).sum())
    zh = [f"实施分流前后均有案件的法院 {n_start} 个，对照法院（从未或数据期内尚未实施）{n_comp} 个；"
          "比较的是立案月份相同的案件，实施前与实施后、实施法院与尚未实施的法院。"]
    en = [f"{n_start} court(s) with cases before and after starting triage, {n_comp} comparison court(s) (never or "
          "not yet starting); cases are compared by filing month, before and after, starting against not-started courts."]
    if concurrent:
        zh.append("各院组建速裁团队等其他改革之后立案的案件不纳入（否则会把另一项改革的效果算到分流头上）。")
        en.append("Cases filed after a court started another reform (fast-track teams) are left out, so that "
                  "reform is not credited to triage.")
    if no_track:
        zh.append(f"实施分流后立案但未记录分流结果的案件 {no_track} 件，按未分流为简案计算。")
        en.append(f"{no_track} case(s) filed after the start have no track recorded: counted as not routed simple.")
    zh.append(f"上诉只统计截至数据日期前 {maturity_days} 天已结案件，改发只统计前 {decided_days} 天已结案件，结案相关结果"
              f"只统计立案满 {mature_days} 天的案件；二审结果未出的上诉占 {undecided:.1%}。")
    en.append(f"Appeals count closings at least {maturity_days} days before the as-of date, reversals at least "
              f"{decided_days}; closing-based outcomes count cases filed at least {mature_days} days before it; "
              f"{undecided:.1%} of those appeals are still undecided.")
    return {"zh": zh, "en": en}
