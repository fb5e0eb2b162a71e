"""Which estimate the triage study's headline states, and the sentences that compare designs.

Two designs estimate the effect of routing a case simple on the cases routed:

* the rollout (design-based, :mod:`courtstudy.studies.triage.wald`): the Wald-DiD, resting on
  parallel trends between courts and on the exclusion restriction (starting triage changes a case
  only by routing it), not on how cases were routed;
* like-for-like (AIPW, :mod:`courtstudy.studies.triage.study`): resting on selection on
  observables (routing depends on nothing unrecorded that also drives the outcome).

:func:`mark_preferred` sets the study contract's ``preferred`` column: per outcome, the rollout's
Wald estimate where the data hold a rollout, else (every court triaging throughout the data) the
AIPW estimate, and ``rests_on`` says which assumption each row needs.
:func:`compare_designs` tests whether the two answers differ by more than their sampling error
and :func:`comparison_statements` words the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from courtstudy.core import text
from courtstudy.studies.triage.sample import outcome_label

#: The headline method of each design.
DESIGN_METHOD = "rollout_wald"
LIKE_FOR_LIKE_METHOD = "aipw"

#: What each method's estimate rests on (the ``rests_on`` column).
RESTS_ON: dict[str, str] = {
    "raw": "nothing_removes_case_mix",
    "regression": "selection_on_observables",
    "ipw": "selection_on_observables",
    "aipw": "selection_on_observables",
    "km_rmst": "nothing_removes_case_mix",
    "ipw_km_rmst": "selection_on_observables",
    "cox": "selection_on_observables",
    "rollout_itt": "parallel_trends",
    "rollout_first_stage": "parallel_trends",
    "rollout_wald": "parallel_trends_and_exclusion",
    "rollout_wald_channel": "parallel_trends_and_exclusion_and_appeal_model",
    "did_multiplegt": "parallel_trends_and_exclusion",
}
RESTS_ON_LABELS: dict[str, tuple[str, str]] = {
    "nothing_removes_case_mix": ("未调整：包含案件构成差异", "unadjusted: includes case-mix differences"),
    "selection_on_observables": ("可观测选择：分案只取决于数据中记录的因素",
                                 "selection on observables: routing depends only on what the data record"),
    "parallel_trends": ("平行趋势：未实施时各院结果变化相同", "parallel trends between courts"),
    "parallel_trends_and_exclusion": ("平行趋势＋排除性约束：实施分流只通过分案影响案件",
                                      "parallel trends and exclusion: starting triage acts only through routing"),
    "parallel_trends_and_exclusion_and_appeal_model": (
        "平行趋势＋排除性约束＋上诉模型", "parallel trends, exclusion and the appeal model"),
}


def mark_preferred(tidy: pd.DataFrame, has_rollout: bool, inference: str = "court_month_t") -> pd.DataFrame:
    """``tidy`` with ``preferred`` (one True per outcome the headline states) and ``rests_on``.

    With a rollout, the preferred row of an outcome is its ``rollout_wald`` aggregate (term
    "overall") under the headline ``inference``; without one, its ``aipw`` row. Outcomes with
    neither (the censored ``rmst_<h>`` and ``time_to_close`` rows of the like-for-like study)
    have no headline.
    """
    out = tidy.copy()
    out["rests_on"] = out["method"].map(RESTS_ON).fillna("")
    term = out["term"].fillna("").astype(str) if "term" in out else pd.Series("", index=out.index)
    plain = out["event_time"].isna() & out["group"].isna()
    if has_rollout:
        chosen = (out["method"] == DESIGN_METHOD) & plain & (term == "overall")
        if "inference" in out:
            chosen &= out["inference"].fillna("").astype(str) == inference
    else:
        chosen = (out["method"] == LIKE_FOR_LIKE_METHOD) & plain & (term == "")
    # One per outcome, whatever else the table holds.
    first = out[chosen].groupby("outcome").head(1).index
    out["preferred"] = out.index.isin(first)
    return out


def compare_designs(tidy: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Design-based (the preferred rollout Wald rows of ``tidy``, see :func:`mark_preferred`)
    against like-for-like (AIPW on the same routed cases where the study has them,
    ``aipw_same_cases``; else the study's AIPW), per outcome.

    ``difference`` = like-for-like minus design; its standard error treats the two estimates as
    independent, sqrt(se_a^2 + se_b^2): they share cases, and the covariance of two estimates of
    the same effect is positive, so this overstates the sampling error of the difference and the
    test errs towards "agree". ``disagree`` = |difference| > z * se.
    """
    rows = []
    z = stats.norm.ppf(1 - alpha / 2)
    design = tidy[tidy["preferred"] & (tidy["method"] == DESIGN_METHOD)].set_index("outcome")
    for lfl_method in ("aipw_same_cases", LIKE_FOR_LIKE_METHOD):
        lfl = tidy[tidy["method"] == lfl_method].set_index("outcome")
        if len(lfl):
            break
    for outcome in design.index:
        if outcome not in lfl.index:
            continue
        d, a = design.loc[outcome], lfl.loc[outcome]
        diff = float(a["estimate"] - d["estimate"])
        se = float(np.hypot(a["std_error"], d["std_error"]))
        rows.append({"outcome": outcome, "unit": d.get("unit", ""), "design": float(d["estimate"]),
                     "design_se": float(d["std_error"]), "like_for_like": float(a["estimate"]),
                     "like_for_like_se": float(a["std_error"]), "like_for_like_method": lfl_method,
                     "difference": diff, "difference_se": se,
                     "ci_low": diff - z * se, "ci_high": diff + z * se,
                     "p_value": float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else np.nan,
                     "disagree": bool(abs(diff) > z * se), "ratio": float(a["estimate"] / d["estimate"])
                     if d["estimate"] != 0 else np.nan})
    return pd.DataFrame(rows)


