"""Variances of linear staggered estimators ``theta_j = sum_i v_ij Y_i`` on case-level data.

Write a case's untreated outcome as ``Y_i(0) = alpha_u + lambda_t + x_i'beta + eta_ut + e_i``:
``e_i`` is the case's own noise and ``eta_ut`` a *court-month shock* shared by the cases filed in
unit ``u`` in period ``t`` (a judge leaving, a clearance drive before an inspection). Then

    Var(theta_j - theta_j*) = sum_i v_ij^2 s2_i  +  sum_u V_uj' Gamma V_uj

with ``V_uj`` the per-period sums of ``v_ij`` over unit ``u``'s cells and ``Gamma`` the
covariance of one unit's shocks over time. Three estimates:

* ``case``: the first term only, ``s2`` the within-cell variance of ``Y - x'beta`` (what a
  repeated cross-section estimator with case-level influence functions reports; right when
  there are no court-month shocks);
* ``court_month``: both terms, with ``Gamma`` a stationary AR(1), ``gamma(k) = sigma2 rho^|k|``,
  common to all units and estimated from the untreated cells' mean residuals by the method of
  moments (:func:`estimate_shock_model`): the expectations of ``sum r_ut^2`` and of the
  lag-one products ``sum r_ut r_u,t+1`` are matched *exactly*, accounting for the fitted unit
  and period effects (``r = M (eta + ebar)`` with ``M`` the cell-level residual maker) and for
  the case noise in each cell mean (``s2 / N``). Pooling the shock process over units is what
  makes it estimable with a handful of courts;
* ``unit_cluster``: the usual cluster-robust (CR1) variance by unit, ``U/(U-1) sum_u S_u S_u'``
  with ``S_u`` the unit's score; shown for comparison: with few units, one per adoption date, it
  is unstable and too small on average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from courtstudy.studies.staggered.imputation import ImputationFit, LinearWeights, event_times

#: Bounds of the AR(1) coefficient of the court-month shocks.
RHO_BOUNDS = (-0.9, 0.95)


@dataclass(frozen=True)
class ShockModel:
    """Court-month shocks: stationary AR(1) with variance ``variance`` and coefficient ``rho``,
    estimated from ``n_cells`` untreated cells (``raw_excess``: sum r^2 beyond what case noise
    and the fitted effects explain; <= 0 means no shock detected, variance set to 0)."""

    variance: float
    rho: float
    n_cells: int
    raw_excess: float

    def covariance(self, n_periods: int) -> np.ndarray:
        lags = np.abs(np.subtract.outer(np.arange(n_periods), np.arange(n_periods)))
        return self.variance * self.rho ** lags

    def describe(self, lang: str = "zh", digits: int = 4) -> str:
        sd = np.sqrt(self.variance)
        if lang == "zh":
            return (f"法院-月份层面的共同冲击：标准差约{sd:.{digits}f}，相邻月份相关系数{self.rho:.2f}"
                    f"（由{self.n_cells}个未实施法院-月份的残差估计）。")
        return (f"court-month shocks: sd about {sd:.{digits}f}, correlation between adjacent "
                f"periods {self.rho:.2f} (from the residuals of {self.n_cells} untreated court-months).")


@dataclass(frozen=True)
class ResidualMaker:
    """What :func:`estimate_shock_model` needs of the cell-level fit, shared by outcomes with
    the same cells: per lag ``k``, the sums of ``M'M`` and ``M'A1 M`` over same-unit pairs of
    cells ``k`` periods apart, and the diagonals of both (``A1`` picks lag-one pairs)."""

    cells: np.ndarray
    b0_by_lag: np.ndarray
    b1_by_lag: np.ndarray
    diag_b0: np.ndarray
    diag_b1: np.ndarray
    lag1_pairs: tuple[np.ndarray, np.ndarray]


def residual_maker(fit: ImputationFit) -> ResidualMaker:
    """The cell-level residual maker of the unit and period effects (weights ``N``) on the
    untreated cells of ``fit``, reduced to what the moment equations use."""
    cells = np.argwhere(fit.untreated)
    uu, tt = cells[:, 0], cells[:, 1]
    n_c = len(cells)
    w = fit.stats.n[uu, tt]
    units = np.unique(uu)
    periods = np.unique(tt)
    z = np.zeros((n_c, len(units) + len(periods) - 1))
    z[np.arange(n_c), np.searchsorted(units, uu)] = 1.0
    tpos = np.searchsorted(periods, tt)
    ok = tpos > 0
    z[np.flatnonzero(ok), len(units) + tpos[ok] - 1] = 1.0
    zw = z * w[:, None]
    m = np.eye(n_c) - z @ np.linalg.pinv(z.T @ zw) @ zw.T
    same = uu[:, None] == uu[None, :]
    lag = np.abs(tt[:, None] - tt[None, :])
    pair = same & (lag == 1)
    i1, j1 = np.nonzero(np.triu(pair))
    a1 = np.zeros((n_c, n_c))
    a1[i1, j1] = 0.5
    a1[j1, i1] = 0.5
    b0 = m.T @ m
    b1 = m.T @ a1 @ m
    max_lag = int(lag.max(initial=0)) + 1
    lag_same = np.where(same, lag, max_lag)
    b0_by = np.bincount(lag_same.ravel(), b0.ravel(), minlength=max_lag + 1)[:max_lag]
    b1_by = np.bincount(lag_same.ravel(), b1.ravel(), minlength=max_lag + 1)[:max_lag]
    return ResidualMaker(cells, b0_by, b1_by, np.diag(b0).copy(), np.diag(b1).copy(), (i1, j1))


def estimate_shock_model(fit: ImputationFit, column: int, s2: np.ndarray,
                         maker: ResidualMaker | None = None) -> ShockModel:
    """Method-of-moments AR(1) court-month shock model of outcome ``column`` (module docstring).
    ``s2``: within-cell variance (U, T) of that outcome."""
    maker = residual_maker(fit) if maker is None else maker
    uu, tt = maker.cells[:, 0], maker.cells[:, 1]
    r = fit.residual_means()[uu, tt, column]
    noise = s2[uu, tt] / fit.stats.n[uu, tt]
    q0 = float(r @ r)
    i1, j1 = maker.lag1_pairs
    q1 = float((r[i1] * r[j1]).sum())
    d0 = float(maker.diag_b0 @ noise)
    d1 = float(maker.diag_b1 @ noise)
    excess = q0 - d0
    if excess <= 0 or len(r) < 3:
        return ShockModel(0.0, 0.0, len(r), excess)
    lags = np.arange(len(maker.b0_by_lag))
    grid = np.linspace(*RHO_BOUNDS, 371)
    powers = grid[:, None] ** lags[None, :]
    p0 = powers @ maker.b0_by_lag
    p1 = powers @ maker.b1_by_lag
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma2 = excess / p0
        gap = np.abs(sigma2 * p1 + d1 - q1)
    gap[~np.isfinite(gap) | (p0 <= 0)] = np.inf
    best = int(np.argmin(gap))
    return ShockModel(float(max(sigma2[best], 0.0)), float(grid[best]), len(r), excess)


def shock_covariance(weights: LinearWeights, model: ShockModel) -> np.ndarray:
    """``sum_u V_uj' Gamma V_ul`` (J x J): the court-month component of the covariance."""
    if model.variance <= 0:
        n_j = len(weights.names)
        return np.zeros((n_j, n_j))
    gamma = model.covariance(weights.cell_sum.shape[2])
    return np.einsum("jut,ts,lus->jl", weights.cell_sum, gamma, weights.cell_sum)


