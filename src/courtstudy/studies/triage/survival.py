"""Time to closing with pending cases censored: Kaplan-Meier, restricted mean, Cox.

* :func:`kaplan_meier` - the (optionally weighted) product-limit estimator
  S(t) = prod_{u_j <= t} (1 - d_j / n_j), with d_j and n_j the (weighted) closings and cases at
  risk at day u_j. With inverse-propensity weights normalised within each arm it estimates the
  arm's counterfactual survival curve (Cole & Hernan 2004, Comput. Methods Programs Biomed. 75:45;
  Xie & Liu 2005, Stat. Med. 24:3089).
* :func:`rmst` - restricted mean time to closing, RMST(tau) = integral_0^tau S(t) dt (Royston &
  Parmar 2013). Its standard error comes from the influence function of the product-limit
  estimator, IF_i = -w_i [delta_i c_{j(i)} - sum_{u_j <= min(T_i, tau)} c_j h_j],
  c_j = A_j / (n_j (1 - h_j)), A_j = integral_{u_j}^tau S, h_j = d_j / n_j; with unit weights the
  variance sum IF_i^2 is Greenwood's. Weights are treated as known (the propensity-estimation
  term is omitted; for ATT weights this is conservative in practice and is checked by the Monte
  Carlo benchmark).
* :func:`cox_model` - statsmodels ``PHReg`` (Efron ties by default), optional strata (e.g. court)
  and cluster-robust standard errors (``groups``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from courtstudy.studies.results import EffectResult, estimate_row


@dataclass
class SurvivalCurve:
    """A step function: ``time`` (distinct event times), ``survival`` S(time), ``at_risk`` and
    ``events`` (weighted when weights were given), ``std_error`` (Greenwood / IF)."""

    time: np.ndarray
    survival: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    std_error: np.ndarray

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"time": self.time, "survival": self.survival, "at_risk": self.at_risk,
                             "events": self.events, "std_error": self.std_error})

    def at(self, times: np.ndarray | float) -> np.ndarray:
        """S evaluated at ``times`` (right-continuous step function, S=1 before the first time)."""
        idx = np.searchsorted(self.time, np.atleast_1d(times), side="right") - 1
        return np.where(idx >= 0, self.survival[np.maximum(idx, 0)], 1.0)

    def median(self) -> float:
        """Smallest time with S <= 0.5 (NaN when the curve never gets there)."""
        below = np.nonzero(self.survival <= 0.5)[0]
        return float(self.time[below[0]]) if below.size else float("nan")


def _validate(time: np.ndarray, event: np.ndarray, weights: np.ndarray | None):
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    if time.shape != event.shape:
        raise ValueError("time and event have different lengths")
    if not np.isfinite(time).all() or (time < 0).any():
        raise ValueError("times must be finite and non-negative")
    if not np.isin(event, (0.0, 1.0)).all():
        raise ValueError("event must be 0 (censored) or 1 (closed)")
    w = np.ones_like(time) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != time.shape or (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite, non-negative, one per case")
    return time, event, w


def _product_limit(time, event, w):
    order = np.argsort(time, kind="stable")
    ts, es, ws = time[order], event[order], w[order]
    uniq, first = np.unique(ts, return_index=True)
    d = np.add.reduceat(ws * es, first)
    leaving = np.add.reduceat(ws, first)
    n_risk = np.cumsum(leaving[::-1])[::-1]
    h = np.divide(d, n_risk, out=np.zeros_like(d), where=n_risk > 0)
    return uniq, d, n_risk, h, np.cumprod(1 - h)


def kaplan_meier(time: np.ndarray, event: np.ndarray, weights: np.ndarray | None = None) -> SurvivalCurve:
    """(Weighted) Kaplan-Meier curve; standard errors by Greenwood's formula on weighted counts
    with the Kish effective-size correction when weighted."""
    time, event, w = _validate(time, event, weights)
    uniq, d, n_risk, h, surv = _product_limit(time, event, w)
    keep = d > 0
    denom = n_risk * (n_risk - d)
    term = np.divide(d, denom, out=np.zeros_like(d), where=denom > 0)
    if weights is not None:
        # Greenwood on weighted counts assumes unit weights; sum(w^2)/sum(w) rescales the counts
        # to their effective size (equal weights give back the unweighted variance).
        term = term * np.sum(w**2) / np.sum(w)
    se = surv * np.sqrt(np.cumsum(term))
    return SurvivalCurve(uniq[keep], surv[keep], n_risk[keep], d[keep], se[keep])


def rmst(time: np.ndarray, event: np.ndarray, horizon: float,
         weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Restricted mean time to closing up to ``horizon`` and its per-case influence values
    (``std_error = sqrt(sum IF^2)``; see the module docstring)."""
    time, event, w = _validate(time, event, weights)
    uniq, d, n_risk, h, surv = _product_limit(time, event, w)
    inside = uniq < horizon
    u, hh, nr, s = uniq[inside], h[inside], n_risk[inside], surv[inside]
    grid = np.append(u, horizon)
    widths = np.diff(grid)
    area_pieces = s * widths  # S is constant at s[j] on [u_j, u_{j+1})
    start_area = u[0] * 1.0 if u.size else horizon  # S = 1 before the first distinct time
    value = float(start_area + area_pieces.sum())
    a = np.cumsum(area_pieces[::-1])[::-1]  # A_j = integral from u_j to horizon
    denom = nr * (1 - hh)
    c = np.divide(a, denom, out=np.zeros_like(a), where=denom > 0)
    ch_cum = np.cumsum(c * hh)
    pos = np.searchsorted(u, np.minimum(time, horizon), side="right") - 1
    # Every time below the horizon is one of the distinct times u, so pos indexes the case's own.
    own_c = np.where(time < horizon, c[np.maximum(pos, 0)] if u.size else 0.0, 0.0)
    cum = np.where(pos >= 0, ch_cum[np.maximum(pos, 0)], 0.0)
    infl = -w * (event * own_c - cum)
    return value, infl


