"""What the first diversion (pre-suit mediation, 诉前调解) did: the effect of a court's start of
pre-suit mediation, staggered across courts, and the triage study with the mediation stage
accounted for.

``filings``: court-by-period panels of what reaches the court after the start (filings, the
mean claim), Callaway-Sant'Anna (:func:`courtstudy.studies.fasttrack.did.callaway_santanna`,
not-yet-treated controls), with randomisation inference over start dates
(:func:`filings_randomization`: the interval the report uses, the court-clustered one
under-covers with a dozen courts). ``cases``: the case-level staggered DiD of the rollout
studies on the filed cases (claim, closing within 180 days, appeal; a concurrent reform's cases
can be left out). ``triage_regimes``: triage's like-for-like effect within the cases filed
before and after each court's mediation start, their difference (Holm-adjusted test) and the
mix of cases reaching the triage desk in each regime. All are checked on the synthetic court
against its known truth (:mod:`courtstudy.simulate.mediation`, tests/test_diversion_study.py);
the filings and filed-case estimates by a Monte Carlo (benchmarks/diversion_montecarlo.py,
docs/diversion_montecarlo.md). Notebook 03's last section (:mod:`courtstudy.report.diversion_study`)
shows them. Not here: a rollout (Wald-DiD) estimate of triage split by mediation regime (triage
started before mediation in the courts we model, so the after-mediation cells have no untriaged
comparison), and a model of who settles that would split the filed cases' change into who is
filed and how they are handled.
"""

from courtstudy.studies.diversion.cases import (
    CASE_OUTCOMES,
    filed_case_data,
    filed_case_effects,
    filed_case_sample,
)
from courtstudy.studies.diversion.filings import (
    PANEL_OUTCOMES,
    filings_panel,
    filings_randomization,
    mediation_start_effects,
    mediation_starts,
)

__all__ = ["CASE_OUTCOMES", "filed_case_data", "filed_case_effects", "filed_case_sample", "PANEL_OUTCOMES",
           "filings_panel", "filings_randomization", "mediation_start_effects", "mediation_starts"]
