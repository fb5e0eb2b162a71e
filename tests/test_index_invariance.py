"""Property-based tests (hypothesis): every public entry point that takes a cases frame gives the
same answer whatever index the frame carries.

Notebook users pass frames they filtered (``cases[cases.court == "甲"]`` keeps its labels),
shuffled (``sort_values`` leaves a permuted index), concatenated without ``ignore_index``
(repeated labels), or indexed by case number (string labels). For each entry point a hostile
version of the synthetic court's cases is drawn, and the result on it must equal the result on
``hostile.reset_index(drop=True)``: the same rows in the same order with a clean RangeIndex.
A failure is a real bug (label-based ``.loc``, a Series assignment aligning on the index, a
groupby result joined back by label ...).

Every test first runs fixed examples (each kind for the cheap entry points; for the slow ones
"mixed": filtered, shuffled and repeated string labels at once, and kinds that once failed), then
hypothesis' draws of kind and seed. Examples are few and the slow studies get one draw: the whole
file is meant to add under a minute to the suite on two cores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal, assert_series_equal

from courtstudy.core.periods import parse_period
from courtstudy.indicators import IndicatorEngine, overview
from courtstudy.monitoring import deadlines, extension_audit, project_year_end
from courtstudy.monitoring.bulletin import bulletin
from courtstudy.simulate import simulate_court

KINDS = ("filtered", "shuffled", "repeated", "string", "by_court", "descending", "mixed")
PERIOD = parse_period("2023Q4")

kinds = st.sampled_from(KINDS)
seeds = st.integers(0, 2**32 - 1)


def quick(n: int):
    """Hypothesis settings for an entry point: ``n`` examples, no deadline (the studies take
    seconds), the module fixture allowed."""
    return settings(max_examples=n, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def every_kind(test):
    """Run each hostile kind once (seed 0) before hypothesis' draws: for the cheap entry points."""
    for kind in KINDS:
        test = example(kind=kind, seed=0)(test)
    return test


@pytest.fixture(scope="module")
def sim():
    return simulate_court(scale=0.03)


