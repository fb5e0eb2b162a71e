"""The synthetic court: determinism, schema, calendar, limits, censoring and the true effects.

Simulations are small (scale 0.05, about 10,000 cases) and shared per module.
"""

from __future__ import annotations

import argparse
import json
import re

import numpy as np
import pandas as pd
import pytest

from courtstudy.core import limits, schema
from courtstudy.simulate import TrueEffects, simulate_court
from courtstudy.simulate.calendar import LUNAR_NEW_YEAR, add_months, day_number
from courtstudy.simulate.truth import OUTCOMES

SCALE = 0.05
SEED = 7
COVARIATES = ["case_id", "court", "case_type", "instance", "cause", "procedure", "track", "team",
              "team_type", "judge", "filed_date", "claim_amount", "n_parties", "case_year",
              "court_code", "type_code", "case_seq"]


@pytest.fixture(scope="module")
def sim():
    return simulate_court(seed=SEED, scale=SCALE)


@pytest.fixture(scope="module")
def civil(sim):
    return sim.cases[(sim.cases["case_type"] == "civil") & (sim.cases["instance"] == "first")]


@pytest.fixture(scope="module")
def with_courts(sim):
    starts = sim.courts.drop_duplicates("court")[["court", "triage_start", "fast_track_start"]]
    return sim.cases.merge(starts, on="court", how="left", validate="many_to_one")


# --- determinism and schema --------------------------------------------------------------------

def test_same_seed_gives_identical_frames(sim):
    again = simulate_court(seed=SEED, scale=SCALE)
    pd.testing.assert_frame_equal(sim.cases, again.cases)
    pd.testing.assert_frame_equal(sim.courts, again.courts)
    pd.testing.assert_frame_equal(sim.truth, again.truth)
    pd.testing.assert_frame_equal(sim.latent, again.latent)


def test_different_seed_gives_different_frames(sim):
    other = simulate_court(seed=SEED + 1, scale=SCALE)
    assert len(other.cases) != len(sim.cases) or not other.cases.equals(sim.cases)
    assert not np.allclose(other.truth["value"].to_numpy()[:8], sim.truth["value"].to_numpy()[:8])


def test_canonical_schema(sim):
    assert tuple(sim.cases.columns) == schema.CASE_COLUMNS
    assert {c: str(t) for c, t in sim.cases.dtypes.items()} == schema.CASE_DTYPES
    assert tuple(sim.courts.columns) == schema.COURT_COLUMNS
    assert {c: str(t) for c, t in sim.courts.dtypes.items()} == schema.COURT_DTYPES
    assert sim.cases["case_id"].is_unique
    assert (sim.latent["case_id"] == sim.cases["case_id"]).all()
    for vocab in ("case_type", "instance", "procedure", "track", "team_type", "disposition", "appeal_result"):
        used = set(sim.cases[vocab].dropna().unique())
        assert used <= set(schema.VOCABULARIES[vocab]), (vocab, used)


def test_size_and_mix(sim, civil):
    assert 8_000 <= len(sim.cases) <= 12_000  # about 200,000 at scale 1
    share = sim.cases["case_type"].value_counts(normalize=True)
    assert share["civil"] == pytest.approx(0.75, abs=0.02)
    assert {"criminal", "administrative", "enforcement"} <= set(share.index)
    assert civil["cause"].nunique() >= 10
    assert set(civil["procedure"].unique()) == {"ordinary", "simplified", "small_claims", "expedited"}
    assert sim.courts["court"].nunique() == 12
    assert sim.courts["province"].eq("示范省").all()


def test_case_numbers_follow_the_pattern_and_increase_with_filing(sim):
    c = sim.cases
    pattern = re.compile(r"^（(\d{4})）(示\d{4})(民初|刑初|行初|执)(\d+)号$")
    parts = c["case_id"].str.extract(pattern)
    assert parts.notna().all().all()
    assert (parts[0].astype(int) == c["case_year"].astype(int)).all()
    assert (parts[1] == c["court_code"]).all() and (parts[2] == c["type_code"]).all()
    assert (parts[3].astype(int) == c["case_seq"].astype(int)).all()
    ordered = c.sort_values(["court_code", "case_year", "type_code", "case_seq"])
    later = ordered.groupby(["court_code", "case_year", "type_code"])["filed_date"].diff().dropna()
    assert (later >= pd.Timedelta(0)).all()
    assert (c["filed_date"].dt.year == c["case_year"].astype(int)).all()


