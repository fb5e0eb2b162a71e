"""Time to closing with pending cases censored: one Kaplan-Meier, one median rule, one RMST.

Every survival figure of the package (the ``km_median_days`` and ``rmst_days`` indicators, the
Kaplan-Meier curves of the reports, the triage study's weighted curves and RMST effects) comes
from this module; it is tested against statsmodels' ``SurvfuncRight``.

* **Kaplan-Meier** (product limit): S(t) = prod over distinct times t_j <= t of (1 - d_j / n_j),
  d_j closings at t_j and n_j cases still open just before t_j (weighted sums when weights are
  given). Computed as exp(cumsum(log(1 - d/n))), the arithmetic of statsmodels' ``SurvfuncRight``
  (the sum compensated, as pandas' grouped cumsum does it: agreement to 1e-12 relative). Pending cases are censored at the as-of date
  (Grossman et al. 1981: dropping them understates durations).
* **Median**: the first event time with S(t) < 0.5, strictly; missing when the curve never
  falls below one half. This is the rule of statsmodels (``SurvfuncRight.quantile``) and SAS
  (PROC LIFETEST). R's ``survfit`` agrees except when S is exactly 0.5 over an interval, where
  it takes the midpoint of that interval; we keep the statsmodels rule so that every median is
  an observed closing time and the tests can compare with statsmodels exactly.
* **RMST(h)**: the area under S from 0 to the horizon h; S is 1 before the first closing and
  keeps its last value after the last one (Royston & Parmar 2013). Its standard error comes from
  the influence function of the product-limit estimator (:func:`rmst`).
* **Follow-up**: a cohort filed in [start, end] and observed at as_of has every case followed
  for at least ``as_of - end`` days. A survival figure that only looks at times up to that
  minimum (RMST with h <= it, a median <= it) is exactly the figure the settled data will give;
  one that looks further is extrapolated from the early filers and is *immature*
  (:func:`supported_horizon`, :func:`follow_up_days`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Survival probability below which the median is reached (strictly).
MEDIAN_LEVEL = 0.5
#: Shortest horizon worth reporting an RMST for; below it the figure is immature.
MIN_HORIZON = 30
#: Horizons chosen from the follow-up are whole multiples of this many days.
HORIZON_STEP = 30


@dataclass(frozen=True)
class ProductLimit:
    """The product-limit estimate at every distinct closing time of every cohort (rows sorted
    by cohort, then time): ``events`` d_j, ``at_risk`` n_j, ``survival`` S(t_j); ``cohorts``
    lists every cohort of the input, closings or not."""

    cohort: np.ndarray
    time: np.ndarray
    events: np.ndarray
    at_risk: np.ndarray
    survival: np.ndarray
    cohorts: np.ndarray


def product_limit(time, events, count=None, cohort=None) -> ProductLimit:
    """Kaplan-Meier estimates of many cohorts at once.

    Each input row is (``cohort`` id, ``time``, closings at that time ``events``, cases leaving
    the risk set at that time ``count``, closed or censored); rows may repeat a (cohort, time).
    For individual cases pass ``events`` = event indicator (times a weight) and ``count`` = 1
    (or the weight). ``cohort`` None: one cohort.
    """
    time = np.asarray(time, dtype="float64")
    d = np.asarray(events, dtype="float64")
    m = np.ones_like(time) if count is None else np.asarray(count, dtype="float64")
    c = (np.zeros(len(time), dtype="int64") if cohort is None
         else np.asarray(cohort, dtype="int64"))
    if not (len(time) == len(d) == len(m) == len(c)):
        raise ValueError("time, events, count and cohort have different lengths")
    if len(time) == 0:
        empty = np.zeros(0)
        ids = np.zeros(0, dtype="int64")
        return ProductLimit(ids, empty, empty, empty, empty, ids)
    order = _cohort_time_order(c, time)
    c, time, d, m = c[order], time[order], d[order], m[order]
    new = np.ones(len(time), dtype=bool)
    new[1:] = (c[1:] != c[:-1]) | (time[1:] != time[:-1])
    starts = np.flatnonzero(new)
    c, time = c[starts], time[starts]
    d, m = np.add.reduceat(d, starts), np.add.reduceat(m, starts)
    # Cases still open just before each time: the reverse cumulative count within the cohort
    # (the reverse cumulative count of everything, less that of the cohorts after it).
    first = np.r_[True, c[1:] != c[:-1]]
    bounds = np.flatnonzero(first)
    rev = np.cumsum(m[::-1])[::-1]
    after = np.r_[rev, 0.0][np.r_[bounds[1:], len(rev)]]
    at_risk = rev - np.repeat(after, np.diff(np.r_[bounds, len(rev)]))
    cohorts = c[bounds]
    ev = d > 0  # S changes only at closing times
    c, time, d, at_risk = c[ev], time[ev], d[ev], at_risk[ev]
    hazard_free = 1 - d / at_risk
    tiny = hazard_free < 1e-16
    hazard_free[tiny] = 1e-16
    surv = np.exp(pd.Series(np.log(hazard_free)).groupby(c).cumsum().to_numpy())
    surv[tiny] = 0
    return ProductLimit(c, time, d, at_risk, surv, cohorts)


def _cohort_time_order(cohort: np.ndarray, time: np.ndarray) -> np.ndarray:
    """The order that sorts rows by cohort, then time (stable). Whole-day times, the usual
    case, sort as one integer key (several times faster than a two-key lexsort)."""
    lo, hi = float(time.min()), float(time.max())
    c_lo, c_hi = int(cohort.min()), int(cohort.max())
    span = int(hi - lo) + 1
    if (np.all(time == np.floor(time)) and (c_hi - c_lo + 1) * span < 2**62):
        key = (cohort - c_lo) * span + (time - lo).astype("int64")
        return np.argsort(key, kind="stable")
    return np.lexsort((time, cohort))


def median_time(times: np.ndarray, survival: np.ndarray) -> float:
    """The median of one curve by the module's rule (first time with S < 0.5; NaN if none)."""
    below = np.flatnonzero(np.asarray(survival) < MEDIAN_LEVEL)
    return float(np.asarray(times)[below[0]]) if below.size else float("nan")


