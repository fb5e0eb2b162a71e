"""The imputation estimator of Borusyak, Jaravel & Spiess (2024) on case-level data.

Untreated potential outcomes of case ``i`` of unit ``u`` filed in period ``t``::

    Y_i(0) = alpha_u + lambda_t + x_i' beta + e_i

is fitted by OLS on every *untreated* case (never-adopting units, and adopting units before
their adoption period): every pre-period of every unit informs the unit's level ``alpha_u``, not
only the period before adoption. Each treated case gets the imputed ``Y_i(0)`` and its effect
``tau_i = Y_i - Y_i(0)``; an estimand is a weighted mean of the ``tau_i`` over treated cases:

* ``overall``: every treated case equally (the average effect on cases filed after adoption);
* ``event e``: the treated cases filed ``e`` periods after their unit's adoption;
* ``cohort g``: the treated cases of the units adopting in period ``g``.

Treated cases whose unit or period has no untreated case cannot be imputed and are left out
(counted in :attr:`ImputationFit.n_not_imputable`).

The estimator is linear in the outcomes, ``theta = sum_i v_i Y_i``: ``v_i = w_i`` on treated
cases and ``v_i = -z_i' (Z0'Z0)^-1 Z1'w`` on untreated ones (``z`` = unit and period dummies and
covariates; BJS Theorem 1). All of it is computed from per-cell sums (:mod:`.cells`), so a refit
under another assignment of adoption dates costs one small linear solve
(:func:`reestimate`), and the variance is assembled from the per-cell sums of ``v``
(:class:`LinearWeights`, see :mod:`.variance`).

Pre-trend test (BJS Test 1): the same model on untreated cases with dummies for the ``K``
periods before adoption (:func:`lead_coefficients`); their joint test uses the same variance.

Reference: Borusyak, K., Jaravel, X. & Spiess, J. (2024), "Revisiting event-study designs:
robust and efficient estimation", Review of Economic Studies 91(6), 3253-3285.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from courtstudy.studies.staggered.cells import CellStats
from courtstudy.studies.staggered.data import NEVER


def treated_cells(cohort: np.ndarray, n_periods: int, anticipation: int = 0) -> np.ndarray:
    """(U, T) boolean: cell (u, t) is on or after unit u's adoption (``t >= G_u - anticipation``)."""
    g = np.asarray(cohort)
    t = np.arange(n_periods)[None, :]
    return (g[:, None] != NEVER) & (t >= g[:, None] - anticipation)


def event_times(cohort: np.ndarray, n_periods: int) -> np.ndarray:
    """(U, T) event time ``t - G_u`` (a large negative sentinel for never-adopting units)."""
    g = np.asarray(cohort)
    e = np.arange(n_periods)[None, :] - g[:, None]
    return np.where(g[:, None] == NEVER, -10**6, e)


@dataclass(frozen=True)
class _Design:
    """Positions of the parameters of the untreated model (identified ones only)."""

    unit_pos: np.ndarray     # (U,) position of alpha_u, -1 if not identified
    period_pos: np.ndarray   # (T,) position of lambda_t, -1 if not identified or reference
    period_ok: np.ndarray    # (T,) lambda_t identified (incl. the reference, fixed at 0)
    lead_pos: np.ndarray     # (U, T) position of the lead dummy of the cell, -1 if none
    n_params: int
    k: int


def _design(untreated: np.ndarray, leads: np.ndarray | None, k: int) -> _Design:
    unit_ok = untreated.any(axis=1)
    period_ok = untreated.any(axis=0)
    unit_pos = np.full(len(unit_ok), -1)
    unit_pos[unit_ok] = np.arange(unit_ok.sum())
    p = int(unit_ok.sum())
    period_pos = np.full(len(period_ok), -1)
    free = np.flatnonzero(period_ok)[1:]  # the first identified period is the reference (0)
    period_pos[free] = p + np.arange(len(free))
    p += len(free)
    lead_pos = np.full(untreated.shape, -1)
    if leads is not None:
        codes = np.unique(leads[leads > 0])
        for j, code in enumerate(codes):
            lead_pos[leads == code] = p + j
        p += len(codes)
    return _Design(unit_pos, period_pos, period_ok, lead_pos, p + k, k)


