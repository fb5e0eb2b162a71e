"""Reader-facing words in Chinese and English, once: languages, column labels, units, intervals.

Reports are Chinese by default, English on request (``lang="zh"`` / ``"en"``). Category labels
(简易程序, 调解 ...) and the canonical columns' labels live with the schema
(:func:`courtstudy.core.schema.label`, :data:`courtstudy.core.schema.CASE_FIELDS`); this module
adds the columns every table shares (期间, 未成熟 ...), units, interval labels built from
``alpha``, and the language that result objects print in when none is named
(:func:`set_language`; a notebook context sets it from its ``lang`` parameter).
"""

from __future__ import annotations

from courtstudy.core import schema

LANGUAGES: tuple[str, ...] = ("zh", "en")
_language = {"current": "zh"}

#: Columns that tables across the package share, beyond the canonical case and court fields.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    # the fast-track study's tables (notebook 04)
    "cohort_period": ("组建期间", "Adoption period"),
    "randomization_p": ("随机化推断 p 值", "Randomisation p-value"),
    "pretrend_p": ("事前趋势检验 p 值", "Pre-trend test p-value"),
    "mde": ("最小可检测效果", "Minimum detectable effect"),
    "effect_unit": ("效果单位", "Unit of the effect"),
    "control_group": ("对照组", "Comparison group"),
    "fast_track_start": ("速裁团队组建日期", "Fast-track team start"),
    "period": ("期间", "Period"),
    "period_start": ("期间起", "Period start"),
    "period_end": ("期间止", "Period end"),
    "indicator": ("指标代码", "Indicator code"),
    "value": ("数值", "Value"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "immature": ("含未成熟指标", "Some figures immature"),
    "incomplete": ("期间未结束", "Period not over at as-of date"),
    "horizon": ("观察期（天）", "Horizon (days)"),
    # periods since adoption in the study's unit, and the courts an estimate rests on
    "months_since_adoption": ("距组建的月数", "Months since adoption"),
    "quarters_since_adoption": ("距组建的季度数", "Quarters since adoption"),
    "adopting_courts": ("组建的法院（个）", "Courts adopting"),
    "non_adopting_courts": ("未组建的法院（个）", "Courts not adopting"),
    # effect estimates (the study contract's tidy columns) and the triage study's tables (notebook 03)
    "outcome": ("结果变量", "Outcome"),
    "method": ("方法", "Method"),
    "estimand": ("估计对象", "Estimand"),
    "term": ("项", "Term"),
    "inference": ("标准误的计算", "Standard errors"),
    "aggregation": ("汇总方式", "Aggregation"),
    "group": ("分组", "Group"),
    "event_time": ("距开始的月数", "Months since the start"),
    "estimate": ("估计值", "Estimate"),
    "std_error": ("标准误", "Standard error"),
    "ci_low": ("置信下限", "CI low"),
    "ci_high": ("置信上限", "CI high"),
    "p_value": ("p 值", "p-value"),
    "n_treated": ("处理组", "Treated"),
    "n_control": ("对照组", "Control"),
    "ci_method": ("区间的计算方法", "Interval method"),
    "unit": ("单位", "Unit"),
    "preferred": ("正文采用", "Headline estimate"),
    "rests_on": ("依据的假设", "Rests on"),
    "step": ("筛选步骤", "Step"),
    "kept": ("保留", "Kept"),
    "dropped": ("剔除", "Dropped"),
    "role": ("角色", "Role"),
    "triage_start": ("开始分流日期", "Triage start"),
    "cases_before": ("开始前立案", "Filed before the start"),
    "cases_after": ("开始后立案", "Filed after the start"),
    "routed_share_after": ("开始后分为简案比例", "Share routed simple after"),
    "design": ("按实施时间比较", "Rollout"),
    "like_for_like": ("同类案件比较", "Like-for-like"),
    "difference": ("差值", "Difference"),
    "disagree": ("差异超出抽样误差", "Beyond sampling error"),
    "mediation_regime": ("诉前调解阶段", "Pre-suit mediation stage"),
    "p_holm": ("p 值（多重比较校正）", "p-value (Holm-adjusted)"),
    "wald": ("估计值", "Estimate"),
    "first_stage": ("第一阶段", "First stage"),
    "delta": ("允许的繁案变化", "Allowed change of complex cases"),
    "breakdown": ("解释掉估计所需的繁案变化", "Change of complex cases that explains it away"),
    "risk_ratio": ("风险比", "Risk ratio"),
    "evalue": ("E 值", "E-value"),
    "evalue_ci": ("E 值（置信限）", "E-value (confidence limit)"),
    "rv": ("稳健性值", "Robustness value"),
    "rv_alpha": ("稳健性值（显著性）", "Robustness value (significance)"),
    "benchmark_covariate": ("参照协变量", "Benchmark covariate"),
    "k_explain_away": ("解释掉估计所需的倍数", "Multiple that explains it away"),
    "arm": ("组别", "Arm"),
    "n": ("案件数", "Cases"),
    "trimmed": ("修剪", "Trimmed"),
    "min": ("最小值", "Minimum"),
    "p01": ("1% 分位数", "1st percentile"),
    "p25": ("25% 分位数", "25th percentile"),
    "median": ("中位数", "Median"),
    "p75": ("75% 分位数", "75th percentile"),
    "p99": ("99% 分位数", "99th percentile"),
    "max": ("最大值", "Maximum"),
    "covariate": ("协变量", "Covariate"),
    "mean_treated": ("处理组均值", "Treated mean"),
    "mean_control": ("对照组均值", "Control mean"),
    "mean_control_weighted": ("对照组加权均值", "Control mean, weighted"),
    "smd_before": ("加权前标准化均值差", "Standardised difference before weighting"),
    "smd_after": ("加权后标准化均值差", "Standardised difference after weighting"),
    "ess": ("有效样本量", "Effective sample size"),
    "max_weight_share": ("最大权重占比", "Largest weight's share"),
    "coef": ("系数", "Coefficient"),
    "z": ("z 值", "z"),
    "stat": ("检验统计量", "Test statistic"),
    "df": ("自由度", "Degrees of freedom"),
    "months": ("检验的月数", "Months tested"),
    # the small-claims regression discontinuity (notebook 03): cases within the bandwidth
    "cases_below_threshold": ("带宽内标准以下案件", "Below the threshold, in the bandwidth"),
    "cases_above_threshold": ("带宽内标准以上案件", "Above the threshold, in the bandwidth"),
}

