"""The fast-track team study (速裁团队): staggered adoption across courts.

Court-by-period panels of filing cohorts (:mod:`.panel`), Callaway-Sant'Anna difference in
differences (:mod:`.did`), two-way fixed effects as the comparison that can mislead
(:mod:`.twfe`), placebo adoption dates (:mod:`.placebo`), interrupted time series for one court
(:mod:`.its`), minimum detectable effects (:mod:`.power`) and the whole study (:mod:`.study`).
"""

from courtstudy.studies.fasttrack.did import callaway_santanna, pretrend_wald, simple_att_fast
from courtstudy.studies.fasttrack.its import interrupted_time_series
from courtstudy.studies.fasttrack.panel import (
    OUTCOMES,
    CourtPanel,
    build_court_panel,
    outcome_label,
    parse_outcomes,
)
from courtstudy.studies.fasttrack.placebo import placebo_test, placebo_window
from courtstudy.studies.fasttrack.power import PowerResult, minimum_detectable_effect
from courtstudy.studies.fasttrack.study import FastTrackStudy, pick_its_court, run_fast_track_study
from courtstudy.studies.fasttrack.twfe import saturated_event_study, twfe, twfe_weights

__all__ = [
    "OUTCOMES",
    "CourtPanel",
    "FastTrackStudy",
    "PowerResult",
    "build_court_panel",
    "callaway_santanna",
    "interrupted_time_series",
    "minimum_detectable_effect",
    "outcome_label",
    "parse_outcomes",
    "pick_its_court",
    "placebo_test",
    "placebo_window",
    "pretrend_wald",
    "run_fast_track_study",
    "saturated_event_study",
    "simple_att_fast",
    "twfe",
    "twfe_weights",
]
