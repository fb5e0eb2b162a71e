"""Wild cluster restricted bootstrap by unit, with Webb's six-point weights.

For the imputation estimator's overall effect ``theta`` (linear in ``Y``) and its CR1 standard
error by unit: the restricted model imposes no effect (unit and period effects and covariates
fitted on *every* case), ``Y* = Y_r + v_u * u_r`` with one weight ``v_u`` per unit drawn from
Webb's distribution (+-sqrt(1/2), +-1, +-sqrt(3/2), each 1/6), and ``t* = theta(Y*) /
se_CR1(Y*)`` is compared with the observed ``t``. Because ``theta`` and the unit scores are
linear in ``Y`` and vanish on the restricted fit, each draw is a product of a weight vector with
a U x U matrix computed once: all ``6^U`` draws are enumerated when there are at most
``max_enumerated``, otherwise ``draws`` are sampled (seeded). The interval inverts the test of
constant effects ``tau0`` (``Y - tau0 * D``), found by bisection.

With few clusters, and especially when only one or two clusters adopt on each date, the wild
cluster bootstrap is known to misbehave (MacKinnon & Webb 2017, 2018): it is offered because
applied work expects it, and the Monte Carlo (docs/fasttrack_montecarlo.md) shows how it fares
in the settings research offices have.

References: Cameron, Gelbach & Miller (2008); Webb (2023), "Reworking wild bootstrap-based
inference for clustered errors", Canadian Journal of Economics 56(3); MacKinnon & Webb (2017),
"Wild bootstrap inference for wildly different cluster sizes", J. Applied Econometrics 32(2).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from courtstudy.studies.staggered.cells import CellStats
from courtstudy.studies.staggered.data import NEVER
from courtstudy.studies.staggered.imputation import ImputationFit, fit_imputation
from courtstudy.studies.staggered.variance import unit_scores

#: Webb's six-point distribution.
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
MAX_ENUMERATED = 46656


@dataclass(frozen=True)
class BootstrapResult:
    estimate: float
    t_stat: float
    p_value: float
    ci_low: float
    ci_high: float
    draws: int
    exact: bool

    @property
    def std_error(self) -> float:
        if not (np.isfinite(self.ci_low) and np.isfinite(self.ci_high)):
            return float("nan")
        return (self.ci_high - self.ci_low) / (2 * 1.959963984540054)


def _split_by_unit(stats: CellStats, resid_sum: np.ndarray, resid_x: np.ndarray) -> CellStats:
    """Cell statistics with one column per unit: column ``u`` holds the restricted residuals of
    unit ``u``'s cells and zero elsewhere."""
    n_u, n_t = stats.shape
    eye = np.eye(n_u)
    sy = resid_sum[:, :, None] * eye[:, None, :]
    sxy = resid_x[:, :, :, None] * eye[:, None, None, :]
    return CellStats(tuple(f"u{u}" for u in range(n_u)), stats.n, sy, np.zeros_like(sy),
                     stats.sx, stats.sxx, sxy, stats.cohort)


def _restricted_residuals(stats: CellStats, column: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell sums of the residuals, and of covariates times residuals, of the no-effect
    model fitted on every case."""
    col = CellStats((stats.names[column],), stats.n, stats.sy[..., column:column + 1],
                    stats.syy[..., column:column + 1], stats.sx, stats.sxx,
                    stats.sxy[..., column:column + 1], stats.cohort)
    fit = fit_imputation(col, cohort=np.full(stats.shape[0], NEVER))
    resid = col.sy[..., 0] - fit.fitted_cell_sum[..., 0]
    if stats.k:
        ab = (fit.alpha[:, None, 0] + fit.lam[None, :, 0])[..., None] * stats.sx
        resid_x = col.sxy[..., 0] - ab - np.einsum("utkl,l->utk", stats.sxx, fit.beta[:, 0])
    else:
        resid_x = np.zeros((*stats.shape, 0))
    return resid, resid_x


def _pieces(stats: CellStats, column: int, fit: ImputationFit) -> tuple[np.ndarray, np.ndarray]:
    """``s`` (U): the estimate on each unit's restricted residuals; ``K`` (U x U): the unit
    scores (rows) of each unit's restricted residuals (columns)."""
    resid, resid_x = _restricted_residuals(stats, column)
    split = _split_by_unit(stats, resid, resid_x)
    sfit = fit_imputation(split, fit.cohort, fit.anticipation)
    names, w = sfit.targets(("overall",))
    s = sfit.estimates(w)[0]
    lw = sfit.linear_weights(names, w)
    k = np.column_stack([unit_scores(sfit, lw, c)[0] for c in range(split.m)])
    return s, k


def wild_cluster_bootstrap(stats: CellStats, column: int, fit: ImputationFit, *,
                           treated_column: int = -1, draws: int = 9999, seed: int = 0,
                           alpha: float = 0.05, max_enumerated: int = MAX_ENUMERATED
                           ) -> BootstrapResult:
    """Restricted wild cluster bootstrap-t by unit (module docstring) of the overall imputation
    estimate of outcome ``column`` of ``stats``; ``treated_column``: the column holding the
    observed treatment indicator (for the interval)."""
    names, w = fit.targets(("overall",))
    est = float(fit.estimates(w)[0, column])
    lw = fit.linear_weights(names, w)
    score_obs = unit_scores(fit, lw, column)[0]
    n_u = stats.shape[0]
    c = n_u / max(n_u - 1, 1)
    se_obs = float(np.sqrt(c * score_obs @ score_obs))
    s_y, k_y = _pieces(stats, column, fit)
    s_d, k_d = _pieces(stats, treated_column % stats.m, fit)
    if 6**n_u <= max_enumerated:
        v = np.array(list(itertools.product(WEBB, repeat=n_u)))
        exact = True
    else:
        v = np.random.default_rng(seed).choice(WEBB, size=(draws, n_u))
        exact = False

    def p_value(tau0: float) -> float:
        s = s_y - tau0 * s_d
        k = k_y - tau0 * k_d
        theta = v @ s
        scores = v @ k.T
        se = np.sqrt(c * (scores**2).sum(axis=1))
        t_star = np.abs(theta) / np.where(se > 0, se, np.nan)
        t_obs = abs(est - tau0) / se_obs
        ok = np.isfinite(t_star)
        return float(np.mean(t_star[ok] >= t_obs - 1e-12)) if ok.any() else np.nan

    p0 = p_value(0.0)
    step = max(se_obs, 1e-8)

    def bound(sign: float) -> float:
        inside = est
        outside = est + sign * step
        for _ in range(40):
            if p_value(outside) <= alpha:
                break
            inside, outside = outside, est + 2 * (outside - est)
        else:
            return sign * np.inf
        return float(optimize.brentq(lambda t: p_value(t) - alpha - 1e-9, inside, outside, xtol=step * 1e-4)
                     if p_value(inside) > alpha else inside)

    low, high = bound(-1.0), bound(1.0)
    return BootstrapResult(est, est / se_obs if se_obs > 0 else np.nan, p0, low, high, len(v), exact)
