"""Both studies follow one contract (courtstudy.studies.results): the same tidy columns with the
estimand, one naming scheme for figures, interval labels from alpha, a repr in the chosen
language."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from courtstudy.core import text  # noqa: E402
from courtstudy.report.notebook import NAME_PATTERN  # noqa: E402
from courtstudy.simulate import simulate_court  # noqa: E402
from courtstudy.studies.fasttrack import run_fast_track_study  # noqa: E402
from courtstudy.studies.results import STUDY_COLUMNS  # noqa: E402
from courtstudy.studies.triage import run_triage_study  # noqa: E402


@pytest.fixture(scope="module")
def studies():
    sim = simulate_court(seed=7, scale=0.05)
    triage = run_triage_study(sim.cases, sim.courts, as_of=sim.as_of, cox=False,
                              outcomes=("days_capped", "appealed"))
    fast = run_fast_track_study(sim.cases, sim.courts, as_of=sim.as_of, outcomes=("rmst",),
                                power_reps=0, alpha=0.1)
    return triage, fast


def test_same_tidy_columns_with_estimand(studies):
    for study in studies:
        tidy = study.tidy()
        assert tuple(tidy.columns[:len(STUDY_COLUMNS)]) == STUDY_COLUMNS, study.study
        assert (tidy["estimand"].astype(str) != "").all(), study.study
        assert tidy["preferred"].dtype == bool


def test_figures_follow_one_naming_scheme(studies):
    for study in studies:
        figures = study.figures("en")
        assert figures, study.study
        for name, fig in figures.items():
            assert name.startswith(study.study + "_") and NAME_PATTERN.match(name), name
            plt.close(fig)


def test_interval_labels_from_alpha_and_repr_language(studies):
    triage, fast = studies
    assert triage.interval_labels("zh") == ("95%置信下限", "95%置信上限")
    assert fast.interval_labels("en") == ("90% CI low", "90% CI high")
    assert "90% CI" in fast.summary("en") and "90%置信区间" in fast.summary("zh")
    before = text.language()
    try:
        text.set_language("en")
        assert "Effect of" in repr(triage)
        text.set_language("zh")
        assert "的效应" in repr(triage)
    finally:
        text.set_language(before)
