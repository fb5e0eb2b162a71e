"""The first diversion in notebook 02: pre-suit mediation (诉前调解) and 案-件比.

What the notebook's sections call: :func:`load_inputs` (the mediation register, the link
columns and the related cases, each optional, with the reason a section is skipped),
:func:`mediation_tables` / :func:`mediation_sentence` (the report period by court and year on
year), :func:`ratio_cohort`, :func:`ratio_table` / :func:`ratio_sentence` (案-件比 of the latest
cohort of disputes followed for the whole horizon, by court and kind of case, against the cohort
a year earlier) and :func:`ratio_figure`. Definitions: :mod:`courtstudy.indicators.diversion`
and ``docs/assumptions.md``.

Every sentence is written here from the numbers in front of it, in zh or en.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from courtstudy.core.errors import CourtstudyError
from courtstudy.core.periods import Period
from courtstudy.indicators.diversion import (
    BY_NAME,
    COURT_KINDS,
    DEFAULT_HORIZON_DAYS,
    RATIO_DIGITS,
    compare_diversion,
    diversion_indicators,
    ratio_label,
)

#: The mediation indicators of the section, in table order.
MEDIATION_INDICATORS: tuple[str, ...] = (
    "mediation_received", "mediation_resolved", "mediation_success_rate", "judicial_confirmation_rate",
    "mediation_mean_days", "mediation_median_days", "pre_suit_resolution_rate", "mediation_conversions")
#: Columns of the by-court mediation table: this period, and 诉前化解率 a year earlier.
MEDIATION_COURT_COLUMNS: tuple[str, ...] = (*MEDIATION_INDICATORS, "pre_suit_resolution_rate_previous")
_KIND_OF = {"count": "count", "rate": "percent", "days": "days", "ratio": "ratio"}
_TOTAL = ("合计", "All courts")


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


@dataclass
class DiversionInputs:
    """What the sections work with. ``mediation``: accepted register records of the courts in
    scope (or None); ``cases``: the cases in scope and the related cases (or None without links);
    ``links``: accepted links (or None); ``loaded_mediation`` / ``loaded_links``: the loaders'
    results (accounting, issues); ``skipped``: section (``"mediation"``, ``"ratio"``) -> why it
    is skipped, (zh, en)."""

    mediation: pd.DataFrame | None = None
    filed: pd.DataFrame | None = None
    cases: pd.DataFrame | None = None
    links: pd.DataFrame | None = None
    loaded_mediation: object | None = None
    loaded_links: object | None = None
    related_rows: int = 0
    #: Register records whose court is not a court of the case export (kept when no court
    #: filter is set: a court may have mediation before its first case; reported).
    unknown_court_records: int = 0
    skipped: dict[str, tuple[str, str]] = field(default_factory=dict)

    def why_skipped(self, section: str, lang: str = "zh") -> str:
        """The sentence a skipped section shows ("" when it runs)."""
        if section not in self.skipped:
            return ""
        zh, en = self.skipped[section]
        return _t(lang, f"本节略去：{zh}。", f"This section is skipped: {en}.")


def _demo_or_path(value: str, data: str, attribute: str, parameter: str) -> Path | None:
    """``"demo"``: the demo's file (only with the demo data); ``""``: none; else the path, which
    must exist."""
    value = str(value).strip()
    if value == "":
        return None
    if value == "demo":
        if str(data).strip() != "demo":
            return None
        from courtstudy.simulate.demo import ensure_demo

        return getattr(ensure_demo(), attribute)
    path = Path(value).expanduser()
    if not path.is_file():
        raise CourtstudyError(f"{parameter}: 找不到文件 {path} / no such file: {path}")
    return path


def load_inputs(*, data: str, cases: pd.DataFrame, all_cases: pd.DataFrame, as_of: pd.Timestamp,
                mediation_path: str = "demo", links_path: str = "demo",
                related_cases_path: str = "demo", data_path: Path | None = None) -> DiversionInputs:
    """Load the register, the link columns and the related cases for the notebook.

    ``cases``: the cases in scope (the court filter applied); ``all_cases``: every accepted case
    (a link is judged against all of them). Each path parameter: ``"demo"`` = the demo's file
    when ``data`` is ``"demo"`` (else none), ``""`` = none, else a file; ``links_path`` ``"demo"`` with other
    data reads the link columns of the case export itself (``data_path``). The register's records
    are kept for the courts in scope (every court when no filter is set)."""
    from courtstudy.ingest.links import load_links
    from courtstudy.ingest.loading import load_cases
    from courtstudy.ingest.mediation import load_mediation

    out = DiversionInputs()
    snapshot = as_of.date()
    in_scope = set(cases["court"].dropna())
    filtered = in_scope != set(all_cases["court"].dropna())
    register = _demo_or_path(mediation_path, data, "mediation", "mediation_path")
    if register is None:
        out.skipped["mediation"] = (
            "没有诉前调解登记表（未提供登记表；示例登记表只配示例数据）",
            "no pre-suit mediation register was given (none was named in the report's parameters, and "
            "the demo register goes with the demo data only)")
    else:
        out.loaded_mediation = load_mediation(register, snapshot=snapshot)
        records = out.loaded_mediation.records
        out.unknown_court_records = int((~records["court"].isin(set(all_cases["court"].dropna()))).sum())
        kept = records["court"].isin(in_scope) if filtered else pd.Series(True, index=records.index)
        out.mediation = records.loc[kept].reset_index(drop=True)
        out.filed = cases
    related = _demo_or_path(related_cases_path, data, "related_cases", "related_cases_path")
    related_cases = None
    if related is not None:
        related_cases = load_cases(related, snapshot=snapshot).cases
        related_cases = related_cases.loc[~related_cases["case_id"].isin(all_cases["case_id"])]
        out.related_rows = len(related_cases)
    source = None
    if str(links_path).strip() == "demo" and str(data).strip() != "demo":
        source = data_path  # a court's own export: its link columns
    elif str(links_path).strip():
        source = _demo_or_path(links_path, data, "case_links", "links_path")
    if source is None:
        out.skipped["ratio"] = ("没有案件关联列（未提供原审案号、执行依据等关联列），无法把案件归入纠纷",
                                "no link columns were given (none named in the report's parameters), so cases cannot be grouped "
                                "into disputes")
        return out
    every = pd.concat([all_cases, related_cases], ignore_index=True) if related_cases is not None else all_cases
    loaded = load_links(source, cases=every, mediation=out.loaded_mediation.records
                        if out.loaded_mediation is not None else None)
    out.loaded_links = loaded
    if len(loaded.links) == 0:
        out.skipped["ratio"] = ("案件导出中没有案件关联（原审案号、执行依据、诉前调解案号均为空）",
                                "the case export links no case to another (its link columns are empty or "
                                "missing)")
        return out
    out.links = loaded.links
    scoped = pd.concat([cases, related_cases], ignore_index=True) if related_cases is not None else cases
    out.cases = scoped
    return out


# ------------------------------------------------------------------------------ mediation
def _compared(inputs: DiversionInputs, period: Period, as_of: pd.Timestamp, by: list[str]) -> pd.DataFrame:
    long = diversion_indicators(inputs.mediation, inputs.filed, inputs.links, by=by,
                                period=[period, period.shift("yoy")], as_of=as_of,
                                indicators=list(MEDIATION_INDICATORS))
    return compare_diversion(long)


def mediation_tables(inputs: DiversionInputs, period: Period, as_of: pd.Timestamp,
                     lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tables of the report period: (1) all courts in scope, one row per indicator as
    :func:`courtstudy.indicators.overview.yoy_panel` (``indicator``, ``indicator_label``,
    ``current``, ``previous_value``, ``change``, ``direction``, ``verdict``); (2) one row per court: :data:`MEDIATION_COURT_COLUMNS` (canonical names; the
    caller labels them with :func:`mediation_column_labels`), sorted by name."""
    total = _compared(inputs, period, as_of, [])
    now = total.loc[total["period"].astype(str) == period.label].set_index("indicator")
    from courtstudy.indicators.overview import _ARROWS, _verdict

    rows = []
    for name in MEDIATION_INDICATORS:
        if name not in now.index:
            continue
        r = now.loc[name]
        rows.append({"indicator": name, "indicator_label": BY_NAME[name].label(lang), "current": r["value"],
                     "previous_value": r["previous_value"], "change": r["change"],
                     "direction": _ARROWS.get(str(r["direction"]), "—") if pd.notna(r["direction"]) else "—",
                     "verdict": _verdict(r["good"], bool(r["comparable"]), bool(r["immature"]), lang)})
    overall = pd.DataFrame(rows)
    courts = _compared(inputs, period, as_of, ["court"])
    current = courts.loc[courts["period"].astype(str) == period.label]
    wide = current.pivot_table(index="court", columns="indicator", values="value", aggfunc="first")
    before = current.pivot_table(index="court", columns="indicator", values="previous_value", aggfunc="first")
    by_court = pd.DataFrame(index=wide.index)
    for name in MEDIATION_INDICATORS:
        by_court[name] = wide[name] if name in wide.columns else np.nan
    by_court["pre_suit_resolution_rate_previous"] = before.get("pre_suit_resolution_rate", np.nan)
    for name in ("mediation_received", "mediation_resolved", "mediation_conversions"):
        by_court[name] = by_court[name].fillna(0).round().astype("int64")
    by_court = by_court.sort_index().reset_index()
    by_court["court"] = by_court["court"].astype("string")
    return overall, by_court