#: Units of estimates and indicators.
UNITS: dict[str, tuple[str, str]] = {
    "days": ("天", "days"),
    "risk_difference": ("百分点", "pp"),
    "percentage_points": ("百分点", "pp"),
    "hazard_ratio": ("风险比", "HR"),
    "cases": ("件", "cases"),
    "share": ("比例", "share"),
}


def check_lang(lang: str) -> str:
    """``lang`` if it is a supported language, else ValueError naming the choices."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def set_language(lang: str) -> None:
    """The language results print in when none is given (``repr`` in a notebook)."""
    _language["current"] = check_lang(lang)


def language() -> str:
    """The current default language (``"zh"`` unless :func:`set_language` changed it)."""
    return _language["current"]


def pick(zh: str, en: str, lang: str | None = None) -> str:
    """``zh`` or ``en`` by ``lang`` (the current default language when None)."""
    return zh if (lang or language()) == "zh" else en


def column_label(name: str, lang: str | None = None) -> str:
    """Display label of a canonical column or a shared table column (the name when unknown)."""
    if name in COLUMN_LABELS:
        return pick(*COLUMN_LABELS[name], lang)
    label = schema.column_label(name, lang or language())
    return label


def unit_label(unit: str, lang: str | None = None) -> str:
    """Display label of a unit (the unit's code when unknown)."""
    return pick(*UNITS[unit], lang) if unit in UNITS else unit


def confidence_level(alpha: float) -> str:
    """The confidence level of ``alpha`` as a percentage (0.05 -> "95%", 0.025 -> "97.5%")."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return f"{100 * (1 - alpha):g}%"


def interval_label(alpha: float = 0.05, lang: str | None = None) -> str:
    """"95%置信区间" / "95% CI" for ``alpha``."""
    level = confidence_level(alpha)
    return pick(f"{level}置信区间", f"{level} CI", lang)


def interval_bounds(alpha: float = 0.05, lang: str | None = None) -> tuple[str, str]:
    """Column labels of an interval's ends for ``alpha``: ("95%置信下限", "95%置信上限")."""
    level = confidence_level(alpha)
    if (lang or language()) == "zh":
        return f"{level}置信下限", f"{level}置信上限"
    return f"{level} CI low", f"{level} CI high"
