"""The fast-track study on the synthetic court, whose true effects are known.

Truth for a court-period panel is panel(sim) - panel(sim.counterfactual("fast_track")): the same
cases with the fast-track team's effects switched off, every other random draw equal. The
Callaway-Sant'Anna simple and dynamic aggregates target the mean of that difference over treated
court-periods (simple: each cell weighted by its cohort's size) and over treated courts at each
event time. Tolerances are the estimators' own 95% intervals (seeded simulation, deterministic).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.simulate import simulate_court
from courtstudy.studies.fasttrack import (
    build_court_panel,
    callaway_santanna,
    pick_its_court,
    placebo_test,
    run_fast_track_study,
    simple_att_fast,
    twfe,
    twfe_weights,
)
from courtstudy.studies.fasttrack.did import prepare_did_data

DURATION_OUTCOMES = ("rmst", "log_duration", "closed_90")


@pytest.fixture(scope="module")
def sim():
    return simulate_court(seed=20240101, scale=0.2)


@pytest.fixture(scope="module")
def panels(sim):
    outcomes = ("closed_90", "rmst", "log_duration", "appeal_rate", "mediation_withdrawal_rate")
    real = build_court_panel(sim.cases, sim.courts, as_of=sim.as_of, outcomes=outcomes)
    cf_sim = sim.counterfactual("fast_track")
    cf = build_court_panel(cf_sim.cases, cf_sim.courts, as_of=cf_sim.as_of, outcomes=outcomes)
    truth = real.data[["court", "t", "cohort", "treated"]].copy()
    for o in outcomes:
        truth[o] = real.data[o] - cf.data[o]
    return real, truth


def test_counterfactual_panel_differs_only_where_treated(panels):
    _, truth = panels
    untreated = truth[truth["treated"] == 0]
    assert np.nanmax(np.abs(untreated[["rmst", "log_duration", "closed_90"]].to_numpy())) == 0.0
    # teams shorten durations in the synthetic court
    assert truth.loc[truth["treated"] == 1, "log_duration"].mean() < -0.1


@pytest.mark.parametrize("outcome", DURATION_OUTCOMES)
def test_callaway_santanna_recovers_true_effects(panels, outcome):
    panel, truth = panels
    res = callaway_santanna(panel.data, outcome, control_group="notyettreated",
                            base_period="universal", min_event_time=-12, max_event_time=24)
    t = res.tidy()
    treated = truth[truth["treated"] == 1]
    simple = t[(t["aggregation"] == "simple")].iloc[0]
    assert simple["ci_low"] <= treated[outcome].mean() <= simple["ci_high"]
    ev = t[(t["aggregation"] == "dynamic") & (t["term"] == "event") & (t["event_time"] >= 0)]
    treated = treated.assign(e=treated["t"] - treated["cohort"])
    true_e = treated.groupby("e")[outcome].mean()
    merged = ev.set_index("event_time").join(true_e.rename("truth"), how="inner")
    assert len(merged) == 25  # event times 0..24
    covered = (merged["ci_low"] <= merged["truth"]) & (merged["truth"] <= merged["ci_high"])
    assert covered.mean() >= 0.85
    dyn_overall = t[(t["aggregation"] == "dynamic") & (t["term"] == "overall")].iloc[0]
    assert dyn_overall["ci_low"] <= merged["truth"].mean() <= dyn_overall["ci_high"]
    assert res.diagnostics["pretrend"]["p_value"] > 0.05  # no pre-trends were simulated


@pytest.mark.parametrize("outcome", ("rmst", "log_duration"))
def test_twfe_is_biased_by_growing_effects(panels, outcome):
    # By de Chaisemartin & D'Haultfoeuille (2020) TWFE estimates sum w_it tau_it; on the true
    # effects this is free of sampling noise, so its distance from the ATT is the bias itself.
    panel, truth = panels
    w = twfe_weights(panel.data).merge(truth[["court", "t", outcome]], on=["court", "t"])
    twfe_target = float((w["weight"] * w[outcome]).sum())
    att = truth.loc[truth["treated"] == 1, outcome].mean()
    assert abs(twfe_target - att) > 0.25 * abs(att)  # attenuated by forbidden comparisons
    assert abs(twfe_target) < abs(att)
    assert (w["weight"] < 0).sum() > 0
    res = twfe(panel.data, outcome)
    assert res.diagnostics["n_negative_weights"] == int((w["weight"] < 0).sum())


def test_placebo_finds_nothing(panels):
    # Fake adoption dates 3, 6 and 9 months early, pre-adoption data only, three outcomes: nine
    # permutation tests at the 5% level of a true null, so about 0.45 rejections expected;
    # allow one. (The analytic Wald p-value is oversized with 3 placebo-treated courts.)
    panel, _ = panels
    rejections = []
    for outcome in DURATION_OUTCOMES:
        for shift in (3, 6, 9):
            res = placebo_test(panel.data, outcome, shift=shift)
            simple = res.tidy().query("aggregation == 'simple'").iloc[0]
            if res.diagnostics["permutation_p_value"] < 0.05:
                rejections.append((outcome, shift, simple["p_value"]))
            assert res.diagnostics["placebo"]["n_periods"] == 18  # 2019-01 .. 2020-06
    assert len(rejections) <= 1, rejections


def test_study_on_small_simulation_is_complete_and_deterministic():
    small = simulate_court(seed=7, scale=0.05)
    court = small.courts.dropna(subset=["fast_track_start"])["court"].iloc[0]
    kw = dict(as_of=small.as_of, outcomes=("rmst", "appeal_rate"), power_reps=100,
              its_court=court, honest=False, ri_draws=199)
    a = run_fast_track_study(small.cases, small.courts, **kw)
    b = run_fast_track_study(small.cases, small.courts, **kw)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    table = a.tidy()
    for col in ("outcome", "method", "aggregation", "event_time", "estimate", "std_error",
                "ci_low", "ci_high"):
        assert col in table.columns
    assert set(table["method"]) == {"imputation (BJS)", "Callaway-Sant'Anna (repeated cross-sections)",
                                    "callaway_santanna", "twfe", "placebo_callaway_santanna", "its"}
    assert table.groupby("outcome")["preferred"].sum().to_dict() == {"rmst": 1, "appeal_rate": 1}
    assert set(a.power) == {"rmst", "appeal_rate"} and a.power["rmst"].mde > 0
    assert a.panel.n_dropped_periods == 6
    assert court in a.summary("zh") and "two-way" in a.summary("en")
    assert "负" in a.twfe_explanation("zh") and "negative" in a.twfe_explanation("en")
    cohorts = a.panel.cohorts()
    earliest = cohorts[cohorts["cohort"] > 0].sort_values(["cohort", "court"])["court"].iloc[0]
    assert pick_its_court(a.panel) == earliest
    with pytest.raises(ValueError, match="its_court '无此法院' is not in the data"):
        run_fast_track_study(small.cases, small.courts, as_of=small.as_of, outcomes=("rmst",),
                             power_reps=0, its_court="无此法院")


def test_wrapper_agrees_with_independent_estimator_when_controls_are_scarce():
    # Small courts: some months have no filings, courts drop out, late cells have one control.
    # moderndid's "reg" route silently dropped such cells; the wrapper must not.
    small = simulate_court(seed=7, scale=0.05)
    panel = build_court_panel(small.cases, small.courts, as_of=small.as_of, outcomes=("rmst",))
    res = callaway_santanna(panel.data, "rmst", control_group="notyettreated",
                            aggregations=("simple",))
    assert res.diagnostics["failed_cells"] == []
    frame, _ = prepare_did_data(panel.data, "rmst", unit="court", time="t", cohort="cohort")
    wide = frame.pivot(index="court", columns="t", values="rmst").sort_index()
    cohorts = frame.drop_duplicates("court").set_index("court").loc[wide.index, "cohort"]
    est, se = simple_att_fast(wide.to_numpy(), cohorts.to_numpy(), control_group="notyettreated")
    simple = res.tidy().query("aggregation == 'simple'").iloc[0]
    assert simple["estimate"] == pytest.approx(est, abs=1e-8)
    assert simple["std_error"] == pytest.approx(se, rel=1e-6)