def _better_word(good, lang: str) -> str:
    if good is None or (not isinstance(good, bool | np.bool_) and pd.isna(good)):
        return ""
    return _t(lang, "向好", "better") if bool(good) else _t(lang, "变差", "worse")


def mediation_column_labels(lang: str = "zh") -> dict[str, str]:
    """Headers of the by-court mediation table in ``lang``."""
    labels = {n: BY_NAME[n].label(lang) for n in MEDIATION_INDICATORS}
    labels["pre_suit_resolution_rate_previous"] = BY_NAME["pre_suit_resolution_rate"].label(lang) + _t(
        lang, "（去年同期）", " (a year earlier)")
    return labels


def mediation_kinds(lang: str = "zh") -> dict[str, str]:
    """Display kinds of the by-court table's labelled columns (for ``ctx.table(kinds=...)``)."""
    labels = mediation_column_labels(lang)
    return {labels[n]: _KIND_OF[BY_NAME[n.removesuffix("_previous")].kind] for n in MEDIATION_COURT_COLUMNS}


def load_for(ctx, mediation_path: str = "demo", links_path: str = "demo",
             related_cases_path: str = "demo") -> DiversionInputs:
    """:func:`load_inputs` for a notebook context (its data parameter, cases in scope, every
    accepted case, as-of date and the case export's path)."""
    return load_inputs(data=str(ctx.parameters.get("data", "")), cases=ctx.cases, all_cases=ctx.loaded.cases,
                       as_of=ctx.as_of, mediation_path=mediation_path, links_path=links_path,
                       related_cases_path=related_cases_path, data_path=Path(str(ctx.loaded.source)))


