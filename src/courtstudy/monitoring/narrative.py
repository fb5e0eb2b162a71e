"""What the monitoring notebooks say: sentences computed from the results in front of them,
and tables with headers in the report's language.

Every sentence here is built from numbers passed in, so it stays true on the next court's data
(a sentence that states a result is never written in advance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from courtstudy.core.text import pick
from courtstudy.monitoring.projection import PROJECTED, YearEndProjection, parse_targets

__all__ = ["parse_targets"]


def _t(lang: str, zh: str, en: str) -> str:
    return pick(zh, en, lang)


def indicator_label(indicator: str, lang: str = "zh") -> str:
    """The catalogue label of an indicator in ``lang``."""
    return _label(indicator, lang)


def _label(indicator: str, lang: str) -> str:
    from courtstudy.indicators.definitions import BY_NAME

    return BY_NAME[indicator].label(lang) if indicator in BY_NAME else indicator


def _fmt(indicator: str, value: float) -> str:
    """A value as a court bulletin prints it: rates as percentages, counts as integers."""
    from courtstudy.indicators.definitions import BY_NAME

    if value is None or not np.isfinite(value):
        return "—"
    kind = BY_NAME[indicator].kind if indicator in BY_NAME else "count"
    if kind in ("rate", "ratio"):
        return f"{100 * value:.1f}%"
    return f"{value:,.0f}"


#: Display headers of the projection table (zh, en).
PROJECTION_HEADERS: dict[str, tuple[str, str]] = {
    "now": ("预测日数值", "On the projection day"), "projected": ("预计年底值", "Projected year end"),
    "lo80": ("80%区间下限", "80% interval, low"), "hi80": ("80%区间上限", "80% interval, high"),
    "lo95": ("95%区间下限", "95% interval, low"), "hi95": ("95%区间上限", "95% interval, high"),
    "naive": ("按年初至今推算", "Year-to-date extrapolation"), "actual": ("实际年底值", "Actual year end"),
}


def projection_table(projection: YearEndProjection, lang: str = "zh",
                     indicators: tuple[str, ...] = PROJECTED) -> tuple[pd.DataFrame, dict[str, str]]:
    """The projection as a display frame: the group columns, ``indicator`` (a code, for the
    row formats: hide it), ``indicator_label``, then the values under headers in ``lang``;
    ``actual`` only when the data hold the year end. Returns the frame and the row-kinds
    mapping for :meth:`NotebookContext.table` (header -> ``"indicator"``)."""
    t = projection.table[projection.table["indicator"].isin(indicators)].copy()
    if projection.complete and projection.by:
        # the year is over: one actual value per group and indicator, a group per row (as a
        # bulletin prints it) rather than a group's indicators on four rows
        order = [n for n in indicators if n in set(t["indicator"])]
        wide = t.pivot_table(index=projection.by, columns="indicator", values="projected", aggfunc="first",
                             sort=True)[order]
        headers = {n: _label(n, lang) for n in order}
        out = wide.rename(columns=headers).reset_index()
        out.columns.name = None
        return out, {headers[n]: [_row_kind(n)] * len(out) for n in order}
    t.insert(len(projection.by) + 1, "indicator_label", t["indicator"].map(lambda n: _label(n, lang)))
    values = ["now", "projected", "lo80", "hi80", "lo95", "hi95", "naive"]
    if projection.complete:
        t["actual"] = t["projected"]
        values = ["actual"]
    elif t["actual"].notna().any():
        values.append("actual")
    out = t[[*projection.by, "indicator", "indicator_label", *values]]
    headers = {k: _t(lang, *PROJECTION_HEADERS[k]) for k in values}
    out = out.rename(columns=headers).reset_index(drop=True)
    # 结收比 is printed as a percentage like 结案率 (court bulletins do), counts as counts.
    per_row = [_row_kind(n) for n in out["indicator"]]
    return out, {h: per_row for h in headers.values()}


def _row_kind(indicator: str) -> str:
    from courtstudy.indicators.definitions import BY_NAME

    kind = BY_NAME[indicator].kind if indicator in BY_NAME else "count"
    return "percent" if kind in ("rate", "ratio") else "count"


TARGET_HEADERS: dict[str, tuple[str, str]] = {
    "target": ("目标", "Target"), "probability": ("达成概率", "Probability of reaching it"),
    "required_closings": ("尚需结案（件）", "Closings still needed"),
    "judges": ("员额法官（人）", "Judges"), "weeks_left": ("剩余周数", "Weeks left"),
    "required_per_judge_week": ("需人均周结案（件）", "Needed per judge per week"),
    "projected_per_judge_week": ("预计人均周结案（件）", "Projected per judge per week"),
}


def targets_table(projection: YearEndProjection, lang: str = "zh") -> tuple[pd.DataFrame, dict[str, str]]:
    """Targets as a display frame and its column kinds (header -> kind)."""
    t = projection.targets
    if t.empty:
        return pd.DataFrame(), {}
    if projection.complete:
        out = t[projection.by].copy()
        out["target"] = [_target_text(row, lang) for _, row in t.iterrows()]
        out["reached"] = t["probability"] >= 0.5
        if projection.by:  # a group per row, a target per column: 是 / 否
            order = list(dict.fromkeys(out["target"]))
            wide = out.pivot_table(index=projection.by, columns="target", values="reached", aggfunc="first",
                                   sort=True)[order]
            wide = wide.map(lambda v: _t(lang, "达到", "Reached") if v else _t(lang, "未达到", "Not reached"))
            wide = wide.reset_index()
            wide.columns.name = None
            return wide, {target: "text" for target in order}
        headers = {"target": _t(lang, *TARGET_HEADERS["target"]), "reached": _t(lang, "是否达到", "Reached")}
        return out.rename(columns=headers).reset_index(drop=True), {headers["target"]: "text"}
    out = t[[*projection.by, "target", "probability", "required_closings", "judges", "weeks_left",
             "required_per_judge_week", "projected_per_judge_week"]].copy()
    out["target"] = [_target_text(row, lang) for _, row in t.iterrows()]
    kinds = {"probability": "percent", "required_closings": "count", "judges": "count",
             "weeks_left": "ratio", "required_per_judge_week": "ratio",
             "projected_per_judge_week": "ratio", "target": "text"}
    headers = {k: _t(lang, *v) for k, v in TARGET_HEADERS.items()}
    out = out.rename(columns=headers).reset_index(drop=True)
    return out, {headers[k]: v for k, v in kinds.items()}


def _target_text(row: pd.Series, lang: str) -> str:
    """``结收比 ≥ 100.0%`` / ``Clearance rate ≥ 100.0%`` from a targets row."""
    op = {">=": "≥", "<=": "≤"}.get(str(row["op"]), str(row["op"]))
    return f"{_label(str(row['indicator']), lang)} {op} {_fmt(str(row['indicator']), float(row['value']))}"


def projection_headline(total: YearEndProjection, lang: str = "zh") -> str:
    """One sentence on the whole office: projected 结收比 and 结案率 with their 80% intervals,
    and for each target its probability and the weekly closings per judge it needs."""
    t = total.table.set_index("indicator")
    if t["projected"].isna().all():
        return _t(lang, "数据不足，无法预测年底数。", "Not enough data to project the year end.")

    def part(name: str) -> str:
        row = t.loc[name]
        if row["lo80"] == row["hi80"]:
            return _t(lang, f"{_label(name, 'zh')} {_fmt(name, row['projected'])}",
                      f"{_label(name, 'en').lower()} {_fmt(name, row['projected'])}")
        return _t(lang, f"{_label(name, 'zh')}预计 {_fmt(name, row['projected'])}（80% 预测区间 "
                        f"{_fmt(name, row['lo80'])}–{_fmt(name, row['hi80'])}）",
                  f"{_label(name, 'en').lower()} {_fmt(name, row['projected'])} (80% interval "
                  f"{_fmt(name, row['lo80'])}-{_fmt(name, row['hi80'])})")

    done = bool(total.notes) and any("year is over" in en for _, en in total.notes)
    if done:
        head = _t(lang, f"{total.year} 年已结束：全院", f"{total.year} is over: for the whole office,")
        body = _t(lang, f"{part('clearance_rate')}，{part('disposition_rate')}。",
                  f" {part('clearance_rate')} and {part('disposition_rate')}.")
        return head + body
    head = _t(lang, f"按 {total.origin.date()} 的数据，全院 {total.year} 年底",
              f"From the data of {total.origin.date()}, the office's {total.year} year-end")
    body = _t(lang, f"{part('clearance_rate')}，{part('disposition_rate')}。",
              f" {part('clearance_rate')} and {part('disposition_rate')}.")
    sentences = [head + body]
    for _, row in total.targets.iterrows():
        target = _target_text(row, lang)
        p = row["probability"]
        need, pace = row["required_per_judge_week"], row["projected_per_judge_week"]
        if np.isfinite(need) and np.isfinite(pace):
            sentences.append(_t(
                lang,
                f"达到“{target}”的概率约为 {100 * p:.0f}%；余下 {row['weeks_left']:.0f} 周每名员额法官每周需结案 "
                f"{need:.1f} 件，按目前进度预计为 {pace:.1f} 件。",
                f"The chance of reaching '{target}' is about {100 * p:.0f}%; it needs {need:.1f} closings "
                f"per judge per week for the remaining {row['weeks_left']:.0f} weeks, against {pace:.1f} projected."))
        else:
            sentences.append(_t(lang, f"达到“{target}”的概率约为 {100 * p:.0f}%。",
                                f"The chance of reaching '{target}' is about {100 * p:.0f}%."))
    return "".join(sentences) if lang == "zh" else " ".join(sentences)


def backtest_sentence(coverage: pd.DataFrame, lang: str = "zh") -> str:
    """What the backtest on this court's own past years says (pooled row of each method)."""
    pooled = coverage[coverage["indicator"] == "all"]
    if pooled.empty:
        return _t(lang, "本院历史数据不足两个完整年度，无法回测。",
                  "The data hold fewer than two complete past years: no backtest is possible.")
    row = pooled.iloc[0]
    years = _t(lang, "往年", "past years")
    return _t(lang,
              f"在本院{years}的 {int(row['n']):,} 个回测预测中，80% 预测区间覆盖了 {100 * row['coverage80']:.0f}% 的实际年底值，"
              f"95% 区间覆盖了 {100 * row['coverage95']:.0f}%（目标 75%-85% 与 92%-98%）；预测的平均绝对误差是按年初至今推算的 "
              f"{100 * row['mae_ratio']:.0f}%。",
              f"Over {int(row['n']):,} backtest projections on this court's {years}, the 80% intervals held "
              f"{100 * row['coverage80']:.0f}% of the actual year ends and the 95% intervals "
              f"{100 * row['coverage95']:.0f}% (targets 75-85% and 92-98%); the projection's mean absolute "
              f"error is {100 * row['mae_ratio']:.0f}% of the year-to-date extrapolation's.")


