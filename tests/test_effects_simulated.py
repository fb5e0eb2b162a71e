"""The triage study on the synthetic court, against the true effects of its potential outcomes.

The truth an estimate is compared with is the effect on the very cases it used
(:func:`courtstudy.studies.triage.truth.sample_truth`), checked against the simulator's own truth
table where both cover the same cases. Simulations are small (scale 0.05, about 6k cases in the
triage sample) so that the file runs in well under a minute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.simulate import simulate_court
from courtstudy.studies.triage import build_sample, run_triage_study
from courtstudy.studies.triage.heterogeneity import claim_band, heterogeneity
from courtstudy.studies.triage.sensitivity import _CrossProducts, bias_bound
from courtstudy.studies.triage.truth import sample_truth

SEED = 20240101
SCALE = 0.05
CORE = ("days_capped_365", "appealed", "reversal_remand")


@pytest.fixture(scope="module")
def honest():
    sim = simulate_court(seed=SEED, scale=SCALE)
    study = run_triage_study(sim.cases, sim.courts, as_of=sim.as_of, rollout=False)
    return sim, study


@pytest.fixture(scope="module")
def confounded():
    sim = simulate_court(seed=SEED, scale=SCALE, hidden_confounding=1.0)
    study = run_triage_study(sim.cases, sim.courts, as_of=sim.as_of, cox=False, rollout=False)
    return sim, study


def _with_truth(sim, study, estimand="ATT"):
    truth = sample_truth(study.sample, sim.latent)
    truth = truth[truth["estimand"] == estimand][["outcome", "truth"]]
    tidy = study.tidy().merge(truth, on="outcome", how="inner")
    return tidy.assign(covers=(tidy["ci_low"] <= tidy["truth"]) & (tidy["truth"] <= tidy["ci_high"]))


def test_sample_truth_agrees_with_simulator_truth(honest):
    sim, _ = honest
    sample = build_sample(sim.cases, sim.courts, as_of=sim.as_of)
    truth = sample_truth(sample, sim.latent).set_index(["outcome", "estimand"])["truth"]
    table = sim.truth[sim.truth["study"] == "triage"].set_index(["outcome", "estimand"])
    # The sample is the simulator's triage-eligible civil first-instance cases, and rmst_365 over
    # all of them is the simulator's own truth.
    assert sample.n == int(table.loc[("rmst_365", "ATE"), "n"])
    assert int(sample.treatment.sum()) == int(table.loc[("rmst_365", "ATT"), "n"])
    assert truth[("rmst_365", "ATT")] == pytest.approx(table.loc[("rmst_365", "ATT"), "value"], abs=1e-9)
    assert truth[("rmst_365", "ATE")] == pytest.approx(table.loc[("rmst_365", "ATE"), "value"], abs=1e-9)


def test_weighting_and_doubly_robust_recover_truth(honest):
    sim, study = honest
    rows = _with_truth(sim, study).set_index(["outcome", "method"])
    for outcome in CORE:
        for method in ("ipw", "aipw"):
            row = rows.loc[(outcome, method)]
            assert row["estimand"] == "ATT"
            assert row["covers"], (outcome, method, row["estimate"], row["truth"])
    # The IPW-weighted Kaplan-Meier RMST (pending cases censored) too.
    assert rows.loc[("rmst_365", "ipw_km_rmst"), "covers"]


def test_raw_difference_shows_the_documented_bias(honest):
    sim, study = honest
    rows = _with_truth(sim, study).set_index(["outcome", "method"])
    documented = sim.truth.query("study == 'triage' and estimand == 'bias'").set_index("outcome")["value"]
    for outcome, truth_name in (("days_capped_365", "rmst_365"), ("appealed", "appealed"),
                                ("rmst_365", "rmst_365")):
        method = "km_rmst" if outcome == "rmst_365" else "raw"
        row = rows.loc[(outcome, method)]
        assert row["estimand"] == "raw"
        assert not row["covers"], outcome
        bias = row["estimate"] - row["truth"]
        # Same direction as the simulator's documented bias and at least half its size.
        assert np.sign(bias) == np.sign(documented[truth_name])
        assert abs(bias) > 0.5 * abs(documented[truth_name])


def test_diagnostics_present_and_balance_improves(honest):
    _, study = honest
    bal = study.diagnostics["balance"]
    assert bal["smd_before"].abs().max() > 0.3
    assert bal["smd_after"].abs().max() < bal["smd_before"].abs().max() / 2
    ess = study.diagnostics["ess"].set_index("arm")
    assert 0 < ess.loc["control", "ess"] < ess.loc["control", "n"]
    overlap = study.diagnostics["overlap"].set_index("arm")
    assert overlap["trimmed"].sum() == int((~study.kept).sum())
    cox = study.tidy().query("method == 'cox'").iloc[0]
    # Simple cases close faster: hazard ratio of closing above one.
    assert cox["estimand"] == "HR" and cox["ci_low"] > 1
    assert "估计对象：ATT" in study.summary("zh") and "estimand: ATT" in study.summary("en")


def test_hidden_confounding_misses_truth_and_sensitivity_bounds_it(confounded):
    sim, study = confounded
    rows = _with_truth(sim, study).set_index(["outcome", "method"])
    dr = rows.loc[("days_capped_365", "aipw")]
    assert not dr["covers"]
    sens = study.diagnostics["sensitivity"].set_index("outcome").loc["days_capped_365"]
    # The strength of the hidden factor, measured on the latent data the study never sees.
    out = study.sample.outcomes["days_capped_365"]
    mask = out.mask
    hidden = sim.latent.set_index("case_id").loc[study.sample.frame["case_id"], "complexity_hidden"].to_numpy()
    x = study.sample.design.loc[mask]
    x = x.loc[:, x.nunique() > 1].to_numpy(dtype=float)
    z = np.column_stack([np.ones(mask.sum()), x, study.sample.treatment[mask], hidden[mask], out.values[mask]])
    k = x.shape[1] + 1
    cp = _CrossProducts(z)
    cov = list(range(k))
    r2_dz = cp.partial_r2(cov + [k + 1], cov, k)
    r2_yz = cp.partial_r2(cov + [k, k + 1], cov + [k], k + 2)
    bound = bias_bound(sens["ols_std_error"], int(sens["dof"]), r2_dz, r2_yz)
    # With the hidden factor in the regression, the treatment coefficient moves by exactly the
    # Cinelli-Hazlett bound at the factor's true strength (an identity for OLS; 1e-6 relative) ...
    with_hidden = np.linalg.lstsq(z[:, : k + 2], z[:, k + 2], rcond=None)[0][k]
    assert abs(sens["ols_estimate"] - with_hidden) == pytest.approx(bound, rel=1e-6)
    # ... which removes most of the gap between the estimate and the truth,
    assert abs(with_hidden - dr["truth"]) < 0.5 * abs(sens["ols_estimate"] - dr["truth"])
    # ... while that strength is beyond every observed-covariate benchmark: the benchmarked
    # analysis calls the estimate robust, because a hidden confounder stronger than anything
    # observed is exactly what it cannot rule out.
    bench = study.diagnostics["benchmarks"].query("outcome == 'days_capped_365'")
    assert r2_yz > bench["r2_yz"].max()
    assert not sens["explained_by_benchmark"]


def test_heterogeneity_by_court(honest):
    _, study = honest
    res = heterogeneity(study.sample, by=("court",), outcomes=["days_capped_365"], methods=("raw", "aipw"))
    tidy = res.tidy()
    assert set(tidy["aggregation"]) == {"court"}
    assert tidy["group"].nunique() + len(res.diagnostics["skipped"]) == study.sample.frame["court"].nunique()
    # Court ATTs average (treated-weighted) back to about the overall one.
    dr = tidy.query("method == 'aipw'")
    overall = study.tidy().query("outcome == 'days_capped_365' and method == 'aipw'")["estimate"].iloc[0]
    pooled = np.average(dr["estimate"], weights=dr["n_treated"].astype(float))
    assert pooled == pytest.approx(overall, abs=3.0)


def test_claim_bands():
    amounts = pd.Series([0.0, 9999.0, 10000.0, 250000.0, np.nan])
    assert claim_band(amounts).tolist() == ["[0, 10000)", "[0, 10000)", "[10000, 50000)", ">= 200000",
                                            "(missing)"]


def test_ate_on_the_trimmed_sample(honest):
    sim, _ = honest
    study = run_triage_study(sim.cases, sim.courts, as_of=sim.as_of, estimand="ATE", cox=False,
                             sensitivity=False, rollout=False)
    # Crump et al. trimming keeps 0.1 <= e <= 0.9; the ATE is that of the cases kept.
    overlap = study.diagnostics["overlap"]
    assert overlap["trimmed"].sum() == int((~study.kept).sum()) > 0
    rows = _with_truth(sim, study, "ATE").set_index(["outcome", "method"])
    for outcome in ("days_capped_365", "appealed"):
        row = rows.loc[(outcome, "aipw")]
        assert row["estimand"] == "ATE"
        assert row["covers"], (outcome, row["estimate"], row["truth"])


def test_reader_text(honest):
    _, study = honest
    n_outcomes = study.tidy().query("method in ['aipw', 'ipw_km_rmst']").shape[0]
    for lang in ("zh", "en"):
        assert len(study.findings(lang)) == n_outcomes
        assert len(study.sensitivity_statement(lang)) == len(study.diagnostics["sensitivity"])
    table = study.comparison_table("en")
    assert "doubly robust (AIPW)" in table.columns and "raw difference (unadjusted)" in table.columns
    assert table.shape[0] == study.tidy()["outcome"].nunique()
