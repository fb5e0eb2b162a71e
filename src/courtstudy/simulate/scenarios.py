"""Named settings of the synthetic court for the triage study's checks (issue 11).

:func:`triage_scenario` gives the keyword arguments of
:func:`courtstudy.simulate.simulate_court` for a court where triage works as in real courts:

* routing (the 分流员's decision) depends on a complexity the export does not record
  (``complexity_hidden``, always: the simulator's copula); with ``hidden=True`` that complexity
  also lengthens trials (``hidden_confounding``), raises appeals and reversals, and makes
  settlement less likely (``hidden_mediation``): the confounding no adjustment for recorded
  covariates can remove. With ``hidden=False`` it drives routing only (no confounding);
* a routed case goes to the faster procedures: small claims for an eligible claim (log-odds
  +2.5) and less often ordinary procedure (-1.0), so routing's effect on appeals against a world
  without triage includes small claims' finality (一审终审); triage itself does not change the
  propensity to appeal a judgment (``triage_appeal_logit = 0``);
* ``courts="demo"``: the demo's courts (12, triage starting at -6, 0, +2, +3, +5 months, one never);
  ``courts="few"``: six courts, one per start date (+6, +12, +18, +24, +30 months) and one
  never starting, fast-track teams from month 36 so that the two reforms do not overlap in the
  first three years.

``exclusion_violation`` (log trial days of the cases a triaging court leaves complex) breaks the
exclusion restriction of the rollout design on purpose, for the tests of its partial test and bound.
``court_month_shocks`` (sd on log trial days, AR(1) 0.5 within a court: a judge leaving, a
clearance drive) adds what real courts have and the case-level variance misses; the fast-track
Monte Carlo's "shocks" scenario uses 0.10.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from courtstudy.simulate.effects import TrueEffects

#: Effects of routing in the scenario: the demo's, plus the procedure response, minus any direct
#: effect on the propensity to appeal.
ROUTING_EFFECTS = TrueEffects(triage_small_claims_logit=2.5, triage_ordinary_logit=-1.0,
                              triage_appeal_logit=0.0)
HIDDEN_CONFOUNDING = 0.5
HIDDEN_MEDIATION = 0.5
COURT_STRUCTURES: dict[str, dict[str, Any]] = {
    "demo": {},
    "few": {"n_courts": 6, "triage_offsets_months": (6, 12, 18, 24, 30), "n_never_triage": 1,
            "fast_track_offsets_months": (36, 42, 48, 54), "n_never_fast_track": 2},
}


def triage_scenario(hidden: bool = True, courts: str = "demo", exclusion_violation: float = 0.0,
                    effects: TrueEffects | None = None, court_month_shocks: float = 0.0) -> dict[str, Any]:
    """Keyword arguments of :func:`~courtstudy.simulate.simulate_court` (add ``seed`` and
    ``scale``) for the triage scenario described in the module docstring."""
    if courts not in COURT_STRUCTURES:
        raise ValueError(f"courts must be one of {tuple(COURT_STRUCTURES)}, got {courts!r}")
    effects = ROUTING_EFFECTS if effects is None else effects
    if exclusion_violation:
        effects = replace(effects, triage_complex_log_duration=float(exclusion_violation))
    return {"effects": effects, "hidden_confounding": HIDDEN_CONFOUNDING if hidden else 0.0,
            "hidden_mediation": HIDDEN_MEDIATION if hidden else 0.0, "court_month_shock_sd": float(court_month_shocks),
            **COURT_STRUCTURES[courts]}
