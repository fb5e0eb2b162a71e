"""TWFE weights, interrupted time series, placebo window and power simulation, against
hand computations and known data-generating processes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.studies.fasttrack import (
    callaway_santanna,
    interrupted_time_series,
    minimum_detectable_effect,
    placebo_window,
    simple_att_fast,
    twfe,
    twfe_weights,
)
from courtstudy.studies.fasttrack.its import default_maxlags
from courtstudy.studies.fasttrack.placebo import permutation_p_value


def _staggered(seed=0, cohorts=(0, 0, 0, 7, 7, 10, 10, 13, 13, 16), n_t=20, noise=0.1, effect=None):
    rng = np.random.default_rng(seed)
    rows = []
    for i, g in enumerate(cohorts):
        a = rng.normal()
        for t in range(1, n_t + 1):
            tau = effect(g, t) if (effect and g and t >= g) else 0.0
            rows.append({"court": f"c{i:02d}", "t": t, "cohort": g,
                         "treated": int(g > 0 and t >= g),
                         "y": a + 0.05 * t + rng.normal() * noise + tau, "tau": tau})
    return pd.DataFrame(rows)


def test_twfe_is_the_weighted_sum_of_cell_effects():
    # Noise-free outcome: unit + period effects + heterogeneous cell effects. TWFE must equal
    # sum w_it tau_it with the de Chaisemartin-D'Haultfoeuille weights (their Theorem 1).
    data = _staggered(noise=0.0, effect=lambda g, t: 0.1 * (t - g + 1) * (1 + g / 10))
    res = twfe(data, "y")
    w = twfe_weights(data).merge(data[["court", "t", "tau"]], on=["court", "t"])
    assert w["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert res.tidy()["estimate"].item() == pytest.approx((w["weight"] * w["tau"]).sum(), abs=1e-8)


def test_twfe_weights_go_negative_for_early_adopters_late():
    # Two units, no never-treated: the early adopter in the last period is a "control" for the
    # late adopter, so its weight is negative (Goodman-Bacon's forbidden comparison).
    data = pd.DataFrame({"court": ["e"] * 3 + ["l"] * 3, "t": [1, 2, 3] * 2,
                         "treated": [0, 1, 1, 0, 0, 1]})
    w = twfe_weights(data).set_index(["court", "t"])["weight"]
    assert w[("e", 3)] < 0
    assert w.sum() == pytest.approx(1.0)


def test_twfe_biased_cs_not_when_effects_grow():
    # A little noise: moderndid's cell regressions fail on exactly collinear outcomes.
    data = _staggered(noise=0.01, effect=lambda g, t: 0.2 * (t - g + 1))
    truth = data.loc[data["treated"] == 1, "tau"]
    cs = callaway_santanna(data, "y", control_group="notyettreated", aggregations=("simple",))
    tw = twfe(data, "y")
    cs_est = cs.tidy().query("aggregation == 'simple'")["estimate"].item()
    tw_est = tw.tidy()["estimate"].item()
    # The simple aggregate weights each cell (g, t) by its cohort's size: the mean effect over
    # treated court-periods.
    assert cs_est == pytest.approx(truth.mean(), abs=0.02)
    assert abs(tw_est - truth.mean()) > 0.3
    assert tw.diagnostics["n_negative_weights"] > 0


def _newey_west(x: np.ndarray, resid: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West sandwich by hand: (X'X)^-1 S (X'X)^-1, S = G0 + sum_l (1 - l/(L+1)) (Gl + Gl')."""
    u = x * resid[:, None]
    s = u.T @ u
    for lag in range(1, lags + 1):
        g = u[lag:].T @ u[:-lag]
        s += (1 - lag / (lags + 1)) * (g + g.T)
    bread = np.linalg.inv(x.T @ x)
    return bread @ s @ bread


def test_its_recovers_level_and_slope_with_hand_newey_west():
    rng = np.random.default_rng(3)
    n_t, t0 = 72, 37
    t = np.arange(1, n_t + 1)
    start = pd.period_range("2018-01", periods=n_t, freq="M").start_time
    season = 0.5 * np.sin(2 * np.pi * (start.month - 1) / 12)
    e = np.zeros(n_t)
    for i in range(1, n_t):
        e[i] = 0.4 * e[i - 1] + rng.normal() * 0.2
    post = (t >= t0).astype(float)
    y = 5 + 0.02 * t - 1.0 * post - 0.05 * (t - t0) * post + season + e
    series = pd.DataFrame({"t": t, "period_start": start, "y": y})
    res = interrupted_time_series(series, "y", adoption=t0, seasonality="month", court="X")
    rows = res.tidy().set_index("aggregation")
    for name, value in (("level_change", -1.0), ("slope_change", -0.05)):
        # within three standard errors (a 95% interval misses 1 draw in 20 by design)
        assert abs(rows.loc[name, "estimate"] - value) < 3 * rows.loc[name, "std_error"], name
    fit = res.diagnostics["fit"]
    lags = default_maxlags(n_t)
    assert lags == 3
    cov = _newey_west(np.asarray(fit.model.exog), np.asarray(fit.resid), lags)
    names = list(fit.params.index)
    i = names.index("level_change")
    assert rows.loc["level_change", "std_error"] == pytest.approx(np.sqrt(cov[i, i]), rel=1e-8)
    fitted = res.diagnostics["fitted"]
    np.testing.assert_allclose(fitted.loc[t].to_numpy(), y - np.asarray(fit.resid), atol=1e-10)
    ev = res.tidy()[res.tidy()["term"] == "event"].set_index("event_time")
    assert ev.loc[12.0, "estimate"] == pytest.approx(fit.params["level_change"]
                                                     + 12 * fit.params["slope_change"])


