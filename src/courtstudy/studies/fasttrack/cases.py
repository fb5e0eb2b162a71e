"""The case-level sample of the fast-track study: every case an observation in its filing month.

The same filing cohorts and outcomes as the court-month panel (:mod:`.panel`), one row per
case instead of one per court and month, so an estimator sees the sampling noise of every
court-month. A case enters when its filing period is *mature* (``period_end + H <= as_of``:
every case followed for ``H`` days). With ``d = closed_date - filed_date`` (a case closed after
``as_of`` is pending at ``as_of``):

============================ =================================================================
``closed_90`` / ``closed_180`` ``1{d <= 90}`` / ``1{d <= 180}``
``rmst``                     ``min(d, H)``, pending cases ``H``
``log_duration``             ``log(1 + d)`` for cases closed within ``H``, else missing
``appeal_rate``              appealed, for cases closed within ``H`` of cohorts whose appeal
                             window has passed (``period_end + H + 30 days <= as_of``)
``reversal_remand_rate``     appeal result modified or remanded, same cases, results mature
                             (``+ 180 days``)
``mediation_withdrawal_rate`` closed by mediation or withdrawal, cases closed within ``H``
============================ =================================================================

The mean of each outcome over a court-month's cases is the panel's value (tested).

Covariates known at filing (adjusted for by the estimators): the cause of action, the claim
amount (log, with a missing flag), the number of parties, and whether the court had started
triage (繁简分流) when the case was filed (from the courts table's ``triage_start``; another
reform starting at different dates in different courts would otherwise be read as part of the
fast-track effect or as a pre-trend). Procedure, track and team are decided after filing, partly
by the reform itself, and are not covariates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from courtstudy.studies.fasttrack.panel import (
    _FREQ,
    adoption_dates,
    case_outcomes,
    check_unit_and_horizon,
    in_study_scope,
)
from courtstudy.studies.staggered import StaggeredData, prepare_staggered_data

#: Case-level outcomes (the panel's, less the per-judge flow).
CASE_OUTCOMES: tuple[str, ...] = ("closed_90", "closed_180", "rmst", "log_duration", "appeal_rate",
                                  "reversal_remand_rate", "mediation_withdrawal_rate")
#: Covariates known at filing (module docstring); ``triage_active`` is derived.
COVARIATES: tuple[str, ...] = ("cause", "log_claim_amount", "n_parties", "triage_active")


@dataclass
class CaseSample:
    """The case-level sample: ``data`` (:class:`~courtstudy.studies.staggered.StaggeredData`),
    the ``frame`` it was built from (one row per case used), the horizon, as-of date, and what
    was left out."""

    data: StaggeredData
    frame: pd.DataFrame
    unit: str
    horizon_days: int
    as_of: pd.Timestamp
    outcomes: tuple[str, ...]
    covariates: tuple[str, ...]
    n_dropped_recent: int
    n_other_types: int

    def describe(self, lang: str = "zh") -> str:
        d = self.data
        n_never = int((d.cohort < 0).sum())
        cohorts = d.n_cohorts()
        if lang == "zh":
            return (f"案件层面样本：{d.n_cases}件一审民事案件，{d.n_units}个法院（{d.n_units - n_never}个在"
                    f"观察期内组建速裁团队，分{cohorts}个组建批次；{n_never}个未组建），"
                    f"{d.n_periods}个立案{'月' if self.unit == 'month' else '季度'}。")
        return (f"Case-level sample: {d.n_cases} first-instance civil cases in {d.n_units} courts "
                f"({d.n_units - n_never} adopting within the window in {cohorts} adoption cohorts; "
                f"{n_never} not adopting), {d.n_periods} filing {self.unit}s.")


def build_case_sample(
    cases: pd.DataFrame,
    courts: pd.DataFrame,
    *,
    unit: str = "month",
    horizon_days: int = 180,
    as_of: str | pd.Timestamp | None = None,
    outcomes: Sequence[str] | None = None,
    covariates: Sequence[str] = COVARIATES,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    case_type: str | None = "civil",
    instance: str | None = "first",
    appeal_window_days: int = 30,
    appeal_result_days: int = 180,
) -> CaseSample:
    """The case-level sample (module docstring) from canonical cases and the courts table."""
    if unit not in _FREQ:
        raise ValueError(f"unit must be 'month' or 'quarter', got {unit!r}")
    outcomes = tuple(o for o in (outcomes or CASE_OUTCOMES) if o in CASE_OUTCOMES)
    if not outcomes:
        raise ValueError(f"no case-level outcome among those asked; expected some of {CASE_OUTCOMES}")
    check_unit_and_horizon(unit, outcomes, horizon_days)
    if courts is None or "fast_track_start" not in courts.columns:
        raise ValueError("courts table: columns 'court' and 'fast_track_start' are required")
    n_all = len(cases)
    frame = in_study_scope(cases, case_type, instance)
    n_other = n_all - len(frame)
    filed = pd.to_datetime(frame["filed_date"])
    closed = pd.to_datetime(frame["closed_date"])
    as_of = pd.Timestamp(as_of) if as_of else max(filed.max(), closed.max())
    freq = _FREQ[unit]
    period = filed.dt.to_period(freq)
    period_end = period.dt.end_time.dt.normalize()
    horizon = pd.Timedelta(days=int(horizon_days))
    mature = (period_end + horizon <= as_of).to_numpy()
    if start is not None:
        mature &= (period >= pd.Period(start, freq)).to_numpy()
    if end is not None:
        mature &= (period <= pd.Period(end, freq)).to_numpy()
    n_recent = int((~mature & (period_end + horizon > as_of).to_numpy()).sum())
    frame = frame[mature]
    filed, closed, period_end = filed[mature], closed[mature].where(closed[mature] <= as_of), period_end[mature]
    days = (closed - filed).dt.days.astype("float64")
    per_case = case_outcomes(frame, days, horizon_days)
    within = per_case["within"].to_numpy(bool)
    out = pd.DataFrame({"court": frame["court"].astype(str).to_numpy(),
                        "filed_date": filed.to_numpy()}, index=frame.index)
    for name in ("closed_90", "closed_180", "rmst", "log_duration"):
        out[name] = per_case[name].to_numpy()
    latest = (period_end + horizon).to_numpy()
    appealed = per_case["appealed"].to_numpy(bool)
    reversed_ = per_case["reversal_remand"].to_numpy(bool)
    medw = per_case["mediation_withdrawal"].to_numpy(bool)
    appeal_ok = within & (latest + pd.Timedelta(days=appeal_window_days) <= as_of)
    result_ok = within & (latest + pd.Timedelta(days=appeal_result_days) <= as_of)
    out["appeal_rate"] = np.where(appeal_ok, appealed.astype(float), np.nan)
    out["reversal_remand_rate"] = np.where(result_ok, (appealed & reversed_).astype(float), np.nan)
    out["mediation_withdrawal_rate"] = np.where(within, medw.astype(float), np.nan)
    covs = []
    for name in covariates:
        if name == "log_claim_amount":
            amount = pd.to_numeric(frame.get("claim_amount"), errors="coerce") if "claim_amount" in frame \
                else pd.Series(np.nan, index=frame.index)
            out[name] = np.log(amount.where(amount > 0)).to_numpy()
        elif name == "triage_active":
            starts = adoption_dates(courts, "triage_start")
            if starts.notna().any():
                s = out["court"].map(starts)
                out[name] = (out["filed_date"] >= s).fillna(False).astype(float).to_numpy()
            else:
                continue
        elif name == "n_parties" and name in frame:
            out[name] = pd.to_numeric(frame[name], errors="coerce").clip(upper=10).to_numpy()
        elif name in frame:
            out[name] = frame[name].to_numpy()
        else:
            continue
        covs.append(name)
    adoption = adoption_dates(courts)
    missing = sorted(set(out["court"]) - set(adoption.index))
    if missing:
        raise ValueError("courts table: no row for court(s) " + ", ".join(missing)
                         + " found in the cases; add them (fast_track_start empty = never)")
    data = prepare_staggered_data(out, unit="court", time="filed_date", adoption=adoption,
                                  outcomes=list(outcomes), covariates=covs, period=unit)
    return CaseSample(data=data, frame=out, unit=unit, horizon_days=int(horizon_days), as_of=as_of,
                      outcomes=outcomes, covariates=tuple(covs), n_dropped_recent=n_recent,
                      n_other_types=n_other)
