"""Validated loading of pre-suit mediation records (诉前调解): every row accepted or quarantined.

``load_mediation(path)`` reads a mediation register the way :func:`courtstudy.ingest.loading.load_cases`
reads a case export (same formats, encodings, header search, value parsing, row numbering and
accounting: ``accepted + quarantined == rows_read``), with the fields of
:data:`courtstudy.core.schema.MEDIATION_FIELDS`. The mediation number is parsed like a case
number (（2023）鄂0102民诉前调123号: year 2023, court code 鄂0102, type code 民诉前调, sequence
123), so the records carry ``case_year``, ``court_code``, ``type_code`` and ``case_seq`` too.

Quarantined (the row is not used), first applicable reason only:

=============================  ==========================================================
``malformed_row``              more non-empty cells than the header has columns (CSV)
``short_row``                  fewer cells than the header has columns (CSV)
``formula_without_value``      the number or the date received is an XLSX formula with no value
``missing_mediation_id``       no mediation number
``missing_received_date``      no date received (登记/委派日期)
``bad_received_date``          a date received that is not a date
``future_received_date``       a date received after the export's snapshot date
``closed_before_received``     a closing date earlier than the date received
``duplicate_row``              the same canonical values as an earlier row (the first is kept)
``conflicting_duplicate``      the same number as another usable row, different values (the
                               most complete row is kept, then the last, as for cases)
=============================  ==========================================================

Field issues (the row is kept): those of cases (``bad_date``, ``future_date``, ``bad_amount``,
``negative_value``, ``out_of_range``, ``unknown_category``, ``bad_case_number``,
``missing_court``, ``unknown_court``, ``formula_without_value``) and

* ``not_mediation_number``: the number parses but its type code is not a pre-suit mediation
  code (诉前调 ...), e.g. a 民初 number in the mediation register; the value is kept;
* ``bad_linked_number``: a 司法确认案号 or 转立案案号 that does not read as a case number; the
  value becomes missing (it could never be matched to a case);
* ``unexpected_linked_kind``: a 转立案案号 that is not a first-instance number (初), or a
  司法确认案号 that is not a special-procedure number (特); the value is kept;
* ``result_conflicts_link``: a 转立案案号 on a record whose result is a settlement (调解成功,
  司法确认), or a 司法确认案号 on one whose result is not 司法确认; values kept, the result is
  what the indicators count;
* ``closed_without_result`` (counted as closed, neither resolved nor failed) and
  ``result_without_closing`` (counted as open: the indicators date a closing by its date).

Why these are field issues, not quarantine: the record still says a dispute was sent to
mediation, on that date, at that court, which is what 诉前调解收案 counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from courtstudy.core import categories, schema
from courtstudy.ingest import csvscan, normalize
from courtstudy.ingest import loading as ld
from courtstudy.ingest.case_number import case_kind, parse_case_numbers

#: Reason codes of mediation records (added to the loader's message table: IssueLog reads it).
MEDIATION_MESSAGES: dict[str, tuple[str, str]] = {
    "missing_mediation_id": ("“{column}”为空：没有诉前调解案号无法识别记录",
                             "'{column}' is empty: a record without a mediation number cannot be identified"),
    "missing_received_date": ("“{column}”为空：没有登记（委派）日期的记录无法计入任何期间",
                              "'{column}' is empty: a record without a date received cannot be placed in any period"),
    "bad_received_date": ("“{column}”的值“{value}”不是日期（可用格式：2023-05-06、2023/5/6、2023年5月6日、20230506）",
                          "'{column}' value '{value}' is not a date (expected 2023-05-06, 2023/5/6, 2023年5月6日 or 20230506)"),
    "future_received_date": ("登记日期“{value}”晚于导出日期 {detail}，无法计入任何期间",
                             "date received '{value}' is after the export's snapshot date {detail}"),
    "closed_before_received": ("调解结束日期“{value}”早于登记日期 {detail}",
                               "closing date '{value}' is before the date received {detail}"),
    "not_mediation_number": ("“{value}”不是诉前调解案号（类型代字应含“诉前”，如 民诉前调），值保留",
                             "'{value}' is not a pre-suit mediation number (its type code should hold 诉前, "
                             "e.g. 民诉前调); value kept"),
    "bad_linked_number": ("“{column}”的值“{value}”不符合案号格式，无法与案件对应，按缺失处理",
                          "'{column}' value '{value}' does not read as a case number and cannot be matched; "
                          "treated as missing"),
    "unexpected_linked_kind": ("“{column}”的值“{value}”应为{detail}案号，值保留",
                               "'{column}' value '{value}' should be a {detail} case number; value kept"),
    "closed_without_result": ("有调解结束日期“{value}”但没有调解结果：计入结束，不计入成功或不成功",
                              "a closing date ('{value}') but no result: counted as closed, neither resolved "
                              "nor failed"),
    "result_without_closing": ("有调解结果“{value}”但没有结束日期：按尚未结束处理",
                               "a result ('{value}') but no closing date: treated as still open"),
    "result_conflicts_link": ("调解结果为“{detail}”，却填写了“{column}”“{value}”，以调解结果为准",
                              "the result is '{detail}' but '{column}' holds '{value}'; the result is counted"),
}
ld.MESSAGES.update(MEDIATION_MESSAGES)
MEDIATION_REASON_LABELS_ZH: dict[str, str] = {
    "missing_mediation_id": "缺少诉前调解案号", "missing_received_date": "缺少登记日期",
    "bad_received_date": "登记日期无法识别", "future_received_date": "登记日期晚于导出日期",
    "closed_before_received": "结束早于登记",
}
ld.REASON_LABELS_ZH.update(MEDIATION_REASON_LABELS_ZH)
QUARANTINE_ORDER: tuple[str, ...] = ("malformed_row", "short_row", "formula_without_value", "missing_mediation_id",
                                     "missing_received_date", "bad_received_date", "future_received_date",
                                     "closed_before_received", "duplicate_row", "conflicting_duplicate")
_REQUIRED = ("mediation_id", "received_date")
#: linked column -> (kind it should be, zh and en name of that kind)
_LINKED_KIND = {"filed_case_id": ("first", "一审（初）", "first-instance (初)"),
                "confirmation_case_id": ("confirmation", "特别程序（民特）", "special-procedure (民特)")}


@dataclass(kw_only=True)
class LoadedMediation(ld.LoadedExport):
    """Loaded pre-suit mediation records: ``records`` holds the accepted rows
    (:data:`courtstudy.core.schema.MEDIATION_COLUMNS`, canonical dtypes), ``source_rows`` their
    lines; ``quarantine`` and ``field_issues`` as for cases."""

    records: pd.DataFrame

    def n_accepted(self) -> int:
        return len(self.records)

    def summary(self, lang: str = "zh") -> str:
        extra_zh, extra_en = [], []
        if self.unmapped_columns:
            extra_zh.append(f"未识别的列（未使用）：{'、'.join(self.unmapped_columns)}")
            extra_en.append(f"Unrecognised columns (not used): {', '.join(self.unmapped_columns)}")
        return ld._summary("诉前调解记录", "Pre-suit mediation records", self.source, self.encoding, self.sha256,
                           self.accounting(), lang, extra_zh, extra_en)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """mediation_accepted.parquet, mediation_quarantine.csv, mediation_field_issues.csv."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"accepted": out / "mediation_accepted.parquet", "quarantine": out / "mediation_quarantine.csv",
                 "field_issues": out / "mediation_field_issues.csv"}
        ld._write_parquet(self.records, paths["accepted"])
        ld._write_csv(self.quarantine, paths["quarantine"])
        ld._write_csv(self.field_issues, paths["field_issues"])
        return paths