def _dense_blocks(stats: CellStats, mask: np.ndarray, d: _Design) -> tuple[np.ndarray, np.ndarray]:
    """Z0'Z0 and Z0'y without lead dummies, block by block (unit, period, covariates)."""
    p, k = d.n_params, d.k
    ua = np.flatnonzero(d.unit_pos >= 0)
    tl = np.flatnonzero(d.period_pos >= 0)
    pu, pt = len(ua), len(tl)
    n0 = stats.n * mask
    a = np.zeros((p, p))
    a[np.arange(pu), np.arange(pu)] = n0[ua].sum(axis=1)
    a[pu + np.arange(pt), pu + np.arange(pt)] = n0[:, tl].sum(axis=0)
    cross = n0[np.ix_(ua, tl)]
    a[:pu, pu:pu + pt] = cross
    a[pu:pu + pt, :pu] = cross.T
    sy0 = stats.sy * mask[..., None]
    rhs = np.zeros((p, stats.m))
    rhs[:pu] = sy0[ua].sum(axis=1)
    rhs[pu:pu + pt] = sy0[:, tl].sum(axis=0)
    if k:
        sx0 = stats.sx * mask[..., None]
        bx = p - k
        a[:pu, bx:] = sx0[ua].sum(axis=1)
        a[pu:pu + pt, bx:] = sx0[:, tl].sum(axis=0)
        a[bx:, :bx] = a[:bx, bx:].T
        a[bx:, bx:] = np.tensordot(mask.astype(float), stats.sxx, axes=([0, 1], [0, 1]))
        rhs[bx:] = np.tensordot(mask.astype(float), stats.sxy, axes=([0, 1], [0, 1]))
    return a, rhs


def _normal_matrix(stats: CellStats, mask: np.ndarray, d: _Design) -> np.ndarray:
    """Z0'Z0 over the cases of the cells in ``mask``."""
    if not (d.lead_pos >= 0).any():
        return _dense_blocks(stats, mask, d)[0]
    p, k = d.n_params, d.k
    a = np.zeros((p, p))
    n0 = stats.n * mask
    up = d.unit_pos
    tp = d.period_pos
    lp = d.lead_pos
    idx = np.argwhere(n0 > 0)
    uu, tt = idx[:, 0], idx[:, 1]
    w = n0[uu, tt]
    pos_u, pos_t, pos_l = up[uu], tp[tt], lp[uu, tt]
    # dummy x dummy blocks: each cell adds N to every pair of its active dummies
    for pi in (pos_u, pos_t, pos_l):
        for pj in (pos_u, pos_t, pos_l):
            ok = (pi >= 0) & (pj >= 0)
            np.add.at(a, (pi[ok], pj[ok]), w[ok])
    if k:
        sx = stats.sx[uu, tt]  # cells x k
        beta0 = p - k
        for pi in (pos_u, pos_t, pos_l):
            ok = pi >= 0
            block = np.zeros((p, k))
            np.add.at(block, pi[ok], sx[ok])
            a[:, beta0:] += block
            a[beta0:, :] += block.T
        a[beta0:, beta0:] = np.einsum("c,ckl->kl", np.ones(len(uu)), stats.sxx[uu, tt])
    return a


