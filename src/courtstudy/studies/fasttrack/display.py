"""The fast-track study's tables as a report shows them (notebook 04, issue 12).

Each function returns a frame with canonical column names (headers come from
:data:`courtstudy.core.text.COLUMN_LABELS`), codes already in the report's language
(:mod:`.labels`), effects in the unit the sentences use (shares in percentage points, RMST in
days; the ``effect_unit`` column says which) and one row per estimate, so that no table is wider
than the page. :data:`KINDS` tells :meth:`courtstudy.report.notebook.NotebookContext.table`
how to print the columns. Estimates are those of the study: only the scale of shares changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from courtstudy.core.text import pick
from courtstudy.studies.fasttrack.headline import effect_unit
from courtstudy.studies.fasttrack.labels import code_label, label_codes

if TYPE_CHECKING:
    from courtstudy.studies.fasttrack.study import FastTrackStudy

#: The column of periods since adoption, by the panel's period unit: its header says months or
#: quarters (:data:`courtstudy.core.text.COLUMN_LABELS`), as the event-study figures' axes do.
EVENT_TIME_COLUMNS: dict[str, str] = {"month": "months_since_adoption", "quarter": "quarters_since_adoption"}
#: The courts an estimate rests on, the same two counts in every row (:func:`court_counts`).
COURT_COLUMNS: tuple[str, str] = ("adopting_courts", "non_adopting_courts")
#: How the columns of these tables print (:data:`courtstudy.report.tables.KINDS`); court counts
#: are counts whose headers say they count courts (:data:`courtstudy.report.tables.NO_UNIT`).
KINDS: dict[str, str] = {
    "estimate": "signed", "ci_low": "signed", "ci_high": "signed", "std_error": "number",
    "p_value": "p", "randomization_p": "p", "pretrend_p": "p", "mde": "number",
    "event_time": "text", "effect_unit": "text",
    **dict.fromkeys(EVENT_TIME_COLUMNS.values(), "text"), **dict.fromkeys(COURT_COLUMNS, "count"),
}


def effect_scale(outcome: str) -> float:
    """The factor that puts an effect on ``outcome`` in the unit of the report's words
    (:func:`.headline.effect_unit`: 100 for shares, read in percentage points)."""
    return effect_unit(outcome)[0]


def unit_word(outcome: str, lang: str) -> str:
    """The unit of an effect on ``outcome`` in words (百分点, 天 ...)."""
    _, zh, en = effect_unit(outcome)
    return pick(zh, en, lang)


def event_time_column(study: FastTrackStudy) -> str:
    """The name the ``event_time`` column takes in the study's display tables: periods since
    adoption in the panel's unit (``months_since_adoption`` / ``quarters_since_adoption``)."""
    return EVENT_TIME_COLUMNS[study.panel.unit]


def _event_periods(frame: pd.DataFrame, study: FastTrackStudy) -> pd.DataFrame:
    """``event_time`` as whole periods in text (a key, not a figure), named for the unit."""
    out = frame.copy()
    out["event_time"] = out["event_time"].map(lambda v: None if pd.isna(v) else f"{int(v)}")
    return out.rename(columns={"event_time": event_time_column(study)})