def test_judges_include_names_outside_gbk(sim):
    judges = sim.cases["judge"].dropna().unique()
    def gbk_ok(name: str) -> bool:
        try:
            name.encode("gbk")
            return True
        except UnicodeEncodeError:
            return False
    outside = [j for j in judges if not gbk_ok(j)]
    assert 1 <= len(outside) <= 0.1 * len(judges)
    assert all(j.encode("gb18030").decode("gb18030") == j for j in outside)
    assert sim.cases["judge"].notna().all() and sim.cases["team"].notna().all()
    # Judges per court-year in the courts table cover the judges seen in the cases.
    seen = sim.cases.groupby(["court", "case_year"])["judge"].nunique()
    table = sim.courts.set_index(["court", "year"])["judges"]
    assert (seen <= table.reindex(seen.index).to_numpy()).all()


# --- calendar --------------------------------------------------------------------------------

def test_spring_festival_dip_in_filings(sim):
    filed = sim.cases["filed_date"]
    inside = around = 0
    for year in range(2019, 2024):
        lny = pd.Timestamp(LUNAR_NEW_YEAR[year])
        rel = (filed - lny).dt.days
        inside += int(((rel >= -7) & (rel < 7)).sum())
        around += int((((rel >= -35) & (rel < -21)) | ((rel >= 21) & (rel < 35))).sum()) / 2
    assert inside < 0.5 * around, (inside, around)


def test_december_closing_push(sim):
    closed = sim.cases["closed_date"].dropna()
    closed = closed[closed.dt.year <= 2023]
    window = (closed.dt.day_of_year - 1) // 10  # 10-day windows of the year
    late_december = (closed.dt.month == 12) & (closed.dt.day >= 22)
    per_window = closed[~late_december & (window < 35)].groupby(
        [closed.dt.year, window]).size()
    late = closed[late_december].groupby(closed.dt.year).size()
    assert (late.to_numpy() > 1.4 * per_window.groupby(level=0).mean().to_numpy()).all()
    # Filings slow down in late December.
    filed = sim.cases["filed_date"]
    late_filed = ((filed.dt.month == 12) & (filed.dt.day >= 21)).sum() / 11
    early_filed = ((filed.dt.month == 12) & (filed.dt.day <= 20)).sum() / 20
    assert late_filed < 0.8 * early_filed


def test_add_months_matches_limits_module():
    days = np.arange(day_number("2019-01-01"), day_number("2024-12-31"), 3)
    months = np.resize(np.array([2, 3, 6, 12]), len(days))
    ours = add_months(days, months)
    dates = pd.Series(pd.to_datetime(days, unit="D"))
    theirs = limits.add_calendar_months(dates, pd.Series(months))
    expected = ((theirs - pd.Timestamp("1970-01-01")).dt.days).to_numpy()
    np.testing.assert_array_equal(ours, expected)


# --- procedure, limits and small claims -----------------------------------------------------

def test_statutory_limits_mostly_respected_with_extensions_and_suspensions(civil):
    closed = civil[civil["closed_date"].notna()]
    within = closed["closed_date"] <= limits.deadlines(closed)
    assert 0.97 <= within.mean() < 1.0
    assert (closed["extension_days"] > 0).sum() >= 20
    assert (closed["suspended_days"] > 0).sum() >= 100
    # Extensions never exceed the law's maximum; none for simplified cases filed before 2022.
    terms = limits.statutory_limits()
    max_ext = {("ordinary", True): 6, ("ordinary", False): 6, ("simplified", False): 0,
               ("simplified", True): 1, ("small_claims", False): 0, ("small_claims", True): 1,
               ("expedited", True): 1, ("expedited", False): 1}
    since_2022 = closed["filed_date"] >= pd.Timestamp("2022-01-01")
    cap = [30 * max_ext[(p, s)] for p, s in zip(closed["procedure"], since_2022, strict=True)]
    assert (closed["extension_days"].astype(int).to_numpy() <= np.array(cap)).all()
    assert not terms.empty


