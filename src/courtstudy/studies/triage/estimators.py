"""Point estimators of a treatment effect on one outcome, with influence-function standard errors.

Notation: ``y`` outcome, ``t`` treatment (0/1), ``x`` covariates (n x k, an intercept is added),
``e`` the fitted propensity (:mod:`courtstudy.studies.triage.propensity`), ``p = mean(t)``.
Each estimator returns an :class:`Estimate` whose ``influence`` holds psi_i with
``estimate - truth ~ (1/n) sum psi_i``, so ``std_error = sqrt(sum psi_i^2) / n``. The influence
functions include the terms from estimating the nuisance models (propensity by logistic maximum
likelihood, outcome models by ordinary least squares), i.e. they are M-estimation sandwich
variances (Lunceford & Davidian 2004, Stat. Med. 23:2937; Sant'Anna & Zhao 2020, J. Econometrics
219:101 for the ATT).

Estimands: ``"ATT"`` (average over treated cases; the default of the triage study) and ``"ATE"``.

* ``raw``: mean(y | t=1) - mean(y | t=0); the same for both estimands.
* ``regression`` (regression adjustment / g-computation with linear outcome models):
  ATT = mean over treated of (y - x b0), b0 fitted on controls;
  ATE = mean over all of x (b1 - b0), b1 and b0 fitted in each arm.
* ``ipw`` (normalised, Hajek weights): ATT weights 1 for treated, e/(1-e) for controls, each arm's
  weights summing to one; ATE weights 1/e and 1/(1-e). ``variance="robust"`` treats the weights as
  known (the HC0 sandwich of the weighted regression y ~ 1 + t, as in Hernan & Robins' Program
  12.2); ``variance="influence"`` (default) adds the propensity-estimation term.
* ``aipw`` (doubly robust, augmented IPW): ATE = mean(m1 - m0 + t (y - m1)/e - (1-t)(y - m0)/(1-e));
  ATT = mean_treated(y - m0) - sum((1-t) w (y - m0)) / sum((1-t) w), w = e/(1-e).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from courtstudy.studies.triage.propensity import PropensityFit, add_intercept

METHODS: tuple[str, ...] = ("raw", "regression", "ipw", "aipw")

METHOD_LABELS: dict[str, tuple[str, str]] = {
    "raw": ("原始差异（未调整）", "raw difference (unadjusted)"),
    "regression": ("回归调整", "regression adjustment"),
    "ipw": ("逆概率加权", "inverse probability weighting (IPW)"),
    "aipw": ("双重稳健", "doubly robust (AIPW)"),
}


@dataclass
class Estimate:
    """One estimate: value, standard error, arm sizes and the per-case influence values."""

    estimate: float
    std_error: float
    n_treated: int
    n_control: int
    influence: np.ndarray


def _check(y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    t = np.asarray(t, dtype=float)
    if y.shape != t.shape:
        raise ValueError(f"outcome has {y.shape[0]} values but treatment {t.shape[0]}")
    if not np.isfinite(y).all():
        raise ValueError("outcome has missing values: select the cases where it is defined first")
    if t.sum() == 0 or t.sum() == len(t):
        raise ValueError("need treated and control cases with this outcome")
    return y, t


def _finish(tau: float, psi: np.ndarray, t: np.ndarray) -> Estimate:
    n = len(psi)
    return Estimate(float(tau), float(np.sqrt(np.sum(psi**2)) / n), int(t.sum()),
                    int(len(t) - t.sum()), psi)


class _ScoreInfluence:
    """Influence of an M-estimated coefficient vector, IF_i = A m_i r_i (A k x k, m_i the i-th row
    of an n x k matrix, r_i a scalar), kept factored so that IF @ v costs O(nk), not O(nk^2)."""

    def __init__(self, rows: np.ndarray, resid: np.ndarray, bread: np.ndarray) -> None:
        self.rows, self.resid, self.bread = rows, resid, bread

    def dot(self, v: np.ndarray) -> np.ndarray:
        return (self.rows @ (self.bread @ v)) * self.resid


def _ols_arm(xi: np.ndarray, y: np.ndarray, arm: np.ndarray) -> tuple[np.ndarray, _ScoreInfluence]:
    """OLS of y on xi within ``arm``; returns (coef, influence of coef over all n cases)."""
    n = len(y)
    xa = xi[arm]
    # Normal equations with a pseudo-inverse: a k x k problem instead of an n x k SVD, and still
    # defined when a dummy is constant within the arm (the minimum-norm solution).
    gram_inv = np.linalg.pinv(xa.T @ xa / n)
    coef = gram_inv @ (xa.T @ y[arm] / n)
    resid = np.where(arm, y - xi @ coef, 0.0)
    return coef, _ScoreInfluence(xi, resid, gram_inv)


def raw_difference(y: np.ndarray, t: np.ndarray) -> Estimate:
    """Difference in means with the heteroskedasticity-robust (unpooled) standard error."""
    y, t = _check(y, t)
    p = t.mean()
    mu1 = y[t == 1].mean()
    mu0 = y[t == 0].mean()
    psi = t * (y - mu1) / p - (1 - t) * (y - mu0) / (1 - p)
    return _finish(mu1 - mu0, psi, t)


def regression_adjustment(y: np.ndarray, t: np.ndarray, x: np.ndarray, estimand: str = "ATT") -> Estimate:
    """Linear regression adjustment (see the module docstring)."""
    y, t = _check(y, t)
    xi = add_intercept(np.asarray(x, dtype=float))
    treated = t == 1
    b0, if_b0 = _ols_arm(xi, y, ~treated)
    if estimand == "ATT":
        p = t.mean()
        resid = y - xi @ b0
        tau = resid[treated].mean()
        xbar_t = t @ xi / len(y)
        psi = (t * (resid - tau) - if_b0.dot(xbar_t)) / p
        return _finish(tau, psi, t)
    if estimand == "ATE":
        b1, if_b1 = _ols_arm(xi, y, treated)
        contrast = xi @ (b1 - b0)
        tau = contrast.mean()
        xbar = xi.mean(axis=0)
        psi = contrast - tau + if_b1.dot(xbar) - if_b0.dot(xbar)
        return _finish(tau, psi, t)
    raise ValueError(f"estimand must be 'ATT' or 'ATE', got {estimand!r}")


def ipw(y: np.ndarray, t: np.ndarray, propensity: PropensityFit, estimand: str = "ATT",
        variance: str = "influence") -> Estimate:
    """Normalised (Hajek) inverse probability weighting (see the module docstring)."""
    y, t = _check(y, t)
    e = propensity.score
    if len(e) != len(y):
        raise ValueError("propensity fitted on a different sample than the outcome")
    if variance not in ("influence", "robust"):
        raise ValueError(f"variance must be 'influence' or 'robust', got {variance!r}")
    n = len(y)
    if estimand == "ATT":
        p = t.mean()
        w = e / (1 - e)
        mu1 = y[t == 1].mean()
        c0 = np.mean((1 - t) * w)
        mu0 = np.sum((1 - t) * w * y) / np.sum((1 - t) * w)
        g0 = (1 - t) * w * (y - mu0)
        psi1 = t * (y - mu1) / p
        psi0 = g0 / c0
        if variance == "influence":
            a0 = g0 @ propensity.design / n
            psi0 = psi0 + propensity.influence_dot(t, a0) / c0
        return _finish(mu1 - mu0, psi1 - psi0, t)
    if estimand == "ATE":
        w1 = t / e
        w0 = (1 - t) / (1 - e)
        c1, c0 = w1.mean(), w0.mean()
        mu1 = np.sum(w1 * y) / np.sum(w1)
        mu0 = np.sum(w0 * y) / np.sum(w0)
        g1 = w1 * (y - mu1)
        g0 = w0 * (y - mu0)
        psi1 = g1 / c1
        psi0 = g0 / c0
        if variance == "influence":
            a1 = (g1 * (1 - e)) @ propensity.design / n
            a0 = (g0 * e) @ propensity.design / n
            psi1 = psi1 - propensity.influence_dot(t, a1) / c1
            psi0 = psi0 + propensity.influence_dot(t, a0) / c0
        return _finish(mu1 - mu0, psi1 - psi0, t)
    raise ValueError(f"estimand must be 'ATT' or 'ATE', got {estimand!r}")


def aipw(y: np.ndarray, t: np.ndarray, x: np.ndarray, propensity: PropensityFit,
         estimand: str = "ATT") -> Estimate:
    """Augmented IPW (doubly robust) with linear outcome models (see the module docstring)."""
    y, t = _check(y, t)
    e = propensity.score
    xi = add_intercept(np.asarray(x, dtype=float))
    treated = t == 1
    b0, if_b0 = _ols_arm(xi, y, ~treated)
    m0 = xi @ b0
    design = propensity.design
    n = len(y)
    if estimand == "ATT":
        p = t.mean()
        w = (1 - t) * e / (1 - e)
        c0 = w.mean()
        r = y - m0
        eta1 = r[treated].mean()
        eta0 = np.sum(w * r) / np.sum(w)
        g0 = w * (r - eta0)
        psi = t * (r - eta1) / p - g0 / c0
        a0 = g0 @ design / n
        psi = psi - propensity.influence_dot(t, a0) / c0
        xbar_t = xi[treated].mean(axis=0)
        xbar_w = w @ xi / w.sum()
        psi = psi + if_b0.dot(xbar_w - xbar_t)
        return _finish(eta1 - eta0, psi, t)
    if estimand == "ATE":
        b1, if_b1 = _ols_arm(xi, y, treated)
        m1 = xi @ b1
        term = m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e)
        tau = term.mean()
        psi = term - tau
        g1 = (t * (y - m1) * (1 - e) / e) @ design / n
        g0 = ((1 - t) * (y - m0) * e / (1 - e)) @ design / n
        psi = psi - propensity.influence_dot(t, g1 + g0)
        h1 = (1 - t / e) @ xi / n
        h0 = ((1 - t) / (1 - e) - 1) @ xi / n
        psi = psi + if_b1.dot(h1) + if_b0.dot(h0)
        return _finish(tau, psi, t)
    raise ValueError(f"estimand must be 'ATT' or 'ATE', got {estimand!r}")


def run_method(method: str, y: np.ndarray, t: np.ndarray, x: np.ndarray,
               propensity: PropensityFit | None, estimand: str = "ATT",
               variance: str = "influence") -> Estimate:
    """Dispatch on ``method`` (one of :data:`METHODS`)."""
    if method == "raw":
        return raw_difference(y, t)
    if method == "regression":
        return regression_adjustment(y, t, x, estimand)
    if propensity is None:
        raise ValueError(f"method {method!r} needs a fitted propensity")
    if method == "ipw":
        return ipw(y, t, propensity, estimand, variance)
    if method == "aipw":
        return aipw(y, t, x, propensity, estimand)
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
