"""The true effects of the synthetic court: the parameters a study should recover.

Every effect is a shift of a linear predictor of a civil first-instance case:

* duration: ``log(trial days)`` (before the statutory-limit and calendar mechanics of
  :mod:`courtstudy.simulate.outcomes`, so the realised effect on log duration is close to, not
  exactly, the parameter; ``sim.truth`` holds the realised values);
* mediation/withdrawal, appeal, and reversal/remand given an appeal: log-odds.

The fast-track team effect on log duration grows linearly with the months between the court's
``fast_track_start`` and the case's filing date, from ``fast_track_log_duration_initial`` to
``fast_track_log_duration_full`` after ``fast_track_ramp_months``, and is multiplied by the
court's adoption cohort factor (``fast_track_cohort_scale``, first cohort first; later cohorts
reuse the last factor). Effects that change with time since adoption and differ by cohort are
what makes a two-way fixed-effects regression biased while Callaway-Sant'Anna is not.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

#: Components that :meth:`TrueEffects.without` (and ``SyntheticCourt.counterfactual``) switch off.
COMPONENTS: tuple[str, ...] = ("triage", "fast_track", "small_claims")


@dataclass(frozen=True)
class TrueEffects:
    """Effect parameters of the synthetic court (defaults: the demo court).

    Triage (``track == "simple"``, 繁简分流 simple track), on the treated case:

    * ``triage_log_duration``: shift of log trial days (-0.30: about 26% shorter);
    * ``triage_mediation_withdrawal_logit``: log-odds of closing by mediation or withdrawal;
    * ``triage_appeal_logit``: log-odds of an appeal, given an appealable disposition;
    * ``triage_reversal_logit``: log-odds of modification or remand, given an appeal;
    * ``triage_small_claims_logit``: log-odds of the small-claims procedure for a routed case
      whose claim is eligible, and ``triage_ordinary_logit`` of the ordinary procedure for a
      routed case not heard under small claims (simple cases go to the faster procedures: the
      procedure a routed case would have had without triage is drawn with the same uniform, so
      these shifts only move cases towards small claims / away from ordinary). They make the
      effect of routing against a world with no triage include small claims' finality (no
      appeal). 0 by default (the demo: procedure independent of the track given covariates);
    * ``triage_complex_log_duration``: shift of log trial days of the cases a triaging court
      leaves complex (繁案精审). Non-zero breaks the exclusion restriction of the rollout (Wald)
      design, which assumes starting triage changes a case only by routing it; 0 by default.

    Fast-track team (``team_type == "fast_track"``, 速裁团队): the duration effect ramps from
    ``fast_track_log_duration_initial`` (filed in the adoption month) to
    ``fast_track_log_duration_full`` (``fast_track_ramp_months`` later), times the cohort factor
    ``fast_track_cohort_scale[k]`` of the court's k-th adoption date (0 = earliest); the other
    ``fast_track_*`` fields are constant log-odds shifts as for triage.

    Small claims (``procedure == "small_claims"``, 小额诉讼程序): ``small_claims_log_duration``
    shifts log trial days; ``small_claims_final`` makes the judgment final (single instance, no
    appeal), as the law does.
    """

    triage_log_duration: float = -0.30
    triage_mediation_withdrawal_logit: float = 0.20
    triage_appeal_logit: float = 0.30
    triage_reversal_logit: float = 0.30
    triage_small_claims_logit: float = 0.0
    triage_ordinary_logit: float = 0.0
    triage_complex_log_duration: float = 0.0
    fast_track_log_duration_initial: float = -0.10
    fast_track_log_duration_full: float = -0.40
    fast_track_ramp_months: float = 18.0
    fast_track_cohort_scale: tuple[float, ...] = (1.25, 1.0, 0.8, 0.6)
    fast_track_mediation_withdrawal_logit: float = -0.10
    fast_track_appeal_logit: float = 0.25
    fast_track_reversal_logit: float = 0.40
    small_claims_log_duration: float = -0.25
    small_claims_final: bool = True

    def without(self, component: str = "all") -> TrueEffects:
        """These effects with one component (``"triage"``, ``"fast_track"``,
        ``"small_claims"``) or ``"all"`` switched off (zero shifts, small claims not final)."""
        if component != "all" and component not in COMPONENTS:
            raise ValueError(f"unknown component {component!r}: expected 'all' or one of {COMPONENTS}")
        changes: dict[str, object] = {}
        for f in fields(self):
            name = f.name
            if component != "all" and not name.startswith(component + "_"):
                continue
            if name == "fast_track_ramp_months":
                continue  # a shape, not an effect size
            if name == "fast_track_cohort_scale":
                continue  # multiplies effects that are already zero
            if name == "small_claims_final":
                changes[name] = False
            else:
                changes[name] = 0.0
        return replace(self, **changes)

    def is_zero(self, component: str) -> bool:
        """Whether ``component``'s effects are all switched off."""
        return self.without(component) == self

    def fast_track_log_duration(self, months_since_start: np.ndarray,
                                cohort_index: np.ndarray) -> np.ndarray:
        """Fast-track team shift of log trial days for cases filed ``months_since_start``
        (>= 0, fractional) after their court's adoption, in adoption cohort ``cohort_index``::

            scale[k] * (initial + (full - initial) * min(months / ramp, 1))
        """
        months = np.clip(np.asarray(months_since_start, dtype=float), 0.0, None)
        ramp = max(self.fast_track_ramp_months, 1e-9)
        share = np.minimum(months / ramp, 1.0)
        base = (self.fast_track_log_duration_initial
                + (self.fast_track_log_duration_full - self.fast_track_log_duration_initial) * share)
        scales = np.asarray(self.fast_track_cohort_scale or (1.0,), dtype=float)
        k = np.clip(np.asarray(cohort_index, dtype=int), 0, len(scales) - 1)
        return scales[k] * base

    def table(self) -> list[tuple[str, object]]:
        """``(field, value)`` pairs, for documentation and ``truth.csv`` notes."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]
