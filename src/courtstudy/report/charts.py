"""Figures of the report notebooks (seaborn/matplotlib, court style, zh or en labels).

Every figure states what it shows on its own (:mod:`courtstudy.report.figure_audit` checks it):
a title, axis labels with units (件, 天, %), a legend entry for every mark (reference lines
included), series that stop where the data stop (a month the export does not cover is not drawn
as 0), and text in the edition's language only.

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
from matplotlib.ticker import FuncFormatter, PercentFormatter

from courtstudy.report.figure_audit import BASELINE
from courtstudy.report.style import DIRECTION_COLORS, TRACK_COLORS
from courtstudy.report.tables import UNITS as TABLE_UNITS

_MONTHS_ZH = [f"{m}月" for m in range(1, 13)]
_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
#: Unit of an indicator kind on an axis (zh, en): rates are drawn in percent.
_KIND_UNITS = {"count": TABLE_UNITS["count"], "days": TABLE_UNITS["days"], "rate": ("%", "%"),
               "ratio": ("倍", "times")}
_THOUSANDS = FuncFormatter(lambda v, _: f"{v:,.0f}")


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _with_unit(label: str, unit: str, lang: str) -> str:
    """``label`` with ``unit`` in brackets: 结案（件） / Closed (cases)."""
    if not unit or label.endswith((")", "）")):  # the label names its unit already
        return label
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def _indicator_kind(name: str) -> str:
    from courtstudy.indicators.definitions import BY_NAME

    return BY_NAME[name].kind if name in BY_NAME else "ratio"


def _indicator_unit(name: str, lang: str) -> str:
    kind = _indicator_kind(name)
    return _t(lang, *_KIND_UNITS[kind]) if kind in _KIND_UNITS else ""


def _period_axis_label(labels, lang: str) -> str:
    """季度 / 月份 / 期间 by the look of the period labels (2023Q4, 2023-11 ...)."""
    labels = [str(v) for v in labels]
    if labels and all("Q" in v for v in labels):
        return _t(lang, "季度", "Quarter")
    if labels and all(len(v) == 7 and v[4] == "-" for v in labels):
        return _t(lang, "月份", "Month")
    return _t(lang, "期间", "Period")


def _baseline(ax, value: float = 0.0, vertical: bool = False) -> None:
    """The axis' own zero: a reference, not a mark (no legend entry)."""
    line = (ax.axvline if vertical else ax.axhline)(value, color="#3c3c3c", linewidth=1)
    line.set_gid(BASELINE)


def _label_bar_groups(ax, levels) -> None:
    """Name seaborn's bar groups by their hue level, as its legend does (seaborn leaves them
    ``_container0`` ...), so each group of bars is tied to its legend entry."""
    for container, level in zip(ax.containers, levels, strict=False):
        container.set_label(str(level))


def coverage_heatmap(matrix: pd.DataFrame, title: str, lang: str = "zh", xlabel: str = ""):
    """Heatmap of a field x group coverage matrix (shares 0-1, annotated as percentages, with a
    colour bar). ``xlabel``: what the columns are (default: 立案年度 when they are years, else
    法院)."""
    if not xlabel:
        years = all(str(c).isdigit() and len(str(c)) == 4 for c in matrix.columns)
        xlabel = _t(lang, "立案年度", "Filing year") if years else _t(lang, "法院", "Court")
    width = min(10.0, max(6.0, 0.9 * matrix.shape[1] + 4))  # pages scale wider figures down: text too small
    fig, ax = plt.subplots(figsize=(width, 0.38 * matrix.shape[0] + 1.8))
    sns.heatmap(matrix.astype(float) * 100, vmin=0, vmax=100, cmap="RdYlGn", annot=True, fmt=".0f",
                linewidths=0.5, ax=ax, annot_kws={"fontsize": 8},
                cbar_kws={"label": _t(lang, "填写率（%）", "Coverage (%)"), "shrink": 0.6})
    for text in ax.texts:
        text.set_text(f"{text.get_text()}%")
    ax.grid(False)
    ax.set_facecolor("#f0f0f0")
    missing = np.argwhere(matrix.isna().to_numpy())
    for row, column in missing:  # no case the field applies to: a dash, as in the tables
        ax.text(column + 0.5, row + 0.5, "—", ha="center", va="center", fontsize=8, color="#52606d")
    if len(missing):
        ax.annotate(_t(lang, "“—”：没有适用该字段的案件。", "“—”: no case the field applies to."),
                    xy=(0.5, 0), xycoords=ax.xaxis.label, xytext=(0, -6), textcoords="offset points",
                    fontsize=8, color="#52606d", ha="center", va="top")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(str(matrix.index.name or _t(lang, "字段", "Field")))
    rotate = matrix.shape[1] > 6
    ax.tick_params(axis="x", rotation=45 if rotate else 0)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right" if rotate else "center")
    return fig


