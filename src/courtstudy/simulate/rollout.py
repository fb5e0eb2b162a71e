"""The civil first-instance cases of a synthetic court in two paired worlds, fast.

Monte Carlo work on rollout studies needs thousands of synthetic courts, each in the factual
world and in the paired world where a reform had no effect (same draws). :func:`simulate_rollout`
runs the generator's steps up to the outcomes (:mod:`courtstudy.simulate.generator`) and skips
what those studies do not read (case numbers, judges, teams, other case types, the latent
table), about five times faster than :func:`~courtstudy.simulate.simulate_court` followed by
``counterfactual()``. The frames hold the canonical columns a rollout study reads, with the
values ``simulate_court`` gives (tested): ``court``, ``case_type``, ``instance``, ``cause``,
``procedure``, ``track``, ``filed_date``, ``closed_date`` (empty when closed after ``as_of``),
``disposition``, ``claim_amount``, ``n_parties``; and ``fast_track_team`` (the case was heard by
a fast-track team).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from courtstudy.core import schema
from courtstudy.simulate import catalogue
from courtstudy.simulate.calendar import NA_DAY, to_datetime
from courtstudy.simulate.effects import TrueEffects
from courtstudy.simulate.generator import SimulationSettings, _checked_settings, _civil_run
from courtstudy.simulate.outcomes import DISPOSITIONS, CivilOutcomes


@dataclass(frozen=True)
class RolloutWorlds:
    """Civil first-instance cases of one synthetic court: ``factual`` (the effects as given),
    ``no_effect`` (the same cases with ``component``'s effects switched off), the ``courts``
    table (court, triage_start, fast_track_start) and the snapshot date ``as_of``."""

    factual: pd.DataFrame
    no_effect: pd.DataFrame
    courts: pd.DataFrame
    as_of: pd.Timestamp
    component: str
    settings: SimulationSettings


def _frame(courts: dict, filings, cov, assignment, ci: np.ndarray, outcome: CivilOutcomes,
           as_of_day: int) -> pd.DataFrame:
    closed = outcome.closed
    is_closed = closed <= as_of_day
    disp = np.array(DISPOSITIONS, dtype=object)[outcome.disposition]
    cause = np.array([c.name for c in catalogue.CAUSES], dtype=object)[cov.cause_idx[ci]]
    track = np.where(assignment.elig_simple[ci], np.where(assignment.simple[ci], "simple", "complex"),
                     None)
    frame = pd.DataFrame({
        "court": courts["name"][filings.court_idx[ci]],
        "case_type": "civil",
        "instance": "first",
        "cause": cause,
        "procedure": assignment.procedure[ci],
        "track": track,
        "filed_date": to_datetime(filings.filed[ci]),
        "closed_date": to_datetime(np.where(is_closed, closed, NA_DAY)),
        "disposition": np.where(is_closed, disp, None),
        "claim_amount": cov.amount[ci],
        "n_parties": cov.n_parties[ci],
        "fast_track_team": assignment.fast[ci],
    })
    for col in ("court", "case_type", "instance", "cause", "procedure", "track", "disposition"):
        frame[col] = frame[col].astype(schema.CASE_DTYPES.get(col, "string"))
    return frame


def simulate_rollout(seed: int = 20240101, scale: float = 1.0, n_courts: int = 12, *,
                     component: str = "fast_track", effects: TrueEffects | None = None,
                     start: str = "2019-01-01", end: str = "2023-12-31", as_of: str = "2024-03-31",
                     hidden_confounding: float = 0.0, n_never_fast_track: int | None = None,
                     one_court_per_cohort: bool = False,
                     fast_track_offsets_months: Sequence[int] | None = None,
                     court_month_shock_sd: float = 0.0, court_month_shock_rho: float = 0.5,
                     ) -> RolloutWorlds:
    """The civil first-instance cases of :func:`~courtstudy.simulate.simulate_court` with the
    same arguments, in the factual world and in the world without ``component``'s effects
    ("triage", "fast_track" or "small_claims"); see the module docstring."""
    if component not in ("triage", "fast_track", "small_claims"):
        raise ValueError(f"component must be 'triage', 'fast_track' or 'small_claims', got {component!r}")
    effects = TrueEffects() if effects is None else effects
    settings = _checked_settings(SimulationSettings(
        seed=seed, scale=scale, n_courts=n_courts, start=start, end=end, as_of=as_of,
        hidden_confounding=hidden_confounding, bunching=0.0,
        n_never_fast_track=n_never_fast_track, one_court_per_cohort=one_court_per_cohort,
        fast_track_offsets_months=fast_track_offsets_months,
        court_month_shock_sd=court_month_shock_sd, court_month_shock_rho=court_month_shock_rho))
    run = _civil_run(settings, effects)
    courts, filings, cov, assignment, civil = (run.courts, run.filings, run.covariates,
                                               run.assignment, run.civil)
    span = run.span
    # the world without the component: its potential world "off" (the outcomes module's
    # common random numbers make it equal simulate_court(effects=effects.without(component)))
    no_effect = civil.worlds[component][0]
    factual = _frame(courts, filings, cov, assignment, civil.ci, civil.factual, span.as_of_day)
    plain = _frame(courts, filings, cov, assignment, civil.ci, no_effect, span.as_of_day)
    table = pd.DataFrame({
        "court": pd.array(courts["name"], dtype="string"),
        "triage_start": to_datetime(courts["triage_day"]),
        "fast_track_start": to_datetime(courts["fast_track_day"]),
    })
    return RolloutWorlds(factual=factual, no_effect=plain, courts=table,
                         as_of=pd.Timestamp(settings.as_of), component=component, settings=settings)
