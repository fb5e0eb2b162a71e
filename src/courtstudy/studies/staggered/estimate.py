"""Staggered rollout effects on case-level data: estimates, event studies and their inference.

:func:`staggered_effects` runs one estimator on one or more outcomes of a
:class:`~courtstudy.studies.staggered.data.StaggeredData`:

* ``estimator="imputation"`` (Borusyak-Jaravel-Spiess, :mod:`.imputation`): every pre-period
  informs the counterfactual; event study for ``e >= 0``, pre-trend coefficients for
  ``-leads .. -1`` from the untreated model with lead dummies (BJS Test 1);
* ``estimator="callaway_santanna"`` (:mod:`.callaway`): doubly robust with covariates (or four
  means without), not-yet-treated or never-treated comparisons, universal or varying base.

Inference, each on the same estimate (``ci_method`` of the tidy rows says which):

* ``case``: case-level variance (each case an independent draw);
* ``court_month``: case level plus the court-month shock component (:mod:`.variance`);
  the default ``headline`` inference;
* ``unit_cluster``: CR1 clustered by unit (the usual, unreliable with few units);
* randomisation inference over adoption dates (:mod:`.randomization`): exact p-value of no
  effect when timing is as good as random; interval by inverting constant-effect tests;
* wild cluster bootstrap by unit with Webb weights (:mod:`.bootstrap`), restricted.

For a ratio of two rollout effects (e.g. an intention-to-treat effect over the change in the
share of cases routed, a Wald-DiD) use :func:`wald_ratio`; :func:`reestimate` and
:func:`case_weights` give what any other ratio or joint test needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from courtstudy.studies.results import EffectResult, estimate_row
from courtstudy.studies.staggered import callaway as cs
from courtstudy.studies.staggered.cells import CellStats, cell_stats, cell_stats_by_mask
from courtstudy.studies.staggered.data import StaggeredData
from courtstudy.studies.staggered.imputation import (
    ImputationFit,
    LinearWeights,
    fit_imputation,
    lead_coefficients,
)
from courtstudy.studies.staggered.imputation import (
    reestimate as imputation_reestimate,
)
from courtstudy.studies.staggered.randomization import (
    RandomizationResult,
    randomization_test,
    reassignments,
)
from courtstudy.studies.staggered.variance import (
    ShockModel,
    bootstrap_t_draws,
    estimate_shock_model,
    residual_maker,
    shock_covariance,
    shock_variance_parts,
    unit_cluster_covariance,
)

ESTIMATORS = ("imputation", "callaway_santanna")
VARIANCES = ("case", "court_month", "unit_cluster")
#: Labels of the inference methods, as written in the ``ci_method`` column.
INFERENCE_LABELS: dict[str, str] = {
    "case": "wald, case-level variance",
    "court_month": "wald, case + court-month variance",
    "unit_cluster": "wald, CR1 clustered by unit",
    "randomization": "randomization inference over adoption dates",
    "wild_bootstrap": "wild cluster bootstrap (Webb, restricted)",
}
METHOD_LABELS = {"imputation": "imputation (BJS)",
                 "callaway_santanna": "Callaway-Sant'Anna (repeated cross-sections)"}


@dataclass
class OutcomeEffects:
    """One estimator on one outcome.

    ``names`` / ``estimates``: the estimands (``overall``, ``event:e`` ..., for imputation also
    ``lead:-k``); ``covariances``: J x J per variance (:data:`VARIANCES`); ``weights``: per-cell
    sums of the estimands' linear weights (J, U, T); ``randomization`` / ``wild_bootstrap``: for
    the overall estimate (or None); ``pretrend``: joint test of the pre-period coefficients
    under the headline variance; ``truth_weights``: (U, T) weights of the treated cells in the
    overall estimand (sum 1), so a known per-cell effect gives the estimand's true value."""

    outcome: str
    estimator: str
    names: tuple[str, ...]
    estimates: np.ndarray
    covariances: dict[str, np.ndarray]
    weights: np.ndarray
    shock_model: ShockModel
    pretrend: dict[str, Any]
    truth_weights: np.ndarray
    n_cases: int
    n_treated_cases: int
    randomization: RandomizationResult | None = None
    wild_bootstrap: Any = None
    notes: dict[str, list[str]] = field(default_factory=dict)

    def index(self, name: str) -> int:
        return self.names.index(name)

    @property
    def estimate(self) -> float:
        return float(self.estimates[self.index("overall")])

    def std_error(self, variance: str = "court_month", name: str = "overall") -> float:
        j = self.index(name)
        return float(np.sqrt(max(self.covariances[variance][j, j], 0.0)))

    def interval(self, inference: str = "court_month", alpha: float = 0.05) -> tuple[float, float, float]:
        """``(ci_low, ci_high, p_value)`` of the overall estimate under ``inference``."""
        if inference == "randomization":
            r = self.randomization
            return (r.ci_low, r.ci_high, r.p_value) if r is not None else (np.nan,) * 3
        if inference == "wild_bootstrap":
            b = self.wild_bootstrap
            return (b.ci_low, b.ci_high, b.p_value) if b is not None else (np.nan,) * 3
        se = self.std_error(inference)
        z = sps.norm.ppf(1 - alpha / 2)
        if not np.isfinite(se) or se <= 0:
            return (np.nan, np.nan, np.nan)
        return (self.estimate - z * se, self.estimate + z * se,
                float(2 * sps.norm.sf(abs(self.estimate) / se)))

    def variance_parts(self, name: str = "overall") -> dict[str, float]:
        """The court-month variance of estimand ``name`` split into its parts: ``case`` (the
        case-level variance), ``ar`` (the AR(1) court-month shocks) and ``drift`` (the courts'
        slow drift); they add up to ``std_error("court_month", name) ** 2``."""
        j = self.index(name)
        return {"case": float(self.covariances["case"][j, j]),
                **shock_variance_parts(self.weights[j], self.shock_model)}

    def minimum_detectable_effect(self, variance: str = "court_month", alpha: float = 0.05,
                                  power: float = 0.8) -> float:
        """Smallest true overall effect the two-sided level-``alpha`` test detects with
        probability ``power``: ``(z_(1-alpha/2) + z_power) * se`` with the standard error of
        *this* estimator on *these* courts, adoption dates, caseloads and outcome variance
        (and court-month shocks, under ``variance="court_month"``)."""
        return float((sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)) * self.std_error(variance))

    def event_study(self, variance: str = "court_month") -> pd.DataFrame:
        """Event time, estimate and standard error of every ``event:e`` and ``lead:e`` row."""
        rows = []
        for j, name in enumerate(self.names):
            if name.startswith(("event:", "lead:")):
                rows.append({"event_time": int(name.split(":")[1]), "estimate": self.estimates[j],
                             "std_error": np.sqrt(max(self.covariances[variance][j, j], 0.0)),
                             "kind": name.split(":")[0]})
        return pd.DataFrame(rows).sort_values("event_time").reset_index(drop=True)