def rmst_difference(time: np.ndarray, event: np.ndarray, treatment: np.ndarray, horizon: float,
                    weights: np.ndarray | None = None) -> tuple[float, float, float, float]:
    """RMST(treated) - RMST(control) up to ``horizon``; returns (difference, std_error, rmst1, rmst0).

    Weights are normalised within each arm so that each arm's curve is a weighted average.
    """
    t = np.asarray(treatment).astype(bool)
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    r1, if1 = rmst(time[t], event[t], horizon, w[t] / w[t].sum())
    r0, if0 = rmst(time[~t], event[~t], horizon, w[~t] / w[~t].sum())
    se = float(np.sqrt(np.sum(if1**2) + np.sum(if0**2)))
    return r1 - r0, se, r1, r0


def cox_model(time: np.ndarray, event: np.ndarray, covariates: pd.DataFrame, *,
              treatment: str | None = None, strata: np.ndarray | None = None,
              groups: np.ndarray | None = None, ties: str = "efron", outcome: str = "time_to_close",
              estimand: str = "HR") -> EffectResult:
    """Cox proportional-hazards model (statsmodels ``PHReg``) of time to closing.

    ``covariates`` columns are the regressors (``treatment`` names the one reported as the effect;
    ``None`` reports every coefficient as a row). ``strata`` gives each stratum its own baseline
    hazard (court); ``groups`` switches to cluster-robust (sandwich) standard errors by group.
    The reported estimate is the hazard ratio of closing exp(beta) with its interval exp(beta +-
    z se) (ci_method ``"exp-wald"``); ``diagnostics["coefficients"]`` holds beta, se, z, p on the log
    scale for every regressor and ``diagnostics["lr_test"]`` the likelihood-ratio test against the
    null model (model-based, as printed by R ``coxph``).
    """
    from statsmodels.duration.hazard_regression import PHReg

    time, event, _ = _validate(time, event, None)
    x = covariates.astype(float)
    if not np.isfinite(x.to_numpy()).all():
        raise ValueError("covariates of the Cox model have missing values")
    model = PHReg(time, x.to_numpy(), status=event, ties=ties, strata=strata)
    fit = model.fit()
    params = np.asarray(fit.params)
    bse = np.asarray(fit.bse)
    if groups is not None:
        # statsmodels' robust_covariance collapses score residuals by group in a Python loop over
        # cases; the same sandwich H^-1 (sum_g s_g s_g') H^-1 with a vectorised group sum.
        scores = model.score_residuals(params)
        codes = pd.factorize(pd.Series(np.asarray(groups)))[0]
        by_group = np.zeros((codes.max() + 1, scores.shape[1]))
        np.add.at(by_group, codes, scores)
        hess_inv = np.linalg.inv(model.hessian(params))
        cov = hess_inv @ (by_group.T @ by_group) @ hess_inv
        bse = np.sqrt(np.diag(cov))
    z = params / bse
    coefs = pd.DataFrame({"term": list(x.columns), "coef": params, "std_error": bse, "z": z,
                          "p_value": 2 * stats.norm.sf(np.abs(z))})
    ll_null = float(model.loglike(np.zeros(len(params))))
    lr = 2 * (float(fit.llf) - ll_null)
    lr_test = {"statistic": lr, "df": len(params), "p_value": float(stats.chi2.sf(lr, len(params)))}
    zq = stats.norm.ppf(0.975)
    terms = [treatment] if treatment is not None else list(x.columns)
    rows = []
    n_t = int(x[treatment].sum()) if treatment is not None else None
    for term in terms:
        k = list(x.columns).index(term)
        b, s = params[k], bse[k]
        rows.append(estimate_row(
            outcome=outcome if treatment is not None else term, method="cox", estimand=estimand,
            estimate=float(np.exp(b)), std_error=float(np.exp(b) * s),
            ci=(float(np.exp(b - zq * s)), float(np.exp(b + zq * s))), ci_method="exp-wald",
            p_value=float(2 * stats.norm.sf(abs(b / s))), n_treated=n_t,
            n_control=None if n_t is None else len(time) - n_t, n=len(time)))
    se_kind = "cluster-robust" if groups is not None else "model-based"
    notes = {
        "zh": [f"Cox 比例风险模型（{ties} 结处理{'，按法院分层' if strata is not None else ''}，"
               f"{'按组聚类稳健标准误' if groups is not None else '模型标准误'}）；风险比大于 1 表示结案更快。"],
        "en": [f"Cox proportional hazards ({ties} ties{', stratified by court' if strata is not None else ''}, "
               f"{se_kind} standard errors); a hazard ratio above 1 means faster closing."],
    }
    return EffectResult(pd.DataFrame(rows), title={"zh": "Cox 模型", "en": "Cox model"}, notes=notes,
                        diagnostics={"coefficients": coefs, "lr_test": lr_test, "n_events": int(event.sum())})


def plot_curves(curves: dict[str, SurvivalCurve], ax=None, lang: str = "zh", horizon: float | None = None,
                title: str | None = None):
    """Share of cases still pending (S) against days since filing, one step line per curve."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, curve in curves.items():
        ax.step(np.r_[0, curve.time], np.r_[1, curve.survival], where="post", label=label)
    if horizon is not None:
        ax.axvline(horizon, color="grey", ls="--", lw=0.8)
        ax.set_xlim(0, horizon * 1.5)
    ax.set_xlabel("立案后天数" if lang == "zh" else "Days since filing")
    ax.set_ylabel("未结案比例" if lang == "zh" else "Share still pending")
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return ax
