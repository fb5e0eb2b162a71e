"""The start of pre-suit mediation and what reaches the court, on the synthetic court's truth."""

from __future__ import annotations

import numpy as np
import pytest

from courtstudy.simulate.generator import simulate_court
from courtstudy.simulate.mediation import simulate_mediation
from courtstudy.studies.diversion import filings_panel, mediation_start_effects, mediation_starts


def _overall(result) -> tuple[float, float]:
    tidy = result.tidy()
    row = tidy.loc[(tidy["aggregation"] == "simple") & (tidy["term"] == "overall")].iloc[0]
    return float(row["estimate"]), float(row["std_error"])


@pytest.fixture(scope="module")
def worlds():
    court = simulate_court(seed=7, scale=0.15, n_courts=12)
    world = simulate_mediation(court)
    starts = dict(zip(world.schedule["court"], world.schedule["mediation_start"], strict=True))
    return court, world, starts


def test_panel(worlds):
    court, world, starts = worlds
    panel = filings_panel(world.cases, starts, freq="half", end="2023-12-31")
    assert panel.groupby("court").size().eq(10).all()              # 2019H1 .. 2023H2
    assert (panel["filed"] > 0).all()
    cohorts = panel.drop_duplicates("court").set_index("court")["cohort"]
    assert (cohorts == 0).sum() == 1 and cohorts.max() == 7        # last start 2022-01: 2022H1
    # starts read from the register are the first records, no earlier than the true starts
    first = mediation_starts(world.records)
    assert all(first[c] >= starts[c] for c in first)


def test_effect_on_filings_is_the_truth_plus_the_base_worlds_trend(worlds):
    """CS with no covariates is linear in the outcome, so the estimate on the factual world
    minus the same estimate on the world without mediation (the court as simulated) is exactly
    the true effect on the treated court-periods. The second estimate is not zero: the synthetic
    courts grow at their own rates, so parallel trends in filings do not hold exactly."""
    court, world, starts = worlds
    options = {"freq": "half", "end": "2023-12-31", "outcomes": ("log_filed",)}  # claims: case level below
    factual = mediation_start_effects(world.cases, starts, **options)
    without = mediation_start_effects(court.cases, starts, **options)
    pf = filings_panel(world.cases, starts, freq="half", end="2023-12-31")
    pc = filings_panel(court.cases, starts, freq="half", end="2023-12-31")
    treated = (pf["cohort"] > 0) & (pf["t"] >= pf["cohort"]) & ~pf["always_treated"]
    for outcome in options["outcomes"]:
        truth = float((pf.loc[treated, outcome] - pc.loc[treated, outcome]).mean())
        est, se = _overall(factual[outcome])
        base, _ = _overall(without[outcome])
        assert est - base == pytest.approx(truth, abs=1e-6), outcome
    truth_filings = float((pf.loc[treated, "log_filed"] - pc.loc[treated, "log_filed"]).mean())
    assert truth_filings < -0.15                                   # mediation takes a fifth of filings away
    est, se = _overall(factual["log_filed"])
    assert est < 0 and np.isfinite(se)


def _case_truth(world_cases, court_cases, starts, as_of, outcome: str) -> float:
    """Average over the filed cases of treated court-quarters of (factual cell mean - cell mean
    without mediation): the imputation estimand on the synthetic court's two worlds."""
    import pandas as pd

    from courtstudy.studies.diversion.cases import filed_case_sample

    means = []
    for cases in (world_cases, court_cases):
        sample = filed_case_sample(cases, as_of)
        quarter = sample["filed_date"].dt.to_period("Q")
        start = sample["court"].map(starts)
        treated = (start.notna() & (quarter.dt.end_time >= start) & (quarter <= pd.Period("2023Q4"))
                   & (start > pd.Timestamp("2019-03-31")))
        means.append(sample.loc[treated].groupby([sample["court"], quarter])[outcome].agg(["mean", "count"]))
    factual, without = means
    diff = (factual["mean"] - without["mean"]).dropna()
    weight = factual.loc[diff.index, "count"]
    return float((diff * weight).sum() / weight.sum())


