"""Sufficient statistics of every unit-period cell, computed once per outcome.

The imputation estimator, Callaway-Sant'Anna without covariates, and their variances are
functions of per-cell sums only: with ``y`` the outcome columns and ``x`` the covariates of the
cases of cell (u, t)::

    N = #cases,  Sy = sum y,  Syy = sum y^2,  Sx = sum x,  Sxx = sum x x',  Sxy = sum x y'

So an estimator is refitted under a new assignment of adoption dates (randomisation inference),
for several outcomes at once, without touching the cases again. Cases whose outcome is missing
are left out of that outcome's statistics; outcomes with the same missing cases share one
:class:`CellStats` (:func:`cell_stats_by_mask`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from courtstudy.studies.staggered.data import StaggeredData


@dataclass(frozen=True)
class CellStats:
    """Per-cell sums (arrays indexed ``[unit, period, ...]``) of the outcomes ``names``.

    ``n``: (U, T); ``sy``, ``syy``: (U, T, m); ``sx``: (U, T, k); ``sxx``: (U, T, k, k);
    ``sxy``: (U, T, k, m). ``cohort``: adoption period per unit (-1 never)."""

    names: tuple[str, ...]
    n: np.ndarray
    sy: np.ndarray
    syy: np.ndarray
    sx: np.ndarray
    sxx: np.ndarray
    sxy: np.ndarray
    cohort: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.n.shape

    @property
    def k(self) -> int:
        return self.sx.shape[-1]

    @property
    def m(self) -> int:
        return self.sy.shape[-1]

    def means(self) -> np.ndarray:
        """Cell means of the outcomes (U, T, m); NaN in empty cells."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sy / self.n[..., None]

    def within_variance(self, beta: np.ndarray | None = None) -> np.ndarray:
        """Within-cell variance (ddof 1) of ``y - x'beta`` per cell and outcome (U, T, m);
        ``beta`` is (k, m) (default zero). Cells with fewer than two cases get the pooled value."""
        n = self.n[..., None]
        if beta is None or self.k == 0:
            ss = self.syy - self.sy**2 / np.where(n > 0, n, 1)
        else:
            # sum (y - x'b)^2 = Syy - 2 b'Sxy + b'Sxx b ; sum (y - x'b) = Sy - Sx'b
            bsxy = np.einsum("utkm,km->utm", self.sxy, beta)
            bsxxb = np.einsum("km,utkl,lm->utm", beta, self.sxx, beta)
            total = self.sy - np.einsum("utk,km->utm", self.sx, beta)
            ss = self.syy - 2 * bsxy + bsxxb - total**2 / np.where(n > 0, n, 1)
        ss = np.maximum(ss, 0.0)
        dof = np.maximum(n - 1, 0)
        pooled = ss.sum(axis=(0, 1)) / np.maximum(dof.sum(axis=(0, 1)), 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(dof > 0, ss / np.where(dof > 0, dof, 1), pooled[None, None, :])
        return var

    def with_columns(self, extra: CellStats) -> CellStats:
        """These statistics with ``extra``'s outcome columns appended (same cases required)."""
        if not np.array_equal(self.n, extra.n):
            raise ValueError("with_columns: the two statistics cover different cases")
        return CellStats(self.names + extra.names, self.n,
                         np.concatenate([self.sy, extra.sy], axis=-1),
                         np.concatenate([self.syy, extra.syy], axis=-1), self.sx, self.sxx,
                         np.concatenate([self.sxy, extra.sxy], axis=-1), self.cohort)


def cell_stats(data: StaggeredData, y: np.ndarray, names: Sequence[str],
               rows: np.ndarray | None = None, use_covariates: bool = True) -> CellStats:
    """Cell sums of the columns of ``y`` (n x m, no NaN in ``rows``) over the cases ``rows``
    (boolean mask, default all). ``use_covariates=False`` drops the covariates (k = 0)."""
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    rows = np.ones(data.n_cases, bool) if rows is None else np.asarray(rows, bool)
    n_u, n_t = data.n_units, data.n_periods
    n_cells = n_u * n_t
    cell = data.cell[rows]
    yy = y[rows]
    if not np.isfinite(yy).all():
        raise ValueError("cell_stats: outcomes must be finite on the rows used")
    x = data.covariates[rows] if use_covariates else np.zeros((len(cell), 0))
    k, m = x.shape[1], yy.shape[1]
    n = np.bincount(cell, minlength=n_cells).astype(float)
    sy = np.stack([np.bincount(cell, yy[:, j], minlength=n_cells) for j in range(m)], axis=-1)
    syy = np.stack([np.bincount(cell, yy[:, j] ** 2, minlength=n_cells) for j in range(m)], axis=-1)
    sx = np.zeros((n_cells, k))
    sxx = np.zeros((n_cells, k, k))
    sxy = np.zeros((n_cells, k, m))
    if k:
        for j in range(k):
            sx[:, j] = np.bincount(cell, x[:, j], minlength=n_cells)
        # cases are sorted by cell (StaggeredData), so each cell is a contiguous slice of `rows`
        bounds = np.searchsorted(cell, np.arange(n_cells + 1))
        if not np.all(np.diff(cell) >= 0):
            order = np.argsort(cell, kind="stable")
            cell, x, yy = cell[order], x[order], yy[order]
            bounds = np.searchsorted(cell, np.arange(n_cells + 1))
        for c in np.flatnonzero(n):
            lo, hi = bounds[c], bounds[c + 1]
            xc = x[lo:hi]
            sxx[c] = xc.T @ xc
            sxy[c] = xc.T @ yy[lo:hi]
    return CellStats(tuple(names), n.reshape(n_u, n_t), sy.reshape(n_u, n_t, m),
                     syy.reshape(n_u, n_t, m), sx.reshape(n_u, n_t, k), sxx.reshape(n_u, n_t, k, k),
                     sxy.reshape(n_u, n_t, k, m), data.cohort.copy())


def cell_stats_by_mask(data: StaggeredData, outcomes: Sequence[str],
                       use_covariates: bool = True) -> list[tuple[np.ndarray, CellStats]]:
    """Group ``outcomes`` by their observed cases and compute one :class:`CellStats` per
    group. Returns ``(rows, stats)`` pairs, ``rows`` the boolean mask of cases used."""
    groups: dict[bytes, list[str]] = {}
    masks: dict[bytes, np.ndarray] = {}
    for name in outcomes:
        ok = np.isfinite(data.outcomes[name])
        key = np.packbits(ok).tobytes()
        groups.setdefault(key, []).append(name)
        masks[key] = ok
    out = []
    for key, names in groups.items():
        rows = masks[key]
        y = np.column_stack([np.where(rows, data.outcomes[n], 0.0) for n in names])
        out.append((rows, cell_stats(data, y, names, rows, use_covariates)))
    return out
