"""Callaway-Sant'Anna staggered difference-in-differences (via moderndid 0.2.0, which reproduces
R ``did``), with its aggregations, a pre-trend Wald test and tidy output.

Group-time effect of cohort ``g`` (first treated in period ``g``) at period ``t``:

    ATT(g, t) = E[Y_t - Y_b | G = g] - E[Y_t - Y_b | C],   b = g - 1 - anticipation for t >= g

where ``C`` is the never-treated courts (``control_group="nevertreated"``) or the courts not yet
treated by ``t`` (``"notyettreated"``); pre-period cells use ``b = t - 1`` ("varying" base, R's
default) or ``b = g - 1`` ("universal"). The default doubly robust estimator equals outcome
regression and IPW when there are no covariates (this wrapper takes none); but moderndid 0.2.0's
"reg" route cannot fit a cell with a single control court and drops it silently, so keep "dr".
Cells moderndid fails to estimate are counted in ``diagnostics["failed_cells"]`` and the notes.
Aggregations (Callaway & Sant'Anna 2021, sec. 3):
``simple`` (cells weighted by cohort size), ``dynamic`` (event study by ``e = t - g``; its overall
value averages ``e >= 0``), ``group`` (by cohort; overall = cohort-size-weighted mean) and
``calendar`` (by period). Standard errors come from the influence function with one observation
per court, so they are clustered by court; ``bootstrap=True`` gives the seeded multiplier
bootstrap instead. Intervals are pointwise Wald intervals ``estimate ± z * se``.

Pre-trend test (:func:`pretrend_wald`): the joint Wald statistic ``W = b' V^-1 b`` of the
pre-period event-study coefficients, ``V = IF' IF / n^2`` from the aggregated influence
functions, binned and referred to Hotelling's F so that it keeps its size with a dozen courts.

Reference: Callaway & Sant'Anna (2021), Journal of Econometrics 225(2), 200-230.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from courtstudy.core import log
from courtstudy.studies.results import EffectResult, estimate_row

logger = logging.getLogger(__name__)


def _label(outcome: str, lang: str) -> str:
    """The outcome's reader label in notes and warnings (its name when it is not a panel outcome)."""
    from courtstudy.studies.fasttrack.panel import outcome_label

    return outcome_label(outcome, lang)

AGGREGATIONS: tuple[str, ...] = ("simple", "dynamic", "group", "calendar")
CONTROL_GROUPS: tuple[str, ...] = ("nevertreated", "notyettreated")
#: R ``did`` and moderndid refuse a never-treated comparison group smaller than this.
MIN_NEVER_TREATED = 5
#: Below this many units (courts) the notes warn that analytic standard errors run small.
FEW_UNITS = 30

_CONTROL_LABELS = {
    "nevertreated": ("从未组建速裁团队的法院", "never-treated courts"),
    "notyettreated": ("尚未组建速裁团队的法院", "not-yet-treated courts"),
}


