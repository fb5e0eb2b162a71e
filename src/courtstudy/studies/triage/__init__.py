"""Case-level causal study of triage (繁简分流) and fast-track teams (速裁团队).

Public entry points (see each module's docstring for formulas and references):

* :func:`run_triage_study` - everything on one sample (:mod:`.study`);
* :func:`build_sample` - the analysis sample and outcomes from canonical cases (:mod:`.sample`);
* :func:`estimate_effects`, :func:`survival_effects` - the estimators on a sample;
* :mod:`.estimators`, :mod:`.propensity`, :mod:`.survival`, :mod:`.diagnostics`,
  :mod:`.sensitivity`, :mod:`.rd`, :mod:`.heterogeneity` - the building blocks.
"""

from __future__ import annotations

from courtstudy.studies.triage.sample import AnalysisSample, build_sample
from courtstudy.studies.triage.study import (
           TriageStudy,
           estimate_effects,
           run_triage_study,
           survival_effects,
)

__all__ = ["AnalysisSample", "TriageStudy", "build_sample", "estimate_effects", "run_triage_study",
           "survival_effects"]