def hostile(cases: pd.DataFrame, kind: str, seed: int) -> pd.DataFrame:
    """``cases`` with an index a notebook user could leave on it (the rows themselves are
    whatever that operation keeps: a tenth dropped, or all of them, possibly reordered)."""
    rng = np.random.default_rng(seed)
    n = len(cases)
    if kind == "filtered":                      # cases[mask]: about 10% dropped, labels kept
        return cases[rng.random(n) >= 0.1]
    if kind == "shuffled":                      # rows permuted, each keeping its label
        return cases.iloc[rng.permutation(n)]
    if kind == "repeated":                      # pd.concat([a, b]) without ignore_index
        cut = int(rng.integers(n // 4, 3 * n // 4))
        return pd.concat([cases.iloc[:cut].reset_index(drop=True),
                          cases.iloc[cut:].reset_index(drop=True)])
    if kind == "string":                        # indexed by case number, the column kept
        return cases.set_index("case_id", drop=False)
    if kind == "by_court":                      # indexed by court for .loc["甲"]: repeated strings
        return cases.set_index("court", drop=False)
    if kind == "descending":
        return cases.set_axis(pd.RangeIndex(3 * n, 0, -3), axis=0)
    if kind == "mixed":                         # all at once: filtered, shuffled, repeated strings
        kept = cases.iloc[rng.permutation(n)][rng.random(n) >= 0.1]
        half = (len(kept) + 1) // 2
        return kept.set_axis(pd.Index([f"r{i % half}" for i in range(len(kept))], dtype=object), axis=0)
    raise ValueError(kind)


def both(cases: pd.DataFrame, kind: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = hostile(cases, kind, seed)
    return frame, frame.reset_index(drop=True)


def same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal as tables of rows (for outputs whose index is only row positions)."""
    assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def same_values(got: pd.DataFrame, want: pd.DataFrame, labels_of: pd.DataFrame) -> None:
    """Outputs that carry the input's labels on purpose (one row per input case): the labels
    must be the hostile frame's own, and the values those of the clean run."""
    assert got.index.isin(labels_of.index).all()
    same_frame(got, want)


# --- indicators -------------------------------------------------------------------------------
@quick(2)
@given(kind=kinds, seed=seeds)
@example(kind="mixed", seed=0)
def test_engine_compute(sim, kind, seed):
    frame, clean = both(sim.cases, kind, seed)
    periods = [PERIOD, PERIOD.shift("yoy")]

    def run(cases):
        engine = IndicatorEngine(cases, courts=sim.courts, as_of=sim.as_of)   # as notebook 02
        return engine.compute(by=["court", "team"], period=periods, horizon=300)

    same_frame(run(frame), run(clean))


@quick(5)
@given(kind=kinds, seed=seeds)
@every_kind
def test_overview_pending_lists_and_curves(sim, kind, seed):
    frame, clean = both(sim.cases, kind, seed)
    end, as_of = PERIOD.end, sim.as_of
    same_frame(overview.pending_age_profile(frame, end, as_of, "court", "zh"),
               overview.pending_age_profile(clean, end, as_of, "court", "zh"))
    same_frame(overview.long_pending_list(frame, end, as_of, 12, "zh"),
               overview.long_pending_list(clean, end, as_of, 12, "zh"))
    cohorts = {PERIOD.label: PERIOD, PERIOD.shift("yoy").label: PERIOD.shift("yoy")}
    same_frame(overview.km_curves(frame, cohorts, as_of), overview.km_curves(clean, cohorts, as_of))
    same_frame(overview.km_curves(frame, cohorts, as_of, by="track"),
               overview.km_curves(clean, cohorts, as_of, by="track"))


# --- monitoring -------------------------------------------------------------------------------
@quick(5)
@given(kind=kinds, seed=seeds, method=st.sampled_from(["stock", "ets"]))
@example(kind="mixed", seed=0, method="stock")
@example(kind="mixed", seed=0, method="ets")
def test_project_year_end(sim, kind, seed, method):
    frame, clean = both(sim.cases, kind, seed)
    origin = min(PERIOD.end, sim.as_of)

    def run(cases):
        return project_year_end(cases, origin, as_of=sim.as_of, by="court", method=method, n_draws=500,
                                targets="clearance_rate≥1,disposition_rate≥0.9", courts=sim.courts)

    got, want = run(frame), run(clean)
    same_frame(got.table, want.table)
    same_frame(got.targets, want.targets)
    same_frame(got.components, want.components)


@quick(2)
@given(kind=kinds, seed=seeds)
@example(kind="mixed", seed=0)
def test_bulletin(sim, kind, seed):
    frame, clean = both(sim.cases, kind, seed)
    got = bulletin(frame, PERIOD, as_of=sim.as_of, by="court", courts=sim.courts)   # as notebook 06
    want = bulletin(clean, PERIOD, as_of=sim.as_of, by="court", courts=sim.courts)
    same_frame(got.table, want.table)
    assert_series_equal(got.totals, want.totals)
    same_frame(got.watch.summary, want.watch.summary)
    same_frame(got.watch.cases, want.watch.cases)
    same_frame(deadlines.labelled_cases(deadlines.urgent(got.watch.cases), "zh"),
               deadlines.labelled_cases(deadlines.urgent(want.watch.cases), "zh"))


@quick(5)
@given(kind=kinds, seed=seeds)
@every_kind
def test_deadlines(sim, kind, seed):
    frame, clean = both(sim.cases, kind, seed)
    # deadline_status keeps each pending case's own label (a per-case frame of the input's rows)
    status = deadlines.deadline_status(frame, PERIOD.end)
    same_values(status, deadlines.deadline_status(clean, PERIOD.end), frame)
    watch, watch_clean = (deadlines.deadline_watch(c, PERIOD.end, by=["court", "team"]) for c in (frame, clean))
    same_frame(watch.summary, watch_clean.summary)
    same_frame(watch.cases, watch_clean.cases)
    same_frame(deadlines.labelled_cases(deadlines.urgent(watch.cases), "en"),
               deadlines.labelled_cases(deadlines.urgent(watch_clean.cases), "en"))


@quick(1)
@given(kind=kinds, seed=seeds)
@every_kind
def test_audit_extensions(sim, kind, seed):
    frame, clean = both(sim.cases, kind, seed)
    window = extension_audit.twelve_months_to(PERIOD.end)
    got = extension_audit.audit_extensions(frame, as_of=sim.as_of, period=window)   # as notebook 07
    want = extension_audit.audit_extensions(clean, as_of=sim.as_of, period=window)
    same_frame(got.flags, want.flags)
    same_frame(got.counts, want.counts)
    same_frame(got.bunching, want.bunching)
    assert got.checked == want.checked
    assert got.funnels.keys() == want.funnels.keys()
    for measure, levels in got.funnels.items():
        assert levels.keys() == want.funnels[measure].keys()
        for level, funnel in levels.items():
            same_frame(funnel.table, want.funnels[measure][level].table)
    # the examined cases keep the input's labels (one row per examined input case)
    same_values(got.cases, want.cases, frame)


# --- studies ----------------------------------------------------------------------------------
@quick(1)
@given(kind=kinds, seed=seeds)
@example(kind="mixed", seed=0)
@example(kind="by_court", seed=0)
def test_triage_study(sim, kind, seed):
    from courtstudy.studies.triage import run_triage_study

    frame, clean = both(sim.cases, kind, seed)

    def run(cases):
        return run_triage_study(cases, sim.courts, as_of=sim.as_of, cox=False, sensitivity=False,
                                randomization=False, crosscheck=False, seed=1)

    got, want = run(frame), run(clean)
    same_frame(got.tidy(), want.tidy())
    same_frame(got.diagnostics["accounting"], want.diagnostics["accounting"])


@quick(2)
@given(kind=kinds, seed=seeds)
@example(kind="mixed", seed=0)
def test_small_claims_rd(sim, kind, seed):
    from courtstudy.studies.triage.rd import small_claims_rd

    frame, clean = both(sim.cases, kind, seed)
    got = small_claims_rd(frame, sim.courts, as_of=sim.as_of)
    want = small_claims_rd(clean, sim.courts, as_of=sim.as_of)
    same_frame(got.tidy(), want.tidy())
    assert got.diagnostics["density"] == want.diagnostics["density"]


@quick(1)
@given(kind=kinds, seed=seeds)
@example(kind="mixed", seed=0)
def test_fast_track_study(sim, kind, seed):
    from courtstudy.studies.fasttrack import run_fast_track_study

    frame, clean = both(sim.cases, kind, seed)

    def run(cases):
        # one panel outcome and no resampling keep it to seconds (the case-level headline still
        # builds its sample and runs on every case-level outcome)
        return run_fast_track_study(cases, sim.courts, as_of=sim.as_of, outcomes=("closed_90",),
                                    power_reps=0, honest=False, wild_bootstrap=False, randomization=False,
                                    twfe_compare=False, other_control_group=False)

    got, want = run(frame), run(clean)
    same_frame(got.tidy(), want.tidy())
    same_frame(got.panel.data, want.panel.data)