BACKTEST_HEADERS: dict[str, tuple[str, str]] = {
    "n": ("预测次数", "Projections"), "coverage80": ("80%区间覆盖率", "80% interval coverage"),
    "coverage95": ("95%区间覆盖率", "95% interval coverage"),
    "mape": ("平均误差（占实际值）", "Mean error (share of actual)"),
    "mape_naive": ("按年初至今推算的平均误差", "Mean error of the year-to-date extrapolation"),
}


def backtest_table(coverage: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict[str, str]]:
    """The coverage table for display (one row per indicator and the pooled row) and its
    column kinds (header -> kind)."""
    t = coverage.copy()
    t["indicator_label"] = t["indicator"].map(lambda n: _t(lang, "全部指标", "all indicators")
                                              if n == "all" else _label(n, lang))
    out = t[["indicator", "indicator_label", *BACKTEST_HEADERS]]
    headers = {k: _t(lang, *v) for k, v in BACKTEST_HEADERS.items()}
    kinds = {headers[k]: ("count" if k == "n" else "percent") for k in BACKTEST_HEADERS}
    return out.rename(columns=headers).reset_index(drop=True), kinds


def audit_sentence(counts: pd.DataFrame, checked: dict[str, str], lang: str = "zh") -> str:
    """Flags per rule over all courts, and what was not checked."""
    from courtstudy.monitoring.extension_audit import RULE_LABELS, RULES

    total = counts[list(RULES)].sum()
    closed = int(counts["closed"].sum())
    parts = [_t(lang, f"{RULE_LABELS[r][0]} {int(total[r]):,} 件", f"{RULE_LABELS[r][1].lower()}: {int(total[r]):,}")
             for r in RULES if not checked.get(r, "").startswith("not checked")]
    text = _t(lang, f"在 {closed:,} 件已结案件中，规则提示：" + "；".join(parts) + "。",
              f"Among {closed:,} closed cases the rules flagged " + "; ".join(parts) + ".")
    skipped = [r for r in RULES if checked.get(r, "").startswith("not checked")]
    if skipped:
        text += _t(lang, "未检查：" + "、".join(RULE_LABELS[r][0] for r in skipped) + "（导出数据中没有程序转换记录）。",
                   " Not checked: " + ", ".join(RULE_LABELS[r][1].lower() for r in skipped)
                   + " (the export has no conversion records).")
    return text


