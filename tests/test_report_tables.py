"""Tables behind report notebooks 01 and 02 (courtstudy.ingest.quality, courtstudy.indicators.overview), checked
against hand-computed fixtures and statsmodels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from statsmodels.duration.survfunc import SurvfuncRight  # noqa: E402

from courtstudy.core import schema  # noqa: E402
from courtstudy.core.periods import parse_period  # noqa: E402
from courtstudy.indicators import overview
from courtstudy.ingest import quality
from courtstudy.report import charts

T = pd.Timestamp


def cases(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("filed_date", "closed_date"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return schema.conform_cases(frame)


def test_km_curve_matches_statsmodels():
    rng = np.random.default_rng(7)
    time = rng.integers(0, 60, 400).astype(float)
    closed = rng.random(400) < 0.75
    curve = overview.km_curve(time, closed)
    reference = SurvfuncRight(time, closed.astype(int))
    assert curve.iloc[0].tolist() == [0.0, 400, 0, 1.0]
    np.testing.assert_array_equal(curve["time"].to_numpy()[1:], reference.surv_times)
    np.testing.assert_allclose(curve["surv"].to_numpy()[1:], reference.surv_prob, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(curve["at_risk"].to_numpy()[1:], reference.n_risk)


def test_km_curves_censor_at_as_of():
    frame = cases([
        {"case_id": "a", "court": "甲", "filed_date": "2023-10-01", "closed_date": "2023-10-11"},
        {"case_id": "b", "court": "甲", "filed_date": "2023-10-01", "closed_date": "2023-10-21"},
        # closed after as_of: pending (censored at as_of, 40 days)
        {"case_id": "c", "court": "甲", "filed_date": "2023-10-01", "closed_date": "2023-12-01"},
        {"case_id": "d", "court": "甲", "filed_date": "2023-10-01", "closed_date": None},
        {"case_id": "e", "court": "甲", "filed_date": "2023-09-30", "closed_date": "2023-10-02"},
    ])
    curves = overview.km_curves(frame, {"Q4": parse_period("2023Q4")}, T("2023-11-10"))
    # 4 filed in Q4: closings at 10 and 20 days, two censored at 40 days
    assert curves["n"].unique().tolist() == [4]
    assert curves["time"].tolist() == [0.0, 10.0, 20.0]
    np.testing.assert_allclose(curves["surv"], [1.0, 0.75, 0.5])


def test_pending_age_profile_and_long_pending_list():
    end, as_of = T("2023-12-31"), T("2024-03-31")
    frame = cases([
        {"case_id": "p1", "court": "甲", "filed_date": "2023-12-01", "closed_date": None},      # 0 months
        {"case_id": "p2", "court": "甲", "filed_date": "2023-06-30", "closed_date": "2024-01-05"},  # 6 months
        {"case_id": "p3", "court": "甲", "filed_date": "2022-12-31", "closed_date": None},      # 12 months
        {"case_id": "p4", "court": "乙", "filed_date": "2023-01-01", "closed_date": None},      # 11 months
        {"case_id": "p5", "court": "乙", "filed_date": "2020-12-30", "closed_date": None},      # 36 months
        {"case_id": "x1", "court": "乙", "filed_date": "2023-01-01", "closed_date": "2023-12-31"},  # closed
        {"case_id": "x2", "court": "乙", "filed_date": "2024-01-02", "closed_date": None},      # filed later
    ])
    pending = overview.pending_at(frame, end, as_of).set_index("case_id")
    assert sorted(pending.index) == ["p1", "p2", "p3", "p4", "p5"]
    assert pending["age_months"].to_dict() == {"p1": 0, "p2": 6, "p3": 12, "p4": 11, "p5": 36}
    profile = overview.pending_age_profile(frame, end, as_of, "court", "en").set_index("court")
    assert profile.loc["甲"].tolist() == [1, 0, 1, 1, 0, 0, 3]
    assert profile.loc["乙"].tolist() == [0, 0, 1, 0, 0, 1, 2]
    listed = overview.long_pending_list(frame, end, as_of, 12, "en")
    # "over 12 months" is filed + 12 months < end, as the pending_over_12m indicator counts it:
    # p3 (filed 2022-12-31) is exactly 12 months old on 2023-12-31, not over
    assert listed["Case number"].tolist() == ["p5"]
    assert listed["Days pending"].tolist() == [(end - T("2020-12-30")).days]
    longer = overview.long_pending_list(frame, end, as_of, 11, "en")
    assert longer["Case number"].tolist() == ["p5", "p3", "p4"]  # oldest first


def test_yoy_panel_verdicts():
    compared = pd.DataFrame({
        "period": ["2023Q4"] * 4,
        "indicator": ["filed", "closed", "mean_days", "appeal_rate"],
        "value": [110.0, 90.0, 50.0, 0.1], "previous_value": [100.0, 100.0, 60.0, 0.2],
        "change": [10.0, -10.0, -10.0, -0.1], "direction": ["up", "down", "down", "down"],
        "good": pd.array([pd.NA, False, True, pd.NA], dtype="boolean"),
        "comparable": [True, True, True, False], "immature": [False, False, False, True],
    })
    panel = overview.yoy_panel(compared, "2023Q4", "zh")
    assert panel["verdict"].tolist() == ["—", "变差", "向好", "未成熟，不比较"]
    assert panel["direction"].tolist() == ["↑", "↓", "↓", "↓"]
    assert panel["indicator_label"].tolist() == ["新收", "结案", "平均审理天数", "上诉率"]


def test_field_coverage_counts_only_cases_a_field_applies_to():
    frame = cases([
        {"case_id": "a", "court": "甲", "filed_date": "2023-01-05", "closed_date": "2023-02-01",
         "disposition": "judgment", "appealed": True, "appeal_filed_date": None, "cause": "离婚纠纷"},
        {"case_id": "b", "court": "甲", "filed_date": "2023-03-05", "closed_date": None,
         "disposition": None, "appealed": False, "cause": None},
        {"case_id": "c", "court": "甲", "filed_date": "2022-03-05", "closed_date": "2022-04-01",
         "disposition": None, "appealed": False, "cause": "离婚纠纷"},
    ])
    frame["appeal_filed_date"] = frame["appeal_filed_date"].astype(schema.DATE_DTYPE)
    coverage = quality.field_coverage(frame).set_index(["year", "field"])
    assert coverage.loc[(2023, "cause"), ["cases", "filled"]].tolist() == [2, 1]
    # disposition applies to closed cases only: 1 of 1 in 2023, 0 of 1 in 2022
    assert coverage.loc[(2023, "disposition"), ["cases", "filled"]].tolist() == [1, 1]
    assert coverage.loc[(2022, "disposition"), "coverage"] == 0
    assert coverage.loc[(2023, "appeal_filed_date"), ["cases", "filled"]].tolist() == [1, 0]
    assert "closed_date" not in set(coverage.index.get_level_values("field"))


def test_seasonal_profile_by_hand():
    months = pd.period_range("2022-01", "2023-03", freq="M")
    filed = np.full(len(months), 100)
    filed[1] = 40   # February 2022
    closed = np.full(len(months), 90)
    closed[11] = 210  # December 2022
    flow = pd.DataFrame({"month": months.strftime("%Y-%m"), "month_start": months.to_timestamp(),
                         "filed": filed, "closed": closed})
    profile = quality.seasonal_profile(flow).set_index("month")
    assert profile["years"].unique().tolist() == [1]  # 2023 is incomplete: left out
    assert profile.at[2, "filed_index"] == pytest.approx(40 / (1140 / 12))
    assert profile.at[12, "closed_index"] == pytest.approx(210 / (1200 / 12))
    summary = quality.seasonal_summary(profile.reset_index())
    assert summary["lowest_filed_month"] == 2 and summary["highest_closed_month"] == 12


def test_monthly_flow_fills_empty_months_and_ends_with_the_data():
    frame = cases([
        {"case_id": "a", "court": "甲", "filed_date": "2023-01-05", "closed_date": "2023-03-01"},
        {"case_id": "b", "court": "甲", "filed_date": "2023-01-20", "closed_date": None},
        {"case_id": "c", "court": "甲", "filed_date": "2023-04-02", "closed_date": "2023-05-03"},
    ])
    flow = quality.monthly_flow(frame, T("2023-04-30"))
    assert flow["month"].tolist() == ["2023-01", "2023-02", "2023-03", "2023-04"]
    assert flow["filed"].tolist() == [2, 0, 0, 1] and flow["closed"].tolist() == [0, 0, 1, 0]
    # as_of inside May: May is partial, not a month with 0 filings
    assert quality.monthly_flow(frame, T("2023-05-10"))["month"].iloc[-1] == "2023-04"
    # filings stop in April: the months after are not covered by the export (no drop to zero)
    assert quality.monthly_flow(frame, T("2023-08-31"))["month"].iloc[-1] == "2023-04"


def test_charts_draw_chinese_with_the_court_style():
    import warnings

    import matplotlib.pyplot as plt

    from courtstudy.report.style import use_court_style

    use_court_style()
    profile = pd.DataFrame({"month": range(1, 13), "filed_index": np.linspace(0.6, 1.2, 12),
                            "closed_index": np.linspace(0.5, 1.4, 12), "years": 2})
    matrix = pd.DataFrame({"2022": [1.0, 0.5], "2023": [0.9, np.nan]}, index=["案由", "标的额"])
    curves = overview.km_curves(cases([
        {"case_id": "a", "court": "甲", "filed_date": "2023-10-01", "closed_date": "2023-10-11"},
        {"case_id": "b", "court": "甲", "filed_date": "2023-10-03", "closed_date": None},
    ]), {"Q4": parse_period("2023Q4")}, T("2024-01-01"))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        for fig in (charts.seasonal_bars(profile, "zh"), charts.coverage_heatmap(matrix, "填写率"),
                    charts.km_plot(curves, "结案进度", "zh", horizon=120)):
            assert fig.axes
            fig.canvas.draw()
            plt.close(fig)


def test_coverage_denominators_are_the_cases_a_field_applies_to():
    """Track, instance and procedure are not measured over enforcement or criminal cases they do
    not apply to; an undecided appeal is not a missing appeal result."""
    frame = cases([
        {"case_id": "c1", "court": "甲", "filed_date": "2023-03-01", "case_type": "civil", "instance": "first",
         "procedure": "simplified", "track": "simple", "closed_date": "2023-04-01", "appealed": True,
         "appeal_closed_date": "2023-08-01", "appeal_result": "affirmed"},
        {"case_id": "c2", "court": "甲", "filed_date": "2023-03-02", "case_type": "civil", "instance": "first",
         "procedure": None, "track": None, "closed_date": "2023-04-01", "appealed": True},   # appeal undecided
        {"case_id": "k1", "court": "甲", "filed_date": "2023-03-03", "case_type": "criminal", "instance": "first",
         "procedure": "expedited", "track": None},
        {"case_id": "e1", "court": "甲", "filed_date": "2023-03-04", "case_type": "enforcement",
         "instance": None, "procedure": None, "track": None},
    ])
    coverage = quality.field_coverage(frame).set_index(["year", "field"])
    assert coverage.loc[(2023, "track"), ["cases", "filled"]].tolist() == [2, 1]       # civil first instance
    assert coverage.loc[(2023, "instance"), ["cases", "filled"]].tolist() == [3, 3]    # not enforcement
    assert coverage.loc[(2023, "procedure"), ["cases", "filled"]].tolist() == [3, 2]
    assert coverage.loc[(2023, "appeal_result"), ["cases", "filled"]].tolist() == [1, 1]  # c2 undecided
    assert "- 繁简分流：法院实施繁简分流后立案的民事一审案件" in quality.coverage_rules("zh")
    assert "Procedure: first-instance trial cases" in quality.coverage_rules("en")


def test_team_panel_lists_only_the_teams_a_court_has():
    compared = pd.DataFrame({
        "court": ["甲", "甲", "乙", "乙"] * 2, "team": ["t1", "t2", "t1", "t2"] * 2,
        "period": ["2023Q4"] * 8, "indicator": ["caseload"] * 4 + ["closed"] * 4,
        "value": [5.0, 0.0, 0.0, 7.0, 4.0, np.nan, np.nan, 6.0],
        "previous_value": [3.0, 0.0, 0.0, 0.0, 2.0, np.nan, np.nan, np.nan],
    })
    panel = overview.group_panel(compared, "team", "2023Q4", ["closed"])
    assert panel[["court", "team"]].values.tolist() == [["乙", "t2"], ["甲", "t1"]]
    assert panel["closed"].tolist() == [6.0, 4.0]


def test_computed_sentences_follow_the_numbers():
    season = {"february_filed": 0.62, "december_closed": 1.02, "years": 4}
    zh = quality.seasonal_sentence(season, "zh")
    assert "0.62（春节前后收案明显减少）" in zh and "1.02（与平均月份相近）" in zh
    assert "year-end push" not in quality.seasonal_sentence(season, "en")
    assert "year-end push" in quality.seasonal_sentence({**season, "december_closed": 1.4}, "en")
