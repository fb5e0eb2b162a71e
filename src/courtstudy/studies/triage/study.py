"""The triage / fast-track study: every method on one sample, with diagnostics and sensitivity.

:func:`estimate_effects` runs raw difference, regression adjustment, IPW and AIPW for the
non-duration outcomes of an :class:`~courtstudy.studies.triage.sample.AnalysisSample`; :func:`survival_effects`
runs Kaplan-Meier by arm, the IPW-weighted Kaplan-Meier, RMST differences at the horizon and a
Cox model (court strata) for time to closing; :func:`run_triage_study` builds the sample from
canonical cases and does all of it, returning a :class:`TriageStudy`.

The propensity is fitted on the whole (trimmed) sample for the diagnostics, and refitted on the
cases of each outcome (outcomes are defined on different subsets: appeals only for mature
closings...) so that each estimate is one self-contained M-estimator with a valid
influence-function standard error. Binary outcomes are risk differences (proportions in the tidy
table, percentage points in the summary); durations are in days; the Cox row is a hazard ratio
of closing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from courtstudy.core import text
from courtstudy.studies.results import EffectResult, StudyResults, estimate_row, study_tidy
from courtstudy.studies.triage import diagnostics as diag
from courtstudy.studies.triage.estimators import METHOD_LABELS, METHODS, run_method
from courtstudy.studies.triage.headline import (
    RESTS_ON_LABELS,
    adjusted_agreement,
    agreement_statements,
    compare_designs,
    comparison_statements,
    mark_preferred,
)
from courtstudy.studies.triage.propensity import (
    PropensityFit,
    fit_propensity,
    trimming_mask,
    trimming_rule_text,
)
from courtstudy.studies.triage.sample import (
    DEFAULT_COVARIATES,
    DEFAULT_OUTCOMES,
    AnalysisSample,
    build_sample,
    covariate_label,
)
from courtstudy.studies.triage.sensitivity import (
    evalue_continuous,
    evalue_risk_difference,
    omitted_variable_bounds,
)
from courtstudy.studies.triage.survival import (
    SurvivalCurve,
    cox_model,
    kaplan_meier,
    rmst_difference,
)
from courtstudy.studies.triage.wald import HEADLINE_INFERENCE, RolloutResult

logger = logging.getLogger(__name__)

UNITS = {"binary": "risk_difference", "continuous": "days", "duration": "days"}


def _constant_free(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` without its constant columns, and the mask of columns kept."""
    if x.shape[1] == 0:
        return x, np.zeros(0, dtype=bool)
    keep = x.max(axis=0) > x.min(axis=0)
    return x[:, keep], keep


class _PropensityCache:
    """Propensity fits keyed by the subset of cases, so outcomes sharing a subset share a fit;
    fits on subsets are warm-started from the fit on all cases."""

    def __init__(self, x: np.ndarray, t: np.ndarray) -> None:
        self.x, self.t = x, t
        self.fits: dict[bytes, tuple[np.ndarray, PropensityFit]] = {}
        self.full: PropensityFit | None = None

    def get(self, mask: np.ndarray) -> tuple[np.ndarray, PropensityFit]:
        key = np.packbits(mask).tobytes()
        if key not in self.fits:
            if self.full is None and not mask.all():
                self.get(np.ones(len(mask), dtype=bool))
            xs, keep = _constant_free(self.x[mask])
            start = None
            if self.full is not None:
                full_keep = _constant_free(self.x)[1]
                coef = np.zeros(self.x.shape[1])
                coef[full_keep] = self.full.coef[1:]
                start = np.r_[self.full.coef[0], coef[keep]]
            fit = fit_propensity(xs, self.t[mask], start=start)
            if mask.all():
                self.full = fit
            self.fits[key] = (xs, fit)
        return self.fits[key]


def estimate_effects(sample: AnalysisSample, outcomes: Sequence[str] | None = None, *,
                     methods: Sequence[str] = METHODS, estimand: str = "ATT",
                     variance: str = "influence", group: Any = None,
                     _cache: _PropensityCache | None = None) -> EffectResult:
    """Raw difference, regression adjustment, IPW and AIPW for each non-duration outcome.

    Rows carry ``unit`` ("risk_difference" or "days") and ``outcome_kind``; the estimand is
    ``"raw"`` for the raw difference and ``estimand`` for the others.
    """
    x_all = sample.design.to_numpy(dtype=float)
    t_all = sample.treatment
    cache = _cache or _PropensityCache(x_all, t_all)
    names = [k for k, o in sample.outcomes.items() if o.kind != "duration"] if outcomes is None else list(outcomes)
    rows = []
    for name in names:
        out = sample.outcomes[name]
        mask = out.mask & np.isfinite(out.values)
        t = t_all[mask]
        if t.sum() < 2 or (len(t) - t.sum()) < 2:
            continue
        y = out.values[mask]
        xs, ps = cache.get(mask) if any(m in ("ipw", "aipw") for m in methods) else (_constant_free(x_all[mask])[0], None)
        for method in methods:
            est = run_method(method, y, t, xs, ps, estimand, variance)
            row = estimate_row(outcome=name, method=method, estimand="raw" if method == "raw" else estimand,
                               estimate=est.estimate, std_error=est.std_error, n_treated=est.n_treated,
                               n_control=est.n_control, group=group)
            row.update(unit=UNITS[out.kind], outcome_kind=out.kind, treated_mean=float(y[t == 1].mean()),
                       control_sd=float(y[t == 0].std()))
            rows.append(row)
    return EffectResult(pd.DataFrame(rows), title={"zh": "处理效应估计", "en": "Treatment effect estimates"})