def flow_lines(flow: pd.DataFrame, lang: str = "zh"):
    """Cases filed and closed per month (:func:`courtstudy.ingest.quality.monthly_flow`, which
    ends with the last month the export covers in full: the lines stop there)."""
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(flow["month_start"], flow["filed"], label=_t(lang, "新收", "Filed"), color="#0173b2")
    ax.plot(flow["month_start"], flow["closed"], label=_t(lang, "结案", "Closed"), color="#de8f05")
    first, last = flow["month"].iloc[0], flow["month"].iloc[-1]
    ax.set_title(_t(lang, f"每月新收与结案案件数（{first} 至 {last}）",
                    f"Cases filed and closed per month ({first} to {last})"))
    ax.set_xlabel(_t(lang, "月份", "Month"))
    ax.set_ylabel(_t(lang, "案件数（件）", "Cases (count)"))
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", ncols=2)
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
                palette=["#0173b2", "#de8f05"], errorbar=None)
    _label_bar_groups(ax, long["series"].unique())
    average = ax.axhline(1.0, color="#3c3c3c", linewidth=1, linestyle="--",
                         label=_t(lang, "平均月份（= 1）", "an average month (= 1)"))
    years = int(profile["years"].iloc[0])
    ax.set_title(_t(lang, f"收结案的月度分布（{years} 个完整年度平均）",
                    f"Filings and closings by month of the year ({years} full years)"))
    ax.set_xlabel(_t(lang, "月份", "Month"))
    ax.set_ylabel(_t(lang, "指数（1 = 平均月份）", "Index (1 = an average month)"))
    ax.legend(handles=[*ax.containers, average], loc="upper left", ncols=3)
    ax.set_ylim(0, max(1.6, float(long["index"].max()) * 1.15))
    return fig


def yoy_changes(panel: pd.DataFrame, lang: str = "zh"):
    """Relative change of each headline indicator against a year earlier
    (:func:`courtstudy.indicators.overview.yoy_panel`), green when it went the good way, orange when not,
    grey when it has no good direction; an indicator without a comparable figure (no data, or
    immature: 发改率 while appeals are undecided) is marked "不比较" instead of a bar."""
    from courtstudy.indicators.overview import _verdict

    before = panel["previous_value"]
    change = ((panel["current"] - before) / before.abs().where(before != 0)) * 100
    from courtstudy.indicators.definitions import BY_NAME

    # no bar where the panel does not compare: immature (发改率 while appeals are undecided),
    # or "—" for an indicator that has a better direction (so the dash means not comparable)
    directed = panel["indicator"].map(lambda n: n in BY_NAME and BY_NAME[n].better in ("up", "down"))
    compared = ~((panel["verdict"] == _verdict(None, True, True, lang))
                 | ((panel["verdict"] == _verdict(None, False, False, lang)) & directed))
    change = change.where(compared)
    verdicts = {_t(lang, "向好", "better"): "better", _t(lang, "变差", "worse"): "worse"}
    direction = [verdicts.get(v, "same") for v in panel["verdict"]]
    names = {"better": _t(lang, "向好", "better"), "worse": _t(lang, "变差", "worse"),
             "same": _t(lang, "无好坏之分", "no better direction")}
    fig, ax = plt.subplots(figsize=(8.5, 0.36 * len(panel) + 1.6))
    y = np.arange(len(panel))
    span = float(np.nanmax(np.abs(change.to_numpy(dtype=float)))) if change.notna().any() else 1.0
    for key in ("better", "worse", "same"):
        rows = [i for i, d in enumerate(direction) if d == key and pd.notna(change.iloc[i])]
        if rows:
            ax.barh(y[rows], change.iloc[rows].to_numpy(dtype=float), color=DIRECTION_COLORS[key],
                    label=names[key], height=0.7)
    for i, value in enumerate(change):
        if pd.isna(value):
            ax.text(span * 0.02, i, _t(lang, "不比较", "not compared"), va="center", fontsize=8,
                    color="#52606d")
        else:
            ax.text(value + (span * 0.02 if value >= 0 else -span * 0.02), i, f"{value:+.1f}%",
                    va="center", ha="left" if value >= 0 else "right", fontsize=8, color="#1f2933")
    ax.set_yticks(y, panel["indicator_label"])
    ax.invert_yaxis()
    _baseline(ax, vertical=True)
    ax.set_xlim(-span * 1.3, span * 1.3)
    ax.set_xlabel(_t(lang, "较去年同期的变化率（%）", "Change on the same period a year earlier (%)"))
    ax.set_ylabel(_t(lang, "指标", "Indicator"))
    ax.set_title(_t(lang, "主要指标同比变化", "Headline indicators, change on a year earlier"))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.25 / max(len(panel), 1)), ncols=3,
              frameon=False, fontsize=9)
    return fig


