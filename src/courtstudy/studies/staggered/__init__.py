"""Staggered difference in differences on case-level data (repeated cross-sections of cases).

For reforms that units (courts) start on their own dates: fast-track teams (速裁团队), triage
(繁简分流), pre-suit mediation (诉前调解) ... Every case is an observation in its court's filing
period, so the sampling noise of every court-month, the adopting court's included, is in the
standard errors; with a handful of courts, one per adoption date, the court-month shock
component and randomisation inference over adoption dates carry the inference.

API (stable; see each module for formulas and references):

``prepare_staggered_data(cases, unit=, time=, adoption=, outcomes=, covariates=, period=,
start=, end=)`` -> :class:`StaggeredData`
    case frame -> arrays: unit and period codes, adoption period per unit (``adoption``: a
    mapping unit -> date, NaT = never, or the name of a per-case date column), outcomes (NaN =
    not observed), covariates known at filing (categorical one-hot, numeric + missing flag).

``staggered_effects(data, outcomes, estimator="imputation" | "callaway_santanna",
covariates=True, control_group="notyettreated" | "nevertreated", base_period="universal",
event_window=(-12, 24), randomization=True, ri_draws=999, wild_bootstrap=False, seed=0,
alpha=0.05)`` -> :class:`StaggeredResult`
    ``.effects[outcome]`` is an :class:`OutcomeEffects`: ``estimate``, ``std_error(variance)``,
    ``interval(inference)`` for inference "case", "court_month" (headline), "unit_cluster",
    "randomization", "wild_bootstrap"; ``event_study()``; ``pretrend``; ``shock_model``;
    ``minimum_detectable_effect()``; ``weights`` (per-cell sums of the linear weights).
    ``.tidy()`` / ``.result()``: the project's :class:`~courtstudy.studies.results.EffectResult`
    rows (``term`` overall / event / lead, ``inference``, ``ci_method``).

``honest_did(outcome, names, estimates, covariance)`` -> :class:`HonestResult`
    Rambachan-Roth relative-magnitude and smoothness bounds of an event study.

For ratio estimators and joint tests (e.g. Wald-DiD = ITT / first stage):

``wald_ratio(data, numerator, denominator, ...)`` -> :class:`RatioResult`
    ratio of two imputation effects on the same cases, delta-method standard errors from the
    joint linear weights (case level and with the court-month component) and a randomisation
    (Anderson-Rubin) interval.
``reestimate(data, outcomes, cohorts, estimator=...)`` -> (P, m) array
    overall estimates under each reassignment of adoption periods (rows of ``cohorts``).
``reassignments(cohort, draws, seed)`` -> (assignments, exact)
    all reassignments of the observed dates (few units) or a seeded sample (many).
``case_weights(data, outcome, ...)`` -> DataFrame
    the imputation estimator's linear weights per case (estimate = sum of weight x outcome).
"""

from __future__ import annotations

from courtstudy.studies.staggered.data import NEVER, StaggeredData, prepare_staggered_data
from courtstudy.studies.staggered.estimate import (
    ESTIMATORS,
    INFERENCE_LABELS,
    METHOD_LABELS,
    VARIANCES,
    OutcomeEffects,
    RatioResult,
    StaggeredResult,
    case_weights,
    reestimate,
    staggered_effects,
    wald_ratio,
)
from courtstudy.studies.staggered.honest import HonestResult, honest_did
from courtstudy.studies.staggered.randomization import (
    RandomizationResult,
    randomization_test,
    reassignments,
)
from courtstudy.studies.staggered.variance import ShockModel

__all__ = [
    "ESTIMATORS",
    "INFERENCE_LABELS",
    "METHOD_LABELS",
    "NEVER",
    "VARIANCES",
    "HonestResult",
    "OutcomeEffects",
    "RandomizationResult",
    "RatioResult",
    "ShockModel",
    "StaggeredData",
    "StaggeredResult",
    "case_weights",
    "honest_did",
    "prepare_staggered_data",
    "randomization_test",
    "reassignments",
    "reestimate",
    "staggered_effects",
    "wald_ratio",
]
