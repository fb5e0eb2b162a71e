"""How strong would a hidden confounder have to be to overturn the estimate?

Two measures, both reported for every outcome:

* **E-value** (VanderWeele & Ding 2017, Ann. Intern. Med. 167:268): the minimum strength of
  association, on the risk-ratio scale, that an unmeasured confounder would need with both the
  treatment and the outcome to explain the estimate away: E = RR + sqrt(RR (RR - 1)) for RR >= 1
  (RR replaced by 1/RR below 1). Binary outcomes: RR = (p0 + RD) / p0 with p0 the counterfactual
  risk of the treated without treatment (mean outcome of the treated minus the estimated risk
  difference). Continuous outcomes use the approximation RR = exp(0.91 d), d = estimate / sd of the
  outcome among controls (VanderWeele & Ding 2017, eTable). The E-value of the confidence limit
  nearer to the null is reported too (1 when the interval covers the null).
* **Robustness value** and **benchmark bounds** (Cinelli & Hazlett 2020, JRSS-B 82:39), for the
  linear regression y ~ treatment + covariates: with t the treatment's t statistic on ``dof``
  degrees of freedom, f = |t| / sqrt(dof), RV = (sqrt(f^4 + 4 f^2) - f^2) / 2 is the share of
  residual variance of both treatment and outcome a confounder must explain to bring the estimate
  to zero (RV_alpha, with f - |t_crit| / sqrt(dof - 1), to make it insignificant). Each observed
  covariate group X_j gives a benchmark: a confounder as strong as X_j (k_D = k_Y = 1) has
  R2_{D~Z|X} = R2_dj / (1 - R2_dj) and R2_{Y~Z|D,X} bounded as in Cinelli & Hazlett's eq. (Section
  6.2), and moves the estimate by at most se * sqrt(dof * R2_yz * R2_dz / (1 - R2_dz)).
  ``k_explain_away`` is how many times as strong as X_j a confounder would have to be to bring the
  estimate to zero.

No sensitivity analysis can tell from the data whether a hidden confounder exists: it says how
strong one would have to be, and benchmarks that strength against the observed covariates. An
estimate that survives confounders "as strong as the strongest observed covariate" is still wrong
if a stronger one exists (the synthetic court with ``hidden_confounding > 0`` shows exactly that).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from courtstudy.studies.triage.propensity import add_intercept


def evalue_rr(rr: float) -> float:
    """E-value of a risk ratio."""
    if not np.isfinite(rr) or rr <= 0:
        return float("nan")
    rr = 1 / rr if rr < 1 else rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def evalue_risk_difference(estimate: float, ci_low: float, ci_high: float, treated_risk: float) -> dict:
    """E-values of a risk difference on the treated (see module docstring)."""
    p0 = treated_risk - estimate

    def rr(rd: float) -> float:
        return (p0 + rd) / p0 if 0 < p0 < 1 and p0 + rd > 0 else float("nan")

    point = evalue_rr(rr(estimate))
    covers = ci_low <= 0 <= ci_high
    limit = ci_low if estimate > 0 else ci_high
    return {"risk_ratio": rr(estimate), "evalue": point, "evalue_ci": 1.0 if covers else evalue_rr(rr(limit))}


def evalue_continuous(estimate: float, ci_low: float, ci_high: float, sd: float) -> dict:
    """E-values of a difference in means via RR = exp(0.91 d)."""
    def rr(diff: float) -> float:
        return float(np.exp(0.91 * diff / sd)) if sd > 0 else float("nan")

    covers = ci_low <= 0 <= ci_high
    limit = ci_low if estimate > 0 else ci_high
    return {"risk_ratio": rr(estimate), "evalue": evalue_rr(rr(estimate)),
            "evalue_ci": 1.0 if covers else evalue_rr(rr(limit))}


def robustness_value(t_stat: float, dof: int, q: float = 1.0, alpha: float | None = None) -> float:
    """Cinelli & Hazlett's RV_q (``alpha`` None) or RV_{q,alpha}."""
    f = q * abs(t_stat) / np.sqrt(dof)
    if alpha is not None:
        f = f - abs(stats.t.ppf(alpha / 2, dof - 1)) / np.sqrt(dof - 1)
        if f <= 0:
            return 0.0
    return float(0.5 * (np.sqrt(f**4 + 4 * f**2) - f**2))


class _CrossProducts:
    """Residual sums of squares of many regressions on subsets of the same columns, from one
    cross-product matrix (k x k solves instead of n x k fits)."""

    def __init__(self, z: np.ndarray) -> None:
        self.g = z.T @ z

    def rss(self, cols: list[int], target: int) -> float:
        gxx = self.g[np.ix_(cols, cols)]
        gxy = self.g[cols, target]
        coef = np.linalg.pinv(gxx) @ gxy
        return float(self.g[target, target] - coef @ gxy)

    def partial_r2(self, full: list[int], reduced: list[int], target: int) -> float:
        rss_full, rss_red = self.rss(full, target), self.rss(reduced, target)
        return float(max(rss_red - rss_full, 0.0) / rss_red) if rss_red > 0 else 0.0


def bias_bound(std_error: float, dof: int, r2_dz: float, r2_yz: float) -> float:
    """Largest |bias| of the OLS treatment coefficient from a confounder Z with partial R2
    ``r2_dz`` with the treatment (given X) and ``r2_yz`` with the outcome (given D and X):
    se * sqrt(dof * r2_yz * r2_dz / (1 - r2_dz)) (Cinelli & Hazlett 2020, eq. 11)."""
    return float(std_error * np.sqrt(dof * r2_yz * r2_dz / (1 - r2_dz)))


