"""The time-series alternative: exponential smoothing of each group's monthly counts.

For each group, monthly filings and closings (complete months up to the projection day, which
must be a month end) are modelled on the log scale, ``log(1 + count)``, by an ETS model with
additive errors, a damped additive trend and, with at least 24 months of history, an additive
12-month season (statsmodels ``ETSModel``; Hyndman & Athanasopoulos, *Forecasting: Principles
and Practice*, ch. 8). The rest of the year is simulated from the fitted state-space model
(``ETSResults.simulate``, ``anchor="end"``) and summed month by month. The pending stock at
year end is the stock on the projection day plus simulated filings minus closings; the counts
pending over 12 and 18 months are each an ETS model (damped trend, no season) of the month-end
series, read at the last month of the year.

Filings and closings are simulated independently: the model knows nothing of the stock's ages
or of cases closing because they were filed. It is here to be compared with the case-level
model in the backtest (:mod:`courtstudy.monitoring.backtest`), as the issue asks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from courtstudy.core.calendar import month_index
from courtstudy.monitoring.caseflow import NEVER, CaseFlow, day_number


def _month_index(days: np.ndarray) -> np.ndarray:
    return month_index(np.asarray(days, dtype=np.int64))


def monthly_series(flow: CaseFlow, last_month: int) -> dict[str, np.ndarray]:
    """Per unit and month (from the first filing's month to ``last_month``, month indexes since
    1970-01): ``filed``, ``closed`` and, at each month end, ``over_12m`` and ``over_18m``
    (pending and over that age). Arrays have shape (units, months)."""
    first = int(_month_index(np.array([flow.first_filed]))[0])
    months = last_month - first + 1
    n = flow.n_units

    def counts(days: np.ndarray, mask: np.ndarray) -> np.ndarray:
        m = _month_index(days[mask]) - first
        ok = (m >= 0) & (m < months)
        flat = flow.unit[mask][ok] * months + m[ok]
        return np.bincount(flat, minlength=n * months).reshape(n, months)

    everything = np.ones(len(flow.filed), dtype=bool)
    closed_known = flow.closed != NEVER
    out = {"filed": counts(flow.filed, everything), "closed": counts(flow.closed, closed_known)}
    for name, start in (("over_12m", flow.over12), ("over_18m", flow.over18)):
        # A case counts at a month end when it is over the age and not yet closed.
        alive = start < flow.closed
        begin = counts(start, alive).cumsum(axis=1)
        end = counts(flow.closed, alive & closed_known).cumsum(axis=1)
        out[name] = begin - end
    return out


def _paths(series: np.ndarray, horizon: int, n_draws: int, seasonal: bool,
           rng: np.random.Generator) -> np.ndarray:
    """Simulated paths (n_draws, horizon) of a count series from an ETS model on log(1 + y)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = np.log1p(np.asarray(series, dtype=float))
    if len(y) < 6 or np.ptp(y) == 0:
        # Too short or constant to fit: the last value persists.
        return np.full((n_draws, horizon), np.expm1(y[-1]) if len(y) else 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=True,
                         seasonal="add" if seasonal else None,
                         seasonal_periods=12 if seasonal else None)
        fit = model.fit(disp=False)
        sims = fit.simulate(nsimulations=horizon, repetitions=n_draws, anchor="end",
                            rng=rng)
    return np.clip(np.expm1(np.asarray(sims, dtype=float).reshape(horizon, n_draws).T), 0, None)


def project_ets(flow: CaseFlow, origin: pd.Timestamp, *, n_draws: int = 1000,
                rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """Draws (units, n_draws) of ``filed_rest``, ``closed_rest``, ``over_12m`` and ``over_18m``
    at the end of ``origin``'s year. ``origin`` must be the last day of a month before December."""
    rng = np.random.default_rng(0) if rng is None else rng
    origin = pd.Timestamp(origin).normalize()
    if not origin.is_month_end or origin.month == 12:
        raise ValueError(f"the ETS projection starts at the end of a month before December, "
                         f"not {origin.date()}")
    last_month = int(_month_index(np.array([day_number(origin)]))[0])
    series = monthly_series(flow, last_month)
    months = series["filed"].shape[1]
    horizon = 12 - origin.month
    seasonal = months >= 24
    out = {k: np.zeros((flow.n_units, n_draws)) for k in ("filed_rest", "closed_rest", "over_12m", "over_18m")}
    for unit in range(flow.n_units):
        out["filed_rest"][unit] = _paths(series["filed"][unit], horizon, n_draws, seasonal, rng).sum(axis=1)
        out["closed_rest"][unit] = _paths(series["closed"][unit], horizon, n_draws, seasonal, rng).sum(axis=1)
        for name in ("over_12m", "over_18m"):
            out[name][unit] = _paths(series[name][unit], horizon, n_draws, False, rng)[:, -1]
    return {k: np.rint(v) for k, v in out.items()}