def test_its_festival_dummies_and_errors():
    start = pd.period_range("2020-01", periods=36, freq="M").start_time
    series = pd.DataFrame({"t": range(1, 37), "period_start": start,
                           "y": np.linspace(0, 1, 36) + (start.month == 12) * 0.3})
    res = interrupted_time_series(series, "y", adoption=20, seasonality="festival", maxlags=2)
    exog = res.diagnostics["fit"].model.exog_names
    assert "spring_festival" in exog and "december" in exog
    design = pd.DataFrame(res.diagnostics["fit"].model.exog, columns=exog)
    # Spring Festival months 2020-01, 2021-02, 2022-02
    assert design["spring_festival"].to_numpy().nonzero()[0].tolist() == [0, 13, 25]
    with pytest.raises(ValueError, match="at least 3 periods before"):
        interrupted_time_series(series, "y", adoption=2)


def test_placebo_window_uses_only_pre_adoption_periods():
    data = _staggered()
    window, info = placebo_window(data, shift=3)
    assert window["t"].max() == 6  # earliest real adoption is period 7
    fake = window.drop_duplicates("court").set_index("court")["cohort"]
    assert sorted(fake[fake > 0].unique().tolist()) == [4]  # 7-3; 10-3=7 is past the window
    with pytest.raises(ValueError, match="no fake adoption"):
        # 7-6=1 is the first period: no pre-period, and no other cohort to fake
        placebo_window(_staggered(cohorts=(0, 0, 7, 7)), shift=6)
    assert info["too_early"] == [] and info["n_periods"] == 6


def test_permutation_p_value_detects_a_real_shift_and_not_noise():
    noise = _staggered(seed=2, noise=0.2, cohorts=(0, 0, 0, 0, 0, 0, 7, 7, 7, 9, 9, 0), n_t=14)
    window = noise
    p_null = permutation_p_value(window, "y", permutations=199, seed=1)
    assert p_null == permutation_p_value(window, "y", permutations=199, seed=1)
    assert 0.05 < p_null <= 1.0
    shifted = window.assign(y=window["y"] + 1.0 * window["treated"])
    p_effect = permutation_p_value(shifted, "y", permutations=199, seed=1)
    # No permutation reaches the t-statistic of the true assignment: p = 1 / (1 + 199).
    assert p_effect == pytest.approx(1 / 200)


def test_injected_effect_shifts_estimate_and_keeps_se():
    # The power simulation relies on: adding delta to treated cells moves the simple ATT by
    # exactly delta and leaves its standard error unchanged.
    data = _staggered(seed=5, noise=0.3, cohorts=(0, 0, 0, 0, 0, 7, 7, 10, 10, 13, 16))
    delta = 0.37
    shifted = data.assign(y=data["y"] + delta * data["treated"])
    for cg in ("nevertreated", "notyettreated"):
        base = callaway_santanna(data, "y", control_group=cg, aggregations=("simple",)).tidy()
        moved = callaway_santanna(shifted, "y", control_group=cg, aggregations=("simple",)).tidy()
        b = base[base["aggregation"] == "simple"].iloc[0]
        m = moved[moved["aggregation"] == "simple"].iloc[0]
        assert m["estimate"] == pytest.approx(b["estimate"] + delta, abs=1e-10)
        assert m["std_error"] == pytest.approx(b["std_error"], rel=1e-10)
        wide = data.pivot(index="court", columns="t", values="y").to_numpy()
        cohorts = data.drop_duplicates("court")["cohort"].to_numpy()
        est, se = simple_att_fast(wide, cohorts, control_group=cg)
        assert est == pytest.approx(b["estimate"], abs=1e-10)
        assert se == pytest.approx(b["std_error"], rel=1e-9)


def test_mde_is_seeded_and_has_target_power():
    data = _staggered(seed=1, noise=0.2, cohorts=(0, 0, 0, 0, 9, 9, 12, 12, 15, 15, 18, 0), n_t=24)
    a = minimum_detectable_effect(data, "y", reps=200, seed=11)
    b = minimum_detectable_effect(data, "y", reps=200, seed=11)
    assert a.mde == b.mde
    assert a.power_at(a.mde_positive) >= 0.8 > a.power_at(a.mde_positive * 0.97)
    assert a.power_at(a.mde_negative) >= 0.8
    assert a.n_periods == 8 and a.n_treated == 7
    assert 0.0 <= a.size <= 0.25
    assert "80%" in a.summary("zh") and "power" in a.summary("en")
