"""Data-quality tables for report notebook 01: what was read, kept, set aside and how complete.

* :func:`quarantine_table` / :func:`field_issue_table`: the loader's quarantine and field
  issues counted by reason (and column), with labels in the report's language.
* :func:`field_coverage`: the share of accepted cases with a value in each field, by court and
  filing year (``coverage = non-missing / cases``; a field a court never fills shows 0).
* :func:`monthly_flow`: cases filed and closed per calendar month.
* :func:`seasonal_profile`: each calendar month's filings and closings relative to the year's
  monthly average (index = count in month / (yearly count / 12), averaged over complete
  years): the Spring Festival dip (January/February filings) and the December closing push
  show as values well below and above 1.
* :func:`reliability_notes`: plain-language warnings about anything that makes later results
  less reliable.
"""

from __future__ import annotations

import pandas as pd

from courtstudy.core import schema

#: Fields whose coverage is reported (identifiers, the closing date, whose absence means
#: "pending", and the parts derived from the case number are left out).
COVERAGE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in schema.CASE_FIELDS if f.name not in ("case_id", "court", "filed_date", "closed_date"))
#: Fields that only apply to some cases: their coverage is over those cases only (a case a field
#: does not apply to is neither filled nor missing). A case whose type or instance is unknown
#: counts as one the field applies to.
#:
#: * ``instance`` (审级), ``procedure`` (审理程序): trial cases, not enforcement (执行 has neither);
#:   the procedure of first-instance (or unknown-instance) cases only;
#: * ``track`` (繁简分流): civil first-instance cases filed on or after the court's
#:   ``triage_start`` (all civil first-instance cases when no courts table is given);
#: * ``claim_amount``: civil and enforcement cases;
#: * ``disposition``: closed cases; ``appeal_filed_date``: appealed cases;
#: * ``appeal_result``: appeals with a second-instance closing date (an undecided appeal has no
#:   result yet: it is not a missing value); ``appeal_closed_date``: appeals with a result.
APPLIES_TO: dict[str, str] = {
    "instance": "trial", "procedure": "trial_first", "track": "triage",
    "claim_amount": "civil_or_enforcement", "disposition": "closed",
    "appeal_filed_date": "appealed", "appeal_result": "appeal_decided",
    "appeal_closed_date": "appeal_with_result",
}
#: What each rule means, for the report (zh, en).
APPLIES_TO_TEXT: dict[str, tuple[str, str]] = {
    "trial": ("审判案件（不含执行案件）", "trial cases (not enforcement)"),
    "trial_first": ("一审审判案件（不含执行案件）", "first-instance trial cases (not enforcement)"),
    "triage": ("法院实施繁简分流后立案的民事一审案件", "civil first-instance cases filed after the court began triage"),
    "civil_or_enforcement": ("民事和执行案件", "civil and enforcement cases"),
    "closed": ("已结案件", "closed cases"),
    "appealed": ("已上诉案件", "appealed cases"),
    "appeal_decided": ("二审已结的上诉案件（二审未结的不算缺失）", "appeals decided at second instance (an undecided appeal is not missing)"),
    "appeal_with_result": ("有二审结果的上诉案件", "appeals with a second-instance result"),
}
#: Fields whose low coverage is not a warning.
NO_WARNING: frozenset[str] = frozenset()

_REASONS_EN: dict[str, str] = {
    "malformed_row": "Malformed row", "missing_case_id": "No case number",
    "missing_filed_date": "No filing date", "bad_filed_date": "Unreadable filing date",
    "closed_before_filed": "Closed before filed", "duplicate_row": "Exact duplicate row",
    "conflicting_duplicate": "Repeated case number, different content",
    "missing_court": "No court",
    "short_row": "Row with too few cells", "formula_without_value": "Formula without a saved value",
    "future_filed_date": "Filed after the export date",
}


#: Labels (zh, en) of the loader's field-issue reasons (the row is kept, the value set missing).
FIELD_ISSUE_LABELS: dict[str, tuple[str, str]] = {
    "bad_date": ("日期无法识别", "Unreadable date"), "bad_amount": ("金额无法识别", "Unreadable amount"),
    "bad_integer": ("不是整数", "Not a whole number"), "negative_value": ("负数", "Negative value"),
    "unknown_category": ("取值无法识别", "Unrecognised category"), "bad_yes_no": ("不是“是/否”", "Not yes/no"),
    "bad_case_number": ("案号格式无法识别", "Unreadable case number"),
    "appeal_before_closing": ("上诉日期早于结案日期", "Appeal before closing"),
    "appeal_closed_before_appeal": ("二审结案早于上诉", "Appeal closed before filed"),
    "unknown_court": ("法院不在法院表中", "Court not in the courts table"),
    "suspended_exceeds_duration": ("扣除天数超过案件本身天数", "Deducted days longer than the case"),
    "future_date": ("日期晚于导出日期", "Date after the export date"),
    "out_of_range": ("超出合理范围", "Out of range"),
}