def bunching_sentence(bunching: pd.DataFrame, lang: str = "zh", alpha: float = 0.01) -> str:
    """How many courts show closings bunched before adjusted deadlines, with the excess."""
    if bunching.empty:
        return _t(lang, "没有延长或扣除起决定作用的已结案件。", "No closed case depended on an extension or deduction.")
    hit = bunching[bunching["p_value"] < alpha]
    excess = float(hit["excess"].sum())
    if hit.empty:
        return _t(lang, f"各法院在延长或扣除后的届满日前集中结案的程度，与未延长、未扣除的案件相比均无显著差异（p ≥ {alpha:g}）。",
                  f"No court's closings cluster before extended or deducted deadlines more than its other "
                  f"cases cluster before theirs (p ≥ {alpha:g}).")
    return _t(lang, f"{len(hit)} 家法院在延长或扣除后的届满日前 5 日内集中结案，显著多于其未延长、未扣除案件的同一比例（p < {alpha:g}），"
                    f"合计多出约 {excess:.0f} 件；这是需要逐案复核的线索，不是结论。",
              f"{len(hit)} courts close more cases in the last 5 days before an extended or deducted deadline "
              f"than their other cases close before theirs (p < {alpha:g}), about {excess:.0f} cases in excess "
              f"in all: a lead for review case by case, not a finding.")


