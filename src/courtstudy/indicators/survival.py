"""Kaplan-Meier median and restricted mean time to closing, per filing cohort.

A cohort is the set of cases filed in one period (and group). Time is ``(closed_date or as_of) -
filed_date`` in days; the event is "closed on or before as_of", so pending cases are censored at
the as-of date (Grossman et al. 1981: dropping pending cases understates durations).

* Survival S(t) = prod over event times t_i <= t of (1 - d_i / n_i), with d_i closings at t_i
  and n_i cases still open just before t_i. It is computed as exp(cumsum(log(1 - d/n))), the
  same arithmetic as statsmodels' ``SurvfuncRight``, so that results agree to the last digit.
* Median: the first event time with S(t) < 0.5 (strict, as SAS and statsmodels); missing when
  the curve never falls below one half.
* RMST(h): the area under S from 0 to the horizon h (default 365 days); S is 1 before the first
  event and keeps its last value after the last event time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def km_table(cohort: np.ndarray, time: np.ndarray, events: np.ndarray, count: np.ndarray,
             horizon: float = 365.0) -> pd.DataFrame:
    """KM median and RMST of many cohorts at once.

    Each input row is (cohort id, time, number of closings at that time, number of cases at
    that time, closed or censored); rows may repeat a (cohort, time). Returns one row per
    cohort: ``cohort``, ``n``, ``events``, ``median``, ``rmst``.
    """
    if horizon <= 0:
        raise ValueError(f"the RMST horizon must be positive, got {horizon}")
    frame = pd.DataFrame({"cohort": np.asarray(cohort, dtype="int64"),
                          "time": np.asarray(time, dtype="float64"),
                          "d": np.asarray(events, dtype="float64"),
                          "m": np.asarray(count, dtype="float64")})
    per_time = frame.groupby(["cohort", "time"], sort=True).sum().reset_index()
    ids = per_time["cohort"].to_numpy()
    # Cases still open just before each time: reverse cumulative count within the cohort.
    rev = per_time.iloc[::-1]
    at_risk = rev.groupby("cohort")["m"].cumsum().iloc[::-1].to_numpy()
    totals = per_time.groupby("cohort").agg(n=("m", "sum"), events=("d", "sum"))
    ev = per_time["d"].to_numpy() > 0
    e_ids, n = ids[ev], at_risk[ev]
    e_time, d = per_time["time"].to_numpy()[ev], per_time["d"].to_numpy()[ev]
    sp = 1 - d / n
    tiny = sp < 1e-16
    sp[tiny] = 1e-16
    logs = pd.Series(np.log(sp)).groupby(e_ids).cumsum().to_numpy()
    surv = np.exp(logs)
    surv[tiny] = 0
    events = pd.DataFrame({"cohort": e_ids, "time": e_time, "surv": surv})

    below = events[events["surv"] < 0.5]
    median = below.groupby("cohort")["time"].first()

    clipped = np.minimum(events["time"].to_numpy(), horizon)
    nxt = events.groupby("cohort")["time"].shift(-1).fillna(horizon).to_numpy()
    pieces = events["surv"].to_numpy() * (np.minimum(nxt, horizon) - clipped)
    area = pd.Series(pieces).groupby(e_ids).sum()
    first = events.groupby("cohort")["time"].first().clip(upper=horizon)

    out = totals.reset_index()
    cid = out["cohort"]
    out["median"] = cid.map(median).astype("float64")
    out["rmst"] = (cid.map(first).fillna(horizon) + cid.map(area).fillna(0.0)).astype("float64")
    return out[["cohort", "n", "events", "median", "rmst"]]