def indicator_trends(wide_table: pd.DataFrame, columns: Mapping[str, str], lang: str = "zh",
                     x: str = "period", ncols: int = 2):
    """Small multiples of indicators over periods for the whole data: ``wide_table`` has one
    row per period (``x``) and the indicators as columns; ``columns`` maps a column to its
    panel title (the unit is appended; rates are drawn in percent)."""
    names = list(columns)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 2.8 * nrows), sharex=True, squeeze=False)
    xs = np.arange(len(wide_table))
    for ax, name in zip(axes.flat, names, strict=False):
        values = wide_table[name].to_numpy(dtype=float)
        kind = _indicator_kind(name)
        if kind == "rate":
            values = values * 100
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
        elif kind == "count":
            ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.plot(xs, values, color="#0173b2", marker="o", markersize=2)
        ax.set_title(_with_unit(columns[name], _indicator_unit(name, lang), lang), fontsize=11)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    step = max(1, len(xs) // 8)
    labels = wide_table[x].astype(str).to_numpy()
    ticks = xs[::-1][::step][::-1]  # the latest period is always labelled
    for ax in axes[-1]:
        ax.set_xticks(ticks, labels[ticks], rotation=45, ha="right")
    first, last = labels[0], labels[-1]
    fig.suptitle(_t(lang, f"主要指标月度走势（{first} 至 {last}）", f"Indicators by month ({first} to {last})"))
    fig.supxlabel(_period_axis_label(labels, lang), fontsize=10)
    fig.tight_layout()
    return fig


def group_trends(wide_table: pd.DataFrame, group: str, value: str, title: str,
                 colors: Mapping[str, str], highlight: str | None = None, ncols: int = 3,
                 lang: str = "zh"):
    """One small panel per group (court ...) with its own series of ``value`` over
    ``period``: each group against its own past, panels in name order, shared y axis;
    ``highlight`` (a period label) is marked with a dotted line and a legend entry."""
    from courtstudy.report.tables import column_label

    groups = sorted(wide_table[group].dropna().astype(str).unique())
    nrows = int(np.ceil(len(groups) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.3 * nrows + 1.0), sharex=True,
                             sharey=True, squeeze=False)
    periods = sorted(wide_table["period"].astype(str).unique())
    xs = {p: i for i, p in enumerate(periods)}
    kind = _indicator_kind(value)
    series_label = _with_unit(column_label(value, lang), _indicator_unit(value, lang), lang)
    mark_label = _t(lang, f"本期（{highlight}）", f"this period ({highlight})")
    for ax, name in zip(axes.flat, groups, strict=False):
        part = wide_table[wide_table[group].astype(str) == name].sort_values("period")
        px = [xs[p] for p in part["period"].astype(str)]
        values = part[value].to_numpy(dtype=float) * (100 if kind == "rate" else 1)
        ax.plot(px, values, color=colors.get(name, "#0173b2"), marker="o", markersize=2, label=series_label)
        if highlight in xs:
            ax.axvline(xs[highlight], color="#949494", linewidth=1, linestyle=":", label=mark_label)
        ax.set_title(name, fontsize=9)
        if kind == "count":
            ax.yaxis.set_major_formatter(_THOUSANDS)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    step = max(1, len(periods) // 4)
    ticks = list(range(len(periods) - 1, -1, -step))[::-1]  # the latest period is always labelled
    for ax in axes[-1]:
        ax.set_xticks(ticks, [periods[i] for i in ticks], rotation=45, ha="right", fontsize=8)
    # the title, then the key on its own row under it, then the panels (a key beside a long
    # title ran into it); the rows are sized in inches, so they hold for any number of panels
    height = fig.get_figheight()
    title_row, key_row = 0.45 / height, 0.3 / height
    fig.suptitle(title, y=1 - 0.08 / height, va="top")
    fig.supxlabel(_period_axis_label(periods, lang), fontsize=10)
    fig.supylabel(series_label, fontsize=10)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    handles[0] = plt.Line2D([], [], color="#3c3c3c", marker="o", markersize=2)  # colour is per court
    fig.tight_layout(rect=(0, 0, 1, 1 - key_row))  # tight_layout leaves the title's own room
    fig.legend(handles, labels, loc="upper center", ncols=len(labels), frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, 1 - title_row))
    return fig


def age_profile_bars(profile: pd.DataFrame, title: str, lang: str = "zh"):
    """Stacked bars of the pending caseload by age band per group
    (:func:`courtstudy.indicators.overview.pending_age_profile`; the total column is not drawn)."""
    from courtstudy.report.tables import column_label

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
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.set_xlabel(_t(lang, "未结案件数（件）", "Pending cases (count)"))
    ax.set_ylabel(column_label(str(group), lang))
    ax.set_title(title)
    ax.legend(title=_t(lang, "已未结时长", "Pending for"), bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig


def km_plot(curves: pd.DataFrame, title: str, lang: str = "zh", horizon: float | None = None,
            palette: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None):
    """Kaplan-Meier curves (:func:`courtstudy.indicators.overview.km_curves`) as the share of cases still
    open against days since filing; one line per cohort and group (solid: the first cohort,
    dashed: the others), each ending at its last follow-up day; the 50% line marks the median."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    cohorts = list(dict.fromkeys(curves["cohort"]))
    styles = ["-", "--", ":", "-."]
    default = dict(zip(sorted(curves["group"].unique()), sns.color_palette("colorblind"), strict=False))
    by_cohort = curves["group"].nunique() == 1  # one group: tell the cohorts apart by colour
    cohort_colors = dict(zip(cohorts, ["#0173b2", "#de8f05", "#029e73", "#cc78bc"], strict=False))
    for (cohort, group), part in curves.groupby(["cohort", "group"], sort=False):
        color = cohort_colors[cohort] if by_cohort else (palette or TRACK_COLORS).get(group, default.get(group))
        name = (labels or {}).get(group, group)
        n = int(part["n"].iloc[0])
        size = f"（{n:,} 件）" if lang == "zh" else f" ({n:,} cases)"
        tag = f"{cohort} {name}".strip() + size
        ax.step(part["time"], part["surv"] * 100, where="post", color=color,
                linestyle=styles[cohorts.index(cohort) % len(styles)], label=tag)
    ax.axhline(50, color="#949494", linewidth=1, linestyle=":",
               label=_t(lang, "50%（与曲线的交点为中位数）", "50% (where a curve crosses it: the median)"))
    if horizon is not None:
        ax.set_xlim(0, horizon)
    ax.set_ylim(0, 102)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel(_t(lang, "立案后天数（天）", "Days since filing (days)"))
    ax.set_ylabel(_t(lang, "尚未结案的比例（%）", "Share still open (%)"))
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
    fig, ax = plt.subplots(figsize=(9, 0.45 * table["court"].nunique() + 2.2))
    sns.barplot(long, y="court", x="days", hue="measure", ax=ax, orient="h",
                palette=["#0173b2", "#de8f05", "#029e73"][: len(measures)], errorbar=None)
    _label_bar_groups(ax, long["measure"].unique())
    ax.set_xlabel(_t(lang, "审理天数（天）", "Duration (days)"))
    ax.set_ylabel(_t(lang, "法院", "Court"))
    ax.set_title(title)
    ax.legend(handles=list(ax.containers), fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.08 - 0.3 / len(table)),
              ncols=len(measures), frameon=False)
    return fig
