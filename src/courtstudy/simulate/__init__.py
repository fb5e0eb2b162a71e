"""The synthetic court: case-management data of several courts with known true effects.

>>> from courtstudy.simulate import simulate_court, TrueEffects
>>> sim = simulate_court(seed=1, scale=0.05)
>>> sim.truth.query("study == 'triage' and outcome == 'log_duration'")  # doctest: +SKIP

See :func:`simulate_court` (the generator and its formulas), :class:`TrueEffects` (the effect
parameters), :mod:`courtstudy.simulate.truth` (the truth table) and ``data/README.md``.
"""

from __future__ import annotations

from courtstudy.simulate.effects import COMPONENTS, TrueEffects
from courtstudy.simulate.generator import (
    GENERATOR_VERSION,
    LATENT_DOC,
    SimulationSettings,
    SyntheticCourt,
    simulate_court,
)
from courtstudy.simulate.scenarios import triage_scenario
from courtstudy.simulate.truth import OUTCOMES, TRUTH_COLUMNS

__all__ = ["COMPONENTS", "GENERATOR_VERSION", "LATENT_DOC", "OUTCOMES", "TRUTH_COLUMNS",
           "SimulationSettings", "SyntheticCourt", "TrueEffects", "simulate_court", "triage_scenario"]
