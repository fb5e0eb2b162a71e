"""Indicators of the first diversion (诉前调解, 案-件比) on a hand-made court, values by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from courtstudy.core import schema
from courtstudy.indicators.diversion import DIVERSION_INDICATORS, diversion_indicators, ratio_label

AS_OF = "2024-06-30"
T = pd.Timestamp


def _mediation() -> pd.DataFrame:
    rows = [
        # id, court, received, closed, result, confirmation, filed
        ("M1", "甲", "2023-01-05", "2023-01-20", "success", None, None),           # 15 days
        ("M2", "甲", "2023-01-10", "2023-02-09", "confirmed", "（2023）甲民特1号", None),  # 30 days
        ("M3", "甲", "2023-02-01", "2023-03-03", "failed", None, "（2023）甲民初1号"),   # 30 days
        ("M4", "甲", "2023-03-20", "2023-04-10", "failed", None, None),             # closes in Q2
        ("M5", "甲", "2023-03-25", None, None, None, None),                          # still open
        ("M6", "甲", "2022-12-20", "2023-01-05", "withdrawn", None, None),           # 16 days
        ("M7", "乙", "2023-02-02", "2023-02-12", "success", None, None),             # 10 days
    ]
    frame = pd.DataFrame(rows, columns=["mediation_id", "court", "received_date", "closed_date", "result",
                                        "confirmation_case_id", "filed_case_id"])
    frame["mediation_id"] = "（2023）" + frame["court"] + "民诉前调" + frame["mediation_id"].str[1] + "号"
    for c in ("received_date", "closed_date"):
        frame[c] = pd.to_datetime(frame[c])
    return pd.DataFrame({c: (frame[c] if c in frame else pd.Series(index=frame.index, dtype=object))
                         .astype(schema.MEDIATION_DTYPES[c]) for c in schema.MEDIATION_COLUMNS})


def _cases() -> pd.DataFrame:
    rows = [
        ("（2023）甲民初1号", "甲", "2023-03-05", "民初"),   # from M3
        ("（2023）甲01民终1号", "甲市中院", "2023-06-01", "民终"),
        ("（2023）甲执1号", "甲", "2023-09-01", "执"),
        ("（2024）甲民申1号", "高院", "2024-05-01", "民申"),  # beyond the 365-day horizon
        ("（2023）甲民初2号", "甲", "2023-01-15", "民初"),
        ("（2023）甲民初3号", "甲", "2023-02-20", "民初"),
        ("（2023）甲执2号", "甲", "2023-08-01", "执"),
        ("（2023）甲民特1号", "甲", "2023-02-15", "民特"),   # confirmation of M2
        ("（2023）甲民初4号", "甲", "2023-05-01", "民初"),   # Q2
    ]
    frame = pd.DataFrame(rows, columns=["case_id", "court", "filed_date", "type_code"])
    frame["filed_date"] = pd.to_datetime(frame["filed_date"])
    return schema.conform_cases(frame)


def _links() -> pd.DataFrame:
    return pd.DataFrame([
        ("（2023）甲01民终1号", "（2023）甲民初1号", "original"),
        ("（2023）甲执1号", "（2023）甲01民终1号", "enforcement_basis"),
        ("（2024）甲民申1号", "（2023）甲01民终1号", "original"),
        ("（2023）甲执2号", "（2023）甲民初3号", "enforcement_basis"),
    ], columns=["case_id", "linked_case_id", "link"]).astype("string")


@pytest.fixture(scope="module")
def table():
    long = diversion_indicators(_mediation(), _cases(), _links(), by="court", period="2023Q1", as_of=AS_OF)
    return long.set_index(["court", "indicator"])


EXPECTED_Q1 = {
    # court 甲: received M1-M5; closed M1, M2, M3, M6 (15 + 30 + 30 + 16 = 91 days); resolved M1, M2;
    # direct filings 民初2, 民初3 (民初1 came from M3); disputes first filed in Q1: M3's (民初1, 民终1,
    # 执1; 民申1 is past the horizon), 民初2, 民初3 (+ 执2), M2's (民特1) = 4 disputes, 7 cases
    ("甲", "mediation_received"): 5, ("甲", "mediation_closed"): 4, ("甲", "mediation_resolved"): 2,
    ("甲", "mediation_success_rate"): 2 / 4, ("甲", "judicial_confirmation_rate"): 1 / 2,
    ("甲", "mediation_mean_days"): 91 / 4, ("甲", "mediation_median_days"): (16 + 30) / 2,
    ("甲", "pre_suit_resolution_rate"): 2 / (5 + 2), ("甲", "mediation_conversions"): 1,
    ("甲", "mediation_conversion_rate"): 1 / 4,
    ("甲", "case_case_ratio"): 7 / 4, ("甲", "cases_per_dispute_first"): 3 / 4,
    ("甲", "cases_per_dispute_appeal"): 1 / 4, ("甲", "cases_per_dispute_enforcement"): 2 / 4,
    ("甲", "cases_per_dispute_confirmation"): 1 / 4, ("甲", "cases_per_dispute_retrial_petition"): 0.0,
    ("甲", "cases_per_dispute_retrial"): 0.0, ("甲", "cases_per_dispute_other"): 0.0,
    # court 乙: M7 only, no cases
    ("乙", "mediation_received"): 1, ("乙", "mediation_closed"): 1, ("乙", "mediation_resolved"): 1,
    ("乙", "mediation_success_rate"): 1.0, ("乙", "judicial_confirmation_rate"): 0.0,
    ("乙", "mediation_mean_days"): 10.0, ("乙", "mediation_median_days"): 10.0,
    ("乙", "pre_suit_resolution_rate"): 1.0, ("乙", "mediation_conversions"): 0,
    ("乙", "mediation_conversion_rate"): 0.0,
}


def test_every_indicator_has_a_hand_value():
    assert {name for _court, name in EXPECTED_Q1} == {i.name for i in DIVERSION_INDICATORS}


@pytest.mark.parametrize("key", sorted(EXPECTED_Q1))
def test_hand_computed(table, key):
    assert table.loc[key, "value"] == pytest.approx(EXPECTED_Q1[key], abs=1e-12)


def test_rows_and_flags(table):
    # 乙 has no court case: no 案-件比 row; the appellate court has no mediation: no row at all
    assert set(table.index) == set(EXPECTED_Q1)
    assert table.loc[("甲", "mediation_received"), "immature"]        # M5 still open
    assert not table.loc[("乙", "mediation_received"), "immature"]
    assert not table.loc[("甲", "case_case_ratio"), "immature"]       # followed 365 days
    assert table.loc[("甲", "case_case_ratio"), "numerator"] == 7
    assert table.loc[("甲", "case_case_ratio"), "denominator"] == 4
    assert ratio_label(table.loc[("甲", "case_case_ratio"), "value"]) == "1:1.75"


def test_dispute_follow_up_and_as_of():
    long = diversion_indicators(_mediation(), _cases(), _links(), by="court", period="2023Q1",
                                as_of="2023-07-31").set_index(["court", "indicator"])
    # as of 2023-07-31 the enforcement cases are not filed yet: 民初1 + 民终1, 民初2, 民初3, 民特1
    assert long.loc[("甲", "case_case_ratio"), "value"] == pytest.approx(5 / 4)
    assert long.loc[("甲", "case_case_ratio"), "immature"]
    # M4 closes 2023-04-10, after Q1: as of 2023-03-31 it is open, and so is M5
    early = diversion_indicators(_mediation(), by="court", period="2023Q1", as_of="2023-03-31")
    early = early.set_index(["court", "indicator"])
    assert early.loc[("甲", "mediation_closed"), "value"] == 4
    assert ("甲", "pre_suit_resolution_rate") not in early.index  # needs the cases
    assert ("甲", "case_case_ratio") not in early.index


def test_whole_data_and_cause_grouping():
    whole = diversion_indicators(_mediation(), period="2023Q1", by=(), as_of=AS_OF).set_index("indicator")
    assert whole.loc["mediation_received", "value"] == 6
    assert whole.loc["mediation_median_days", "value"] == pytest.approx(16.0)  # 10, 15, 16, 30, 30
    with pytest.raises(ValueError, match="cannot group by"):
        diversion_indicators(_mediation(), by="judge")


def test_year_on_year_direction():
    from courtstudy.indicators.diversion import compare_diversion

    cases = _cases()
    # a year earlier: one dispute in 甲, first instance + appeal + enforcement = 1:3
    earlier = pd.concat([cases, schema.conform_cases(pd.DataFrame({
        "case_id": ["（2022）甲民初9号", "（2022）甲01民终9号", "（2022）甲执9号"], "court": ["甲", "甲市中院", "甲"],
        "filed_date": pd.to_datetime(["2022-02-01", "2022-05-01", "2022-09-01"]),
        "type_code": ["民初", "民终", "执"]}))], ignore_index=True)
    links = pd.concat([_links(), pd.DataFrame({
        "case_id": ["（2022）甲01民终9号", "（2022）甲执9号"], "linked_case_id": ["（2022）甲民初9号", "（2022）甲01民终9号"],
        "link": ["original", "enforcement_basis"]}).astype("string")], ignore_index=True)
    long = diversion_indicators(_mediation(), earlier, links, by="court", period=["2022Q1", "2023Q1"], as_of=AS_OF)
    row = compare_diversion(long).set_index(["court", "period", "indicator"]).loc[("甲", "2023Q1", "case_case_ratio")]
    assert row["previous_value"] == pytest.approx(3.0) and row["value"] == pytest.approx(1.75)
    assert row["direction"] == "down" and row["better"] == "down" and bool(row["good"])


def test_filed_cases_by_route():
    from courtstudy.indicators.diversion import filed_case_indicators

    cases = _cases()
    cases.loc[cases["case_id"] == "（2023）甲民初1号", "closed_date"] = pd.Timestamp("2023-05-04")   # 60 days
    cases.loc[cases["case_id"] == "（2023）甲民初2号", "closed_date"] = pd.Timestamp("2023-02-14")   # 30 days
    cases.loc[cases["case_id"] == "（2023）甲民初3号", "closed_date"] = pd.Timestamp("2023-04-01")   # 40 days
    cases["closed_date"] = cases["closed_date"].astype(schema.DATE_DTYPE)
    long = filed_case_indicators(cases, _mediation(), _links(), period="2023", as_of=AS_OF)
    mean = long.loc[long["indicator"] == "mean_days"].set_index("route")["value"]
    assert mean["via_mediation"] == pytest.approx(60.0)
    assert mean["direct"] == pytest.approx(35.0)                     # 30 and 40; 民初4 pending
    closed = long.loc[long["indicator"] == "closed"].set_index("route")["value"]
    assert closed["via_mediation"] == 1 and closed["direct"] == 2


def test_a_period_without_disputes():
    long = diversion_indicators(_mediation(), _cases(), _links(), by="court", period="2022Q4", as_of=AS_OF)
    assert set(long["indicator"]) >= {"mediation_received"} and "case_case_ratio" not in set(long["indicator"])
