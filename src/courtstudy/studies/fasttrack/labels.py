"""Reader labels of the fast-track study's codes (methods, inference, aggregations, terms,
control groups, outcomes), so that a zh report shows no code such as ``callaway_santanna`` or
``court_month`` and an en report shows words, not identifiers (issue 12).

:func:`label_codes` turns the code columns of a study table into labels in one language;
column headers come from :data:`courtstudy.core.text.COLUMN_LABELS`. Method names after their
authors (Callaway-Sant'Anna, Borusyak-Jaravel-Spiess) stay in Latin script in Chinese too, as
Chinese econometric writing names them (:data:`courtstudy.report.language.LATIN_IN_ZH`).
"""

from __future__ import annotations

import pandas as pd

from courtstudy.core import text
from courtstudy.core.text import check_lang, pick
from courtstudy.studies.fasttrack.panel import OUTCOMES, outcome_label

#: ``method`` values of :meth:`FastTrackStudy.tidy` (the staggered module's method labels and
#: the court-month panel's method codes).
METHODS: dict[str, tuple[str, str]] = {
    "imputation (BJS)": ("插补法（Borusyak-Jaravel-Spiess，案件层面）",
                         "imputation (Borusyak-Jaravel-Spiess, case level)"),
    "imputation": ("插补法（Borusyak-Jaravel-Spiess，案件层面）",
                   "imputation (Borusyak-Jaravel-Spiess, case level)"),
    "Callaway-Sant'Anna (repeated cross-sections)": ("Callaway-Sant'Anna（案件层面）",
                                                     "Callaway-Sant'Anna (case level)"),
    "callaway_santanna": ("Callaway-Sant'Anna（法院-月面板）", "Callaway-Sant'Anna (court-month panel)"),
    "twfe": ("双向固定效应（法院-月面板，可能有偏）", "two-way fixed effects (court-month panel, can be biased)"),
    "placebo_callaway_santanna": ("安慰剂检验（组建日期提前）", "placebo (adoption dates moved earlier)"),
    "its": ("中断时间序列（单个法院）", "interrupted time series (one court)"),
}
#: ``inference`` values: how the interval and the test were computed.
INFERENCE: dict[str, tuple[str, str]] = {
    "case": ("仅计案件层面抽样误差", "case-level variance only"),
    "court_month": ("计入案件与法院-月份两层波动", "cases plus court-month shocks"),
    "unit_cluster": ("按法院聚类", "clustered by court"),
    "randomization": ("随机化推断（重新分配组建日期）", "randomisation inference over adoption dates"),
    "wild_bootstrap": ("野蛮聚类自助法（按法院）", "wild cluster bootstrap by court"),
}
#: ``aggregation`` values.
AGGREGATIONS: dict[str, tuple[str, str]] = {
    "simple": ("总体平均", "overall average"),
    "dynamic": ("按组建后期数", "by periods since adoption"),
    "group": ("按组建批次", "by adoption cohort"),
    "calendar": ("按日历期间", "by calendar period"),
    "level_change": ("组建时水平变化", "level change at adoption"),
    "slope_change": ("组建后趋势变化", "slope change after adoption"),
}
#: ``term`` values.
TERMS: dict[str, tuple[str, str]] = {
    "overall": ("总体效果", "overall effect"),
    "event": ("组建后第k期", "k periods after adoption"),
    "lead": ("组建前第k期（事前趋势）", "k periods before adoption (pre-trend)"),
    "group": ("组建批次", "adoption cohort"),
    "time": ("日历期间", "calendar period"),
    "level_change": ("水平变化", "level change"),
    "slope_change": ("趋势变化", "slope change"),
}
#: ``control_group`` values.
CONTROL_GROUPS: dict[str, tuple[str, str]] = {
    "notyettreated": ("尚未组建的法院", "courts not yet adopting"),
    "nevertreated": ("从未组建的法院", "courts never adopting"),
    "untreated": ("组建前及未组建的法院-月份", "untreated court-months"),
}
#: ``unit`` values of the tidy table (the scale of an outcome).
UNITS: dict[str, tuple[str, str]] = {
    "share": text.UNITS["share"],
    "days": text.UNITS["days"],
    "log_days": ("对数天数", "log days"),
}

_CODE_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "method": METHODS, "inference": INFERENCE, "aggregation": AGGREGATIONS, "term": TERMS,
    "control_group": CONTROL_GROUPS, "unit": UNITS,
}


def code_label(column: str, code: object, lang: str = "zh") -> object:
    """The label of ``code`` in column ``column`` (``outcome``, ``method``, ``inference`` ...);
    missing values and empty strings stay as they are; an unknown code raises KeyError, so a
    new code cannot reach a report untranslated."""
    if code is None or (isinstance(code, float) and pd.isna(code)) or code == "":
        return code
    if column == "outcome":
        if code not in OUTCOMES:
            raise KeyError(f"no label for outcome {code!r}")
        return outcome_label(str(code), lang)
    return pick(*_CODE_COLUMNS[column][str(code)], lang)


def label_codes(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``frame`` with its code columns (outcome, method, inference, aggregation, term,
    control_group, unit) in ``lang``; other columns untouched. Returns a copy."""
    check_lang(lang)
    out = frame.copy()
    for column in ("outcome", *_CODE_COLUMNS):
        if column in out.columns:
            out[column] = out[column].map(lambda v, c=column: code_label(c, v, lang)).astype(object)
    return out


__all__ = ["AGGREGATIONS", "CONTROL_GROUPS", "INFERENCE", "METHODS", "TERMS", "UNITS",
           "code_label", "label_codes"]