def test_small_claims_only_at_or_below_threshold_and_never_appealed(civil):
    thresholds = limits.small_claims_thresholds()
    table = thresholds[thresholds["province"] == "示范省"].set_index("year")["threshold_yuan"]
    small = civil[civil["procedure"] == "small_claims"]
    assert len(small) > 200
    limit = table.reindex(small["filed_date"].dt.year).to_numpy()
    assert (small["claim_amount"].to_numpy() <= limit).all()
    assert not small["appealed"].fillna(False).any()
    eligible_share = small.shape[0] / civil.shape[0]
    assert 0.05 < eligible_share < 0.4


def test_bunching_moves_claims_below_the_threshold():
    base = simulate_court(seed=SEED, scale=SCALE)
    bunched = simulate_court(seed=SEED, scale=SCALE, bunching=0.5)
    thresholds = limits.small_claims_thresholds()
    table = thresholds[thresholds["province"] == "示范省"].set_index("year")["threshold_yuan"]

    def counts(s):
        c = s.cases[s.cases["case_type"] == "civil"]
        ratio = c["claim_amount"] / table.reindex(c["filed_date"].dt.year).to_numpy()
        return int(((ratio > 1) & (ratio <= 1.15)).sum()), int(((ratio > 0.92) & (ratio <= 1)).sum())

    above0, below0 = counts(base)
    above1, below1 = counts(bunched)
    moved = above0 - above1
    assert moved == pytest.approx(0.5 * above0, rel=0.35)
    assert below1 - below0 >= moved  # moved claims land just below (some also from enforcement-free causes)
    pd.testing.assert_series_equal(base.cases["filed_date"], bunched.cases["filed_date"])


# --- censoring ---------------------------------------------------------------------------------

def test_censoring_at_the_snapshot(sim, civil):
    c = sim.cases
    as_of = sim.as_of
    for col in ("closed_date", "appeal_filed_date", "appeal_closed_date"):
        assert (c[col].dropna() <= as_of).all(), col
    pending = c["closed_date"].isna()
    assert pending.sum() > 0
    assert c.loc[pending, "disposition"].isna().all()
    assert c.loc[pending, "appealed"].isna().all()
    assert c.loc[~pending, "appealed"].notna().all()
    assert (c.loc[c["appealed"].fillna(False), "appeal_filed_date"].notna()).all()
    undecided = c["appealed"].fillna(False) & c["appeal_closed_date"].isna()
    assert undecided.sum() > 0 and c.loc[undecided, "appeal_result"].isna().all()
    # Appeals are filed within service delay + 15 days of closing.
    appealed = c[c["appealed"].fillna(False)]
    lag = (appealed["appeal_filed_date"] - appealed["closed_date"]).dt.days
    assert lag.between(2, 37).all()
    # Pending share grows towards the snapshot.
    by_year = civil.groupby(civil["filed_date"].dt.year)["closed_date"].apply(lambda s: s.isna().mean())
    late_2023 = civil[civil["filed_date"] >= pd.Timestamp("2023-10-01")]["closed_date"].isna().mean()
    assert late_2023 > by_year[2022] and by_year[2023] > by_year[2021]


# --- treatments and adoption --------------------------------------------------------------------

def test_treatments_only_after_start_dates(with_courts):
    c = with_courts
    civil = (c["case_type"] == "civil") & (c["instance"] == "first")
    after_triage = civil & c["triage_start"].notna() & (c["filed_date"] >= c["triage_start"])
    assert (c["track"].notna() == after_triage).all()
    fast = c["team_type"] == "fast_track"
    assert fast.sum() > 0
    assert (c.loc[fast, "filed_date"] >= c.loc[fast, "fast_track_start"]).all()
    after_ft = civil & c["fast_track_start"].notna() & (c["filed_date"] >= c["fast_track_start"])
    share = fast[after_ft].groupby(c.loc[after_ft, "court"]).mean()
    assert share.between(0.55, 0.75).all(), share
    simple_share = (c.loc[fast, "track"] == "simple").mean()
    assert simple_share > 0.7  # fast-track teams take mostly simple-track cases


def test_staggered_cohorts_with_never_treated(sim):
    courts = sim.courts.drop_duplicates("court")
    ft = courts["fast_track_start"]
    assert sorted(ft.dropna().unique()) == [pd.Timestamp(d) for d in
                                            ("2020-07-01", "2021-01-01", "2021-07-01", "2022-01-01")]
    assert ft.isna().sum() >= 3
    triage = courts["triage_start"]
    assert triage.isna().sum() >= 1 and triage.dropna().nunique() >= 4
    both = courts.dropna(subset=["triage_start", "fast_track_start"])
    assert (both["triage_start"] < both["fast_track_start"]).all()
    assert (triage.dropna() <= pd.Timestamp("2019-06-01")).all()