def overall_row_kinds(overall: pd.DataFrame) -> dict[str, list[str]]:
    """Row kinds of the all-courts table: a rate in percent (its change in points), days with a
    decimal, counts whole."""
    kinds = [_KIND_OF[BY_NAME[n].kind] for n in overall["indicator"]]
    change = ["pp" if k == "percent" else "signed" for k in kinds]
    return {"current": kinds, "previous_value": kinds, "change": change}


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def mediation_sentence(overall: pd.DataFrame, period: Period, lang: str = "zh") -> str:
    """One sentence on the period's register: received, resolved, success rate, 诉前化解率 and
    its change on a year earlier (computed from :func:`mediation_tables`' first table)."""
    values = overall.set_index("indicator")
    if "mediation_received" not in values.index:
        return _t(lang, f"{period.label} 没有诉前调解记录。", f"No pre-suit mediation record in {period.label}.")
    received = int(values.loc["mediation_received", "current"])
    resolved = int(values.loc["mediation_resolved", "current"]) if "mediation_resolved" in values.index else 0
    parts_zh = [f"{period.label} 诉前调解收案 {received:,} 件，调解成功 {resolved:,} 件"]
    parts_en = [f"In {period.label} {received:,} disputes were sent to pre-suit mediation and {resolved:,} resolved"]
    if "mediation_success_rate" in values.index and pd.notna(values.loc["mediation_success_rate", "current"]):
        rate = values.loc["mediation_success_rate", "current"]
        parts_zh.append(f"成功率 {_pct(rate)}")
        parts_en.append(f"a success rate of {_pct(rate)}")
    if "pre_suit_resolution_rate" in values.index and pd.notna(values.loc["pre_suit_resolution_rate", "current"]):
        row = values.loc["pre_suit_resolution_rate"]
        zh = f"诉前化解率 {_pct(row['current'])}"
        en = f"{_pct(row['current'])} of the disputes that came to the courts were resolved before filing"
        if pd.notna(row["previous_value"]):
            change = (row["current"] - row["previous_value"]) * 100
            zh += f"（去年同期 {_pct(row['previous_value'])}，{'上升' if change >= 0 else '下降'} {abs(change):.1f} 个百分点）"
            en += (f" ({_pct(row['previous_value'])} a year earlier, {'up' if change >= 0 else 'down'} "
                   f"{abs(change):.1f} points)")
        parts_zh.append(zh)
        parts_en.append(en)
    return _t(lang, "，".join(parts_zh) + "。", ", ".join(parts_en) + ".")