def conform_mediation(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every canonical mediation column, in order and canonical dtypes."""
    out = {}
    for name in schema.MEDIATION_COLUMNS:
        dtype = schema.MEDIATION_DTYPES[name]
        out[name] = frame[name].astype(dtype) if name in frame.columns else pd.Series(index=frame.index, dtype=dtype)
    return pd.DataFrame(out, index=frame.index)


def _linked_numbers(raw: pd.Series, name: str, f_log: ld.IssueLog, table: ld.RawTable) -> pd.Series:
    """A column of case numbers, canonical; unparseable ones reported and set missing."""
    numbers = parse_case_numbers(raw)
    bad = (numbers["case_id"].notna() & ~numbers["parsed"]).to_numpy()
    f_log.add(np.flatnonzero(bad), "bad_linked_number", name)
    kind_wanted, zh, en = _LINKED_KIND[name]
    kinds = numbers["type_code"].map(case_kind, na_action="ignore")
    wrong = (numbers["parsed"] & kinds.ne(kind_wanted).fillna(False)).to_numpy(dtype=bool)
    f_log.add(np.flatnonzero(wrong), "unexpected_linked_kind", name, detail=zh,
              detail_en=np.full(int(wrong.sum()), en, dtype=object))
    return numbers["case_id"].mask(pd.Series(bad, index=numbers.index))


def load_mediation(path: str | Path | pd.DataFrame, mapping: dict[str, str] | None = None,
                   courts=None, snapshot: dt.date | str | None = None,
                   max_lines_per_row: int = csvscan.MAX_RECORD_LINES) -> LoadedMediation:
    """Load a pre-suit mediation register (CSV, XLSX, Parquet or a DataFrame of raw cells).

    Parameters as :func:`courtstudy.ingest.loading.load_cases`: ``mapping`` {raw header:
    canonical name}, ``courts`` (an ``unknown_court`` field issue for a court not in it),
    ``snapshot`` (no date may lie after it; default today in China). Rules: module docstring.
    Raises :class:`~courtstudy.core.errors.StructuralError` when the file is no such table (no
    mediation-number or date-received column under any recognised header).
    """
    fields = schema.MEDIATION_FIELDS
    snapshot_day = ld._snapshot_date(snapshot)
    source = "<DataFrame>" if isinstance(path, pd.DataFrame) else Path(path)
    table = ld.read_table(path, {**ld.header_lookup(fields), **ld._mapping_keys(mapping)}, kind="mediation",
                          max_lines=max_lines_per_row)
    positions, unmapped, _ignored = ld.resolve_columns(table, fields, mapping, source, required=_REQUIRED)
    headers = {name: table.headers[i] for name, i in positions.items()}
    n = len(table.data)
    q_log = ld.IssueLog(table, headers, positions["mediation_id"])
    f_log = ld.IssueLog(table, headers, positions["mediation_id"])

    numbers = parse_case_numbers(table.data[positions["mediation_id"]])
    by_name = {f.name: f for f in fields}
    received = normalize.parse_field(table.data[positions["received_date"]], by_name["received_date"])
    others = tuple(f for f in fields if f.name in positions and f.name not in
                   ("mediation_id", "received_date", "filed_case_id", "confirmation_case_id"))
    values = ld._parse_columns(table, positions, others, f_log)
    values["mediation_id"] = numbers["case_id"]
    values["received_date"] = received.values
    bad_number = (numbers["case_id"].notna() & ~numbers["parsed"]).to_numpy()
    f_log.add(np.flatnonzero(bad_number), "bad_case_number", "mediation_id")
    kinds = numbers["type_code"].map(case_kind, na_action="ignore")
    not_mediation = (numbers["parsed"] & kinds.ne("mediation").fillna(False)).to_numpy(dtype=bool)
    f_log.add(np.flatnonzero(not_mediation), "not_mediation_number", "mediation_id")
    for name in ("filed_case_id", "confirmation_case_id"):
        if name in positions:
            values[name] = _linked_numbers(table.data[positions[name]], name, f_log, table)
    if "court" in values:
        f_log.add(np.flatnonzero(values["court"].isna().to_numpy()), "missing_court", "court")

    limit = np.datetime64(snapshot_day, "s")
    snapshot_text = snapshot_day.isoformat()
    if "closed_date" in values:
        later = (values["closed_date"].to_numpy() > limit)
        where = np.flatnonzero(later)
        f_log.add(where, "future_date", "closed_date", detail=snapshot_text)
        values["closed_date"] = values["closed_date"].mask(pd.Series(later, index=values["closed_date"].index))

    usable = np.ones(n, dtype=bool)
    ld._structure_quarantine(table, q_log, usable)
    usable &= ~ld._formula_cells(table, positions, q_log, f_log, _REQUIRED)
    got = received.values
    empty = (got.isna() & received.problems.isna()).to_numpy(dtype=bool)
    checks = [
        ("missing_mediation_id", "mediation_id", numbers["case_id"].isna().to_numpy(), ""),
        ("missing_received_date", "received_date", empty, ""),
        ("bad_received_date", "received_date", got.isna().to_numpy() & ~empty, ""),
        ("future_received_date", "received_date", (got.to_numpy() > limit), snapshot_text),
    ]
    if "closed_date" in values:
        checks.append(("closed_before_received", "closed_date",
                       (values["closed_date"] < got).fillna(False).to_numpy(dtype=bool), got))
    for reason, name, mask, detail in checks:
        where = np.flatnonzero(mask & usable)
        q_log.add(where, reason, name, detail=detail if isinstance(detail, str) else ld._fmt_date(detail.iloc[where]))
        usable &= ~mask

    for name in ("case_year", "court_code", "type_code", "case_seq"):
        values[name] = numbers[name]
    frame = conform_mediation(pd.DataFrame({k: v for k, v in values.items()}, index=table.data.index))
    usable = ld._duplicates(frame[[c for c in schema.MEDIATION_COLUMNS if c in values]], usable, ["mediation_id"],
                            table.lines, headers, q_log, ld.case_key_codes(numbers))

    if "result" in values:
        result = frame["result"]
        settled = result.isin(categories.MEDIATION_RESOLVED).to_numpy(dtype=bool)
        confirmed = result.isin(categories.MEDIATION_CONFIRMED).to_numpy(dtype=bool)
        for name, conflict in (("filed_case_id", settled), ("confirmation_case_id", ~confirmed & result.notna().to_numpy())):
            if name not in values:
                continue
            where = np.flatnonzero(frame[name].notna().to_numpy() & conflict & usable)
            f_log.add(where, "result_conflicts_link", name,
                      detail=np.array([schema.label("mediation_result", c) for c in result.iloc[where]], dtype=object),
                      detail_en=np.array([schema.label("mediation_result", c, "en") for c in result.iloc[where]],
                                         dtype=object))
    if "result" in values and "closed_date" in values:
        closed_known = frame["closed_date"].notna().to_numpy()
        result_known = frame["result"].notna().to_numpy()
        where = np.flatnonzero(closed_known & ~result_known & usable)
        f_log.add(where, "closed_without_result", "result",
                  values=ld._fmt_date(frame["closed_date"].iloc[where]))
        where = np.flatnonzero(~closed_known & result_known & usable)
        f_log.add(where, "result_without_closing", "closed_date",
                  values=frame["result"].iloc[where].map(lambda c: schema.label("mediation_result", c)).to_numpy(dtype=object))
    if courts is not None and "court" in values:
        known = set(ld._as_courts(courts).courts["court"].dropna())
        court = frame["court"]
        where = np.flatnonzero((court.notna() & ~court.isin(known)).to_numpy(dtype=bool) & usable)
        f_log.add(where, "unknown_court", "court", values=court.to_numpy(dtype=object)[where])

    issues = f_log.frame()
    if len(issues):
        issues = issues.loc[usable[issues["position"].to_numpy()]]
    records = frame.loc[usable].reset_index(drop=True)
    ld._log_load(source, n, len(records), int(n - len(records)), len(issues))
    return LoadedMediation(records=records, quarantine=ld._finish_issues(q_log.frame()),
                           field_issues=ld._finish_issues(issues), source=source, sha256=table.sha256,
                           encoding=table.encoding, rows_read=n, blank_rows=table.blank_rows,
                           file_format=table.file_format, source_rows=table.lines[usable], columns=headers,
                           unmapped_columns=unmapped, snapshot=snapshot_day, notes=ld._table_notes(table))
