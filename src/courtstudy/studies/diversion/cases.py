"""Effect of a court's start of pre-suit mediation on the filed cases themselves (case level).

Mediation takes disputes away before filing, so what the triage desk receives changes even if
no case is handled differently: smaller claims settle, and the filed cases are larger, take
longer, are appealed more or less. This module estimates that change with the case-level
staggered difference in differences of the rollout studies
(:func:`courtstudy.studies.staggered.staggered_effects`, imputation estimator, not-yet-treated
courts, no covariates: the estimand *is* the change in the mix), on the civil first-instance
cases (民初), outcomes:

* ``log_claim``: ln(1 + claim amount) (cases with an amount);
* ``closed_within_180``: closed within 180 days of filing (cases filed at least 180 days
  before ``as_of``, a fixed horizon so recent cohorts are not biased by censoring);
* ``appealed``: appealed, among cases closed at least 30 days before ``as_of`` (appeal window).

Estimand: the average over the filed cases of treated court-periods of (outcome - the mean the
cell would have had without mediation). It mixes two things the data cannot separate without a
model of who settles: the change in who is filed, and any change in how filed cases are handled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

CASE_OUTCOMES: tuple[str, ...] = ("log_claim", "closed_within_180", "appealed")
HORIZON_DAYS = 180
APPEAL_WINDOW_DAYS = 30


def filed_case_sample(cases: pd.DataFrame, as_of: pd.Timestamp | str) -> pd.DataFrame:
    """The civil first-instance cases with the outcomes of :data:`CASE_OUTCOMES` (NaN where not
    observable at ``as_of``)."""
    as_of = pd.Timestamp(as_of)
    civil = cases.loc[cases["type_code"].eq("民初").fillna(False)].copy()
    civil = civil.loc[civil["filed_date"].notna() & (civil["filed_date"] <= as_of)]
    filed, closed = civil["filed_date"], civil["closed_date"].where(civil["closed_date"] <= as_of)
    days = (closed - filed).dt.days
    followed = filed + pd.Timedelta(days=HORIZON_DAYS) <= as_of
    civil["log_claim"] = np.log1p(civil["claim_amount"].astype("float64"))
    civil["closed_within_180"] = np.where(followed, (days <= HORIZON_DAYS).fillna(False).astype(float), np.nan)
    mature = closed.notna() & (closed + pd.Timedelta(days=APPEAL_WINDOW_DAYS) <= as_of)
    civil["appealed"] = np.where(mature, civil["appealed"].fillna(False).astype(bool).astype(float), np.nan)
    return civil.reset_index(drop=True)


def filed_case_data(cases: pd.DataFrame, starts: Mapping[str, pd.Timestamp], as_of: pd.Timestamp | str,
                    outcomes: Sequence[str] = CASE_OUTCOMES, period: str = "quarter", start=None, end=None,
                    concurrent: Mapping[str, pd.Timestamp] | None = None):
    """:class:`~courtstudy.studies.staggered.StaggeredData` of :func:`filed_case_sample`, courts
    as units, ``starts`` as adoption dates (NaT or absent = never). ``concurrent``: court -> the
    start of another reform that changes how cases are handled (a fast-track team): the court's
    cases filed on or after it are left out, so that reform is not credited to mediation (the
    triage rollout's convention, :mod:`courtstudy.studies.triage.rollout`); the count is in
    ``notes``."""
    from courtstudy.studies.staggered import prepare_staggered_data

    sample = filed_case_sample(cases, as_of)
    dropped = 0
    if concurrent:
        other = pd.to_datetime(sample["court"].astype(str).map(lambda c: concurrent.get(c)))
        after = (other.notna() & (sample["filed_date"] >= other)).to_numpy()
        dropped = int(after.sum())
        sample = sample.loc[~after].reset_index(drop=True)
    adoption = {str(c): starts.get(c) for c in sample["court"].dropna().astype(str).unique()}
    data = prepare_staggered_data(sample, unit="court", time="filed_date", adoption=adoption,
                                  outcomes=list(outcomes), period=period, start=start, end=end)
    if dropped:
        data.notes.setdefault("zh", []).append(f"{dropped} 件在本院另一项改革（速裁团队）开始后立案的案件未纳入。")
        data.notes.setdefault("en", []).append(f"{dropped} cases filed after their court started another reform "
                                               "(a fast-track team) are left out.")
    return data


def filed_case_effects(cases: pd.DataFrame, starts: Mapping[str, pd.Timestamp], as_of: pd.Timestamp | str,
                       outcomes: Sequence[str] = CASE_OUTCOMES, period: str = "quarter",
                       start=None, end=None, concurrent: Mapping[str, pd.Timestamp] | None = None, **options):
    """:class:`~courtstudy.studies.staggered.StaggeredResult` of the start of mediation on the
    filed cases' outcomes (module docstring); ``options`` go to ``staggered_effects``."""
    from courtstudy.studies.staggered import staggered_effects

    data = filed_case_data(cases, starts, as_of, outcomes, period=period, start=start, end=end,
                           concurrent=concurrent)
    settings = {"estimator": "imputation", "covariates": False, "randomization": False, **options}
    return staggered_effects(data, list(outcomes), **settings)
