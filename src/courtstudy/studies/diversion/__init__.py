"""What the first diversion (pre-suit mediation, 诉前调解) did: the effect of a court's start of
pre-suit mediation, staggered across courts.

First piece (this module): court-by-period panels of what reaches the court after the start,
estimated by Callaway-Sant'Anna (:func:`courtstudy.studies.fasttrack.did.callaway_santanna`,
not-yet-treated controls) and checked on the synthetic court against its known truth
(:mod:`courtstudy.simulate.mediation`). Not yet here: the case-level staggered DiD of durations
and appeals of filed cases, and the triage study with the mediation stage accounted for.
"""

from courtstudy.studies.diversion.filings import (
    PANEL_OUTCOMES,
    filings_panel,
    mediation_start_effects,
    mediation_starts,
)

__all__ = ["PANEL_OUTCOMES", "filings_panel", "mediation_start_effects", "mediation_starts"]