# --- true effects -------------------------------------------------------------------------------

@pytest.mark.parametrize("component,treatment,prefix", [
    ("triage", "simple_track", ""), ("fast_track", "fast_track_team", "fast_track_"),
    ("small_claims", "small_claims", "small_claims_")])
def test_counterfactual_recovers_the_truth(sim, component, treatment, prefix):
    cf = sim.counterfactual(component)
    # Only outcomes change.
    pd.testing.assert_frame_equal(sim.cases[COVARIATES], cf.cases[COVARIATES])
    treated = {"triage": sim.cases["track"] == "simple",
               "fast_track": sim.cases["team_type"] == "fast_track",
               "small_claims": sim.cases["procedure"] == "small_claims"}[component].fillna(False).to_numpy()
    for outcome in ("duration_days", "appealed", "reversal_remand", "mediation_withdrawal",
                    "closed_within_limit"):
        factual = sim.latent[f"{outcome}_factual"].to_numpy()
        counter = cf.latent[f"{outcome}_factual"].to_numpy()
        np.testing.assert_array_equal(factual[treated], sim.latent[f"{prefix}{outcome}_1"].to_numpy()[treated])
        np.testing.assert_array_equal(counter[treated], sim.latent[f"{prefix}{outcome}_0"].to_numpy()[treated])
        att = sim.truth.query("treatment == @treatment and outcome == @outcome and estimand == 'ATT'")
        assert float(att["value"].iloc[0]) == pytest.approx((factual - counter)[treated].mean(), abs=1e-12)
    # Untreated cases are untouched.
    untouched = ~treated & sim.latent["civil_first_instance"].to_numpy()
    np.testing.assert_array_equal(sim.latent["duration_days_factual"].to_numpy()[untouched],
                                  cf.latent["duration_days_factual"].to_numpy()[untouched])
    both_closed = sim.cases["closed_date"].notna() & cf.cases["closed_date"].notna()
    observed = (sim.cases["closed_date"] - cf.cases["closed_date"]).dt.days[both_closed & treated]
    latent = (sim.latent["duration_days_factual"] - cf.latent["duration_days_factual"])[both_closed & treated]
    np.testing.assert_array_equal(observed.to_numpy(dtype=float), latent.to_numpy())


def test_counterfactual_all_has_zero_truth(sim):
    cf = sim.counterfactual("all")
    att = cf.truth[cf.truth["estimand"].isin(["ATT", "ATE"])]
    assert np.allclose(att["value"].to_numpy(dtype=float), 0.0)


def test_truth_table_matches_an_independent_computation(sim):
    t = sim.truth
    assert list(t.columns[:6]) == ["study", "treatment", "outcome", "estimand", "value", "n"]
    assert set(t["outcome"]) == set(OUTCOMES)
    simple = (sim.cases["track"] == "simple").fillna(False).to_numpy()
    complex_ = (sim.cases["track"] == "complex").fillna(False).to_numpy()
    log0 = np.log(sim.latent["duration_days_0"].to_numpy())
    log1 = np.log(sim.latent["duration_days_1"].to_numpy())
    logf = np.log(sim.latent["duration_days_factual"].to_numpy())
    row = t.set_index(["treatment", "outcome", "estimand"])["value"]
    assert row["simple_track", "log_duration", "ATT"] == pytest.approx((log1 - log0)[simple].mean(), abs=1e-12)
    naive = logf[simple].mean() - logf[complex_].mean()
    assert row["simple_track", "log_duration", "naive"] == pytest.approx(naive, abs=1e-12)
    rmst = np.minimum(sim.latent["duration_days_1"], 365) - np.minimum(sim.latent["duration_days_0"], 365)
    assert row["simple_track", "rmst_365", "ATT"] == pytest.approx(rmst[simple].mean(), abs=1e-12)