def _rhs(stats: CellStats, mask: np.ndarray, d: _Design) -> np.ndarray:
    """Z0'y over the cases of the cells in ``mask`` (p x m)."""
    if not (d.lead_pos >= 0).any():
        return _dense_blocks(stats, mask, d)[1]
    p, k = d.n_params, d.k
    idx = np.argwhere((stats.n * mask) > 0)
    uu, tt = idx[:, 0], idx[:, 1]
    sy = stats.sy[uu, tt]
    out = np.zeros((p, stats.m))
    for pos in (d.unit_pos[uu], d.period_pos[tt], d.lead_pos[uu, tt]):
        ok = pos >= 0
        np.add.at(out, pos[ok], sy[ok])
    if k:
        out[p - k:] = stats.sxy[uu, tt].sum(axis=0)
    return out


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        factor = sla.cho_factor(a, check_finite=False)
        return sla.cho_solve(factor, b, check_finite=False)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def _split(theta: np.ndarray, d: _Design, shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """alpha (U, m), lambda (T, m), lead (U, T, m), beta (k, m) from the parameter vector(s)."""
    n_u, n_t = shape
    m = theta.shape[1]
    alpha = np.zeros((n_u, m))
    ok = d.unit_pos >= 0
    alpha[ok] = theta[d.unit_pos[ok]]
    lam = np.zeros((n_t, m))
    ok = d.period_pos >= 0
    lam[ok] = theta[d.period_pos[ok]]
    lead = np.zeros((n_u, n_t, m))
    ok = d.lead_pos >= 0
    lead[ok] = theta[d.lead_pos[ok]]
    beta = theta[d.n_params - d.k:] if d.k else np.zeros((0, m))
    return alpha, lam, lead, beta


@dataclass(frozen=True)
class LinearWeights:
    """Per-cell sums of the linear weights ``v`` of some estimands (``theta_j = sum_i v_ij Y_i``).

    ``cell_sum`` (J, U, T): ``sum_{i in cell} v_ij``. The case-level quadratic form
    ``sum_i v_ij v_il s2_cell(i)`` is given by :meth:`case_covariance`; within a cell ``v`` is
    ``w`` (treated cells) or ``-(a_cell + x_i' h)`` (untreated cells), stored as ``treated_w``,
    ``a`` (J, U, T) and ``h`` (J, k)."""

    names: tuple[str, ...]
    cell_sum: np.ndarray
    treated: np.ndarray
    treated_w: np.ndarray
    untreated: np.ndarray
    a: np.ndarray
    h: np.ndarray

    def case_covariance(self, stats: CellStats, s2: np.ndarray) -> np.ndarray:
        """``sum_i v_ij v_il s2_cell(i)`` (J x J) with ``s2`` the within-cell variance (U, T)."""
        n = stats.n
        wt = self.treated_w * self.treated[None]
        out = np.einsum("jut,ut,lut->jl", wt, s2 * n, wt)
        un = self.untreated
        a = self.a * un[None]
        out += np.einsum("jut,ut,lut->jl", a, s2 * n * un, a)
        if self.h.shape[1]:
            sxh = np.einsum("utk,jk->jut", stats.sx, self.h) * un[None]
            cross = np.einsum("jut,ut,lut->jl", a, s2, sxh)
            out += cross + cross.T
            sxx = np.einsum("ut,utkl->kl", s2 * un, stats.sxx)
            out += self.h @ sxx @ self.h.T
        return out

    def case_values(self, unit: np.ndarray, period: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The weights ``v_ij`` of individual cases (n x J), from their unit, period and
        covariates (``StaggeredData.unit``, ``.period``, ``.covariates``)."""
        tr = self.treated[unit, period]
        out = np.where(tr[:, None], self.treated_w[:, unit, period].T, 0.0)
        un = self.untreated[unit, period]
        a = self.a[:, unit, period].T
        if self.h.shape[1]:
            a = a + x @ self.h.T
        return np.where(un[:, None], -a, out)


@dataclass(frozen=True)
class ImputationFit:
    """An imputation fit for one assignment of adoption periods (``cohort``).

    ``alpha`` (U, m), ``lam`` (T, m), ``beta`` (k, m): the untreated model; ``tau`` (U, T, m):
    cell mean effects ``mean(Y - Y(0))`` on treated imputable cells (NaN elsewhere);
    ``treated`` / ``untreated``: the imputable treated cells and the cells the model is fitted
    on; ``n_not_imputable``: treated cases left out."""

    stats: CellStats
    cohort: np.ndarray
    anticipation: int
    treated: np.ndarray
    untreated: np.ndarray
    alpha: np.ndarray
    lam: np.ndarray
    beta: np.ndarray
    tau: np.ndarray
    n_not_imputable: int
    design: _Design
    normal: np.ndarray

    @property
    def fitted_cell_sum(self) -> np.ndarray:
        """``sum_{i in cell} z_i' theta`` (U, T, m): the untreated model's prediction summed."""
        n = self.stats.n[..., None]
        pred = n * (self.alpha[:, None, :] + self.lam[None, :, :])
        if self.stats.k:
            pred = pred + np.einsum("utk,km->utm", self.stats.sx, self.beta)
        return pred

    def residual_means(self) -> np.ndarray:
        """Cell mean residual ``mean(Y - Y(0)_hat)`` (U, T, m) on every non-empty cell: the
        untreated model's residual on untreated cells, the effect on treated cells."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.stats.sy - self.fitted_cell_sum) / self.stats.n[..., None]

    def within_variance(self) -> np.ndarray:
        """Within-cell variance of ``Y - x' beta`` (U, T, m)."""
        return self.stats.within_variance(self.beta if self.stats.k else None)

    def targets(self, kinds: Sequence[str] = ("overall",), event_window: tuple[int, int] | None = None,
                ) -> tuple[tuple[str, ...], np.ndarray]:
        """Estimand weights per case on treated cells, (J, U, T), each summing to 1 over cases.

        ``kinds``: "overall", "event" (one estimand per event time ``e >= 0`` up to
        ``event_window[1]``), "cohort" (one per adoption period)."""
        n = self.stats.n * self.treated
        names: list[str] = []
        weights: list[np.ndarray] = []

        def add(name: str, mask: np.ndarray) -> None:
            total = (n * mask).sum()
            if total > 0:
                names.append(name)
                weights.append(np.where(mask & self.treated, 1.0 / total, 0.0))

        if "overall" in kinds:
            add("overall", self.treated)
        if "event" in kinds:
            e = event_times(self.cohort, self.stats.shape[1])
            hi = event_window[1] if event_window else int(e[self.treated].max(initial=0))
            for k in range(0, hi + 1):
                add(f"event:{k}", e == k)
        if "cohort" in kinds:
            for g in np.unique(self.cohort[self.cohort != NEVER]):
                add(f"cohort:{int(g)}", (self.cohort == g)[:, None] & np.ones_like(self.treated))
        return tuple(names), (np.stack(weights) if weights else np.zeros((0, *self.treated.shape)))

    def estimates(self, weights: np.ndarray) -> np.ndarray:
        """Estimands (J, m) for target weights (J, U, T)."""
        eff = np.where(self.treated[..., None], self.stats.sy - self.fitted_cell_sum, 0.0)
        return np.einsum("jut,utm->jm", weights, eff)

    def linear_weights(self, names: Sequence[str], weights: np.ndarray) -> LinearWeights:
        """The linear weights ``v`` of the estimands (module docstring), as per-cell sums."""
        d = self.design
        n_j = len(weights)
        g = np.zeros((d.n_params, n_j))
        nt = self.stats.n * self.treated
        # Z1'w: each treated cell contributes w * (N at alpha_u, N at lambda_t, Sx at beta)
        idx = np.argwhere(nt > 0)
        uu, tt = idx[:, 0], idx[:, 1]
        wn = weights[:, uu, tt] * nt[uu, tt][None, :]  # J x cells
        for pos in (d.unit_pos[uu], d.period_pos[tt]):
            ok = pos >= 0
            np.add.at(g, pos[ok], wn[:, ok].T)
        if d.k:
            g[d.n_params - d.k:] = (self.stats.sx[uu, tt].T @ (weights[:, uu, tt]).T)
        h_all = _solve(self.normal, g)  # p x J
        alpha, lam, lead, h = _split(h_all, d, self.stats.shape)
        a = (alpha[:, None, :] + lam[None, :, :] + lead).transpose(2, 0, 1)  # J, U, T
        h = h.T  # J x k
        un = self.untreated
        cell_un = -(self.stats.n[None] * a + (np.einsum("utk,jk->jut", self.stats.sx, h) if d.k else 0.0))
        cell_sum = np.where(self.treated[None], weights * self.stats.n[None],
                            np.where(un[None], cell_un, 0.0))
        return LinearWeights(tuple(names), cell_sum, self.treated, weights, un, a, h)


def fit_imputation(stats: CellStats, cohort: np.ndarray | None = None, anticipation: int = 0,
                   leads: int = 0) -> ImputationFit:
    """Fit the untreated model on the untreated cells of assignment ``cohort`` (default the
    observed one) and impute the treated cells. ``leads > 0`` adds dummies for the ``leads``
    periods before adoption (the pre-trend test's model; see :func:`lead_coefficients`)."""
    cohort = stats.cohort if cohort is None else np.asarray(cohort)
    n_u, n_t = stats.shape
    treated = treated_cells(cohort, n_t, anticipation)
    untreated = ~treated & (stats.n > 0)
    lead_code = None
    if leads:
        e = event_times(cohort, n_t)
        # Each unit's earliest untreated period is never a lead: it anchors the unit's level.
        # Without it, a unit whose every pre-period falls in the lead window (adoption within
        # ``leads`` periods of the data's start) makes the leads collinear with the unit effects
        # and the "pre-trend" coefficients absorb the unit's level.
        first = np.where(untreated.any(axis=1), untreated.argmax(axis=1), -1)
        anchor = np.zeros_like(untreated)
        has = first >= 0
        anchor[np.flatnonzero(has), first[has]] = True
        lead_code = np.where(untreated & (e < 0) & (e >= -leads) & ~anchor, -e, 0)
    d = _design(untreated, lead_code, stats.k)
    normal = _normal_matrix(stats, untreated, d)
    theta = _solve(normal, _rhs(stats, untreated, d))
    alpha, lam, lead, beta = _split(theta, d, (n_u, n_t))
    imputable = treated & (d.unit_pos >= 0)[:, None] & d.period_ok[None, :] & (stats.n > 0)
    n_not = int((stats.n * (treated & ~imputable)).sum())
    fit = ImputationFit(stats, np.asarray(cohort), anticipation, imputable, untreated, alpha, lam,
                        beta, np.full(stats.sy.shape, np.nan), n_not, d, normal)
    if leads:
        object.__setattr__(fit, "_lead", lead)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(imputable[..., None], (stats.sy - fit.fitted_cell_sum) / stats.n[..., None],
                       np.nan)
    object.__setattr__(fit, "tau", tau)
    return fit


def lead_coefficients(stats: CellStats, leads: int, cohort: np.ndarray | None = None,
                      anticipation: int = 0) -> tuple[np.ndarray, LinearWeights, ImputationFit]:
    """Pre-trend coefficients (BJS Test 1): the untreated model with dummies for event times
    ``-1 .. -leads`` (except in each unit's earliest untreated period, its reference). Returns the coefficients (leads, m; row ``j`` is event time ``-(j+1)``),
    their linear weights (names ``lead:-1`` ...) and the fit."""
    fit = fit_imputation(stats, cohort, anticipation, leads=leads)
    d = fit.design
    codes = np.unique(d.lead_pos[d.lead_pos >= 0])
    n_lead = len(codes)
    lead = fit.__dict__["_lead"]
    e = event_times(fit.cohort, stats.shape[1])
    coefs = np.full((leads, stats.m), np.nan)
    names = []
    rows = []
    for j in range(1, leads + 1):
        cells = (e == -j) & fit.untreated & (d.lead_pos >= 0)
        if cells.any():
            u, t = np.argwhere(cells)[0]
            coefs[j - 1] = lead[u, t]
            names.append(f"lead:{-j}")
            rows.append(int(d.lead_pos[u, t]))
    # linear weights of a coefficient: v_i = e_j' (Z0'Z0)^-1 z_i on untreated cases
    sel = np.zeros((d.n_params, len(rows)))
    sel[rows, np.arange(len(rows))] = 1.0
    h_all = _solve(fit.normal, sel)
    alpha, lam, lead_h, h = _split(h_all, d, stats.shape)
    a = (alpha[:, None, :] + lam[None, :, :] + lead_h).transpose(2, 0, 1)
    h = h.T
    un = fit.untreated
    # sign: v_i = +z_i' H, stored as -(a + x'h) with a, h negated
    cell_sum = np.where(un[None], stats.n[None] * a + (np.einsum("utk,jk->jut", stats.sx, h)
                                                       if d.k else 0.0), 0.0)
    weights = LinearWeights(tuple(names), cell_sum, np.zeros_like(un), np.zeros_like(a), un, -a, -h)
    del n_lead
    return coefs[[int(n.split(":")[1]) * -1 - 1 for n in names]], weights, fit


def reestimate(stats: CellStats, cohorts: np.ndarray, anticipation: int = 0,
               s2: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Overall estimates under each assignment of adoption periods.

    ``cohorts``: (P, U) adoption period per unit (-1 never) for ``P`` assignments. Returns the
    (P, m) overall imputation estimates and, when ``s2`` (U, T, m) is given, their case-level
    standard errors ``sqrt(sum_i v_i^2 s2_cell(i))`` (P, m), used to studentise in
    randomisation inference. Each row refits the untreated model from the cell sums."""
    cohorts = np.atleast_2d(np.asarray(cohorts))
    est = np.full((len(cohorts), stats.m), np.nan)
    ses = np.full((len(cohorts), stats.m), np.nan) if s2 is not None else None
    n_u, n_t = stats.shape
    if s2 is None:
        for r, g in enumerate(cohorts):
            treated = treated_cells(g, n_t, anticipation)
            untreated = ~treated & (stats.n > 0)
            d = _design(untreated, None, stats.k)
            a, rhs = _dense_blocks(stats, untreated, d)
            alpha, lam, _, beta = _split(_solve(a, rhs), d, (n_u, n_t))
            imputable = treated & (d.unit_pos >= 0)[:, None] & d.period_ok[None, :] & (stats.n > 0)
            n_imp = (stats.n * imputable).sum()
            if n_imp == 0:
                continue
            pred = stats.n[..., None] * (alpha[:, None, :] + lam[None, :, :])
            if stats.k:
                pred = pred + np.einsum("utk,km->utm", stats.sx, beta)
            est[r] = ((stats.sy - pred) * imputable[..., None]).sum(axis=(0, 1)) / n_imp
        return est, None
    for r, g in enumerate(cohorts):
        fit = fit_imputation(stats, g, anticipation)
        names, w = fit.targets(("overall",))
        if not names:
            continue
        est[r] = fit.estimates(w)[0]
        if s2 is not None:
            lw = fit.linear_weights(names, w)
            for j in range(stats.m):
                ses[r, j] = np.sqrt(max(lw.case_covariance(stats, s2[..., j])[0, 0], 0.0))
    return est, ses