def survival_effects(sample: AnalysisSample, propensity: PropensityFit, *, estimand: str = "ATT",
                     horizon: int | None = None, cox: bool = True, cox_errors: str = "robust",
                     outcome: str = "time_to_close") -> tuple[EffectResult, dict[str, SurvivalCurve]]:
    """KM curves by arm (raw and IPW-weighted), RMST differences at ``horizon`` and a Cox model
    (court strata, Efron ties; ``cox_errors`` "robust" = sandwich by case, "cluster" = by court)."""
    horizon = sample.horizon if horizon is None else horizon
    out = sample.outcomes[outcome]
    time, event = out.values, out.event
    t = sample.treatment.astype(bool)
    w = diag.weights(propensity.score, sample.treatment, estimand)
    curves = {
        "treated": kaplan_meier(time[t], event[t]),
        "control": kaplan_meier(time[~t], event[~t]),
        "treated_weighted": kaplan_meier(time[t], event[t], w[t]),
        "control_weighted": kaplan_meier(time[~t], event[~t], w[~t]),
    }
    rows = []
    n1, n0 = int(t.sum()), int((~t).sum())
    for method, ww, est_name in (("km_rmst", None, "raw"), ("ipw_km_rmst", w, estimand)):
        diff, se, r1, r0 = rmst_difference(time, event, t, horizon, ww)
        row = estimate_row(outcome=f"rmst_{horizon}", method=method, estimand=est_name, estimate=diff,
                           std_error=se, n_treated=n1, n_control=n0)
        row.update(unit="days", outcome_kind="duration", treated_mean=r1, control_sd=np.nan)
        rows.append(row)
    diagnostics: dict[str, Any] = {}
    if cox:
        design = sample.design
        court_cols = sample.covariate_groups.get("court", [])
        covs = design.drop(columns=court_cols)
        covs = covs.loc[:, covs.nunique() > 1]
        x = pd.concat([pd.Series(sample.treatment, name="treated", index=covs.index), covs], axis=1)
        strata = sample.frame["court"].astype("string").to_numpy(dtype=object) if court_cols else None
        if cox_errors == "cluster":
            groups = sample.frame["court"].astype("string").to_numpy(dtype=object)
        elif cox_errors == "robust":
            groups = np.arange(sample.n)
        else:
            raise ValueError(f"cox_errors must be 'robust' or 'cluster', got {cox_errors!r}")
        res = cox_model(time, event, x, treatment="treated", strata=strata, groups=groups, outcome=outcome)
        row = res.rows.iloc[0].to_dict()
        row.update(estimand="HR", unit="hazard_ratio", outcome_kind="duration")
        rows.append(row)
        diagnostics["cox"] = res.diagnostics
    result = EffectResult(pd.DataFrame(rows), title={"zh": "结案时间", "en": "Time to closing"},
                          diagnostics=diagnostics)
    return result, curves


