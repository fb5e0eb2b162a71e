"""Funnel plots of a rate by judge or team against the court's own rate: control limits, not a
ranking (Spiegelhalter 2005, "Funnel plots for comparing institutional performance",
*Statistics in Medicine* 24: 1185-1202).

Each case ``i`` gets an expected probability ``p_i``: the rate of its court's *other* judges
(or teams) in its stratum (e.g. procedure class, filing year and cause, so that a judge who
hears harder cases, or cases filed under the 2022 rules, is compared like with like: indirect
standardisation; leaving the group out keeps a judge who dominates a stratum from setting his
own benchmark). For a group ``g`` (a judge or a team)::

    O = sum of the indicator over its cases,  E = sum p_i,  V = sum p_i (1 - p_i)
    ratio = O / E,   z = (O - E) / sqrt(V)

Under the null "the group behaves like its court", ``ratio`` has mean 1 and variance
``s^2 = V / E^2``; the control limits at a precision ``E`` are ``1 +/- z_a * s`` with
``z_a`` = 1.96 (95%) and 3.09 (99.8%). Real groups differ more than binomial noise allows
(over-dispersion): with ``phi`` the mean of the squared z-scores winsorised at 10% each side,
an additive between-group variance (the random-effects limits of Spiegelhalter's section 3.2)::

    tau^2 = max(0, (N phi - (N - 1)) / (sum w - sum w^2 / sum w)),   w = 1 / s^2

widens the limits to ``1 +/- z_a sqrt(s^2 + tau^2)``. A group is flagged when its ratio lies
above the upper 99.8% limit. Groups with ``E`` below ``min_expected`` are shown but not
flagged. Rows come in name order: the table is never a league table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Two-sided levels of the control limits and their normal quantiles.
LIMITS: dict[str, float] = {"95": float(stats.norm.ppf(0.975)), "99.8": float(stats.norm.ppf(0.999))}


@dataclass
class Funnel:
    """A funnel table: one row per group (``by`` columns, ``cases``, ``observed``,
    ``expected``, ``ratio``, ``z``, ``lower95``/``upper95``/``lower99.8``/``upper99.8`` at the
    group's own precision, ``above99.8``, ``below99.8``), the over-dispersion ``phi`` and
    ``tau2``, and the court-level ``rate`` overall."""

    measure: str
    by: list[str]
    table: pd.DataFrame
    phi: float
    tau2: float
    rate: float
    #: groups expecting fewer events than this are shown but never flagged
    min_expected: float = 5.0

    def limits_curve(self, expected: np.ndarray) -> pd.DataFrame:
        """The limits as a function of the expected count (for drawing the funnel), using the
        overall rate for the binomial variance."""
        e = np.asarray(expected, dtype=float)
        s2 = (1 - self.rate) / np.maximum(e, 1e-9)
        out = {"expected": e}
        for name, z in LIMITS.items():
            half = z * np.sqrt(s2 + self.tau2)
            out[f"lower{name}"] = np.maximum(1 - half, 0)
            out[f"upper{name}"] = 1 + half
        return pd.DataFrame(out)


def overdispersion(z: np.ndarray, s2: np.ndarray, winsor: float = 0.10) -> tuple[float, float]:
    """(phi, tau^2) of Spiegelhalter's additive random-effects funnel (module docstring)."""
    z, s2 = np.asarray(z, dtype=float), np.asarray(s2, dtype=float)
    ok = np.isfinite(z) & np.isfinite(s2) & (s2 > 0)
    z, s2 = z[ok], s2[ok]
    n = len(z)
    if n < 3:
        return 1.0, 0.0
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    phi = float(np.mean(np.clip(z, lo, hi) ** 2))
    w = 1 / s2
    denominator = w.sum() - (w ** 2).sum() / w.sum()
    tau2 = max(0.0, (n * phi - (n - 1)) / denominator) if denominator > 0 else 0.0
    return phi, float(tau2)


def _rest_rate(y: pd.Series, keys: pd.DataFrame, by: list[str], cell: list[str],
               reference: list[str]) -> pd.Series:
    """Each case's expected probability: the rate of its cell among the *other* groups' cases
    (leave the group out, so a group that dominates a cell does not set its own benchmark);
    where no other group has the cell, the rest of the reference group overall; where there
    is no rest, the cell including the group."""
    def sums(columns: list[str]) -> tuple[pd.Series, pd.Series]:
        if not columns:
            return pd.Series(y.sum(), index=y.index), pd.Series(float(len(y)), index=y.index)
        g = y.groupby([keys[c] for c in columns])
        return g.transform("sum"), g.transform("size").astype(float)

    own_cols = list(dict.fromkeys([*cell, *by]))
    cell_sum, cell_n = sums(cell)
    own_sum, own_n = sums(own_cols)
    ref_cols = list(dict.fromkeys([*reference, *by]))
    ref_sum, ref_n = sums(reference)
    ref_own_sum, ref_own_n = sums(ref_cols)
    rest_n = cell_n - own_n
    rest = (cell_sum - own_sum) / rest_n.where(rest_n > 0)
    rest_ref_n = ref_n - ref_own_n
    fallback = (ref_sum - ref_own_sum) / rest_ref_n.where(rest_ref_n > 0)
    return rest.fillna(fallback).fillna(cell_sum / cell_n)


def funnel(cases: pd.DataFrame, indicator: pd.Series | np.ndarray, by: str | Sequence[str],
           *, reference: str | Sequence[str] = ("court",), strata: Sequence[str] = (),
           measure: str = "", min_expected: float = 5.0) -> Funnel:
    """The funnel table of a 0/1 ``indicator`` (one value per row of ``cases``) by ``by``
    (e.g. ``["court", "judge"]``), against the rate of the ``reference`` group (the court) in
    each stratum (columns of ``cases`` or of ``strata``; see the module docstring)."""
    by = [by] if isinstance(by, str) else list(by)
    reference = [reference] if isinstance(reference, str) else list(reference)
    y = pd.Series(np.asarray(indicator, dtype=float), index=cases.index)
    keys = cases[list(dict.fromkeys([*reference, *by, *strata]))].astype("string").fillna("(missing)")
    p = _rest_rate(y, keys, by, [*reference, *strata], reference)
    frame = pd.DataFrame({"o": y, "e": p, "v": p * (1 - p)})
    grouped = frame.groupby([keys[c] for c in by]).agg(cases=("o", "size"), observed=("o", "sum"),
                                                      expected=("e", "sum"), variance=("v", "sum"))
    grouped = grouped.reset_index()
    e, v, o = grouped["expected"], grouped["variance"], grouped["observed"]
    ratio = o / e.where(e > 0)
    z = (o - e) / np.sqrt(v.where(v > 0))
    s2 = v / (e ** 2).where(e > 0)
    usable = e >= min_expected
    phi, tau2 = overdispersion(z[usable].to_numpy(), s2[usable].to_numpy())
    grouped["ratio"] = ratio
    grouped["z"] = z
    for name, zq in LIMITS.items():
        half = zq * np.sqrt(s2 + tau2)
        grouped[f"lower{name}"] = np.maximum(1 - half, 0)
        grouped[f"upper{name}"] = 1 + half
    grouped["above99.8"] = usable & (ratio > grouped["upper99.8"])
    grouped["below99.8"] = usable & (ratio < grouped["lower99.8"])
    grouped = grouped.drop(columns="variance").sort_values(by, kind="stable").reset_index(drop=True)
    return Funnel(measure=measure, by=by, table=grouped, phi=phi, tau2=tau2, rate=float(y.mean()),
                  min_expected=min_expected)
