"""True effects on an analysis sample, from a synthetic court's potential outcomes.

The simulator's truth table (``sim.truth``) averages over all its treated / eligible cases with
uncensored outcomes. An estimate is of the effect on *its* cases (appeals only for mature
closings, capped durations only for cohorts followed past the horizon...), so the Monte Carlo
benchmark and the tests compare each estimate with the truth on exactly the cases it used:

    ATT = mean over treated cases with the outcome of Y(1) - Y(0),
    ATE = the same over all cases with the outcome,

with Y(d) from ``sim.latent`` (``duration_days`` capped at the horizon for ``days_capped_<h>``
and ``rmst_<h>``; the 0/1 outcomes as they are).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from courtstudy.studies.triage.sample import AnalysisSample

_PREFIX = {"triage": "", "fast_track": "fast_track_", "small_claims": "small_claims_"}


def _potential(latent: pd.DataFrame, prefix: str, base: str) -> tuple[np.ndarray, np.ndarray]:
    return (latent[f"{prefix}{base}_0"].to_numpy(dtype=float), latent[f"{prefix}{base}_1"].to_numpy(dtype=float))


def sample_truth(sample: AnalysisSample, latent: pd.DataFrame, component: str | None = None) -> pd.DataFrame:
    """Rows ``outcome, estimand ("ATT"|"ATE"), truth, n`` for every outcome of ``sample``.

    ``component`` ("triage" or "fast_track") defaults to the sample's treatment name.
    """
    component = component or sample.treatment_name
    prefix = _PREFIX[component]
    lat = latent.set_index(latent["case_id"].astype("string"))
    lat = lat.loc[sample.frame["case_id"].astype("string")]
    t = sample.treatment.astype(bool)
    rows = []
    for name, out in sample.outcomes.items():
        if name.startswith("days_capped_") or name == "time_to_close":
            horizon = float(name.rsplit("_", 1)[1]) if name.startswith("days_capped_") else float(sample.horizon)
            y0, y1 = _potential(lat, prefix, "duration_days")
            y0, y1 = np.minimum(y0, horizon), np.minimum(y1, horizon)
            label = name if name.startswith("days_capped_") else f"rmst_{sample.horizon}"
        else:
            try:
                y0, y1 = _potential(lat, prefix, name)
            except KeyError:
                continue
            label = name
        mask = out.mask if name != "time_to_close" else np.ones(sample.n, dtype=bool)
        diff = y1 - y0
        rows.append({"outcome": label, "estimand": "ATT", "truth": float(np.mean(diff[mask & t])),
                     "n": int((mask & t).sum())})
        rows.append({"outcome": label, "estimand": "ATE", "truth": float(np.mean(diff[mask])),
                     "n": int(mask.sum())})
    return pd.DataFrame(rows)


def rollout_truth(sample, latent: pd.DataFrame, used: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """True effects of routing on the routed cases of a rollout sample
    (:class:`~courtstudy.studies.triage.rollout.RolloutSample`), against a world with no triage.

    For each outcome, over the routed cases filed after their court's start that the estimate
    used (``used[outcome]``, a mask over the sample's rows; default every case with the outcome):
    ``total`` = mean of ``Y(routed) - Y(no triage)``, split into ``procedure_channel`` = mean of
    ``Y(routed) - Y(routed, no-triage procedure)`` (for appeals: small claims' finality) and
    ``other`` = mean of ``Y(routed, no-triage procedure) - Y(no triage)`` (``sim.latent``'s
    ``*_1``, ``direct_*_1`` and ``*_0``); ``itt`` = the sum of ``Y(routed) - Y(no triage)`` over
    those routed cases divided by every case filed after the start that the estimate used
    (routed or not: cases left complex are unaffected, the exclusion restriction), and
    ``first_stage`` = the share of those cases routed. Rows: ``outcome, component, truth, n``.
    """
    lat = latent.set_index(latent["case_id"].astype("string"))
    lat = lat.loc[sample.frame["case_id"].astype("string")]
    routed = (sample.routed == 1) & sample.started
    rows = []
    for name, out in sample.outcomes.items():
        if name.startswith("days_capped_"):
            base, cap = "duration_days", float(name.rsplit("_", 1)[1])
        elif f"{name}_1" in lat.columns:
            base, cap = name, None
        else:
            continue
        mask = out.mask & routed
        if used is not None and name in used:
            mask &= used[name]
        cols = [f"{base}_1", f"direct_{base}_1", f"{base}_0"]
        if not set(cols) <= set(lat.columns):
            continue
        y1, yd, y0 = (lat[c].to_numpy(dtype=float) for c in cols)
        if cap is not None:
            y1, yd, y0 = np.minimum(y1, cap), np.minimum(yd, cap), np.minimum(y0, cap)
        n = int(mask.sum())
        for component, diff in (("total", y1 - y0), ("procedure_channel", y1 - yd), ("other", yd - y0)):
            rows.append({"outcome": name, "component": component,
                         "truth": float(np.mean(diff[mask])) if n else np.nan, "n": n})
        # Intention to treat and first stage over every case the ITT averages (routed or not).
        # Cases a triaging court leaves complex count as unaffected: true in the simulator
        # unless its exclusion_violation is set (then the ITT's truth here leaves that part out).
        treated = out.mask & sample.started
        if used is not None and name in used:
            treated &= used[name]
        n_all = int(treated.sum())
        if n_all:
            itt = float(np.sum((y1 - y0)[mask]) / n_all)
            rows.append({"outcome": name, "component": "itt", "truth": itt, "n": n_all})
            rows.append({"outcome": name, "component": "first_stage", "truth": n / n_all, "n": n_all})
    return pd.DataFrame(rows)