def court_counts(study: FastTrackStudy, tidy: pd.DataFrame) -> pd.DataFrame:
    """Per row of ``tidy`` (:meth:`FastTrackStudy.tidy`): the courts that adopted fast-track
    teams within the data the estimate uses and the courts that did not (``COURT_COLUMNS``).

    The tidy table's ``n_treated``/``n_control`` count different things by estimator: courts
    (adopting, never adopting) on the court-month panel, cases filed after and before adoption
    on the case-level rows, periods after and before adoption in the interrupted time series.
    Here every row counts courts: the case-level rows those of the case-level sample, the
    interrupted time series its one court (no comparison court), the panel rows their own
    (the placebo's window has its own adopters)."""
    from courtstudy.studies.staggered.estimate import METHOD_LABELS

    adopting = pd.to_numeric(tidy["n_treated"], errors="coerce").astype("Float64")
    other = pd.to_numeric(tidy["n_control"], errors="coerce").astype("Float64")
    method = tidy["method"].astype(str)
    case_level = method.isin(set(METHOD_LABELS.values()) | set(METHOD_LABELS)).to_numpy()
    if case_level.any():
        if study.sample is None:
            adopting[case_level], other[case_level] = pd.NA, pd.NA
        else:
            cohorts = study.sample.data.cohort_table()["cohort"]
            never = int((cohorts < 0).sum())
            adopting[case_level], other[case_level] = len(cohorts) - never, never
    its = (method == "its").to_numpy()
    adopting[its], other[its] = 1, 0
    return pd.DataFrame({COURT_COLUMNS[0]: adopting.astype("Int64"), COURT_COLUMNS[1]: other.astype("Int64")},
                        index=tidy.index)


def _scaled(frame: pd.DataFrame, columns: tuple[str, ...], lang: str) -> pd.DataFrame:
    out = frame.copy()
    factors = out["outcome"].map(effect_scale).astype(float)
    for column in columns:
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce") * factors
    out["effect_unit"] = out["outcome"].map(lambda o: unit_word(o, lang))
    return out


def headline_rows(study: FastTrackStudy, lang: str = "zh") -> pd.DataFrame:
    """Per outcome: the headline estimate, its interval and p-value (the inference the headline
    uses), the randomisation-inference p-value, the pre-trend test and the minimum detectable
    effect."""
    t = study.headline_table(lang)
    if t.empty:
        return pd.DataFrame(columns=["outcome", "effect_unit", "estimate", "ci_low", "ci_high",
                                     "p_value", "randomization_p", "pretrend_p", "mde"])
    frame = t[["outcome", "estimate", "ci_low", "ci_high", "p_value", "randomization_p",
               "pretrend_p", "mde"]]
    frame = _scaled(frame, ("estimate", "ci_low", "ci_high", "mde"), lang)
    frame = frame[["outcome", "effect_unit", "estimate", "ci_low", "ci_high", "p_value",
                   "randomization_p", "pretrend_p", "mde"]]
    return label_codes(frame, lang)


def inference_rows(study: FastTrackStudy, lang: str = "zh") -> pd.DataFrame:
    """Per outcome and inference method: the interval and p-value of the headline estimate
    (``preferred``: the inference the headline uses)."""
    rows = []
    for outcome, eff in study.headline.items():
        for inference in ("court_month", "case", "unit_cluster", "randomization", "wild_bootstrap"):
            low, high, p = eff.interval(inference, study.alpha)
            rows.append({"outcome": outcome, "inference": inference, "ci_low": low, "ci_high": high,
                         "p_value": p, "preferred": inference == study.headline_inference})
    frame = pd.DataFrame(rows, columns=["outcome", "inference", "ci_low", "ci_high", "p_value", "preferred"])
    frame = _scaled(frame, ("ci_low", "ci_high"), lang)
    frame = frame[["outcome", "inference", "effect_unit", "ci_low", "ci_high", "p_value", "preferred"]]
    return label_codes(frame, lang)