@dataclass(repr=False)
class TriageStudy(StudyResults):
    """Everything the triage study computed on one sample.

    ``result`` holds every estimate (tidy rows plus ``unit`` and ``outcome_kind``), ``curves`` the
    KM curves, and ``diagnostics`` the overlap and balance tables, effective sample sizes, the
    sensitivity tables and the sample accounting.
    """

    sample: AnalysisSample
    estimand: str
    propensity: PropensityFit
    kept: np.ndarray
    result: EffectResult
    curves: dict[str, SurvivalCurve]
    diagnostics: dict[str, Any] = field(default_factory=dict)
    horizon: int = 365
    lang: str | None = None
    #: the rollout design (None when it could not run: ``no_rollout`` says why)
    rollout: RolloutResult | None = None
    #: AIPW on the cases the rollout estimate of each outcome uses
    same_cases: EffectResult | None = None
    no_rollout: dict[str, str] | None = None

    study = "triage"

    @property
    def alpha(self) -> float:
        return self.result.alpha

    @property
    def has_rollout(self) -> bool:
        return self.rollout is not None

    def tidy(self) -> pd.DataFrame:
        """Every estimate of both designs, with the study contract's columns first (see
        :data:`courtstudy.studies.results.STUDY_COLUMNS`), ``preferred`` on the estimate per
        outcome the headline states and ``rests_on`` (what each row assumes; see
        :func:`courtstudy.studies.triage.headline.mark_preferred`)."""
        parts = [self.result.tidy()]
        if self.rollout is not None:
            parts.append(self.rollout.tidy())
        if self.same_cases is not None and len(self.same_cases.rows):
            parts.append(self.same_cases.tidy())
        rows = study_tidy(pd.concat(parts, ignore_index=True))
        inference = self.rollout.inference if self.rollout is not None else ""
        return mark_preferred(rows, self.has_rollout, inference)

    def headline(self) -> pd.DataFrame:
        """The preferred estimate of each outcome (see :meth:`tidy`)."""
        rows = self.tidy()
        return rows[rows["preferred"]].reset_index(drop=True)

    def comparison(self) -> pd.DataFrame:
        """The rollout against the like-for-like answer per outcome
        (:func:`courtstudy.studies.triage.headline.compare_designs`; empty without a rollout)."""
        if self.rollout is None:
            return pd.DataFrame()
        return compare_designs(self.tidy(), self.alpha)

    def comparison_statements(self, lang: str = "zh") -> list[str]:
        """Whether the two designs disagree beyond sampling error, computed (or why there is
        nothing to compare)."""
        if self.rollout is None:
            return [text.pick(f"没有可比较的按实施时间估计：{self.no_rollout['zh']}",
                              f"There is no rollout estimate to compare with: {self.no_rollout['en']}", lang)]
        return comparison_statements(self.comparison(), lang, self.alpha)

    def agreement_statements(self, lang: str = "zh") -> list[str]:
        """Whether the like-for-like methods agree with each other and, with a rollout, whether
        that agreement coincided with agreement with the design-based answer, computed
        (:func:`courtstudy.studies.triage.headline.adjusted_agreement`)."""
        comparison = self.comparison() if self.rollout is not None else None
        return agreement_statements(adjusted_agreement(self.result.tidy()), comparison, lang)

    def headline_statements(self, lang: str = "zh") -> list[str]:
        """One sentence per outcome with the preferred estimate, and what the estimates rest on:
        said once after them when every outcome rests on the same assumption (the findings page
        should not repeat it five times), else in each sentence."""
        out = []
        level = text.interval_label(self.alpha, lang)
        rows = list(self.headline().itertuples(index=False))
        shared = len({r.rests_on for r in rows}) == 1
        for r in rows:
            s = 100.0 if r.unit == "risk_difference" else 1.0
            unit = text.pick("个百分点" if s == 100 else "天", "percentage points" if s == 100 else "days", lang)
            label = self.outcome_label(r.outcome, lang)
            sure = r.ci_low > 0 or r.ci_high < 0
            rests = RESTS_ON_LABELS.get(r.rests_on, ("", ""))
            if lang == "zh":
                out.append(f"{label}：分流使被分流的案件{'增加' if r.estimate > 0 else '减少'} {abs(r.estimate * s):.2f} {unit}"
                           f"（{level} {r.ci_low * s:.2f} 至 {r.ci_high * s:.2f}"
                           + ("" if sure else "，包含 0") + "）。" + ("" if shared else f"依据：{rests[0]}。"))
            else:
                out.append(f"{label}: routing changed it by {r.estimate * s:+.2f} {unit} for the routed cases "
                           f"({level} {r.ci_low * s:.2f} to {r.ci_high * s:.2f}"
                           + ("" if sure else ", includes 0") + ")." + ("" if shared else f" Rests on: {rests[1]}."))
        # without a rollout the closing sentence below names the assumption, and why
        rests = RESTS_ON_LABELS.get(rows[0].rests_on) if shared and rows else None
        if rests and self.rollout is not None:
            out.append(text.pick(f"以上估计均依据：{rests[0]}。", f"All of these rest on: {rests[1]}.", lang))
        if self.rollout is None and len(out):
            out.append(text.pick(
                f"这些结果来自同类案件比较，依据的是可观测选择假设：只有在分案不取决于数据中未记录、又影响结果的因素时才成立。"
                f"之所以没有采用按实施时间比较：{self.no_rollout['zh']}",
                f"These come from the like-for-like comparison and rest on selection on observables: they hold only if "
                f"routing depends on nothing unrecorded that also drives the outcome. No rollout estimate because "
                f"{self.no_rollout['en']}", lang))
        return out

    def naive_statements(self, lang: str = "zh") -> list[str]:
        """The raw comparison of simple- and complex-track cases, per outcome."""
        rows = self._scaled()
        out = []
        for r in rows[rows["method"].isin(["raw"])].itertuples(index=False):
            unit = text.pick("个百分点" if r.unit == "risk_difference" else "天",
                             "percentage points" if r.unit == "risk_difference" else "days", lang)
            label = self.outcome_label(r.outcome, lang)
            out.append(text.pick(f"{label}：简案比繁案{'高' if r.estimate > 0 else '低'} {abs(r.estimate):.2f} {unit}。",
                                 f"{label}: simple-track cases {'exceed' if r.estimate > 0 else 'fall short of'} "
                                 f"complex-track cases by {abs(r.estimate):.2f} {unit}.", lang))
        return out

    def sample_statement(self, lang: str = "zh") -> str:
        """How many cases the study compares and how many of them were treated, computed."""
        n, k = int(self.sample.n), int(self.sample.treatment.sum())
        if self.sample.treatment_name == "fast_track":
            return text.pick(f"各院设立速裁团队之后立案的一审民事案件共 {n:,} 件，其中速裁团队办理 {k:,} 件。"
                             "直接比较两组案件的平均结果：",
                             f"First-instance civil cases filed after each court set up fast-track teams: {n:,}, "
                             f"of them {k:,} handled by a fast-track team. The raw comparison of the two groups:", lang)
        return text.pick(f"各院实施繁简分流之后立案的一审民事案件共 {n:,} 件，其中分为简案 {k:,} 件。"
                         "直接比较两组案件的平均结果：",
                         f"First-instance civil cases filed after each court introduced triage: {n:,}, of them "
                         f"{k:,} triaged simple. The raw comparison of the two groups:", lang)

    def no_rollout_statement(self, lang: str = "zh") -> str:
        """Why there is no rollout comparison ("" when there is one)."""
        if self.rollout is None:
            reason = self.no_rollout or {"zh": "", "en": ""}
            return text.pick(f"本数据不能按实施时间比较：{reason['zh']}下面的结论只能来自同类案件比较。",
                             f"No rollout comparison is possible here: {reason['en']} The headline falls back to the "
                             "like-for-like comparison.", lang)
        return ""

    def flattery_statements(self, lang: str = "zh") -> list[str]:
        """How much of the raw difference the preferred (design-based) estimate leaves, per
        outcome shared by both: what the raw comparison wrongly credits to routing."""
        if self.rollout is None:
            return []
        raw = self.result.tidy().query("method == 'raw'").set_index("outcome")
        out = []
        for r in self.headline().itertuples(index=False):
            if r.outcome not in raw.index:
                continue
            s = 100.0 if r.unit == "risk_difference" else 1.0
            unit = text.pick("个百分点" if s == 100 else "天", "percentage points" if s == 100 else "days", lang)
            naive = float(raw.loc[r.outcome, "estimate"])
            gap = naive - r.estimate
            label = self.outcome_label(r.outcome, lang)
            out.append(text.pick(
                f"{label}：直接比较为 {naive * s:+.2f} {unit}，按实施时间比较为 {r.estimate * s:+.2f} {unit}；"
                f"直接比较把 {gap * s:+.2f} {unit}的差异算到了分流头上，这部分来自案件本身的不同。",
                f"{label}: the raw comparison gives {naive * s:+.2f} {unit}, the rollout {r.estimate * s:+.2f} {unit}: "
                f"the raw comparison credits routing with {gap * s:+.2f} {unit} that come from the cases themselves.",
                lang))
        return out

    def figures(self, lang: str | None = None) -> dict[str, Any]:
        """The study's figures by name (``triage_methods``, ``triage_overlap`` ...)."""
        import matplotlib.pyplot as plt

        lang = lang or self.lang or text.language()
        out = {self.figure_name("methods"): self.plot_methods(lang)}
        for name, draw in (("overlap", self.plot_overlap), ("balance", self.plot_balance)):
            fig, ax = plt.subplots(figsize=(7, 4))
            draw(ax=ax, lang=lang)
            out[self.figure_name(name)] = fig
        for name, weighted in (("km_weighted", True), ("km_raw", False)):
            if not self.curves:  # time to closing was not among the outcomes
                break
            fig, ax = plt.subplots(figsize=(7, 4))
            self.plot_survival(ax=ax, lang=lang, weighted=weighted)
            out[self.figure_name(name)] = fig
        return out

    def summary(self, lang: str = "zh") -> str:
        """The estimates in reader units: percentage points for binary outcomes, days, HR."""
        rows = self.result.tidy()
        scale = np.where(rows["unit"] == "risk_difference", 100.0, 1.0)
        shown = pd.DataFrame({
            "outcome": rows["outcome"],
            "method": [METHOD_LABELS.get(m, (m, m))[0 if lang == "zh" else 1] for m in rows["method"]],
            "estimand": rows["estimand"],
            "estimate": rows["estimate"] * scale,
            "ci_low": rows["ci_low"] * scale, "ci_high": rows["ci_high"] * scale,
            "unit": rows["unit"].map({"risk_difference": "百分点" if lang == "zh" else "pp",
                                      "days": "天" if lang == "zh" else "days",
                                      "hazard_ratio": "风险比" if lang == "zh" else "HR"}),
            "n_treated": rows["n_treated"], "n_control": rows["n_control"]})
        if lang == "zh":
            shown.columns = ["结果变量", "方法", "估计对象", "估计值", *self.interval_labels("zh"),
                             "单位", "处理组", "对照组"]
        names = {"triage": ("繁简分流（简案）", "triage (simple track)"),
                 "fast_track": ("速裁团队", "fast-track teams")}
        zh_name, en_name = names.get(self.sample.treatment_name, (self.sample.treatment_name,) * 2)
        head = {"zh": f"{zh_name}的效应，估计对象：{self.estimand}",
                "en": f"Effect of {en_name}, estimand: {self.estimand}"}[lang]
        with pd.option_context("display.width", 200, "display.max_columns", 20,
                               "display.float_format", lambda v: f"{v:.2f}"):
            body = shown.to_string(index=False)
        notes = "\n".join(("注：" if lang == "zh" else "Note: ") + n for n in self.result.notes.get(lang, []))
        return f"{head}\n{body}\n{notes}"

    # --- reader-facing text and figures --------------------------------------------------
    def outcome_label(self, name: str, lang: str = "zh") -> str:
        if name in self.sample.outcomes:
            return self.sample.outcomes[name].label(lang)
        if name.startswith("rmst_"):
            h = name.split("_", 1)[1]
            return (f"限制平均审理天数（{h} 天，未结案件删失）" if lang == "zh"
                    else f"restricted mean days to closing ({h} days, pending censored)")
        return name

    def _scaled(self) -> pd.DataFrame:
        rows = self.result.tidy()
        scale = np.where(rows["unit"] == "risk_difference", 100.0, 1.0)
        for col in ("estimate", "ci_low", "ci_high", "std_error"):
            rows[col] = rows[col] * scale
        return rows

    def comparison_table(self, lang: str = "zh") -> pd.DataFrame:
        """Outcomes by methods side by side: "estimate (low, high)" in reader units
        (percentage points, days, hazard ratio)."""
        rows = self._scaled()
        rows["cell"] = [f"{e:.2f} ({lo:.2f}, {hi:.2f})" for e, lo, hi in
                        zip(rows["estimate"], rows["ci_low"], rows["ci_high"], strict=True)]
        i = 0 if lang == "zh" else 1
        labels = {**{m: v[i] for m, v in METHOD_LABELS.items()},
                  "km_rmst": ("Kaplan-Meier（未调整）", "Kaplan-Meier (unadjusted)")[i],
                  "ipw_km_rmst": ("加权 Kaplan-Meier（逆概率加权）", "IPW-weighted Kaplan-Meier")[i],
                  "cox": ("Cox 比例风险模型（风险比）", "Cox model (hazard ratio)")[i]}
        unit = {"risk_difference": ("百分点", "pp")[i], "days": ("天", "days")[i],
                "hazard_ratio": ("风险比", "HR")[i]}
        rows["outcome_label"] = [f"{self.outcome_label(o, lang)} [{unit[u]}]"
                                 for o, u in zip(rows["outcome"], rows["unit"], strict=True)]
        rows["method_label"] = rows["method"].map(labels)
        table = rows.pivot_table(index="outcome_label", columns="method_label", values="cell",
                                 aggfunc="first", sort=False)
        order = [labels[m] for m in (*METHODS, "km_rmst", "ipw_km_rmst", "cox") if labels[m] in table.columns]
        table = table[order]
        table.index.name = ("结果变量" if lang == "zh" else "outcome")
        table.columns.name = None
        return table.fillna("")

    def findings(self, lang: str = "zh", method: str = "aipw") -> list[str]:
        """One sentence per outcome with the headline (doubly robust) estimate."""
        rows = self._scaled()
        out = []
        subject = {"triage": ("分流为简案", "being triaged simple"),
                   "fast_track": ("由速裁团队办理", "handling by a fast-track team")}.get(
            self.sample.treatment_name, (self.sample.treatment_name, self.sample.treatment_name))
        who = ("对被处理的案件（ATT）" if self.estimand == "ATT" else "对全部案件（ATE）") if lang == "zh" else \
              ("for the cases it was applied to (ATT)" if self.estimand == "ATT" else "for all cases (ATE)")
        for r in rows[rows["method"].isin([method, "ipw_km_rmst"])].itertuples(index=False):
            label = self.outcome_label(r.outcome, lang)
            unit = ("个百分点" if r.unit == "risk_difference" else "天") if lang == "zh" else \
                   ("percentage points" if r.unit == "risk_difference" else "days")
            sure = (r.ci_low > 0) or (r.ci_high < 0)
            level = text.confidence_level(self.alpha)
            if lang == "zh":
                direction = "增加" if r.estimate > 0 else "减少"
                verdict = "" if sure else "；置信区间包含 0，不能排除没有影响"
                out.append(f"{label}：{subject[0]}{who}使其{direction} {abs(r.estimate):.2f} {unit}"
                           f"（{level} 置信区间 {r.ci_low:.2f} 至 {r.ci_high:.2f}）{verdict}。")
            else:
                direction = "raised" if r.estimate > 0 else "lowered"
                verdict = "" if sure else "; the interval includes 0, so no effect cannot be ruled out"
                out.append(f"{label}: {subject[1]} {direction} it by {abs(r.estimate):.2f} {unit} {who} "
                           f"({text.interval_label(self.alpha, 'en')} {r.ci_low:.2f} to {r.ci_high:.2f}){verdict}.")
        return out

    def raw_vs_adjusted(self, lang: str = "zh", method: str = "aipw", top: int = 3) -> list[str]:
        """Why the raw difference misleads: raw vs adjusted per outcome and the covariates whose
        distribution differs most between the arms."""
        rows = self._scaled().set_index(["outcome", "method"])
        out = []
        for outcome in dict.fromkeys(rows.index.get_level_values(0)):
            raw_m = "km_rmst" if outcome.startswith("rmst_") else "raw"
            adj_m = "ipw_km_rmst" if outcome.startswith("rmst_") else method
            if (outcome, raw_m) not in rows.index or (outcome, adj_m) not in rows.index:
                continue
            raw, adj = rows.loc[(outcome, raw_m), "estimate"], rows.loc[(outcome, adj_m), "estimate"]
            unit = rows.loc[(outcome, raw_m), "unit"]
            u = ("个百分点" if unit == "risk_difference" else "天") if lang == "zh" else \
                ("pp" if unit == "risk_difference" else "days")
            label = self.outcome_label(outcome, lang)
            out.append(f"{label}：原始差异 {raw:.2f} {u}，调整后 {adj:.2f} {u}。" if lang == "zh"
                       else f"{label}: raw difference {raw:.2f} {u}, adjusted {adj:.2f} {u}.")
        bal = self.diagnostics["balance"].assign(a=lambda d: d["smd_before"].abs()).nlargest(top, "a")
        labels = [covariate_label(c, lang) for c in bal["covariate"]]
        names = "、".join(labels) if lang == "zh" else ", ".join(labels)
        out.append(f"两组案件立案时就不同，差异最大的是 {names}（标准化均值差 "
                   + "、".join(f"{v:.2f}" for v in bal["smd_before"]) + "）；加权后均降到 "
                   + f"{self.diagnostics['balance']['smd_after'].abs().max():.2f} 以下。"
                   if lang == "zh" else
                   f"The two groups differed at filing, most in {names} (standardised mean differences "
                   + ", ".join(f"{v:.2f}" for v in bal["smd_before"]) + "); after weighting every difference is below "
                   + f"{self.diagnostics['balance']['smd_after'].abs().max():.2f}.")
        return out

    def sensitivity_statement(self, lang: str = "zh") -> list[str]:
        """What could overturn each estimate: E-value and the benchmarked omitted-variable bound."""
        sens = self.diagnostics.get("sensitivity")
        if sens is None or sens.empty:
            return []
        out = []
        for r in sens.itertuples(index=False):
            label = self.outcome_label(r.outcome, lang)
            k = r.k_explain_away
            k_text = (f"{k:.1f} 倍" if np.isfinite(k) else "任意倍数都不足以") if lang == "zh" else \
                     (f"{k:.1f} times" if np.isfinite(k) else "no multiple of")
            if lang == "zh":
                out.append(f"{label}：E 值 {r.evalue:.2f}（置信限 {r.evalue_ci:.2f}）——未观测混杂因素需与处理和结果都有至少"
                           f"这么强的风险比关联，才能把估计值解释掉；稳健性值为 {r.rv:.1%}。"
                           f"以观测到的协变量作参照：需要强度为“{covariate_label(r.benchmark_covariate, lang)}”的 {k_text}的遗漏变量才能把估计值变为 0"
                           + ("（即不超过已观测协变量的强度，结论脆弱）。" if r.explained_by_benchmark else "。"))
            else:
                out.append(f"{label}: E-value {r.evalue:.2f} (confidence limit {r.evalue_ci:.2f}): an unmeasured "
                           f"confounder would need risk-ratio associations at least this strong with both the treatment "
                           f"and the outcome to explain the estimate away; robustness value RV = {r.rv:.1%}. "
                           f"Benchmarked on observed covariates: a confounder {k_text} as strong as "
                           f"'{covariate_label(r.benchmark_covariate, lang)}' would bring the estimate to zero"
                           + (" (no stronger than an observed covariate: fragile)." if r.explained_by_benchmark else "."))
        return out

    def plot_methods(self, lang: str = "zh"):
        """Estimates with intervals at the study's alpha by outcome and method, in reader units (one panel for
        percentage points, one for days)."""
        import matplotlib.pyplot as plt

        rows = self._scaled()
        rows = rows[rows["method"] != "cox"]
        kinds = [u for u in ("days", "risk_difference") if (rows["unit"] == u).any()]
        fig, axes = plt.subplots(1, len(kinds), figsize=(11, 4.5), squeeze=False)
        i = 0 if lang == "zh" else 1
        names = {**{m: v[i] for m, v in METHOD_LABELS.items()},
                 "km_rmst": ("Kaplan-Meier（未调整）", "Kaplan-Meier (unadjusted)")[i],
                 "ipw_km_rmst": ("加权 Kaplan-Meier", "IPW Kaplan-Meier")[i]}
        for ax, unit in zip(axes[0], kinds, strict=True):
            part = rows[rows["unit"] == unit]
            outcomes = list(dict.fromkeys(part["outcome"]))
            methods = list(dict.fromkeys(part["method"]))
            for j, m in enumerate(methods):
                sub = part[part["method"] == m].set_index("outcome").reindex(outcomes)
                y = np.arange(len(outcomes)) + (j - (len(methods) - 1) / 2) * 0.15
                ax.errorbar(sub["estimate"], y, xerr=[sub["estimate"] - sub["ci_low"], sub["ci_high"] - sub["estimate"]],
                            fmt="o", capsize=2, label=names.get(m, m))
            ax.set_yticks(np.arange(len(outcomes)), [self.outcome_label(o, lang) for o in outcomes])
            ax.set_ylabel(text.pick("结果变量", "Outcome", lang))
            ax.axvline(0, color="grey", lw=0.8, gid="baseline")
            ax.set_xlabel(("效应（天）" if unit == "days" else "效应（百分点）") if lang == "zh"
                          else ("effect (days)" if unit == "days" else "effect (percentage points)"))
            ax.legend(frameon=False, fontsize=8)
        fig.suptitle(text.pick(f"同类案件比较：各方法的估计值与{text.interval_label(self.alpha, 'zh')}",
                               f"Like-for-like estimates by method, with {text.interval_label(self.alpha, 'en')}", lang))
        fig.tight_layout()
        return fig

    def plot_overlap(self, ax=None, lang: str = "zh"):
        return diag.plot_overlap(self.diagnostics["score_all"], self.diagnostics["treatment_all"], ax=ax, lang=lang)

    def plot_balance(self, ax=None, lang: str = "zh"):
        return diag.plot_love(self.diagnostics["balance"], ax=ax, lang=lang)

    def plot_survival(self, ax=None, lang: str = "zh", weighted: bool = True):
        from courtstudy.studies.triage.labels import ARM_NAMES as names
        from courtstudy.studies.triage.survival import plot_curves

        suffix = "_weighted" if weighted else ""
        i = 0 if lang == "zh" else 1
        curves = {names[a][i] + (("（加权）" if lang == "zh" else " (weighted)") if weighted else ""):
                  self.curves[a + suffix] for a in ("treated", "control")}
        title = (text.pick("未结案比例随立案后天数的变化（对照组按倾向得分加权）",
                           "Share still pending by days since filing (control cases weighted by propensity)", lang)
                 if weighted else text.pick("未结案比例随立案后天数的变化（未调整）",
                                            "Share still pending by days since filing (unadjusted)", lang))
        return plot_curves(curves, ax=ax, lang=lang, horizon=self.horizon, title=title)

    def plot_effects(self, ax=None, lang: str = "zh", outcome: str | None = None):
        return self.result.plot(ax=ax, lang=lang, outcome=outcome)


