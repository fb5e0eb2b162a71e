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

With six courts the shock model rests on a few dozen untreated court-months, so ``court_month``
is itself uncertain, and (its variances truncated at zero) too large on average where shocks are
small. :func:`bootstrap_t_draws` gives the interval a critical value that accounts for the first
(a parametric bootstrap-t from the fitted shock model); the second it offsets only in part
(docs/triage_montecarlo.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from courtstudy.studies.staggered.imputation import ImputationFit, LinearWeights, event_times

#: Bounds of the AR(1) coefficient of the court-month shocks.
RHO_BOUNDS = (-0.9, 0.95)
#: Pairs of a court's cells at least this many periods apart inform the drift.
FAR_LAG = 6


@dataclass(frozen=True)
class ShockModel:
    """Court-month shocks: stationary AR(1) with variance ``variance`` and coefficient ``rho``,
    plus a slow drift of each court (a random walk with variance ``drift`` per period), estimated
    from ``n_cells`` untreated cells (``raw_excess``: sum r^2 beyond what case noise and the
    fitted effects explain; <= 0 means no shock detected, everything set to 0)."""

    variance: float
    rho: float
    n_cells: int
    raw_excess: float
    drift: float = 0.0

    def covariance(self, n_periods: int) -> np.ndarray:
        """Covariance of one court's shocks over the periods. The drift enters as the
        triangular kernel ``drift * (T - |t - s|) / 2``: for weights summing to zero within a
        court (every estimator here removes court levels) it is the random walk's
        ``-drift * |t - s| / 2``, and unlike that it is positive semi-definite for any weights."""
        lags = np.abs(np.subtract.outer(np.arange(n_periods), np.arange(n_periods)))
        return self.variance * self.rho ** lags + self.drift * (n_periods - lags) / 2

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
    the same cells: the residual maker ``m`` of the untreated cells, per lag ``k`` the sums of
    ``M'M``, ``M'A1 M`` and ``M'Afar M`` over same-unit pairs of cells ``k`` periods apart, the
    diagonals of the three, and the pairs of cells one and at least :data:`FAR_LAG` periods apart."""

    cells: np.ndarray
    m: np.ndarray
    b0_by_lag: np.ndarray
    b1_by_lag: np.ndarray
    diag_b0: np.ndarray
    diag_b1: np.ndarray
    lag1_pairs: tuple[np.ndarray, np.ndarray]
    bfar_by_lag: np.ndarray
    diag_bfar: np.ndarray
    far_pairs: tuple[np.ndarray, np.ndarray]

    def moments(self, r: np.ndarray) -> np.ndarray:
        """``(sum r^2, sum of lag-one products, sum of products FAR_LAG or more apart)`` of the
        residuals ``r`` (n_cells,) or of each row of ``r`` (draws, n_cells): (3,) or (draws, 3)."""
        r = np.asarray(r, dtype=float)
        i1, j1 = self.lag1_pairs
        i_f, j_f = self.far_pairs
        return np.stack([(r * r).sum(axis=-1), (r[..., i1] * r[..., j1]).sum(axis=-1),
                         (r[..., i_f] * r[..., j_f]).sum(axis=-1)], axis=-1)

    def noise_moments(self, noise: np.ndarray) -> np.ndarray:
        """Expected :meth:`moments` of residuals of pure case noise with variances ``noise``."""
        return np.array([self.diag_b0 @ noise, self.diag_b1 @ noise, self.diag_bfar @ noise])


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
    far = same & (lag >= FAR_LAG)
    a_far = np.where(far, 0.5, 0.0)
    b_far = m.T @ a_far @ m
    bf_by = np.bincount(lag_same.ravel(), b_far.ravel(), minlength=max_lag + 1)[:max_lag]
    i_far, j_far = np.nonzero(np.triu(far))
    return ResidualMaker(cells, m, b0_by, b1_by, np.diag(b0).copy(), np.diag(b1).copy(), (i1, j1),
                         bf_by, np.diag(b_far).copy(), (i_far, j_far))


def estimate_shock_model(fit: ImputationFit, column: int, s2: np.ndarray,
                         maker: ResidualMaker | None = None) -> ShockModel:
    """Method-of-moments court-month shock model of outcome ``column`` (module docstring):
    the expected sums of squared untreated-cell residuals, of products of residuals one period
    apart and of products at least :data:`FAR_LAG` periods apart (same court) are matched
    exactly (fitted effects and case noise accounted for) by an AR(1) with variance ``sigma2``
    and coefficient ``rho`` plus a random-walk drift ``delta``; for each ``rho`` on a grid the two
    variances follow from the first and third moments (non-negative least squares), and ``rho``
    is the one matching the second. ``s2``: within-cell variance (U, T) of that outcome."""
    maker = residual_maker(fit) if maker is None else maker
    uu, tt = maker.cells[:, 0], maker.cells[:, 1]
    r = fit.residual_means()[uu, tt, column]
    noise = s2[uu, tt] / fit.stats.n[uu, tt]
    return _moment_model(maker, maker.moments(r), maker.noise_moments(noise))


#: The AR(1) coefficients tried by :func:`estimate_shock_model`.
RHO_GRID = np.linspace(*RHO_BOUNDS, 371)


def _moment_model(maker: ResidualMaker, q: np.ndarray, d: np.ndarray) -> ShockModel:
    """The shock model matching the moments ``q`` given their noise parts ``d`` (both (3,))."""
    sigma2, rho, delta = _moment_solutions(maker, q[None, :], d)
    return ShockModel(float(sigma2[0]), float(rho[0]), len(maker.cells), float(q[0] - d[0]), float(delta[0]))


def _moment_solutions(maker: ResidualMaker, q: np.ndarray, d: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sigma2, rho, delta)`` matching each row of the moments ``q`` (n, 3) given their noise
    parts ``d`` (3,), over all of :data:`RHO_GRID` at once (zeros where there is no excess)."""
    n = len(q)
    excess = q[:, 0] - d[0]
    zeros = np.zeros(n)
    if len(maker.cells) < 3:
        return zeros, zeros, zeros
    lags = np.arange(len(maker.b0_by_lag))
    kernel = -lags / 2.0  # the drift's (conditional) covariance; constants are absorbed by M
    w0, w1, wf = (float(b @ kernel) for b in (maker.b0_by_lag, maker.b1_by_lag, maker.bfar_by_lag))
    powers = RHO_GRID[:, None] ** lags[None, :]
    a0, a1, af = powers @ maker.b0_by_lag, powers @ maker.b1_by_lag, powers @ maker.bfar_by_lag
    sigma2, delta = _nonnegative_solve(a0[None, :], np.full((1, len(a0)), w0), af[None, :],
                                       np.full((1, len(a0)), wf), excess[:, None], (q[:, 2] - d[2])[:, None])
    gap = np.where(a0[None, :] > 0, np.abs(sigma2 * a1 + delta * w1 + d[1] - q[:, 1:2]), np.inf)
    best = np.argmin(gap, axis=1)
    rows = np.arange(n)
    found = (excess > 0) & np.isfinite(gap[rows, best])
    return (np.where(found, sigma2[rows, best], 0.0), np.where(found, RHO_GRID[best], 0.0),
            np.where(found, delta[rows, best], 0.0))


def _nonnegative_solve(a00: np.ndarray, a01: np.ndarray, a10: np.ndarray, a11: np.ndarray,
                       b0: np.ndarray, b1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares ``[[a00, a01], [a10, a11]] x = (b0, b1)`` with ``x >= 0``, elementwise over
    the grid: the best of the four candidate sets (both free, one of them, neither; the first
    on ties)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        det = a00 * a11 - a01 * a10
        both = ((a11 * b0 - a01 * b1) / det, (a00 * b1 - a10 * b0) / det)
        n0, n1 = a00**2 + a10**2, a01**2 + a11**2
        only0 = np.where(n0 > 0, np.maximum((a00 * b0 + a10 * b1) / n0, 0.0), 0.0)
        only1 = np.where(n1 > 0, np.maximum((a01 * b0 + a11 * b1) / n1, 0.0), 0.0)
    shape = np.broadcast_shapes(a00.shape, np.shape(b0))
    zero = np.zeros(shape)
    only0, only1 = np.broadcast_to(only0, shape), np.broadcast_to(only1, shape)
    both_ok = np.isfinite(both[0]) & np.isfinite(both[1]) & (both[0] >= 0) & (both[1] >= 0)
    candidates = [(np.where(both_ok, both[0], 0.0), np.where(both_ok, both[1], 0.0)),
                  (only0, zero), (zero, only1), (zero, zero)]
    errors = np.array([(a00 * x + a01 * y - b0) ** 2 + (a10 * x + a11 * y - b1) ** 2 for x, y in candidates])
    errors[0][~np.broadcast_to(both_ok, shape)] = np.inf
    pick = np.argmin(errors, axis=0)
    return (np.choose(pick, [c[0] for c in candidates]), np.choose(pick, [c[1] for c in candidates]))


def bootstrap_t_draws(fit: ImputationFit, s2: np.ndarray, cell_weights: np.ndarray,
                      case_variance: float, model: ShockModel, *, draws: int = 199, seed: int = 0,
                      maker: ResidualMaker | None = None) -> np.ndarray | None:
    """``|t*|`` of the court-month interval of ``theta = sum v Y`` in ``draws`` parametric
    bootstrap samples from the fitted shock ``model`` (None when no shock was detected); ``s2``:
    the outcome's within-cell variance (U, T), as for :func:`estimate_shock_model`.

    Six courts inform the shock model poorly: its estimated variance is noisy and, being
    truncated at zero, biased upwards when shocks are small, so ``(theta - theta*) / se`` is not
    standard normal. Each draw simulates one court-month shock path per unit from ``model``'s
    covariance and each cell's case noise (``s2 / N``), forms the estimator's error
    ``sum_ut V_ut (eta_ut + c * ebar_ut)`` (``V``: ``cell_weights`` (U, T); ``c`` rescales the
    cell noise to the case-level variance ``case_variance``, which covariates make differ from
    ``sum V^2 s2 / N``) and re-estimates the shock model from the untreated cells' residuals
    ``M (eta + ebar)``; ``t* = error / sqrt(case_variance + V' Gamma* V)``. The 95% quantile of
    ``|t*|`` replaces 1.96 (a parametric bootstrap-t; the simulation analogue of Kenward and
    Roger's 1997 small-sample correction for estimated variance components).

    When the fitted model has no shock the true variance sits on the boundary of its parameter
    space, where the parametric bootstrap is inconsistent (Andrews 2000, *Econometrica* 68(2)):
    the caller keeps the normal critical value there."""
    if model.variance <= 0 and model.drift <= 0:
        return None
    maker = residual_maker(fit) if maker is None else maker
    n = fit.stats.n
    n_units, n_periods = n.shape
    cell_sd = np.sqrt(np.where(n > 0, np.nan_to_num(s2) / np.maximum(n, 1), 0.0))
    v = np.where(n > 0, cell_weights, 0.0)
    noise_variance = float((v**2 * cell_sd**2).sum())
    scale = np.sqrt(case_variance / noise_variance) if noise_variance > 0 else 0.0
    values, vectors = np.linalg.eigh(model.covariance(n_periods))
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    uu, tt = maker.cells[:, 0], maker.cells[:, 1]
    noise_moments = maker.noise_moments(cell_sd[uu, tt] ** 2)
    rng = np.random.default_rng(seed)
    eta = rng.standard_normal((draws, n_units, n_periods)) @ root.T
    ebar = rng.standard_normal((draws, n_units, n_periods)) * cell_sd
    error = np.einsum("ut,but->b", v, eta + scale * ebar)
    residuals = (eta + ebar)[:, uu, tt] @ maker.m.T
    sigma2, rho, delta = _moment_solutions(maker, maker.moments(residuals), noise_moments)
    ar, drift = _ar_and_drift(_products_by_lag(v), sigma2, rho, delta)
    return np.abs(error) / np.sqrt(case_variance + ar + drift)


def shock_covariance(weights: LinearWeights, model: ShockModel) -> np.ndarray:
    """``sum_u V_uj' Gamma V_ul`` (J x J): the court-month component of the covariance."""
    if model.variance <= 0 and model.drift <= 0:
        n_j = len(weights.names)
        return np.zeros((n_j, n_j))
    gamma = model.covariance(weights.cell_sum.shape[2])
    v = weights.cell_sum
    vg = np.einsum("jut,ts->jus", v, gamma)
    return np.tensordot(vg, v, axes=([1, 2], [1, 2]))


def shock_variance_parts(cell_sum: np.ndarray, model: ShockModel) -> dict[str, float]:
    """The court-month variance ``sum_u V_u' Gamma V_u`` of one estimand with per-cell weights
    ``cell_sum`` (U, T), split into the AR(1) part (``sigma2 rho^|t-s|``) and the drift part
    (``drift (T - |t-s|) / 2``); ``Gamma`` is linear in the two, so they add up to the whole."""
    ar, drift = _ar_and_drift(_products_by_lag(np.asarray(cell_sum, dtype=float)),
                              np.array([model.variance]), np.array([model.rho]), np.array([model.drift]))
    return {"ar": float(ar[0]), "drift": float(drift[0])}


def _ar_and_drift(by_lag: np.ndarray, sigma2: np.ndarray, rho: np.ndarray, delta: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``v' Gamma v`` of the AR(1) part and of the drift part for each shock model
    ``(sigma2, rho, delta)`` (arrays of one length), from the weights' :func:`_products_by_lag`."""
    k = np.arange(len(by_lag))
    return sigma2 * (np.power.outer(rho, k) @ by_lag), delta * float((len(by_lag) - k) / 2 @ by_lag)


def _products_by_lag(v: np.ndarray) -> np.ndarray:
    """Per lag ``k``, the sum over units of ``v_ut v_us`` with ``|t - s| = k`` (T,): what ``v'
    Gamma v`` needs of the weights when ``Gamma`` depends on the lag only."""
    n_periods = v.shape[1]
    lags = np.abs(np.subtract.outer(np.arange(n_periods), np.arange(n_periods)))
    return np.bincount(lags.ravel(), np.einsum("ut,us->ts", v, v).ravel(), minlength=n_periods)


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
