"""Propensity score: logistic regression of the treatment on covariates known at filing.

The model is fitted by Newton-Raphson (iteratively reweighted least squares) in numpy so that a
million cases with a few dozen dummy columns fit in seconds. Besides the fitted scores the fit keeps
what the estimators need for influence-function standard errors that account for the propensity
having been estimated (M-estimation, e.g. Lunceford & Davidian 2004):

    IF_gamma(i) = H^{-1} x_i (t_i - e_i),   H = (1/n) sum_i e_i (1 - e_i) x_i x_i'.

Trimming rules (documented in every result's notes):

* ATE: Crump, Hotz, Imbens & Mitnik (2009) rule of thumb, keep 0.1 <= e <= 0.9;
* ATT: keep controls and treated inside the treated-side common support: treated cases whose
  propensity exceeds the largest control propensity have no comparable control and are dropped
  (they change the estimand, so they are counted and reported); controls are never dropped (a
  control below the smallest treated propensity only gets a weight near zero).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from courtstudy.core import log
from courtstudy.core.errors import CourtstudyError

logger = logging.getLogger(__name__)

#: Largest propensity used in weights; protects e/(1-e) from overflow when a case is perfectly
#: predicted. Cases beyond it are reported by the overlap diagnostics.
_CLIP = 1e-9


@dataclass
class PropensityFit:
    """A fitted logistic propensity model.

    Attributes: ``coef`` (intercept first, matching ``design``'s columns), ``score`` (fitted
    P(T=1|X) per case), ``design`` (the n x k matrix with the intercept column), ``hessian_inv``
    (inverse of H above), ``converged`` and ``iterations``.
    """

    coef: np.ndarray
    score: np.ndarray
    design: np.ndarray
    hessian_inv: np.ndarray
    converged: bool
    iterations: int

    def influence(self, treatment: np.ndarray) -> np.ndarray:
        """n x k matrix of IF_gamma(i) (see module docstring)."""
        resid = treatment - self.score
        return (self.design * resid[:, None]) @ self.hessian_inv

    def influence_dot(self, treatment: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``influence(treatment) @ v`` in O(nk): (x_i' H^{-1} v) (t_i - e_i)."""
        return (self.design @ (self.hessian_inv @ v)) * (treatment - self.score)


def add_intercept(covariates: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(covariates)), covariates])


def fit_propensity(covariates: np.ndarray, treatment: np.ndarray, *, max_iter: int = 50,
                   tol: float = 1e-10, ridge: float = 0.0, start: np.ndarray | None = None) -> PropensityFit:
    """Logistic regression of ``treatment`` (0/1) on ``covariates`` (n x k, no intercept).

    Newton steps are least-squares solutions, so a rank-deficient design (a dummy that duplicates
    another) still converges; ``ridge`` > 0 adds ``n * ridge`` times the identity (not on the
    intercept) to the Hessian for designs that separate the arms. ``start`` (intercept first)
    warm-starts Newton's method, e.g. from a fit on a larger sample.
    """
    t = np.asarray(treatment, dtype=float)
    if not np.isin(t, (0.0, 1.0)).all():
        raise CourtstudyError("treatment must be 0/1 for every case in the sample")
    if t.min() == t.max():
        raise CourtstudyError("treatment takes one value only: no treated or no control cases in the sample")
    x = add_intercept(np.asarray(covariates, dtype=float))
    n, k = x.shape
    if start is not None and len(start) == k:
        beta = np.asarray(start, dtype=float).copy()
    else:
        beta = np.zeros(k)
        beta[0] = np.log(t.mean() / (1 - t.mean()))
    penalty = ridge * np.eye(k)
    penalty[0, 0] = 0.0
    converged = False
    it = 0
    info = None
    # The Hessian (n k^2 work, the cost of each step) is accumulated in single precision: it only
    # steers Newton's steps, while the gradient, and so the solution, stays in double precision.
    x32 = x.astype(np.float32)
    for it in range(1, max_iter + 1):  # noqa: B007 - iterations reported
        eta = x @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1 - p)
        grad = x.T @ (t - p) - n * penalty @ beta
        info = ((x32 * w.astype(np.float32)[:, None]).T @ x32).astype(np.float64)
        step = np.linalg.lstsq(info + n * penalty, grad, rcond=None)[0]
        # Halve steps that overshoot (separation makes pure Newton oscillate).
        scale = 1.0
        while np.max(np.abs(scale * step)) > 20:
            scale /= 2
        beta = beta + scale * step
        if np.max(np.abs(scale * step)) < tol * (1 + np.max(np.abs(beta))):
            converged = True
            break
    if not converged:
        log.warn(logger, "propensity fit did not converge in %d Newton steps (%d cases, %d "
                 "covariates): weights and standard errors may be unreliable",
                 "倾向得分模型经 %d 次迭代仍未收敛（%d 件案件，%d 个协变量），权重和标准误可能不可靠",
                 it, n, k - 1)
    eta = x @ beta
    p = np.clip(1.0 / (1.0 + np.exp(-eta)), _CLIP, 1 - _CLIP)
    # The information matrix at the solution, in double precision: it enters standard errors.
    w = p * (1 - p)
    info = (x * w[:, None]).T @ x
    return PropensityFit(coef=beta, score=p, design=x, hessian_inv=np.linalg.pinv(info / n),
                         converged=converged, iterations=it)


def trimming_mask(score: np.ndarray, treatment: np.ndarray, estimand: str,
                  rule: str | tuple[float, float] = "auto") -> np.ndarray:
    """Boolean mask of the cases kept.

    ``rule``: ``"auto"`` (Crump 0.1-0.9 for ATE, treated-side common support for ATT, see the
    module docstring), ``"none"``, or ``(low, high)`` bounds on the propensity.
    """
    t = np.asarray(treatment).astype(bool)
    e = np.asarray(score)
    if isinstance(rule, tuple):
        low, high = rule
        return (e >= low) & (e <= high)
    if rule == "none":
        return np.ones(len(e), dtype=bool)
    if rule != "auto":
        raise ValueError(f"trimming rule must be 'auto', 'none' or (low, high), got {rule!r}")
    if estimand == "ATE":
        return (e >= 0.1) & (e <= 0.9)
    if estimand == "ATT":
        return ~t | (e <= e[~t].max())
    raise ValueError(f"estimand must be 'ATT' or 'ATE', got {estimand!r}")


def trimming_rule_text(estimand: str, rule: str | tuple[float, float], lang: str) -> str:
    if isinstance(rule, tuple):
        return (f"倾向得分修剪：保留 {rule[0]} ≤ e ≤ {rule[1]} 的案件" if lang == "zh"
                else f"Propensity trimming: kept cases with {rule[0]} <= e <= {rule[1]}")
    if rule == "none":
        return "未修剪倾向得分" if lang == "zh" else "No propensity trimming"
    if estimand == "ATE":
        return ("倾向得分修剪：Crump 等（2009）经验规则，保留 0.1 ≤ e ≤ 0.9" if lang == "zh"
                else "Propensity trimming: Crump et al. (2009) rule of thumb, kept 0.1 <= e <= 0.9")
    return ("倾向得分修剪：剔除倾向得分高于对照组最大值的处理组案件（无可比对照）" if lang == "zh"
            else "Propensity trimming: treated cases with a propensity above the largest control "
                 "propensity were dropped (no comparable control)")
