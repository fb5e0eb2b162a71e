"""Court-by-period panel of filing cohorts, against a hand-computed fixture."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from courtstudy.core.schema import conform_cases
from courtstudy.studies.fasttrack import build_court_panel

OUTCOMES = ("closed_90", "rmst", "log_duration", "appeal_rate", "reversal_remand_rate",
            "mediation_withdrawal_rate", "per_judge_closed")


def _case(case_id, court, filed, closed, disposition="judgment", appealed=False, result=None):
    return {"case_id": case_id, "court": court, "case_type": "civil", "instance": "first",
            "filed_date": pd.Timestamp(filed), "closed_date": pd.Timestamp(closed) if closed else pd.NaT,
            "disposition": disposition, "appealed": appealed, "appeal_result": result,
            "claim_amount": 1000.0}


@pytest.fixture()
def fixture():
    rows = [
        _case("A1", "A", "2020-01-05", "2020-01-25", "mediation"),              # 20 days
        _case("A2", "A", "2020-01-10", "2020-06-08", appealed=True, result="modified"),  # 150 > H
        _case("A3", "A", "2020-01-20", None),                                     # pending
        _case("A4", "A", "2020-01-15", "2020-03-15", appealed=True, result="remanded"),  # 60
        _case("A5", "A", "2020-02-15", "2020-02-16", "withdrawal"),              # 1 day
        _case("B1", "B", "2020-01-02", "2020-04-11"),                            # 100 days
        _case("B2", "B", "2020-02-03", "2020-10-01"),                            # closes after as_of
        _case("B3", "B", "2020-03-01", "2020-03-05"),                            # cohort too recent
        {**_case("K1", "A", "2020-01-07", "2020-01-09"), "case_type": "criminal"},  # not studied
    ]
    cases = conform_cases(pd.DataFrame(rows))
    courts = pd.DataFrame({"court": ["A", "B"], "year": [2020, 2020], "judges": [4, 5],
                           "fast_track_start": pd.to_datetime(["2020-02-10", None])})
    return cases, courts


def test_hand_computed_panel(fixture):
    cases, courts = fixture
    panel = build_court_panel(cases, courts, unit="month", horizon_days=120, as_of="2020-07-15",
                              outcomes=OUTCOMES, appeal_window_days=30, appeal_result_days=30)
    d = panel.data.set_index(["court", "period"])
    assert list(panel.periods) == ["2020-01", "2020-02"]
    # March (Mar 31 + 120 days > Jul 15) and the empty months after it are dropped.
    assert panel.n_dropped_periods == 5 and panel.n_dropped_cases == 1
    assert panel.n_cases_used == 7 and panel.n_cases_other_types == 1
    a1 = d.loc[("A", "2020-01")]
    assert a1["n_filed"] == 4
    assert a1["closed_90"] == pytest.approx(2 / 4)
    assert a1["rmst"] == pytest.approx((20 + 120 + 120 + 60) / 4)
    assert a1["log_duration"] == pytest.approx((math.log(21) + math.log(61)) / 2)
    assert a1["appeal_rate"] == pytest.approx(1 / 2)  # A2 closed after the horizon: not counted
    assert a1["reversal_remand_rate"] == pytest.approx(1 / 2)
    assert a1["mediation_withdrawal_rate"] == pytest.approx(1 / 2)
    assert a1["per_judge_closed"] == pytest.approx(1 / 4)  # A1 closed in January, 4 judges
    a2 = d.loc[("A", "2020-02")]
    assert (a2["closed_90"], a2["rmst"], a2["log_duration"]) == pytest.approx((1.0, 1.0, math.log(2)))
    assert a2["mediation_withdrawal_rate"] == 1.0 and a2["per_judge_closed"] == pytest.approx(1 / 4)
    b1, b2 = d.loc[("B", "2020-01")], d.loc[("B", "2020-02")]
    assert (b1["closed_90"], b1["rmst"], b1["log_duration"]) == pytest.approx((0.0, 100.0, math.log(101)))
    # B2 closes after as_of: pending at as_of, censored at the horizon, no closings to rate.
    assert (b2["closed_90"], b2["rmst"]) == (0.0, 120.0)
    assert math.isnan(b2["log_duration"]) and math.isnan(b2["appeal_rate"])
    assert b1["per_judge_closed"] == 0.0
    cohorts = panel.cohorts().set_index("court")["cohort"]
    assert cohorts.to_dict() == {"A": 2, "B": 0}
    assert d["treated"].to_dict() == {("A", "2020-01"): 0, ("A", "2020-02"): 1,
                                      ("B", "2020-01"): 0, ("B", "2020-02"): 0}
    assert "5" in panel.describe("en") and "剔除" in panel.describe("zh")


def test_immature_appeal_outcomes_are_empty(fixture):
    cases, courts = fixture
    # Default: results need 180 days after the latest closing (May 30 / Jun 28): not by Jul 15.
    panel = build_court_panel(cases, courts, horizon_days=120, as_of="2020-07-15", outcomes=OUTCOMES)
    assert panel.data["reversal_remand_rate"].isna().all()
    # Appeal window 30 days: January's latest closing (May 30) + 30 <= Jul 15, February's
    # (Jun 28) + 30 is not; so only the two January cells have an appeal rate.
    assert panel.data.loc[panel.data["period"] == "2020-01", "appeal_rate"].notna().all()
    assert panel.data.loc[panel.data["period"] == "2020-02", "appeal_rate"].isna().all()


def test_missing_court_in_courts_table_is_named(fixture):
    cases, courts = fixture
    with pytest.raises(ValueError, match="court\\(s\\) B"):
        build_court_panel(cases, courts[courts["court"] == "A"], horizon_days=120, as_of="2020-07-15",
                          outcomes=OUTCOMES)


def test_conflicting_adoption_dates_are_refused(fixture):
    cases, courts = fixture
    extra = pd.DataFrame({"court": ["A"], "year": [2021], "judges": [4],
                          "fast_track_start": pd.to_datetime(["2020-05-01"])})
    with pytest.raises(ValueError, match="'A' has different fast_track_start"):
        build_court_panel(cases, pd.concat([courts, extra]), horizon_days=120, as_of="2020-07-15",
                          outcomes=OUTCOMES)


def test_outcome_needing_longer_horizon_is_refused(fixture):
    cases, courts = fixture
    with pytest.raises(ValueError, match="closed_180 needs horizon_days >= 180"):
        build_court_panel(cases, courts, horizon_days=120, as_of="2020-07-15")


def test_quarter_panel_and_always_treated(fixture):
    cases, courts = fixture
    courts = courts.assign(fast_track_start=pd.to_datetime(["2019-06-01", None]))
    panel = build_court_panel(cases, courts, unit="quarter", horizon_days=90, as_of="2020-10-15",
                              outcomes=("closed_90", "rmst"))
    assert panel.periods == ["2020Q1", "2020Q2"]  # Q2 end + 90 days = Sep 28 <= Oct 15
    q1 = panel.data[panel.data["period"] == "2020Q1"].set_index("court")
    assert q1.loc["A", "closed_90"] == pytest.approx(3 / 5)  # 20, 60 and 1 days of five cases
    assert panel.always_treated == ("A",)


def test_parse_outcomes_parameter():
    from courtstudy.studies.fasttrack import OUTCOMES, parse_outcomes

    assert parse_outcomes("") == tuple(OUTCOMES)
    assert parse_outcomes("rmst，appeal_rate、closed_90") == ("rmst", "appeal_rate", "closed_90")
    with pytest.raises(ValueError, match="unknown durations"):
        parse_outcomes("rmst, durations")


def test_courts_table_is_required(fixture):
    cases, _ = fixture
    with pytest.raises(ValueError, match="needs the courts table"):
        build_court_panel(cases, None, horizon_days=120, as_of="2020-07-15", outcomes=OUTCOMES)