@dataclass
class StaggeredResult:
    """:func:`staggered_effects`' output: ``effects`` per outcome, and the data summary."""

    effects: dict[str, OutcomeEffects]
    estimator: str
    covariates: bool
    control_group: str
    n_units: int
    n_cohorts: int
    n_never: int
    alpha: float
    headline: str = "court_month"
    notes: dict[str, list[str]] = field(default_factory=dict)

    def tidy(self, inference: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per estimate and inference method: the overall effect under every method in
        ``inference`` (default all computed), then the event study (and pre-period
        coefficients) under the headline variance. Columns of
        :data:`courtstudy.studies.results.TIDY_COLUMNS` plus ``term`` ("overall", "event",
        "lead"), ``inference``, ``control_group``."""
        return self.result(inference).tidy()

    def result(self, inference: Sequence[str] | None = None) -> EffectResult:
        rows = []
        for outcome, eff in self.effects.items():
            methods = list(inference) if inference is not None else [
                *VARIANCES, *(["randomization"] if eff.randomization is not None else []),
                *(["wild_bootstrap"] if eff.wild_bootstrap is not None else [])]
            common = dict(outcome=outcome, method=METHOD_LABELS[self.estimator], estimand="ATT",
                          n_treated=eff.n_treated_cases, n_control=eff.n_cases - eff.n_treated_cases,
                          n=eff.n_cases, alpha=self.alpha)
            for m in methods:
                low, high, p = eff.interval(m, self.alpha)
                se = (eff.std_error(m) if m in VARIANCES else
                      (eff.randomization.std_error if m == "randomization" and eff.randomization
                       else getattr(eff.wild_bootstrap, "std_error", np.nan)))
                row = estimate_row(aggregation="simple", estimate=eff.estimate, std_error=se,
                                   ci=(low, high), ci_method=INFERENCE_LABELS[m], p_value=p, **common)
                row.update(term="overall", inference=m, control_group=self.control_group)
                rows.append(row)
            var = eff.covariances[self.headline]
            for j, name in enumerate(eff.names):
                if not name.startswith(("event:", "lead:")):
                    continue
                se = float(np.sqrt(max(var[j, j], 0.0)))
                row = estimate_row(aggregation="dynamic", estimate=eff.estimates[j], std_error=se,
                                   event_time=float(name.split(":")[1]),
                                   ci_method=INFERENCE_LABELS[self.headline], **common)
                row.update(term=name.split(":")[0], inference=self.headline,
                           control_group=self.control_group)
                rows.append(row)
        notes = {k: list(v) for k, v in self.notes.items()}
        return EffectResult(pd.DataFrame(rows), title={
            "zh": f"交错实施效果（{METHOD_LABELS[self.estimator]}，案件层面）",
            "en": f"Staggered rollout effects ({METHOD_LABELS[self.estimator]}, case level)"},
            notes=notes, alpha=self.alpha)


# --- the estimators ------------------------------------------------------------------------------

def _pretrend(names: Sequence[str], est: np.ndarray, cov: np.ndarray, prefix: str) -> dict[str, Any]:
    pre = [j for j, n in enumerate(names) if n.startswith(prefix) and int(n.split(":")[1]) < 0]
    pre = [j for j in pre if cov[j, j] > 1e-14 and np.isfinite(est[j])]
    out = {"stat": np.nan, "df": 0, "p_value": np.nan, "event_times": [], "method": "wald chi2"}
    if not pre:
        return out
    b = est[pre]
    v = cov[np.ix_(pre, pre)]
    k = int(np.linalg.matrix_rank(v))
    if k == 0:
        return out
    stat = float(b @ np.linalg.pinv(v) @ b)
    out.update(stat=stat, df=k, p_value=float(sps.chi2.sf(stat, k)),
               event_times=[int(names[j].split(":")[1]) for j in pre])
    return out


@dataclass
class _ImputationDesign:
    """What the imputation estimands share across outcomes with the same cases: names, target
    weights and linear weights (with the lead coefficients' appended when there are leads)."""

    names: tuple[str, ...]
    target_weights: np.ndarray
    weights: LinearWeights
    joint: LinearWeights
    lead_fit: Any


def _imputation_design(fit: ImputationFit, event_window: tuple[int, int], lead_fit) -> _ImputationDesign:
    names, w = fit.targets(("overall", "event"), event_window)
    lw = fit.linear_weights(names, w)
    joint = lw
    if lead_fit is not None:
        _, lwl, _ = lead_fit
        # the two fits share the untreated cells; the lead coefficients' weights live there only
        joint = LinearWeights(tuple(names) + lwl.names, np.concatenate([lw.cell_sum, lwl.cell_sum]),
                              lw.treated, np.concatenate([lw.treated_w, lwl.treated_w]),
                              lw.untreated, np.concatenate([lw.a, lwl.a]),
                              np.concatenate([lw.h, lwl.h]))
    return _ImputationDesign(tuple(names), w, lw, joint, lead_fit)


def _imputation_outcome(stats: CellStats, column: int, fit: ImputationFit, maker,
                        design: _ImputationDesign) -> dict[str, Any]:
    names, w, lw = design.names, design.target_weights, design.weights
    est = fit.estimates(w)[:, column]
    s2 = fit.within_variance()[..., column]
    model = estimate_shock_model(fit, column, s2, maker)
    cov = {"case": lw.case_covariance(stats, s2)}
    cov["court_month"] = cov["case"] + shock_covariance(lw, model)
    cov["unit_cluster"] = unit_cluster_covariance(fit, lw, column)
    all_names, all_est, cell_sum = list(names), est, lw.cell_sum
    if design.lead_fit is not None:
        coefs, _, lfit = design.lead_fit
        joint = design.joint
        case = joint.case_covariance(stats, lfit.within_variance()[..., column])
        shock = shock_covariance(joint, model)
        jn = len(names)
        big = {"case": case, "court_month": case + shock}
        big["case"][:jn, :jn] = cov["case"]
        big["court_month"][:jn, :jn] = cov["court_month"]
        uc = np.full_like(case, np.nan)
        uc[:jn, :jn] = cov["unit_cluster"]
        big["unit_cluster"] = uc
        cov = big
        all_names = list(joint.names)
        all_est = np.concatenate([est, coefs[:, column]])
        cell_sum = joint.cell_sum
    return {"names": tuple(all_names), "estimates": all_est, "cov": cov, "weights": cell_sum,
            "shock_model": model, "s2": s2, "truth_weights": w[0] * stats.n}


def staggered_effects(
    data: StaggeredData,
    outcomes: Sequence[str] | None = None,
    *,
    estimator: str = "imputation",
    covariates: bool = True,
    control_group: str = "notyettreated",
    base_period: str = "universal",
    anticipation: int = 0,
    event_window: tuple[int, int] = (-12, 24),
    leads: int | None = None,
    randomization: bool = True,
    ri_draws: int = 999,
    ri_statistic: str = "estimate",
    wild_bootstrap: bool = False,
    wcb_draws: int = 9999,
    wcb_max_enumerated: int = 46656,
    seed: int = 0,
    alpha: float = 0.05,
    headline: str = "court_month",
) -> StaggeredResult:
    """Estimate the rollout effect on each outcome (module docstring).

    ``covariates``: adjust for ``data.covariates`` (case characteristics known at filing).
    ``control_group`` ("notyettreated" / "nevertreated") and ``base_period`` ("universal" /
    "varying") apply to Callaway-Sant'Anna; the imputation estimator always uses every untreated
    case. ``event_window``: event times reported (pre-period coefficients from
    ``event_window[0]``, or ``-leads``). ``randomization``: randomisation inference over
    adoption dates (all reassignments up to 5,040, else ``ri_draws`` seeded draws) with
    ``ri_statistic`` "estimate" or "studentized". ``wild_bootstrap``: the restricted wild
    cluster bootstrap by unit with Webb weights (imputation only)."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if headline not in VARIANCES:
        raise ValueError(f"headline must be one of {VARIANCES}, got {headline!r}")
    outcomes = list(outcomes) if outcomes is not None else list(data.outcomes)
    unknown = [o for o in outcomes if o not in data.outcomes]
    if unknown:
        raise ValueError(f"unknown outcome(s) {unknown}; data has {list(data.outcomes)}")
    if estimator == "imputation" and control_group != "notyettreated":
        raise ValueError("the imputation estimator fits its counterfactual on every untreated "
                         "court-month (never and not yet adopting); control_group applies to "
                         "estimator='callaway_santanna'")
    if not (data.cohort >= 0).any():
        raise ValueError("no unit adopts within the data: nothing to estimate")
    n_leads = int(-event_window[0]) if leads is None else int(leads)
    use_x = bool(covariates and data.covariates.shape[1])
    effects: dict[str, OutcomeEffects] = {}
    assign, exact = reassignments(data.cohort, ri_draws, seed) if randomization else (None, False)
    treated_case = data.treated().astype(float)
    for rows, stats in cell_stats_by_mask(data, outcomes, use_covariates=use_x):
        # D (treated under the observed dates) rides along as a last outcome column, for the
        # randomisation interval (estimates on Y - tau0 * D are affine in tau0).
        stats_d = stats.with_columns(cell_stats(data, treated_case, ["__treated__"], rows, use_x))
        fit = fit_imputation(stats_d, anticipation=anticipation)
        maker = residual_maker(fit)
        lead_fit = lead_coefficients(stats_d, n_leads, anticipation=anticipation) if (
            estimator == "imputation" and n_leads > 0) else None
        cs_fit = None
        design = (_imputation_design(fit, event_window, lead_fit)
                  if estimator == "imputation" else None)
        if estimator == "callaway_santanna":
            cs_fit = cs.att_gt(data, list(stats.names), covariates=use_x,
                               control_group=control_group, base_period=base_period,
                               anticipation=anticipation, rows=rows)
            targets = cs.aggregate_targets(cs_fit, min_e=event_window[0], max_e=event_window[1])
        ri_all = None
        if randomization:
            if estimator == "imputation":
                s2 = fit.within_variance()
                ri_all = imputation_reestimate(stats_d, assign, anticipation,
                                               s2 if ri_statistic == "studentized" else None)
            elif not use_x:
                ri_all = (cs_simple_reestimate(stats_d, assign, control_group), None)
        for j, outcome in enumerate(stats.names):
            if estimator == "imputation":
                out = _imputation_outcome(stats_d, j, fit, maker, design)
                names, est, cov = out["names"], out["estimates"], out["cov"]
                weights, model, truth_w = out["weights"], out["shock_model"], out["truth_weights"]
                pre = _pretrend(names, est, cov[headline], "lead:")
                n_treated = int((stats.n * fit.treated).sum())
            else:
                s2 = fit.within_variance()[..., j]
                model = estimate_shock_model(fit, j, s2, maker)
                names = targets.names
                est = targets.estimates[:, j]
                case = targets.case_covariance[j]
                weights = targets.cell_sum
                lw = LinearWeights(names, weights, fit.treated, np.zeros_like(weights),
                                   fit.untreated, np.zeros_like(weights), np.zeros((len(names), 0)))
                s_unit = targets.unit_scores[j]
                n_u = data.n_units
                cov = {"case": case, "court_month": case + shock_covariance(lw, model),
                       "unit_cluster": n_u / (n_u - 1) * s_unit @ s_unit.T}
                pre = _pretrend(names, est, cov[headline], "event:")
                truth_w = _cs_truth_weights(data, cs_fit, targets.cell_weights[0], stats)
                n_treated = int((stats.n * fit.treated).sum())
            ri = None
            if ri_all is not None:
                est_r, se_r = ri_all
                ri = randomization_test(est_r[:, j], est_r[:, -1], None if se_r is None else se_r[:, j],
                                        exact=exact, alpha=alpha)
            wcb = None
            if wild_bootstrap and estimator == "imputation":
                from courtstudy.studies.staggered.bootstrap import wild_cluster_bootstrap

                wcb = wild_cluster_bootstrap(stats_d, j, fit, draws=wcb_draws, seed=seed, alpha=alpha,
                                             max_enumerated=wcb_max_enumerated)
            effects[outcome] = OutcomeEffects(
                outcome=outcome, estimator=estimator, names=tuple(names), estimates=np.asarray(est),
                covariances=cov, weights=weights, shock_model=model, pretrend=pre,
                truth_weights=truth_w, n_cases=int(stats.n.sum()), n_treated_cases=n_treated,
                randomization=ri, wild_bootstrap=wcb)
    n_never = int((data.cohort < 0).sum())
    notes = {"zh": list(data.notes.get("zh", [])), "en": list(data.notes.get("en", []))}
    return StaggeredResult(effects=effects, estimator=estimator, covariates=use_x,
                           control_group=control_group if estimator == "callaway_santanna" else "untreated",
                           n_units=data.n_units, n_cohorts=data.n_cohorts(), n_never=n_never,
                           alpha=alpha, headline=headline, notes=notes)


def _unit_of_group(data: StaggeredData, g: int) -> np.ndarray:
    return np.flatnonzero(data.cohort == g)


def _cs_truth_weights(data: StaggeredData, fit: cs.CSFit, cell_w: np.ndarray,
                      stats: CellStats) -> np.ndarray:
    """(U, T) weights of the treated cells in the CS simple aggregate, per cell mean: a (g, t)
    cell's weight is spread over its cohort's units in proportion to their cases."""
    out = np.zeros(stats.shape)
    for c in np.flatnonzero(cell_w):
        units = _unit_of_group(data, int(fit.groups[c]))
        t = int(fit.times[c])
        n = stats.n[units, t]
        if n.sum() > 0:
            out[units, t] += cell_w[c] * n / n.sum()
    return out


# --- refits under other assignments (randomisation inference, ratios) ----------------------------

def cs_simple_reestimate(stats: CellStats, cohorts: np.ndarray, control_group: str = "notyettreated",
                         anticipation: int = 0) -> np.ndarray:
    """Callaway-Sant'Anna simple ATT without covariates (universal and varying bases coincide
    for post cells) from cell sums, under each assignment (P, U) -> (P, m): cohort ``g``'s
    cells ``t >= g`` compare pooled case means with base ``b = g - 1 - anticipation``, weighted
    by the cohort's share of cases, as :func:`.callaway.aggregate` does. For post cells the
    comparison units at ``t`` (never adopting, or adopting after ``t + anticipation``) do not
    depend on the cohort, so their sums in every (current, base) pair of periods come from one
    product per assignment."""
    cohorts = np.atleast_2d(np.asarray(cohorts))
    n_u, n_t = stats.shape
    out = np.full((len(cohorts), stats.m), np.nan)
    total_n = stats.n.sum()
    t_idx = np.arange(n_t)
    n, sy = stats.n, stats.sy
    for r, g_units in enumerate(cohorts):
        if control_group == "nevertreated":
            ctrl = np.repeat((g_units < 0)[:, None], n_t, axis=1).astype(float)
        else:
            ctrl = ((g_units[:, None] < 0) | (g_units[:, None] > t_idx[None, :] + anticipation)
                    ).astype(float)
        # [t, b]: sums over the comparison units at t of the cases filed in b
        c_n = ctrl.T @ n                                  # T x T
        c_sy = np.einsum("ut,usm->tsm", ctrl, sy)          # T x T x m
        num = np.zeros(stats.m)
        den = 0.0
        for g in np.unique(g_units[g_units >= 0]):
            b = g - 1 - anticipation
            if b < 0:
                continue
            tr = g_units == g
            ts = t_idx[g:]
            nt, nb = n[tr][:, ts].sum(axis=0), n[tr, b].sum()
            st, sb = sy[tr][:, ts].sum(axis=0), sy[tr, b].sum(axis=0)
            ct, cb = c_n[ts, ts], c_n[ts, b]
            sct, scb = c_sy[ts, ts], c_sy[ts, b]
            ok = (nt > 0) & (ct > 0) & (cb > 0) & (nb > 0)
            if not ok.any():
                continue
            with np.errstate(invalid="ignore", divide="ignore"):
                att = (st / nt[:, None] - sb / nb - sct / ct[:, None] + scb / cb[:, None])[ok]
            p_g = n[tr].sum() / total_n
            num += p_g * att.sum(axis=0)
            den += p_g * ok.sum()
        if den > 0:
            out[r] = num / den
    return out


def reestimate(data: StaggeredData, outcomes: Sequence[str], cohorts: np.ndarray, *,
               estimator: str = "imputation", covariates: bool = True,
               control_group: str = "notyettreated", anticipation: int = 0) -> np.ndarray:
    """Overall estimates of ``outcomes`` under each assignment of adoption periods ``cohorts``
    (P, U) (row = one reassignment; -1 = never). Cases where any of the outcomes is missing are
    left out (so ratios use one sample). Imputation and Callaway-Sant'Anna without covariates
    refit from cell sums; Callaway-Sant'Anna with covariates refits fully (slow)."""
    y = np.column_stack([data.outcomes[o] for o in outcomes])
    rows = np.isfinite(y).all(axis=1)
    use_x = bool(covariates and data.covariates.shape[1])
    if estimator == "imputation":
        stats = cell_stats(data, np.where(rows[:, None], y, 0.0), list(outcomes), rows, use_x)
        return imputation_reestimate(stats, cohorts, anticipation)[0]
    if estimator != "callaway_santanna":
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if not use_x:
        stats = cell_stats(data, np.where(rows[:, None], y, 0.0), list(outcomes), rows, False)
        return cs_simple_reestimate(stats, cohorts, control_group, anticipation)
    out = np.full((len(np.atleast_2d(cohorts)), len(outcomes)), np.nan)
    for r, g in enumerate(np.atleast_2d(cohorts)):
        fit = cs.att_gt(data, list(outcomes), covariates=True, control_group=control_group,
                        anticipation=anticipation, rows=rows, cohort=g, linear_weights=False)
        out[r] = cs.aggregate(fit, "simple").estimates[0]
    return out


def case_weights(data: StaggeredData, outcome: str, *, covariates: bool = True,
                 cohort: np.ndarray | None = None, anticipation: int = 0,
                 targets: Sequence[str] = ("overall",)) -> pd.DataFrame:
    """The imputation estimator's linear weights ``v_i`` per case (estimate = ``sum v_i Y_i``
    over the cases where ``outcome`` is observed; 0 elsewhere), one column per estimand
    (``overall``, ``event:e``, ``cohort:g``), indexed like the original frame
    (``data.case_index``). Two outcomes observed on the same cases share their weights."""
    y = data.outcomes[outcome]
    rows = np.isfinite(y)
    use_x = bool(covariates and data.covariates.shape[1])
    stats = cell_stats(data, np.where(rows, y, 0.0), [outcome], rows, use_x)
    fit = fit_imputation(stats, cohort, anticipation)
    kinds = tuple(sorted({t.split(":")[0] for t in targets}))
    names, w = fit.targets(kinds)
    keep = [i for i, n in enumerate(names) if n in targets or n.split(":")[0] in targets]
    lw = fit.linear_weights([names[i] for i in keep], w[keep])
    x = data.covariates if use_x else np.zeros((data.n_cases, 0))
    v = lw.case_values(data.unit, data.period, x)
    v[~rows] = 0.0
    return pd.DataFrame(v, index=data.case_index, columns=list(lw.names))


# --- ratio of two effects (Wald-DiD) -------------------------------------------------------------

@dataclass
class RatioResult:
    """``numerator effect / denominator effect`` with its delta-method standard errors (per
    variance) and randomisation inference (Anderson-Rubin style: ``H0: ratio = r0`` is the
    no-effect hypothesis for ``Y_num - r0 * Y_den``, so the set of ``r0`` not rejected is valid
    even when the denominator effect is weak)."""

    numerator: str
    denominator: str
    estimate: float
    numerator_effect: float
    denominator_effect: float
    std_errors: dict[str, float]
    p_value_ri: float
    ci_ri: tuple[float, float]
    n_assignments: int
    exact: bool
    #: The court-month variance split into its parts (``case``, ``ar`` for the AR(1) shocks,
    #: ``drift``; variances of the ratio, summing to ``std_errors["court_month"] ** 2``) and the
    #: shock model they come from.
    variance_parts: dict[str, float] = field(default_factory=dict)
    shock_model: ShockModel | None = None
    #: ``court_month_t``: the court-month interval with the parametric bootstrap-t critical value
    #: (:func:`courtstudy.studies.staggered.variance.bootstrap_t_draws`; the normal one when no
    #: shock was detected or ``bootstrap_draws=0``), its p-value (H0: ratio = 0) and draws used.
    t_critical: float = np.nan
    p_value_t: float = np.nan
    t_draws: int = 0

    def interval(self, variance: str = "court_month", alpha: float = 0.05) -> tuple[float, float]:
        """``estimate -/+ c * se``: ``c`` the normal quantile, or for ``court_month_t`` the
        bootstrap-t critical value of the court-month standard error (computed at the ``alpha``
        :func:`wald_ratio` was given)."""
        if variance == "court_month_t":
            c, se = self.t_critical, self.std_errors["court_month"]
        else:
            c, se = sps.norm.ppf(1 - alpha / 2), self.std_errors[variance]
        return (self.estimate - c * se, self.estimate + c * se)


def wald_ratio(data: StaggeredData, numerator: str, denominator: str, *, covariates: bool = True,
               anticipation: int = 0, randomization: bool = True, ri_draws: int = 999,
               seed: int = 0, alpha: float = 0.05, grid: np.ndarray | None = None,
               bootstrap_draws: int = 1999) -> RatioResult:
    """Ratio of two imputation rollout effects on the same cases (e.g. intention-to-treat
    effect on an outcome over the change in the share of cases routed: a Wald-DiD), with
    delta-method variances from the joint linear weights (``psi_i = v_i (Y_num - r Y_den) /
    effect_den``; case level and case + court-month) and randomisation inference by inverting
    no-effect tests of ``Y_num - r0 * Y_den`` over ``grid`` (default: 401 points around the
    estimate, refined).

    ``bootstrap_draws``: parametric bootstrap-t draws of the court-month interval
    (:func:`courtstudy.studies.staggered.variance.bootstrap_t_draws`), whose ``1 - alpha``
    quantile of ``|t*|`` is ``t_critical``; 0 skips it (``t_critical`` is then the normal one)."""
    y = np.column_stack([data.outcomes[numerator], data.outcomes[denominator]])
    rows = np.isfinite(y).all(axis=1)
    use_x = bool(covariates and data.covariates.shape[1])
    stats = cell_stats(data, np.where(rows[:, None], y, 0.0), [numerator, denominator], rows, use_x)
    fit = fit_imputation(stats, anticipation=anticipation)
    names, w = fit.targets(("overall",))
    eff = fit.estimates(w)[0]
    ratio = float(eff[0] / eff[1]) if eff[1] != 0 else np.nan
    # the ratio's linearisation is the estimator applied to Y_num - ratio * Y_den, / effect_den
    comb = stats.sy[..., 0] - ratio * stats.sy[..., 1]
    lin = CellStats(("lin",), stats.n, comb[..., None],
                    (stats.syy[..., 0] - 2 * ratio * _cross(data, rows, y) + ratio**2 * stats.syy[..., 1])[..., None],
                    stats.sx, stats.sxx, (stats.sxy[..., 0] - ratio * stats.sxy[..., 1])[..., None],
                    stats.cohort)
    lfit = fit_imputation(lin, anticipation=anticipation)
    lw = lfit.linear_weights(names, w)
    s2 = lfit.within_variance()[..., 0]
    model = estimate_shock_model(lfit, 0, s2)
    case = lw.case_covariance(lin, s2)[0, 0]
    split = shock_variance_parts(lw.cell_sum[0], model)
    shock = split["ar"] + split["drift"]
    ses = {"case": float(np.sqrt(case) / abs(eff[1])),
           "court_month": float(np.sqrt(case + shock) / abs(eff[1]))}
    parts = {"case": float(case / eff[1] ** 2), "ar": split["ar"] / eff[1] ** 2, "drift": split["drift"] / eff[1] ** 2}
    z = float(sps.norm.ppf(1 - alpha / 2))
    t_obs = abs(ratio) / ses["court_month"] if ses["court_month"] > 0 else np.nan
    t_draws = None
    if bootstrap_draws > 0 and np.isfinite(t_obs):
        t_draws = bootstrap_t_draws(lfit, s2, lw.cell_sum[0], case, model, draws=bootstrap_draws, seed=seed)
    if t_draws is None:
        t_crit, p_t = z, float(2 * sps.norm.sf(t_obs)) if np.isfinite(t_obs) else np.nan
    else:
        t_crit = float(np.quantile(t_draws, 1 - alpha))
        p_t = float((1 + np.sum(t_draws >= t_obs)) / (len(t_draws) + 1))
    p_ri, ci, n_assign, exact = np.nan, (np.nan, np.nan), 0, False
    if randomization:
        assign, exact = reassignments(stats.cohort, ri_draws, seed)
        est_r, _ = imputation_reestimate(stats, assign, anticipation)
        n_assign = len(assign)
        a_num, a_den = est_r[:, 0], est_r[:, 1]

        def p_of(r0: float) -> float:
            stat = np.abs(a_num - r0 * a_den)
            return float(np.mean(stat >= stat[0] - 1e-12 * max(1.0, abs(stat[0]))))

        p_ri = p_of(0.0)
        if grid is None:
            width = 10 * ses["court_month"] if np.isfinite(ses["court_month"]) else 1.0
            grid = np.linspace(ratio - width, ratio + width, 401)
        accepted = [r0 for r0 in grid if p_of(r0) > alpha]
        if accepted:
            ci = (float(min(accepted)), float(max(accepted)))
    return RatioResult(numerator, denominator, ratio, float(eff[0]), float(eff[1]), ses, p_ri, ci,
                       n_assign, exact, parts, model, t_crit, p_t, 0 if t_draws is None else len(t_draws))


def _cross(data: StaggeredData, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-cell sums of ``y_num * y_den`` (U, T)."""
    prod = np.where(rows, y[:, 0] * y[:, 1], 0.0)
    out = np.bincount(data.cell, prod, minlength=data.n_units * data.n_periods)
    return out.reshape(data.n_units, data.n_periods)
