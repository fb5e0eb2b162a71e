"""True effects of a synthetic court, computed on its own sample from the potential outcomes.

For each treatment (simple track, fast-track team, small claims) and outcome, with uncensored
potential outcomes ``Y(1)``, ``Y(0)`` and the factual outcome ``Y``:

* ``ATT``   = mean of ``Y(1) - Y(0)`` over the treated cases;
* ``ATE``   = the same mean over the eligible cases (civil first instance filed where and when
  the treatment operated: after the court's triage_start / fast_track_start; money claims at or
  below the small-claims threshold);
* ``naive`` = mean ``Y`` of treated eligible cases minus mean ``Y`` of untreated eligible cases
  (the raw comparison, uncensored);
* ``bias``  = ``naive - ATT`` (what confounding by complexity adds to the raw comparison);
* ``LATE`` (small claims only) = ATT among small-claims cases with claims within 10% below the
  threshold, the effect a regression discontinuity at the threshold targets.

Outcomes: ``duration_days`` (mean days, uncensored), ``log_duration`` (mean log days),
``rmst_365`` (mean of min(days, 365)), ``closed_within_limit``, ``appealed``,
``reversal_remand`` (appealed and modified or remanded, per case), ``mediation_withdrawal``
(shares, as 0/1 means).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OUTCOMES: tuple[str, ...] = ("duration_days", "log_duration", "rmst_365", "closed_within_limit",
                             "appealed", "reversal_remand", "mediation_withdrawal")

#: component -> (study, treatment, latent column prefix, label)
TREATMENTS: dict[str, tuple[str, str, str, str]] = {
    "triage": ("triage", "simple_track", "", "simple track (track == 'simple')"),
    "fast_track": ("fast_track", "fast_track_team", "fast_track_",
                   "fast-track team (team_type == 'fast_track')"),
    "small_claims": ("small_claims", "small_claims", "small_claims_",
                     "small-claims procedure (procedure == 'small_claims')"),
}

TRUTH_COLUMNS: tuple[str, ...] = ("study", "treatment", "outcome", "estimand", "value", "n",
                                  "description")


def _transform(values: np.ndarray, outcome: str) -> np.ndarray:
    if outcome == "log_duration":
        return np.log(values)
    if outcome == "rmst_365":
        return np.minimum(values, 365.0)
    return values


def _source(outcome: str) -> str:
    return "duration_days" if outcome in ("log_duration", "rmst_365") else outcome


def potential_outcomes(latent: pd.DataFrame, component: str, outcome: str
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Y(0), Y(1), factual Y) of every case for a component and outcome (NaN where the case
    is not eligible)."""
    prefix = TREATMENTS[component][2]
    base = _source(outcome)
    y0 = _transform(latent[f"{prefix}{base}_0"].to_numpy(dtype=float), outcome)
    y1 = _transform(latent[f"{prefix}{base}_1"].to_numpy(dtype=float), outcome)
    y = _transform(latent[f"{base}_factual"].to_numpy(dtype=float), outcome)
    return y0, y1, y


def truth_table(latent: pd.DataFrame, treated: dict[str, np.ndarray],
                eligible: dict[str, np.ndarray], near_threshold: np.ndarray) -> pd.DataFrame:
    """The tidy truth table (columns :data:`TRUTH_COLUMNS`); see the module docstring."""
    rows = []
    for component, (study, treatment, _, label) in TREATMENTS.items():
        t = treated[component]
        e = eligible[component]
        control = e & ~t
        for outcome in OUTCOMES:
            y0, y1, y = potential_outcomes(latent, component, outcome)
            diff = y1 - y0
            att = float(diff[t].mean()) if t.any() else np.nan
            ate = float(diff[e].mean()) if e.any() else np.nan
            naive = (float(y[t].mean() - y[control].mean())
                     if t.any() and control.any() else np.nan)
            rows += [
                (study, treatment, outcome, "ATT", att, int(t.sum()),
                 f"mean Y(1) - Y(0) of {outcome} over the {int(t.sum())} cases treated by the {label}"),
                (study, treatment, outcome, "ATE", ate, int(e.sum()),
                 f"mean Y(1) - Y(0) of {outcome} over the {int(e.sum())} eligible cases"),
                (study, treatment, outcome, "naive", naive, int(e.sum()),
                 f"raw difference in mean {outcome}, treated minus untreated eligible cases (uncensored)"),
                (study, treatment, outcome, "bias", naive - att, int(e.sum()),
                 "naive minus ATT: the confounding a raw comparison carries"),
            ]
            if component == "small_claims":
                near = t & near_threshold
                rows.append((study, treatment, outcome, "LATE",
                             float(diff[near].mean()) if near.any() else np.nan, int(near.sum()),
                             "mean Y(1) - Y(0) of small-claims cases with claims within 10% "
                             "below the threshold (what an RD at the threshold targets)"))
    table = pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))
    for col in ("study", "treatment", "outcome", "estimand", "description"):
        table[col] = table[col].astype("string")
    table["n"] = table["n"].astype("Int64")
    return table