def _scale(unit: str) -> tuple[float, str, str]:
    return (100.0, "个百分点", "percentage points") if unit == "risk_difference" else (1.0, "天", "days")


def comparison_statements(comparison: pd.DataFrame, lang: str = "zh", alpha: float = 0.05) -> list[str]:
    """One sentence per outcome saying whether the like-for-like (AIPW) answer differs from the
    rollout answer by more than sampling error, and a closing sentence on the likely reason when
    any does. Computed from ``comparison`` (:func:`compare_designs`)."""
    out = []
    level = text.interval_label(alpha, lang)
    for r in comparison.itertuples(index=False):
        s, zh, en = _scale(r.unit)
        label = outcome_label(r.outcome, lang)
        d, a, diff = r.design * s, r.like_for_like * s, r.difference * s
        lo, hi = r.ci_low * s, r.ci_high * s
        if lang == "zh":
            verdict = ("两者之差超出抽样误差" if r.disagree else "两者之差在抽样误差之内")
            out.append(f"{label}：按实施时间比较为 {d:.2f} {zh}，同类案件比较（双重稳健）为 {a:.2f} {zh}，"
                       f"相差 {diff:+.2f} {zh}（{level} {lo:.2f} 至 {hi:.2f}），{verdict}。")
        else:
            verdict = ("more than sampling error" if r.disagree else "within sampling error")
            out.append(f"{label}: the rollout gives {d:.2f} {en}, the like-for-like comparison (AIPW) {a:.2f} {en}; "
                       f"the difference, {diff:+.2f} {en} ({level} {lo:.2f} to {hi:.2f}), is {verdict}.")
    n_dis = int(comparison["disagree"].sum()) if len(comparison) else 0
    if n_dis:
        names = [outcome_label(o, lang) for o in comparison.loc[comparison["disagree"], "outcome"]]
        out.append((f"有 {n_dis} 项结果两种方法的差异超出抽样误差（{'、'.join(names)}）。按实施时间比较不依赖案件如何被分到简案；"
                    "同类案件比较只能调整数据中记录的因素。分流员分案时看得到卷宗里有、导出数据里没有的信息（争议大小、"
                    "能否调解、证据是否齐备），这种隐藏的选择是两者不一致最可能的原因，此时应以按实施时间比较的结果为准。")
                   if lang == "zh" else
                   (f"For {n_dis} outcome(s) the two designs differ by more than sampling error ({', '.join(names)}). "
                    "The rollout comparison does not depend on how cases were routed; the like-for-like comparison "
                    "can only adjust for what the data record. The triage officer routes on what is in the file but not in the "
                    "export (how contested a case is, whether the parties will settle, how complete the evidence is): "
                    "that hidden selection is the likely reason for the disagreement, and the rollout answer is the one "
                    "to rely on."))
    elif len(comparison):
        out.append("两种方法对每项结果的差异都在抽样误差之内。这与分案不存在隐藏的选择相符，但并不能证明这一点："
                   "样本较小时两者的区间都较宽。" if lang == "zh" else
                   "For every outcome the two designs agree within sampling error. That is consistent with no hidden "
                   "selection in routing but does not prove it: with few cases both intervals are wide.")
    return out


#: The like-for-like methods that share the assumption of selection on observables.
ADJUSTED_METHODS = ("regression", "ipw", "aipw")