def funnel_sentence(funnels: dict, level: str, lang: str = "zh") -> str:
    """How many groups lie above the 99.8% limit of each measure (names are in the funnel
    table and figure, never ranked)."""
    from courtstudy.monitoring.extension_audit import MEASURES

    parts = []
    for measure, by_level in funnels.items():
        if level not in by_level:
            continue
        f = by_level[level]
        n_above = int(f.table["above99.8"].sum())
        parts.append(_t(lang, f"{MEASURES[measure][0]} {n_above} 个", f"{MEASURES[measure][1].lower()}: {n_above}"))
    who = _t(lang, {"judge": "法官", "team": "团队"}.get(level, level), {"judge": "judges", "team": "teams"}.get(level, level))
    return _t(lang, f"高于本院其他{who}（按程序、年度和案由标准化）99.8% 控制上限的{who}数：" + "；".join(parts) + "。",
              f"{who.capitalize()} above the 99.8% control limit of the rest of their court (standardised by "
              f"procedure, year and cause): " + "; ".join(parts) + ".")


def method_sentence(projection: YearEndProjection, lang: str = "zh") -> str:
    """Which day the projection is made on, from which past years, by which method."""
    years = "、".join(map(str, projection.history_years)) if lang == "zh" else \
        ", ".join(map(str, projection.history_years))
    if not projection.history_years:
        return _t(lang, f"预测日 {projection.origin.date()}：{projection.year} 年已结束，以下为实际数。",
                  f"Projection day {projection.origin.date()}: {projection.year} is over; the figures are actual.")
    method = {"stock": _t(lang, "案件层面模型（未结案件按未结时长结案）", "the case-level model (the pending stock closes by age)"),
              "ets": _t(lang, "指数平滑时间序列模型", "exponential smoothing of monthly counts")}[projection.method]
    text = _t(lang, f"预测日 {projection.origin.date()}，只使用当日已知的数据；参照年份 {years}；方法：{method}。",
              f"Projection made on {projection.origin.date()} from what was known that day; reference years "
              f"{years}; method: {method}.")
    for zh, en in projection.notes:
        text += _t(lang, zh, " " + en)
    return text


