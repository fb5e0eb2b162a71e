"""Reader labels of the triage study's codes, and its tables as a reader sees them.

The study's tidy tables carry codes (``aipw``, ``rollout_wald``, ``court_month``,
``risk_difference``, ``cause[离婚纠纷]``, ``[10000, 50000)``, the sample steps
``case_type == civil`` ...). A report in Chinese must not print them (issue 12, "one
language"): :func:`reader_table` turns every code column of such a table into words of the
report's language and puts effects in reader units (a risk difference in percentage points,
with the ``unit`` column saying so). The table keeps its canonical column names, whose headers
come from :data:`courtstudy.core.text.COLUMN_LABELS` through ``ctx.table``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from courtstudy.core import schema, text
from courtstudy.studies.triage.estimators import METHOD_LABELS
from courtstudy.studies.triage.headline import RESTS_ON_LABELS
from courtstudy.studies.triage.rollout import ROLES
from courtstudy.studies.triage.sample import covariate_label, outcome_label

#: Every method code of the study's tables (the like-for-like methods of
#: :data:`~courtstudy.studies.triage.estimators.METHOD_LABELS` first).
METHOD_NAMES: dict[str, tuple[str, str]] = {
    **METHOD_LABELS,
    "km_rmst": ("Kaplan-Meier（未调整）", "Kaplan-Meier (unadjusted)"),
    "ipw_km_rmst": ("加权 Kaplan-Meier（逆概率加权）", "IPW-weighted Kaplan-Meier"),
    "cox": ("Cox 比例风险模型（风险比）", "Cox model (hazard ratio)"),
    "rollout_itt": ("按实施时间比较：意向处理效应", "rollout: intention to treat"),
    "rollout_first_stage": ("按实施时间比较：第一阶段（分为简案比例的变化）",
                            "rollout: first stage (change in the share routed simple)"),
    "rollout_wald": ("按实施时间比较：对被分流案件的效果", "rollout: effect on the routed cases"),
    "rollout_wald_channel": ("按实施时间比较：分渠道的效果", "rollout: effect by channel"),
    "did_multiplegt": ("核对：非二元处理的双重差分", "cross-check: difference-in-differences, non-binary treatment"),
    "aipw_same_cases": ("双重稳健（与按实施时间比较同一批案件）", "doubly robust (AIPW) on the rollout's routed cases"),
    "rdrobust": ("断点回归（稳健偏差校正）", "regression discontinuity (robust bias-corrected)"),
}
#: What each estimate is an effect on.
ESTIMAND_NAMES: dict[str, tuple[str, str]] = {
    "ATT": ("对被处理案件的平均效应", "average effect on the treated"),
    "ATE": ("对全部案件的平均效应", "average effect on all cases"),
    "ITT": ("意向处理效应（全部案件）", "intention to treat (all cases)"),
    "routed_cases": ("对被分流案件的效果", "effect on the routed cases"),
    "per_routed_case": ("每件被分流案件的效果", "effect per routed case"),
    "LATE": ("标准附近案件的局部效应", "local effect at the threshold"),
    "raw": ("未调整的组间差异", "unadjusted difference"),
    "HR": ("结案风险比", "hazard ratio of closing"),
    "first_stage": ("第一阶段：分为简案比例的变化", "first stage: change in the share routed simple"),
}
#: How the standard error of a rollout estimate was computed.
INFERENCE_NAMES: dict[str, tuple[str, str]] = {
    "case": ("案件层面方差", "case-level variance"),
    "court_month": ("案件层面方差＋法院-月份共同冲击", "case-level variance plus court-month shocks"),
    "court_month_t": ("案件层面方差＋法院-月份共同冲击（自助法临界值）",
                      "case-level variance plus court-month shocks (bootstrap-t critical value)"),
    "randomization": ("对开始日期的随机化推断", "randomisation inference over start dates"),
}
#: Aggregations of the tidy table (heterogeneity dimensions, event study, cross-check).
AGGREGATION_NAMES: dict[str, tuple[str, str]] = {
    "cause": ("按案由", "by cause"), "court": ("按法院", "by court"),
    "claim_band": ("按标的额区间", "by claim amount"), "simple": ("总体", "overall"),
    "dynamic": ("按开始后月数", "by months since the start"),
    "average_total_effect": ("平均总效应", "average total effect"),
}
#: Terms of the tidy table beyond covariates (rollout terms, Cox treatment term).
TERM_NAMES: dict[str, tuple[str, str]] = {
    "overall": ("总体", "overall"), "treated": ("处理组（与对照组相比）", "treated (against control)"),
    "lead": ("开始前", "before the start"), "event": ("开始后", "after the start"),
    "small_claims_channel": ("小额诉讼一审终审渠道", "through small claims' finality"),
    "other_channels": ("其他渠道", "through other channels"),
}
#: Arms of the diagnostics tables.
ARM_NAMES: dict[str, tuple[str, str]] = {"treated": ("处理组", "treated"), "control": ("对照组", "control")}
#: Units of estimates, as printed after scaling (:func:`reader_table`).
UNIT_NAMES: dict[str, tuple[str, str]] = {
    "risk_difference": ("百分点", "percentage points"), "days": text.UNITS["days"],
    "hazard_ratio": ("风险比", "hazard ratio"), "share": text.UNITS["share"],
}
#: Interval methods (``ci_method``), matched by pattern on the estimator's description.
_CI_METHODS: tuple[tuple[str, tuple[str, str]], ...] = (
    (r"^randomization inference", ("对开始日期的随机化推断（安德森-鲁宾）",
                                   "randomisation inference over start dates (Anderson-Rubin)")),
    (r"^delta method, court-month variance, parametric bootstrap-t", (
        "德尔塔法，法院-月份方差，临界值由参数自助法模拟", "delta method, court-month variance, bootstrap-t critical value")),
    (r"^delta method, court-month variance, normal critical value", (
        "德尔塔法，法院-月份方差（未发现共同冲击，正态临界值）",
        "delta method, court-month variance (no shock detected: normal critical value)")),
    (r"^delta method, court-month", ("德尔塔法，法院-月份方差", "delta method, court-month variance")),
    (r"^delta method, case", ("德尔塔法，案件层面方差", "delta method, case-level variance")),
    (r"^delta method", ("德尔塔法", "delta method")),
    (r"^wald, court-month", ("正态近似，法院-月份方差", "normal approximation, court-month variance")),
    (r"^wald, case", ("正态近似，案件层面方差", "normal approximation, case-level variance")),
    (r"^wald, randomization", ("正态近似，随机化推断方差", "normal approximation, randomisation variance")),
    (r"^exp-wald", ("正态近似（对数尺度）", "normal approximation (log scale)")),
    (r"^court_clustered", ("按法院聚类", "clustered by court")),
    (r"^rbc", ("稳健偏差校正", "robust bias-corrected")),
    (r"influence", ("影响函数", "influence function")),
    (r"bootstrap", ("自助法", "bootstrap")),
    (r"^wald", ("正态近似", "normal approximation")),
)
#: Effect columns scaled to reader units by :func:`reader_table`.
EFFECT_COLUMNS: tuple[str, ...] = ("estimate", "std_error", "ci_low", "ci_high", "design", "like_for_like",
                                   "difference", "wald", "delta", "breakdown")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def method_label(code: str, lang: str = "zh") -> str:
    """Reader name of a method code (``aipw`` -> 双重稳健（AIPW）); unknown codes as they are."""
    return _pick(METHOD_NAMES[code], lang) if code in METHOD_NAMES else str(code)


def ci_method_label(description: str, lang: str = "zh") -> str:
    """Reader name of an interval method (``delta method, court-month variance`` ...)."""
    for pattern, pair in _CI_METHODS:
        if re.search(pattern, str(description)):
            return _pick(pair, lang)
    return str(description)


def claim_band_label(band: str, lang: str = "zh") -> str:
    """``[10000, 50000)`` -> 10,000 至 50,000 元; ``>= 200000`` -> 200,000 元及以上;
    ``(missing)`` -> 未填标的额 (the labels of
    :func:`courtstudy.studies.triage.heterogeneity.claim_band`); other text as it is."""
    band = str(band)
    if band == "(missing)":
        return text.pick("未填标的额", "claim amount missing", lang)
    m = re.fullmatch(r"\[(\d+), (\d+)\)", band)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        return text.pick(f"{lo:,} 至 {hi:,} 元（不含）", f"{lo:,} to under {hi:,} yuan", lang)
    m = re.fullmatch(r">= (\d+)", band)
    if m:
        return text.pick(f"{int(m.group(1)):,} 元及以上", f"{int(m.group(1)):,} yuan and above", lang)
    return band


def group_label(group: str, aggregation: str, lang: str = "zh") -> str:
    """A subgroup's name: claim bands in words, ``(missing)`` as 缺失; courts and causes are data."""
    if aggregation == "claim_band":
        return claim_band_label(group, lang)
    if str(group) == "(missing)":
        return text.pick("缺失", "missing", lang)
    return str(group)


