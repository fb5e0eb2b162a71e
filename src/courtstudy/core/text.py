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