def cohort_medians(pl: ProductLimit) -> pd.Series:
    """Median of every cohort (index: cohort id; cohorts that never fall below 0.5 absent)."""
    ids, times, surv = pl.cohort, pl.time, pl.survival
    below = surv < MEDIAN_LEVEL
    return pd.Series(times[below]).groupby(ids[below]).first()


def cohort_rmst(pl: ProductLimit, horizon: float) -> pd.Series:
    """RMST(horizon) of every cohort that has at least one row (index: cohort id)."""
    if horizon <= 0:
        raise ValueError(f"the RMST horizon must be positive, got {horizon}")
    ids, times, surv = pl.cohort, pl.time, pl.survival
    frame = pd.DataFrame({"cohort": ids, "time": times})
    nxt = frame.groupby("cohort")["time"].shift(-1).fillna(horizon).to_numpy()
    pieces = surv * (np.minimum(nxt, horizon) - np.minimum(times, horizon))
    area = pd.Series(pieces).groupby(ids).sum()
    first = pd.Series(times).groupby(ids).first().clip(upper=horizon)
    cohorts = pd.Index(pl.cohorts)
    # S = 1 up to the first closing (the whole horizon when nothing closed).
    return (first.reindex(cohorts).fillna(horizon) + area.reindex(cohorts).fillna(0.0)
            ).astype("float64")


def cohort_summary(cohort, time, events, count, horizon: float = 365.0) -> pd.DataFrame:
    """Median and RMST of many cohorts at once (see :func:`product_limit` for the inputs):
    one row per cohort, ``cohort``, ``n``, ``events``, ``median``, ``rmst``."""
    if horizon <= 0:
        raise ValueError(f"the RMST horizon must be positive, got {horizon}")
    pl = product_limit(time, events, count, cohort)
    frame = pd.DataFrame({"cohort": np.asarray(cohort, dtype="int64"),
                          "m": np.asarray(count, dtype="float64"),
                          "d": np.asarray(events, dtype="float64")})
    out = frame.groupby("cohort").agg(n=("m", "sum"), events=("d", "sum")).reset_index()
    out["median"] = out["cohort"].map(cohort_medians(pl)).astype("float64")
    out["rmst"] = out["cohort"].map(cohort_rmst(pl, horizon)).astype("float64")
    return out[["cohort", "n", "events", "median", "rmst"]]


# -- one curve -------------------------------------------------------------------------------
@dataclass
class SurvivalCurve:
    """A step function at the closing times: ``time``, ``survival`` S(time), ``at_risk`` and
    ``events`` (weighted when weights were given), ``std_error`` (Greenwood)."""

    time: np.ndarray
    survival: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    std_error: np.ndarray

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"time": self.time, "survival": self.survival, "at_risk": self.at_risk,
                             "events": self.events, "std_error": self.std_error})

    def at(self, times: np.ndarray | float) -> np.ndarray:
        """S evaluated at ``times`` (right-continuous step function, S=1 before the first time)."""
        idx = np.searchsorted(self.time, np.atleast_1d(times), side="right") - 1
        return np.where(idx >= 0, self.survival[np.maximum(idx, 0)], 1.0)

    def median(self) -> float:
        """The median by the module's rule: the first time with S < 0.5 (NaN if none)."""
        return median_time(self.time, self.survival)


