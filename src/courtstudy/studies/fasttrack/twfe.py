"""Two-way fixed effects (TWFE): the comparison that can mislead, and why.

``Y_it = a_i + l_t + beta * D_it + e_it`` with court and period fixed effects, ``D_it`` = 1 from a
court's adoption period on, standard errors clustered by court (pyfixest ``feols``, CRV1, the
small-sample correction of R fixest). With staggered adoption, beta is a weighted average of
cell effects in which already-treated courts serve as controls for later adopters ("forbidden
comparisons"): when effects grow with time since adoption, some weights are negative and beta
can be far from every cell's effect, even of the wrong sign (Goodman-Bacon 2021; de Chaisemartin
& D'Haultfoeuille 2020).

:func:`twfe_weights` computes those weights. By Frisch-Waugh-Lovell, ``beta = sum r_it Y_it /
sum r_it D_it`` where ``r`` is the residual of ``D`` on both sets of fixed effects; the weight of
treated cell (i, t) on its own effect is ``w_it = r_it / sum_{D=1} r_it`` (they sum to 1), and a
negative ``w_it`` means that cell's effect enters beta with the wrong sign (de Chaisemartin &
D'Haultfoeuille 2020, Theorem 1).

:func:`saturated_event_study` is pyfixest's cohort-by-event-time interacted regression (Sun &
Abraham style), a fast cross-check of the Callaway-Sant'Anna event study with never-treated
controls and a universal base period.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from courtstudy.studies.results import EffectResult, estimate_row


def _demean_two_way(values: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray,
                    tol: float = 1e-12, max_iter: int = 10_000) -> np.ndarray:
    """Residual of ``values`` on unit and time dummies (alternating projections; exact in the
    limit, and a balanced panel converges in one sweep)."""
    r = values.astype(float).copy()
    for _ in range(max_iter):
        r_prev = r.copy()
        r -= (np.bincount(unit_codes, r) / np.bincount(unit_codes))[unit_codes]
        r -= (np.bincount(time_codes, r) / np.bincount(time_codes))[time_codes]
        if np.max(np.abs(r - r_prev)) < tol:
            break
    return r


def twfe_weights(data: pd.DataFrame, *, unit: str = "court", time: str = "t",
                 treated: str = "treated") -> pd.DataFrame:
    """Weight of each treated cell in the TWFE coefficient (formula in the module docstring).

    Returns one row per treated cell: unit, time, weight; ``weight < 0`` marks a cell whose effect
    enters the TWFE estimate with the wrong sign."""
    u = pd.factorize(data[unit])[0]
    t = pd.factorize(data[time])[0]
    d = data[treated].to_numpy(float)
    r = _demean_two_way(d, u, t)
    mask = d == 1
    weights = r[mask] / r[mask].sum()
    return pd.DataFrame({unit: data.loc[mask, unit].to_numpy(), time: data.loc[mask, time].to_numpy(),
                         "weight": weights})


def twfe(
    data: pd.DataFrame,
    outcome: str,
    *,
    unit: str = "court",
    time: str = "t",
    treated: str = "treated",
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EffectResult:
    """Static TWFE ``outcome ~ treated | unit + time`` clustered by ``cluster`` (default: unit).

    Rows with an empty outcome are dropped (counted in the notes). Diagnostics: ``weights``
    (:func:`twfe_weights`), ``n_negative_weights``, ``negative_weight_sum``."""
    import pyfixest as pf

    cluster = cluster or unit
    frame = data[[unit, time, treated, outcome] + ([cluster] if cluster not in (unit, time) else [])].copy()
    frame = frame.dropna(subset=[outcome])
    n_dropped = len(data) - len(frame)
    if "always_treated" in data.columns:
        frame = frame[~data.loc[frame.index, "always_treated"].astype(bool)]
    frame[outcome] = frame[outcome].astype("float64")
    frame[treated] = frame[treated].astype("int64")
    safe = {outcome: "y__", treated: "d__", unit: "u__", time: "t__"}
    if cluster not in safe:
        safe[cluster] = "c__"
    renamed = frame.rename(columns=safe)
    if cluster in (unit, time):
        renamed["c__"] = renamed[safe[cluster]]
    fit = pf.feols("y__ ~ d__ | u__ + t__", data=renamed, vcov={"CRV1": "c__"})
    est = float(fit.coef()["d__"])
    se = float(fit.se()["d__"])
    weights = twfe_weights(frame.reset_index(drop=True), unit=unit, time=time, treated=treated)
    n_neg = int((weights["weight"] < 0).sum())
    neg_sum = float(weights.loc[weights["weight"] < 0, "weight"].sum())
    n_units = frame[unit].nunique()
    treated_units = frame.loc[frame[treated] == 1, unit].nunique()
    row = estimate_row(outcome=outcome, method="twfe", estimand="ATT", aggregation="simple",
                       estimate=est, std_error=se, n_treated=treated_units,
                       n_control=n_units - treated_units, n=len(frame), alpha=alpha,
                       ci_method="wald (CRV1 by court)")
    row["term"] = "overall"
    notes = {
        "zh": [f"双向固定效应把已组建团队的法院当作后组建法院的对照（“禁止的比较”）；"
               f"{len(weights)}个处理单元格中有{n_neg}个权重为负（合计{neg_sum:.3f}），效果随时间增长时该估计有偏，仅供对照。"],
        "en": [f"TWFE uses already-treated courts as controls for later adopters (forbidden "
               f"comparisons); {n_neg} of {len(weights)} treated cells get negative weight "
               f"(sum {neg_sum:.3f}), so with effects growing over time it is biased: shown "
               f"for comparison only."],
    }
    if n_dropped:
        notes["zh"].append(f"{n_dropped}个结果为空的法院-期间未纳入。")
        notes["en"].append(f"{n_dropped} court-periods with an empty outcome left out.")
    diagnostics: dict[str, Any] = {"weights": weights, "n_negative_weights": n_neg,
                                   "negative_weight_sum": neg_sum, "pyfixest_fit": fit}
    return EffectResult(pd.DataFrame([row]),
                        title={"zh": f"双向固定效应（TWFE）：{outcome}",
                               "en": f"Two-way fixed effects (TWFE): {outcome}"},
                        notes=notes, diagnostics=diagnostics, alpha=alpha)


def saturated_event_study(
    data: pd.DataFrame,
    outcome: str,
    *,
    unit: str = "court",
    time: str = "t",
    cohort: str = "cohort",
    alpha: float = 0.05,
) -> EffectResult:
    """pyfixest's saturated (cohort x event time) event study, aggregated by event time with
    cohort-share weights, clustered by unit. Reference period -1; never-treated controls."""
    import pyfixest as pf

    frame = data[[unit, time, cohort, outcome]].dropna(subset=[outcome]).copy()
    if "always_treated" in data.columns:
        frame = frame[~data.loc[frame.index, "always_treated"].astype(bool)]
    frame = frame.rename(columns={outcome: "y__", unit: "u__", time: "t__", cohort: "g__"})
    frame["y__"] = frame["y__"].astype("float64")
    fit = pf.event_study(frame, yname="y__", idname="u__", tname="t__", gname="g__",
                         estimator="saturated")
    agg = fit.aggregate()
    rows = []
    for e, r in agg.iterrows():
        row = estimate_row(outcome=outcome, method="saturated_twfe", estimand="ATT",
                           aggregation="dynamic", event_time=float(e), estimate=float(r["Estimate"]),
                           std_error=float(r["Std. Error"]), alpha=alpha,
                           ci_method="wald (CRV1 by court)")
        row["term"] = "event"
        rows.append(row)
    return EffectResult(pd.DataFrame(rows),
                        title={"zh": f"饱和事件研究（pyfixest）：{outcome}",
                               "en": f"Saturated event study (pyfixest): {outcome}"},
                        diagnostics={"pyfixest_fit": fit}, alpha=alpha)