def step_label(step: str, lang: str = "zh") -> str:
    """Reader description of a sample step (``AnalysisSample.accounting``, the rollout sample's
    accounting); unknown steps as they are."""
    step = str(step)
    start_names = {"triage_start": ("开始繁简分流", "started triage"),
                   "fast_track_start": ("设立速裁团队", "set up fast-track teams")}
    if step == "cases":
        return text.pick("全部案件", "all cases", lang)
    m = re.fullmatch(r"(case_type|instance) == (\w+)", step)
    if m:
        field, value = m.groups()
        return text.pick(f"{schema.column_label(field, 'zh')}：{schema.label(field, value, 'zh')}",
                         f"{schema.column_label(field, 'en')}: {schema.label(field, value, 'en')}", lang)
    fixed = {
        "court in filter": ("所选法院", "courts selected"),
        "filed on or before as_of": ("数据截止日及之前立案", "filed on or before the as-of date"),
        "filed in period": ("研究期间内立案", "filed in the study period"),
        "not filed in a month triage started mid-month": ("不在月中开始分流的当月立案",
                                                          "not filed in a month triage started mid-month"),
        "court triaging before the data begin (no before-period)": (
            "剔除数据开始前已实施分流的法院（没有实施前的案件）",
            "courts triaging before the data begin left out (no before-period)"),
    }
    if step in fixed:
        return _pick(fixed[step], lang)
    m = re.fullmatch(r"filed on/after the court's (\w+)", step)
    if m:
        zh, en = start_names.get(m.group(1), (m.group(1), m.group(1)))
        return text.pick(f"法院{zh}之后立案", f"filed after the court {en}", lang)
    m = re.fullmatch(r"filed before the court's (\w+) \(concurrent reform\)", step)
    if m:
        zh, en = start_names.get(m.group(1), (m.group(1), m.group(1)))
        return text.pick(f"法院{zh}之前立案（同期的其他改革）", f"filed before the court {en} (a concurrent reform)", lang)
    m = re.fullmatch(r"(\w+) known", step)
    if m:
        return text.pick(f"{schema.column_label(m.group(1), 'zh')}已知", f"{schema.column_label(m.group(1), 'en')} known",
                         lang)
    return step


