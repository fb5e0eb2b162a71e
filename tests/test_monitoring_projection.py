"""Year-end projection: hand-computed case flows, no look-ahead, the engine's definitions,
targets, and calibration on a small synthetic court (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.core import schema
from courtstudy.monitoring import (
    Target,
    as_known_at,
    backtest_projections,
    coverage_table,
    parse_targets,
    project_year_end,
)
from courtstudy.monitoring.caseflow import CASE_CLASSES, N_BANDS, CaseFlow, day_number
from courtstudy.monitoring.projection import naive_values
from courtstudy.simulate import simulate_court

T = pd.Timestamp


def cases(rows: list[tuple]) -> pd.DataFrame:
    """(case_id, court, procedure, filed, closed) rows as a canonical civil first-instance frame."""
    frame = pd.DataFrame(rows, columns=["case_id", "court", "procedure", "filed_date", "closed_date"])
    frame["case_type"] = "civil"
    frame["instance"] = "first"
    frame["filed_date"] = pd.to_datetime(frame["filed_date"])
    frame["closed_date"] = pd.to_datetime(frame["closed_date"])
    return schema.conform_cases(frame)


FIXTURE = cases([
    ("a", "A", "ordinary", "2021-06-30", None),          # pending, over 18 months at 2023-01-01
    ("b", "A", "ordinary", "2022-02-10", "2023-02-01"),  # carried over, closed in Q1
    ("c", "A", "simplified", "2022-11-01", "2023-05-01"),  # carried over, closed after 03-31
    ("d", "A", "simplified", "2023-01-05", "2023-03-01"),  # filed and closed in Q1
    ("e", "A", "small_claims", "2023-02-20", None),      # filed in Q1, pending
    ("f", "A", "ordinary", "2023-03-31", "2023-03-31"),  # filed and closed on the origin day
    ("g", "A", "ordinary", "2023-04-02", None),          # filed after the origin: not yet known
    ("h", "B", "ordinary", "2022-12-31", "2022-12-31"),  # closed before the year: not carried
])


def test_window_counts_by_hand():
    flow = CaseFlow.from_cases(FIXTURE, ["court"], "2023-12-31")
    w = flow.window(day_number("2023-03-31"), 2023)
    a = list(flow.units["court"]).index("A")
    assert w.carried_over[a] == 3           # a, b, c
    assert w.filed_ytd[a] == 3              # d, e, f (g is after the origin)
    assert w.closed_ytd[a] == 3             # b, d, f
    assert w.pending[a] == 3                # a, c, e = carried + filed - closed
    assert w.over_12m_now[a] == 1 and w.over_18m_now[a] == 1   # a (filed 2021-06-30)
    # The stock by class and age band: a ordinary 639 days (band 540+), c simplified 150
    # days (band 135-180), e simplified class (small claims) 39 days (band 30-60).
    stock = w.stock[a]
    ordinary, simple = CASE_CLASSES.index("civil_ordinary"), CASE_CLASSES.index("civil_simple")
    assert stock[ordinary * N_BANDS + 9].tolist() == [0, 0, 1]    # over 18 months at year end
    # c (filed 2022-11-01) is over 12 months at 2023-12-31 if still pending: part 1.
    assert stock[simple * N_BANDS + 4].tolist() == [0, 1, 0]
    assert stock[simple * N_BANDS + 1].tolist() == [1, 0, 0]
    assert stock.sum() == 3
    # Of the stock, c closes by the year end (known: the data run to 2023-12-31).
    assert w.stock_closed[a].sum() == 1
    b = list(flow.units["court"]).index("B")
    assert w.carried_over[b] == 0 and w.pending[b] == 0


def test_naive_extrapolation_by_hand():
    flow = CaseFlow.from_cases(FIXTURE, ["court"], "2023-12-31")
    w = flow.window(day_number("2023-03-31"), 2023)
    naive = naive_values(w, T("2023-03-31"))
    a = list(flow.units["court"]).index("A")
    scale = 365 / 90                        # 90 days elapsed on 31 March
    assert naive["filed"][a] == pytest.approx(3 * scale)
    assert naive["closed"][a] == pytest.approx(3 * scale)
    assert naive["clearance_rate"][a] == pytest.approx(1.0)   # the year-to-date ratio
    assert naive["disposition_rate"][a] == pytest.approx(3 * scale / (3 + 3 * scale))
    assert naive["pending_over_18m"][a] == 1                  # as it stands


@pytest.fixture(scope="module")
def small():
    return simulate_court(seed=11, scale=0.15, n_courts=5)


def test_projection_uses_nothing_after_the_origin(small):
    origin = T("2022-06-30")
    full = project_year_end(small.cases, origin, as_of=small.as_of, n_draws=500, seed=3)
    cut = as_known_at(small.cases, origin)
    early = project_year_end(cut, origin, as_of=origin, n_draws=500, seed=3)
    columns = ["court", "indicator", "now", "projected", "lo80", "hi80", "lo95", "hi95", "naive"]
    pd.testing.assert_frame_equal(full.table[columns], early.table[columns])
    assert full.table["actual"].notna().all() and early.table["actual"].isna().all()


def test_actual_year_end_matches_the_indicator_engine(small):
    from courtstudy.indicators import IndicatorEngine

    p = project_year_end(small.cases, "2022-12-31", as_of=small.as_of, n_draws=100)
    engine = IndicatorEngine(small.cases, courts=small.courts, as_of=small.as_of)
    long = engine.compute(by="court", period="2022", indicators=[
        "filed", "closed", "pending", "disposition_rate", "clearance_rate", "pending_over_12m_share",
        "pending_over_18m"])
    merged = p.table.merge(long[["court", "indicator", "value"]], on=["court", "indicator"])
    assert len(merged) == 5 * 7
    np.testing.assert_allclose(merged["actual"], merged["value"], rtol=1e-12)
    # The year is over on 31 December: the projection is the actual, with no spread.
    np.testing.assert_allclose(merged["projected"], merged["value"], rtol=1e-12)
    assert (p.table["lo95"] == p.table["hi95"]).all()
    assert any("year is over" in en for _, en in p.notes)


def test_projection_is_reproducible_and_intervals_are_nested(small):
    a = project_year_end(small.cases, "2022-09-30", as_of=small.as_of, n_draws=800, seed=9)
    b = project_year_end(small.cases, "2022-09-30", as_of=small.as_of, n_draws=800, seed=9)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    assert (t["lo95"] <= t["lo80"]).all() and (t["lo80"] <= t["projected"]).all()
    assert (t["projected"] <= t["hi80"]).all() and (t["hi80"] <= t["hi95"]).all()
    assert a.history_years == [2019, 2020, 2021]
    # Counts add up: closed + pending = carried over + filed, in the components.
    c = a.components
    assert ((c["closed_ytd"] + c["pending_now"]) == (c["carried_over"] + c["filed_ytd"])).all()


def test_one_past_year_says_its_intervals_are_too_narrow(small, caplog):
    with caplog.at_level("WARNING", logger="courtstudy.monitoring"):
        p = project_year_end(small.cases, "2020-09-30", as_of=small.as_of, n_draws=200, seed=1)
    assert any("Fewer than two past years" in en for _, en in p.notes)
    record = next(r for r in caplog.records if "fewer than two past years" in r.getMessage())
    assert "2020-09-30" in record.getMessage() and "历史年份不足两年" in record.zh
    caplog.clear()
    with caplog.at_level("WARNING", logger="courtstudy.monitoring"):
        project_year_end(small.cases, "2022-09-30", as_of=small.as_of, n_draws=200, seed=1)
    assert not caplog.records


def test_targets_parse_and_need():
    assert Target.parse("结收比>=1") == Target("clearance_rate", ">=", 1.0)
    assert Target.parse("disposition_rate ≥ 90%") == Target("disposition_rate", ">=", 0.9)
    assert [str(t) for t in parse_targets("clearance_rate>=1，pending_over_18m<=20")] == \
        ["clearance_rate>=1", "pending_over_18m<=20"]
    for bad in ("clearance_rate=1", "mean_days<=50", "结收比>=abc"):
        with pytest.raises(ValueError):
            Target.parse(bad)


def test_required_closings_by_hand(small):
    p = project_year_end(small.cases, "2022-09-30", as_of=small.as_of, by=[], targets="clearance_rate>=1",
                         courts=small.courts, n_draws=400, seed=1)
    row = p.targets.iloc[0]
    filed_median = float(np.median(p.draws["filed"], axis=1)[0])
    closed_ytd = float(p.components["closed_ytd"].iloc[0])
    assert row["required_closings"] == np.ceil(max(filed_median - closed_ytd, 0))
    judges = small.courts.loc[small.courts["year"] == 2022, "judges"].sum()
    assert row["judges"] == judges
    weeks = (T("2022-12-31") - T("2022-09-30")).days / 7
    assert row["weeks_left"] == pytest.approx(weeks)
    assert row["required_per_judge_week"] == pytest.approx(max(filed_median - closed_ytd, 0) / judges / weeks)
    # The probability is the share of draws that reach the target.
    assert row["probability"] == pytest.approx(np.mean(p.draws["clearance_rate"][0] >= 1))


def test_coverage_table_by_hand():
    frame = pd.DataFrame({
        "method": "stock", "indicator": ["filed"] * 4,
        "projected": [100.0, 100.0, 100.0, 100.0], "actual": [100.0, 104.0, 90.0, 120.0],
        "lo80": 95.0, "hi80": 105.0, "lo95": 90.0, "hi95": 110.0,
        "naive": [110.0, 110.0, 110.0, 110.0]})
    cov = coverage_table(frame)
    row = cov[cov["indicator"] == "filed"].iloc[0]
    assert row["n"] == 4
    assert row["coverage80"] == pytest.approx(0.5)      # 100 and 104
    assert row["coverage95"] == pytest.approx(0.75)     # 100, 104, 90 (ends included)
    assert row["mae"] == pytest.approx((0 + 4 + 10 + 20) / 4)
    assert row["mae_naive"] == pytest.approx((10 + 6 + 20 + 10) / 4)
    assert row["mae_ratio"] == pytest.approx(34 / 46)


def test_backtest_is_calibrated_on_a_small_synthetic_office():
    """Pooled coverage of the 80% and 95% intervals on a synthetic office of 6 courts
    (2021-2023, three origins each; the full backtest is benchmarks/year_end_backtest.py).
    Loose bounds: 126 projections per indicator, and a broken variance (intervals of the
    Poisson noise alone) covers well under 60%."""
    sim = simulate_court(seed=21, scale=0.3, n_courts=6)
    bt = backtest_projections(sim.cases, as_of=sim.as_of, years=[2021, 2022, 2023],
                              methods=("stock",), n_draws=600)
    pooled = coverage_table(bt).set_index("indicator").loc["all"]
    assert 0.65 <= pooled["coverage80"] <= 0.93
    assert 0.85 <= pooled["coverage95"] <= 0.995
    assert pooled["mae_ratio"] < 0.7      # far better than the year-to-date extrapolation