def accounting_sentence(inputs: DiversionInputs, lang: str = "zh") -> str:
    """How the register and the links were read: rows read, accepted, quarantined; links
    accepted, refused, pointing outside the data."""
    out = []
    if inputs.loaded_mediation is not None:
        acc = inputs.loaded_mediation.accounting()
        out.append(_t(lang, f"诉前调解登记表读入 {acc['rows_read']:,} 行，接受 {acc['accepted']:,} 行，"
                            f"隔离 {acc['quarantined']:,} 行（原因见数据质量报告的同类规则）",
                      f"The mediation register had {acc['rows_read']:,} rows: {acc['accepted']:,} accepted, "
                      f"{acc['quarantined']:,} quarantined (reasons as for cases)"))
        if inputs.unknown_court_records:
            n = inputs.unknown_court_records
            out.append(_t(lang, f"其中 {n:,} 条记录的登记法院不在案件数据中（请核对法院名称是否一致）",
                          f"{n:,} records name a court that is not in the case data (check that the court names "
                          f"match)"))
    if inputs.loaded_links is not None:
        acc = inputs.loaded_links.accounting()
        out.append(_t(lang, f"案件关联 {acc['links']:,} 条，其中 {acc['links_to_cases_not_in_data']:,} 条指向数据外的案件，"
                            f"{acc['refused']:,} 条因构成循环不用",
                      f"{acc['links']:,} links between cases, {acc['links_to_cases_not_in_data']:,} of them to cases "
                      f"not in the data, {acc['refused']:,} refused (cycles)"))
    return _t(lang, "；".join(out) + "。", "; ".join(out) + ".") if out else ""


# ------------------------------------------------------------------------------ 案-件比
def ratio_cohort(as_of: pd.Timestamp, horizon: int = DEFAULT_HORIZON_DAYS) -> Period:
    """The latest calendar year whose disputes have all been followed for ``horizon`` days by
    ``as_of`` (its last day + horizon <= as_of): 案-件比 of a younger cohort can still grow."""
    as_of = pd.Timestamp(as_of)
    year = (as_of - pd.Timedelta(days=horizon)).year
    if pd.Timestamp(year=year, month=12, day=31) + pd.Timedelta(days=horizon) > as_of:
        year -= 1
    from courtstudy.core.periods import parse_period

    return parse_period(str(year))