def test_effect_sizes_and_naive_bias_as_documented(sim):
    row = sim.truth.set_index(["treatment", "outcome", "estimand"])["value"]
    # The realised effect on log duration is close to the parameter (limits and calendar blur it).
    assert row["simple_track", "log_duration", "ATT"] == pytest.approx(-0.30, abs=0.03)
    assert row["small_claims", "log_duration", "ATT"] == pytest.approx(-0.25, abs=0.03)
    assert -0.45 < row["fast_track_team", "log_duration", "ATT"] < -0.2
    assert row["small_claims", "appealed", "ATT"] < -0.03  # small-claims judgments are final
    # Simple cases are simple: the raw comparison overstates the speed-up by about 0.5 log points
    # (data/README.md), and understates the appeal risk.
    assert -0.65 < row["simple_track", "log_duration", "bias"] < -0.35
    assert row["simple_track", "appealed", "bias"] < -0.02
    assert row["simple_track", "appealed", "ATT"] > 0


def test_fast_track_effect_grows_with_time_and_differs_by_cohort():
    effects = TrueEffects()
    months = np.array([0.0, 9.0, 18.0, 30.0])
    np.testing.assert_allclose(effects.fast_track_log_duration(months, np.zeros(4, dtype=int)),
                               1.25 * np.array([-0.10, -0.25, -0.40, -0.40]))
    np.testing.assert_allclose(effects.fast_track_log_duration(np.array([18.0]), np.array([3])), [-0.24])
    np.testing.assert_allclose(effects.fast_track_log_duration(np.array([18.0]), np.array([7])), [-0.24])
    off = effects.without("fast_track")
    assert off.fast_track_log_duration_full == 0 and off.triage_log_duration == effects.triage_log_duration
    assert effects.without("small_claims").small_claims_final is False
    assert effects.without("all").is_zero("triage")
    with pytest.raises(ValueError, match="unknown component"):
        effects.without("mediation")


def test_draws_do_not_depend_on_effect_sizes(sim):
    stronger = simulate_court(seed=SEED, scale=SCALE,
                              effects=TrueEffects(triage_log_duration=-0.6, fast_track_appeal_logit=1.0))
    pd.testing.assert_frame_equal(sim.cases[COVARIATES], stronger.cases[COVARIATES])
    np.testing.assert_array_equal(sim.latent["log_trial_days_base"], stronger.latent["log_trial_days_base"])
    row = stronger.truth.set_index(["treatment", "outcome", "estimand"])["value"]
    assert row["simple_track", "log_duration", "ATT"] == pytest.approx(-0.6, abs=0.05)


def test_hidden_confounding_acts_only_through_the_hidden_factor(sim):
    hidden = simulate_court(seed=SEED, scale=SCALE, hidden_confounding=0.3)
    pd.testing.assert_frame_equal(sim.cases[COVARIATES], hidden.cases[COVARIATES])
    civil = sim.latent["civil_first_instance"].to_numpy()
    shift = (hidden.latent["log_trial_days_base"] - sim.latent["log_trial_days_base"]).to_numpy()[civil]
    np.testing.assert_allclose(shift, 0.3 * sim.latent["complexity_hidden"].to_numpy()[civil], atol=1e-12)
    # Without hidden confounding the hidden factor drives selection but not the baseline outcome:
    # given the observed covariates it is unrelated to the baseline log duration.
    lat = sim.latent[civil].reset_index(drop=True)
    cases = sim.cases[civil].reset_index(drop=True)
    x = pd.get_dummies(pd.DataFrame({"court": cases["court"].astype(str),
                                     "year": cases["case_year"].astype(str),
                                     "ordinary": (cases["procedure"] == "ordinary").astype(str)}),
                       drop_first=True).astype(float)
    x["complexity"] = lat["complexity_observed"]
    x["hidden"] = lat["complexity_hidden"]
    x["const"] = 1.0
    beta, *_ = np.linalg.lstsq(x.to_numpy(), lat["log_trial_days_base"].to_numpy(), rcond=None)
    assert abs(beta[list(x.columns).index("hidden")]) < 0.03
    assert beta[list(x.columns).index("complexity")] == pytest.approx(0.40, abs=0.05)
    # Selection does use it.
    simple = (cases["track"] == "simple").fillna(False)
    eligible = cases["track"].notna()
    gap = lat.loc[simple, "complexity_hidden"].mean() - lat.loc[eligible & ~simple, "complexity_hidden"].mean()
    assert gap < -0.2


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="scale"):
        simulate_court(scale=0)
    with pytest.raises(ValueError, match="as_of"):
        simulate_court(scale=SCALE, as_of="2023-06-30")
    with pytest.raises(ValueError, match="bunching"):
        simulate_court(scale=SCALE, bunching=2)


# --- demo files and command ---------------------------------------------------------------------