def _sensitivity(sample: AnalysisSample, effects: pd.DataFrame, method: str = "aipw") -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, bench = [], []
    for name, out in sample.outcomes.items():
        if out.kind == "duration":
            continue
        sel = effects[(effects["outcome"] == name) & (effects["method"] == method)]
        if sel.empty:
            continue
        r = sel.iloc[0]
        mask = out.mask & np.isfinite(out.values)
        sub = sample.design.loc[mask]
        keep = [c for c in sub.columns if sub[c].nunique() > 1]
        groups = {g: [c for c in cols if c in keep] for g, cols in sample.covariate_groups.items()}
        summary, table = omitted_variable_bounds(out.values[mask], sample.treatment[mask], sub[keep], groups)
        if out.kind == "binary":
            ev = evalue_risk_difference(r["estimate"], r["ci_low"], r["ci_high"], r["treated_mean"])
        else:
            ev = evalue_continuous(r["estimate"], r["ci_low"], r["ci_high"], r["control_sd"])
        has = len(table) > 0 and table["k_explain_away"].notna().any()
        weakest_link = table.loc[table["k_explain_away"].idxmin()] if has else None
        rows.append({"outcome": name, "method": method, "estimate": r["estimate"], **ev,
                     "ols_estimate": summary["estimate"], "ols_std_error": summary["std_error"],
                     "dof": summary["dof"], "rv": summary["rv"], "rv_alpha": summary["rv_alpha"],
                     "r2_yd_x": summary["r2_yd_x"],
                     "benchmark_covariate": None if weakest_link is None else weakest_link["covariate"],
                     "benchmark_r2_treatment": np.nan if weakest_link is None else weakest_link["r2_treatment"],
                     "benchmark_r2_outcome": np.nan if weakest_link is None else weakest_link["r2_outcome"],
                     "k_explain_away": np.inf if weakest_link is None else weakest_link["k_explain_away"],
                     "explained_by_benchmark": bool(weakest_link is not None and weakest_link["k_explain_away"] <= 1)})
        bench.append(table.assign(outcome=name))
    return pd.DataFrame(rows), (pd.concat(bench, ignore_index=True) if bench else pd.DataFrame())