def _map(series: pd.Series, names: dict[str, tuple[str, str]], lang: str, fallback=None) -> pd.Series:
    def one(value):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return value
        if value in names:
            return _pick(names[value], lang)
        return fallback(value, lang) if fallback is not None else value
    return series.map(one).astype(object)


def reader_table(frame: pd.DataFrame, lang: str = "zh", *, scale: Sequence[str] = EFFECT_COLUMNS) -> pd.DataFrame:
    """``frame`` (a table of the study with canonical columns) as a reader sees it: outcomes,
    methods, estimands, inference, aggregations, terms, arms, covariates, subgroups, interval
    methods, assumptions (``rests_on``), roles, sample steps and units in ``lang``; the
    ``scale`` columns of rows whose ``unit`` is ``risk_difference`` times 100 (percentage
    points, which the ``unit`` column then says). Column names are kept. Returns a copy."""
    text.check_lang(lang)
    out = frame.copy()
    if "unit" in out.columns:
        rd = out["unit"].astype("string").eq("risk_difference").fillna(False).to_numpy()
        for column in scale:
            if column in out.columns:
                values = pd.to_numeric(out[column], errors="coerce").astype(float)
                out[column] = np.where(rd, values * 100.0, values)
        out["unit"] = _map(out["unit"], UNIT_NAMES, lang)
    aggregation = out["aggregation"].astype(object) if "aggregation" in out.columns else None
    for column in out.columns:
        series = out[column]
        if column == "outcome":
            out[column] = series.map(lambda v: v if pd.isna(v) else outcome_label(str(v), lang)).astype(object)
        elif column == "method":
            out[column] = _map(series, METHOD_NAMES, lang)
        elif column == "estimand":
            out[column] = _map(series, ESTIMAND_NAMES, lang)
        elif column == "inference":
            out[column] = _map(series, INFERENCE_NAMES, lang)
        elif column == "aggregation":
            out[column] = _map(series, AGGREGATION_NAMES, lang)
        elif column == "term":
            out[column] = _map(series, TERM_NAMES, lang, lambda v, lg: covariate_label(str(v), lg))
        elif column == "arm":
            out[column] = _map(series, ARM_NAMES, lang)
        elif column in ("covariate", "benchmark_covariate"):
            out[column] = series.map(lambda v: v if pd.isna(v) else covariate_label(str(v), lang)).astype(object)
        elif column == "group":
            aggs = aggregation if aggregation is not None else pd.Series("", index=out.index)
            out[column] = [g if pd.isna(g) else group_label(g, str(a), lang)
                           for g, a in zip(series, aggs, strict=True)]
        elif column == "ci_method":
            out[column] = series.map(lambda v: v if pd.isna(v) else ci_method_label(str(v), lang)).astype(object)
        elif column == "rests_on":
            out[column] = _map(series, RESTS_ON_LABELS, lang)
        elif column == "role":
            out[column] = _map(series, ROLES, lang)
        elif column == "step":
            out[column] = series.map(lambda v: step_label(str(v), lang)).astype(object)
    return out


