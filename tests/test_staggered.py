"""Case-level staggered difference in differences (courtstudy.studies.staggered).

Checked against independent computations: statsmodels OLS for the imputation estimator,
moderndid 0.2.0 ``att_gt(panel=False)`` / ``aggte`` for Callaway-Sant'Anna on repeated
cross-sections, the published mpdta numbers (R ``did`` README) for the repeated cross-section
estimator, brute-force refits for randomisation inference and the wild bootstrap.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from courtstudy.studies.staggered import (
    StaggeredData,
    case_weights,
    honest_did,
    prepare_staggered_data,
    reassignments,
    reestimate,
    staggered_effects,
    wald_ratio,
)
from courtstudy.studies.staggered.bootstrap import WEBB, wild_cluster_bootstrap
from courtstudy.studies.staggered.callaway import aggregate, att_gt
from courtstudy.studies.staggered.cells import cell_stats, cell_stats_by_mask
from courtstudy.studies.staggered.honest import bin_event_study
from courtstudy.studies.staggered.imputation import fit_imputation, lead_coefficients
from courtstudy.studies.staggered.randomization import n_reassignments, randomization_test
from courtstudy.studies.staggered.variance import estimate_shock_model, residual_maker

ADOPT = {"a": 8, "b": 11, "c": 14, "d": 17, "e": None, "f": None}


def _frame(seed: int = 1, n_periods: int = 20, shock_sd: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    shocks = rng.normal(0, shock_sd, (len(ADOPT), n_periods)) if shock_sd else np.zeros((6, n_periods))
    for ui, (u, g) in enumerate(ADOPT.items()):
        for t in range(n_periods):
            n = int(rng.integers(5, 15))
            cat = rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2])
            amt = rng.normal(size=n)
            eff = (0.5 + 0.1 * (t - g)) if (g is not None and t >= g) else 0.0
            y = (1 + 0.3 * ui + 0.2 * t + 0.5 * amt + (cat == "y") * 0.7 + eff + shocks[ui, t]
                 + rng.normal(size=n))
            date = pd.Timestamp("2020-01-01") + pd.DateOffset(months=t) + pd.Timedelta(days=3)
            rows += [(u, date, y[j], cat[j], amt[j], float(eff > 0)) for j in range(n)]
    return pd.DataFrame(rows, columns=["court", "filed", "y", "cat", "amt", "d"])


def _adoption() -> dict[str, pd.Timestamp]:
    return {u: (pd.Timestamp("2020-01-01") + pd.DateOffset(months=g) if g is not None else pd.NaT)
            for u, g in ADOPT.items()}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return _frame()


@pytest.fixture(scope="module")
def data(frame) -> StaggeredData:
    return prepare_staggered_data(frame, unit="court", time="filed", adoption=_adoption(),
                                  outcomes=["y", "d"], covariates=["cat", "amt"])


# --- data --------------------------------------------------------------------------------------

def test_prepare_codes_cohorts_and_covariates(data, frame):
    assert data.units == tuple("abcdef")
    assert list(data.cohort) == [8, 11, 14, 17, -1, -1]
    assert data.covariate_names == ("cat=y", "cat=z", "amt")
    assert data.n_cases == len(frame)
    assert np.all(np.diff(data.cell) >= 0)  # sorted by cell
    back = frame.loc[data.case_index, "y"].to_numpy()
    np.testing.assert_array_equal(back, data.outcomes["y"])


def test_adoption_mid_period_and_always_treated():
    frame = _frame(n_periods=6)
    adopt = {"a": pd.Timestamp("2020-03-15"), "b": pd.Timestamp("2019-12-01"), "c": pd.NaT,
             "d": pd.Timestamp("2030-01-01"), "e": pd.NaT, "f": pd.NaT}
    data = prepare_staggered_data(frame, unit="court", time="filed", adoption=adopt, outcomes=["y"])
    # mid-March start: March is the first treated month; b adopted before the window: dropped
    assert "b" not in data.units and data.always_treated == ("b",)
    cohort = dict(zip(data.units, data.cohort, strict=True))
    assert cohort["a"] == 2 and cohort["d"] == -1 and cohort["c"] == -1
    assert any("b" in note for note in data.notes["en"])
    with pytest.raises(ValueError, match="no date"):
        prepare_staggered_data(frame, unit="court", time="filed", adoption={"a": pd.NaT},
                               outcomes=["y"])


# --- imputation ----------------------------------------------------------------------------------

def test_imputation_matches_ols_on_untreated_cases(data, frame):
    (_, stats), = cell_stats_by_mask(data, ["y"])
    fit = fit_imputation(stats)
    names, w = fit.targets(("overall", "event"))
    est = fit.estimates(w)[:, 0]
    d = pd.DataFrame({"u": data.unit, "t": data.period, "y": data.outcomes["y"],
                      "cat": frame.loc[data.case_index, "cat"].to_numpy(),
                      "amt": frame.loc[data.case_index, "amt"].to_numpy()})
    tr = data.treated()
    model = smf.ols("y ~ C(u) + C(t) + C(cat) + amt", data=d[~tr]).fit()
    tau = d.loc[tr, "y"] - model.predict(d[tr])
    e = (d["t"] - data.cohort[d["u"]])[tr]
    assert est[0] == pytest.approx(tau.mean(), abs=1e-10)
    for k in range(3):
        assert est[names.index(f"event:{k}")] == pytest.approx(tau[e == k].mean(), abs=1e-10)
    # the estimate is linear in Y with the weights the variance uses
    lw = fit.linear_weights(names, w)
    v = lw.case_values(data.unit, data.period, data.covariates)
    np.testing.assert_allclose(v.T @ data.outcomes["y"], est, atol=1e-10)
    cells = np.stack([np.bincount(data.cell, v[:, j], minlength=6 * 20) for j in range(len(names))])
    np.testing.assert_allclose(cells.reshape(lw.cell_sum.shape), lw.cell_sum, atol=1e-12)
    s2 = fit.within_variance()[..., 0]
    s2_case = s2.reshape(-1)[data.cell]
    np.testing.assert_allclose(lw.case_covariance(stats, s2), (v * s2_case[:, None]).T @ v, atol=1e-12)


def test_lead_coefficients_match_ols(data, frame):
    (_, stats), = cell_stats_by_mask(data, ["y"])
    coefs, weights, _ = lead_coefficients(stats, 3)
    d = pd.DataFrame({"u": data.unit, "t": data.period, "y": data.outcomes["y"],
                      "cat": frame.loc[data.case_index, "cat"].to_numpy(),
                      "amt": frame.loc[data.case_index, "amt"].to_numpy()})
    e = np.where(data.cohort[data.unit] >= 0, data.period - data.cohort[data.unit], -99)
    for k in (1, 2, 3):
        d[f"l{k}"] = (e == -k).astype(float)
    model = smf.ols("y ~ C(u) + C(t) + C(cat) + amt + l1 + l2 + l3", data=d[~data.treated()]).fit()
    np.testing.assert_allclose(coefs[:, 0], model.params[["l1", "l2", "l3"]], atol=1e-10)
    v = weights.case_values(data.unit, data.period, data.covariates)
    np.testing.assert_allclose(v.T @ data.outcomes["y"], coefs[:, 0], atol=1e-10)


def test_case_weights_and_reestimate_agree_with_the_estimate(data):
    res = staggered_effects(data, ["y"], randomization=False)
    w = case_weights(data, "y")
    assert float(w["overall"] @ pd.Series(data.outcomes["y"], index=data.case_index)) == \
        pytest.approx(res.effects["y"].estimate, abs=1e-10)
    again = reestimate(data, ["y"], data.cohort[None, :])
    assert again[0, 0] == pytest.approx(res.effects["y"].estimate, abs=1e-10)


# --- variance -----------------------------------------------------------------------------------

def test_shock_model_recovers_a_known_ar1_process():
    """Unbiased on average over worlds for what the standard errors use: the variance of a
    court's post-minus-pre contrast (one world's rho has a standard deviation of ~0.14). The
    AR(1) variance alone gives a little to the (non-negative) drift term, so it is checked
    more loosely."""
    n_u, n_t, per_cell = 6, 60, 200
    cohort = np.array([18, 24, 30, 36, -1, -1])
    unit = np.repeat(np.arange(n_u), n_t * per_cell)
    period = np.tile(np.repeat(np.arange(n_t), per_cell), n_u)
    contrast = np.zeros(n_t)
    contrast[30:42], contrast[18:30] = 1 / 12, -1 / 12
    lags = np.abs(np.subtract.outer(np.arange(n_t), np.arange(n_t)))
    true_contrast = contrast @ (0.01 * 0.6**lags) @ contrast
    found = []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        shocks = np.zeros((n_u, n_t))
        e = rng.normal(0, 0.1, (n_u, n_t))
        shocks[:, 0] = e[:, 0]
        for t in range(1, n_t):
            shocks[:, t] = 0.6 * shocks[:, t - 1] + np.sqrt(1 - 0.36) * e[:, t]
        y = (rng.normal(0, 0.3, n_u)[unit] + 0.01 * period + shocks[unit, period]
             + rng.normal(size=len(unit)))
        data = StaggeredData(tuple("abcdef"), tuple(map(str, range(n_t))), "month", unit, period,
                             cohort, {"y": y}, np.zeros((len(unit), 0)), (), np.arange(len(unit)))
        stats = cell_stats(data, y, ["y"], use_covariates=False)
        fit = fit_imputation(stats)
        model = estimate_shock_model(fit, 0, fit.within_variance()[..., 0], residual_maker(fit))
        found.append((model.variance, model.rho,
                      contrast @ model.covariance(n_t) @ contrast))
    variance, rho, implied = np.mean(found, axis=0)
    assert implied == pytest.approx(true_contrast, rel=0.15)
    assert variance == pytest.approx(0.01, rel=0.3)
    assert rho == pytest.approx(0.6, abs=0.1)


def test_the_court_month_variance_splits_into_ar1_and_drift_parts():
    """The AR(1) and drift parts are the court-month component under each half of the shock
    model's covariance (computed the long way, v' Gamma v), for any weights; an estimator's
    parts add up to its court-month variance, estimand by estimand."""
    from courtstudy.studies.staggered.variance import ShockModel, shock_variance_parts

    rng = np.random.default_rng(1)
    v = rng.normal(size=(5, 14))
    model = ShockModel(variance=0.3, rho=0.7, n_cells=40, raw_excess=1.0, drift=0.02)
    parts = shock_variance_parts(v, model)
    ar_only = ShockModel(0.3, 0.7, 40, 1.0).covariance(14)
    drift_only = ShockModel(0.0, 0.0, 40, 1.0, 0.02).covariance(14)
    assert parts["ar"] == pytest.approx(np.einsum("ut,ts,us->", v, ar_only, v), rel=1e-12)
    assert parts["drift"] == pytest.approx(np.einsum("ut,ts,us->", v, drift_only, v), rel=1e-12)
    assert shock_variance_parts(v, ShockModel(0.0, 0.0, 40, -1.0)) == {"ar": 0.0, "drift": 0.0}
    shocked = prepare_staggered_data(_frame(shock_sd=0.5), unit="court", time="filed", adoption=_adoption(),
                                     outcomes=["y"], covariates=["cat", "amt"])
    for estimator in ("imputation", "callaway_santanna"):
        effect = staggered_effects(shocked, ["y"], estimator=estimator, randomization=False).effects["y"]
        assert effect.shock_model.variance > 0  # court-month shocks simulated and found
        for name in ("overall", next(n for n in effect.names if n.startswith("event:"))):
            split = effect.variance_parts(name)
            assert split["case"] == pytest.approx(effect.std_error("case", name) ** 2, rel=1e-12)
            assert sum(split.values()) == pytest.approx(effect.std_error("court_month", name) ** 2, rel=1e-9)
            assert min(split.values()) >= 0


def _shock_panel(seed: int, shock_sd: float, n_t: int = 48, per_cell: int = 10):
    """Six courts (four start dates, two never), AR(1) 0.5 court-month shocks, no effect: the
    imputation estimate's ``|t|`` with the court-month variance, the bootstrap-t critical value
    and the ``|t|`` with the case-level variance."""
    from courtstudy.studies.staggered.variance import bootstrap_t_draws, shock_covariance

    n_u = 6
    cohort = np.array([18, 24, 30, 36, -1, -1])
    unit = np.repeat(np.arange(n_u), n_t * per_cell)
    period = np.tile(np.repeat(np.arange(n_t), per_cell), n_u)
    rng = np.random.default_rng(seed)
    shocks = np.zeros((n_u, n_t))
    e = rng.normal(0, shock_sd, (n_u, n_t))
    shocks[:, 0] = e[:, 0]
    for t in range(1, n_t):
        shocks[:, t] = 0.5 * shocks[:, t - 1] + np.sqrt(0.75) * e[:, t]
    y = rng.normal(0, 0.3, n_u)[unit] + 0.01 * period + shocks[unit, period] + rng.normal(size=len(unit))
    data = StaggeredData(tuple("abcdef"), tuple(map(str, range(n_t))), "month", unit, period,
                         cohort, {"y": y}, np.zeros((len(unit), 0)), (), np.arange(len(unit)))
    stats = cell_stats(data, y, ["y"], use_covariates=False)
    fit = fit_imputation(stats)
    names, w = fit.targets(("overall",))
    estimate = fit.estimates(w)[0][0]
    lw = fit.linear_weights(names, w)
    s2 = fit.within_variance()[..., 0]
    case = lw.case_covariance(stats, s2)[0, 0]
    model = estimate_shock_model(fit, 0, s2, residual_maker(fit))
    variance = case + shock_covariance(lw, model)[0, 0]
    draws = bootstrap_t_draws(fit, s2, lw.cell_sum[0], case, model, draws=499, seed=seed)
    if model.variance <= 0 and model.drift <= 0:
        assert draws is None  # no shock detected: the boundary, where the bootstrap is not used
    critical = 1.959964 if draws is None else float(np.quantile(draws, 0.95))
    return abs(estimate) / np.sqrt(variance), critical, abs(estimate) / np.sqrt(case)


@pytest.mark.parametrize("shock_sd", [0.0, 0.3])
def test_bootstrap_t_interval_covers_with_six_courts(shock_sd):
    """Coverage of the court-month interval with the bootstrap-t critical value over 200 worlds
    (Monte Carlo SE 1.5 points): 93-97.5% with no shocks and with shocks strong enough that the
    case-level interval covers under 80%."""
    res = np.array([_shock_panel(seed, shock_sd) for seed in range(200)])
    coverage = np.mean(res[:, 0] <= res[:, 1])
    assert 0.93 <= coverage <= 0.975
    if shock_sd:
        assert np.mean(res[:, 2] <= 1.959964) < 0.80
        assert np.median(res[:, 1]) > 1.96  # the shock variance is uncertain: wider than normal


def test_vectorised_shock_moments_match_a_scalar_solve():
    """The grid search over rho done at once (and for many moment vectors at once, as the
    bootstrap does) equals a plain loop with a 2 x 2 non-negative least squares per rho."""
    from courtstudy.studies.staggered.variance import RHO_GRID, _moment_solutions

    n_u, n_t = 6, 30
    cohort = np.array([12, 16, 20, 24, -1, -1])
    unit = np.repeat(np.arange(n_u), n_t * 5)
    period = np.tile(np.repeat(np.arange(n_t), 5), n_u)
    y = np.random.default_rng(3).normal(size=len(unit))
    data = StaggeredData(tuple("abcdef"), tuple(map(str, range(n_t))), "month", unit, period,
                         cohort, {"y": y}, np.zeros((len(unit), 0)), (), np.arange(len(unit)))
    maker = residual_maker(fit_imputation(cell_stats(data, y, ["y"], use_covariates=False)))
    rng = np.random.default_rng(0)
    noise = maker.noise_moments(np.full(len(maker.cells), 0.2))
    q = noise + rng.normal(0, 1.0, (40, 3)) * np.array([3.0, 1.0, 1.0])
    lags = np.arange(len(maker.b0_by_lag))
    w0, w1, wf = (float(b @ (-lags / 2.0)) for b in (maker.b0_by_lag, maker.b1_by_lag, maker.bfar_by_lag))

    def scalar(qq):
        if qq[0] - noise[0] <= 0:
            return 0.0, 0.0, 0.0
        best = (np.inf, 0.0, 0.0, 0.0)
        for rho in RHO_GRID:
            a0, a1, af = ((rho ** lags) @ b for b in (maker.b0_by_lag, maker.b1_by_lag, maker.bfar_by_lag))
            if a0 <= 0:
                continue
            a = np.array([[a0, w0], [af, wf]])
            b = np.array([qq[0] - noise[0], qq[2] - noise[2]])
            cands = []
            x = np.linalg.solve(a, b)
            if (x >= 0).all():
                cands.append(x)
            for j in range(2):
                c = np.zeros(2)
                c[j] = max(a[:, j] @ b / (a[:, j] @ a[:, j]), 0.0)
                cands.append(c)
            cands.append(np.zeros(2))
            x = cands[int(np.argmin([np.sum((a @ c - b) ** 2) for c in cands]))]
            gap = abs(x[0] * a1 + x[1] * w1 + noise[1] - qq[1])
            if gap < best[0]:
                best = (gap, rho, x[0], x[1])
        return best[2], best[1], best[3]

    sigma2, rho, delta = _moment_solutions(maker, q, noise)
    expected = np.array([scalar(qq) for qq in q])
    assert (q[:, 0] > noise[0]).sum() >= 15 and (expected[:, 0] > 0).any() and (expected[:, 2] > 0).any()
    np.testing.assert_allclose(np.column_stack([sigma2, rho, delta]), expected, rtol=1e-9, atol=1e-12)


# --- randomisation inference -------------------------------------------------------------------

def test_reassignments_enumerate_distinct_permutations():
    cohort = np.array([3, 5, 7, -1, -1])
    rows, exact = reassignments(cohort)
    assert exact and len(rows) == n_reassignments(cohort) == 60
    assert (rows[0] == cohort).all()
    assert len({tuple(r) for r in rows}) == 60
    big = np.array([2, 3, 4, 5, 6, 7, 8, 9, 10, -1, -1, -1])
    rows, exact = reassignments(big, draws=99, seed=1)
    assert not exact and len(rows) == 100 and (rows[0] == big).all()


def test_randomization_interval_endpoints_are_exact():
    rng = np.random.default_rng(0)
    a = rng.normal(size=120)
    b = rng.uniform(-0.2, 0.6, size=120)  # a reassignment overlaps the observed one partly
    b[0] = 1.0
    res = randomization_test(a, b, exact=True, alpha=0.05)

    def p(t0):
        s = np.abs(a - t0 * b)
        return np.mean(s >= s[0] - 1e-12)

    assert res.p_value == pytest.approx(p(0.0))
    assert p(res.ci_low) > 0.05 and p(res.ci_high) > 0.05
    assert p(res.ci_low - 1e-6) <= 0.05 and p(res.ci_high + 1e-6) <= 0.05


def test_randomization_estimates_equal_brute_force_refits(data):
    res = staggered_effects(data, ["y"], ri_draws=20, seed=2)
    ri = res.effects["y"].randomization
    assert ri.exact and ri.n_assignments == 360
    rows, _ = reassignments(data.cohort)
    for r in (0, 17, 200):
        d = prepare_staggered_data(_frame(), unit="court", time="filed", adoption={
            u: (pd.Timestamp("2020-01-01") + pd.DateOffset(months=int(g)) if g >= 0 else pd.NaT)
            for u, g in zip(data.units, rows[r], strict=True)}, outcomes=["y"],
            covariates=["cat", "amt"])
        assert ri.estimates[r] == pytest.approx(
            staggered_effects(d, ["y"], randomization=False).effects["y"].estimate, abs=1e-10)


# --- wild bootstrap --------------------------------------------------------------------------------

def test_wild_bootstrap_statistic_equals_a_brute_force_draw(data):
    stats_all = cell_stats_by_mask(data, ["y", "d"])[0][1]
    fit = fit_imputation(stats_all)
    res = wild_cluster_bootstrap(stats_all, 0, fit, treated_column=1, draws=50, seed=1,
                                 max_enumerated=10)
    assert 0 <= res.p_value <= 1 and res.ci_low < res.estimate < res.ci_high
    # one draw by hand: restricted fit on every case, y* = fitted + v_u * residual, refit
    v = WEBB[[0, 5, 2, 3, 1, 4]]
    y = data.outcomes["y"]
    x = data.covariates
    design = pd.get_dummies(pd.DataFrame({"u": data.unit, "t": data.period}).astype(str),
                            drop_first=True).to_numpy(float)
    z = np.column_stack([np.ones(len(y)), design, x])
    coef = np.linalg.lstsq(z, y, rcond=None)[0]
    y_star = z @ coef + v[data.unit] * (y - z @ coef)
    boot = data.with_outcomes({"y": y_star})
    direct = staggered_effects(boot, ["y"], randomization=False).effects["y"]
    from courtstudy.studies.staggered.bootstrap import _pieces

    s, k = _pieces(stats_all, 0, fit)
    assert v @ s == pytest.approx(direct.estimate, abs=1e-9)
    assert np.sqrt(6 / 5 * ((k @ v) ** 2).sum()) == pytest.approx(direct.std_error("unit_cluster"),
                                                                  rel=1e-8)


# --- ratio ---------------------------------------------------------------------------------------

def test_wald_ratio_is_the_ratio_of_effects_with_a_delta_method_se(data):
    res = staggered_effects(data, ["y", "d"], randomization=False)
    ratio = wald_ratio(data, "y", "d", ri_draws=50)
    assert ratio.estimate == pytest.approx(res.effects["y"].estimate / res.effects["d"].estimate)
    assert res.effects["d"].estimate == pytest.approx(1.0)  # d is the treatment itself
    # with a denominator effect of exactly one, the ratio's SE is the numerator's
    assert ratio.std_errors["case"] == pytest.approx(res.effects["y"].std_error("case"), rel=1e-6)
    assert ratio.ci_ri[0] < ratio.estimate < ratio.ci_ri[1]
    # the parts of the court-month variance add up to it, and the case part is the case variance
    parts = ratio.variance_parts
    assert sum(parts.values()) == pytest.approx(ratio.std_errors["court_month"] ** 2, rel=1e-9)
    assert parts["case"] == pytest.approx(ratio.std_errors["case"] ** 2, rel=1e-9)
    assert min(parts.values()) >= 0
    model = ratio.shock_model
    assert (parts["drift"] == 0) == (model.drift == 0)


# --- Callaway-Sant'Anna for repeated cross-sections ---------------------------------------------

@pytest.fixture(scope="module")
def court_cases() -> tuple[StaggeredData, pd.DataFrame]:
    from courtstudy.simulate import simulate_court

    sim = simulate_court(seed=3, scale=0.15, n_courts=6, n_never_fast_track=2,
                         one_court_per_cohort=True)
    c = sim.cases
    c = c[(c["case_type"] == "civil") & (c["instance"] == "first") & (c["filed_date"] < "2023-06-01")]
    days = (c["closed_date"].where(c["closed_date"] <= sim.as_of) - c["filed_date"]).dt.days
    c = c.assign(closed_90=(days <= 90).astype(float), rmst=days.fillna(180).clip(upper=180),
                 log_claim=np.log(c["claim_amount"]))
    starts = sim.courts.drop_duplicates("court").set_index("court")["fast_track_start"]
    data = prepare_staggered_data(c, adoption=starts, outcomes=["closed_90", "rmst"],
                                  covariates=["log_claim", "n_parties"], period="quarter")
    frame = pd.DataFrame({"y": data.outcomes["closed_90"], "t": data.period + 1,
                          "g": np.where(data.cohort[data.unit] >= 0, data.cohort[data.unit] + 1, 0),
                          "la": data.covariates[:, 0], "lam": data.covariates[:, 1],
                          "parties": data.covariates[:, 2]})
    return data, frame


@pytest.mark.parametrize(("covariates", "control_group", "base_period"), [
    (False, "notyettreated", "varying"), (True, "notyettreated", "universal"),
    (True, "nevertreated", "varying")])
def test_callaway_santanna_rcs_equals_moderndid(court_cases, covariates, control_group, base_period):
    import moderndid as md

    data, frame = court_cases
    fit = att_gt(data, ["closed_90"], covariates=covariates, control_group=control_group,
                 base_period=base_period)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = md.att_gt(data=frame, yname="y", tname="t", gname="g", panel=False,
                        control_group=control_group, base_period=base_period, cband=False,
                        xformla="~ la + lam + parties" if covariates else None)
        mine = pd.Series(fit.att[:, 0], index=list(zip(fit.groups + 1, fit.times + 1, strict=True)))
        theirs = pd.Series(ref.att_gt, index=list(zip(ref.groups.astype(int), ref.times.astype(int),
                                                      strict=True)))
        assert set(mine.index) == set(theirs.index)
        np.testing.assert_allclose(mine[theirs.index], theirs, atol=1e-9)
        for kind in ("simple", "dynamic", "group"):
            agg = aggregate(fit, kind)
            ref_agg = md.aggte(ref, type=kind, na_rm=True)
            assert agg.estimates[-1, 0] == pytest.approx(ref_agg.overall_att, abs=1e-10)
            assert agg.std_errors[-1, 0] == pytest.approx(ref_agg.overall_se, rel=1e-8)
            if kind == "dynamic":
                np.testing.assert_allclose(agg.estimates[:-1, 0], ref_agg.att_by_event, atol=1e-9)
                np.testing.assert_allclose(agg.std_errors[:-1, 0], ref_agg.se_by_event, rtol=1e-7)


def test_callaway_santanna_linear_weights_without_covariates(court_cases):
    data, _ = court_cases
    fit = att_gt(data, ["closed_90"], covariates=False)
    agg = aggregate(fit, "simple")
    stats = cell_stats(data, data.outcomes["closed_90"], ["closed_90"], use_covariates=False)
    means = np.nan_to_num(stats.means()[..., 0])
    assert float((agg.cell_sum[0] / np.where(stats.n > 0, stats.n, 1) * stats.n * means).sum()) \
        == pytest.approx(agg.estimates[0, 0], abs=1e-10)


def test_repeated_cross_section_estimator_reproduces_published_mpdta():
    """R ``did`` README numbers (domain.md section 5): on the balanced mpdta panel the repeated
    cross-section estimator's means equal the panel's, so its point estimates must reproduce
    the published ones; its standard errors are moderndid's ``panel=False`` ones."""
    import moderndid as md

    df = md.load_mpdta()
    df = df.to_pandas() if hasattr(df, "to_pandas") else df
    years = sorted(df["year"].unique())
    counties = sorted(df["countyreal"].unique())
    unit = pd.Categorical(df["countyreal"], categories=counties).codes.astype(np.int64)
    period = df["year"].map({y: i for i, y in enumerate(years)}).to_numpy(np.int64)
    first = df.drop_duplicates("countyreal").set_index("countyreal")["first.treat"].reindex(counties)
    cohort = np.array([years.index(g) if g > 0 else -1 for g in first])
    order = np.lexsort((period, unit))
    data = StaggeredData(tuple(map(str, counties)), tuple(map(str, years)), "year", unit[order],
                         period[order], cohort, {"lemp": df["lemp"].to_numpy()[order]},
                         np.zeros((len(df), 0)), (), df.index.to_numpy()[order])
    fit = att_gt(data, ["lemp"], covariates=False, control_group="nevertreated")
    got = {(years[g], years[t]): a for g, t, a in zip(fit.groups, fit.times, fit.att[:, 0], strict=True)}
    published = {(2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373,
                 (2004, 2007): -0.1008, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
                 (2007, 2007): -0.0261}
    for key, value in published.items():
        assert got[key] == pytest.approx(value, abs=1e-4)
    assert aggregate(fit, "dynamic").estimates[-1, 0] == pytest.approx(-0.0772, abs=1e-4)
    group = aggregate(fit, "group")
    np.testing.assert_allclose(group.estimates[:, 0], [-0.0797, -0.0229, -0.0261, -0.031], atol=1e-4)
    simple = aggregate(fit, "simple")
    assert simple.estimates[0, 0] == pytest.approx(-0.0400, abs=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = md.aggte(md.att_gt(data=df, yname="lemp", tname="year", gname="first.treat",
                                 panel=False, cband=False), type="simple")
    assert simple.std_errors[0, 0] == pytest.approx(ref.overall_se, rel=1e-8)


def test_staggered_effects_tidy_rows(data):
    res = staggered_effects(data, ["y"], ri_draws=50, event_window=(-3, 4))
    t = res.tidy()
    overall = t[t["term"] == "overall"]
    assert set(overall["inference"]) == {"case", "court_month", "unit_cluster", "randomization"}
    assert overall["estimate"].nunique() == 1
    assert set(t.loc[t["term"] == "lead", "event_time"]) == {-1.0, -2.0, -3.0}
    assert set(t.loc[t["term"] == "event", "event_time"]) == {0.0, 1.0, 2.0, 3.0, 4.0}
    eff = res.effects["y"]
    assert eff.minimum_detectable_effect() == pytest.approx(2.8016 * eff.std_error(), rel=1e-3)
    assert np.isfinite(eff.pretrend["p_value"])


# --- Honest DiD ----------------------------------------------------------------------------------

def test_bin_event_study_averages_months_into_quarters():
    names = [f"event:{e}" for e in range(-7, 6)]
    est = np.arange(-7, 6, dtype=float)
    cov = np.eye(len(names))
    cov[names.index("event:-1"), names.index("event:-1")] = 0.0
    beta, sigma, bins, n_pre, n_post = bin_event_study(names, est, cov, max_pre=3, max_post=3)
    assert [b for b, _ in bins] == [-2, -1, 0, 1]
    assert (n_pre, n_post) == (2, 2)
    np.testing.assert_allclose(beta, [-6, -3, 1, 4])
    np.testing.assert_allclose(np.diag(sigma), [1 / 3] * 4)


def test_honest_did_runs_and_its_sentence_follows_the_numbers():
    names = [f"event:{e}" for e in range(-7, 6)]
    est = np.r_[np.zeros(7), np.full(6, 0.05)]
    cov = np.eye(len(names)) * 1e-4
    cov[6, 6] = 0.0
    res = honest_did("y", names, est, cov, max_pre=2, max_post=2, mbar=(0.0, 1.0), n_m=2)
    assert res.original[0] > 0
    assert len(res.relative_magnitude) == 2 and len(res.smoothness) == 2
    text = res.describe("en")
    b = res.breakdown_mbar
    assert (f"Mbar={b:g}" in text) if np.isfinite(b) else ("robust to sizeable" in text)
    with pytest.raises(ValueError, match="two pre-adoption bins"):
        honest_did("y", names[5:], est[5:], cov[5:, 5:], max_pre=2)


def test_multiset_count():
    cohort = np.array([1, 1, 2, -1])
    assert n_reassignments(cohort) == len(set(itertools.permutations(cohort.tolist()))) == 12


def test_cell_means_by_hand():
    # two units x two periods; NaN outcomes do not count, an empty cell is NaN
    unit = np.array([0, 0, 0, 1, 1])
    period = np.array([0, 0, 1, 0, 0])
    data = StaggeredData(("a", "b"), ("p0", "p1"), "month", unit, period, np.array([1, -1]),
                         {}, np.zeros((5, 0)), (), np.arange(5))
    means = data.cell_means(np.array([1.0, 3.0, 5.0, np.nan, 4.0]))
    assert means[0, 0] == 2.0 and means[0, 1] == 5.0 and means[1, 0] == 4.0
    assert np.isnan(means[1, 1])