def backtest_years(cases: pd.DataFrame, as_of: pd.Timestamp | str, up_to_year: int,
                   minimum_past_years: int = 2) -> list[int]:
    """Years up to ``up_to_year`` whose end the data hold and before which the data hold at
    least ``minimum_past_years`` complete years (what a calibrated backtest needs)."""
    from courtstudy.monitoring.caseflow import CaseFlow

    flow = CaseFlow.from_cases(cases, [], as_of)
    years = []
    first = pd.Timestamp(as_of).year - 30
    for year in range(first, up_to_year + 1):
        complete = pd.Timestamp(year=year, month=12, day=31) <= pd.Timestamp(as_of)
        past = sum(flow.year_covered(y) for y in range(year - 3, year))
        if complete and past >= minimum_past_years:
            years.append(year)
    return years


def empty_coverage() -> pd.DataFrame:
    """A coverage table with no rows (no backtest was possible)."""
    return pd.DataFrame(columns=["indicator", "n", "coverage80", "coverage95", "mae_ratio"])


def window_sentence(window, lang: str = "zh") -> str:
    """Which closings the audit covers."""
    return _t(lang, f"核查范围：{window.start.date()} 至 {window.end.date()} 结案的案件，及该日仍未结的案件。",
              f"The audit covers cases closed from {window.start.date()} to {window.end.date()} and those "
              f"pending on its last day.")


def detection_sentence(check: dict, lang: str = "zh") -> str:
    """Precision and recall of the detector on the planted synthetic court."""
    rules = check["rules"].set_index("rule")
    kinds = check["kinds"]
    any_row = rules.loc["any"]
    case_kinds = kinds[kinds["recall"].notna()]
    recall = case_kinds["flagged_by_rule"].sum() / max(case_kinds["planted"].sum(), 1)
    judges = check.get("judges")
    judge_text_zh = judge_text_en = ""
    if judges is not None and len(judges):
        found = judges.set_index("measure")
        meant = found[found["judges_meant"] > 0]
        hit = int((meant["recall"] * meant["judges_meant"]).round().sum())
        total = int(meant["judges_meant"].sum())
        judge_text_zh = f"漏斗图找出了植入的 {total} 名“做账”法官中的 {hit} 名。"
        judge_text_en = f" The funnel plots found {hit} of the {total} planted dressing-up judges."
    return _t(lang,
              f"在植入了已知异常的合成法院（种子 {check['seed']}）上，逐案规则共提示 {int(any_row['flagged']):,} 件，其中 "
              f"{int(any_row['planted']):,} 件确为植入异常（准确率 {100 * any_row['precision']:.0f}%）；各规则对其针对的植入异常的召回率合计 "
              f"{100 * recall:.0f}%。" + judge_text_zh,
              f"On a synthetic court with planted irregularities (seed {check['seed']}) the case rules flagged "
              f"{int(any_row['flagged']):,} cases, {int(any_row['planted']):,} of them planted (precision "
              f"{100 * any_row['precision']:.0f}%); the rules found {100 * recall:.0f}% of the planted cases they "
              f"are meant for." + judge_text_en)