def ratio_table(inputs: DiversionInputs, cohort: Period, as_of: pd.Timestamp,
                horizon: int = DEFAULT_HORIZON_DAYS) -> pd.DataFrame:
    """案-件比 per court of the disputes first filed in ``cohort`` and a year earlier, and all
    courts: ``court`` (NA = all courts), ``disputes``, ``case_case_ratio`` (the x of 1:x),
    ``case_case_ratio_previous``, ``change``, ``better`` (True when it went down), then
    ``cases_per_dispute_<kind>`` for the kinds with a case. Courts are the courts in scope
    (a dispute belongs to the court of its first court case)."""
    names = ["case_case_ratio", *(f"cases_per_dispute_{k}" for k in COURT_KINDS)]
    scope = set(inputs.filed["court"].dropna()) if inputs.filed is not None else set(inputs.cases["court"].dropna())
    long = diversion_indicators(inputs.mediation, inputs.cases, inputs.links, by=["court"],
                                period=[cohort, cohort.shift("yoy")], as_of=as_of, horizon=horizon,
                                indicators=names)
    long = long.loc[long["court"].isin(scope)]
    # All courts in scope: the ratio of the summed cases to the summed disputes.
    keys = ["period", "period_start", "period_end", "indicator"]
    total = long.groupby(keys, as_index=False, sort=False).agg(
        numerator=("numerator", "sum"), denominator=("denominator", "sum"), immature=("immature", "any"),
        incomplete=("incomplete", "any"))
    total["value"] = total["numerator"] / total["denominator"].where(total["denominator"] > 0)
    total.insert(0, "court", pd.Series(pd.NA, index=total.index, dtype="string"))
    compared = compare_diversion(pd.concat([long, total[long.columns]], ignore_index=True))
    rows = compared.loc[compared["period"].astype(str) == cohort.label].copy()
    rows["court"] = rows["court"].astype("string").fillna("\x1f")
    wide = rows.pivot_table(index="court", columns="indicator", values="value", aggfunc="first", sort=False)
    ratio = rows.loc[rows["indicator"] == "case_case_ratio"].set_index("court")
    out = pd.DataFrame({
        "court": wide.index,
        "disputes": ratio["denominator"].reindex(wide.index).round().astype("Int64").to_numpy(),
        "case_case_ratio": wide["case_case_ratio"].to_numpy(),
        "case_case_ratio_previous": ratio["previous_value"].reindex(wide.index).to_numpy(),
        "change": ratio["change"].reindex(wide.index).to_numpy(),
        "better": ratio["good"].reindex(wide.index).astype("boolean").to_numpy(),
    })
    for kind in COURT_KINDS:
        column = f"cases_per_dispute_{kind}"
        if column in wide.columns and wide[column].fillna(0).gt(0).any():
            out[column] = wide[column].to_numpy()
    courts = out.loc[out["court"] != "\x1f"].sort_values("court")
    total = out.loc[out["court"] == "\x1f"]
    out = pd.concat([courts, total], ignore_index=True)
    out["court"] = out["court"].replace("\x1f", pd.NA).astype("string")
    return out


def ratio_column_labels(table: pd.DataFrame, cohort: Period, lang: str = "zh") -> dict[str, str]:
    """Headers of :func:`ratio_table` in ``lang`` (the cohort years named)."""
    previous = cohort.shift("yoy").label
    labels = {"court": _t(lang, "法院", "Court"),
              "disputes": _t(lang, f"{cohort.label}年首次立案的纠纷（案）", f"Disputes first filed in {cohort.label}"),
              "case_case_ratio": _t(lang, f"案-件比 {cohort.label}（1:x）", f"Cases per dispute {cohort.label} (1:x)"),
              "case_case_ratio_previous": _t(lang, f"案-件比 {previous}（1:x）", f"Cases per dispute {previous} (1:x)"),
              "change": _t(lang, "增减", "Change"),
              "better": _t(lang, "评价（下降为向好）", "Verdict (down is better)")}
    for column in table.columns:
        if column.startswith("cases_per_dispute_"):
            labels[column] = BY_NAME[column].label(lang)
    return labels


def ratio_kinds(table: pd.DataFrame, cohort: Period, lang: str = "zh") -> dict[str, str]:
    """Display kinds of the labelled :func:`ratio_table`."""
    labels = ratio_column_labels(table, cohort, lang)
    kinds = {"court": "text", "disputes": "count", "better": "text", "change": "signed"}
    return {labels[c]: kinds.get(c, "ratio") for c in table.columns}


def labelled_ratio_table(table: pd.DataFrame, cohort: Period, lang: str = "zh") -> pd.DataFrame:
    """:func:`ratio_table` for display: the all-courts row named, ``better`` as words,
    headers in ``lang``."""
    out = table.copy()
    out["court"] = out["court"].fillna(_t(lang, *_TOTAL))
    out["better"] = [_better_word(v if pd.notna(v) else None, lang) for v in out["better"]]
    # a change that shows as +0.00 is no change to the reader (1:x is printed to two decimals)
    flat = out["change"].notna() & (out["change"].astype(float).round(RATIO_DIGITS) == 0)
    out.loc[flat, "better"] = _t(lang, "持平", "unchanged")
    return out.rename(columns=ratio_column_labels(table, cohort, lang))


