"""Callaway-Sant'Anna for repeated cross-sections of cases, doubly robust, vectorised.

For each cohort ``g`` (units adopting in period ``g``) and period ``t``, the cases of cohort
``g`` and of the comparison units (never adopting, or also not yet adopting by ``max(t, b)``)
filed in ``t`` or in the base period ``b`` (``g - 1 - anticipation`` for ``t >= g``; ``t - 1``
before adoption with a "varying" base, ``g - 1`` with a "universal" one) form one 2x2
difference in differences between two cross-sections. With covariates ``x`` known at filing
it is the locally efficient doubly robust estimator of Sant'Anna & Zhao (2020, eq. 3.4): a
logit propensity of belonging to cohort ``g`` against the comparison units, and four linear
outcome regressions (cohort / comparison x base / current period); without covariates it is
the difference of the four means.

This module computes exactly what moderndid 0.2.0 ``att_gt(..., panel=False)`` and ``aggte``
compute (same cells, same estimator, same influence functions, tested to 1e-8 on data where
moderndid estimates every cell; moderndid refuses cells whose regressions are singular, this
module takes the minimum-norm solution), but for several outcomes at once and without
re-filtering the whole frame per cell, which makes it fast enough for randomisation inference
and Monte Carlo work. The influence function is per case (each case an independent
observation), so its standard errors are the *case-level* ones; per-cell sums of the linear
weights of each estimate (``V``) are computed too (the estimator is linear in the outcomes given
the propensity scores), so :mod:`.variance`'s court-month component can be added.

Aggregations as R ``did::aggte``: ``simple`` (post cells weighted by the cohort's share of
cases), ``dynamic`` (by event time ``e = t - g``, overall = mean over ``e >= 0``) and ``group``;
their influence functions include the estimated-weights term.

References: Callaway & Sant'Anna (2021), Journal of Econometrics 225(2); Sant'Anna & Zhao
(2020), Journal of Econometrics 219(1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from courtstudy.studies.staggered.data import NEVER, StaggeredData

CONTROL_GROUPS = ("notyettreated", "nevertreated")
BASE_PERIODS = ("varying", "universal")
#: Comparison cases with a propensity score above this are trimmed (R DRDID default).
TRIM_LEVEL = 0.995


def _logit(d: np.ndarray, x: np.ndarray, iters: int = 100, tol: float = 1e-10) -> np.ndarray:
    """Fitted probabilities of a logit of ``d`` on ``x`` by Newton-Raphson (GLM's IRLS), stopped
    as statsmodels does when the deviance changes by less than ``tol`` relatively (so that
    quasi-separated dummies stop early instead of drifting to infinity)."""
    beta = np.zeros(x.shape[1])
    p_bar = np.clip(d.mean(), 1e-6, 1 - 1e-6)
    if np.allclose(x[:, 0], 1):
        beta[0] = np.log(p_bar / (1 - p_bar))
    dev_old = np.inf
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(x @ beta)))
        pc = np.clip(p, 1e-15, 1 - 1e-15)
        dev = -2 * float(np.sum(d * np.log(pc) + (1 - d) * np.log(1 - pc)))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            break
        dev_old = dev
        w = p * (1 - p)
        grad = x.T @ (d - p)
        hess = x.T @ (x * w[:, None])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta = beta + step
    return 1 / (1 + np.exp(-(x @ beta)))


def _ols_fit(x: np.ndarray, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fitted values on all rows of an OLS of ``y`` (n x m) on ``x`` over ``rows``, and the
    inverse Gram matrix scaled as moderndid (``(X_s'X_s / n)^-1``)."""
    xs = x[rows]
    gram = xs.T @ xs
    coef = np.linalg.lstsq(gram, xs.T @ y[rows], rcond=None)[0]
    return x @ coef, np.linalg.pinv(gram / len(x))


def drdid_rc(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray,
             n_influence: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Locally efficient doubly robust DiD for repeated cross-sections (Sant'Anna & Zhao 2020),
    as DRDID's ``drdid_rc`` / moderndid's, for the columns of ``y`` (n x m) at once. ``x``
    includes the intercept. Returns the ATT (m) and the influence function (n x m', per
    observation, moderndid's ``att_inf_func``) of the first ``n_influence`` columns (all by
    default; the others only get their ATT)."""
    n = len(y)
    m_if = y.shape[1] if n_influence is None else int(n_influence)
    post = post.astype(float)
    d = d.astype(float)
    ps = np.clip(_logit(d, x), 1e-6, 1 - 1e-6)
    trim = np.where(d == 0, ps < TRIM_LEVEL, True).astype(float)
    cp = (d == 0) & (post == 0)
    cq = (d == 0) & (post == 1)
    tp = (d == 1) & (post == 0)
    tq = (d == 1) & (post == 1)
    y_cont_pre, inv_cp = _ols_fit(x, y, cp)
    y_cont_post, inv_cq = _ols_fit(x, y, cq)
    y_treat_pre, inv_tp = _ols_fit(x, y, tp)
    y_treat_post, inv_tq = _ols_fit(x, y, tq)
    post_c = post[:, None]
    y_cont = post_c * y_cont_post + (1 - post_c) * y_cont_pre

    w_treat_pre = trim * d * (1 - post)
    w_treat_post = trim * d * post
    odds = ps * (1 - d) / (1 - ps)
    w_cont_pre = trim * odds * (1 - post)
    w_cont_post = trim * odds * post
    w_d = trim * d
    w_dt1 = trim * d * post
    w_dt0 = trim * d * (1 - post)

    def eta(w: np.ndarray, v: np.ndarray) -> np.ndarray:
        return w[:, None] * v / w.mean()

    resid = y - y_cont
    e_treat_pre = eta(w_treat_pre, resid)
    e_treat_post = eta(w_treat_post, resid)
    e_cont_pre = eta(w_cont_pre, resid)
    e_cont_post = eta(w_cont_post, resid)
    e_d_post = eta(w_d, y_treat_post - y_cont_post)
    e_dt1_post = eta(w_dt1, y_treat_post - y_cont_post)
    e_d_pre = eta(w_d, y_treat_pre - y_cont_pre)
    e_dt0_pre = eta(w_dt0, y_treat_pre - y_cont_pre)
    m = {k: v.mean(axis=0) for k, v in (("treat_pre", e_treat_pre), ("treat_post", e_treat_post),
                                         ("cont_pre", e_cont_pre), ("cont_post", e_cont_post),
                                         ("d_post", e_d_post), ("dt1_post", e_dt1_post),
                                         ("d_pre", e_d_pre), ("dt0_pre", e_dt0_pre))}
    att = ((m["treat_post"] - m["treat_pre"]) - (m["cont_post"] - m["cont_pre"])
           + (m["d_post"] - m["dt1_post"]) - (m["d_pre"] - m["dt0_pre"]))
    if m_if < y.shape[1]:
        y = y[:, :m_if]
        y_cont_pre, y_cont_post = y_cont_pre[:, :m_if], y_cont_post[:, :m_if]
        y_treat_pre, y_treat_post = y_treat_pre[:, :m_if], y_treat_post[:, :m_if]
        resid = resid[:, :m_if]
        e_treat_pre, e_treat_post = e_treat_pre[:, :m_if], e_treat_post[:, :m_if]
        e_cont_pre, e_cont_post = e_cont_pre[:, :m_if], e_cont_post[:, :m_if]
        e_d_post, e_dt1_post = e_d_post[:, :m_if], e_dt1_post[:, :m_if]
        e_d_pre, e_dt0_pre = e_d_pre[:, :m_if], e_dt0_pre[:, :m_if]
        m = {k: v[:m_if] for k, v in m.items()}

    # Asymptotic linear representations of the OLS coefficients, x_i r_i' (X_s'X_s/n)^-1 with
    # r the subgroup residual: contracted with a k-vector v they are r_i * (x_i' inv v), so the
    # n x k x m array is never formed.
    class _Alr:
        def __init__(self, rows: np.ndarray, fitted: np.ndarray, inv: np.ndarray) -> None:
            self.r = np.where(rows[:, None], y - fitted, 0.0)
            self.inv = inv

        def dot(self, v: np.ndarray) -> np.ndarray:
            return self.r * (x @ (self.inv @ v))[:, None]

    alr_cp = _Alr(cp, y_cont_pre, inv_cp)
    alr_cq = _Alr(cq, y_cont_post, inv_cq)
    alr_tp = _Alr(tp, y_treat_pre, inv_tp)
    alr_tq = _Alr(tq, y_treat_post, inv_tq)
    score_ps = (d - ps)[:, None] * x
    hess_inv = np.linalg.pinv(x.T @ (x * (ps * (1 - ps))[:, None])) * n
    alr_ps = score_ps @ hess_inv  # n x k

    def mean_w(w: np.ndarray, v: np.ndarray) -> np.ndarray:
        return (w[:, None] * v).mean(axis=0) / w.mean()

    inf_treat_pre = e_treat_pre - w_treat_pre[:, None] * m["treat_pre"] / w_treat_pre.mean()
    inf_treat_post = e_treat_post - w_treat_post[:, None] * m["treat_post"] / w_treat_post.mean()
    tm_post = -mean_w(w_treat_post * post, x)
    tm_pre = -mean_w(w_treat_pre * (1 - post), x)
    inf_treat_or = alr_cq.dot(tm_post) + alr_cp.dot(tm_pre)
    inf_treat = inf_treat_post - inf_treat_pre + inf_treat_or

    inf_cont_pre = e_cont_pre - w_cont_pre[:, None] * m["cont_pre"] / w_cont_pre.mean()
    inf_cont_post = e_cont_post - w_cont_post[:, None] * m["cont_post"] / w_cont_post.mean()
    cm_pre = x.T @ (w_cont_pre[:, None] * (resid - m["cont_pre"])) / n / w_cont_pre.mean()
    cm_post = x.T @ (w_cont_post[:, None] * (resid - m["cont_post"])) / n / w_cont_post.mean()
    inf_cont_ps = alr_ps @ (cm_post - cm_pre)
    crm_post = -mean_w(w_cont_post * post, x)
    crm_pre = -mean_w(w_cont_pre * (1 - post), x)
    inf_cont_or = alr_cq.dot(crm_post) + alr_cp.dot(crm_pre)
    inf_cont = inf_cont_post - inf_cont_pre + inf_cont_ps + inf_cont_or

    inf_eff = ((e_d_post - w_d[:, None] * m["d_post"] / w_d.mean())
               - (e_dt1_post - w_dt1[:, None] * m["dt1_post"] / w_dt1.mean())
               - ((e_d_pre - w_d[:, None] * m["d_pre"] / w_d.mean())
                  - (e_dt0_pre - w_dt0[:, None] * m["dt0_pre"] / w_dt0.mean())))
    mom_post = ((w_d / w_d.mean() - w_dt1 / w_dt1.mean())[:, None] * x).mean(axis=0)
    mom_pre = ((w_d / w_d.mean() - w_dt0 / w_dt0.mean())[:, None] * x).mean(axis=0)
    inf_or = (alr_tq.dot(mom_post) - alr_cq.dot(mom_post)
              - (alr_tp.dot(mom_pre) - alr_cp.dot(mom_pre)))
    return att, inf_treat - inf_cont + inf_eff + inf_or


@dataclass
class CSFit:
    """Group-time effects of the outcomes ``names`` (``att`` (K, m)) for cells ``groups`` /
    ``times`` (period indices; ``groups <= times`` are post cells); per cell the rows (cases)
    used, their influence functions (moderndid scale ``n / n_cell * att_inf_func``) and the
    per-cell sums of the linear weights ``V`` ((U, T) per cell, None for reference cells)."""

    data: StaggeredData
    names: tuple[str, ...]
    rows_used: np.ndarray
    control_group: str
    base_period: str
    covariates: bool
    groups: np.ndarray
    times: np.ndarray
    att: np.ndarray
    cell_rows: list[np.ndarray]
    cell_inf: list[np.ndarray]
    cell_v: list[np.ndarray | None]
    reference: np.ndarray
    failed: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.rows_used.sum())


def att_gt(data: StaggeredData, outcomes: Sequence[str], *, covariates: bool = True,
           control_group: str = "notyettreated", base_period: str = "varying",
           anticipation: int = 0, rows: np.ndarray | None = None,
           cohort: np.ndarray | None = None, linear_weights: bool = True) -> CSFit:
    """ATT(g, t) of every cohort and period (module docstring) on the cases ``rows`` (default:
    cases where every outcome is observed), under adoption periods ``cohort`` (default the
    observed ones)."""
    if control_group not in CONTROL_GROUPS:
        raise ValueError(f"control_group must be one of {CONTROL_GROUPS}, got {control_group!r}")
    if base_period not in BASE_PERIODS:
        raise ValueError(f"base_period must be one of {BASE_PERIODS}, got {base_period!r}")
    y_all = np.column_stack([data.outcomes[o] for o in outcomes])
    if rows is None:
        rows = np.isfinite(y_all).all(axis=1)
    rows = np.asarray(rows, bool)
    cohort = data.cohort if cohort is None else np.asarray(cohort)
    idx = np.flatnonzero(rows)
    n = len(idx)
    unit = data.unit[idx]
    period = data.period[idx]
    g_case = cohort[unit]
    y = y_all[idx]
    x = np.column_stack([np.ones(n), data.covariates[idx]]) if covariates and data.covariates.shape[1] \
        else np.ones((n, 1))
    n_t = data.n_periods
    # index of the cases of each (unit, period) cell among `idx`
    cell = unit * n_t + period
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(data.n_units * n_t + 1))

    def cases_of(units: np.ndarray, t: int) -> np.ndarray:
        parts = [order[bounds[u * n_t + t]: bounds[u * n_t + t + 1]] for u in units]
        return np.concatenate(parts) if parts else np.zeros(0, int)

    groups_list = sorted(int(g) for g in np.unique(cohort[cohort != NEVER]))
    out_g, out_t, out_att, out_rows, out_inf, out_v, out_ref = [], [], [], [], [], [], []
    failed = []
    unit_ids = np.arange(data.n_units)
    for g in groups_list:
        pre = [t for t in range(n_t) if t < g - anticipation]
        if not pre:
            continue
        base_universal = pre[-1]
        times = range(n_t) if base_period == "universal" else range(1, n_t)
        for t in times:
            if base_period == "universal":
                b = base_universal
                if t == b:
                    out_g.append(g)
                    out_t.append(t)
                    out_att.append(np.zeros(len(outcomes)))
                    out_rows.append(np.zeros(0, int))
                    out_inf.append(np.zeros((0, len(outcomes))))
                    out_v.append(None)
                    out_ref.append(True)
                    continue
            else:
                b = base_universal if t >= g else t - 1
            relevant = max(t, b) + anticipation
            treated_units = unit_ids[cohort == g]
            if control_group == "nevertreated":
                control_units = unit_ids[cohort == NEVER]
            else:
                control_units = unit_ids[(cohort == NEVER) | ((cohort > relevant) & (cohort != g))]
            r_treat = np.concatenate([cases_of(treated_units, t), cases_of(treated_units, b)])
            r_cont = np.concatenate([cases_of(control_units, t), cases_of(control_units, b)])
            if not len(control_units) or not len(r_cont) or not len(r_treat):
                failed.append((g, t, "no comparison cases"))
                continue
            r = np.concatenate([r_treat, r_cont])
            post = period[r] == t
            dd = (g_case[r] == g)
            if not (post & dd).any() or not (~post & dd).any() or not (post & ~dd).any() \
                    or not (~post & ~dd).any():
                failed.append((g, t, "an empty group-period"))
                continue
            yy = y[r]
            cells_here = None
            if linear_weights:
                cells_here = np.unique(cell[r])
                ind = (cell[r][:, None] == cells_here[None, :]).astype(float)
                yy = np.column_stack([yy, ind])
            m = len(outcomes)
            att, inf = drdid_rc(yy, post, dd, x[r], n_influence=m)
            out_g.append(g)
            out_t.append(t)
            out_att.append(att[:m])
            out_rows.append(idx[r])
            out_inf.append(inf[:, :m] * (n / len(r)))
            if linear_weights:
                v = np.zeros(data.n_units * n_t)
                v[cells_here] = att[m:]
                out_v.append(v.reshape(data.n_units, n_t))
            else:
                out_v.append(None)
            out_ref.append(False)
    return CSFit(data=data, names=tuple(outcomes), rows_used=rows, control_group=control_group,
                 base_period=base_period, covariates=bool(covariates and data.covariates.shape[1]),
                 groups=np.array(out_g, int), times=np.array(out_t, int),
                 att=np.array(out_att).reshape(len(out_g), len(outcomes)), cell_rows=out_rows,
                 cell_inf=out_inf, cell_v=out_v, reference=np.array(out_ref, bool), failed=failed)


@dataclass
class CSAggregate:
    """Aggregated effects: ``names`` (e.g. "overall", "event:-3"), ``estimates`` (J, m),
    ``influence`` (n x J x m, per case of ``fit.rows_used``), case-level ``std_errors`` (J, m)
    as moderndid (``sqrt(mean(IF^2) / n)``), per-cell sums of the linear weights ``cell_sum``
    (J, U, T) and the cell weights ``cell_weights`` (J, K)."""

    names: tuple[str, ...]
    estimates: np.ndarray
    influence: np.ndarray
    std_errors: np.ndarray
    cell_sum: np.ndarray
    cell_weights: np.ndarray


def _pg(fit: CSFit) -> dict[int, float]:
    g_case = fit.data.cohort[fit.data.unit[fit.rows_used]]
    return {int(g): float(np.mean(g_case == g)) for g in np.unique(fit.groups)}


def aggregate(fit: CSFit, kind: str = "simple", min_e: int | None = None,
              max_e: int | None = None) -> CSAggregate:
    """``did::aggte`` of ``kind`` "simple", "dynamic" or "group" (module docstring). For
    "dynamic" the rows are ``event:e`` for each event time in ``[min_e, max_e]`` and then
    ``overall`` (mean over ``e >= 0``); for "group" ``cohort:g`` then ``overall``."""
    n = fit.n
    g_case = fit.data.cohort[fit.data.unit[fit.rows_used]]
    pg = _pg(fit)
    ok = np.isfinite(fit.att).all(axis=1)
    cells = np.flatnonzero(ok)
    groups, times = fit.groups[cells], fit.times[cells]
    e_all = times - groups
    specs: list[tuple[str, np.ndarray, bool]] = []  # (name, cell positions, pg weights?)
    if kind == "simple":
        keep = groups <= times
        if max_e is not None:
            keep &= e_all <= max_e
        specs.append(("overall", cells[keep], True))
    elif kind == "dynamic":
        lo = e_all.min() if min_e is None else min_e
        hi = e_all.max() if max_e is None else max_e
        for e in sorted(set(e_all[(e_all >= lo) & (e_all <= hi)].tolist())):
            specs.append((f"event:{e}", cells[e_all == e], True))
    elif kind == "group":
        for g in sorted(set(groups.tolist())):
            keep = (groups == g) & (groups <= times)
            if max_e is not None:
                keep &= e_all <= max_e
            if keep.any():
                specs.append((f"cohort:{g}", cells[keep], False))
    else:
        raise ValueError(f"kind must be 'simple', 'dynamic' or 'group', got {kind!r}")
    m = len(fit.names)
    n_u, n_t = fit.data.n_units, fit.data.n_periods
    j_total = len(specs) + (1 if kind in ("dynamic", "group") else 0)
    est = np.zeros((j_total, m))
    infl = np.zeros((n, j_total, m))
    vsum = np.zeros((j_total, n_u, n_t))
    weights_out = np.zeros((j_total, len(fit.groups)))
    pos_in_used = np.full(fit.data.n_cases, -1)
    pos_in_used[np.flatnonzero(fit.rows_used)] = np.arange(n)
    names = []
    for j, (name, sel, use_pg) in enumerate(specs):
        names.append(name)
        if use_pg:
            p = np.array([pg[int(fit.groups[c])] for c in sel])
            w = p / p.sum()
        else:
            w = np.full(len(sel), 1.0 / len(sel))
        weights_out[j, sel] = w
        est[j] = w @ fit.att[sel]
        for c, wc in zip(sel, w, strict=True):
            if len(fit.cell_rows[c]):
                np.add.at(infl[:, j, :], pos_in_used[fit.cell_rows[c]], wc * fit.cell_inf[c])
            if fit.cell_v[c] is not None:
                vsum[j] += wc * fit.cell_v[c]
        if use_pg:
            # estimated-weights term of did::aggte (wif @ att), per case from its cohort only
            gk = fit.groups[sel]
            pk = np.array([pg[int(g)] for g in gk])
            s = pk.sum()
            att_k = fit.att[sel]
            ind = (g_case[:, None] == gk[None, :]).astype(float)  # n x K
            term1 = (ind - pk[None, :]) @ att_k / s
            sum_term = (ind - pk[None, :]).sum(axis=1)
            term2 = np.outer(sum_term / s**2, pk @ att_k)
            infl[:, j, :] += term1 - term2
    if kind == "dynamic":
        post = [j for j, (nm, _, _) in enumerate(specs) if int(nm.split(":")[1]) >= 0]
        names.append("overall")
        est[-1] = est[post].mean(axis=0)
        infl[:, -1, :] = infl[:, post, :].mean(axis=1)
        vsum[-1] = vsum[post].mean(axis=0)
        weights_out[-1] = weights_out[post].mean(axis=0)
    elif kind == "group":
        gs = [int(nm.split(":")[1]) for nm, _, _ in specs]
        p = np.array([pg[g] for g in gs])
        w = p / p.sum()
        names.append("overall")
        est[-1] = w @ est[:-1]
        infl[:, -1, :] = np.einsum("njm,j->nm", infl[:, :-1, :], w)
        ind = (g_case[:, None] == np.array(gs)[None, :]).astype(float)
        term1 = (ind - p[None, :]) @ est[:-1] / p.sum()
        term2 = np.outer((ind - p[None, :]).sum(axis=1) / p.sum() ** 2, p @ est[:-1])
        infl[:, -1, :] += term1 - term2
        vsum[-1] = np.einsum("jut,j->ut", vsum[:-1], w)
        weights_out[-1] = w @ weights_out[:-1]
    se = np.sqrt((infl**2).mean(axis=0) / n)
    se[se <= np.sqrt(np.finfo(float).eps) * 10] = np.nan
    return CSAggregate(tuple(names), est, infl, se, vsum, weights_out)
