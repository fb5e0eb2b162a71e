"""The synthetic court: several basic courts of 示范省 over several years, with known effects.

``simulate_court`` draws, in this order and from named random streams that do not depend on the
effect parameters (common random numbers):

1. courts: size, growth, duration and complexity offsets, target shares, adoption dates
   (triage at start -6, 0, +2, +3, +5 months, one court never; fast-track cohorts at start +18,
   +24, +30, +36 months, three courts never; or, with ``one_court_per_cohort``, one adopting
   court per date and ``n_never_fast_track`` courts never adopting);
2. filings: Poisson counts per court and day with the calendar of
   :func:`courtstudy.simulate.calendar.filing_intensity`; case types 民初 75%, 执 16%, 刑初 7%,
   行初 2%;
3. civil first-instance cases: cause (court-specific mix), claim amount (lognormal by cause),
   parties, observed complexity::

       complexity_observed = cause complexity + 0.30 * clip(ln(amount / 50,000), -3, 3)
                             + 0.30 * min(parties - 2, 5) + court offset

   and a hidden factor ``complexity_hidden ~ N(0, 1)``;
4. assignment (depends on observed covariates, and for the track on the hidden factor, never on
   the effects): simple track after the court's ``triage_start`` when ``u < p`` with
   ``p = expit(a_court + month effect - 1.6 * complexity_observed)`` (``a_court`` set so the
   court's share is its target, 55-70%) and ``u = Phi(0.4 * complexity_hidden + 0.917 * N(0, 1))``
   (uniform, so ``P(simple | observed) = p`` exactly: a logistic propensity on the observed
   covariates is correctly specified, while more hidden complexity means less often simple);
   fast-track team after
   ``fast_track_start`` with ``P = expit(b_court - 1.2 * complexity_observed)`` (target 60-70%);
   small claims for money claims at or below the province-year threshold with
   ``P = expit(-0.2 [0.9 from 2022] - 0.6 * (parties - 2) - 0.6 * complexity_observed)``;
   otherwise ordinary procedure with ``P = expit(-1.0 + 1.8 * complexity_observed)``, else
   simplified (15% of fast-track simplified cases recorded as 速裁 expedited). Team and
   procedure depend on observed covariates only, so given them they are independent of the track;
5. baseline log trial days::

       3.50 + 0.40 * complexity_observed + 0.45 * [ordinary] + court offset + year effect
       + 0.5 * N(0, 1) + hidden_confounding * complexity_hidden
       [+ court-by-filing-month shock, AR(1) within court, when court_month_shock_sd > 0]

6. outcomes of the factual world and of the potential worlds of each treatment
   (:mod:`courtstudy.simulate.outcomes`), then censoring at ``as_of``.

Other case types (criminal, administrative, enforcement) have simpler outcomes and no effects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

from courtstudy.core import calendar as core_calendar
from courtstudy.core import limits, schema
from courtstudy.simulate import catalogue
from courtstudy.simulate.calendar import (
    NA_DAY,
    add_months,
    calendar_parts,
    closing_calendar,
    day_number,
    filing_intensity,
    to_datetime,
)
from courtstudy.simulate.effects import TrueEffects
from courtstudy.simulate.outcomes import (
    APPEAL_RESULTS,
    DISPOSITIONS,
    CivilDraws,
    CivilOutcomes,
    Shifts,
    base_logit,
    civil_outcomes,
)
from courtstudy.simulate.truth import truth_table

#: Bumped whenever a change alters the generated data for a given seed.
GENERATOR_VERSION = "1"

#: Mean cases (all types) per court and year at scale 1, before growth.
CASES_PER_COURT_YEAR = 2900
#: Share of civil first-instance cases stayed for months (suspended_days, median 250 days).
STAY_SHARE = 0.015
#: Correlation of the hidden factor with the latent variable of selection into the simple track.
HIDDEN_SELECTION = 0.4
TRIAGE_OFFSETS_MONTHS = (-6, 0, 2, 3, 5)
FAST_TRACK_OFFSETS_MONTHS = (18, 24, 30, 36)
YEAR_LOG_DURATION = {2020: 0.10, 2021: 0.02, 2022: 0.06}
MONTH_TRIAGE_LOGIT = {12: 0.3, 1: -0.1, 7: 0.1, 8: 0.1}
#: Last adoption month (after ``start``) when every adopting court gets its own date and there
#: are more adopting courts than :data:`FAST_TRACK_OFFSETS_MONTHS` has dates.
ONE_PER_COHORT_LAST_MONTH = 42
_STREAMS = {"courts": 1, "filings": 2, "cases": 3, "judges": 4, "parties": 5, "shocks": 6}


@dataclass(frozen=True)
class SimulationSettings:
    """Everything besides the effects that determines a synthetic court."""

    seed: int
    scale: float
    n_courts: int
    start: str
    end: str
    as_of: str
    hidden_confounding: float
    bunching: float
    n_never_fast_track: int | None = None
    one_court_per_cohort: bool = False
    fast_track_offsets_months: tuple[int, ...] | None = None
    court_month_shock_sd: float = 0.0
    court_month_shock_rho: float = 0.5
    triage_offsets_months: tuple[int, ...] | None = None
    n_never_triage: int | None = None
    hidden_mediation: float = 0.0
    irregularities: bool = False


@dataclass(frozen=True, eq=False)
class SyntheticCourt:
    """A simulated set of courts: data, truth and the latent variables behind them.

    ``cases``: canonical cases frame (:func:`courtstudy.core.schema.conform_cases`), censored at
    ``as_of``. ``courts``: canonical courts table (court, year, judges, triage_start,
    fast_track_start, province). ``truth``: true effects on this sample (see
    :func:`courtstudy.simulate.truth.truth_table`). ``latent``: one row per case (same order as
    ``cases``) with the covariates, propensities and uncensored potential outcomes (see
    :data:`LATENT_DOC`). ``effects``: the :class:`TrueEffects` used.
    """

    cases: pd.DataFrame
    courts: pd.DataFrame
    truth: pd.DataFrame
    latent: pd.DataFrame
    effects: TrueEffects
    as_of: pd.Timestamp
    settings: SimulationSettings = field(repr=False)
    #: Planted irregular extensions and deductions with their truth
    #: (:class:`courtstudy.simulate.irregularities.PlantedIrregularities`), when switched on.
    irregularities: Any = field(default=None, repr=False)

    def counterfactual(self, component: str = "all") -> SyntheticCourt:
        """The same simulation (same seed and draws) with ``component``'s effects switched off
        (``"all"``, ``"triage"``, ``"fast_track"`` or ``"small_claims"``). Only outcomes change:
        covariates, tracks and teams are identical; procedures too, unless triage moves the
        procedure of routed cases (``TrueEffects.triage_small_claims_logit`` /
        ``triage_ordinary_logit``), which switching triage off undoes."""
        return simulate_court(effects=self.effects.without(component), **asdict(self.settings))

    def potential_outcomes(self, component: str, outcome: str) -> pd.DataFrame:
        """Per case: ``case_id``, ``treated``, ``eligible``, ``y0``, ``y1``, ``factual`` of an
        outcome of :data:`courtstudy.simulate.truth.OUTCOMES` (uncensored; NaN where the case is
        not eligible) for ``component`` ("triage", "fast_track" or "small_claims")."""
        from courtstudy.simulate.truth import TREATMENTS, potential_outcomes

        if component not in TREATMENTS:
            raise ValueError(f"unknown component {component!r}: expected one of {tuple(TREATMENTS)}")
        y0, y1, y = potential_outcomes(self.latent, component, outcome)
        treated = {"triage": self.cases["track"] == "simple",
                   "fast_track": self.cases["team_type"] == "fast_track",
                   "small_claims": self.cases["procedure"] == "small_claims"}[component]
        eligible = {"triage": "eligible_simple_track", "fast_track": "eligible_fast_track",
                    "small_claims": "eligible_small_claims"}[component]
        return pd.DataFrame({"case_id": self.cases["case_id"],
                             "treated": treated.fillna(False).astype(bool),
                             "eligible": self.latent[eligible].astype(bool),
                             "y0": y0, "y1": y1, "factual": y})

    def __repr__(self) -> str:
        return (f"SyntheticCourt({len(self.cases)} cases, {self.courts['court'].nunique()} courts, "
                f"as_of={self.as_of.date()}, seed={self.settings.seed}, scale={self.settings.scale})")


LATENT_DOC: dict[str, str] = {
    "case_id": "case number, joins to cases",
    "complexity_observed": "observed complexity score (cause, amount, parties, court)",
    "complexity_hidden": "unobserved factor N(0,1); raises outcomes only when hidden_confounding > 0",
    "propensity_simple_track": "true P(simple track | observed covariates) (NaN where triage was not operating)",
    "propensity_simple_track_given_hidden": "true P(simple track | observed covariates, complexity_hidden)",
    "propensity_fast_track": "true P(fast-track team) (NaN before the court's fast_track_start)",
    "propensity_small_claims": "true P(small claims) (NaN where not eligible)",
    "eligible_simple_track": "filed on or after the court's triage_start (civil first instance)",
    "eligible_fast_track": "filed on or after the court's fast_track_start (civil first instance)",
    "eligible_small_claims": "money claim at or below the province-year threshold",
    "months_since_fast_track": "months from the court's fast_track_start to filing (NaN before/never)",
    "fast_track_cohort": "adoption cohort index of the court (0 = earliest; NaN never)",
    "log_trial_days_base": "baseline log trial days before effects (incl. hidden confounding)",
    "effect_log_duration": "total effect shift of log trial days in the factual world",
    "*_factual": "uncensored factual outcome",
    "*_0, *_1": "uncensored potential outcomes of triage: *_0 in a world with no triage (the "
                "procedure the case would have had without it), *_1 routed simple (with the "
                "procedure a routed case gets); NaN before the court's triage_start",
    "direct_*_1": "routed simple but heard under its no-triage procedure: *_1 - direct_*_1 is the "
                  "procedure channel of routing (small claims' finality), direct_*_1 - *_0 the rest",
    "procedure_no_triage": "procedure the case would have had without triage (civil first instance)",
    "procedure_routed": "procedure the case gets when routed simple (same uniforms)",
    "fast_track_*_0, fast_track_*_1": "potential outcomes for the fast-track team",
    "small_claims_*_0, small_claims_*_1": "potential outcomes for the small-claims procedure",
}


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), _STREAMS[stream]]))


def _calibrate_intercepts(score: np.ndarray, group: np.ndarray, n_groups: int,
                          target: np.ndarray) -> np.ndarray:
    """Intercepts a_g with mean(expit(a_g + score)) = target_g within each group (bisection)."""
    lo = np.full(n_groups, -15.0)
    hi = np.full(n_groups, 15.0)
    count = np.bincount(group, minlength=n_groups)
    for _ in range(50):
        mid = (lo + hi) / 2
        mean = np.bincount(group, weights=expit(mid[group] + score), minlength=n_groups)
        mean = np.divide(mean, count, out=np.zeros(n_groups), where=count > 0)
        low = mean < target
        lo = np.where(low, mid, lo)
        hi = np.where(low, hi, mid)
    return (lo + hi) / 2


def _lookup(table: dict[int, float], keys: np.ndarray) -> np.ndarray:
    """``table[key]`` for each key (0.0 for keys not in the table)."""
    out = np.zeros(len(keys))
    for key, value in table.items():
        out[keys == key] = value
    return out


def _month_offset(day: int, months: int) -> int:
    return int(add_months(np.array([day]), np.array([months]))[0])


def simulate_court(seed: int = 20240101, scale: float = 1.0, n_courts: int = 12,
                   start: str = "2019-01-01", end: str = "2023-12-31", as_of: str = "2024-03-31",
                   effects: TrueEffects | None = None, hidden_confounding: float = 0.0,
                   bunching: float = 0.0, *, n_never_fast_track: int | None = None,
                   one_court_per_cohort: bool = False,
                   fast_track_offsets_months: Sequence[int] | None = None,
                   court_month_shock_sd: float = 0.0,
                   court_month_shock_rho: float = 0.5,
                   triage_offsets_months: Sequence[int] | None = None,
                   n_never_triage: int | None = None,
                   hidden_mediation: float = 0.0,
                   irregularities: bool = False) -> SyntheticCourt:
    """Simulate ``n_courts`` basic courts of 示范省 filing cases from ``start`` to ``end``,
    observed at ``as_of``, with true effects ``effects`` (default :class:`TrueEffects`()).

    ``scale`` multiplies caseloads (1 = about 200,000 cases over 2019-2023 for 12 courts).
    ``hidden_confounding`` (>= 0) makes the hidden factor that drives selection into the simple
    track also raise log trial days and the log-odds of appeal and reversal by that much per
    standard deviation (0: it is not a confounder). ``bunching`` (0-1) moves that share of money
    claims within 15% above the small-claims threshold to within 8% below it.
    The same arguments give identical frames; every random draw is independent of ``effects``.

    The fast-track rollout (keyword-only; the defaults give the demo court):

    * ``n_never_fast_track``: courts that never adopt fast-track teams (default: 3 with 7 or more
      courts, else ``max(1, n_courts // 3)``); at least one court must adopt;
    * ``fast_track_offsets_months``: adoption dates as months after ``start`` (default
      :data:`FAST_TRACK_OFFSETS_MONTHS`, 18, 24, 30, 36); adopting courts take them in turn, so
      several courts can share a date;
    * ``one_court_per_cohort``: every adopting court gets its own date, as in most research
      offices: the first ones of ``fast_track_offsets_months`` (an error if there are fewer
      dates than adopting courts), or by default every 6 months from month 18 while that fits
      four dates, else evenly spaced from month 18 to :data:`ONE_PER_COHORT_LAST_MONTH` (42);
    * ``court_month_shock_sd``, ``court_month_shock_rho``: court-by-month shocks (a judge
      leaving, a clearance drive before an inspection) on the log trial days of the civil
      first-instance cases filed in that court and month, ``s[c, m] = rho * s[c, m-1] +
      sqrt(1 - rho^2) * sd * N(0, 1)`` (stationary, standard deviation ``sd``), drawn from their
      own stream so that ``sd = 0`` (the default) leaves every other draw as it was. They hit the
      factual and every potential world alike: part of the noise, not of the effect.

    ``irregularities=True`` (keyword-only, off by default so the demo is unchanged) plants
    irregular extensions, deductions and late conversions in the closed civil cases and keeps
    the truth in ``.irregularities`` (:mod:`courtstudy.simulate.irregularities`; its own random
    stream: nothing else changes).

    ``counterfactual("fast_track")`` gives the paired world with the same draws in which the
    teams have no effect (teams, tracks and procedures unchanged).

    The triage rollout and the hidden-confounding scenario (keyword-only; defaults: the demo):

    * ``triage_offsets_months``: triage start dates as months after ``start`` (default
      :data:`TRIAGE_OFFSETS_MONTHS`, -6, 0, 2, 3, 5), taken in turn by the triaging courts; give
      as many dates as triaging courts for one court per start date;
    * ``n_never_triage``: courts that never start triage (default 1 with 6 or more courts, else 0);
    * ``hidden_mediation`` (>= 0): the hidden complexity that drives routing also lowers the
      log-odds of mediation/withdrawal by that much per standard deviation (complex disputes
      settle less); with ``hidden_confounding`` it makes the hidden factor confound every
      outcome, as in real courts (see :data:`HIDDEN_ROUTING_SCENARIO`);
    * the procedure a routed case gets, and the treatment of cases left complex, are effects
      (``TrueEffects.triage_small_claims_logit``, ``triage_ordinary_logit``,
      ``triage_complex_log_duration``).

    The steps, each a function of this module (in the order of the module docstring):
    :func:`_draw_courts`, :func:`_draw_filings`, :func:`_draw_case_randomness`,
    :func:`_civil_covariates`, :func:`_assign_treatments`, :func:`_civil_outcome_worlds`,
    :func:`_other_outcomes` and :func:`_build_court` (frames, judges, latent variables, truth).
    """
    effects = TrueEffects() if effects is None else effects
    settings = _checked_settings(SimulationSettings(
        seed=seed, scale=scale, n_courts=n_courts, start=start, end=end, as_of=as_of,
        hidden_confounding=hidden_confounding, bunching=bunching,
        n_never_fast_track=n_never_fast_track, one_court_per_cohort=one_court_per_cohort,
        fast_track_offsets_months=fast_track_offsets_months,
        court_month_shock_sd=court_month_shock_sd, court_month_shock_rho=court_month_shock_rho,
        triage_offsets_months=triage_offsets_months, n_never_triage=n_never_triage,
        hidden_mediation=hidden_mediation, irregularities=irregularities))
    run = _civil_run(settings, effects)
    filings, draws, covariates = run.filings, run.draws, run.covariates
    oi = np.flatnonzero(~covariates.civil)
    other = _other_outcomes(filings.case_type_idx[oi], filings.filed[oi], draws.z_duration[oi],
                            draws.u, oi)
    court = _build_court(settings, effects, run.span, run.courts, filings, draws, covariates,
                         run.assignment, run.civil, other)
    if settings.irregularities:
        from courtstudy.simulate.irregularities import plant_irregularities

        planted = plant_irregularities(court.cases, seed=settings.seed)
        court = replace(court, cases=planted.cases, irregularities=planted)
    return court


@dataclass(frozen=True)
class _Span:
    """Day numbers of the simulation window and of the snapshot."""

    start_day: int
    end_day: int
    as_of_day: int

    @classmethod
    def of(cls, settings: SimulationSettings) -> _Span:
        return cls(day_number(settings.start), day_number(settings.end), day_number(settings.as_of))


def _checked_settings(given: SimulationSettings) -> SimulationSettings:
    """The settings, after checking every argument (ValueError naming the bad one), with every
    value converted to its field's type."""
    seed, scale, n_courts = given.seed, given.scale, given.n_courts
    start, end, as_of = given.start, given.end, given.as_of
    hidden_confounding, bunching = given.hidden_confounding, given.bunching
    n_never_fast_track, one_court_per_cohort = given.n_never_fast_track, given.one_court_per_cohort
    fast_track_offsets_months = given.fast_track_offsets_months
    court_month_shock_sd, court_month_shock_rho = given.court_month_shock_sd, given.court_month_shock_rho
    triage_offsets_months, n_never_triage = given.triage_offsets_months, given.n_never_triage
    hidden_mediation, irregularities = given.hidden_mediation, given.irregularities
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if hidden_confounding < 0:
        raise ValueError(f"hidden_confounding must be >= 0, got {hidden_confounding}")
    if not 0 <= bunching <= 1:
        raise ValueError(f"bunching must be between 0 and 1, got {bunching}")
    if n_never_fast_track is not None and not 0 <= int(n_never_fast_track) < int(n_courts):
        raise ValueError(f"n_never_fast_track must be between 0 and n_courts - 1 = "
                         f"{int(n_courts) - 1}, got {n_never_fast_track}")
    offsets = _month_offsets("fast_track_offsets_months", fast_track_offsets_months)
    if court_month_shock_sd < 0:
        raise ValueError(f"court_month_shock_sd must be >= 0, got {court_month_shock_sd}")
    if not -1 < court_month_shock_rho < 1:
        raise ValueError(f"court_month_shock_rho must be between -1 and 1, got {court_month_shock_rho}")
    if hidden_mediation < 0:
        raise ValueError(f"hidden_mediation must be >= 0, got {hidden_mediation}")
    if n_never_triage is not None and not 0 <= int(n_never_triage) <= int(n_courts):
        raise ValueError(f"n_never_triage must be between 0 and n_courts = {int(n_courts)}, "
                         f"got {n_never_triage}")
    triage_offsets = _month_offsets("triage_offsets_months", triage_offsets_months)
    settings = SimulationSettings(
        int(seed), float(scale), int(n_courts), str(start), str(end), str(as_of),
        float(hidden_confounding), float(bunching),
        n_never_fast_track=None if n_never_fast_track is None else int(n_never_fast_track),
        one_court_per_cohort=bool(one_court_per_cohort), fast_track_offsets_months=offsets,
        court_month_shock_sd=float(court_month_shock_sd),
        court_month_shock_rho=float(court_month_shock_rho),
        triage_offsets_months=triage_offsets,
        n_never_triage=None if n_never_triage is None else int(n_never_triage),
        hidden_mediation=float(hidden_mediation),
        irregularities=bool(irregularities))
    _fast_track_schedule(settings)  # raises when the dates cannot be given as asked
    span = _Span.of(settings)
    if span.end_day < span.start_day:
        raise ValueError(f"end {end} is before start {start}")
    if span.as_of_day < span.end_day:
        raise ValueError(f"as_of {as_of} is before end {end}: filings after the snapshot")
    return settings


def _month_offsets(name: str, months: Sequence[int] | None) -> tuple[int, ...] | None:
    """Adoption dates given as months after ``start``: None (the default dates) or at least one."""
    if months is None:
        return None
    offsets = tuple(int(m) for m in months)
    if not offsets:
        raise ValueError(f"{name} is empty: give at least one month")
    return offsets


@dataclass(frozen=True)
class _CivilRun:
    """The generator's steps up to the civil outcomes (what :func:`simulate_court` and
    :func:`~courtstudy.simulate.rollout.simulate_rollout` share)."""

    span: _Span
    courts: dict[str, np.ndarray]
    filings: _Filings
    draws: _CaseDraws
    covariates: _Covariates
    assignment: _Assignment
    civil: _CivilWorlds


def _civil_run(settings: SimulationSettings, effects: TrueEffects) -> _CivilRun:
    """Steps 1-5 (module docstring): courts, filings, the cases' random draws, covariates,
    treatments, and the civil outcomes in every potential world."""
    span = _Span.of(settings)
    courts = _draw_courts(settings, span.start_day)
    filings = _draw_filings(settings, courts, span)
    draws = _draw_case_randomness(settings.seed, filings.n_cases)
    covariates = _civil_covariates(settings, courts, filings, draws)
    assignment = _assign_treatments(courts, filings, covariates, draws, effects)
    civil = _civil_outcome_worlds(settings, effects, courts, filings, covariates, assignment, draws)
    return _CivilRun(span, courts, filings, draws, covariates, assignment, civil)


@dataclass(frozen=True)
class _Filings:
    """Every case filed: its court (index), filing day, case type (index of
    :data:`catalogue.CASE_TYPES`), a tie-breaking key for the display order, and the calendar
    year and month of filing."""

    court_idx: np.ndarray
    filed: np.ndarray
    case_type_idx: np.ndarray
    order_key: np.ndarray
    year: np.ndarray
    month: np.ndarray

    @property
    def n_cases(self) -> int:
        return len(self.filed)


def _draw_filings(settings: SimulationSettings, courts: dict[str, np.ndarray],
                  span: _Span) -> _Filings:
    """Step 2: Poisson filings per court and day (calendar intensity, court size and growth),
    then each case's type (stream ``filings``)."""
    rng = _rng(settings.seed, "filings")
    n = len(courts["name"])
    days = np.arange(span.start_day, span.end_day + 1)
    intensity = filing_intensity(days)
    intensity = intensity / intensity.mean()
    years_in = (days - span.start_day) / 365.25
    lam = (courts["annual"][:, None] * settings.scale / 365.25 * intensity[None, :]
           * courts["growth"][:, None] ** years_in[None, :])
    counts = rng.poisson(lam)
    court_idx = np.repeat(np.repeat(np.arange(n), len(days)), counts.ravel())
    filed = np.repeat(np.tile(days, n), counts.ravel())
    n_cases = len(filed)
    type_cum = np.cumsum([t[3] for t in catalogue.CASE_TYPES])
    case_type_idx = np.searchsorted(type_cum / type_cum[-1], rng.random(n_cases), side="right")
    order_key = rng.random(n_cases)
    year, month, _, _ = calendar_parts(filed)
    return _Filings(court_idx=court_idx, filed=filed, case_type_idx=case_type_idx,
                    order_key=order_key, year=year, month=month)


#: The uniforms of every case, drawn in this order from stream ``cases`` (never reorder: the
#: order fixes which number each purpose gets).
_UNIFORMS: tuple[str, ...] = (
    "cause", "amount_missing", "round", "fast_track", "small_claims", "procedure",
    "expedite", "judge", "appraisal", "extend", "rush", "rush_day", "pull", "pull_day",
    "disposition", "mediation", "appeal", "result", "reversal_kind", "service", "window",
    "appeal_duration", "retrial", "retrial_delay", "gap", "gap_size", "bunch", "bunch_pos",
    "other_procedure", "parties", "stay")


@dataclass(frozen=True)
class _CaseDraws:
    """The random numbers of every case, independent of the effects (common random numbers)."""

    u: dict[str, np.ndarray]
    z_amount: np.ndarray
    z_duration: np.ndarray
    z_suspend: np.ndarray
    z_stay: np.ndarray
    hidden: np.ndarray
    z_track: np.ndarray


def _draw_case_randomness(seed: int, n_cases: int) -> _CaseDraws:
    """Step 2b: the uniforms of :data:`_UNIFORMS`, then the normals, from stream ``cases``."""
    rng = _rng(seed, "cases")
    u = {name: rng.random(n_cases) for name in _UNIFORMS}
    z_amount = rng.standard_normal(n_cases)
    z_duration = rng.standard_normal(n_cases)
    z_suspend = rng.standard_normal(n_cases)
    z_stay = rng.standard_normal(n_cases)
    hidden = rng.standard_normal(n_cases)
    z_track = rng.standard_normal(n_cases)
    return _CaseDraws(u=u, z_amount=z_amount, z_duration=z_duration, z_suspend=z_suspend,
                      z_stay=z_stay, hidden=hidden, z_track=z_track)


@dataclass(frozen=True)
class _Covariates:
    """What is known about each case at filing: cause, claim amount (after bunching), the
    province-year small-claims threshold, parties and the observed complexity score."""

    cause_idx: np.ndarray
    amount: np.ndarray
    threshold: np.ndarray
    money_claim: np.ndarray
    n_parties: np.ndarray
    complexity: np.ndarray
    civil: np.ndarray

    def per_cause(self, attr: str) -> np.ndarray:
        """Attribute ``attr`` of each case's cause (:data:`catalogue.CAUSES`)."""
        return np.array([getattr(c, attr) for c in catalogue.CAUSES])[self.cause_idx]


def _civil_covariates(settings: SimulationSettings, courts: dict[str, np.ndarray],
                      filings: _Filings, draws: _CaseDraws) -> _Covariates:
    """Step 3: cause (court-specific mix), claim amount (lognormal by cause, some rounded, some
    missing, ``bunching`` below the threshold), parties and observed complexity."""
    u = draws.u
    court_idx, year = filings.court_idx, filings.year
    causes = catalogue.CAUSES
    cum = np.cumsum(courts["cause_mix"], axis=1)
    cause_idx = (u["cause"][:, None] > cum[court_idx]).sum(axis=1)
    cause_idx = np.minimum(cause_idx, len(causes) - 1)

    def per_cause(attr: str) -> np.ndarray:
        return np.array([getattr(c, attr) for c in causes])[cause_idx]

    # Claim amount (lognormal by cause), some rounded to hundreds, some missing.
    amount = np.exp(np.log(per_cause("amount_median")) + per_cause("amount_sigma") * draws.z_amount)
    amount = np.where(u["round"] < 0.4, np.round(amount, -2), np.round(amount))
    amount = np.maximum(amount, 100.0)
    amount = np.where(u["amount_missing"] < per_cause("amount_missing"), np.nan, amount)
    thresholds = limits.small_claims_thresholds()
    province_t = thresholds[thresholds["province"] == catalogue.PROVINCE].set_index("year")["threshold_yuan"]
    missing_years = sorted(set(range(int(year.min()), int(year.max()) + 1)) - set(province_t.index))
    if missing_years:
        raise ValueError(f"no small-claims threshold of {catalogue.PROVINCE} for {missing_years}: "
                         "extend courtstudy/reference/small_claims_thresholds.csv")
    threshold = province_t.reindex(year).to_numpy(dtype=float)
    money_claim = per_cause("small_claims").astype(bool)
    bunch = (money_claim & (amount > threshold) & (amount <= 1.15 * threshold)
             & (u["bunch"] < settings.bunching))
    amount = np.where(bunch, np.floor(threshold * (1 - 0.08 * u["bunch_pos"])), amount)
    n_parties = 2 + _rng(settings.seed, "parties").poisson(per_cause("extra_parties"))
    n_parties = np.minimum(n_parties, 30)

    log_amount_rel = np.where(np.isnan(amount), 0.0,
                              np.clip(np.log(np.where(np.isnan(amount), 1.0, amount) / 50_000), -3, 3))
    complexity = (per_cause("complexity") + 0.30 * log_amount_rel
                  + 0.30 * np.minimum(n_parties - 2, 5) + courts["complexity_offset"][court_idx])
    return _Covariates(cause_idx=cause_idx, amount=amount, threshold=threshold,
                       money_claim=money_claim, n_parties=n_parties, complexity=complexity,
                       civil=filings.case_type_idx == 0)


@dataclass(frozen=True)
class _Assignment:
    """Who is eligible for, and who gets, each treatment; the true propensities; the procedure."""

    elig_simple: np.ndarray
    elig_ft: np.ndarray
    elig_sc: np.ndarray
    p_simple: np.ndarray
    p_simple_full: np.ndarray
    p_ft: np.ndarray
    p_sc: np.ndarray
    simple: np.ndarray
    fast: np.ndarray
    small: np.ndarray
    ordinary: np.ndarray
    procedure: np.ndarray
    #: the procedure without triage, and as a routed (simple-track) case (same uniforms): the
    #: factual procedure is the second for routed cases, the first for the others
    procedure_no_triage: np.ndarray
    procedure_routed: np.ndarray
    ordinary_no_triage: np.ndarray
    ordinary_routed: np.ndarray


def _procedure(civil: np.ndarray, small: np.ndarray, ordinary: np.ndarray, fast: np.ndarray,
               u_expedite: np.ndarray) -> np.ndarray:
    procedure = np.where(small, "small_claims", np.where(ordinary, "ordinary", "simplified"))
    return np.where(civil & fast & (procedure == "simplified") & (u_expedite < 0.15),
                    "expedited", procedure)


def _assign_treatments(courts: dict[str, np.ndarray], filings: _Filings, cov: _Covariates,
                       draws: _CaseDraws, effects: TrueEffects | None = None) -> _Assignment:
    """Step 4: simple track, fast-track team, small claims and procedure (formulas in the module
    docstring); depends on covariates (and for the track on the hidden factor). The track and
    the team never depend on effects; the procedure of a routed case does when
    ``effects.triage_small_claims_logit`` / ``triage_ordinary_logit`` are not 0 (the same
    uniforms decide it with and without triage, so routing only moves cases towards small claims
    and away from ordinary procedure)."""
    effects = TrueEffects() if effects is None else effects
    u = draws.u
    court_idx, filed, year = filings.court_idx, filings.filed, filings.year
    civil, complexity, n_parties = cov.civil, cov.complexity, cov.n_parties
    n = len(courts["name"])
    triage_day = courts["triage_day"][court_idx]
    ft_day = courts["fast_track_day"][court_idx]
    elig_simple = civil & (triage_day != NA_DAY) & (filed >= triage_day)
    elig_ft = civil & (ft_day != NA_DAY) & (filed >= ft_day)
    month_fx = np.array([MONTH_TRIAGE_LOGIT.get(m, 0.0) for m in range(13)])[filings.month]
    score_simple = month_fx - 1.6 * complexity
    a = _calibrate_intercepts(score_simple[elig_simple], court_idx[elig_simple], n,
                              courts["simple_share"])
    p_simple = np.where(elig_simple, expit(a[court_idx] + score_simple), np.nan)
    # The track's uniform is driven by the hidden factor (a Gaussian copula with correlation
    # HIDDEN_SELECTION): cases with more hidden complexity are less often simple, while
    # P(simple | observed covariates) stays exactly p_simple.
    u_track = norm.cdf(HIDDEN_SELECTION * draws.hidden
                       + np.sqrt(1 - HIDDEN_SELECTION ** 2) * draws.z_track)
    simple = elig_simple & (u_track < p_simple)
    p_simple_full = np.where(elig_simple, norm.cdf(
        (norm.ppf(np.nan_to_num(p_simple, nan=0.5)) - HIDDEN_SELECTION * draws.hidden)
        / np.sqrt(1 - HIDDEN_SELECTION ** 2)), np.nan)

    score_ft = -1.2 * complexity
    b = _calibrate_intercepts(score_ft[elig_ft], court_idx[elig_ft], n, courts["fast_track_share"])
    p_ft = np.where(elig_ft, expit(b[court_idx] + score_ft), np.nan)
    fast = elig_ft & (u["fast_track"] < p_ft)

    elig_sc = civil & cov.money_claim & ~np.isnan(cov.amount) & (cov.amount <= cov.threshold)
    p_sc = np.where(elig_sc, expit(np.where(year >= 2022, 0.9, -0.2) - 0.6 * (n_parties - 2)
                                   - 0.6 * complexity), np.nan)
    p_sc_routed = p_sc if effects.triage_small_claims_logit == 0 else np.where(
        elig_sc, expit(logit(np.clip(np.nan_to_num(p_sc, nan=0.5), 1e-12, 1 - 1e-12))
                       + effects.triage_small_claims_logit), np.nan)
    small0 = elig_sc & (u["small_claims"] < p_sc)
    small1 = elig_sc & (u["small_claims"] < p_sc_routed)
    ordinary_logit = -1.0 + 1.8 * complexity
    ordinary0 = civil & ~small0 & (u["procedure"] < expit(ordinary_logit))
    ordinary1 = ordinary0 if (effects.triage_small_claims_logit == 0 and effects.triage_ordinary_logit == 0) \
        else civil & ~small1 & (u["procedure"] < expit(ordinary_logit + effects.triage_ordinary_logit))
    procedure0 = _procedure(civil, small0, ordinary0, fast, u["expedite"])
    procedure1 = _procedure(civil, small1, ordinary1, fast, u["expedite"])
    small = np.where(simple, small1, small0)
    ordinary = np.where(simple, ordinary1, ordinary0)
    procedure = np.where(simple, procedure1, procedure0)
    return _Assignment(elig_simple=elig_simple, elig_ft=elig_ft, elig_sc=elig_sc,
                       p_simple=p_simple, p_simple_full=p_simple_full, p_ft=p_ft, p_sc=p_sc,
                       simple=simple, fast=fast, small=small, ordinary=ordinary,
                       procedure=procedure, procedure_no_triage=procedure0,
                       procedure_routed=procedure1, ordinary_no_triage=ordinary0,
                       ordinary_routed=ordinary1)


@dataclass(frozen=True)
class _CivilWorlds:
    """Civil first-instance outcomes: positions ``ci`` of those cases, their fixed draws, the
    factual world and, per component, the pair of potential worlds (off, on)."""

    ci: np.ndarray
    draws: CivilDraws
    suspended: np.ndarray
    limit_days: np.ndarray
    log_trial_base: np.ndarray
    months_since_ft: np.ndarray
    cohort: np.ndarray
    factual_shifts: Shifts
    factual: CivilOutcomes
    worlds: dict[str, tuple[CivilOutcomes, CivilOutcomes]]
    #: routed, but with the procedure it would have had without triage (for the split of the
    #: effect of routing into the procedure channel, e.g. small claims' finality, and the rest)
    routed_same_procedure: CivilOutcomes | None = None


def _civil_outcome_worlds(settings: SimulationSettings, effects: TrueEffects,
                          courts: dict[str, np.ndarray], filings: _Filings, cov: _Covariates,
                          assignment: _Assignment, draws: _CaseDraws) -> _CivilWorlds:
    """Steps 5-6: statutory limits, suspensions, baseline log trial days, then the outcomes of
    the factual world and of both potential worlds of each treatment
    (:func:`courtstudy.simulate.outcomes.civil_outcomes`)."""
    u = draws.u
    court_idx, filed, year = filings.court_idx, filings.filed, filings.year
    complexity = cov.complexity
    procedure = assignment.procedure
    ci = np.flatnonzero(cov.civil)
    table = limits.statutory_limits()
    appraisal = u["appraisal"][ci] < cov.per_cause("appraisal")[ci]
    suspended = np.where(appraisal, np.rint(np.exp(np.log(60) + 0.5 * draws.z_suspend[ci])), 0).astype(np.int64)
    # A few cases are stayed (中止审理) for months, e.g. awaiting another case: the long tail of
    # pending cases (长期未结).
    stayed = u["stay"][ci] < STAY_SHARE
    suspended = suspended + np.where(stayed, np.rint(np.exp(np.log(250) + 0.6 * draws.z_stay[ci])), 0).astype(np.int64)
    hidden_confounding = settings.hidden_confounding
    log_trial_common = (3.50 + 0.40 * complexity + courts["duration_offset"][court_idx]
                        + _lookup(YEAR_LOG_DURATION, year)
                        + 0.5 * draws.z_duration + hidden_confounding * draws.hidden)
    if settings.court_month_shock_sd > 0:
        log_trial_common = log_trial_common + court_month_shocks(settings, filings)
    log_trial_base = log_trial_common + 0.45 * assignment.ordinary

    def draws_for(procedure: np.ndarray, ordinary: np.ndarray) -> tuple[CivilDraws, np.ndarray]:
        """The fixed draws of the civil cases heard under ``procedure`` (its statutory limit
        and, for ordinary procedure, longer trials)."""
        limit_months, limit_plus, max_ext = _limit_terms(procedure[ci], filed[ci], table)
        limit_days = add_months(filed[ci], limit_months) + limit_plus - filed[ci]
        return CivilDraws(
            filed=filed[ci], log_trial_base=(log_trial_common + 0.45 * ordinary)[ci],
            suspended_days=suspended, limit_days=limit_days, max_extension_days=max_ext * 30,
            complexity=complexity[ci], hidden_shift=hidden_confounding * draws.hidden[ci],
            mw_base_logit=base_logit(cov.per_cause("mediation_withdrawal")[ci]),
            mediation_share=cov.per_cause("mediation_share")[ci],
            hidden_mediation_shift=-settings.hidden_mediation * draws.hidden[ci],
            **{f"u_{k}": u[k][ci] for k in (
                "extend", "rush", "rush_day", "pull", "pull_day", "disposition", "mediation", "appeal",
                "result", "reversal_kind", "service", "window", "appeal_duration", "retrial",
                "retrial_delay")},
        ), limit_days

    civil_draws, limit_days = draws_for(procedure, assignment.ordinary)
    procedure_responds = not np.array_equal(assignment.procedure_no_triage[ci],
                                            assignment.procedure_routed[ci])
    draws_no_triage = draws_for(assignment.procedure_no_triage, assignment.ordinary_no_triage)[0] \
        if procedure_responds else civil_draws
    draws_routed = draws_for(assignment.procedure_routed, assignment.ordinary_routed)[0] \
        if procedure_responds else civil_draws
    ft_day = courts["fast_track_day"][court_idx]
    elig_ft = assignment.elig_ft
    months_since_ft = np.where(elig_ft, (filed - ft_day) / 30.4375, np.nan)
    cohort = courts["fast_track_cohort"][court_idx]
    ft_log = np.where(elig_ft, effects.fast_track_log_duration(np.nan_to_num(months_since_ft),
                                                              np.maximum(cohort, 0)), 0.0)[ci]
    triage_operating = assignment.elig_simple[ci]
    indicators = {"triage": assignment.simple[ci], "fast_track": assignment.fast[ci],
                  "small_claims": assignment.small[ci], "triage_operating": triage_operating}

    def shifts(ind: dict[str, np.ndarray]) -> Shifts:
        t, f, s = (ind[k].astype(float) for k in ("triage", "fast_track", "small_claims"))
        # Cases a triaging court leaves complex (exclusion restriction when 0).
        left_complex = (ind["triage_operating"] & ~ind["triage"].astype(bool)).astype(float)
        return Shifts(
            log_duration=(t * effects.triage_log_duration + f * ft_log
                          + s * effects.small_claims_log_duration
                          + left_complex * effects.triage_complex_log_duration),
            mediation_withdrawal=(t * effects.triage_mediation_withdrawal_logit
                                  + f * effects.fast_track_mediation_withdrawal_logit),
            appeal=t * effects.triage_appeal_logit + f * effects.fast_track_appeal_logit,
            reversal=t * effects.triage_reversal_logit + f * effects.fast_track_reversal_logit,
            final=(ind["small_claims"] & effects.small_claims_final),
        )

    factual_shifts = shifts(indicators)
    factual = civil_outcomes(civil_draws, factual_shifts)
    worlds: dict[str, tuple[CivilOutcomes, CivilOutcomes]] = {}
    for component in ("fast_track", "small_claims"):
        pair = []
        for value in (False, True):
            ind = dict(indicators)
            ind[component] = np.full(len(ci), value)
            pair.append(civil_outcomes(civil_draws, shifts(ind)))
        worlds[component] = (pair[0], pair[1])
    # Triage: a world with no triage (procedure as without it) against the case routed simple
    # (with the procedure a routed case gets), and the routed case kept at its no-triage procedure.
    small0 = np.isin(assignment.procedure_no_triage[ci], ["small_claims"])
    small1 = np.isin(assignment.procedure_routed[ci], ["small_claims"])
    none = np.zeros(len(ci), dtype=bool)
    off = {**indicators, "triage": none, "triage_operating": none, "small_claims": small0}
    on = {**indicators, "triage": ~none, "small_claims": small1}
    on_same_procedure = {**indicators, "triage": ~none, "small_claims": small0}
    worlds["triage"] = (civil_outcomes(draws_no_triage, shifts(off)), civil_outcomes(draws_routed, shifts(on)))
    routed_same_procedure = civil_outcomes(draws_no_triage, shifts(on_same_procedure))
    worlds = {k: worlds[k] for k in ("triage", "fast_track", "small_claims")}
    return _CivilWorlds(ci=ci, draws=civil_draws, suspended=suspended, limit_days=limit_days,
                        log_trial_base=log_trial_base, months_since_ft=months_since_ft,
                        cohort=cohort, factual_shifts=factual_shifts, factual=factual,
                        worlds=worlds, routed_same_procedure=routed_same_procedure)


def _build_court(settings: SimulationSettings, effects: TrueEffects, span: _Span,
                 courts: dict[str, np.ndarray], filings: _Filings, draws: _CaseDraws,
                 cov: _Covariates, assignment: _Assignment, civil: _CivilWorlds,
                 other: dict[str, np.ndarray]) -> SyntheticCourt:
    """Step 7: the canonical cases frame (censored at ``as_of``) with judges and teams, the
    courts table, the latent variables and the truth table, all in display order."""
    a = assignment
    ci = civil.ci
    oi = np.flatnonzero(~cov.civil)
    frame = _assemble(settings, courts, filings.court_idx, filings.case_type_idx, filings.filed,
                      filings.order_key, draws.u, cov.cause_idx, cov.amount, cov.n_parties,
                      a.simple, a.elig_simple, a.fast, a.procedure, ci, civil.factual,
                      civil.suspended, civil.limit_days, oi, other, span.as_of_day, filings.year)
    judges_table = _assign_judges(settings, courts, frame["cases"], filings.court_idx, a.fast,
                                  cov.cause_idx, draws.u["judge"])
    cases = frame["cases"]
    cases["judge"] = judges_table["judge"]
    cases["team"] = judges_table["team"]
    order = frame["order"]
    cases = schema.conform_cases(cases.iloc[order].reset_index(drop=True))
    courts_frame = _courts_frame(courts, judges_table["judges_per_year"], span.start_day,
                                 span.as_of_day)

    latent = _latent(cases_ids=frame["case_id"], n_cases=filings.n_cases, ci=ci,
                     complexity=cov.complexity, hidden=draws.hidden, p_simple=a.p_simple,
                     p_simple_full=a.p_simple_full, p_ft=a.p_ft, p_sc=a.p_sc,
                     elig_simple=a.elig_simple, elig_ft=a.elig_ft, elig_sc=a.elig_sc,
                     months_since_ft=civil.months_since_ft, cohort=civil.cohort, civil=cov.civil,
                     log_trial_base=civil.log_trial_base,
                     factual_shift=civil.factual_shifts.log_duration,
                     factual=civil.factual, worlds=civil.worlds,
                     routed_same_procedure=civil.routed_same_procedure,
                     procedure_no_triage=a.procedure_no_triage, procedure_routed=a.procedure_routed)
    latent = latent.iloc[order].reset_index(drop=True)
    treated = {"triage": a.simple, "fast_track": a.fast, "small_claims": a.small}
    eligible = {"triage": a.elig_simple, "fast_track": a.elig_ft, "small_claims": a.elig_sc}
    truth = truth_table(latent, treated={k: v[order] for k, v in treated.items()},
                        eligible={k: v[order] for k, v in eligible.items()},
                        near_threshold=(a.elig_sc & (cov.amount >= 0.9 * cov.threshold))[order])
    return SyntheticCourt(cases=cases, courts=courts_frame, truth=truth, latent=latent,
                          effects=effects, as_of=pd.Timestamp(settings.as_of), settings=settings)


def _fast_track_schedule(settings: SimulationSettings) -> tuple[int, tuple[int, ...]]:
    """Number of courts never adopting fast-track teams, and the adoption months (after
    ``start``) the adopting courts take in turn (see :func:`simulate_court`)."""
    n = settings.n_courts
    if settings.n_never_fast_track is None:
        n_never = 3 if n >= 7 else (max(1, n // 3) if n >= 2 else 0)
    else:
        n_never = settings.n_never_fast_track
    n_adopt = n - n_never
    offsets = settings.fast_track_offsets_months
    if not settings.one_court_per_cohort:
        return n_never, offsets or FAST_TRACK_OFFSETS_MONTHS
    if offsets is not None:
        if len(set(offsets)) < n_adopt:
            raise ValueError(f"one_court_per_cohort: {n_adopt} adopting courts but only "
                             f"{len(set(offsets))} distinct fast_track_offsets_months")
        return n_never, tuple(sorted(set(offsets)))[:n_adopt]
    first = FAST_TRACK_OFFSETS_MONTHS[0]
    if n_adopt <= len(FAST_TRACK_OFFSETS_MONTHS):
        return n_never, tuple(first + 6 * k for k in range(n_adopt))
    months = np.rint(np.linspace(first, ONE_PER_COHORT_LAST_MONTH, n_adopt)).astype(int)
    if len(np.unique(months)) < n_adopt:
        raise ValueError(f"one_court_per_cohort: {n_adopt} adopting courts do not fit one per "
                         f"month between months {first} and {ONE_PER_COHORT_LAST_MONTH}")
    return n_never, tuple(int(m) for m in months)


def _triage_schedule(settings: SimulationSettings) -> tuple[int, tuple[int, ...]]:
    """Number of courts never starting triage and the start months (after ``start``) the
    triaging courts take in turn (see :func:`simulate_court`)."""
    n = settings.n_courts
    n_never = (1 if n >= 6 else 0) if settings.n_never_triage is None else settings.n_never_triage
    return n_never, settings.triage_offsets_months or TRIAGE_OFFSETS_MONTHS


def court_month_shocks(settings: SimulationSettings, filings: _Filings) -> np.ndarray:
    """Court-by-month shock of each case's log trial days (see :func:`simulate_court`): a
    stationary AR(1) per court over the calendar months of the window, from stream ``shocks``."""
    sd, rho = settings.court_month_shock_sd, settings.court_month_shock_rho
    # months since January of the first filing year
    month_index = core_calendar.month_index(filings.filed) - 12 * int(filings.year.min())
    n_courts, n_months = settings.n_courts, int(month_index.max()) + 1
    rng = _rng(settings.seed, "shocks")
    e = rng.standard_normal((n_courts, n_months)) * sd
    s = np.empty_like(e)
    s[:, 0] = e[:, 0]
    for m in range(1, n_months):
        s[:, m] = rho * s[:, m - 1] + np.sqrt(1 - rho**2) * e[:, m]
    return s[filings.court_idx, month_index]


def _draw_courts(settings: SimulationSettings, start_day: int) -> dict[str, np.ndarray]:
    rng = _rng(settings.seed, "courts")
    n = settings.n_courts
    names = catalogue.court_catalogue(n)
    position = rng.permutation(n)  # which schedule slot each court gets
    size = rng.lognormal(0.0, 0.45, n)
    size = size / size.mean()
    growth = rng.uniform(1.02, 1.08, n)
    duration_offset = rng.normal(0.0, 0.12, n)
    complexity_offset = rng.normal(0.0, 0.10, n)
    simple_share = rng.uniform(0.55, 0.70, n)
    ft_share = rng.uniform(0.60, 0.70, n)
    per_judge = rng.uniform(230, 330, n)
    tilt = np.exp(0.3 * rng.standard_normal((n, len(catalogue.CAUSES))))
    mix = np.array([c.share for c in catalogue.CAUSES])[None, :] * tilt
    mix = mix / mix.sum(axis=1, keepdims=True)

    n_never_ft, ft_offsets = _fast_track_schedule(settings)
    n_never_triage, triage_offsets = _triage_schedule(settings)
    triage_day = np.full(n, NA_DAY, dtype=np.int64)
    ft_day = np.full(n, NA_DAY, dtype=np.int64)
    cohort = np.full(n, -1, dtype=np.int64)
    for court in range(n):
        slot = int(position[court])
        if slot < n - n_never_triage:
            triage_day[court] = _month_offset(start_day, triage_offsets[slot % len(triage_offsets)])
        if slot >= n_never_ft:
            k = (slot - n_never_ft) % len(ft_offsets)
            ft_day[court] = _month_offset(start_day, ft_offsets[k])
    adopted = np.unique(ft_day[ft_day != NA_DAY])
    for k, d in enumerate(adopted):
        cohort[ft_day == d] = k
    return {"name": np.array([c[0] for c in names]), "code": np.array([c[1] for c in names]),
            "annual": CASES_PER_COURT_YEAR * size, "growth": growth,
            "duration_offset": duration_offset, "complexity_offset": complexity_offset,
            "simple_share": simple_share, "fast_track_share": ft_share, "per_judge": per_judge,
            "cause_mix": mix, "triage_day": triage_day, "fast_track_day": ft_day,
            "fast_track_cohort": cohort}


def _limit_terms(procedure: np.ndarray, filed: np.ndarray, table: pd.DataFrame
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Limit months, extra days and maximum extension months of first-instance civil cases, by
    :func:`courtstudy.core.limits.limit_terms` (the one resolution of the limits table)."""
    terms = limits.limit_terms(pd.Series(procedure), pd.Series(to_datetime(filed)), table=table)
    missing = terms["limit_months"].isna().to_numpy()
    if missing.any():
        raise ValueError(f"no statutory limit for first-instance procedures "
                         f"{sorted(set(procedure[missing]))}")
    return tuple(terms[c].to_numpy().astype(np.int64)
                 for c in ("limit_months", "limit_days", "max_extension_months"))


def _other_outcomes(type_idx: np.ndarray, filed: np.ndarray, z: np.ndarray,
                    u: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    """Criminal, administrative and enforcement cases: procedure, closing, disposition, appeal."""
    criminal, admin, enforcement = type_idx == 1, type_idx == 2, type_idx == 3
    up = u["other_procedure"][idx]
    procedure = np.where(criminal, np.where(up < 0.45, "expedited", np.where(up < 0.80, "simplified", "ordinary")),
                         np.where(admin, np.where(up < 0.2, "simplified", "ordinary"), ""))
    median = np.select([procedure == "expedited", criminal & (procedure == "simplified"), criminal,
                        admin & (procedure == "simplified"), admin], [8, 15, 45, 30, 75], default=90)
    sigma = np.where(enforcement, 0.8, 0.5)
    days = np.maximum(1, np.rint(median * np.exp(sigma * z))).astype(np.int64)
    closed = closing_calendar(filed, filed + days, u["pull"][idx], u["pull_day"][idx])
    ud = u["disposition"][idx]
    disposition = np.select(
        [criminal & (ud < 0.96), criminal, admin & (ud < 0.45), admin & (ud < 0.75),
         admin & (ud < 0.95), admin, enforcement & (ud < 0.10)],
        [0, 2, 0, 2, 3, 5, 2], default=5)
    appealable = (criminal | admin) & ((disposition == 0) | (disposition == 3))
    appealed = appealable & (u["appeal"][idx] < np.where(criminal, 0.08, 0.45))
    ur = u["result"][idx]
    result = np.where(criminal, np.select([ur < 0.85, ur < 0.92, ur < 0.95], [0, 1, 2], default=3),
                      np.select([ur < 0.80, ur < 0.87, ur < 0.91], [0, 1, 2], default=3))
    result = np.where(appealed, result, -1)
    service = 1 + np.floor(20 * u["service"][idx] ** 2).astype(np.int64)
    window = np.where(criminal, 10, 15)
    appeal_filed = closed + service + 1 + np.floor(u["window"][idx] * window).astype(np.int64)
    appeal_closed = appeal_filed + 25 + np.floor(120 * u["appeal_duration"][idx] ** 1.3).astype(np.int64)
    return {"procedure": procedure, "closed": closed, "disposition": disposition,
            "appealed": appealed, "appeal_result": result, "appeal_filed": appeal_filed,
            "appeal_closed": appeal_closed}


CRIMINAL_CAUSES = (("危险驾驶罪", 0.35), ("盗窃罪", 0.20), ("诈骗罪", 0.15), ("故意伤害罪", 0.10),
                   ("帮助信息网络犯罪活动罪", 0.20))
ADMINISTRATIVE_CAUSES = (("行政处罚", 0.40), ("行政强制", 0.15), ("行政登记", 0.10),
                         ("行政协议", 0.10), ("政府信息公开", 0.25))


def _pick(pairs: tuple[tuple[str, float], ...], uniform: np.ndarray) -> np.ndarray:
    names = np.array([p[0] for p in pairs])
    cum = np.cumsum([p[1] for p in pairs])
    return names[np.minimum(np.searchsorted(cum / cum[-1], uniform, side="right"), len(names) - 1)]


def _assemble(settings, courts, court_idx, case_type_idx, filed, order_key, u, cause_idx, amount,
              n_parties, simple, elig_simple, fast, procedure, ci, factual, suspended, limit_days,
              oi, other, as_of_day, year) -> dict:
    """The canonical frame (before judges), the display order and the case numbers."""
    n_cases = len(filed)
    types = catalogue.CASE_TYPES
    case_type = np.array([t[0] for t in types])[case_type_idx]
    instance = np.array([t[1] or "" for t in types], dtype=object)[case_type_idx]
    type_code = np.array([t[2] for t in types])[case_type_idx]
    code = courts["code"][court_idx]

    # Sequence numbers: by filing day within court-year-type, with gaps for case types and
    # numbers not in the export (e.g. 民特, 民诉前调, withdrawn numbers).
    key = pd.DataFrame({"court": court_idx, "year": year, "type": case_type_idx,
                        "filed": filed, "k": order_key})
    key = key.sort_values(["court", "year", "type", "filed", "k"], kind="stable")
    step = 1 + np.where(u["gap"] < 0.08, 1 + np.floor(u["gap_size"] * 3), 0).astype(np.int64)
    key["step"] = step[key.index.to_numpy()]
    seq = np.empty(n_cases, dtype=np.int64)
    seq[key.index.to_numpy()] = key.groupby(["court", "year", "type"], sort=False)["step"].cumsum().to_numpy()
    case_id = (pd.Series("（" + year.astype(str) + "）", dtype="string") + code + type_code
               + pd.Series(seq.astype(str), dtype="string") + "号").to_numpy(dtype=object)

    cause = np.array([c.name for c in catalogue.CAUSES])[cause_idx].astype(object)
    crim = case_type_idx == 1
    adm = case_type_idx == 2
    cause[crim] = _pick(CRIMINAL_CAUSES, u["cause"][crim])
    cause[adm] = _pick(ADMINISTRATIVE_CAUSES, u["cause"][adm])
    civil_or_enf = (case_type_idx == 0) | (case_type_idx == 3)
    claim = np.where(civil_or_enf, amount, np.nan)
    parties = np.where(civil_or_enf, n_parties, np.where(crim, 1 + (u["parties"] < 0.15), 2))

    closed = np.full(n_cases, NA_DAY, dtype=np.int64)
    closed[ci] = factual.closed
    closed[oi] = other["closed"]
    disp = np.full(n_cases, -1)
    disp[ci] = factual.disposition
    disp[oi] = other["disposition"]
    appealed = np.zeros(n_cases, dtype=bool)
    appealed[ci] = factual.appealed
    appealed[oi] = other["appealed"]
    a_filed = np.full(n_cases, NA_DAY, dtype=np.int64)
    a_filed[ci] = factual.appeal_filed
    a_filed[oi] = other["appeal_filed"]
    a_closed = np.full(n_cases, NA_DAY, dtype=np.int64)
    a_closed[ci] = factual.appeal_closed
    a_closed[oi] = other["appeal_closed"]
    a_result = np.full(n_cases, -1)
    a_result[ci] = factual.appeal_result
    a_result[oi] = other["appeal_result"]
    proc = np.array(procedure, dtype=object)
    proc[oi] = other["procedure"]
    proc[case_type_idx == 3] = None
    proc[proc == ""] = None

    # Censoring at the snapshot: what the export shows on as_of.
    is_closed = closed <= as_of_day
    appeal_known = is_closed & appealed & (a_filed <= as_of_day)
    appeal_decided = appeal_known & (a_closed <= as_of_day)
    retrial = np.zeros(n_cases, dtype=bool)
    retrial[ci] = factual.retrial & (factual.retrial_known <= as_of_day)

    extension = np.zeros(n_cases, dtype=np.int64)
    ext_c = factual.extension_days
    # An extension is decided before the original deadline: known for pending cases once that
    # deadline has passed.
    deadline_passed = filed[ci] + limit_days + suspended <= as_of_day
    extension[ci] = np.where(is_closed[ci] | deadline_passed, ext_c, 0)
    susp = np.zeros(n_cases, dtype=np.int64)
    # Suspension (e.g. an appraisal) starts about 20 days after filing; pending cases show the
    # days elapsed so far.
    elapsed = np.clip(as_of_day - (filed[ci] + 20), 0, None)
    susp[ci] = np.where(is_closed[ci], suspended, np.minimum(suspended, elapsed))

    track = np.where(elig_simple, np.where(simple, "simple", "complex"), None)
    team_type = np.full(n_cases, "standard", dtype=object)
    # specialised teams are set by _assign_judges (pool); fast-track here
    team_type[fast] = "fast_track"

    disp_codes = np.array(DISPOSITIONS + ("",), dtype=object)
    res_codes = np.array(APPEAL_RESULTS + ("",), dtype=object)
    frame = pd.DataFrame({
        "case_id": case_id,
        "court": courts["name"][court_idx],
        "case_type": case_type,
        "instance": np.where(instance == "", None, instance),
        "cause": cause,
        "procedure": proc,
        "track": track,
        "team": None,
        "team_type": team_type,
        "judge": None,
        "filed_date": to_datetime(filed),
        "closed_date": to_datetime(np.where(is_closed, closed, NA_DAY)),
        "disposition": np.where(is_closed, disp_codes[disp], None),
        "claim_amount": claim,
        "n_parties": parties,
        "extension_days": extension,
        "suspended_days": susp,
        "appealed": pd.array(np.where(is_closed, appeal_known, False), dtype="boolean"),
        "appeal_filed_date": to_datetime(np.where(appeal_known, a_filed, NA_DAY)),
        "appeal_result": np.where(appeal_decided, res_codes[a_result], None),
        "appeal_closed_date": to_datetime(np.where(appeal_decided, a_closed, NA_DAY)),
        "retrial_petition": pd.array(retrial, dtype="boolean"),
        "case_year": year,
        "court_code": code,
        "type_code": type_code,
        "case_seq": seq,
    })
    pending = ~is_closed
    frame.loc[pending, "appealed"] = pd.NA
    frame.loc[pending, "retrial_petition"] = pd.NA
    frame.loc[frame["disposition"] == "", "disposition"] = None
    order = np.lexsort((seq, type_code, code, filed))
    return {"cases": frame, "order": order, "case_id": case_id}


def _assign_judges(settings, courts, frame, court_idx, fast, cause_idx, u_judge) -> dict:
    """Judges per court-year (from caseload), their teams, and each case's judge and team.

    Sets ``frame["team_type"]`` from the pool that hears each case (fast-track, specialised or
    standard). A court-year has ``max(12, round(cases / (per-judge caseload * scale)))`` judges,
    two of whom change each year; they are split into pools by :data:`POOL_JUDGE_SHARE` (the
    fast-track share goes to the civil divisions before the team exists), and each pool into up
    to four teams of about four judges. A case goes to a uniformly drawn judge of its pool."""
    rng = _rng(settings.seed, "judges")
    n = len(courts["name"])
    years = frame["case_year"].to_numpy()
    y0, y1 = int(years.min()), int(years.max())
    n_years = y1 - y0 + 1
    per_cy = np.zeros((n, n_years), dtype=np.int64)
    np.add.at(per_cy, (court_idx, years - y0), 1)
    judges = np.maximum(12, np.rint(per_cy / (courts["per_judge"][:, None] * settings.scale))).astype(np.int64)
    turnover = 2
    pool_size = judges.max(axis=1) + turnover * n_years
    names = catalogue.judge_names(int(pool_size.sum()), rng)
    keys = rng.random(int(pool_size.sum()))
    pools = list(catalogue.TEAM_POOLS)
    shares = np.array([catalogue.POOL_JUDGE_SHARE[p] for p in pools])

    # Case pool codes.
    case_type = frame["case_type"].to_numpy()
    team_of_cause = np.array([c.team or "civil" for c in catalogue.CAUSES])[cause_idx]
    pool = np.where(case_type == "civil", np.where(fast, "fast_track", team_of_cause), case_type)
    pool_code = pd.Categorical(pool, categories=pools).codes

    judge_out = np.empty(len(years), dtype=object)
    team_out = np.empty(len(years), dtype=object)
    team_type_out = frame["team_type"].to_numpy().copy()
    ft_days = courts["fast_track_day"]
    ft_year = np.where(ft_days != NA_DAY, calendar_parts(np.where(ft_days != NA_DAY, ft_days, 0))[0],
                       np.iinfo(np.int64).max)
    offset = np.concatenate([[0], np.cumsum(pool_size)[:-1]])
    for c in range(n):
        c_names = names[offset[c]: offset[c] + pool_size[c]]
        c_keys = keys[offset[c]: offset[c] + pool_size[c]]
        for yi in range(n_years):
            y = y0 + yi
            j = int(judges[c, yi])
            roster = np.arange(turnover * yi, turnover * yi + j)
            roster = roster[np.argsort(c_keys[roster], kind="stable")]
            active = shares.copy()
            if y < ft_year[c]:
                active[pools.index("civil")] += active[pools.index("fast_track")]
                active[pools.index("fast_track")] = 0.0
            counts = np.floor(active / active.sum() * j).astype(int)
            counts[(active > 0) & (counts == 0)] = 1
            counts[pools.index("civil")] += j - counts.sum()
            bounds = np.concatenate([[0], np.cumsum(counts)])
            sel = (court_idx == c) & (years == y)
            if not sel.any():
                continue
            rows = np.flatnonzero(sel)
            for p, pname in enumerate(pools):
                members = roster[bounds[p]:bounds[p + 1]]
                pr = rows[pool_code[rows] == p]
                if len(pr) == 0 or len(members) == 0:
                    continue
                team_names = catalogue.TEAM_POOLS[pname][0]
                n_teams = min(len(team_names), max(1, len(members) // 4))
                pick = np.floor(u_judge[pr] * len(members)).astype(int)
                judge_out[pr] = np.array(c_names, dtype=object)[members[pick]]
                team_out[pr] = np.array(team_names, dtype=object)[pick % n_teams]
                team_type_out[pr] = catalogue.TEAM_POOLS[pname][1]
    frame["team_type"] = team_type_out
    return {"judge": judge_out, "team": team_out, "judges_per_year": (y0, judges)}


def _courts_frame(courts: dict, judges_per_year: tuple[int, np.ndarray], start_day: int,
                  as_of_day: int) -> pd.DataFrame:
    y0, judges = judges_per_year
    last_year = int(calendar_parts(np.array([as_of_day]))[0][0])
    rows = []
    for c, name in enumerate(courts["name"]):
        for y in range(y0, last_year + 1):
            j = judges[c, min(y - y0, judges.shape[1] - 1)]
            rows.append((name, y, int(j), courts["triage_day"][c], courts["fast_track_day"][c]))
    frame = pd.DataFrame(rows, columns=["court", "year", "judges", "triage_day", "fast_track_day"])
    out = pd.DataFrame({
        "court": frame["court"].astype("string"),
        "year": frame["year"].astype("Int64"),
        "judges": frame["judges"].astype("Int64"),
        "triage_start": to_datetime(frame["triage_day"].to_numpy(dtype=np.int64)),
        "fast_track_start": to_datetime(frame["fast_track_day"].to_numpy(dtype=np.int64)),
        "province": pd.Series(catalogue.PROVINCE, index=frame.index, dtype="string"),
    })
    return out.astype(schema.COURT_DTYPES)


def _latent(*, cases_ids, n_cases, ci, complexity, hidden, p_simple, p_simple_full, p_ft, p_sc,
            elig_simple,
            elig_ft, elig_sc, months_since_ft, cohort, civil, log_trial_base, factual_shift,
            factual: CivilOutcomes, worlds, routed_same_procedure: CivilOutcomes | None = None,
            procedure_no_triage: np.ndarray | None = None,
            procedure_routed: np.ndarray | None = None) -> pd.DataFrame:
    def full(values: np.ndarray) -> np.ndarray:
        out = np.full(n_cases, np.nan)
        out[ci] = values.astype(float)
        return out

    effect = np.full(n_cases, np.nan)
    effect[ci] = factual_shift
    data = {
        "case_id": pd.array(cases_ids, dtype="string"),
        "civil_first_instance": civil,
        "complexity_observed": np.where(civil, complexity, np.nan),
        "complexity_hidden": np.where(civil, hidden, np.nan),
        "propensity_simple_track": p_simple,
        "propensity_simple_track_given_hidden": p_simple_full,
        "propensity_fast_track": p_ft,
        "propensity_small_claims": p_sc,
        "eligible_simple_track": elig_simple,
        "eligible_fast_track": elig_ft,
        "eligible_small_claims": elig_sc,
        "months_since_fast_track": months_since_ft,
        "fast_track_cohort": np.where(civil & (cohort >= 0), cohort, np.nan),
        "log_trial_days_base": np.where(civil, log_trial_base, np.nan),
        "effect_log_duration": effect,
    }

    def outcome_columns(o: CivilOutcomes, suffix: str, prefix: str = "") -> None:
        for name in OUTCOMES_STORED:
            data[f"{prefix}{name}{suffix}"] = full(_outcome(o, name))

    outcome_columns(factual, "_factual")
    prefixes = {"triage": "", "fast_track": "fast_track_", "small_claims": "small_claims_"}
    elig = {"triage": elig_simple, "fast_track": elig_ft, "small_claims": elig_sc}
    for comp, (w0, w1) in worlds.items():
        for o, suffix in ((w0, "_0"), (w1, "_1")):
            for name in OUTCOMES_STORED:
                col = full(_outcome(o, name))
                col[~elig[comp]] = np.nan
                data[f"{prefixes[comp]}{name}{suffix}"] = col
    if routed_same_procedure is not None:
        for name in OUTCOMES_STORED:
            col = full(_outcome(routed_same_procedure, name))
            col[~elig_simple] = np.nan
            data[f"direct_{name}_1"] = col
    for key, proc in (("procedure_no_triage", procedure_no_triage), ("procedure_routed", procedure_routed)):
        if proc is not None:
            data[key] = pd.array(np.where(civil, proc, None), dtype="string")
    return pd.DataFrame(data)


OUTCOMES_STORED: tuple[str, ...] = ("duration_days", "closed_within_limit", "appealed",
                                    "reversal_remand", "mediation_withdrawal")


def _outcome(o: CivilOutcomes, name: str) -> np.ndarray:
    return {
        "duration_days": o.duration_days,
        "closed_within_limit": o.within_limit,
        "appealed": o.appealed,
        "reversal_remand": o.reversal_remand,
        "mediation_withdrawal": o.mediation_withdrawal,
    }[name]
