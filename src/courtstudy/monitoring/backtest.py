"""Backtest of the year-end projection: projections made at the end of March, June and
September of past years against what the year end turned out to be.

For each past year ``Y`` whose end the data hold and each origin, :func:`backtest_projections`
projects from the data *as known on the origin* (nothing later is used: tested) and sets the
projection beside the actual year end. :func:`coverage_table` then reports, per method and
indicator:

* ``coverage80`` / ``coverage95``: the share of actual year ends inside the 80% / 95%
  prediction intervals (targets 75-85% and 92-98%);
* ``mae``: mean absolute error of the point projection (the median), in the indicator's unit
  (cases, or a share: 0.01 = one percentage point), and ``mae_naive`` of the office's
  year-to-date extrapolation on the same projections; ``mae_ratio`` = mae / mae_naive (below 1:
  better than naive);
* ``mape`` / ``mape_naive``: the same as mean absolute percentage errors (counts and ratios
  whose actual value is not zero);
* ``n``: projections (groups x years x origins).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from courtstudy.monitoring.caseflow import CaseFlow
from courtstudy.monitoring.projection import LEVELS, PROJECTED, project_from_flow

#: The origins of the issue: end of March, June and September.
ORIGINS: tuple[str, ...] = ("03-31", "06-30", "09-30")


def backtest_projections(cases: pd.DataFrame, *, as_of: pd.Timestamp | str, years: Sequence[int],
                         origins: Sequence[str] = ORIGINS, by: Sequence[str] = ("court",),
                         methods: Sequence[str] = ("stock", "ets"), history_years: int = 3,
                         n_draws: int = 2000, seed: int = 20240101,
                         levels: Sequence[float] = LEVELS) -> pd.DataFrame:
    """Projection and actual of every group, indicator, year, origin and method: the group
    columns, ``year``, ``origin`` (ISO date), ``method``, ``indicator``, ``projected``,
    ``lo80`` ... ``hi95``, ``naive``, ``actual``. Years whose end is after ``as_of`` are refused."""
    as_of = pd.Timestamp(as_of).normalize()
    late = [y for y in years if pd.Timestamp(year=y, month=12, day=31) > as_of]
    if late:
        raise ValueError(f"years {late} end after the data's as-of date {as_of.date()}: their "
                         "actual year end is not known")
    flow = CaseFlow.from_cases(cases, list(by), as_of)
    frames = []
    for year in years:
        for k, origin in enumerate(origins):
            day = pd.Timestamp(f"{year}-{origin}")
            for method in methods:
                p = project_from_flow(flow, day, by=list(by), method=method, history_years=history_years,
                                      n_draws=n_draws, seed=seed + 1000 * year + k, levels=levels)
                t = p.table.assign(year=year, origin=day.date().isoformat(), method=method,
                                   history=len(p.history_years))
                frames.append(t)
    return pd.concat(frames, ignore_index=True)


def coverage_table(projections: pd.DataFrame, levels: Sequence[float] = LEVELS,
                   by: Sequence[str] = ("method", "indicator")) -> pd.DataFrame:
    """Coverage and errors of the projections (see the module docstring), one row per
    ``by`` combination plus, per method, a row ``indicator = "all"`` pooling the indicators."""
    t = projections.dropna(subset=["actual", "projected"]).copy()
    for level in levels:
        pct = round(level * 100)
        t[f"coverage{pct}"] = ((t["actual"] >= t[f"lo{pct}"]) & (t["actual"] <= t[f"hi{pct}"])).astype(float)
    t["abs_error"] = (t["projected"] - t["actual"]).abs()
    t["abs_error_naive"] = (t["naive"] - t["actual"]).abs()
    nonzero = t["actual"] != 0
    t["ape"] = (t["abs_error"] / t["actual"].abs()).where(nonzero)
    t["ape_naive"] = (t["abs_error_naive"] / t["actual"].abs()).where(nonzero)
    cover = [f"coverage{round(level * 100)}" for level in levels]

    def summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        agg = frame.groupby(keys, sort=False).agg(
            n=("actual", "size"), **{c: (c, "mean") for c in cover},
            mae=("abs_error", "mean"), mae_naive=("abs_error_naive", "mean"),
            mape=("ape", "mean"), mape_naive=("ape_naive", "mean")).reset_index()
        agg["mae_ratio"] = agg["mae"] / agg["mae_naive"]
        return agg

    keys = list(by)
    out = summarise(t, keys)
    if "indicator" in keys:
        rest = [k for k in keys if k != "indicator"]
        pooled = summarise(t.assign(indicator="all"), [*rest, "indicator"]) if rest else \
            summarise(t.assign(indicator="all"), ["indicator"])
        out = pd.concat([out, pooled[out.columns]], ignore_index=True)
        order = {n: i for i, n in enumerate([*PROJECTED, "all"])}
        out = out.sort_values([*rest, "indicator"], key=lambda s: s.map(order) if s.name == "indicator"
                              else s, kind="stable").reset_index(drop=True)
    return out


def within_target(value: float, level: float) -> bool:
    """Whether a coverage is inside the issue's target band (75-85% for 80%, 92-98% for 95%)."""
    band = {0.80: (0.75, 0.85), 0.95: (0.92, 0.98)}.get(round(level, 2))
    if band is None:
        return bool(np.isclose(value, level, atol=0.05))
    return band[0] <= value <= band[1]