def check_durations(time, event, weights=None):
    """``time``, ``event`` and ``weights`` as float arrays, after checking them: times finite
    and non-negative, events 0 (censored) or 1 (closed), weights finite and non-negative."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    if time.shape != event.shape:
        raise ValueError("time and event have different lengths")
    if not np.isfinite(time).all() or (time < 0).any():
        raise ValueError("times must be finite and non-negative")
    if not np.isin(event, (0.0, 1.0)).all():
        raise ValueError("event must be 0 (censored) or 1 (closed)")
    w = np.ones_like(time) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != time.shape or (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite, non-negative, one per case")
    return time, event, w


def kaplan_meier(time, event, weights=None) -> SurvivalCurve:
    """(Weighted) Kaplan-Meier curve of individual cases; standard errors by Greenwood's formula
    on weighted counts with the Kish effective-size correction when weighted. With inverse-
    propensity weights normalised within an arm it estimates the arm's counterfactual curve
    (Cole & Hernan 2004; Xie & Liu 2005)."""
    time, event, w = check_durations(time, event, weights)
    pl = product_limit(time, w * event, w)
    d, n, surv = pl.events, pl.at_risk, pl.survival
    denom = n * (n - d)
    term = np.divide(d, denom, out=np.zeros_like(d), where=denom > 0)
    if weights is not None:
        # Greenwood on weighted counts assumes unit weights; sum(w^2)/sum(w) rescales the counts
        # to their effective size (equal weights give back the unweighted variance).
        term = term * np.sum(w**2) / np.sum(w)
    se = surv * np.sqrt(np.cumsum(term))
    return SurvivalCurve(pl.time, surv, n, d, se)


def km_steps(time, closed) -> pd.DataFrame:
    """A Kaplan-Meier curve for drawing: a first row (t = 0, S = 1), then one row per distinct
    closing time: ``time``, ``at_risk``, ``closings``, ``surv``."""
    closed = np.asarray(closed, dtype=bool)
    pl = product_limit(time, closed.astype("float64"))
    out = pd.DataFrame({"time": pl.time, "at_risk": pl.at_risk.astype("int64"),
                        "closings": pl.events.astype("int64"), "surv": pl.survival})
    start = pd.DataFrame({"time": [0.0], "at_risk": [len(closed)], "closings": [0], "surv": [1.0]})
    return pd.concat([start, out], ignore_index=True)


def rmst(time, event, horizon: float, weights=None) -> tuple[float, np.ndarray]:
    """Restricted mean time to closing up to ``horizon`` and its per-case influence values
    (``std_error = sqrt(sum IF^2)``).

    IF_i = -w_i [delta_i c_{j(i)} - sum_{u_j <= min(T_i, tau)} c_j h_j], c_j = A_j / (n_j (1 -
    h_j)), A_j = integral_{u_j}^tau S, h_j = d_j / n_j; with unit weights the variance sum IF_i^2
    is Greenwood's. Weights are treated as known (the propensity-estimation term is omitted).
    """
    time, event, w = check_durations(time, event, weights)
    pl = product_limit(time, w * event, w)
    value = float(cohort_rmst(pl, horizon).iloc[0]) if len(pl.time) else float(horizon)
    ev = pl.time < horizon
    u, d, nr, s = pl.time[ev], pl.events[ev], pl.at_risk[ev], pl.survival[ev]
    hh = d / nr
    widths = np.diff(np.append(u, horizon))
    a = np.cumsum((s * widths)[::-1])[::-1]  # A_j: S is s_j on [u_j, u_{j+1})
    denom = nr * (1 - hh)
    c = np.divide(a, denom, out=np.zeros_like(a), where=denom > 0)
    ch_cum = np.cumsum(c * hh)
    pos = np.searchsorted(u, np.minimum(time, horizon), side="right") - 1
    # A closing before the horizon is one of the times u: pos indexes the case's own.
    own_c = np.where(time < horizon, c[np.maximum(pos, 0)] if u.size else 0.0, 0.0)
    cum = np.where(pos >= 0, ch_cum[np.maximum(pos, 0)] if u.size else 0.0, 0.0)
    return value, -w * (event * own_c - cum)


# -- follow-up -------------------------------------------------------------------------------
def follow_up_days(period_end: pd.Timestamp | str, as_of: pd.Timestamp | str) -> int:
    """Days every case filed on or before ``period_end`` has been followed at ``as_of``."""
    return int((pd.Timestamp(as_of).normalize() - pd.Timestamp(period_end).normalize()).days)


def supported_horizon(period_end: pd.Timestamp | str, as_of: pd.Timestamp | str,
                      maximum: int = 365) -> int:
    """The longest RMST horizon the follow-up of a cohort filed up to ``period_end`` supports at
    ``as_of``: ``maximum`` when every case has been followed that long, else the follow-up
    rounded down to whole :data:`HORIZON_STEP` days, at least :data:`MIN_HORIZON` (a figure at
    that floor is still immature when the follow-up is shorter: see :func:`follow_up_days`)."""
    follow = follow_up_days(period_end, as_of)
    if follow >= maximum:
        return int(maximum)
    return int(max(MIN_HORIZON, follow // HORIZON_STEP * HORIZON_STEP))