def unit_cluster_covariance(fit: ImputationFit, weights: LinearWeights, column: int) -> np.ndarray:
    """Cluster-robust (CR1) covariance by unit of the estimands (J x J), from
    :func:`unit_scores`."""
    s_unit = unit_scores(fit, weights, column)
    n_u = int((fit.stats.n.sum(axis=1) > 0).sum())
    return n_u / max(n_u - 1, 1) * s_unit @ s_unit.T


def unit_scores(fit: ImputationFit, weights: LinearWeights, column: int) -> np.ndarray:
    """Each unit's score ``S_u = sum_{i in u} v_i res_i`` of each estimand (J x U). Treated
    cases' residuals are taken around the event-time mean effect (BJS's conservative choice;
    around their own cell mean they would sum to zero)."""
    stats = fit.stats
    j = column
    resid_sum = stats.sy[..., j] - fit.fitted_cell_sum[..., j]
    un = fit.untreated
    score = -(weights.a * resid_sum[None]) * un[None]
    if stats.k:
        xb = np.einsum("utkl,l->utk", stats.sxx, fit.beta[:, j])
        ab = (fit.alpha[:, None, j] + fit.lam[None, :, j])[..., None] * stats.sx
        resid_x = stats.sxy[..., j] - ab - xb
        score -= np.einsum("jk,utk->jut", weights.h, resid_x) * un[None]
    tau = np.nan_to_num(fit.tau[..., j])
    e = event_times(fit.cohort, stats.shape[1])
    tr = fit.treated
    nt = stats.n * tr
    tau_bar = np.zeros_like(tau)
    for k in np.unique(e[tr]):
        cells = tr & (e == k)
        tau_bar[cells] = (nt[cells] * tau[cells]).sum() / nt[cells].sum()
    score += weights.treated_w * (nt * (tau - tau_bar))[None]
    return score.sum(axis=2)


def variance_components(fit: ImputationFit, weights: LinearWeights, column: int,
                        maker: ResidualMaker | None = None) -> dict[str, object]:
    """Covariance matrices of the estimands under each variance estimate (module docstring):
    ``case``, ``court_month`` (case + shocks) and ``unit_cluster``; and the ``shock_model``."""
    s2 = fit.within_variance()[..., column]
    case = weights.case_covariance(fit.stats, s2)
    model = estimate_shock_model(fit, column, s2, maker)
    return {"case": case, "court_month": case + shock_covariance(weights, model),
            "unit_cluster": unit_cluster_covariance(fit, weights, column), "shock_model": model,
            "s2": s2}