def test_effect_on_filed_cases_against_the_truth(worlds):
    from courtstudy.studies.diversion.cases import CASE_OUTCOMES, filed_case_effects

    court, world, starts = worlds
    factual = filed_case_effects(world.cases, starts, court.as_of, end="2023Q4").tidy()
    without = filed_case_effects(court.cases, starts, court.as_of, end="2023Q4").tidy()

    def overall(tidy, outcome):
        row = tidy.loc[(tidy["outcome"] == outcome) & (tidy["term"] == "overall")
                       & (tidy["inference"] == "court_month")].iloc[0]
        return float(row["estimate"]), float(row["std_error"])

    for outcome in CASE_OUTCOMES:
        truth = _case_truth(world.cases, court.cases, starts, court.as_of, outcome)
        est, se = overall(factual, outcome)
        base, _ = overall(without, outcome)
        assert abs(est - truth) < 2.5 * se, outcome
        # nearly linear: the no-mediation world's estimate is the design's own error
        assert est - base == pytest.approx(truth, abs=0.01), outcome
    assert _case_truth(world.cases, court.cases, starts, court.as_of, "log_claim") > 0.05  # larger claims remain


def test_filings_randomization_inference(worlds):
    """Randomisation inference over start dates: the same estimate as the panel CS, an interval
    around it from the reassignments, and a test that does not reject where there is no effect
    only by luck (the world without mediation: its estimate is the courts' own growth)."""
    from courtstudy.studies.diversion import filings_randomization

    court, world, starts = worlds
    options = {"freq": "half", "end": "2023-12-31"}
    est, _ = _overall(mediation_start_effects(world.cases, starts, outcomes=("log_filed",), **options)["log_filed"])
    ri = filings_randomization(world.cases, starts, draws=199, seed=3, **options)
    assert ri.estimate == pytest.approx(est, abs=1e-9)
    assert ri.n_assignments == 200 and not ri.exact
    assert ri.ci_low < est < ri.ci_high and ri.ci_high < 0          # mediation removes filings
    assert ri.p_value < 0.05
    # B_r under the observed dates is 1 (the estimate of a unit effect on treated cells)
    assert ri.effect_on_treatment[0] == pytest.approx(1.0)


def test_triage_by_mediation_regime_against_the_truth(worlds):
    """Triage's like-for-like effect within each mediation regime is checked against the
    synthetic court's potential outcomes on the same cases (no hidden confounding simulated),
    and so is the difference between the regimes."""
    import pandas as pd

    from courtstudy.studies.diversion.triage_regimes import (
        REGIMES,
        holm,
        mediation_regime,
        triage_by_mediation_regime,
    )
    from courtstudy.studies.triage import build_sample
    from courtstudy.studies.triage.truth import sample_truth

    court, world, starts = worlds
    started = {c: d for c, d in starts.items() if pd.notna(d)}
    sample = build_sample(world.cases, court.courts, treatment="triage", as_of=court.as_of)
    outcomes = ["days_capped_365", "closed_within_limit", "mediation_withdrawal"]
    res = triage_by_mediation_regime(sample, started, outcomes=outcomes)
    never = [c for c, d in starts.items() if pd.isna(d)]
    assert set(never) <= set(res.left_out) and len(res.courts) >= 8
    regime = mediation_regime(sample.frame, started)
    keep = sample.frame["court"].isin(res.courts).to_numpy()
    truth = {r: sample_truth(sample.subset(keep & (regime == r).to_numpy()), court.latent)
             .query("estimand == 'ATT'").set_index("outcome")["truth"] for r in REGIMES}
    effects = res.effects.set_index(["outcome", "regime"])
    for outcome in outcomes:
        for r in REGIMES:
            row = effects.loc[(outcome, r)]
            assert abs(row["estimate"] - truth[r][outcome]) < 3 * row["std_error"], (outcome, r)
        d = res.differences.set_index("outcome").loc[outcome]
        assert abs(d["difference"] - (truth["after"][outcome] - truth["before"][outcome])) < 3 * d["std_error"]
    # a case filed on its court's start day is in the "after" regime
    court_name = res.courts[0]
    probe = pd.DataFrame({"court": [court_name] * 2,
                          "filed_date": [started[court_name] - pd.Timedelta(days=1), started[court_name]]})
    assert mediation_regime(probe, started).tolist() == ["before", "after"]
    assert "routed" in set(res.mix["dimension"]) and len(res.statements("zh")) >= 2
    assert holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
