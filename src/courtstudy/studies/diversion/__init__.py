"""What the first diversion (pre-suit mediation, 诉前调解) did: the effect of a court's start of
pre-suit mediation, staggered across courts.

``filings``: court-by-period panels of what reaches the court after the start (filings, the
mean claim), Callaway-Sant'Anna (:func:`courtstudy.studies.fasttrack.did.callaway_santanna`,
not-yet-treated controls). ``cases``: the case-level staggered DiD of the rollout studies on the
filed cases (claim, closing within 180 days, appeal). Both are checked on the synthetic court
against its known truth (:mod:`courtstudy.simulate.mediation`). Not yet here: the triage study
with the mediation stage accounted for (selection of who reaches court), a Monte Carlo of the
case-level estimates, report sections.
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