def reason_label(reason: str, lang: str = "zh") -> str:
    """Readable label of a quarantine or field-issue reason code (the code itself when unknown)."""
    from courtstudy.ingest.loading import REASON_LABELS_ZH

    table = REASON_LABELS_ZH if lang == "zh" else _REASONS_EN
    if reason in table:
        return table[reason]
    if reason in FIELD_ISSUE_LABELS:
        return FIELD_ISSUE_LABELS[reason][0 if lang == "zh" else 1]
    return reason


def quarantine_table(loaded, lang: str = "zh") -> pd.DataFrame:
    """Quarantined rows by reason: ``reason`` (code), label, rows, share of rows read."""
    q = loaded.quarantine
    counts = q["reason"].value_counts().sort_index() if len(q) else pd.Series(dtype="int64")
    out = pd.DataFrame({"reason": counts.index.astype(str), "rows": counts.to_numpy(dtype="int64")})
    out.insert(1, "label", [reason_label(r, lang) for r in out["reason"]])
    out["share_of_read"] = out["rows"] / max(int(loaded.rows_read), 1)
    return out.reset_index(drop=True)


def accounting_table(loaded, lang: str = "zh") -> pd.DataFrame:
    """Rows read, accepted, quarantined (and blank) as a two-column table; accepted +
    quarantined = read is the loader's promise that no row is lost."""
    acc = loaded.accounting()
    names = {"rows_read": ("读取行数", "Rows read"), "accepted": ("接受", "Accepted"),
             "quarantined": ("隔离", "Quarantined"), "blank_rows": ("空行（不计）", "Blank rows (not counted)"),
             "field_issues": ("字段问题（行保留）", "Field issues (row kept)")}
    zh = lang == "zh"
    return pd.DataFrame({("项目" if zh else "Item"): [v[0] if zh else v[1] for v in names.values()],
                         ("数量" if zh else "Count"): [int(acc[k]) for k in names]})


def field_issue_table(loaded) -> pd.DataFrame:
    """Field issues (row kept, value set missing) by field and reason, most frequent first:
    ``field`` (the canonical field the export's column was read as, so a report labels it in
    its own language; a header the loader did not map stays as it is), ``reason``, ``values``."""
    issues = loaded.field_issues
    if not len(issues):
        return pd.DataFrame({"field": pd.Series(dtype="string"), "reason": pd.Series(dtype="string"),
                             "values": pd.Series(dtype="int64")})
    canonical = {str(header): name for name, header in getattr(loaded, "columns", {}).items()}
    fields = issues["column"].astype("string").map(lambda h: canonical.get(str(h), h)).rename("field")
    out = (issues.assign(field=fields).groupby(["field", "reason"], dropna=False).size().rename("values")
           .reset_index().sort_values(["values", "field", "reason"], ascending=[False, True, True]))
    return out.reset_index(drop=True)


def _applicable(cases: pd.DataFrame, courts: pd.DataFrame | None) -> dict[str, pd.Series]:
    """Field -> mask of the cases it applies to (:data:`APPLIES_TO`)."""
    def known(column: str) -> pd.Series:
        return cases[column].astype("string") if column in cases else pd.Series(pd.NA, index=cases.index, dtype="string")

    case_type, instance = known("case_type"), known("instance")
    not_enforcement = (case_type != "enforcement").fillna(True).astype(bool)
    first = (instance == "first").fillna(True).astype(bool)
    civil = (case_type == "civil").fillna(True).astype(bool)
    closed = cases["closed_date"].notna()
    appealed = cases["appealed"].fillna(False).astype(bool)
    if courts is not None and "triage_start" in courts:
        start = courts.groupby("court")["triage_start"].min()
        triage = cases["filed_date"] >= cases["court"].map(start)
        triage = triage.fillna(False).astype(bool)
    else:
        triage = pd.Series(True, index=cases.index)
    rule = {
        "trial": not_enforcement,
        "trial_first": not_enforcement & first,
        "triage": civil & first & triage,
        "civil_or_enforcement": civil | (case_type == "enforcement").fillna(False).astype(bool),
        "closed": closed,
        "appealed": appealed,
        "appeal_decided": appealed & cases["appeal_closed_date"].notna(),
        "appeal_with_result": appealed & cases["appeal_result"].notna(),
    }
    return {f: rule[k] for f, k in APPLIES_TO.items()}


