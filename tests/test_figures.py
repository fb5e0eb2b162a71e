"""Every report figure states what it shows: a title, axis labels with units, a legend entry for
every mark, text in the edition's language only (figure_audit and language scan). The figures
of a real edition are checked in test_printable (zh) and test_edition (en)."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from courtstudy.report import charts  # noqa: E402
from courtstudy.report.figure_audit import describe_figure  # noqa: E402
from courtstudy.report.language import foreign_words  # noqa: E402
from courtstudy.report.style import use_court_style  # noqa: E402

COURTS = ["甲县人民法院", "乙区人民法院", "丙市中级人民法院"]


@pytest.fixture(autouse=True)
def _style():
    use_court_style()
    yield
    plt.close("all")


def _months(start: str, n: int) -> pd.PeriodIndex:
    return pd.period_range(start, periods=n, freq="M")


def _figures(lang: str) -> dict:
    """Each chart of notebooks 01 and 02 on small hand-made inputs."""
    from courtstudy.core.text import pick

    rng = np.random.default_rng(1)

    def t(zh: str, en: str) -> str:
        return pick(zh, en, lang)

    matrix = pd.DataFrame({"2022": [1.0, 0.5], "2023": [0.9, np.nan]},
                          index=pd.Index([t("案由", "Cause"), t("标的额", "Claim amount")], name=t("字段", "Field")))
    months = _months("2021-01", 36)
    flow = pd.DataFrame({"month": months.strftime("%Y-%m"), "month_start": months.to_timestamp(),
                         "filed": rng.integers(80, 120, 36), "closed": rng.integers(80, 120, 36)})
    profile = pd.DataFrame({"month": range(1, 13), "filed_index": np.linspace(0.6, 1.2, 12),
                            "closed_index": np.linspace(0.5, 1.4, 12), "years": 2})
    panel = pd.DataFrame({
        "indicator": ["filed", "closed", "mean_days", "reversal_remand_rate"],
        "indicator_label": [t("新收", "Filed"), t("结案", "Closed"), t("平均审理天数", "Mean days"), t("发改率", "Reversal rate")],
        "current": [110.0, 100.0, 50.0, 0.01], "previous_value": [100.0, 90.0, 55.0, np.nan],
        "verdict": ["—", t("向好", "better"), t("向好", "better"), t("未成熟，不比较", "immature, not compared")],
    })
    trend = pd.DataFrame({"period": months[-24:].strftime("%Y-%m"),
                          "filed": rng.integers(80, 120, 24), "mean_days": rng.uniform(40, 60, 24),
                          "within_limit_rate": rng.uniform(0.95, 1, 24)})
    quarters = pd.DataFrame([{"court": c, "period": p, "closed": float(rng.integers(50, 90)),
                              "mean_days": float(rng.uniform(40, 60))}
                             for c in COURTS for p in ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]])
    bands = [t("3个月以内", "under 3 months"), t("3-6个月", "3-6 months")]
    ages = pd.DataFrame({"court": COURTS, bands[0]: [10, 20, 5], bands[1]: [3, 4, 0]})
    ages["pending"] = ages[bands].sum(axis=1)
    durations = pd.DataFrame({"court": [*COURTS, t("全部", "All courts")], "mean_days": [50.0, 60, 55, 56],
                              "km_median_days": [30.0, 35, 33, 32], "rmst_days": [52.0, 61, 57, 58]})
    days = np.arange(0, 120, 10.0)
    curves = pd.concat([pd.DataFrame({"cohort": cohort, "group": group, "n": 40, "time": days[:k],
                                      "at_risk": 40, "closings": 1, "surv": np.linspace(1, 0.2, k)})
                        for cohort, group, k in (("2023Q4", "simple", 8), ("2023Q4", "complex", 12))])
    colors = dict(zip(COURTS, ["#0173b2", "#de8f05", "#029e73"], strict=True))
    return {
        "coverage": charts.coverage_heatmap(matrix, t("各字段填写率", "Coverage"), lang),
        "flow": charts.flow_lines(flow, lang),
        "seasonal": charts.seasonal_bars(profile, lang),
        "yoy": charts.yoy_changes(panel, lang),
        "trends": charts.indicator_trends(trend, {"filed": t("新收", "Filed"), "mean_days": t("平均审理天数", "Mean days"),
                                                  "within_limit_rate": t("法定审限内结案率", "Within limit")}, lang),
        "court_trends": charts.group_trends(quarters, "court", "closed", t("各法院季度结案数", "Closed per quarter"),
                                            colors, "2023Q4", lang=lang),
        "ages": charts.age_profile_bars(ages, t("未结案件的未结时长", "Age of pending cases"), lang),
        "durations": charts.duration_bars(durations, t("审理周期", "Duration"), lang),
        "km": charts.km_plot(curves, t("结案进度", "Time to closing"), lang, horizon=365,
                             labels={"simple": t("简案", "simple"), "complex": t("繁案", "complex")}),
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_has_title_labels_units_and_a_key_in_one_language(lang):
    for name, fig in _figures(lang).items():
        described = describe_figure(fig)
        assert described["title"], name
        assert described["problems"] == [], (name, described["problems"])
        assert foreign_words("\n".join(described["texts"]), lang, COURTS) == set(), (name, described["texts"])


def test_the_audit_fails_an_unlabelled_figure():
    """What the ITS figure was: dots, a fitted line and a dashed adoption line, no key, no
    title, a y axis of shares named without a unit, an English word in a zh figure."""
    fig, ax = plt.subplots()
    ax.plot(range(10), np.linspace(0.2, 0.4, 10), "o")
    ax.plot(range(10), np.linspace(0.2, 0.4, 10), "-")
    ax.axvline(4.5, linestyle="--")
    ax.set_ylabel("90日内结案比例")
    described = describe_figure(fig)
    problems = " | ".join(described["problems"])
    assert "no title" in problems and "no x axis label" in problems
    assert "names no unit" in problems and problems.count("has no legend entry") == 3
    ax.set_title("ITS of simple cases")
    assert foreign_words("\n".join(describe_figure(fig)["texts"]), "zh") == {"ITS", "of", "simple", "cases"}


def test_the_audit_fails_a_key_on_the_title():
    """What the courts' small multiples were: the figure's key beside a long title, on it."""
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 2.9))
    for ax in axes:
        ax.plot(range(5), range(5), label="结案率（%）")
        ax.axvline(3, linestyle=":", label="本期")
        ax.set_title("甲县人民法院")
    fig.suptitle("各法院结案率月度走势（2022-01 至 2023-12，每个法院与自身过去比较）")
    fig.supxlabel("月份")
    fig.supylabel("结案率（%）")
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper right", ncols=2, bbox_to_anchor=(1, 1))
    assert "the figure's legend overlaps the figure title" in describe_figure(fig)["problems"]


def test_flow_lines_stop_where_the_data_stop():
    """No drop to zero: the lines end at the last month given (monthly_flow ends with the
    last month the export covers in full)."""
    months = _months("2023-01", 6)
    flow = pd.DataFrame({"month": months.strftime("%Y-%m"), "month_start": months.to_timestamp(),
                         "filed": [100] * 6, "closed": [90] * 6})
    ax = charts.flow_lines(flow, "zh").axes[0]
    for line in ax.lines:
        assert len(line.get_xdata()) == 6 and min(line.get_ydata()) > 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_its_figure_has_a_key_for_dots_fit_and_adoption_line(lang):
    from courtstudy.studies.fasttrack.its import interrupted_time_series
    from courtstudy.studies.fasttrack.study import FastTrackStudy

    months = _months("2020-01", 48)
    t = np.arange(1, 49)
    rng = np.random.default_rng(3)
    series = pd.DataFrame({"court": COURTS[0], "t": t, "period": months.strftime("%Y-%m"),
                           "period_start": months.to_timestamp(),
                           "closed_90": 0.5 + 0.1 * (t >= 25) + rng.normal(0, 0.02, 48)})
    result = interrupted_time_series(series, "closed_90", adoption=25, court=COURTS[0])
    stand_in = SimpleNamespace(its={"closed_90": result}, its_court=COURTS[0],
                               panel=SimpleNamespace(data=series, unit="month"))
    described = describe_figure(FastTrackStudy.its_figure(stand_in, "closed_90", lang))
    assert described["problems"] == [], described["problems"]
    assert COURTS[0] in described["title"]
    assert foreign_words("\n".join(described["texts"]), lang, COURTS) == set(), described["texts"]
