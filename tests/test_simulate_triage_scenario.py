"""The synthetic court's triage scenario (issue 11): start dates, routing that moves the
procedure, the truth of routing against a world with no triage and its split, hidden
confounding of every outcome, and a deliberate breach of the exclusion restriction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.simulate import TrueEffects, simulate_court, triage_scenario
from courtstudy.simulate.generator import TRIAGE_OFFSETS_MONTHS

SCALE = 0.03
OUTCOMES = ("duration_days", "closed_within_limit", "appealed", "reversal_remand", "mediation_withdrawal")


@pytest.fixture(scope="module")
def scenario():
    return simulate_court(seed=21, scale=SCALE, **triage_scenario(hidden=True, courts="few"))


def _starts(sim) -> pd.Series:
    return sim.courts.drop_duplicates("court").set_index("court")["triage_start"]


def test_explicit_default_triage_schedule_is_the_demo():
    sim = simulate_court(seed=5, scale=0.01)
    explicit = simulate_court(seed=5, scale=0.01, triage_offsets_months=TRIAGE_OFFSETS_MONTHS, n_never_triage=1)
    pd.testing.assert_frame_equal(sim.cases, explicit.cases)
    pd.testing.assert_frame_equal(sim.latent, explicit.latent)


def test_few_courts_one_per_start_date(scenario):
    starts = _starts(scenario)
    assert len(starts) == 6 and starts.isna().sum() == 1
    assert sorted(starts.dropna()) == [pd.Timestamp(d) for d in
                                       ("2019-07-01", "2020-01-01", "2020-07-01", "2021-01-01", "2021-07-01")]
    ft = scenario.courts.drop_duplicates("court")["fast_track_start"]
    assert ft.dropna().min() == pd.Timestamp("2022-01-01")


def test_routing_moves_the_procedure_only_of_routed_cases(scenario):
    lat, cases = scenario.latent, scenario.cases
    civil = lat["civil_first_instance"].to_numpy()
    routed = cases["track"].eq("simple").fillna(False).to_numpy(dtype=bool)
    proc = cases["procedure"].astype("string")
    np.testing.assert_array_equal(proc[routed], lat["procedure_routed"][routed])
    np.testing.assert_array_equal(proc[civil & ~routed], lat["procedure_no_triage"][civil & ~routed])
    # Monotone: a case heard under small claims without triage is heard under it when routed.
    sc0 = lat["procedure_no_triage"].eq("small_claims").fillna(False).to_numpy(dtype=bool)
    sc1 = lat["procedure_routed"].eq("small_claims").fillna(False).to_numpy(dtype=bool)
    assert not (sc0 & ~sc1).any() and (sc1 & ~sc0 & civil).sum() > 100
    # Switching triage off gives every case its no-triage procedure and outcome.
    off = scenario.counterfactual("triage")
    np.testing.assert_array_equal(off.cases["procedure"].astype("string")[civil], lat["procedure_no_triage"][civil])
    elig = lat["eligible_simple_track"].to_numpy(dtype=bool)
    np.testing.assert_array_equal(off.latent["appealed_factual"][elig], lat["appealed_0"][elig])


def test_truth_of_routing_and_its_split(scenario):
    lat, cases = scenario.latent, scenario.cases
    routed = cases["track"].eq("simple").fillna(False).to_numpy(dtype=bool)
    elig = lat["eligible_simple_track"].to_numpy(dtype=bool)
    for name in OUTCOMES:
        # Routed cases show *_1, the others *_0 (exclusion restriction holds by default).
        np.testing.assert_array_equal(lat[f"{name}_factual"][routed], lat[f"{name}_1"][routed])
        np.testing.assert_array_equal(lat[f"{name}_factual"][elig & ~routed], lat[f"{name}_0"][elig & ~routed])
    # Small claims are final: a routed case moved into small claims cannot appeal.
    moved = (lat["procedure_routed"].eq("small_claims") & lat["procedure_no_triage"].ne("small_claims")).fillna(False)
    moved = moved.to_numpy(dtype=bool) & elig
    assert moved.sum() > 20 and (lat.loc[moved, "appealed_1"] == 0).all()
    channel = (lat["appealed_1"] - lat["direct_appealed_1"])[routed]
    assert channel.max() <= 0 and channel.mean() < -0.005
    row = scenario.truth.set_index(["treatment", "outcome", "estimand"])["value"]
    total = (lat["appealed_1"] - lat["appealed_0"])[routed].mean()
    assert row["simple_track", "appealed", "ATT"] == pytest.approx(total, abs=1e-12)


def test_hidden_factor_confounds_every_outcome():
    quiet = simulate_court(seed=21, scale=SCALE, **triage_scenario(hidden=False, courts="few"))
    loud = simulate_court(seed=21, scale=SCALE, **triage_scenario(hidden=True, courts="few"))
    pd.testing.assert_frame_equal(quiet.cases[["court", "cause", "track", "procedure", "claim_amount"]],
                                  loud.cases[["court", "cause", "track", "procedure", "claim_amount"]])
    lat = loud.latent[loud.latent["civil_first_instance"]]
    high = lat["complexity_hidden"] > 1
    low = lat["complexity_hidden"] < -1
    q = quiet.latent[quiet.latent["civil_first_instance"]]
    gap = lambda frame, col: frame.loc[high, col].mean() - frame.loc[low, col].mean()  # noqa: E731
    assert gap(lat, "mediation_withdrawal_factual") < gap(q, "mediation_withdrawal_factual") - 0.05
    assert gap(lat, "appealed_factual") > gap(q, "appealed_factual") + 0.02
    assert gap(lat, "duration_days_factual") > gap(q, "duration_days_factual") + 20


def test_exclusion_violation_moves_only_cases_left_complex():
    kw = triage_scenario(hidden=False, courts="few")
    base = simulate_court(seed=21, scale=SCALE, **kw)
    broken = simulate_court(seed=21, scale=SCALE, **triage_scenario(hidden=False, courts="few",
                                                                    exclusion_violation=0.3))
    lat, lat_b = base.latent, broken.latent
    routed = base.cases["track"].eq("simple").fillna(False).to_numpy(dtype=bool)
    elig = lat["eligible_simple_track"].to_numpy(dtype=bool)
    np.testing.assert_array_equal(lat["duration_days_factual"][routed], lat_b["duration_days_factual"][routed])
    np.testing.assert_array_equal(lat["duration_days_0"][elig], lat_b["duration_days_0"][elig])
    left = elig & ~routed
    assert (lat_b["duration_days_factual"][left] - lat_b["duration_days_0"][left]).mean() > 10


def test_scenario_arguments_are_checked():
    with pytest.raises(ValueError, match="courts"):
        triage_scenario(courts="many")
    with pytest.raises(ValueError, match="hidden_mediation"):
        simulate_court(scale=0.01, hidden_mediation=-1)
    with pytest.raises(ValueError, match="triage_offsets_months"):
        simulate_court(scale=0.01, triage_offsets_months=())
    assert TrueEffects().without("triage").triage_small_claims_logit == 0.0


def test_court_month_shocks_are_shared_by_a_court_month_and_change_nothing_else():
    base = simulate_court(seed=21, scale=SCALE, **triage_scenario(hidden=True, courts="few"))
    shocked = simulate_court(seed=21, scale=SCALE, **triage_scenario(hidden=True, courts="few",
                                                                     court_month_shocks=0.3))
    cols = ["court", "cause", "track", "procedure", "claim_amount", "filed_date"]
    pd.testing.assert_frame_equal(base.cases[cols], shocked.cases[cols])
    civil = base.latent["civil_first_instance"].to_numpy(dtype=bool)
    shift = (shocked.latent["log_trial_days_base"] - base.latent["log_trial_days_base"]).to_numpy()[civil]
    frame = base.cases.loc[civil, ["court", "filed_date"]].assign(
        month=lambda f: f["filed_date"].dt.to_period("M"), shift=shift)
    cell = frame.groupby(["court", "month"], observed=True)["shift"]
    np.testing.assert_allclose(frame["shift"], cell.transform("mean"), atol=1e-12)
    means = cell.mean().unstack("court")
    assert 0.2 < float(means.stack().std()) < 0.4
    lag1 = np.nanmean([means[c].autocorr(1) for c in means.columns])
    assert 0.2 < lag1 < 0.8
    assert (shocked.latent["duration_days_0"] != base.latent["duration_days_0"]).any()