def run_triage_study(cases: pd.DataFrame, courts: pd.DataFrame | None, *, treatment: str = "triage",
                     outcomes: Sequence[str] = DEFAULT_OUTCOMES, extra_outcomes: Sequence[str] = (),
                     covariates: Sequence[str] = DEFAULT_COVARIATES, estimand: str = "ATT",
                     methods: Sequence[str] = METHODS, trim: str | tuple[float, float] = "auto",
                     horizon: int = 365, as_of: str | pd.Timestamp | None = None, period: tuple | None = None,
                     court_filter: Sequence[str] | None = None, cox: bool = True, cox_errors: str = "robust",
                     sensitivity: bool = True, mature_days: int = 365, maturity_days: int = 30,
                     decided_days: int = 180, sample: AnalysisSample | None = None, rollout: bool = True,
                     rollout_inference: str = HEADLINE_INFERENCE, randomization: bool = True, ri_draws: int = 999,
                     crosscheck: bool = True, rollout_tests: bool = True,
                     concurrent: Sequence[str] = ("fast_track_start",), seed: int = 0) -> TriageStudy:
    """Build the sample and run every method, diagnostic and the sensitivity analysis, and the
    rollout design where the data hold one.

    Parameters are those of :func:`~courtstudy.studies.triage.sample.build_sample` plus ``estimand``
    ("ATT" default, or "ATE"), ``methods``, ``trim`` (see
    :func:`~courtstudy.studies.triage.propensity.trimming_mask`), ``cox``/``cox_errors`` and
    ``sensitivity``. Pass a prebuilt ``sample`` to skip building it. The rollout design
    (:mod:`courtstudy.studies.triage.wald`; ``rollout=False`` skips it): ``rollout_inference``
    (headline interval), ``randomization``/``ri_draws``/``seed`` (randomisation inference over
    start dates), ``crosscheck`` (did_multiplegt), ``rollout_tests`` (composition and exclusion
    tests), ``concurrent`` (courts-table date columns of other reforms whose later cases are left
    out of the rollout).
    """
    if estimand not in ("ATT", "ATE"):
        raise ValueError(f"estimand must be 'ATT' or 'ATE', got {estimand!r}")
    if sample is None:
        sample = build_sample(cases, courts, treatment=treatment, covariates=covariates, outcomes=outcomes,
                              extra_outcomes=extra_outcomes, as_of=as_of, period=period,
                              court_filter=court_filter, horizon=horizon, mature_days=mature_days,
                              maturity_days=maturity_days, decided_days=decided_days)
    x_all = sample.design.to_numpy(dtype=float)
    ps_all = fit_propensity(x_all, sample.treatment)
    kept = trimming_mask(ps_all.score, sample.treatment, estimand, trim)
    overlap = diag.overlap_table(ps_all.score, sample.treatment, kept)
    trimmed_sample = sample if kept.all() else sample.subset(kept)
    x = trimmed_sample.design.to_numpy(dtype=float)
    cache = _PropensityCache(x, trimmed_sample.treatment)
    if kept.all() and x.shape[1] == x_all.shape[1]:
        every = np.ones(trimmed_sample.n, dtype=bool)
        cache.full = ps_all
        cache.fits[np.packbits(every).tobytes()] = (_constant_free(x)[0], ps_all)
    ps = cache.get(np.ones(trimmed_sample.n, dtype=bool))[1]
    effects = estimate_effects(trimmed_sample, methods=methods, estimand=estimand, _cache=cache)
    parts = [effects]
    curves: dict[str, SurvivalCurve] = {}
    diagnostics: dict[str, Any] = {}
    if "time_to_close" in trimmed_sample.outcomes:
        surv, curves = survival_effects(trimmed_sample, ps, estimand=estimand, horizon=horizon, cox=cox,
                                        cox_errors=cox_errors)
        parts.append(surv)
        diagnostics.update(surv.diagnostics)
    rows = pd.concat([p.rows for p in parts if len(p.rows)], ignore_index=True)
    w = diag.weights(ps.score, trimmed_sample.treatment, estimand)
    diagnostics.update({
        "overlap": overlap,
        "score_all": ps_all.score, "treatment_all": sample.treatment,
        "balance": diag.balance_table(trimmed_sample.design, trimmed_sample.treatment, w),
        "ess": diag.ess_table(ps.score, trimmed_sample.treatment, estimand),
        "accounting": pd.DataFrame(sample.accounting),
        "propensity_converged": ps.converged,
    })
    if sensitivity:
        sens, bench = _sensitivity(trimmed_sample, effects.rows, "aipw" if "aipw" in methods else methods[-1])
        diagnostics["sensitivity"] = sens
        diagnostics["benchmarks"] = bench
    n_trim = int((~kept).sum())
    logger.info("triage study: %d cases trimmed on the propensity (%s)", n_trim,
                trimming_rule_text(estimand, trim, "en"))
    notes = {lang: [*sample.notes.get(lang, []), trimming_rule_text(estimand, trim, lang)
                    + (f"（剔除 {n_trim} 件）" if lang == "zh" else f" ({n_trim} cases dropped)")]
             for lang in ("zh", "en")}
    notes["zh"].append("二元结果为风险差（百分点）；天数为日历天；Cox 行为结案风险比（大于 1 表示结案更快）。")
    notes["en"].append("Binary outcomes are risk differences (percentage points); durations in calendar days; "
                       "the Cox row is a hazard ratio of closing (above 1 = faster).")
    result = EffectResult(rows, title={"zh": "繁简分流效应研究", "en": "Triage effect study"}, notes=notes,
                          diagnostics=diagnostics)
    from courtstudy.studies.triage.designs import (
        NO_ROLLOUT_REASONS,
        like_for_like_on_rollout_cases,
        rollout_design,
    )

    design, why_not, same = None, None, None
    if rollout and cases is not None:
        design, why_not = rollout_design(
            cases, courts, treatment=sample.treatment_name, outcomes=outcomes, extra_outcomes=extra_outcomes,
            as_of=sample.as_of, period=period, court_filter=court_filter, horizon=horizon, mature_days=mature_days,
            maturity_days=maturity_days, decided_days=decided_days, concurrent=concurrent,
            inference=rollout_inference, randomization=randomization, ri_draws=ri_draws, seed=seed,
            crosscheck=crosscheck, tests=rollout_tests)
        if design is not None and estimand == "ATT":
            same = like_for_like_on_rollout_cases(trimmed_sample, design, estimand)
    elif not rollout:
        zh, en = NO_ROLLOUT_REASONS["off"]
        why_not = {"code": "off", "zh": zh, "en": en}
    return TriageStudy(trimmed_sample, estimand, ps, kept, result, curves, diagnostics, horizon,
                       rollout=design, same_cases=same, no_rollout=why_not)