def panel_rows(study: FastTrackStudy, lang: str = "zh") -> pd.DataFrame:
    """The court-month panel's comparisons, one row per method and outcome (long, so the table
    fits the page): Callaway-Sant'Anna with its pre-trend test, TWFE and the placebo (its
    permutation p-value when there is one)."""
    rows = []
    for _, r in study.overall(lang).iterrows():
        outcome = r["outcome"]
        rows.append({"outcome": outcome, "method": "callaway_santanna", "estimate": r["cs_estimate"],
                     "ci_low": r["cs_ci_low"], "ci_high": r["cs_ci_high"], "p_value": r["cs_p_value"],
                     "pretrend_p": r["pretrend_p_value"]})
        if np.isfinite(r["twfe_estimate"]):
            rows.append({"outcome": outcome, "method": "twfe", "estimate": r["twfe_estimate"],
                         "ci_low": r["twfe_ci_low"], "ci_high": r["twfe_ci_high"], "p_value": np.nan,
                         "pretrend_p": np.nan})
        if np.isfinite(r["placebo_estimate"]):
            p = r["placebo_permutation_p"] if np.isfinite(r["placebo_permutation_p"]) else r["placebo_p_value"]
            rows.append({"outcome": outcome, "method": "placebo_callaway_santanna",
                         "estimate": r["placebo_estimate"], "ci_low": np.nan, "ci_high": np.nan,
                         "p_value": p, "pretrend_p": np.nan})
    frame = pd.DataFrame(rows, columns=["outcome", "method", "estimate", "ci_low", "ci_high",
                                        "p_value", "pretrend_p"])
    frame = _scaled(frame, ("estimate", "ci_low", "ci_high"), lang)
    frame = frame[["outcome", "method", "effect_unit", "estimate", "ci_low", "ci_high", "p_value",
                   "pretrend_p"]]
    return label_codes(frame, lang)


def its_rows(study: FastTrackStudy, lang: str = "zh") -> pd.DataFrame:
    """The interrupted time series' estimates: level and slope change at adoption and the
    effect some periods after it."""
    from courtstudy.studies.results import combine

    columns = ["outcome", "aggregation", "event_time", "effect_unit", "estimate", "ci_low",
               "ci_high", "p_value"]
    if not study.its:
        return pd.DataFrame(columns=columns).rename(columns={"event_time": event_time_column(study)})
    frame = combine(study.its.values())[["outcome", "aggregation", "event_time", "estimate",
                                         "ci_low", "ci_high", "p_value"]]
    frame = _scaled(frame, ("estimate", "ci_low", "ci_high"), lang)[columns]
    return label_codes(_event_periods(frame, study), lang)


def effect_rows(study: FastTrackStudy, lang: str = "zh") -> pd.DataFrame:
    """Every estimate of the study (:meth:`FastTrackStudy.tidy`) with its codes in ``lang``,
    its effect in the unit of the report's words (``effect_unit``), periods since adoption in
    the panel's unit and the courts it rests on (:func:`court_counts`): the workbook's full
    table."""
    t = study.tidy()
    frame = t[["outcome", "method", "inference", "control_group", "term", "group", "time",
               "event_time", "estimate", "std_error", "ci_low", "ci_high", "p_value"]].copy()
    frame = pd.concat([frame, court_counts(study, t), t[["preferred"]]], axis=1)
    frame = _event_periods(frame, study)
    frame = _scaled(frame, ("estimate", "std_error", "ci_low", "ci_high"), lang)
    frame = label_codes(frame, lang)
    # the term says what an estimate is (its aggregation adds nothing); a cohort's or a
    # calendar period's estimate names its cohort or period there, so the table stays narrow
    which = frame["group"].where(frame["group"].notna(), frame["time"])
    frame["term"] = [f"{term} {label}" if isinstance(label, str) and label else term
                     for term, label in zip(frame["term"], which, strict=True)]
    columns = [c for c in frame.columns if c not in ("group", "time", "effect_unit")]
    columns.insert(columns.index("estimate"), "effect_unit")
    return frame[columns]


def code_words(column: str, code: str, lang: str = "zh") -> str:
    """A code's label (:func:`.labels.code_label`), for sentences."""
    return str(code_label(column, code, lang))


__all__ = ["COURT_COLUMNS", "EVENT_TIME_COLUMNS", "KINDS", "court_counts", "effect_rows", "effect_scale",
           "event_time_column", "headline_rows", "inference_rows", "its_rows", "panel_rows", "unit_word"]
