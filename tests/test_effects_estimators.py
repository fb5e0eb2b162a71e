"""Estimators, survival functions and sensitivity measures against hand computations and known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.studies.triage import estimators as est
from courtstudy.studies.triage.diagnostics import balance_table, effective_sample_size, weights
from courtstudy.studies.triage.propensity import fit_propensity, trimming_mask
from courtstudy.studies.triage.sensitivity import (
    evalue_risk_difference,
    evalue_rr,
    omitted_variable_bounds,
    robustness_value,
)
from courtstudy.studies.triage.survival import kaplan_meier, rmst, rmst_difference


def _strata_data():
    """Two strata with different treatment shares and effects; every estimator is saturated."""
    # stratum, treated, outcome
    rows = ([(0, 1, y) for y in (5, 7)] + [(0, 0, y) for y in (1, 2, 3, 2)]
            + [(1, 1, y) for y in (10, 12, 11, 13, 9, 11)] + [(1, 0, y) for y in (4, 6)])
    d = pd.DataFrame(rows, columns=["s", "t", "y"]).astype(float)
    return d


def test_saturated_estimators_equal_stratified_hand_computation():
    d = _strata_data()
    x, t, y = d[["s"]].to_numpy(), d["t"].to_numpy(), d["y"].to_numpy()
    # Stratum effects: s=0: 6 - 2 = 4; s=1: 11 - 5 = 6. Treated: 2 in s=0, 6 in s=1; all: 6 and 8.
    att = (2 * 4 + 6 * 6) / 8
    ate = (6 * 4 + 8 * 6) / 14
    ps = fit_propensity(x, t)
    np.testing.assert_allclose(ps.score, np.where(d["s"] == 0, 2 / 6, 6 / 8), atol=1e-8)
    assert est.raw_difference(y, t).estimate == pytest.approx(y[t == 1].mean() - y[t == 0].mean())
    for estimand, truth in (("ATT", att), ("ATE", ate)):
        assert est.regression_adjustment(y, t, x, estimand).estimate == pytest.approx(truth, abs=1e-9)
        assert est.ipw(y, t, ps, estimand).estimate == pytest.approx(truth, abs=1e-7)
        assert est.aipw(y, t, x, ps, estimand).estimate == pytest.approx(truth, abs=1e-7)


def test_robust_ipw_se_equals_weighted_regression_hc0():
    """variance="robust" is the HC0 sandwich of the weighted regression y ~ 1 + t."""
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=(n, 2))
    t = (rng.random(n) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    y = x @ [1.0, -0.5] + 2 * t + rng.normal(size=n)
    ps = fit_propensity(x, t)
    for estimand in ("ATT", "ATE"):
        w = weights(ps.score, t, estimand)
        wls = sm.WLS(y, sm.add_constant(t), weights=w).fit(cov_type="HC0")
        r = est.ipw(y, t, ps, estimand, variance="robust")
        assert r.estimate == pytest.approx(wls.params[1], abs=1e-10)
        assert r.std_error == pytest.approx(wls.bse[1], rel=1e-6)


def _dgp(rng, n):
    """Confounded design with a nonlinear propensity; outcome linear in x with heterogeneous
    effects 2 + x1, so ATT != ATE. Returns x, t, y, ATT (sample), ATE (sample)."""
    x = rng.normal(size=(n, 3))
    e = 1 / (1 + np.exp(-(-0.3 + 0.8 * x[:, 0] - 0.5 * x[:, 1])))
    t = (rng.random(n) < e).astype(float)
    tau = 2 + x[:, 0]
    y0 = 1 + x @ [1.5, 1.0, -0.5] + rng.normal(size=n)
    y = y0 + t * tau
    return x, t, y, tau[t == 1].mean(), tau.mean()


def test_estimators_unbiased_with_calibrated_se_on_known_truth():
    rng = np.random.default_rng(20240101)
    reps, n = 150, 1500
    results = {(m, e): [] for m in ("regression", "ipw", "aipw") for e in ("ATT", "ATE")}
    raw_bias = []
    for _ in range(reps):
        x, t, y, att, ate = _dgp(rng, n)
        ps = fit_propensity(x, t)
        raw_bias.append(est.raw_difference(y, t).estimate - att)
        for (m, e), store in results.items():
            r = est.run_method(m, y, t, x, ps, e)
            truth = att if e == "ATT" else ate
            store.append((r.estimate - truth, r.std_error))
    # The raw difference is confounded (x1 raises both treatment and outcome).
    assert np.mean(raw_bias) > 0.4
    for (m, e), store in results.items():
        errors, ses = np.array(store).T
        # Bias within 4 Monte Carlo standard errors; SE within 20% of the empirical spread
        # (the truth is the sample ATT/ATE, so the spread is of estimate - sample truth).
        assert abs(errors.mean()) < 4 * errors.std() / np.sqrt(reps), (m, e, errors.mean())
        assert ses.mean() == pytest.approx(errors.std(), rel=0.2), (m, e, ses.mean(), errors.std())
        coverage = np.mean(np.abs(errors) <= 1.96 * ses)
        assert 0.88 <= coverage <= 1.0, (m, e, coverage)


def test_trimming_rules():
    e = np.array([0.05, 0.2, 0.5, 0.95, 0.97, 0.3])
    t = np.array([0, 0, 1, 1, 1, 0])
    np.testing.assert_array_equal(trimming_mask(e, t, "ATE"), [False, True, True, False, False, True])
    # ATT: treated above the largest control score (0.3) have no comparable control.
    np.testing.assert_array_equal(trimming_mask(e, t, "ATT"), [True, True, False, False, False, True])
    np.testing.assert_array_equal(trimming_mask(e, t, "ATT", "none"), [True] * 6)


def test_balance_and_ess():
    d = _strata_data()
    t = d["t"].to_numpy()
    ps = fit_propensity(d[["s"]].to_numpy(), t)
    w = weights(ps.score, t, "ATT")
    bal = balance_table(d[["s"]], t, w)
    assert bal["smd_before"].iloc[0] > 0.5
    assert bal["smd_after"].iloc[0] == pytest.approx(0.0, abs=1e-8)
    assert effective_sample_size(np.ones(10)) == 10
    assert effective_sample_size(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)


def test_kaplan_meier_hand_example():
    # Times 1,2,2,3,4 with the 3 censored: S(1)=4/5, S(2)=4/5*1/4... worked by hand below.
    time = np.array([1, 2, 2, 3, 4.0])
    event = np.array([1, 1, 0, 0, 1.0])
    km = kaplan_meier(time, event)
    # at 1: 5 at risk, 1 event -> 0.8; at 2: 4 at risk, 1 event -> 0.6; at 4: 1 at risk -> 0.
    np.testing.assert_allclose(km.time, [1, 2, 4])
    np.testing.assert_allclose(km.survival, [0.8, 0.6, 0.0])
    # Greenwood at t=2: 0.6^2 * (1/(5*4) + 1/(4*3))
    assert km.std_error[1] == pytest.approx(0.6 * np.sqrt(1 / 20 + 1 / 12))
    # RMST to 3: 1*1 + 0.8*1 + 0.6*1 = 2.4
    value, _ = rmst(time, event, 3.0)
    assert value == pytest.approx(2.4)
    # Integer weights equal replicated rows.
    w = np.array([2, 1, 3, 1, 2.0])
    rep = np.repeat(np.arange(5), w.astype(int))
    kw = kaplan_meier(time, event, w)
    kr = kaplan_meier(time[rep], event[rep])
    np.testing.assert_allclose(kw.survival, kr.survival)
    assert rmst(time, event, 3.5, w)[0] == pytest.approx(rmst(time[rep], event[rep], 3.5)[0])


def test_rmst_difference_recovers_exponential_truth():
    rng = np.random.default_rng(7)
    n, tau = 20000, 200.0
    t = rng.random(n) < 0.5
    scale = np.where(t, 80.0, 120.0)
    dur = rng.exponential(scale)
    cens = rng.uniform(0, 400, n)
    obs, ev = np.minimum(dur, cens), (dur <= cens).astype(float)
    diff, se, r1, r0 = rmst_difference(obs, ev, t, tau)
    truth = 80 * (1 - np.exp(-tau / 80)) - 120 * (1 - np.exp(-tau / 120))
    assert abs(diff - truth) < 3 * se
    assert 0.5 < se < 1.5


def test_evalue_and_robustness_value_formulas():
    # VanderWeele & Ding: RR 3.9 -> E-value 7.26.
    assert evalue_rr(3.9) == pytest.approx(7.26, abs=0.005)
    assert evalue_rr(1 / 3.9) == pytest.approx(7.26, abs=0.005)
    ev = evalue_risk_difference(0.1, 0.05, 0.15, treated_risk=0.2)  # p0 = 0.1, RR = 2
    assert ev["risk_ratio"] == pytest.approx(2.0)
    assert ev["evalue"] == pytest.approx(2 + np.sqrt(2))
    assert evalue_risk_difference(0.1, -0.01, 0.2, 0.2)["evalue_ci"] == 1.0
    # Cinelli & Hazlett (2020) Darfur example: t = 4.18, dof = 783 -> RV = 13.9%, RV_0.05 = 7.6%.
    assert robustness_value(4.18, 783) == pytest.approx(0.139, abs=1e-3)
    assert robustness_value(4.18, 783, alpha=0.05) == pytest.approx(0.076, abs=1e-3)


def test_omitted_variable_bounds_partial_r2():
    rng = np.random.default_rng(11)
    n = 3000
    z = rng.normal(size=n)
    w = rng.normal(size=n)
    t = (z + rng.normal(size=n) > 0).astype(float)
    y = 1.0 * t + 2 * z + 0.1 * w + rng.normal(size=n)
    design = pd.DataFrame({"z": z, "w": w})
    summary, table = omitted_variable_bounds(y, t, design, {"z": ["z"], "w": ["w"]})
    assert summary["r2_yd_x"] == pytest.approx(summary["t"] ** 2 / (summary["t"] ** 2 + summary["dof"]))
    table = table.set_index("covariate")
    # z is a far stronger confounder than w, in both treatment and outcome.
    assert table.loc["z", "r2_treatment"] > 10 * table.loc["w", "r2_treatment"]
    assert table.loc["z", "r2_outcome"] > 10 * table.loc["w", "r2_outcome"]
    assert table.loc["z", "bias_bound"] > table.loc["w", "bias_bound"]