def adjusted_agreement(tidy: pd.DataFrame, methods: Sequence[str] = ADJUSTED_METHODS) -> pd.DataFrame:
    """Per outcome, whether the like-for-like methods agree with each other: ``spread`` = the
    largest minus the smallest of their estimates, ``std_error`` = the largest of their standard
    errors, ``agree`` = spread < std_error (they differ by less than one standard error of any of
    them: closer than sampling error could separate). Rows: ``outcome, unit, spread, std_error,
    agree, methods``; outcomes with fewer than two of ``methods`` are left out."""
    rows = tidy[tidy["method"].isin(methods)]
    rows = rows[rows["event_time"].isna()] if "event_time" in rows else rows
    out = []
    for outcome, g in rows.groupby("outcome", sort=False):
        g = g[np.isfinite(g["estimate"].to_numpy(dtype=float))]
        if g["method"].nunique() < 2:
            continue
        spread = float(g["estimate"].max() - g["estimate"].min())
        se = float(g["std_error"].max())
        out.append({"outcome": outcome, "unit": g["unit"].iloc[0], "spread": spread, "std_error": se,
                    "agree": bool(spread < se), "methods": int(g["method"].nunique())})
    return pd.DataFrame(out, columns=["outcome", "unit", "spread", "std_error", "agree", "methods"])


def agreement_statements(agreement: pd.DataFrame, comparison: pd.DataFrame | None, lang: str = "zh") -> list[str]:
    """Whether the like-for-like methods agree with each other (computed by
    :func:`adjusted_agreement`) and, where a rollout exists, whether that agreement coincided
    with agreement with the rollout (``comparison`` from :func:`compare_designs`)."""
    if agreement.empty:
        return []
    agree = agreement[agreement["agree"]]
    n, k = len(agreement), len(agree)
    names = lambda frame: ("、" if lang == "zh" else ", ").join(outcome_label(o, lang) for o in frame["outcome"])  # noqa: E731
    if k == n:
        first = text.pick(f"同类案件比较的各方法（回归调整、加权、双重稳健）对全部 {n} 项结果的估计彼此相差不到一个标准误。",
                          f"The like-for-like methods (regression, weighting, doubly robust) agree with each other within "
                          f"one standard error on all {n} outcomes.", lang)
    elif k:
        first = text.pick(f"同类案件比较的各方法对 {k} 项结果（{names(agree)}）的估计彼此相差不到一个标准误，"
                          f"其余 {n - k} 项相差更大。",
                          f"The like-for-like methods agree within one standard error on {k} of {n} outcomes "
                          f"({names(agree)}) and differ by more on the rest.", lang)
    else:
        first = text.pick(f"同类案件比较的各方法对全部 {n} 项结果的估计彼此相差超过一个标准误，对模型设定敏感。",
                          f"The like-for-like methods differ by more than one standard error on all {n} outcomes: "
                          f"their answer depends on the model.", lang)
    out = [first]
    if k:
        out.append(text.pick("这些方法依据同一个假设（可观测选择），彼此一致并不能证明这个假设成立。",
                             "They all rest on one assumption (selection on observables): their agreement with each "
                             "other is no evidence for it.", lang))
    if comparison is not None and len(comparison) and k:
        both = comparison[comparison["disagree"] & comparison["outcome"].isin(agree["outcome"])]
        if len(both):
            out.append(text.pick(f"其中 {len(both)} 项（{names(both)}）各方法彼此一致，却与按实施时间比较的结果相差超出抽样误差。",
                                 f"On {len(both)} of them ({names(both)}) the methods agree with each other and yet "
                                 f"differ from the rollout answer by more than sampling error.", lang))
    return out


def exclusion_bound(wald: float, ci: tuple[float, float], first_stage: float, delta: float) -> dict[str, float]:
    """The effect on routed cases when cases left complex may themselves be affected by up to
    ``delta`` (in outcome units) by the start of triage.

    With ITT = FS * tau + (1 - FS) * delta_c (delta_c the average effect on the cases left
    complex), tau = Wald - (1 - FS) / FS * delta_c, so for |delta_c| <= delta the effect lies in
    [Wald - k delta, Wald + k delta] with k = (1 - FS) / FS, and its confidence interval in
    [ci_low - k delta, ci_high + k delta]. ``breakdown`` is the direct effect on cases left
    complex that would explain the whole estimate (tau = 0): Wald * FS / (1 - FS).
    """
    k = (1 - first_stage) / first_stage
    return {"delta": float(delta), "k": float(k), "low": wald - k * delta, "high": wald + k * delta,
            "ci_low": ci[0] - k * delta, "ci_high": ci[1] + k * delta,
            "breakdown": float(wald * first_stage / (1 - first_stage)) if first_stage < 1 else np.nan}