def coverage_rules(lang: str = "zh") -> str:
    """The denominators of :func:`field_coverage` as a Markdown list, in ``lang`` (written from
    :data:`APPLIES_TO`, so the report says what the code does)."""
    lines = []
    for name, rule in APPLIES_TO.items():
        zh, en = APPLIES_TO_TEXT[rule]
        label = schema.column_label(name, lang)
        lines.append(f"- {label}：{zh}" if lang == "zh" else f"- {label}: {en}")
    other = "其他字段：全部案件" if lang == "zh" else "Other fields: all cases"
    return "\n".join([*lines, f"- {other}"])


def field_coverage(cases: pd.DataFrame, courts: pd.DataFrame | None = None,
                   by: tuple[str, ...] = ("court", "year"),
                   fields: tuple[str, ...] = COVERAGE_FIELDS) -> pd.DataFrame:
    """Share of the cases a field applies to that have a value, per group: one row per group
    and field, columns ``*by, field, cases, filled, coverage``. ``year`` is the filing year;
    :data:`APPLIES_TO` says which fields apply to only some cases (``cases`` counts those)."""
    frame = cases.assign(year=cases["filed_date"].dt.year.astype("int64"))
    applies = _applicable(frame, courts)
    parts = []
    for name in fields:
        mask = applies.get(name, pd.Series(True, index=frame.index))
        grouped = pd.DataFrame({"applies": mask.astype("int64"),
                                "filled": (frame[name].notna() & mask).astype("int64")})
        for column in by:
            grouped[column] = frame[column]
        sums = grouped.groupby(list(by), dropna=False)[["applies", "filled"]].sum().reset_index()
        sums["field"] = name
        parts.append(sums)
    long = pd.concat(parts, ignore_index=True).rename(columns={"applies": "cases"})
    long["coverage"] = long["filled"] / long["cases"].where(long["cases"] > 0)
    return long[[*by, "field", "cases", "filled", "coverage"]]


def coverage_matrix(coverage: pd.DataFrame, columns: str = "year", lang: str = "zh") -> pd.DataFrame:
    """Coverage as a field x ``columns`` matrix (pooled over the other grouping), fields
    labelled in ``lang``: the share of cases with a value, recomputed from the counts."""
    pooled = coverage.groupby(["field", columns], sort=True)[["filled", "cases"]].sum()
    matrix = (pooled["filled"] / pooled["cases"]).unstack(columns)
    matrix = matrix.reindex([f for f in COVERAGE_FIELDS if f in matrix.index])
    matrix.index = [schema.column_label(f, lang) for f in matrix.index]
    matrix.index.name = "字段" if lang == "zh" else "Field"
    matrix.columns = [str(c) for c in matrix.columns]
    return matrix


