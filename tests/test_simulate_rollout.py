"""The synthetic court's rollout settings (issue 10): few courts, one court per adoption date,
courts never adopting, court-by-month shocks, and the paired world without the teams' effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.simulate import simulate_court

SCALE = 0.03


def _starts(sim) -> pd.Series:
    return sim.courts.drop_duplicates("court").set_index("court")["fast_track_start"]


def test_default_schedule_is_the_demo_schedule():
    sim = simulate_court(seed=5, scale=SCALE)
    explicit = simulate_court(seed=5, scale=SCALE, n_never_fast_track=3,
                              fast_track_offsets_months=(18, 24, 30, 36))
    pd.testing.assert_frame_equal(sim.cases, explicit.cases)
    starts = _starts(sim)
    assert starts.isna().sum() == 3
    assert sorted(starts.dropna().unique()) == [pd.Timestamp(d) for d in
                                                ("2020-07-01", "2021-01-01", "2021-07-01", "2022-01-01")]


@pytest.mark.parametrize(("n_courts", "n_never", "months"), [
    (4, 1, (18, 24, 30)),
    (6, 2, (18, 24, 30, 36)),
    (12, 2, (18, 21, 23, 26, 29, 31, 34, 37, 39, 42)),
])
def test_one_court_per_adoption_date(n_courts, n_never, months):
    sim = simulate_court(seed=11, scale=0.01, n_courts=n_courts, n_never_fast_track=n_never,
                         one_court_per_cohort=True)
    starts = _starts(sim)
    assert len(starts) == n_courts
    assert starts.isna().sum() == n_never
    adopted = starts.dropna()
    assert adopted.is_unique
    expected = [pd.Timestamp("2019-01-01") + pd.DateOffset(months=m) for m in months]
    assert sorted(adopted) == expected
    # every adopting court is its own cohort in the latent table too
    cohorts = sim.latent.groupby(sim.cases["court"])["fast_track_cohort"].first().dropna()
    assert cohorts.is_unique and len(cohorts) == n_courts - n_never


def test_explicit_dates_and_their_checks():
    sim = simulate_court(seed=2, scale=0.01, n_courts=5, n_never_fast_track=1,
                         one_court_per_cohort=True, fast_track_offsets_months=(40, 20, 30, 25, 50))
    assert sorted(_starts(sim).dropna()) == [pd.Timestamp("2019-01-01") + pd.DateOffset(months=m)
                                            for m in (20, 25, 30, 40)]
    with pytest.raises(ValueError, match="distinct fast_track_offsets_months"):
        simulate_court(seed=2, scale=0.01, n_courts=5, n_never_fast_track=1,
                       one_court_per_cohort=True, fast_track_offsets_months=(20, 30))
    with pytest.raises(ValueError, match="n_never_fast_track"):
        simulate_court(seed=2, scale=0.01, n_courts=5, n_never_fast_track=5)
    with pytest.raises(ValueError, match="court_month_shock_sd"):
        simulate_court(seed=2, scale=0.01, court_month_shock_sd=-0.1)
    with pytest.raises(ValueError, match="court_month_shock_rho"):
        simulate_court(seed=2, scale=0.01, court_month_shock_rho=1.0)


def test_court_month_shocks_shift_only_log_trial_days_by_a_court_month_constant():
    kw = dict(seed=8, scale=0.05, n_courts=6, n_never_fast_track=2, one_court_per_cohort=True)
    calm = simulate_court(**kw)
    shocked = simulate_court(**kw, court_month_shock_sd=0.1, court_month_shock_rho=0.5)
    for col in ("case_id", "court", "cause", "claim_amount", "n_parties", "track", "team_type",
                "procedure", "filed_date"):
        pd.testing.assert_series_equal(calm.cases[col], shocked.cases[col])
    civil = calm.latent["civil_first_instance"].astype(bool)
    diff = (shocked.latent["log_trial_days_base"] - calm.latent["log_trial_days_base"])[civil]
    key = [calm.cases.loc[civil, "court"], calm.cases.loc[civil, "filed_date"].dt.to_period("M")]
    per_cell = diff.groupby(key)
    assert per_cell.std().fillna(0).max() < 1e-12          # one shock per court and month
    shocks = per_cell.first().unstack(0)                   # months x courts
    assert shocks.stack().std() == pytest.approx(0.1, rel=0.2)
    lag1 = np.nanmean([shocks[c].autocorr(1) for c in shocks.columns])
    assert lag1 == pytest.approx(0.5, abs=0.2)
    assert not calm.cases["closed_date"].equals(shocked.cases["closed_date"])


def test_counterfactual_keeps_the_rollout_settings():
    sim = simulate_court(seed=4, scale=0.02, n_courts=4, n_never_fast_track=1,
                         one_court_per_cohort=True, court_month_shock_sd=0.08)
    world = sim.counterfactual("fast_track")
    assert world.settings == sim.settings
    pd.testing.assert_frame_equal(world.courts, sim.courts)
    pd.testing.assert_series_equal(world.cases["team_type"], sim.cases["team_type"])
    truth = world.truth.query("study == 'fast_track' and estimand == 'ATT'")["value"]
    assert np.allclose(truth, 0.0)
    # the teams' effect: counterfactual durations equal the latent no-team potential outcomes
    eligible = sim.latent["eligible_fast_track"].astype(bool).to_numpy()
    days = (world.cases["closed_date"] - world.cases["filed_date"]).dt.days.to_numpy(float)
    y0 = sim.latent["fast_track_duration_days_0"].to_numpy()
    closed = ~np.isnan(days) & eligible
    assert np.array_equal(days[closed], y0[closed])


def test_simulate_rollout_gives_simulate_courts_civil_first_instance_cases():
    from courtstudy.simulate.rollout import simulate_rollout

    kw = dict(seed=3, scale=SCALE, n_courts=6, n_never_fast_track=2, one_court_per_cohort=True,
              court_month_shock_sd=0.1)
    worlds = simulate_rollout(**kw)
    cols = ["court", "cause", "procedure", "track", "filed_date", "closed_date", "disposition",
            "claim_amount", "n_parties"]

    def civil_first(sim):
        c = sim.cases
        c = c[(c["case_type"] == "civil") & (c["instance"] == "first")]
        return c[cols].sort_values(cols).reset_index(drop=True)

    def ours(frame):
        return frame[cols].sort_values(cols).reset_index(drop=True)

    sim = simulate_court(**kw)
    pd.testing.assert_frame_equal(ours(worlds.factual), civil_first(sim), check_dtype=False)
    plain = sim.counterfactual("fast_track")
    pd.testing.assert_frame_equal(ours(worlds.no_effect), civil_first(plain), check_dtype=False)
    assert not ours(worlds.factual)["closed_date"].equals(ours(worlds.no_effect)["closed_date"])
    pd.testing.assert_series_equal(worlds.courts.set_index("court")["fast_track_start"],
                                   _starts(sim).rename("fast_track_start"), check_dtype=False,
                                   check_index_type=False)


def test_simulate_rollout_follows_simulate_court_when_routing_moves_procedures():
    """One pipeline (generator._civil_run) serves both: with effects that move the procedure of
    routed cases, the rollout's factual cases are still simulate_court's."""
    from courtstudy.simulate.rollout import simulate_rollout
    from courtstudy.simulate.scenarios import ROUTING_EFFECTS

    kw = dict(seed=3, scale=SCALE, n_courts=6)
    worlds = simulate_rollout(**kw, component="triage", effects=ROUTING_EFFECTS)
    sim = simulate_court(**kw, effects=ROUTING_EFFECTS)
    cases = sim.cases[(sim.cases["case_type"] == "civil") & (sim.cases["instance"] == "first")]
    cols = ["court", "cause", "procedure", "filed_date", "closed_date", "disposition"]
    pd.testing.assert_frame_equal(worlds.factual[cols].sort_values(cols).reset_index(drop=True),
                                  cases[cols].sort_values(cols).reset_index(drop=True), check_dtype=False)