def prepare_did_data(
    data: pd.DataFrame,
    outcome: str,
    *,
    unit: str,
    time: str,
    cohort: str,
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Balanced rows for one outcome: drop periods where the outcome is empty for every unit
    (immature appeal outcomes), then units with an empty cell left; cohorts that start after the
    last remaining period count as never treated, units treated from the first remaining period
    (no pre-period) are dropped. Returns the frame and notes saying what was dropped."""
    for col in (outcome, unit, time, cohort):
        if col not in data.columns:
            raise ValueError(f"panel: column {col!r} missing; have {list(data.columns)}")
    frame = data[[unit, time, cohort, outcome]].copy()
    if "always_treated" in data.columns:
        always = data.loc[data["always_treated"].astype(bool), unit].unique().tolist()
    else:
        always = []
    notes: dict[str, list[str]] = {"zh": [], "en": []}
    frame[outcome] = pd.to_numeric(frame[outcome], errors="coerce").astype("float64")
    filled = frame.groupby(time)[outcome].apply(lambda s: s.notna().any())
    empty_times = filled.index[~filled.to_numpy()].tolist()
    if empty_times:
        frame = frame[~frame[time].isin(empty_times)]
        notes["zh"].append(f"{_label(outcome, 'zh')}：{len(empty_times)}个期间尚无成熟数据，未纳入。")
        notes["en"].append(f"{_label(outcome, 'en')}: {len(empty_times)} periods not yet mature, left out.")
    bad_units = frame.loc[frame[outcome].isna(), unit].unique().tolist()
    if bad_units:
        frame = frame[~frame[unit].isin(bad_units)]
        names = ", ".join(map(str, bad_units))
        notes["zh"].append(f"{_label(outcome, 'zh')}：以下法院有空白期间（当期无立案或无结案），未纳入：{names}。")
        notes["en"].append(f"{_label(outcome, 'en')}: courts with an empty period (no filings or closings) "
                           f"left out: {names}.")
        log.warn(logger, notes["en"][-1], notes["zh"][-1])
    if frame.empty:
        raise ValueError(f"panel: no complete court series for outcome {outcome!r}")
    tmin, tmax = frame[time].min(), frame[time].max()
    frame.loc[frame[cohort] > tmax, cohort] = 0
    no_pre = frame.loc[(frame[cohort] > 0) & (frame[cohort] <= tmin), unit].unique().tolist()
    drop = sorted(set(no_pre) | set(always), key=str)
    if drop:
        frame = frame[~frame[unit].isin(drop)]
        names = ", ".join(map(str, drop))
        notes["zh"].append(f"面板首期即已组建速裁团队（无事前期）的法院未纳入：{names}。")
        notes["en"].append(f"Courts treated from the first period (no pre-period) left out: {names}.")
        log.warn(logger, notes["en"][-1], notes["zh"][-1])
    return frame.reset_index(drop=True), notes


def pretrend_wald(
    event_times: np.ndarray,
    estimates: np.ndarray,
    influence: np.ndarray,
    max_terms: int | None = None,
) -> dict[str, Any]:
    """Joint test that the pre-period (e < 0) event-study coefficients are zero.

    ``influence`` is the (units x events) influence-function matrix of the event-study
    estimates, so ``V = IF' IF / n^2`` with ``n`` units (= clusters). Coefficients with zero
    variance (the reference period of a universal base) are left out. With few courts a Wald test
    of many coefficients rejects far too often (V is estimated from ``n`` units), so the ``k`` pre
    coefficients are averaged into at most ``max_terms`` consecutive bins (default
    ``max(1, (n - 1) // 3)``) and the statistic ``W = b' V^-1 b`` is referred to Hotelling's
    small-sample distribution ``W (n - k) / (k (n - 1)) ~ F(k, n - k)`` (``k`` = number of
    bins); with hundreds of units this is the usual chi-square test. Returns stat (W), df (k),
    p_value, f_stat, n_clusters and the event times tested."""
    n = influence.shape[0]
    vcov = influence.T @ influence / n**2
    pre = np.where((event_times < 0) & (np.diag(vcov) > 1e-14) & np.isfinite(estimates))[0]
    out = {"stat": np.nan, "df": 0, "p_value": np.nan, "f_stat": np.nan, "n_clusters": n,
           "event_times": [float(e) for e in event_times[pre]]}
    if len(pre) == 0 or n < 3:
        return out
    limit = max(1, (n - 1) // 3) if max_terms is None else int(max_terms)
    n_bins = min(len(pre), limit)
    bins = np.array_split(np.arange(len(pre)), n_bins)
    combo = np.zeros((n_bins, len(event_times)))
    for i, members in enumerate(bins):
        combo[i, pre[members]] = 1.0 / len(members)
    b = combo @ estimates
    v = combo @ vcov @ combo.T
    k = int(np.linalg.matrix_rank(v))
    if k == 0 or k >= n:
        return out
    stat = float(b @ np.linalg.pinv(v) @ b)
    f_stat = stat * (n - k) / (k * (n - 1))
    out.update(stat=stat, df=k, f_stat=f_stat, p_value=float(stats.f.sf(f_stat, k, n - k)))
    return out


def callaway_santanna(
    data: pd.DataFrame,
    outcome: str,
    *,
    unit: str = "court",
    time: str = "t",
    cohort: str = "cohort",
    control_group: str = "nevertreated",
    est_method: str = "dr",
    base_period: str = "varying",
    anticipation: int = 0,
    aggregations: Sequence[str] = AGGREGATIONS,
    min_event_time: int | None = None,
    max_event_time: int | None = None,
    bootstrap: bool = False,
    biters: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    time_labels: Mapping[int, str] | None = None,
) -> EffectResult:
    """Callaway-Sant'Anna ATT(g, t) and aggregations for one outcome (formulas in the module doc).

    ``data`` is a long panel (one row per unit and period) with an integer period column
    ``time`` and the adoption period ``cohort`` (0 = never treated). ``time_labels`` maps period
    numbers to labels (e.g. 13 -> "2020-01") for the ``group`` and ``time`` columns of the tidy
    rows. Returns an :class:`EffectResult` whose rows are, for each aggregation, its components
    (``term`` "event" / "group" / "time") and its ``term="overall"`` row (so ``.plot()`` draws
    the event study); diagnostics hold ``att_gt`` (tidy rows ``aggregation="att_gt"``, one per
    cell, with ``group``, ``time`` and ``event_time = t - g``), ``pretrend`` (see
    :func:`pretrend_wald`), ``att_gt_wald`` (moderndid's pre-test over all pre-period cells),
    ``failed_cells``, ``n_units`` and the raw moderndid objects.
    """
    import moderndid as md

    if control_group not in CONTROL_GROUPS:
        raise ValueError(f"control_group must be one of {CONTROL_GROUPS}, got {control_group!r}")
    if est_method not in ("dr", "ipw", "reg"):
        raise ValueError(f"est_method must be 'dr', 'ipw' or 'reg', got {est_method!r}")
    unknown = [a for a in aggregations if a not in AGGREGATIONS]
    if unknown:
        raise ValueError(f"unknown aggregation(s) {unknown}; expected some of {AGGREGATIONS}")
    frame, notes = prepare_did_data(data, outcome, unit=unit, time=time, cohort=cohort)
    frame[time] = frame[time].astype("int64")
    frame[cohort] = frame[cohort].astype("int64")
    # moderndid needs a numeric unit id; court names are text.
    frame["unit_id__"] = pd.factorize(frame[unit], sort=True)[0] + 1
    if not (frame[cohort] > 0).any():
        raise ValueError(f"panel: no unit is treated within the panel for outcome {outcome!r}")
    n_never_units = int((frame.drop_duplicates(unit)[cohort] == 0).sum())
    if control_group == "nevertreated" and n_never_units < MIN_NEVER_TREATED:
        raise ValueError(
            f"only {n_never_units} never-treated unit(s) for {outcome!r}: the never-treated "
            f"comparison needs at least {MIN_NEVER_TREATED} (R did / moderndid rule); use "
            "control_group='notyettreated'")
    label = (lambda v: str(time_labels.get(int(v), v))) if time_labels else (lambda v: int(v))
    units = frame.drop_duplicates(unit)
    n_treated = int((units[cohort] > 0).sum())
    n_never = int((units[cohort] == 0).sum())
    n_units = len(units)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message=".*Not returning pre-test.*")
        mp = md.att_gt(data=frame, yname=outcome, tname=time, idname="unit_id__", gname=cohort,
                       control_group=control_group, est_method=est_method,
                       base_period=base_period, anticipation=anticipation, boot=bootstrap,
                       biters=biters, cband=False, alp=alpha, random_state=seed)
        aggs = {}
        for kind in aggregations:
            kwargs: dict[str, Any] = {}
            if kind == "dynamic":
                if min_event_time is not None:
                    kwargs["min_e"] = min_event_time
                if max_event_time is not None:
                    kwargs["max_e"] = max_event_time
            aggs[kind] = md.aggte(mp, type=kind, boot=bootstrap, biters=biters, cband=False,
                                  alp=alpha, random_state=seed, na_rm=True, **kwargs)
        dyn_for_test = aggs.get("dynamic")
        if dyn_for_test is None:
            dyn_for_test = md.aggte(mp, type="dynamic", na_rm=True)

    failed = [str(w.message).split(":")[0] for w in caught
              if "Error in computing 2x2 DiD" in str(w.message)
              or "Not enough control units" in str(w.message)]
    if failed:
        notes["zh"].append(f"{len(failed)}个组-期单元无法估计（对照法院过少），未计入汇总。")
        notes["en"].append(f"{len(failed)} group-time cells could not be estimated (too few "
                           "control courts) and are left out of the aggregates.")
    method = "callaway_santanna"
    ci_method = "wald (multiplier bootstrap se)" if bootstrap else "wald (analytic se)"
    common = dict(outcome=outcome, method=method, estimand="ATT", n_treated=n_treated,
                  n_control=n_never, n=n_units, alpha=alpha, ci_method=ci_method)
    cells: list[dict[str, Any]] = []
    for g, t, est, se in zip(mp.groups, mp.times, mp.att_gt, mp.se_gt, strict=True):
        row = estimate_row(aggregation="att_gt", group=label(g), event_time=float(t - g),
                           estimate=est, std_error=se, **common)
        row.update(term="cell", time=label(t), control_group=control_group)
        cells.append(row)
    rows: list[dict[str, Any]] = []
    for kind, agg in aggs.items():
        if agg.event_times is not None:
            for key, est, se in zip(agg.event_times, agg.att_by_event, agg.se_by_event, strict=True):
                extra: dict[str, Any] = {}
                if kind == "dynamic":
                    extra = {"event_time": float(key)}
                    term, time_value = "event", None
                elif kind == "group":
                    extra = {"group": label(key)}
                    term, time_value = "group", None
                else:
                    term, time_value = "time", label(key)
                row = estimate_row(aggregation=kind, estimate=est, std_error=se, **common, **extra)
                row.update(term=term, time=time_value, control_group=control_group)
                rows.append(row)
        row = estimate_row(aggregation=kind, estimate=agg.overall_att, std_error=agg.overall_se,
                           **common)
        row.update(term="overall", time=None, control_group=control_group)
        rows.append(row)

    pretrend = pretrend_wald(np.asarray(dyn_for_test.event_times, float),
                             np.asarray(dyn_for_test.att_by_event, float),
                             np.asarray(dyn_for_test.influence_func, float))
    zh_c, en_c = _CONTROL_LABELS[control_group]
    notes["zh"].append(f"对照组：{zh_c}；标准误按法院聚类"
                       + ("（乘数自助法）。" if bootstrap else "（影响函数解析式）。"))
    notes["en"].append(f"Controls: {en_c}; standard errors clustered by court"
                       + (" (multiplier bootstrap)." if bootstrap else " (analytic influence function)."))
    if n_units < FEW_UNITS:
        notes["zh"].append(f"只有{n_units}个法院：基于影响函数的标准误在法院很少时偏小，"
                           "置信区间可能过窄，p值接近0.05的结果应谨慎解读（见 docs/fasttrack_montecarlo.md）。")
        notes["en"].append(f"Only {n_units} courts: influence-function standard errors are too small "
                           "with so few courts, so intervals may be too narrow; read p-values near "
                           "0.05 with care (see docs/fasttrack_montecarlo.md).")
    if np.isfinite(pretrend["stat"]):
        notes["zh"].append(f"事前趋势联合检验（{pretrend['df']}组事前系数，Hotelling F）："
                           f"F={pretrend['f_stat']:.2f}，p={pretrend['p_value']:.3f}。")
        notes["en"].append(f"Joint pre-trend test ({pretrend['df']} binned pre-period coefficients, "
                           f"Hotelling F): F={pretrend['f_stat']:.2f}, p={pretrend['p_value']:.3f}.")
    return EffectResult(
        pd.DataFrame(rows),
        title={"zh": f"速裁团队效果（Callaway-Sant'Anna）：{outcome}",
               "en": f"Fast-track team effect (Callaway-Sant'Anna): {outcome}"},
        notes=notes,
        diagnostics={"att_gt": EffectResult(pd.DataFrame(cells)).tidy(),
                     "pretrend": pretrend, "failed_cells": failed,
                     "att_gt_wald": {"stat": mp.wald_stat, "p_value": mp.wald_pvalue},
                     "n_units": n_units, "control_group": control_group, "base_period": base_period,
                     "est_method": est_method,
                     "moderndid_att_gt": mp, "moderndid_aggte": aggs},
        alpha=alpha,
    )


def simple_att_fast(
    outcome_matrix: np.ndarray,
    cohorts: np.ndarray,
    *,
    control_group: str = "nevertreated",
) -> tuple[float, float]:
    """Callaway-Sant'Anna ``simple`` aggregation and its analytic standard error, vectorised for
    simulations (power, Monte Carlo); agrees with :func:`callaway_santanna` to rounding error
    without covariates (tested).

    ``outcome_matrix`` is units x periods (balanced, periods 1..T in columns 0..T-1), ``cohorts``
    the adoption period per unit (0 = never). For each post cell (g <= t) with base ``b = g - 1``:
    ``ATT(g,t) = mean_{G=g}(Y_t - Y_b) - mean_C(Y_t - Y_b)`` with influence function
    ``n/n_g (dY_i - m_g)`` for cohort units and ``-n/n_C (dY_j - m_C)`` for controls
    (``C``: never treated, or also ``G > t`` for not-yet-treated). The simple aggregate weights
    cells by cohort share ``p_g`` and adds the estimated-weight term of R ``did``'s ``wif``;
    ``se = sqrt(mean(IF^2) / n)``.
    """
    y = np.asarray(outcome_matrix, float)
    g_all = np.asarray(cohorts, int)
    n, n_t = y.shape
    cohort_list = [int(g) for g in np.unique(g_all[g_all > 0])]
    atts, infs, cell_groups = [], [], []
    for g in cohort_list:
        treated = g_all == g
        times = np.arange(g, n_t + 1)
        dy = y[:, times - 1] - y[:, [g - 2]]  # units x post periods
        if control_group == "nevertreated":
            control = np.repeat((g_all == 0)[:, None], len(times), axis=1)
        else:
            control = ((g_all[:, None] == 0) | (g_all[:, None] > times[None, :])) & ~treated[:, None]
        n_c = control.sum(axis=0)
        ok = n_c > 0
        if not ok.any():
            continue
        dy, control, n_c = dy[:, ok], control[:, ok], n_c[ok]
        m_g = dy[treated].mean(axis=0)
        m_c = (dy * control).sum(axis=0) / n_c
        inf = np.where(treated[:, None], (dy - m_g) * n / treated.sum(), 0.0)
        inf -= np.where(control, (dy - m_c) * n / n_c, 0.0)
        atts.append(m_g - m_c)
        infs.append(inf)
        cell_groups.extend([g] * len(m_g))
    if not atts:
        return (np.nan, np.nan)
    att = np.concatenate(atts)
    inf_mat = np.concatenate(infs, axis=1)
    cell_groups_arr = np.array(cell_groups)
    pg = np.array([np.mean(g_all == g) for g in cell_groups_arr])
    w = pg / pg.sum()
    indicator = (g_all[:, None] == cell_groups_arr[None, :]).astype(float)
    if1 = (indicator - pg) / pg.sum()
    if2 = np.outer((indicator - pg).sum(axis=1), pg / pg.sum() ** 2)
    total_inf = inf_mat @ w + (if1 - if2) @ att
    return float(att @ w), float(np.sqrt(np.mean(total_inf**2) / n))
