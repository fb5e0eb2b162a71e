"""Figures of the monitoring notebooks (05 year-end projection, 06 bulletin, 07 extension audit).

Courts and groups are drawn in name order, never sorted by value: a funnel plot or an interval
chart is not a league table. Call :func:`courtstudy.report.style.use_court_style` first
(``notebook.setup`` does).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from courtstudy.core.text import column_label, pick
from courtstudy.report.style import DIRECTION_COLORS

_BLUE, _ORANGE, _GREY, _DARK = "#0173b2", "#de8f05", "#949494", "#3c3c3c"


def _t(lang: str, zh: str, en: str) -> str:
    return pick(zh, en, lang)


def _group_label(group: str, lang: str) -> str:
    """The axis label of a category axis of groups (法院, 团队 ...)."""
    return column_label(group, lang)


def projection_intervals(table: pd.DataFrame, indicator: str, group: str, title: str,
                         lang: str = "zh", target: float | None = None, percent: bool = True):
    """Projected year-end value of ``indicator`` per group (``table`` = a projection's tidy
    table) with its 80% (thick) and 95% (thin) intervals, the year-to-date extrapolation (x)
    and, where known, the actual year end (diamond); a dashed line at ``target``."""
    t = table[table["indicator"] == indicator].sort_values(group)
    scale = 100.0 if percent else 1.0
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(t) + 1.6))
    y = np.arange(len(t))
    ax.hlines(y, t["lo95"] * scale, t["hi95"] * scale, color=_BLUE, linewidth=1.2,
              label=_t(lang, "95% 预测区间", "95% interval"))
    ax.hlines(y, t["lo80"] * scale, t["hi80"] * scale, color=_BLUE, linewidth=5, alpha=0.6,
              label=_t(lang, "80% 预测区间", "80% interval"))
    ax.plot(t["projected"] * scale, y, "o", color=_BLUE, label=_t(lang, "预计年底值", "projected"))
    ax.plot(t["naive"] * scale, y, "x", color=_ORANGE, label=_t(lang, "按年初至今推算", "year-to-date extrapolation"))
    if t["actual"].notna().any():
        ax.plot(t["actual"] * scale, y, "D", color=_DARK, markersize=5, label=_t(lang, "实际年底值", "actual"))
    if target is not None:
        ax.axvline(target * scale, color=DIRECTION_COLORS["worse"], linestyle="--", linewidth=1,
                   label=_t(lang, "目标", "target"))
    ax.set_yticks(y, t[group].astype(str))
    ax.invert_yaxis()
    ax.set_ylabel(_group_label(group, lang))
    ax.set_xlabel(_t(lang, "年底值（%）", "year-end value (%)") if percent else _t(lang, "年底值", "year-end value"))
    ax.set_title(title)
    # beside the plot: inside it the key covers a court's interval
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def backtest_coverage(coverage: pd.DataFrame, lang: str = "zh"):
    """Coverage of the 80% and 95% intervals per indicator, with the target bands shaded."""
    t = coverage[coverage["indicator"] != "all"]
    from courtstudy.indicators.definitions import BY_NAME

    labels = [BY_NAME[n].label(lang) if n in BY_NAME else n for n in t["indicator"]]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(t) + 1.6))
    y = np.arange(len(t))
    ax.axvspan(75, 85, color=_BLUE, alpha=0.12, label=_t(lang, "80% 区间目标 75%-85%", "target for 80%: 75-85%"))
    ax.axvspan(92, 98, color=_ORANGE, alpha=0.12, label=_t(lang, "95% 区间目标 92%-98%", "target for 95%: 92-98%"))
    ax.plot(t["coverage80"] * 100, y, "o", color=_BLUE, label=_t(lang, "80% 区间覆盖率", "80% interval coverage"))
    ax.plot(t["coverage95"] * 100, y, "s", color=_ORANGE, label=_t(lang, "95% 区间覆盖率", "95% interval coverage"))
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_ylabel(_t(lang, "指标", "indicator"))
    ax.set_xlim(40, 101)
    ax.set_xlabel(_t(lang, "实际年底值落入预测区间的比例（%）", "share of actual year ends inside the interval (%)"))
    ax.set_title(_t(lang, "回测：预测区间的覆盖率", "Backtest: coverage of the prediction intervals"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)  # not over a point
    return fig


def due_bars(summary: pd.DataFrame, group: str, lang: str = "zh"):
    """Cases overdue and due within 7, 15 and 30 days per group (stacked, name order)."""
    t = summary.sort_values(group)
    parts = [("overdue", _t(lang, "已超审限", "overdue"), DIRECTION_COLORS["worse"]),
             ("within_7", _t(lang, "7日内到期", "due within 7 days"), _ORANGE),
             ("within_15", _t(lang, "8-15日内到期", "due in 8-15 days"), "#ece133"),
             ("within_30", _t(lang, "16-30日内到期", "due in 16-30 days"), _GREY)]
    values = {"overdue": t["overdue"], "within_7": t["within_7"],
              "within_15": t["within_15"] - t["within_7"], "within_30": t["within_30"] - t["within_15"]}
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(t) + 1.6))
    y = np.arange(len(t))
    left = np.zeros(len(t))
    for key, label, color in parts:
        v = values[key].to_numpy(dtype=float)
        ax.barh(y, v, left=left, color=color, label=label)
        left += v
    ax.set_yticks(y, t[group].astype(str))
    ax.invert_yaxis()
    ax.set_ylabel(_group_label(group, lang))
    ax.set_xlabel(_t(lang, "未结案件（件）", "pending cases"))
    ax.set_title(_t(lang, "审限预警：已超期与即将到期的未结案件", "Deadline watch: pending cases overdue or due soon"))
    ax.legend(loc="lower right", fontsize=8)
    return fig


def funnel_plot(funnel, title: str, lang: str = "zh", label_flagged: bool = True):
    """Ratio observed / expected against the expected count, with the 95% and 99.8% control
    limits of :class:`courtstudy.monitoring.funnel.Funnel`; groups above the 99.8% limit in
    orange, named when ``label_flagged`` (internal editions)."""
    t = funnel.table.dropna(subset=["ratio"])
    t = t[t["expected"] > 0]
    fig, ax = plt.subplots(figsize=(7, 4.6))
    judged = (t["expected"] >= funnel.min_expected).to_numpy(bool)
    flagged = t["above99.8"].to_numpy(bool)
    if len(t):
        if judged.any():  # the limits only where a group is judged by them
            xs = np.geomspace(funnel.min_expected, t["expected"].max() * 1.2, 200)
            curve = funnel.limits_curve(xs)
            # upper and lower limit as one line each (a gap between them), so each has one legend entry
            both = np.concatenate([xs, [np.nan], xs])
            ax.plot(both, np.concatenate([curve["upper95"], [np.nan], curve["lower95"]]), color=_GREY,
                    linestyle="--", linewidth=1, label=_t(lang, "95% 控制限", "95% limits"))
            ax.plot(both, np.concatenate([curve["upper99.8"], [np.nan], curve["lower99.8"]]), color=_DARK,
                    linewidth=1, label=_t(lang, "99.8% 控制限", "99.8% limits"))
            ax.scatter(t.loc[judged & ~flagged, "expected"], t.loc[judged & ~flagged, "ratio"], s=14,
                       color=_BLUE, alpha=0.7, label=_t(lang, "控制限以内或以下", "within or below the limits"))
            ax.scatter(t.loc[flagged, "expected"], t.loc[flagged, "ratio"], s=24, color=_ORANGE,
                       label=_t(lang, "高于 99.8% 控制上限（名单见下表）", "above the 99.8% limit (named in the table below)"))
        top = None
        if judged.any():  # the axis shows the judged groups; tiny groups' huge ratios would flatten them
            top = 1.15 * max(float(t.loc[judged, "ratio"].max()), float(curve["upper99.8"].max()), 2.0)
            ax.set_ylim(bottom=-0.05 * top, top=top)
        if (~judged).any():
            few = f"{funnel.min_expected:g}"
            small = t.loc[~judged]
            off = int((small["ratio"] > top).sum()) if top is not None else 0
            label = _t(lang, f"预期不足 {few} 件，不作判断", f"fewer than {few} expected: not judged")
            if off:
                label += _t(lang, f"（{off} 个高于图幅）", f" ({off} above the chart)")
            ax.scatter(small["expected"], small["ratio"] if top is None else small["ratio"].clip(upper=top),
                       s=12, color=_GREY, alpha=0.5, marker="^", label=label)
        if label_flagged and 0 < flagged.sum() <= 3:  # more names would overlap: the table lists them
            name = funnel.by[-1]
            for _, row in t[flagged].iterrows():
                ax.annotate(str(row[name]), (row["expected"], row["ratio"]), fontsize=7,
                            xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("log")
        # plain numbers on the log axis (the default writes TeX such as 10^1, which is no language)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.axhline(1.0, color=_DARK, linewidth=0.8, linestyle=":", label=_t(lang, "实际 = 预期", "observed = expected"))
    ax.set_xlabel(_t(lang, "按本院其余法官或团队的比例推算的预期件数（对数刻度）", "expected count from the rest of the court (log scale)"))
    ax.set_ylabel(_t(lang, "实际 / 预期（倍，1 = 与本院其余人员相同）", "observed / expected (1 = as the rest of the court)"))
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def bunching_profile(cases: pd.DataFrame, lang: str = "zh", window: int = 30):
    """Share of closings by days before the deadline (0 = the deadline day), within the last
    ``window`` days: cases whose extension or deduction was decisive against unadjusted cases."""
    closed = cases[cases["closed_date"].notna() & cases["deadline"].notna()]
    slack = closed["days_before_deadline"].astype(float)
    adjusted = (closed["extension_days"] + closed["suspended_days"]) > 0
    decisive = adjusted & (closed["days_past_base"] > 0) & (slack >= 0)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for mask, label, color in ((~adjusted, _t(lang, "未延长、未扣除", "no extension or deduction"), _GREY),
                               (decisive, _t(lang, "延长/扣除起决定作用", "extension or deduction decisive"), _ORANGE)):
        s = slack[mask & (slack >= 0) & (slack < window)].astype(int)
        share = np.bincount(s, minlength=window)[:window] / max(len(s), 1)
        ax.plot(np.arange(window), share * 100, marker="o", markersize=3, color=color, label=label)
    ax.set_xlabel(_t(lang, "结案日距届满日的天数", "days between closing and the deadline"))
    ax.set_ylabel(_t(lang, "占届满前 30 日内结案的比例（%）", "share of closings in the last 30 days (%)"))
    ax.set_title(_t(lang, "届满前集中结案：延长/扣除起决定作用的案件与其他案件", "Closings bunched before the deadline"))
    ax.legend(fontsize=8)
    return fig
