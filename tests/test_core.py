"""The core layer: calendar arithmetic, survival estimates against statsmodels, category sets,
text labels. Expected values are hand-computed or come from pandas / statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.core import calendar, categories, survival, text
from courtstudy.core.schema import VOCABULARIES

T = pd.Timestamp


# -- calendar ------------------------------------------------------------------------------
@pytest.mark.parametrize(("date", "months", "expected"), [
    ("2023-08-31", 6, "2024-02-29"),   # clipped to a leap-year month end
    ("2023-08-31", 18, "2025-02-28"),
    ("2023-03-31", 1, "2023-04-30"),
    ("2024-02-29", 12, "2025-02-28"),
    ("2023-01-15", 0, "2023-01-15"),
    ("2023-01-31", -2, "2022-11-30"),  # backwards too
    ("1999-12-31", 2, "2000-02-29"),   # 2000 is a leap year (divisible by 400)
    ("2099-12-31", 2, "2100-02-28"),   # 2100 is not
])
def test_add_months_hand_computed(date, months, expected):
    assert calendar.add_months_to(date, months) == T(expected)
    got = calendar.add_calendar_months(pd.Series([T(date)]), pd.Series([months]))
    assert got.iloc[0] == T(expected)


def test_add_months_agrees_with_pandas_offsets_every_day():
    dates = pd.Series(pd.date_range("1999-12-01", "2026-03-31", freq="D"))
    days = calendar.day_numbers(dates)
    for months in (1, 2, 3, 6, 12, 18, 36, -12):
        expected = calendar.day_numbers(dates + pd.DateOffset(months=months))
        np.testing.assert_array_equal(calendar.add_months(days, months), expected)
    np.testing.assert_array_equal(calendar.month_index(days),
                                  (dates.dt.year * 12 + dates.dt.month - 1).to_numpy())
    year, month, day = calendar.civil_from_days(days)
    np.testing.assert_array_equal(year, dates.dt.year.to_numpy())
    np.testing.assert_array_equal(day, dates.dt.day.to_numpy())
    np.testing.assert_array_equal(calendar.days_from_civil(year, month, day), days)
    np.testing.assert_array_equal(calendar.weekday(days), dates.dt.day_of_week.to_numpy())


def test_missing_dates_and_months():
    got = calendar.add_calendar_months(pd.Series([T("2023-01-31"), pd.NaT, T("2023-05-01")]),
                                       pd.Series([1, 2, np.nan]))
    assert got.iloc[0] == T("2023-02-28") and got.iloc[1:].isna().all()
    assert str(got.dtype) == "datetime64[s]"
    assert calendar.day_numbers(pd.Series([pd.NaT]))[0] == calendar.MISSING_DAY


def test_over_and_completed_months():
    d = calendar.day_number
    filed = np.array([d("2023-01-15"), d("2022-12-31"), d("2023-01-31"), d("2022-08-31")])
    ends = np.array([d("2024-01-15"), d("2024-01-01"), d("2023-02-28"), d("2023-02-28")])
    # exactly 12 months is not "over 12 months"; one day later is
    assert list(calendar.over_months(filed[:2], ends[:2], 12)) == [False, True]
    assert list(calendar.completed_months(filed, ends)) == [12, 12, 1, 6]
    # completed months are the largest m with filed + m months <= end
    rng = np.random.default_rng(0)
    start = rng.integers(d("2019-01-01"), d("2023-12-31"), 2000)
    end = start + rng.integers(0, 1500, 2000)
    m = calendar.completed_months(start, end)
    assert (calendar.add_months(start, m) <= end).all()
    assert (calendar.add_months(start, m + 1) > end).all()


# -- survival ------------------------------------------------------------------------------
def _random_durations(n, seed, ties=True):
    rng = np.random.default_rng(seed)
    time = rng.gamma(1.4, 60, n)
    time = np.floor(time) if ties else time
    event = (rng.random(n) < 0.75).astype(float)
    return time, event


def test_kaplan_meier_matches_statsmodels():
    from statsmodels.duration.survfunc import SurvfuncRight

    for seed in range(5):
        time, event = _random_durations(400, seed)
        sf = SurvfuncRight(time, event)
        curve = survival.kaplan_meier(time, event)
        np.testing.assert_array_equal(curve.time, sf.surv_times)
        # the same arithmetic (exp of summed logs); our sum is compensated (Kahan), hence rtol
        np.testing.assert_allclose(curve.survival, sf.surv_prob, rtol=1e-12)
        finite = np.isfinite(sf.surv_prob_se)  # statsmodels leaves S = 0 without a SE
        np.testing.assert_allclose(curve.std_error[finite], sf.surv_prob_se[finite], rtol=1e-10)
        np.testing.assert_array_equal(curve.at_risk, sf.n_risk)
        assert curve.median() == sf.quantile(0.5) or (np.isnan(curve.median())
                                                      and np.isnan(sf.quantile(0.5)))


def test_median_rule_is_strict_like_statsmodels():
    from statsmodels.duration.survfunc import SurvfuncRight

    # four cases, two close on day 10: S(10) = 0.5 exactly; the median is the next closing
    time, event = np.array([10.0, 10, 20, 30]), np.ones(4)
    assert survival.kaplan_meier(time, event).median() == 20 == SurvfuncRight(time, event).quantile(0.5)
    # never below one half: no median
    assert np.isnan(survival.kaplan_meier(np.array([5.0, 9, 9]), np.array([1, 0, 0])).median())


def test_rmst_and_cohorts_match_statsmodels():
    from statsmodels.duration.survfunc import SurvfuncRight

    times, events, ids = [], [], []
    for k in range(6):
        t, e = _random_durations(150 + 40 * k, seed=10 + k)
        times.append(t)
        events.append(e)
        ids.append(np.full(len(t), k))
    time, event, cohort = map(np.concatenate, (times, events, ids))
    table = survival.cohort_summary(cohort, time, event, np.ones(len(time)), horizon=120)
    for k in range(6):
        sf = SurvfuncRight(times[k], events[k])
        row = table[table["cohort"] == k].iloc[0]
        grid = np.concatenate([[0.0], np.minimum(sf.surv_times, 120), [120.0]])
        expected = float(np.sum(np.concatenate([[1.0], sf.surv_prob]) * np.diff(grid)))
        assert row["rmst"] == pytest.approx(expected, rel=1e-12)
        assert row["median"] == sf.quantile(0.5)
        assert row["n"] == len(times[k]) and row["events"] == events[k].sum()
        value, infl = survival.rmst(times[k], events[k], 120)
        assert value == pytest.approx(expected, rel=1e-12)
        assert abs(infl.sum()) < 1e-8  # influence values are centred


def test_rmst_hand_computed_and_weighted():
    # S: 1 until 2, 2/3 from 2 (one of three closed), 1/3 from 3 (one of the two left closed)
    value, _ = survival.rmst(np.array([2.0, 3, 3]), np.array([1, 0, 1]), 4.0)
    assert value == pytest.approx(2 * 1 + 1 * 2 / 3 + 1 * 1 / 3)
    # integer weights are the same as repeated rows
    time, event = _random_durations(60, seed=3)
    w = np.random.default_rng(1).integers(1, 4, 60)
    rep = np.repeat(np.arange(60), w)
    a = survival.kaplan_meier(time, event, w.astype(float))
    b = survival.kaplan_meier(time[rep], event[rep])
    np.testing.assert_allclose(a.survival, b.survival, rtol=1e-12)
    assert survival.rmst(time, event, 90, w)[0] == pytest.approx(survival.rmst(time[rep], event[rep], 90)[0])


def test_km_steps_start_at_one():
    steps = survival.km_steps(np.array([0.0, 5, 5, 8]), np.array([True, True, False, True]))
    assert list(steps["time"]) == [0, 0, 5, 8]
    assert steps["surv"].iloc[0] == 1.0 and steps["surv"].iloc[-1] == 0.0


def test_supported_horizon():
    assert survival.follow_up_days("2023-12-31", "2024-03-31") == 91
    assert survival.supported_horizon("2023-12-31", "2024-03-31") == 90
    assert survival.supported_horizon("2022-12-31", "2024-03-31") == 365
    assert survival.supported_horizon("2024-03-20", "2024-03-31") == survival.MIN_HORIZON


# -- categories and text ---------------------------------------------------------------------
def test_category_sets_are_vocabulary_codes():
    assert {"modified", "remanded"} == categories.REVERSAL_REMAND
    assert {"mediation", "withdrawal"} == categories.MEDIATION_WITHDRAWAL
    assert tuple(VOCABULARIES["disposition"]) == categories.DISPOSITIONS
    assert categories.SIMPLIFIED_PROCEDURES >= categories.SMALL_CLAIMS


def test_text_labels_and_intervals():
    assert text.interval_label(0.05, "zh") == "95%置信区间"
    assert text.interval_bounds(0.1, "en") == ("90% CI low", "90% CI high")
    assert text.confidence_level(0.025) == "97.5%"
    assert text.column_label("court", "zh") == "法院" and text.column_label("period", "en") == "Period"
    with pytest.raises(ValueError, match="lang"):
        text.check_lang("fr")
    before = text.language()
    try:
        text.set_language("en")
        assert text.pick("中", "en") == "en"
    finally:
        text.set_language(before)