def printable(frame: pd.DataFrame, row_kinds: dict[str, list[str]]) -> pd.DataFrame:
    """``frame`` with the ``row_kinds`` columns as text for a terminal: percentages with one
    decimal, counts as whole numbers with separators, missing as a dash."""
    out = frame.copy()
    for column, kinds in row_kinds.items():
        values = out[column].to_numpy(dtype=float)
        out[column] = ["—" if not np.isfinite(v) else (f"{100 * v:.1f}%" if k == "percent" else f"{v:,.0f}")
                       for v, k in zip(values, kinds, strict=True)]
    return out


RETRO_INDICATORS: tuple[str, ...] = ("clearance_rate", "disposition_rate", "pending", "pending_over_18m")


def retrospective_table(backtest: pd.DataFrame, lang: str = "zh",
                        indicators: tuple[str, ...] = RETRO_INDICATORS) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Projections of one year made at several origins against its actual year end, for
    display: ``origin``, ``indicator`` (hidden), ``indicator_label``, projected, 80% interval,
    actual, and whether the actual fell inside the 80% interval."""
    t = backtest[backtest["indicator"].isin(indicators)].copy()
    order = {n: i for i, n in enumerate(indicators)}
    t = t.sort_values(["indicator", "origin"], key=lambda s: s.map(order) if s.name == "indicator" else s)
    t["indicator_label"] = t["indicator"].map(lambda n: _label(n, lang))
    t["inside"] = (t["actual"] >= t["lo80"]) & (t["actual"] <= t["hi80"])
    out = t[["origin", "indicator", "indicator_label", "projected", "lo80", "hi80", "naive", "actual", "inside"]]
    headers = {"origin": ("预测日", "Projection day"), "projected": PROJECTION_HEADERS["projected"],
               "lo80": PROJECTION_HEADERS["lo80"], "hi80": PROJECTION_HEADERS["hi80"],
               "naive": PROJECTION_HEADERS["naive"], "actual": PROJECTION_HEADERS["actual"],
               "inside": ("落在80%区间内", "Inside the 80% interval")}
    out = out.rename(columns={k: _t(lang, *v) for k, v in headers.items()}).reset_index(drop=True)
    per_row = [_row_kind(n) for n in out["indicator"]]
    rows = {_t(lang, *headers[k]): per_row for k in ("projected", "lo80", "hi80", "naive", "actual")}
    return out, rows


def retrospective_sentence(backtest: pd.DataFrame, lang: str = "zh") -> str:
    """How the year's projections of 结收比 fared against the actual year end."""
    t = backtest[backtest["indicator"] == "clearance_rate"].sort_values("origin")
    if t.empty or t["actual"].isna().all():
        return ""
    actual = float(t["actual"].iloc[0])
    inside = int(((t["actual"] >= t["lo80"]) & (t["actual"] <= t["hi80"])).sum())
    parts = [_t(lang, f"{o} 预测 {_fmt('clearance_rate', p)}", f"{o}: {_fmt('clearance_rate', p)}")
             for o, p in zip(t["origin"], t["projected"], strict=True)]
    return _t(lang,
              f"全院结收比实际为 {_fmt('clearance_rate', actual)}；年内各次预测：" + "，".join(parts)
              + f"；{len(t)} 次中有 {inside} 次实际值落在 80% 预测区间内。",
              f"The office's actual clearance rate was {_fmt('clearance_rate', actual)}; the projections "
              f"made during the year: " + ", ".join(parts) + f"; the actual fell inside the 80% interval "
              f"{inside} times out of {len(t)}.")