def test_demo_files_round_trip_through_the_loader(tmp_path):
    from courtstudy.ingest.loading import load_cases, load_courts
    from courtstudy.simulate import demo

    files = demo.build_demo(tmp_path, scale=0.02)
    assert demo.is_current(files, demo.expected_stamp(scale=0.02))
    assert not demo.is_current(files, demo.expected_stamp(scale=1.0))
    with open(files.stamp, encoding="utf-8") as fh:
        stamp = json.load(fh)
    assert stamp["seed"] == demo.DEMO_SEED and stamp["generator_version"]
    raw = files.cases.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "案号" in raw.decode("gb18030").splitlines()[0]
    courts = load_courts(files.courts).courts
    loaded = load_cases(files.cases, courts=courts)
    planted = pd.read_csv(files.planted_problems, encoding="utf-8-sig")
    assert len(planted) > 0
    assert loaded.accounting()["quarantined"] > 0
    sim = simulate_court(seed=demo.DEMO_SEED, scale=0.02)
    assert len(loaded.cases) + loaded.accounting()["quarantined"] - planted["reason"].isin(
        ["duplicate_row", "conflicting_duplicate"]).sum() == len(sim.cases)
    truth = pd.read_csv(files.truth, encoding="utf-8-sig")
    np.testing.assert_allclose(truth["value"].to_numpy(), sim.truth["value"].to_numpy(dtype=float))


def test_simulate_command_writes_cases_courts_and_truth(tmp_path, capsys):
    from courtstudy.commands import simulate as command

    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["simulate", "--scale", "0.01", "--out", str(tmp_path), "--format", "parquet",
                              "--bad-rows", "0.01", "--lang", "en"])
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    for name in ("cases.parquet", "courts.parquet", "truth.csv", "planted_problems.csv"):
        assert (tmp_path / name).exists() and name in out
    cases = pd.read_parquet(tmp_path / "cases.parquet")
    assert "案号" in cases.columns
    with pytest.raises(SystemExit):
        parser.parse_args(["simulate", "--scale", "0"])


def test_potential_outcomes_accessor_agrees_with_truth(sim):
    po = sim.potential_outcomes("fast_track", "log_duration")
    treated = po[po["treated"]]
    assert treated["eligible"].all()
    att = sim.truth.query("treatment == 'fast_track_team' and outcome == 'log_duration' and estimand == 'ATT'")
    assert float(att["value"].iloc[0]) == pytest.approx((treated["y1"] - treated["y0"]).mean(), abs=1e-12)
    np.testing.assert_array_equal(treated["factual"].to_numpy(), treated["y1"].to_numpy())
    assert po.loc[~po["eligible"], "y0"].isna().all()
    with pytest.raises(ValueError, match="unknown component"):
        sim.potential_outcomes("mediation", "appealed")


def test_closing_calendar_handles_dates_past_the_lunar_table():
    from courtstudy.simulate.calendar import closing_calendar

    filed = np.array([day_number("2029-06-01"), day_number("2023-01-10")])
    natural = np.array([day_number("2031-02-01"), day_number("2023-01-23")])  # 2031-02-01 is a Saturday
    out = closing_calendar(filed, natural, np.ones(2), np.zeros(2))
    # Past the table: only the weekend rule applies; in the 2023 holiday: the first day after it.
    np.testing.assert_array_equal(out, [day_number("2031-01-31"), day_number("2023-01-30")])


def test_observed_propensity_of_the_simple_track_is_logistic(sim):
    import statsmodels.api as sm

    eligible = sim.cases["track"].notna().to_numpy()
    cases = sim.cases[eligible].reset_index(drop=True)
    lat = sim.latent[eligible].reset_index(drop=True)
    x = pd.get_dummies(pd.DataFrame({"court": cases["court"].astype(str),
                                     "month": cases["filed_date"].dt.month.astype(str)}),
                       drop_first=True).astype(float)
    x["complexity"] = lat["complexity_observed"]
    x = sm.add_constant(x)
    simple = (cases["track"] == "simple").to_numpy(dtype=float)
    fit = sm.Logit(simple, x).fit(disp=0)
    # The generator's coefficient, although the hidden factor also drives the track.
    assert fit.params["complexity"] == pytest.approx(-1.6, abs=3 * fit.bse["complexity"])
    assert abs(lat["propensity_simple_track"].mean() - simple.mean()) < 0.02