# ----------------------------------------------------------------------------- the study's tables
def _unit_of(kind: str) -> str:
    return {"binary": "risk_difference", "continuous": "days", "duration": "days"}.get(kind, "days")


def rollout_courts(rollout) -> pd.DataFrame:
    """The courts of the rollout design (canonical columns): role, start of triage, cases
    before and after the start, the share routed simple after it."""
    c = rollout.sample.courts
    return pd.DataFrame({"court": c["court"].astype(object), "role": c["role"].astype(object),
                         "triage_start": pd.to_datetime(c["start"]), "cases_before": c["before"].astype("int64"),
                         "cases_after": c["after"].astype("int64"),
                         "routed_share_after": c["routed_share_after"].astype(float)})


def design_comparison(study) -> pd.DataFrame:
    """The rollout against the like-for-like answer per outcome (canonical columns, proportions
    as estimated; :func:`reader_table` scales them). Empty without a rollout."""
    comp = study.comparison()
    columns = ["outcome", "unit", "design", "like_for_like", "difference", "ci_low", "ci_high", "disagree"]
    return comp.reindex(columns=columns) if len(comp) else pd.DataFrame(columns=columns)


def exclusion_bounds(rollout) -> pd.DataFrame:
    """Bounds on the rollout estimate when the exclusion restriction is relaxed (canonical
    columns; see :meth:`~courtstudy.studies.triage.wald.RolloutResult.bound_statements`)."""
    b = rollout.diagnostics.get("bounds", pd.DataFrame())
    columns = ["outcome", "unit", "wald", "first_stage", "delta", "ci_low", "ci_high", "breakdown"]
    return b.reindex(columns=columns) if len(b) else pd.DataFrame(columns=columns)


def sensitivity_table(study) -> pd.DataFrame:
    """The sensitivity analysis of the like-for-like estimates with each row's unit (the
    estimate is the AIPW estimate; E-values and robustness values have no unit)."""
    sens = study.diagnostics["sensitivity"]
    units = [_unit_of(study.sample.outcomes[o].kind) if o in study.sample.outcomes else "days"
             for o in sens["outcome"]]
    out = sens[["outcome", "estimate", "risk_ratio", "evalue", "evalue_ci", "rv", "rv_alpha",
                "benchmark_covariate", "k_explain_away"]].copy()
    out.insert(1, "unit", units)
    return out