def ratio_sentence(table: pd.DataFrame, cohort: Period, horizon: int, lang: str = "zh") -> str:
    """The all-courts 案-件比 of the cohort against a year earlier, and how many courts' went
    down, computed from :func:`ratio_table`."""
    total = table.loc[table["court"].isna()]
    if total.empty or pd.isna(total["case_case_ratio"].iloc[0]):
        return _t(lang, f"{cohort.label} 年没有可计算案-件比的纠纷。", f"No dispute to compute 案-件比 for in {cohort.label}.")
    row = total.iloc[0]
    courts = table.loc[table["court"].notna()]
    compared = courts["change"].notna()
    down = int((courts.loc[compared, "change"].astype(float).round(RATIO_DIGITS) < 0).sum())
    zh = (f"{cohort.label} 年首次立案的 {int(row['disputes']):,} 件纠纷，计入首次立案后 {horizon} 天内的全部案件，"
          f"案-件比为 {ratio_label(row['case_case_ratio'])}")
    en = (f"The {int(row['disputes']):,} disputes first filed in {cohort.label}, counting every court case within "
          f"{horizon} days of the first filing: {ratio_label(row['case_case_ratio'])} cases per dispute")
    if pd.notna(row["case_case_ratio_previous"]):
        went = round(float(row["case_case_ratio"]) - float(row["case_case_ratio_previous"]), RATIO_DIGITS)
        zh += (f"（{cohort.shift('yoy').label} 年为 {ratio_label(row['case_case_ratio_previous'])}，"
               f"{'下降，向好' if went < 0 else '上升，变差' if went > 0 else '持平'}）")
        en += (f" ({ratio_label(row['case_case_ratio_previous'])} for {cohort.shift('yoy').label}: "
               f"{'down, which is better' if went < 0 else 'up, which is worse' if went > 0 else 'unchanged'})")
    if compared.any():
        zh += f"；{int(compared.sum())} 家法院中 {down} 家下降"
        en += f"; down in {down} of {int(compared.sum())} courts"
    return _t(lang, zh + "。", en + ".")


def cohort_sentence(cohort: Period, as_of: pd.Timestamp, horizon: int, lang: str = "zh") -> str:
    """Why 案-件比 is shown for ``cohort`` (:func:`ratio_cohort`) and not the report period."""
    as_of = pd.Timestamp(as_of).date()
    return _t(lang, f"每件纠纷自首次立案起跟踪 {horizon} 天；数据截至 {as_of}，跟踪期已满的最近年度是 {cohort.label} 年，"
                    f"因此案-件比按 {cohort.label} 年首次立案的纠纷计算，并与 {cohort.shift('yoy').label} 年比较。",
              f"Each dispute is followed for {horizon} days from its first filing; with data up to {as_of}, the latest "
              f"year followed for the whole horizon is {cohort.label}, so the ratio is computed for the disputes "
              f"first filed in {cohort.label} and compared with {cohort.shift('yoy').label}.")


def ratio_figure(table: pd.DataFrame, cohort: Period, lang: str = "zh"):
    """Stacked horizontal bars per court (all courts last): cases per dispute by kind of case in
    the cohort, with a marker at the cohort a year earlier's 案-件比."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    kinds = [c for c in table.columns if c.startswith("cases_per_dispute_")]
    data = table.copy()
    data["court"] = data["court"].fillna(_t(lang, *_TOTAL))
    colors = sns.color_palette("colorblind", len(kinds))
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(data) + 2.0))
    y = np.arange(len(data))
    left = np.zeros(len(data))
    for column, color in zip(kinds, colors, strict=True):
        values = data[column].fillna(0).to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=color, label=BY_NAME[column].label(lang))
        left += values
    previous = data["case_case_ratio_previous"].to_numpy(dtype=float)
    ax.scatter(previous, y, marker="D", color="#3c3c3c", zorder=3,
               label=_t(lang, f"{cohort.shift('yoy').label} 年案-件比", f"{cohort.shift('yoy').label} ratio"))
    ax.set_yticks(y, data["court"].tolist())
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(np.nanmax(left)), float(np.nanmax(previous)) if np.isfinite(previous).any() else 0) * 1.08)
    ax.set_xlabel(_t(lang, "每件纠纷的案件数（件）", "Court cases per dispute (cases)"))
    ax.set_ylabel(_t(lang, "法院", "Court"))
    ax.set_title(_t(lang, f"案-件比：{cohort.label} 年首次立案纠纷的案件构成", f"Cases per dispute, disputes first filed in {cohort.label}, by kind"))
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.4 / len(data)),
              ncols=min(len(kinds) + 1, 4), frameon=False)
    return fig
