"""Maturity rules of the catalogue (issue 12's headline fixes): a figure computed at an early
as-of date is either flagged immature (not compared) or points the same way, year on year, as
the figure the settled data give. Survival figures use a horizon the period's follow-up
supports and then equal the settled figure exactly; reversal/remand figures wait until at most
MAX_UNDECIDED_SHARE of the period's appeals are undecided."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from courtstudy.core.periods import period_range
from courtstudy.indicators import IndicatorEngine, compare
from courtstudy.indicators.definitions import BY_NAME
from courtstudy.indicators.overview import headline_horizon

NAMES = ["rmst_days", "km_median_days", "reversal_remand_rate",
         "reversal_remand_share_of_appeals", "appeal_rate", "acceptance_rate", "mean_days",
         "disposition_rate"]
#: Snapshot dates from a quarter to fifteen months after the first periods end.
EARLY = ("2022-12-20", "2023-02-15", "2023-05-20", "2023-08-31", "2023-11-10", "2024-01-20",
         "2024-03-31")


@pytest.fixture(scope="module")
def court():
    simulate = pytest.importorskip("courtstudy.simulate")
    logging.getLogger("courtstudy").setLevel(logging.ERROR)  # cases filed after early as-of dates
    sim = simulate.simulate_court(seed=20240101, scale=0.1, as_of="2025-06-30")
    settled = IndicatorEngine(sim.cases, as_of=sim.as_of)
    early = {a: IndicatorEngine(sim.cases, as_of=a) for a in EARLY}
    logging.getLogger("courtstudy").setLevel(logging.NOTSET)
    return settled, early


def _pairs():
    for as_of in EARLY:
        for period in period_range("2022-07-01", as_of, "quarter"):
            if period.end < pd.Timestamp(as_of):
                yield as_of, period


def _compared(engine, periods, horizon) -> pd.DataFrame:
    """One query for several periods with one horizon: the periods and the year before each."""
    wanted = sorted({p for q in periods for p in (q, q.shift("yoy"))}, key=lambda p: p.start)
    out = compare(engine.compute(by=[], period=wanted, horizon=horizon, indicators=NAMES))
    return out.set_index(["period", "indicator"])


def _both(court, horizon_of):
    """(as_of, period, early row set, settled row set) for every pair, with the horizon each
    pair gets from ``horizon_of(period, as_of)``; one query per as-of date and horizon."""
    settled, early = court
    by_key: dict[tuple[str, int], list] = {}
    for as_of, period in _pairs():
        by_key.setdefault((as_of, horizon_of(period, pd.Timestamp(as_of))), []).append(period)
    later_cache: dict[int, pd.DataFrame] = {}
    for (as_of, horizon), periods in by_key.items():
        now = _compared(early[as_of], periods, horizon)
        if horizon not in later_cache:
            later_cache[horizon] = _compared(settled, [p for _, p in _pairs()], horizon)
        for period in periods:
            yield as_of, period, now.loc[period.label], later_cache[horizon].loc[period.label]


def _latest_supported(period, as_of):
    """The horizon the latest quarter ended before ``as_of`` supports (so also every earlier
    one): one query per as-of date."""
    latest = max(p for a, p in _pairs() if pd.Timestamp(a) == as_of)
    return headline_horizon(latest, as_of)


def test_early_figures_never_point_against_the_settled_ones(court):
    compared = same_value = 0
    for as_of, period, now, later in _both(court, _latest_supported):
        for name in NAMES:
            if not now.loc[name, "comparable"]:
                assert now.loc[name, "immature"] or pd.isna(now.loc[name, "value"])
                continue
            compared += 1
            assert now.loc[name, "direction"] == later.loc[name, "direction"], (as_of, period, name)
            if BY_NAME[name].maturity == "follow_up":
                # mature survival figures look no further than the follow-up: the settled value
                # (to rounding: the settled curve has more closing times to sum over)
                assert now.loc[name, "value"] == pytest.approx(later.loc[name, "value"],
                                                               rel=1e-12), (as_of, period, name)
                same_value += 1
    assert compared > 150 and same_value > 30


def test_a_fixed_365_day_horizon_points_against_the_settled_figure_and_is_flagged(court):
    """The failure issue 12 reported (2023Q4 RMST to 365 days said worse while the curves
    showed faster closing): it happens here too, and the follow-up rule flags every case."""
    flips = 0
    for _, _, now, later in _both(court, lambda period, as_of: 365):
        if now.loc["rmst_days", "direction"] != later.loc["rmst_days", "direction"]:
            flips += 1
            assert now.loc["rmst_days", "immature"] and not now.loc["rmst_days", "comparable"]
    assert flips >= 3


def test_reversal_immature_while_appeals_undecided():
    from test_indicators import AS_OF, COURTS, fixture_cases

    engine = IndicatorEngine(fixture_cases(), courts=COURTS, as_of=AS_OF)
    long = engine.compute(by="court", period="2023Q4", horizon=90)
    jia = long[long["court"] == "甲"].set_index("indicator")
    assert not jia["immature"].drop(["km_median_days"]).any()  # no 2023Q4 closing was appealed
    # the cohort's median (114 days: c11) is longer than its 91 days of follow-up
    assert jia.loc["km_median_days", "immature"] and jia.loc["km_median_days", "value"] == 114
    # 2024Q1 of the fixture: 2 of 3 appeals undecided, closings within 30 days of as_of
    q1 = engine.compute(by="court", period="2024Q1")
    jia = q1[q1["court"] == "甲"].set_index("indicator")
    assert jia.loc["reversal_remand_rate", "immature"]
    assert jia.loc["rmst_days", "immature"] and jia.loc["km_median_days", "immature"]
    later = IndicatorEngine(fixture_cases(), courts=COURTS, as_of="2024-12-31").compute(
        by="court", period="2024Q1", horizon=90)
    jia = later[later["court"] == "甲"].set_index("indicator")
    assert not jia.loc["rmst_days", "immature"] and not jia.loc["km_median_days", "immature"]
    assert np.isfinite(jia.loc["rmst_days", "value"])