def benchmark_strength(r2_dj: float, r2_yj: float, k: float = 1.0) -> tuple[float, float]:
    """Partial R2 (with treatment, with outcome) of a confounder ``k`` times as strong as the
    observed covariate group j (Cinelli & Hazlett 2020, section 6.1; k_D = k_Y = k); NaN when
    such a confounder cannot exist (R2 would reach 1)."""
    if k * r2_dj >= 1 or r2_dj >= 1:
        return float("nan"), float("nan")
    r2_dz = k * r2_dj / (1 - r2_dj)
    if r2_dz >= 1:
        return float("nan"), float("nan")
    r2_zxj = k * r2_dj**2 / ((1 - k * r2_dj) * (1 - r2_dj))
    if r2_zxj >= 1:
        return r2_dz, 1.0
    r2_yz = ((np.sqrt(k) + np.sqrt(r2_zxj)) / np.sqrt(1 - r2_zxj)) ** 2 * (r2_yj / (1 - r2_yj))
    return float(r2_dz), float(min(r2_yz, 1.0))


def explain_away_multiple(estimate: float, std_error: float, dof: int, r2_dj: float, r2_yj: float,
                          k_max: float = 1000.0) -> float:
    """Smallest k such that a confounder k times as strong as covariate group j could bring the
    OLS estimate to zero (bisection on k; ``inf`` when no admissible k does)."""
    def shortfall(k: float) -> float:
        r2_dz, r2_yz = benchmark_strength(r2_dj, r2_yj, k)
        if not np.isfinite(r2_dz):
            return float("nan")
        return abs(estimate) - bias_bound(std_error, dof, r2_dz, r2_yz)

    lo, hi = 0.0, 1.0
    while hi < k_max and shortfall(hi) > 0:
        lo, hi = hi, hi * 2
    if not shortfall(hi) <= 0:
        # Past the admissible range before the estimate is explained away.
        return float("inf")
    for _ in range(60):
        mid = (lo + hi) / 2
        value = shortfall(mid)
        if np.isfinite(value) and value <= 0:
            hi = mid
        else:
            lo = mid
    return float(hi)


def omitted_variable_bounds(y: np.ndarray, t: np.ndarray, design: pd.DataFrame,
                            groups: dict[str, list[str]], alpha: float = 0.05) -> tuple[dict, pd.DataFrame]:
    """OLS y ~ t + design: estimate, t statistic, partial R2 of the treatment, RV and RV_alpha, and
    a benchmark table with one row per covariate group (see the module docstring)."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(t, dtype=float)
    x = design.to_numpy(dtype=float)
    full = np.column_stack([add_intercept(x), t])
    n, k = full.shape
    dof = n - k
    cp = _CrossProducts(np.column_stack([full, y]))
    gram_inv = np.linalg.pinv(cp.g[:k, :k])
    coef = gram_inv @ cp.g[:k, k]
    sigma2 = (cp.g[k, k] - coef @ cp.g[:k, k]) / dof
    se = float(np.sqrt(sigma2 * gram_inv[-1, -1]))
    est = float(coef[-1])
    tstat = est / se
    r2_yd = tstat**2 / (tstat**2 + dof)
    summary = {"estimate": est, "std_error": se, "t": tstat, "dof": dof, "r2_yd_x": r2_yd,
               "rv": robustness_value(tstat, dof), "rv_alpha": robustness_value(tstat, dof, alpha=alpha)}
    rows = []
    cols = list(design.columns)
    tcrit = abs(stats.t.ppf(alpha / 2, dof - 1))
    # Columns of z: intercept, covariates 1..p, treatment p+1, outcome p+2.
    p = len(cols)
    t_col, y_col = p + 1, p + 2
    for name, members in groups.items():
        idx = [cols.index(c) + 1 for c in members if c in cols]
        if not idx:
            continue
        x_all = list(range(p + 1))
        x_wo = [i for i in x_all if i not in idx]
        r2_dj = cp.partial_r2(x_all, x_wo, t_col)
        r2_yj = cp.partial_r2(x_all + [t_col], x_wo + [t_col], y_col)
        r2_dz, r2_yz = benchmark_strength(r2_dj, r2_yj, 1.0)
        k_needed = explain_away_multiple(est, se, dof, r2_dj, r2_yj)
        if not np.isfinite(r2_dz):
            rows.append({"covariate": name, "r2_treatment": r2_dj, "r2_outcome": r2_yj, "r2_dz": np.nan,
                         "r2_yz": np.nan, "bias_bound": np.nan, "adjusted_estimate": np.nan,
                         "adjusted_ci_low": np.nan, "adjusted_ci_high": np.nan, "k_explain_away": k_needed})
            continue
        bias = bias_bound(se, dof, r2_dz, r2_yz)
        adj_se = se * np.sqrt(max(1 - r2_yz, 0.0) / (1 - r2_dz) * dof / (dof - 1))
        adjusted = np.sign(est) * (abs(est) - bias)
        rows.append({"covariate": name, "r2_treatment": r2_dj, "r2_outcome": r2_yj, "r2_dz": r2_dz,
                     "r2_yz": r2_yz, "bias_bound": bias, "adjusted_estimate": adjusted,
                     "adjusted_ci_low": adjusted - tcrit * adj_se, "adjusted_ci_high": adjusted + tcrit * adj_se,
                     "k_explain_away": k_needed})
    return summary, pd.DataFrame(rows)