def monthly_flow(cases: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Filed and closed per calendar month (``month`` as ``YYYY-MM``, ``month_start``,
    ``filed``, ``closed``) over the months the export covers in full: from the first filing
    month to the last *complete* month, that is ``as_of``'s month when ``as_of`` is its last
    day, else the month before, and never past the last month with a filing. Months with
    nothing filed or closed inside that span show 0.

    Why the series stop there: a month after the last filing is not a month without filings but
    a month the export does not cover (its closings miss every case filed after the export's
    end), and the month of ``as_of`` is partial; drawn as 0 or as a low count, either reads as a
    collapse that never happened. ``as_of`` defaults to the last date in the data."""
    filed_m = cases["filed_date"].dt.to_period("M")
    closed_m = cases["closed_date"].dropna().dt.to_period("M")
    if as_of is None:
        as_of = max(cases["filed_date"].max(), cases["closed_date"].max())
    as_of = pd.Timestamp(as_of)
    complete = as_of.to_period("M") if as_of.is_month_end else as_of.to_period("M") - 1
    last = min(complete, filed_m.max())
    months = pd.period_range(filed_m.min(), last, freq="M")
    out = pd.DataFrame({
        "month": months.strftime("%Y-%m"),
        "month_start": months.to_timestamp(),
        "filed": filed_m.value_counts().reindex(months, fill_value=0).to_numpy(dtype="int64"),
        "closed": closed_m.value_counts().reindex(months, fill_value=0).to_numpy(dtype="int64"),
    })
    return out


def seasonal_profile(flow: pd.DataFrame) -> pd.DataFrame:
    """Month-of-year index of filings and closings over the complete calendar years of
    ``flow`` (see the module docstring): columns ``month`` (1-12), ``filed_index``,
    ``closed_index``, ``years`` (how many years were averaged)."""
    frame = flow.assign(year=flow["month_start"].dt.year, moy=flow["month_start"].dt.month)
    complete = frame.groupby("year")["moy"].nunique()
    years = complete[complete == 12].index
    frame = frame[frame["year"].isin(years)]
    if frame.empty:
        raise ValueError("seasonal_profile needs at least one complete calendar year of data")
    out = {}
    for column in ("filed", "closed"):
        yearly = frame.groupby("year")[column].transform("sum") / 12
        index = frame[column] / yearly.where(yearly > 0)
        out[f"{column}_index"] = index.groupby(frame["moy"]).mean()
    profile = pd.DataFrame(out)
    profile.index.name = "month"
    profile = profile.reset_index()
    profile["years"] = len(years)
    return profile


def seasonal_summary(profile: pd.DataFrame) -> dict[str, float]:
    """The calendar effects worth a sentence: February filings (Spring Festival), December
    closings (year-end push) and the lowest and highest months of each series."""
    p = profile.set_index("month")
    return {"february_filed": float(p.at[2, "filed_index"]),
            "december_closed": float(p.at[12, "closed_index"]),
            "lowest_filed_month": int(p["filed_index"].idxmin()),
            "highest_closed_month": int(p["closed_index"].idxmax()),
            "years": int(p["years"].iloc[0])}


def reliability_notes(loaded, cases: pd.DataFrame, as_of: pd.Timestamp,
                      coverage: pd.DataFrame | None = None,
                      min_coverage: float = 0.5) -> list[tuple[str, str]]:
    """Warnings (zh, en) about what may make later results unreliable:

    * quarantined rows above 1% of rows read;
    * fields filled for fewer than ``min_coverage`` of a court's cases in a filing year;
    * courts whose first filing is more than a year after the earliest court's, or whose last
      filing is more than 60 days before the latest court's (an incomplete export), and an
      export whose last filing is more than 30 days before ``as_of``;
    * cases closed within 30 days before ``as_of`` (their appeals are not yet known);
    * cases filed after ``as_of`` (outside the snapshot; left out of every indicator).
    An empty list means nothing was found."""
    notes: list[tuple[str, str]] = []
    acc = loaded.accounting()
    share = acc["quarantined"] / max(acc["rows_read"], 1)
    if share > 0.01:
        notes.append((f"隔离行占读取行的 {share:.1%}，超过 1%：请先核对源系统导出。",
                      f"{share:.1%} of the rows read were quarantined (over 1%): check the export."))
    if coverage is not None and len(coverage):
        low = coverage[(coverage["coverage"] < min_coverage) & (coverage["cases"] > 0)
                       & ~coverage["field"].isin(NO_WARNING)]
        if len(low):
            fields = sorted(low["field"].unique(), key=list(COVERAGE_FIELDS).index)
            zh = "、".join(schema.column_label(f, "zh") for f in fields)
            en = ", ".join(schema.column_label(f, "en") for f in fields)
            notes.append((
                f"以下字段在部分法院、年度的填写率低于 {min_coverage:.0%}：{zh}（共 {len(low)} 个法院-年度-字段组合），"
                "涉及这些字段的指标（如审限内结案率、延长审限率、上诉指标）在这些法院和年度不可靠。",
                f"Fields filled for under {min_coverage:.0%} of cases in some court-years: {en} "
                f"({len(low)} court-year-field cells); indicators that use them are unreliable there."))
    first = cases.groupby("court")["filed_date"].min()
    last = cases.groupby("court")["filed_date"].max()
    late = first[first > first.min() + pd.Timedelta(days=365)]
    if len(late):
        notes.append((f"{'、'.join(late.index)} 的数据起始较晚（首个立案日期 "
                       f"{'、'.join(d.date().isoformat() for d in late)}）：早期趋势不含这些法院。",
                       f"Data of {', '.join(late.index)} start late (first filing "
                       f"{', '.join(d.date().isoformat() for d in late)}): early trends exclude them."))
    stale = last[last < last.max() - pd.Timedelta(days=60)]
    if len(stale):
        notes.append((f"{'、'.join(stale.index)} 最后一个立案日期比其他法院早 60 天以上：导出可能不完整。",
                      f"The last filing at {', '.join(stale.index)} is over 60 days before the other "
                      "courts': the export may be incomplete."))
    gap = (as_of - last.max()).days
    if gap > 30:
        notes.append((f"最后一个立案日期为 {last.max().date()}，比截至日 {as_of.date()} 早 {gap} 天："
                      "之后的新收案件不在导出中，此后各期的收案和未结数不完整。",
                      f"The last filing is on {last.max().date()}, {gap} days before the as-of date "
                      f"{as_of.date()}: later filings are not in the export, so counts of later "
                      "periods are incomplete."))
    recent = int(((cases["closed_date"] > as_of - pd.Timedelta(days=30)) & (cases["closed_date"] <= as_of)).sum())
    if recent:
        notes.append((f"{recent:,} 件案件在截至日前 30 天内结案，其上诉情况尚未可知：上诉类指标对最近一期不成熟。",
                      f"{recent:,} cases closed within 30 days before the as-of date: their appeals are "
                      "not yet known, so appeal indicators of the latest period are immature."))
    after = int((cases["filed_date"] > as_of).sum())
    if after:
        notes.append((f"{after:,} 件案件的立案日期晚于截至日 {as_of.date()}，不计入任何指标。",
                      f"{after:,} cases were filed after the as-of date {as_of.date()} and count in no indicator."))
    return notes


# ----------------------------------------------------------------------- computed sentences
def accounting_sentence(loaded, lang: str = "zh") -> str:
    """The loader's accounting in one sentence (the data quality report's headline)."""
    acc = loaded.accounting()
    read, accepted, quarantined = int(acc["rows_read"]), int(acc["accepted"]), int(acc["quarantined"])
    share = quarantined / read if read else 0.0
    if lang == "zh":
        return (f"读取 {read:,} 行，接受 {accepted:,} 行，隔离 {quarantined:,} 行（{share:.2%}）；"
                "接受与隔离之和等于读取行数，没有遗漏的行。" if accepted + quarantined == read else
                f"读取 {read:,} 行，接受 {accepted:,} 行，隔离 {quarantined:,} 行：两者之和与读取行数不符，请核对。")
    return (f"{read:,} rows read, {accepted:,} accepted and {quarantined:,} quarantined ({share:.2%}); "
            "accepted and quarantined add up to the rows read: no row is lost." if accepted + quarantined == read else
            f"{read:,} rows read, {accepted:,} accepted, {quarantined:,} quarantined: these do not add up; check the export.")


def coverage_sentence(coverage: pd.DataFrame, lang: str = "zh", threshold: float = 0.95) -> str:
    """Which fields are filled for fewer than ``threshold`` of the cases they apply to (pooled
    over courts and years), lowest first; or that all are."""
    pooled = coverage.groupby("field")[["filled", "cases"]].sum()
    pooled = pooled[pooled["cases"] > 0]
    share = (pooled["filled"] / pooled["cases"]).sort_values()
    low = share[share < threshold]
    if low.empty:
        return (f"各字段在其适用案件中的填写率均不低于 {threshold:.0%}。" if lang == "zh" else
                f"Every field is filled for at least {threshold:.0%} of the cases it applies to.")
    items = [(schema.column_label(f, lang), v) for f, v in low.items()]
    if lang == "zh":
        return (f"填写率低于 {threshold:.0%} 的字段：" + "、".join(f"{n}（{v:.1%}）" for n, v in items)
                + "；用到这些字段的指标需谨慎解读。")
    return (f"Fields filled for under {threshold:.0%} of the cases they apply to: "
            + ", ".join(f"{n} ({v:.1%})" for n, v in items) + "; read indicators that use them with care.")


def seasonal_sentence(season: dict[str, float], lang: str = "zh") -> str:
    """February filings and December closings against an average month, in words that follow
    the numbers (a dip or a push is named only when the index shows one: below 0.9 or above 1.1)."""
    feb, dec, years = season["february_filed"], season["december_closed"], int(season["years"])

    def zh_word(x: float, low: str, high: str) -> str:
        return low if x < 0.9 else (high if x > 1.1 else "与平均月份相近")

    def en_word(x: float, low: str, high: str) -> str:
        return low if x < 0.9 else (high if x > 1.1 else "close to an average month")

    if lang == "zh":
        return (f"按 {years} 个完整年度平均，二月新收指数为 {feb:.2f}（{zh_word(feb, '春节前后收案明显减少', '高于平均月份')}），"
                f"十二月结案指数为 {dec:.2f}（{zh_word(dec, '低于平均月份', '年底集中结案')}）。"
                "按月比较指标时应与去年同月相比，而不是与上月相比。")
    return (f"Averaged over {years} full years, February filings run at {feb:.2f} of an average month "
            f"({en_word(feb, 'the Spring Festival dip', 'above an average month')}) and December closings at "
            f"{dec:.2f} ({en_word(dec, 'below an average month', 'the year-end push')}). "
            "Compare a month with the same month a year earlier, not with the month before.")
