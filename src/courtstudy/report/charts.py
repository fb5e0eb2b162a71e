"""Figures of the report notebooks (seaborn/matplotlib, court style, zh or en labels).

Every function takes tidy tables from :mod:`courtstudy.ingest.quality`, :mod:`courtstudy.indicators.overview` or
:mod:`courtstudy.indicators` and returns a matplotlib ``Figure`` for
:meth:`courtstudy.report.notebook.NotebookContext.figure`. Call
:func:`courtstudy.report.style.use_court_style` first (``notebook.setup`` does). Courts are drawn in
name order with :func:`courtstudy.report.style.court_palette` colours: side by side, never ranked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from courtstudy.report.style import DIRECTION_COLORS, TRACK_COLORS

_MONTHS_ZH = [f"{m}月" for m in range(1, 13)]
_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def coverage_heatmap(matrix: pd.DataFrame, title: str, lang: str = "zh"):
    """Heatmap of a field x group coverage matrix (shares 0-1, annotated as percentages)."""
    width = max(6.0, 0.9 * matrix.shape[1] + 3)
    fig, ax = plt.subplots(figsize=(width, 0.38 * matrix.shape[0] + 1.5))
    sns.heatmap(matrix.astype(float), vmin=0, vmax=1, cmap="RdYlGn", annot=True, fmt=".0%",
                cbar=False, linewidths=0.5, ax=ax, annot_kws={"fontsize": 8})
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", rotation=45 if matrix.shape[1] > 6 else 0)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right" if matrix.shape[1] > 6 else "center")
    return fig


def flow_lines(flow: pd.DataFrame, lang: str = "zh"):
    """Cases filed and closed per month (:func:`courtstudy.ingest.quality.monthly_flow`)."""
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(flow["month_start"], flow["filed"], label=_t(lang, "新收", "Filed"), color="#0173b2")
    ax.plot(flow["month_start"], flow["closed"], label=_t(lang, "结案", "Closed"), color="#de8f05")
    ax.set_title(_t(lang, "每月新收与结案", "Cases filed and closed per month"))
    ax.set_ylabel(_t(lang, "件", "cases"))
    ax.legend(loc="upper left")
    return fig


def seasonal_bars(profile: pd.DataFrame, lang: str = "zh"):
    """Month-of-year index of filings and closings (:func:`courtstudy.ingest.quality.seasonal_profile`):
    1 = an average month; the February dip and the December push stand out."""
    months = _MONTHS_ZH if lang == "zh" else _MONTHS_EN
    long = profile.melt(id_vars="month", value_vars=["filed_index", "closed_index"],
                        var_name="series", value_name="index")
    long["series"] = long["series"].map({"filed_index": _t(lang, "新收", "Filed"),
                                         "closed_index": _t(lang, "结案", "Closed")})
    long["month"] = long["month"].map(lambda m: months[int(m) - 1])
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.barplot(long, x="month", y="index", hue="series", order=months, ax=ax,
                palette=["#0173b2", "#de8f05"])
    ax.axhline(1.0, color="#3c3c3c", linewidth=1, linestyle="--")
    years = int(profile["years"].iloc[0])
    ax.set_title(_t(lang, f"月度收结案指数（{years} 个完整年度平均，1 = 平均月份）",
                    f"Monthly index of filings and closings ({years} full years; 1 = average month)"))
    ax.set_xlabel("")
    ax.set_ylabel(_t(lang, "指数", "index"))
    ax.legend(title="")
    return fig


def yoy_changes(panel: pd.DataFrame, lang: str = "zh"):
    """Relative change of each headline indicator against a year earlier
    (:func:`courtstudy.indicators.overview.yoy_panel`), green when it went the good way, orange when not,
    grey when neutral or not comparable."""
    before = panel["previous_value"]
    change = (panel["current"] - before) / before.abs().where(before != 0)
    good = {_t(lang, "向好", "better"): "better", _t(lang, "变差", "worse"): "worse"}
    colors = [DIRECTION_COLORS[good.get(v, "same")] for v in panel["verdict"]]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(panel) + 1.2))
    y = np.arange(len(panel))
    ax.barh(y, change.fillna(0).to_numpy() * 100, color=colors)
    ax.set_yticks(y, panel["indicator_label"])
    ax.invert_yaxis()
    ax.axvline(0, color="#3c3c3c", linewidth=1)
    ax.set_xlabel(_t(lang, "同比变化（%）", "change on a year earlier (%)"))
    ax.set_title(_t(lang, "主要指标同比变化：绿色向好，橙色变差", "Year-on-year change: green better, orange worse"))
    return fig


def indicator_trends(wide_table: pd.DataFrame, columns: Mapping[str, str], lang: str = "zh",
                     x: str = "period", ncols: int = 2):
    """Small multiples of indicators over periods for the whole data: ``wide_table`` has one
    row per period (``x``) and the indicators as columns; ``columns`` maps a column to its
    panel title."""
    names = list(columns)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 2.8 * nrows), sharex=True, squeeze=False)
    xs = np.arange(len(wide_table))
    for ax, name in zip(axes.flat, names, strict=False):
        ax.plot(xs, wide_table[name].to_numpy(dtype=float), color="#0173b2", marker="o", markersize=2)
        ax.set_title(columns[name], fontsize=11)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    step = max(1, len(xs) // 8)
    for ax in axes[-1]:
        ax.set_xticks(xs[::step], wide_table[x].astype(str).to_numpy()[::step], rotation=45, ha="right")
    fig.suptitle(_t(lang, "主要指标月度走势", "Indicators by month"))
    fig.tight_layout()
    return fig


def group_trends(wide_table: pd.DataFrame, group: str, value: str, title: str,
                 colors: Mapping[str, str], highlight: str | None = None, ncols: int = 4):
    """One small panel per group (court ...) with its own series of ``value`` over
    ``period``: each group against its own past, panels in name order, shared y axis;
    ``highlight`` (a period label) is marked."""
    groups = sorted(wide_table[group].dropna().astype(str).unique())
    nrows = int(np.ceil(len(groups) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.3 * nrows), sharex=True,
                             sharey=True, squeeze=False)
    periods = sorted(wide_table["period"].astype(str).unique())
    xs = {p: i for i, p in enumerate(periods)}
    for ax, name in zip(axes.flat, groups, strict=False):
        part = wide_table[wide_table[group].astype(str) == name].sort_values("period")
        px = [xs[p] for p in part["period"].astype(str)]
        ax.plot(px, part[value].to_numpy(dtype=float), color=colors.get(name, "#0173b2"), marker="o",
                markersize=2)
        if highlight in xs:
            ax.axvline(xs[highlight], color="#949494", linewidth=1, linestyle=":")
        ax.set_title(name, fontsize=9)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    step = max(1, len(periods) // 4)
    for ax in axes[-1]:
        ax.set_xticks(range(0, len(periods), step), periods[::step], rotation=45, ha="right", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def age_profile_bars(profile: pd.DataFrame, title: str, lang: str = "zh"):
    """Stacked bars of the pending caseload by age band per group
    (:func:`courtstudy.indicators.overview.pending_age_profile`; the total column is not drawn)."""
    group = profile.columns[0]
    bands = list(profile.columns[1:-1])
    data = profile.set_index(group)[bands]
    colors = sns.color_palette("YlOrRd", len(bands))
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(data) + 1.5))
    left = np.zeros(len(data))
    for band, color in zip(bands, colors, strict=True):
        values = data[band].to_numpy(dtype=float)
        ax.barh(np.arange(len(data)), values, left=left, color=color, label=band)
        left += values
    ax.set_yticks(np.arange(len(data)), data.index)
    ax.invert_yaxis()
    ax.set_xlabel(_t(lang, "未结案件数", "pending cases"))
    ax.set_title(title)
    ax.legend(title=_t(lang, "未结时长", "age"), bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig


def km_plot(curves: pd.DataFrame, title: str, lang: str = "zh", horizon: float | None = None,
            palette: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None):
    """Kaplan-Meier curves (:func:`courtstudy.indicators.overview.km_curves`) as the share of cases still
    open against days since filing; one line per cohort and group (solid: the first cohort,
    dashed: the others), the 50% line marks the median."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    cohorts = list(dict.fromkeys(curves["cohort"]))
    styles = ["-", "--", ":", "-."]
    default = dict(zip(sorted(curves["group"].unique()), sns.color_palette("colorblind"), strict=False))
    by_cohort = curves["group"].nunique() == 1  # one group: tell the cohorts apart by colour
    cohort_colors = dict(zip(cohorts, ["#0173b2", "#de8f05", "#029e73", "#cc78bc"], strict=False))
    for (cohort, group), part in curves.groupby(["cohort", "group"], sort=False):
        color = cohort_colors[cohort] if by_cohort else (palette or TRACK_COLORS).get(group, default.get(group))
        name = (labels or {}).get(group, group)
        tag = f"{cohort} {name}".strip() + f" (n={int(part['n'].iloc[0]):,})"
        ax.step(part["time"], part["surv"], where="post", color=color,
                linestyle=styles[cohorts.index(cohort) % len(styles)], label=tag)
    ax.axhline(0.5, color="#949494", linewidth=1, linestyle=":")
    if horizon is not None:
        ax.set_xlim(0, horizon)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(_t(lang, "立案后天数", "days since filing"))
    ax.set_ylabel(_t(lang, "尚未结案的比例", "share still open"))
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def duration_bars(table: pd.DataFrame, title: str, lang: str = "zh",
                  measures: Sequence[str] = ("mean_days", "km_median_days", "rmst_days")):
    """The duration measures side by side per court (:func:`courtstudy.indicators.overview.duration_table`;
    grouped horizontal bars, courts in table order): closed-case mean, KM median and RMST
    differ by design, see notebook 02."""
    from courtstudy.indicators import INDICATORS

    names = {i.name: i.label(lang) for i in INDICATORS}
    long = table.melt(id_vars="court", value_vars=list(measures), var_name="measure", value_name="days")
    long["measure"] = long["measure"].map(names)
    fig, ax = plt.subplots(figsize=(9, 0.45 * table["court"].nunique() + 1.8))
    sns.barplot(long, y="court", x="days", hue="measure", ax=ax, orient="h",
                palette=["#0173b2", "#de8f05", "#029e73"][: len(measures)])
    ax.set_xlabel(_t(lang, "天", "days"))
    ax.set_ylabel("")
    ax.set_title(title)
    ax.legend(title="", fontsize=8)
    return fig
