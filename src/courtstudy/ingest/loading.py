"""Validated loading of case-management exports: every row accepted or quarantined, none lost.

``load_cases(path)`` reads a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 or UTF-16, detected: the
bytes are decoded strictly with ``utf-8`` and then ``gb18030``, never with replacement
characters; :mod:`courtstudy.ingest.csvscan` reads it in linear time and checks every physical
line), an XLSX workbook (the sheet whose top rows hold the most recognised headers) or a
Parquet file (or a DataFrame), finds the header row (the first of the top 30 rows holding the
most recognised headers, so a title line above it is fine), matches the headers of
:mod:`courtstudy.core.schema` (ignoring surrounding spaces, full-width brackets, ``_``/``-`` and
English case; a user ``mapping`` {raw header: canonical name} covers the rest), reads every
cell as text, and converts each column with :mod:`courtstudy.ingest.normalize`.

Row numbers (``row`` in the quarantine and field-issue tables) are the line numbers a reader
finds the row at: in a CSV the physical line the record starts on (a text editor's line; a
quoted cell holding line breaks makes its record span several lines, and the record is named
by the line where it opened), in a workbook the row number Excel shows; the header's own line
counts (a file without a title line has its header on line 1 and its first data row on line
2). A DataFrame's rows are numbered by position as if written with a header line (first row
= 2); its index is ignored (a named index is read as a column first).

Accounting: ``rows_read`` counts the data rows below the header except completely empty ones
(reported apart as ``blank_rows``), and ``accepted + quarantined == rows_read`` always holds:
each quarantined row appears exactly once in the quarantine table, with the first reason that
applies, in this order:

=============================  ==========================================================
``malformed_row``              more non-empty cells than the header has columns (CSV)
``short_row``                  fewer cells than the header has columns (CSV)
``formula_without_value``      the case number or filing date is an XLSX formula with no
                               saved result
``missing_case_id``            no case number
``missing_filed_date``         no filing date
``bad_filed_date``             a filing date that is not a date
``future_filed_date``          a filing date after the export's snapshot date
``closed_before_filed``        a closing date earlier than the filing date
``duplicate_row``              the same canonical values as an earlier row (the first is kept)
``conflicting_duplicate``      the same case number as another usable row, different values
=============================  ==========================================================

Empty cells right of the header (a trailing delimiter on each line) are not a fault: the
values stay in their columns, and the summary counts such rows.

Conflicting duplicates: one row per case number is kept, the one with the most non-missing
canonical fields, and among equally complete rows the last one in the file; the others are
quarantined and their message names the kept row and the columns that differ. Why: dropping
every copy would remove a case that certainly exists from every count (受理, 结案, 结案率 ...),
a bias worse than keeping one version; the most complete row is usually the later snapshot of
a case (a closing date, a disposition added), and exports append updates at the end.

A bad optional value keeps its row: the field becomes missing and the problem is listed in the
field-issue table (accepted rows only) with the value as written, reasons ``bad_date``,
``future_date`` (after the export's snapshot date: ``snapshot``, default today in China),
``bad_amount``, ``bad_integer``, ``negative_value``, ``out_of_range`` (``1e400`` yuan, a count
beyond :data:`courtstudy.ingest.normalize.INTEGER_LIMITS`), ``unknown_category``,
``bad_yes_no``, ``bad_case_number``, ``missing_court``, ``formula_without_value``,
``appeal_before_closing`` (appeal date before the closing date: the appeal date is dropped),
``appeal_closed_before_appeal`` (appeal closing before appeal filing: the appeal closing date is
dropped), ``suspended_exceeds_duration`` (deducted days longer than the case itself: they are
dropped, so trial days are never negative) and ``unknown_court`` (the court is not in the
courts table given; value kept).

Structural problems raise :class:`courtstudy.core.errors.StructuralError` naming the file (and
line and column where there is one), what was expected and the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import itertools
import logging
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from courtstudy.core import log, schema
from courtstudy.core.errors import StructuralError
from courtstudy.core.paths import file_sha256
from courtstudy.ingest import csvscan, normalize
from courtstudy.ingest.case_number import parse_case_numbers

logger = logging.getLogger(__name__)
#: A load that quarantines more than this share of its rows is worth a warning.
QUARANTINE_WARNING_SHARE = 0.05

ISSUE_COLUMNS: tuple[str, ...] = ("row", "case_id", "column", "value", "reason", "message_zh", "message_en")
HEADER_SCAN_ROWS = 30
#: China Standard Time (no daylight saving): the zone dates of Chinese courts are taken in.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
DATE_FIELDS: tuple[str, ...] = ("filed_date", "closed_date", "appeal_filed_date", "appeal_closed_date")
#: Fields whose raw text later checks quote (the others are released once parsed).
_RAW_KEPT = frozenset({*DATE_FIELDS, "suspended_days"})
#: Fields whose per-row problem codes later checks use.
_PROBLEMS_KEPT = frozenset({"filed_date"})

#: reason code -> (zh message, en message); ``{column}``, ``{value}`` and ``{detail}`` are filled in.
MESSAGES: dict[str, tuple[str, str]] = {
    # quarantine (the row is not used)
    "malformed_row": ("该行的非空单元格比表头多（{detail}），无法确定各值属于哪一列",
                      "the row has more non-empty cells than the header ({detail}); values cannot be assigned to columns"),
    "short_row": ("该行的单元格比表头少（{detail}），无法确定各值属于哪一列（可能缺了分隔符）",
                  "the row has fewer cells than the header ({detail}); values cannot be assigned to columns "
                  "(a delimiter may be missing)"),
    "formula_without_value": ("单元格 {detail} 是没有保存计算结果的公式“{value}”，按缺失处理；请在 Excel 中打开后保存，或复制后“粘贴为数值”",
                              "cell {detail} holds a formula without a saved result ('{value}'); treated as missing: "
                              "open and save the workbook in Excel, or paste the cells as values"),
    "missing_case_id": ("“{column}”为空：没有案号无法识别案件", "'{column}' is empty: a case without a case number cannot be identified"),
    "missing_filed_date": ("“{column}”为空：没有立案日期的案件无法计入任何期间",
                           "'{column}' is empty: a case without a filing date cannot be placed in any period"),
    "bad_filed_date": ("“{column}”的值“{value}”不是日期（可用格式：2023-05-06、2023/5/6、2023.5.6、2023年5月6日、20230506、Excel日期序号）",
                       "'{column}' value '{value}' is not a date (expected 2023-05-06, 2023/5/6, 2023.5.6, 2023年5月6日, 20230506 or an Excel serial day)"),
    "future_filed_date": ("立案日期“{value}”晚于导出日期 {detail}，无法计入任何期间",
                          "filing date '{value}' is after the export's snapshot date {detail}; the case cannot be placed in any period"),
    "closed_before_filed": ("结案日期“{value}”早于立案日期 {detail}", "closing date '{value}' is before the filing date {detail}"),
    "duplicate_row": ("与第{detail}行完全相同，保留第{detail}行", "exact copy of row {detail}; row {detail} is kept"),
    "conflicting_duplicate": ("案号与其他行相同但内容不同：{detail}", "same case number as another row, different values: {detail}"),
    # field issues (the row is kept, the field becomes missing)
    "bad_date": ("“{column}”的值“{value}”不是日期，按缺失处理", "'{column}' value '{value}' is not a date; treated as missing"),
    "future_date": ("“{column}”的值“{value}”晚于导出日期 {detail}，按缺失处理",
                    "'{column}' value '{value}' is after the export's snapshot date {detail}; treated as missing"),
    "out_of_range": ("“{column}”的值“{value}”超出合理范围（{detail}），按缺失处理",
                     "'{column}' value '{value}' is out of range ({detail}); treated as missing"),
    "suspended_exceeds_duration": ("扣除审限天数“{value}”超过案件本身的 {detail} 天，按缺失处理",
                                   "suspended days '{value}' exceed the case's own {detail} days; treated as missing"),
    "bad_amount": ("“{column}”的值“{value}”不是金额（如 1,234.5、3.5万元），按缺失处理",
                   "'{column}' value '{value}' is not an amount (e.g. 1,234.5 or 3.5万元); treated as missing"),
    "bad_integer": ("“{column}”的值“{value}”不是整数，按缺失处理", "'{column}' value '{value}' is not a whole number; treated as missing"),
    "negative_value": ("“{column}”的值“{value}”为负数，按缺失处理", "'{column}' value '{value}' is negative; treated as missing"),
    "unknown_category": ("“{column}”的值“{value}”不在可识别的取值中（{detail}），按缺失处理",
                         "'{column}' value '{value}' is not a recognised category ({detail}); treated as missing"),
    "bad_yes_no": ("“{column}”的值“{value}”不是“是/否”，按缺失处理", "'{column}' value '{value}' is not yes/no; treated as missing"),
    "bad_case_number": ("案号“{value}”不符合“（年度）法院代字类型代字序号号”格式，年度、法院代字、类型代字、序号按缺失处理",
                        "case number '{value}' does not read as （year）court-code type-code number 号; its parts are missing"),
    "missing_court": ("“{column}”为空", "'{column}' is empty"),
    "appeal_before_closing": ("上诉日期“{value}”早于结案日期 {detail}，上诉日期按缺失处理",
                              "appeal date '{value}' is before the closing date {detail}; the appeal date is treated as missing"),
    "appeal_closed_before_appeal": ("二审结案日期“{value}”早于上诉日期 {detail}，二审结案日期按缺失处理",
                                    "appeal closing date '{value}' is before the appeal date {detail}; treated as missing"),
    "unknown_court": ("法院“{value}”不在法院表中", "court '{value}' is not in the courts table"),
}
QUARANTINE_ORDER: tuple[str, ...] = ("malformed_row", "short_row", "formula_without_value", "missing_case_id",
                                     "missing_filed_date", "bad_filed_date", "future_filed_date",
                                     "closed_before_filed", "duplicate_row", "conflicting_duplicate")
REASON_LABELS_ZH: dict[str, str] = {
    "malformed_row": "格式错误的行", "short_row": "单元格不足的行", "formula_without_value": "公式没有计算结果",
    "future_filed_date": "立案日期晚于导出日期", "missing_case_id": "缺少案号", "missing_filed_date": "缺少立案日期",
    "bad_filed_date": "立案日期无法识别", "closed_before_filed": "结案早于立案", "duplicate_row": "完全重复的行",
    "conflicting_duplicate": "案号重复且内容不一致", "missing_court": "缺少法院",
}


# ------------------------------------------------------------------------------------ headers
def normalize_header(header: Any) -> str:
    """The comparison key of a header: NFKC-folded (full-width brackets), without spaces, ``_``,
    ``-`` or the ``*``/``:`` of templates, English in lower case."""
    text = unicodedata.normalize("NFKC", str(header))
    return re.sub(r"[\s_\-*:]+", "", text).casefold()


def header_lookup(fields: tuple[schema.Field, ...]) -> dict[str, str]:
    """Every recognised header (normalised) -> canonical field name."""
    lookup: dict[str, str] = {}
    for f in fields:
        for header in (f.name, *f.headers, f.label_zh, f.label_en):
            lookup.setdefault(normalize_header(header), f.name)
    return lookup


# ------------------------------------------------------------------------------------ raw table
@dataclass
class RawTable:
    """A file as text cells: the header row, the data rows (columns by position, text) and the
    line each row starts on."""

    headers: list[str]
    data: pd.DataFrame
    lines: np.ndarray
    encoding: str | None
    sha256: str
    file_format: str
    malformed: dict[int, str] = field(default_factory=dict)  # position -> detail (extra cells)
    short: dict[int, str] = field(default_factory=dict)      # position -> detail (missing cells)
    blank_rows: int = 0
    trailing_delimiters: int = 0
    multiline: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # lines
    formulas: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    #: (position, column) -> (formula text, cell reference) of XLSX formulas without a value
    raw_missing: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: field -> (positions, raw text) of the missing values of a column whose raw text was released


def _text_series(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """An Arrow text column as a pandas string Series (no copy), positional index."""
    chunked = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values], type=pa.string())
    if chunked.type != pa.string():
        chunked = chunked.cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(chunked), copy=False)


def _cell_text(value: Any) -> str:
    """One typed cell (XLSX, Parquet, DataFrame) as the text a CSV would hold."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return ""
        if not np.isfinite(value):
            return repr(float(value))
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            # A stored instant: its date is the date in China, not in UTC.
            value = value.astimezone(CHINA_TIME).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _nested_error(source: Any, column: str, kind: str = "") -> StructuralError:
    detail = f"（{kind}）" if kind else ""
    detail_en = f" ({kind})" if kind else ""
    return StructuralError(
        f"{source}: 列“{column}”的单元格是列表或嵌套值{detail}，不是单个值；每个单元格需要一个值（文本、数字或日期），"
        f"请先展开或删除该列。\n"
        f"{source}: column '{column}' holds lists or nested values{detail_en}, not single values; every cell "
        "must hold one value (text, number or date): flatten or drop that column first."
    )


def _stringify(column: pd.Series, source: Any = "<DataFrame>", name: str = "") -> pd.Series:
    """A column of any dtype as text ("" for missing), each distinct value converted once;
    positional index. Time-zone-aware times are taken in China time before the date is read."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert(CHINA_TIME).dt.tz_localize(None)
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    except TypeError as exc:  # lists, arrays, dicts: unhashable
        raise _nested_error(source, name) from exc
    if len(uniques) and isinstance(uniques[0], list | tuple | dict | np.ndarray | set):
        raise _nested_error(source, name)
    texts = np.array([_cell_text(u) for u in uniques] + [""], dtype=object)
    values = texts[np.where(codes < 0, len(uniques), codes)]
    return _text_series(pa.array(values, type=pa.string()))


def _scan_header(records: list[list[str]], lookup: dict[str, str]) -> tuple[int, int]:
    """(index of the header record, number of recognised headers in it) among the first rows."""
    best, best_score = 0, 0
    for i, record in enumerate(records[:HEADER_SCAN_ROWS]):
        score = len({lookup[k] for k in (normalize_header(c) for c in record) if k in lookup})
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _no_header_error(path: Path, first: list[str], encoding: str | None, kind: str) -> StructuralError:
    shown = [c for c in first if str(c).strip()][:12]
    required = {"cases": "案号、立案日期", "mediation": "诉前调解案号、登记日期"}.get(kind, "法院")
    required_en = {"cases": "案号 (case number) and 立案日期 (filing date)",
                   "mediation": "诉前调解案号 (mediation number) and 登记日期 (date received)"}.get(kind, "法院 (court)")
    enc = f"（按 {encoding} 解码）" if encoding else ""
    return StructuralError(
        f"{path}: 前 {HEADER_SCAN_ROWS} 行中找不到可识别的表头{enc}；首行为 {shown}。需要至少含有{required}等列。"
        f"如果表头叫法不同，请传入 mapping={{'你的表头': 'filed_date'}}（命令行：--map 你的表头=filed_date）。\n"
        f"{path}: no recognised header row in the first {HEADER_SCAN_ROWS} rows; the first row is {shown}. "
        f"Expected columns such as {required_en}. If your headers differ, pass "
        f"mapping={{'your header': 'filed_date'}} (command line: --map 'your header=filed_date')."
    )


def _empty_file_error(path: Any) -> StructuralError:
    return StructuralError(f"{path}: 文件为空，没有表头也没有数据；请重新导出。\n"
                           f"{path}: the file is empty (no header, no rows); export it again.")


def _head_text(buf: bytearray, lines: int, limit: int = 1 << 20) -> str:
    """The first ``lines`` lines of ``buf`` (UTF-8, ``\\n`` line breaks) as text."""
    end = 0
    for _ in range(lines):
        found = buf.find(b"\n", end, limit)
        if found < 0:
            end = min(len(buf), limit)
            break
        end = found + 1
    head = bytes(buf[:end])
    return head.decode("utf-8", errors="ignore") if end == limit else head.decode("utf-8")


def _csv_table(path: Path, lookup: dict[str, str], kind: str,
               max_lines: int = csvscan.MAX_RECORD_LINES) -> RawTable:
    buf, encoding, sha = csvscan.read_utf8(path)
    if not bytes(buf[:1 << 16]).strip() and not bytes(buf).strip():
        raise _empty_file_error(path)
    head = _head_text(buf, HEADER_SCAN_ROWS + 5)
    best: tuple[int, int, str, list[list[str]]] | None = None
    for sep in (",", "\t", ";", "|"):
        records = list(csv.reader(io.StringIO(head, newline=""), delimiter=sep))
        index, score = _scan_header(records, lookup)
        if best is None or score > best[1]:
            best = (index, score, sep, records)
    assert best is not None
    index, score, sep, records = best
    if score == 0:
        raise _no_header_error(path, records[0] if records else [], encoding, kind)
    headers = [h.strip() for h in records[index]]
    while headers and not headers[-1]:
        headers.pop()  # a trailing delimiter on the header line is no column
    # The usual number of cells of a data row, from the rows under the header (the last one of
    # the sample may be cut short).
    widths = [len(r) for r in records[index + 1:-1] if any(c.strip() for c in r)]
    width = max(set(widths), key=widths.count) if widths else len(records[index])
    # The physical line the header ends on (a title line above it, or a header cell holding a
    # line break, both count) and the byte where the data begins.
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=sep)
    for i, _record in enumerate(reader):
        if i == index:
            break
    header_line = reader.line_num
    body = 0
    for _ in range(header_line):
        body = buf.index(b"\n", body) + 1
    records_ = csvscan.read_records(buf, body, headers, sep, header_line, path, encoding, sha,
                                    max_lines=max_lines, width=width)
    del buf
    data = pd.DataFrame({i: _text_series(c) for i, c in enumerate(records_.columns)})
    multiline = records_.lines[records_.spans > 1]
    return RawTable(headers, data, records_.lines, encoding, sha, "csv", records_.extra,
                    records_.short, records_.blank_lines, records_.trailing_delimiters, multiline)


#: A formula cell of the sheet XML without a cached value: ``<c r="B5" ...><f>...</f></c>``.
_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>([^<]*)</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')


def _formulas_without_value(path: Path, worksheet_path: str | None) -> dict[tuple[int, int], tuple[str, str]]:
    """(Excel row, column number) -> (formula, reference) of the formula cells that have no
    saved result (a workbook written by a program and never opened in Excel). openpyxl reads
    those cells as empty; they must be reported, not taken for missing values."""
    if not worksheet_path:
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            xml = archive.read(worksheet_path.lstrip("/"))
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}
    if b"<f" not in xml:
        return {}
    from openpyxl.utils import column_index_from_string

    found = {}
    for match in _FORMULA_WITHOUT_VALUE.finditer(xml):
        letters, row, formula = match.group(1).decode(), int(match.group(2)), match.group(3)
        text = "=" + html.unescape(formula.decode("utf-8", errors="replace")) if formula else "=(shared formula)"
        found[(row, column_index_from_string(letters))] = (text, f"{letters}{row}")
    return found


def _xlsx_table(path: Path, lookup: dict[str, str], kind: str, sha: str) -> RawTable:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise StructuralError(f"{path}: 无法作为 XLSX 工作簿打开（{exc}）。请在 Excel 中重新另存为 .xlsx 或 CSV。\n"
                              f"{path}: cannot be opened as an XLSX workbook ({exc}); re-save it as .xlsx or CSV.") from exc
    try:
        # The first sheet whose top rows hold the most recognised headers (a cover or summary
        # sheet before the data is common).
        best: tuple[int, Any] | None = None
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()
            top = [[_cell_text(v) for v in r] for r in itertools.islice(sheet.iter_rows(values_only=True),
                                                                         HEADER_SCAN_ROWS)]
            score = _scan_header(top, lookup)[1]
            if best is None or score > best[0]:
                best = (score, sheet)
        if best is None:
            raise _no_header_error(path, [], None, kind)
        records = [list(r) for r in best[1].iter_rows(values_only=True)]
        formulas = _formulas_without_value(path, getattr(best[1], "_worksheet_path", None))
    finally:
        workbook.close()
    head = [[_cell_text(v) for v in r] for r in records[:HEADER_SCAN_ROWS]]
    index, score = _scan_header(head, lookup)
    if score == 0:
        raise _no_header_error(path, head[0] if head else [], None, kind)
    # Cells right of the header are unlabelled columns (listed as unrecognised), not shifted values.
    width = max(len(r) for r in records[index:])
    headers = [h.strip() for h in head[index]] + [""] * (width - len(head[index]))
    body = [r + [None] * (width - len(r)) for r in records[index + 1:]]
    frame = pd.DataFrame(body, columns=list(range(width)), dtype=object)
    data = pd.DataFrame({c: _stringify(frame[c], path, headers[c] or f"(第{c + 1}列)") for c in frame.columns})
    lines = np.arange(len(frame)) + index + 2
    first = index + 2  # Excel row of the first data row
    cells = {(row - first, column - 1): value for (row, column), value in formulas.items()
             if row >= first and column - 1 < width}
    return RawTable(headers, data, lines, None, sha, "xlsx", formulas=cells)


def _frame_table(frame: pd.DataFrame, sha: str, file_format: str, source: Any = "<DataFrame>") -> RawTable:
    """A DataFrame's cells by position: its index never aligns or drops rows (a filtered frame
    has gaps in its labels); a named index holds data and is read as the first columns."""
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    headers = [str(c).strip() for c in frame.columns]
    data = pd.DataFrame({i: _stringify(frame.iloc[:, i].reset_index(drop=True), source, headers[i])
                         for i in range(frame.shape[1])})
    return RawTable(headers, data, np.arange(len(frame)) + 2, None, sha, file_format)


def _parquet_frame(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise StructuralError(f"{path}: 无法作为 Parquet 文件读取（{exc}）。\n"
                              f"{path}: cannot be read as Parquet ({exc}).") from exc
    for f in table.schema:
        if pa.types.is_nested(f.type) or pa.types.is_dictionary(f.type) and pa.types.is_nested(f.type.value_type):
            raise _nested_error(path, f.name, f"Parquet {f.type}")
    return table.to_pandas()


def _blank_rows(data: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or spaces (vectorised on the Arrow text)."""
    import pyarrow.compute as pc

    if data.shape[1] == 0:
        return np.ones(len(data), dtype=bool)
    blank = np.ones(len(data), dtype=bool)
    for column in data.columns:
        text = normalize.arrow_text(data[column])
        blank &= pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0).to_numpy(zero_copy_only=False)
        if not blank.any():
            break
    return blank


def read_table(source: str | Path | pd.DataFrame, lookup: dict[str, str], kind: str = "cases",
               max_lines: int = csvscan.MAX_RECORD_LINES) -> RawTable:
    """Read a file (or take a DataFrame) as text cells; raise StructuralError when it is no table."""
    if isinstance(source, pd.DataFrame):
        table = _frame_table(source, "", "dataframe")
    else:
        path = Path(source)
        if not path.exists():
            raise StructuralError(f"{path}: 文件不存在，请检查路径。\n{path}: file not found; check the path.")
        if path.is_dir():
            raise StructuralError(f"{path}: 这是文件夹，不是文件；请给出导出的 CSV/XLSX/Parquet 文件。\n"
                                  f"{path}: is a folder; pass the exported CSV, XLSX or Parquet file.")
        try:
            with open(path, "rb") as fh:
                magic = fh.read(8)
            size = path.stat().st_size
        except OSError as exc:
            raise StructuralError(f"{path}: 无法读取文件（{exc.strerror}）；请检查权限或文件是否被其他程序占用。\n"
                                  f"{path}: cannot read the file ({exc.strerror}); check permissions or "
                                  f"whether another program holds it open.") from exc
        if size == 0:
            raise _empty_file_error(path)
        suffix = path.suffix.lower()
        if magic.startswith(b"\xd0\xcf\x11\xe0"):
            raise StructuralError(f"{path}: 这是旧版 Excel（.xls）文件；请在 Excel/WPS 中另存为 .xlsx 或 CSV。\n"
                                  f"{path}: an old Excel .xls workbook; save it as .xlsx or CSV and load that.")
        if magic.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
            table = _xlsx_table(path, lookup, kind, file_sha256(path))
        elif magic.startswith(b"PAR1") or suffix in (".parquet", ".pq"):
            table = _frame_table(_parquet_frame(path), file_sha256(path), "parquet", path)
        else:
            try:
                table = _csv_table(path, lookup, kind, max_lines)
            except OSError as exc:
                raise StructuralError(f"{path}: 无法读取文件（{exc.strerror}）。\n"
                                      f"{path}: cannot read the file ({exc.strerror}).") from exc
    # CSV blank rows were set aside while reading; other formats are checked here.
    blank = _blank_rows(table.data) if table.file_format != "csv" else np.zeros(len(table.data), dtype=bool)
    if blank.any():
        keep = ~blank
        positions = np.flatnonzero(keep)
        new_position = np.cumsum(keep) - 1

        def remap(marks: dict[int, str]) -> dict[int, str]:
            return {int(new_position[p]): d for p, d in marks.items() if keep[p]}

        table.data = table.data.loc[keep].reset_index(drop=True)
        table.lines = table.lines[keep]
        table.malformed = remap(table.malformed)
        table.short = remap(table.short)
        table.formulas = {(int(new_position[p]), c): v for (p, c), v in table.formulas.items()
                          if p < len(keep) and keep[p]}
        table.blank_rows += int((~keep).sum())
        del positions
    if len(table.data) == 0:
        name = "<DataFrame>" if isinstance(source, pd.DataFrame) else source
        raise StructuralError(f"{name}: 只有表头，没有数据行；请检查导出的时间范围后重新导出。\n"
                              f"{name}: a header row but no data rows; check the export's date range and export again.")
    return table


# ------------------------------------------------------------------------------------ columns
_DERIVED_HEADERS = frozenset(normalize_header(h) for f in schema.CASE_NUMBER_FIELDS
                             for h in (f.name, f.label_zh, f.label_en))


def resolve_columns(table: RawTable, fields: tuple[schema.Field, ...], mapping: dict[str, str] | None,
                    source: Any, required: tuple[str, ...]) -> tuple[dict[str, int], list[str], list[str]]:
    """Canonical name -> column position; also the unrecognised and the ignored (second) headers."""
    names = {f.name for f in fields}
    lookup = header_lookup(fields)
    user: dict[str, str] = {}
    for raw, name in (mapping or {}).items():
        if name not in names:
            raise StructuralError(
                f"{source}: mapping 中的 {raw!r}: {name!r} 不是规范字段名；可用：{', '.join(sorted(names))}。\n"
                f"{source}: mapping {raw!r}: {name!r} is not a canonical field; use one of {', '.join(sorted(names))}."
            )
        user[normalize_header(raw)] = name
    positions: dict[str, int] = {}
    unmapped: list[str] = []
    ignored: list[str] = []
    for i, header in enumerate(table.headers):
        key = normalize_header(header)
        name = user.get(key) or lookup.get(key)
        if name is None:
            if key in _DERIVED_HEADERS:
                continue  # recomputed from the case number, never read
            if header or (table.data[i].str.strip() != "").any():
                unmapped.append(header or f"(第{i + 1}列)")
        elif name in positions:
            ignored.append(header)
        else:
            positions[name] = i
    for name in required:
        if name not in positions:
            f = next(f for f in fields if f.name == name)
            raise StructuralError(
                f"{source}: 找不到“{f.label_zh}”列（可识别的表头：{'、'.join(f.headers)}）；文件中的表头为 {table.headers}。"
                f"请传入 mapping={{'你的表头': '{name}'}}（命令行：--map 你的表头={name}）。\n"
                f"{source}: no {f.label_en.lower()} column (recognised headers: {', '.join(f.headers)}); the file's "
                f"headers are {table.headers}. Pass mapping={{'your header': '{name}'}} "
                f"(command line: --map 'your header={name}')."
            )
    return positions, unmapped, ignored


# ------------------------------------------------------------------------------------ issues
class IssueLog:
    """Collects quarantine and field-issue records as arrays of row positions (vectorised)."""

    def __init__(self, table: RawTable, headers: dict[str, str], id_column: int | None):
        self.table = table
        self.headers = headers
        self.id_column = id_column
        self.parts: list[pd.DataFrame] = []

    def add(self, positions: np.ndarray, reason: str, name: str | None, values: pd.Series | np.ndarray | None = None,
            detail: pd.Series | np.ndarray | str = "", column: str | None = None,
            detail_en: np.ndarray | None = None) -> None:
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) == 0:
            return
        header = column if column is not None else (self.headers.get(name, name) if name else "")
        if values is None:
            vals = self.table.data[self.table.headers.index(header)].iloc[positions].to_numpy(dtype=object) \
                if header in self.table.headers else np.full(len(positions), "", dtype=object)
        else:
            vals = np.asarray(values, dtype=object)
        details = np.full(len(positions), detail, dtype=object) if isinstance(detail, str) else np.asarray(detail, dtype=object)
        details_en = details if detail_en is None else np.asarray(detail_en, dtype=object)
        zh, en = MESSAGES[reason]
        part = pd.DataFrame({
            "position": positions,
            "row": self.table.lines[positions],
            "case_id": (self.table.data[self.id_column].iloc[positions].str.strip().to_numpy(dtype=object)
                        if self.id_column is not None else ""),
            "column": header,
            "value": vals,
            "reason": reason,
            "message_zh": [zh.format(column=header, value=v, detail=d) for v, d in zip(vals, details, strict=True)],
            "message_en": [en.format(column=header, value=v, detail=d) for v, d in zip(vals, details_en, strict=True)],
        })
        self.parts.append(part)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"position": pd.Series(dtype="int64"), **{c: pd.Series(dtype="string") for c in ISSUE_COLUMNS}})
        out = pd.concat(self.parts, ignore_index=True)
        return out.sort_values(["position", "reason"], kind="stable").reset_index(drop=True)


def _finish_issues(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns="position").reset_index(drop=True)
    out["row"] = out["row"].astype("int64")
    for c in ISSUE_COLUMNS[1:]:
        out[c] = out[c].astype("string")
    return out[list(ISSUE_COLUMNS)]


def _raw(table: RawTable, positions: dict[str, int], name: str) -> pd.Series:
    return table.data[positions[name]] if name in positions else pd.Series("", index=table.data.index, dtype=object)


def _parse_columns(table: RawTable, positions: dict[str, int], fields: tuple[schema.Field, ...],
                   log: IssueLog, problems_out: dict[str, pd.Series] | None = None,
                   keep_raw: frozenset[str] | None = None) -> dict[str, pd.Series]:
    """Each mapped column parsed; bad values logged (reason per row) and set missing.
    ``keep_raw``: the fields whose raw text later checks still quote; the raw text of the
    others is released as soon as the column is parsed (peak memory: the raw and the parsed
    table are never both whole). ``None`` keeps every raw column."""
    values: dict[str, pd.Series] = {}
    wanted = [f for f in fields if f.name in positions and f.name != "case_id"]

    def parse(position: int, f: schema.Field) -> normalize.Parsed:
        return normalize.parse_field(table.data[position], f)

    # Columns are independent and Arrow's kernels release the GIL: two at a time.
    for f, parsed in zip(wanted, _in_threads([(parse, positions[f.name], f) for f in wanted]), strict=True):
        # (a generator: each column is handled, and its raw text released, as soon as it is parsed)
        raw = table.data[positions[f.name]]
        values[f.name] = parsed.values
        problems = parsed.problems
        if problems_out is not None and f.name in _PROBLEMS_KEPT:
            problems_out[f.name] = problems
        bad = problems.notna().to_numpy()
        for reason in pd.unique(problems[bad]):
            where = np.flatnonzero((problems == reason).fillna(False).to_numpy())
            detail = normalize.expected_spellings(f.vocabulary) if reason == "unknown_category" and f.vocabulary else ""
            log.add(where, str(reason), f.name, values=raw.iloc[where].to_numpy(dtype=object), detail=detail)
        if keep_raw is not None and f.name not in keep_raw:
            # Missing values keep their raw text (a missing court is reported with what it held).
            missing = np.flatnonzero(values[f.name].isna().to_numpy() & ~bad)
            table.raw_missing[f.name] = (missing, raw.iloc[missing].to_numpy(dtype=object))
            table.data[positions[f.name]] = _empty_text(len(table.data))
        del raw, parsed
    pa.default_memory_pool().release_unused()
    return values


def _empty_text(n: int) -> pd.Series:
    """A column of ``n`` empty texts sharing one buffer (what a released raw column becomes)."""
    return _text_series(pa.array([""], type=pa.string()).take(pa.array(np.zeros(n, dtype=np.int64))))


def _in_threads(jobs: list[tuple]):
    """``function(*args)`` for each job, in order, computed by up to two threads (a generator:
    results are yielded as soon as they are ready, in the order of ``jobs``)."""
    if len(jobs) < 2 or (os.cpu_count() or 1) < 2:
        for job in jobs:
            yield job[0](*job[1:])
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(job[0], *job[1:]) for job in jobs]
        for future in futures:
            yield future.result()


def _key_codes(canon: pd.DataFrame, key: list[str]) -> np.ndarray:
    """An integer per row, equal for rows with equal ``key`` values (missing values equal)."""
    if len(key) == 1:
        codes, _values = normalize.distinct(canon[key[0]].astype("string").fillna("\x00<NA>"))
        return codes
    frame = canon[key].astype("string").fillna("\x00<NA>")
    return frame.groupby(key, sort=False, dropna=False).ngroup().to_numpy().astype(np.int64)


def case_key_codes(numbers: pd.DataFrame) -> np.ndarray:
    """Integer codes of the canonical case numbers, equal exactly when the numbers are equal,
    computed from their parsed parts (no hashing of millions of strings): year, court code,
    type code and sequence pack into one int64; numbers that did not parse, or carry a suffix
    (之一), are coded by their text above that range."""
    n = len(numbers)
    case_id = numbers["case_id"]
    suffix = ~case_id.fillna("号").str.endswith("号").to_numpy(dtype=bool)
    packable = numbers["parsed"].to_numpy(dtype=bool) & ~suffix
    codes = np.full(n, -1, dtype=np.int64)
    if packable.any():
        court, court_values = normalize.distinct(numbers["court_code"].fillna(""))
        kind, kind_values = normalize.distinct(numbers["type_code"].fillna(""))
        year = numbers["case_year"].to_numpy(dtype="float64", na_value=0).astype(np.int64) - 1900
        seq = numbers["case_seq"].to_numpy(dtype="float64", na_value=0).astype(np.int64)
        # A sequence written with leading zeros (0012) is another text than 12: such numbers
        # are coded by their text. The canonical text has exactly this many characters else.
        digits = np.floor(np.log10(np.maximum(seq, 1))).astype(np.int64) + 1
        court_len = np.array([len(v) for v in court_values], dtype=np.int64)[court]
        kind_len = np.array([len(v) for v in kind_values], dtype=np.int64)[kind]
        length = normalize.text_lengths(case_id)
        packable &= length == 7 + court_len + kind_len + digits
    if packable.any():
        sizes = [int(year[packable].max()) + 1, int(court.max()) + 1, int(kind.max()) + 1,
                 int(seq[packable].max()) + 1]
        if min(year[packable]) >= 0 and float(np.prod(np.array(sizes, dtype=float))) < 2.0 ** 62:
            packed = ((year * sizes[1] + court) * sizes[2] + kind) * sizes[3] + seq
            codes[packable] = packed[packable]
        else:
            packable[:] = False
    rest = np.flatnonzero(~packable)
    if len(rest):
        text_codes, _ = normalize.distinct(case_id.iloc[rest].fillna("\x00<NA>"))
        base = int(codes.max()) + 1 if packable.any() else 0
        codes[rest] = base + text_codes
    return codes


def _repeated(codes: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Positions of the usable rows whose key code occurs on more than one usable row."""
    where = np.flatnonzero(usable)
    if len(where) == 0:
        return where
    return where[pd.Index(codes[where]).duplicated(keep=False)]


def _row_keys(frame: pd.DataFrame) -> list[tuple]:
    """Each row as a hashable tuple (missing values as None), for exact comparison."""
    columns = [frame[c].astype(object).where(frame[c].notna(), None).to_numpy(dtype=object)
               for c in frame.columns]
    return list(zip(*columns, strict=True)) if columns else [() for _ in range(len(frame))]


def _duplicates(canon: pd.DataFrame, usable: np.ndarray, key: list[str], lines: np.ndarray,
                headers: dict[str, str], log_q: IssueLog, codes: np.ndarray | None = None) -> np.ndarray:
    """Quarantine exact duplicates, then conflicting rows sharing ``key``; return the new usable mask.

    Only rows whose key repeats can be either, so the exact comparisons run on those rows only;
    ``codes``: integer key codes (:func:`case_key_codes`), computed here when not given.
    Everything is vectorised or linear (a province's export has millions of rows)."""
    usable = usable.copy()
    codes = _key_codes(canon, key) if codes is None else codes
    repeated = _repeated(codes, usable)
    if len(repeated) == 0:
        return usable
    # Exact duplicates: the first copy of each row is kept.
    first_seen: dict[tuple, int] = {}
    copies, kept_of = [], []
    for position, row in zip(repeated, _row_keys(canon.iloc[repeated]), strict=True):
        kept = first_seen.setdefault(row, int(position))
        if kept != position:
            copies.append(int(position))
            kept_of.append(kept)
    if copies:
        copies_arr = np.array(copies, dtype=np.int64)
        log_q.add(copies_arr, "duplicate_row", key[0], detail=lines[np.array(kept_of)].astype(str))
        usable[copies_arr] = False
        repeated = _repeated(codes, usable)
        if len(repeated) == 0:
            return usable
    # Conflicts: per key, the most complete row is kept, then the last.
    group_codes = pd.factorize(codes[repeated])[0]
    completeness = canon.iloc[repeated].notna().sum(axis=1).to_numpy()
    order = np.lexsort((repeated, completeness, group_codes))
    sorted_groups = group_codes[order]
    last_of_group = np.r_[sorted_groups[1:] != sorted_groups[:-1], True]
    winners_by_group = dict(zip(sorted_groups[last_of_group], repeated[order][last_of_group], strict=True))
    losers = repeated[order][~last_of_group]
    if len(losers) == 0:
        return usable
    winners = np.array([winners_by_group[g] for g in sorted_groups[~last_of_group]], dtype=np.int64)
    a = canon.iloc[losers].reset_index(drop=True)
    b = canon.iloc[winners].reset_index(drop=True)
    differ = np.zeros((len(losers), canon.shape[1]), dtype=bool)
    for j, column in enumerate(canon.columns):
        left, right = a[column], b[column]
        same = (left.isna() & right.isna()).to_numpy() | (left == right).fillna(False).to_numpy(dtype=bool)
        differ[:, j] = ~same
    # One message per pattern of differing columns.
    patterns, inverse = np.unique(differ, axis=0, return_inverse=True)
    names = [headers.get(c, c) for c in canon.columns]
    zh_pattern = ["、".join(n for n, d in zip(names, p, strict=True) if d) for p in patterns]
    en_pattern = [", ".join(n for n, d in zip(names, p, strict=True) if d) for p in patterns]
    kept_lines = lines[winners].astype(str)
    details_zh = np.array([f"不同的列：{zh_pattern[k]}；保留第{line}行（信息最完整，同样完整时取靠后的一行）"
                           for k, line in zip(inverse.ravel(), kept_lines, strict=True)], dtype=object)
    details_en = np.array([f"columns that differ: {en_pattern[k]}; row {line} is kept "
                           "(the most complete, the last among equally complete rows)"
                           for k, line in zip(inverse.ravel(), kept_lines, strict=True)], dtype=object)
    log_q.add(losers, "conflicting_duplicate", key[0], detail=details_zh, detail_en=details_en)
    usable[losers] = False
    return usable


def _date_not_before(values: dict[str, pd.Series], later: str, earlier: str, reason: str,
                     usable: np.ndarray, f_log: IssueLog) -> None:
    """A ``later`` date before the ``earlier`` one it follows (an appeal before the closing it
    appeals) is a field issue ``reason`` on the rows kept: the ``later`` value is set missing
    and the ``earlier`` date is the issue's detail."""
    if later not in values or earlier not in values:
        return
    dates = values[later]
    early = ((dates < values[earlier]).fillna(False).to_numpy(dtype=bool)) & usable
    where = np.flatnonzero(early)
    f_log.add(where, reason, later, detail=_fmt_date(values[earlier].iloc[where]))
    values[later] = dates.mask(early)


def _fmt_date(values: pd.Series) -> np.ndarray:
    return values.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)


# ------------------------------------------------------------------------------------ results
def _summary(kind_zh: str, kind_en: str, source: Any, encoding: str | None, sha256: str, acc: dict, lang: str,
             extra_zh: list[str], extra_en: list[str]) -> str:
    ok = "✓" if acc["balanced"] else "✗"
    name = Path(str(source)).name
    about_zh = "，".join(x for x in (f"编码 {encoding}" if encoding else "", f"SHA-256 {sha256[:12]}" if sha256 else "") if x)
    about_en = ", ".join(x for x in (f"encoding {encoding}" if encoding else "", f"SHA-256 {sha256[:12]}" if sha256 else "") if x)
    zh = lang == "zh"

    def t(text_zh: str, text_en: str) -> str:
        return text_zh if zh else text_en

    lines = [t(f"{kind_zh}文件：{name}" + (f"（{about_zh}）" if about_zh else ""),
               f"{kind_en} file: {name}" + (f" ({about_en})" if about_en else "")),
             t(f"读取 {acc['rows_read']:,} 行：接受 {acc['accepted']:,} 行，隔离 {acc['quarantined']:,} 行"
               f"（接受 + 隔离 = 读取 {ok}）",
               f"Rows read {acc['rows_read']:,}: accepted {acc['accepted']:,}, quarantined {acc['quarantined']:,} "
               f"(accepted + quarantined = read {ok})")]
    if acc["blank_rows"]:
        lines.append(t(f"另有 {acc['blank_rows']:,} 个空行未计入", f"{acc['blank_rows']:,} empty rows were not counted"))
    if acc.get("trailing_delimiters"):
        lines.append(t(f"{acc['trailing_delimiters']:,} 行末尾有多余的分隔符（空单元格），各值仍在原列",
                       f"{acc['trailing_delimiters']:,} rows end with extra delimiters (empty cells); "
                       "their values stay in their columns"))
    if acc.get("multiline_records"):
        first = acc.get("multiline_first_lines", [])
        lines.append(t(f"{acc['multiline_records']:,} 行含有换行的单元格（跨多个物理行，行号为开始的行，如第 "
                       f"{'、'.join(map(str, first))} 行）",
                       f"{acc['multiline_records']:,} rows hold a cell with line breaks (they span several "
                       f"physical lines and are numbered by the line they start on, e.g. line "
                       f"{', '.join(map(str, first))})"))
    if acc["by_reason"]:
        lines.append(t("隔离原因：", "Quarantined by reason:"))
        lines += [t(f"  {REASON_LABELS_ZH.get(r, r)}（{r}）：{n:,}", f"  {r}: {n:,}")
                  for r, n in acc["by_reason"].items()]
    if acc["field_issues_by_column"]:
        lines.append(t(f"字段问题（行保留，该值按缺失处理）：共 {acc['field_issues']:,} 个",
                       f"Field issues (row kept, value treated as missing): {acc['field_issues']:,}"))
        lines += [t(f"  {c}：{n:,}", f"  {c}: {n:,}") for c, n in acc["field_issues_by_column"].items()]
    lines += extra_zh if zh else extra_en
    return "\n".join(lines)


def _accounting(rows_read: int, accepted: int, quarantine: pd.DataFrame, issues: pd.DataFrame,
                blank_rows: int, table_notes: dict | None = None) -> dict:
    out = {
        "rows_read": rows_read,
        "accepted": accepted,
        "quarantined": len(quarantine),
        "balanced": accepted + len(quarantine) == rows_read,
        "blank_rows": blank_rows,
        "by_reason": {str(k): int(v) for k, v in quarantine["reason"].value_counts().sort_index().items()},
        "field_issues": len(issues),
        "field_issues_by_column": {str(k): int(v) for k, v in issues["column"].value_counts().sort_index().items()},
        "field_issues_by_reason": {str(k): int(v) for k, v in issues["reason"].value_counts().sort_index().items()},
    }
    out.update(table_notes or {})
    return out


def _table_notes(table: RawTable) -> dict:
    """What the reading itself found (trailing delimiters, records over several lines)."""
    return {"trailing_delimiters": int(table.trailing_delimiters),
            "multiline_records": int(len(table.multiline)),
            "multiline_first_lines": [int(x) for x in table.multiline[:5]]}


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    from courtstudy.core.tabular_output import write_csv

    write_csv(frame, path)  # formula-looking values of the export are neutralised


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, name in enumerate(table.column_names):
        if pa.types.is_timestamp(table.schema.field(name).type):
            table = table.set_column(i, pa.field(name, pa.date32()), table.column(name).cast(pa.date32()))
    pq.write_table(table, path)


@dataclass(kw_only=True)
class LoadedExport:
    """What every loaded export (cases, mediation records) carries beside its accepted rows:
    the quarantined rows and field issues, the file's identity (source, SHA-256, encoding,
    format), the accounting inputs (rows read, blank rows), each accepted row's line
    (``source_rows``), the header mapping and the snapshot date. Subclasses name their accepted
    rows and say how many there are (:meth:`n_accepted`)."""

    quarantine: pd.DataFrame
    field_issues: pd.DataFrame
    source: Path | str
    sha256: str
    encoding: str | None
    rows_read: int
    blank_rows: int = 0
    file_format: str = "csv"
    source_rows: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    columns: dict[str, str] = field(default_factory=dict)
    unmapped_columns: list[str] = field(default_factory=list)
    snapshot: dt.date | None = None
    notes: dict = field(default_factory=dict)

    def n_accepted(self) -> int:
        raise NotImplementedError

    def accounting(self) -> dict:
        """rows_read, accepted, quarantined, balanced (accepted + quarantined == rows_read),
        blank_rows, by_reason, field_issues, field_issues_by_column, field_issues_by_reason,
        trailing_delimiters, multiline_records, snapshot."""
        notes = dict(self.notes)
        if self.snapshot is not None:
            notes["snapshot"] = self.snapshot.isoformat()
        return _accounting(self.rows_read, self.n_accepted(), self.quarantine, self.field_issues,
                           self.blank_rows, notes)


@dataclass(kw_only=True)
class LoadedCourts(LoadedExport):
    """A loaded courts table: canonical rows, quarantined rows and field issues."""

    courts: pd.DataFrame

    def n_accepted(self) -> int:
        return len(self.courts)

    def summary(self, lang: str = "zh") -> str:
        return _summary("法院表", "Courts", self.source, self.encoding, self.sha256, self.accounting(), lang, [], [])


@dataclass(kw_only=True)
class LoadedCases(LoadedExport):
    """A loaded case export. ``cases`` holds the accepted rows only, canonical columns and dtypes
    (:func:`courtstudy.core.schema.conform_cases`); ``source_rows`` gives each accepted row's line;
    ``snapshot`` is the date after which no date of the export was accepted."""

    cases: pd.DataFrame
    courts: pd.DataFrame | None = None
    ignored_columns: list[str] = field(default_factory=list)
    loaded_courts: LoadedCourts | None = None

    def n_accepted(self) -> int:
        return len(self.cases)

    def summary(self, lang: str = "zh") -> str:
        """The accounting as text for court staff (``lang`` "zh" or "en")."""
        extra_zh, extra_en = [], []
        if self.unmapped_columns:
            extra_zh.append(f"未识别的列（未使用）：{'、'.join(self.unmapped_columns)}")
            extra_en.append(f"Unrecognised columns (not used): {', '.join(self.unmapped_columns)}")
        if self.ignored_columns:
            extra_zh.append(f"重复的列（只用了靠左的一列）：{'、'.join(self.ignored_columns)}")
            extra_en.append(f"Repeated columns (only the left-most was used): {', '.join(self.ignored_columns)}")
        if "court" not in self.columns:
            extra_zh.append("文件中没有法院列：法院按缺失处理")
            extra_en.append("The file has no court column: court is missing for every case")
        if self.snapshot is not None:
            extra_zh.append(f"导出日期（晚于此日的日期按问题处理）：{self.snapshot.isoformat()}")
            extra_en.append(f"Snapshot date (later dates are reported as problems): {self.snapshot.isoformat()}")
        return _summary("案件", "Cases", self.source, self.encoding, self.sha256, self.accounting(), lang,
                        extra_zh, extra_en)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write accepted.parquet (dates as date32), quarantine.csv and field_issues.csv (UTF-8
        with BOM, formula-looking values neutralised: :mod:`courtstudy.core.tabular_output`)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"accepted": out / "accepted.parquet", "quarantine": out / "quarantine.csv",
                 "field_issues": out / "field_issues.csv"}
        _write_parquet(self.cases, paths["accepted"])
        _write_csv(self.quarantine, paths["quarantine"])
        _write_csv(self.field_issues, paths["field_issues"])
        return paths


# ------------------------------------------------------------------------------------ shared steps
def _formula_cells(table: RawTable, positions: dict[str, int], q_log: IssueLog, f_log: IssueLog,
                   required: tuple[str, ...]) -> np.ndarray:
    """Report XLSX formulas without a saved value in mapped columns; returns the rows to
    quarantine (a required field that is such a formula)."""
    bad = np.zeros(len(table.data), dtype=bool)
    if not table.formulas:
        return bad
    by_column = {i: name for name, i in positions.items()}
    for name in by_column.values():
        column = positions[name]
        cells = sorted((p, v) for (p, c), v in table.formulas.items() if c == column)
        if not cells:
            continue
        where = np.array([p for p, _ in cells], dtype=np.int64)
        values = np.array([v[0] for _, v in cells], dtype=object)
        refs = np.array([v[1] for _, v in cells], dtype=object)
        if name in required:
            q_log.add(where, "formula_without_value", name, values=values, detail=refs)
            bad[where] = True
        else:
            f_log.add(where, "formula_without_value", name, values=values, detail=refs)
    return bad


def _structure_quarantine(table: RawTable, q_log: IssueLog, usable: np.ndarray) -> None:
    """Rows whose cells cannot be assigned to columns: quarantined first."""
    for reason, marks in (("malformed_row", table.malformed), ("short_row", table.short)):
        if not marks:
            continue
        where = np.array(sorted(p for p in marks if usable[p]), dtype=np.int64)
        if len(where):
            q_log.add(where, reason, None, values=np.full(len(where), ""),
                      detail=np.array([marks[int(p)] for p in where], dtype=object))
            usable[where] = False


# ------------------------------------------------------------------------------------ courts
def load_courts(path_or_frame: str | Path | pd.DataFrame, mapping: dict[str, str] | None = None) -> LoadedCourts:
    """Load a courts table (court, year, judges, triage_start, fast_track_start, province).

    Same formats, encodings, headers and value parsing as :func:`load_cases`. Quarantined:
    ``malformed_row``, ``short_row``, ``missing_court``, ``duplicate_row`` and
    ``conflicting_duplicate`` (same court and year, different values: the most complete row is
    kept, then the last). Field issues as for cases.
    """
    fields = schema.COURT_FIELDS
    source = "<DataFrame>" if isinstance(path_or_frame, pd.DataFrame) else Path(path_or_frame)
    table = read_table(path_or_frame, {**header_lookup(fields), **_mapping_keys(mapping)}, kind="courts")
    positions, unmapped, _ignored = resolve_columns(table, fields, mapping, source, required=("court",))
    headers = {name: table.headers[i] for name, i in positions.items()}
    q_log = IssueLog(table, headers, None)
    f_log = IssueLog(table, headers, None)
    values = _parse_columns(table, positions, fields, f_log)
    n = len(table.data)
    usable = np.ones(n, dtype=bool)
    _structure_quarantine(table, q_log, usable)
    usable &= ~_formula_cells(table, positions, q_log, f_log, ("court",))
    missing = values["court"].isna().to_numpy() & usable
    q_log.add(np.flatnonzero(missing), "missing_court", "court")
    usable &= ~missing
    canon = pd.DataFrame({name: values[name] if name in values else pd.Series(pd.NA, index=table.data.index,
                                                                            dtype=schema.COURT_DTYPES[name])
                          for name in schema.COURT_COLUMNS})
    canon = canon.astype(schema.COURT_DTYPES)
    usable = _duplicates(canon, usable, ["court", "year"], table.lines, headers, q_log)
    courts = canon.loc[usable].reset_index(drop=True)
    issues = f_log.frame()
    issues = issues.loc[usable[issues["position"].to_numpy()]] if len(issues) else issues
    return LoadedCourts(courts=courts, quarantine=_finish_issues(q_log.frame()),
                        field_issues=_finish_issues(issues), source=source, sha256=table.sha256,
                        encoding=table.encoding, rows_read=n, blank_rows=table.blank_rows,
                        file_format=table.file_format, columns=headers, unmapped_columns=unmapped,
                        notes=_table_notes(table))


def _mapping_keys(mapping: dict[str, str] | None) -> dict[str, str]:
    return {normalize_header(k): v for k, v in (mapping or {}).items()}


def _as_courts(courts: str | Path | pd.DataFrame | LoadedCourts) -> LoadedCourts:
    return courts if isinstance(courts, LoadedCourts) else load_courts(courts)


# ------------------------------------------------------------------------------------ cases
def _empty_column(name: str, index: pd.Index) -> pd.Series:
    """An all-missing column of the canonical dtype (for a field the file does not have)."""
    dtype = schema.CASE_DTYPES[name]
    if dtype == "float64":
        return pd.Series(np.nan, index=index, dtype=dtype)
    if dtype == schema.DATE_DTYPE:
        return pd.Series(pd.NaT, index=index, dtype=dtype)
    return pd.Series(pd.NA, index=index, dtype=dtype)


def _log_load(source, rows: int, accepted: int, quarantined: int, field_issues: int) -> None:
    logger.info("%s: %d rows read, %d accepted, %d quarantined, %d field issues", source, rows,
                accepted, quarantined, field_issues)
    if rows and quarantined > QUARANTINE_WARNING_SHARE * rows:
        log.warn(logger, "%s: %d of %d rows (%.1f%%) quarantined; see the quarantine table",
                 "%s：%d 行被隔离（共读取 %d 行，占 %.1f%%），见隔离表", source, quarantined, rows,
                 100 * quarantined / rows)
def today_in_china() -> dt.date:
    """Today's date in China (the default snapshot date of an export)."""
    return dt.datetime.now(CHINA_TIME).date()


def _snapshot_date(snapshot: dt.date | str | pd.Timestamp | None) -> dt.date:
    if snapshot is None or snapshot == "":
        return today_in_china()
    try:
        return pd.Timestamp(snapshot).date()
    except (ValueError, TypeError) as exc:
        raise StructuralError(f"snapshot {snapshot!r}: 需要日期，如 2024-03-31。\n"
                              f"snapshot {snapshot!r}: expected a date such as 2024-03-31.") from exc


def load_cases(path: str | Path | pd.DataFrame, mapping: dict[str, str] | None = None,
               courts: str | Path | pd.DataFrame | LoadedCourts | None = None,
               snapshot: dt.date | str | None = None,
               max_lines_per_row: int = csvscan.MAX_RECORD_LINES) -> LoadedCases:
    """Load a case-management export into canonical cases, a quarantine table and field issues.

    ``path``: CSV, XLSX or Parquet (or a DataFrame of raw cells); ``mapping``: {raw header:
    canonical name} for headers the dictionary does not list; ``courts``: a courts table (path,
    frame or :class:`LoadedCourts`) attached as ``.courts``, with an ``unknown_court`` field issue
    for each case whose court is not in it; ``snapshot``: the date the export was taken (no
    date of the export can lie after it; default today in China); ``max_lines_per_row``: how
    many physical lines a CSV record may span (a quoted cell with line breaks) before it is
    taken for an unterminated quote. See the module docstring for the rules.

    ``row`` in ``.quarantine`` and ``.field_issues`` (and ``.source_rows``) is the line number
    the row starts on: header line = 1 when there is no title line, first data row = 2.
    Raises :class:`~courtstudy.core.errors.StructuralError` when the file is no table of cases.
    """
    fields = schema.CASE_FIELDS
    snapshot_day = _snapshot_date(snapshot)
    source = "<DataFrame>" if isinstance(path, pd.DataFrame) else Path(path)
    table = read_table(path, {**header_lookup(fields), **_mapping_keys(mapping)}, kind="cases",
                       max_lines=max_lines_per_row)
    positions, unmapped, ignored = resolve_columns(table, fields, mapping, source, required=("case_id", "filed_date"))
    headers = {name: table.headers[i] for name, i in positions.items()}
    n = len(table.data)
    q_log = IssueLog(table, headers, positions["case_id"])
    f_log = IssueLog(table, headers, positions["case_id"])

    numbers = parse_case_numbers(table.data[positions["case_id"]])
    pa.default_memory_pool().release_unused()
    problems: dict[str, pd.Series] = {}
    values = _parse_columns(table, positions, fields, f_log, problems, keep_raw=_RAW_KEPT)
    values["case_id"] = numbers["case_id"]
    bad_number = (numbers["case_id"].notna() & ~numbers["parsed"]).to_numpy()
    f_log.add(np.flatnonzero(bad_number), "bad_case_number", "case_id")
    for name in ("case_type", "instance"):
        if name in values:
            values[name] = values[name].fillna(numbers[name])
        else:
            values[name] = numbers[name]
    if "court" in values:
        where, raw_court = table.raw_missing.get("court", (None, None))
        if where is None:
            where = np.flatnonzero(values["court"].isna().to_numpy())
        f_log.add(where, "missing_court", "court", values=raw_court)

    # Dates after the snapshot: an optional date becomes missing (a field issue), a filing date
    # quarantines its row below. The default as-of date can then never come from them.
    limit = np.datetime64(snapshot_day, "s")
    snapshot_text = snapshot_day.isoformat()
    future_filed = np.zeros(n, dtype=bool)
    for name in DATE_FIELDS:
        if name not in values:
            continue
        later = (values[name].to_numpy() > limit)
        if not later.any():
            continue
        if name == "filed_date":
            future_filed = later
            continue
        where = np.flatnonzero(later)
        f_log.add(where, "future_date", name, values=_raw(table, positions, name).iloc[where].to_numpy(dtype=object),
                  detail=snapshot_text)
        values[name] = values[name].mask(pd.Series(later, index=values[name].index))

    # Quarantine, first applicable reason only.
    usable = np.ones(n, dtype=bool)
    _structure_quarantine(table, q_log, usable)
    usable &= ~_formula_cells(table, positions, q_log, f_log, ("case_id", "filed_date"))
    filed = values["filed_date"]
    filed_empty = (filed.isna() & problems["filed_date"].isna()).to_numpy(dtype=bool)
    checks = [
        ("missing_case_id", "case_id", numbers["case_id"].isna().to_numpy(), ""),
        ("missing_filed_date", "filed_date", filed_empty, ""),
        ("bad_filed_date", "filed_date", filed.isna().to_numpy() & ~filed_empty, ""),
        ("future_filed_date", "filed_date", future_filed, snapshot_text),
    ]
    if "closed_date" in values:
        closed = values["closed_date"]
        before = (closed < filed).fillna(False).to_numpy(dtype=bool)
        checks.append(("closed_before_filed", "closed_date", before, filed))
    for reason, name, mask, detail in checks:
        where = np.flatnonzero(mask & usable)
        q_log.add(where, reason, name, detail=detail if isinstance(detail, str) else _fmt_date(detail.iloc[where]))
        usable &= ~mask

    canon = pd.DataFrame({name: values[name] for name in schema.CASE_COLUMNS if name in values}, copy=False)
    usable = _duplicates(canon, usable, ["case_id"], table.lines, headers, q_log, case_key_codes(numbers))
    del canon

    # Cross-field checks on the rows kept.
    _date_not_before(values, "appeal_filed_date", "closed_date", "appeal_before_closing", usable, f_log)
    _date_not_before(values, "appeal_closed_date", "appeal_filed_date", "appeal_closed_before_appeal",
                     usable, f_log)
    if "suspended_days" in values:
        # Deducted days cannot exceed the case's own length (to its closing, or to the snapshot
        # while pending): trial days = duration - suspended days would be negative.
        end = values["closed_date"] if "closed_date" in values else pd.Series(pd.NaT, index=filed.index)
        end = end.fillna(pd.Timestamp(snapshot_day))
        length = (end - filed).dt.days
        suspended = values["suspended_days"]
        over = ((suspended > length).fillna(False).to_numpy(dtype=bool)) & usable
        where = np.flatnonzero(over)
        f_log.add(where, "suspended_exceeds_duration", "suspended_days",
                  values=_raw(table, positions, "suspended_days").iloc[where].to_numpy(dtype=object),
                  detail=length.iloc[where].astype("Int64").astype(str).to_numpy(dtype=object))
        values["suspended_days"] = suspended.mask(pd.Series(over, index=suspended.index))

    for name in ("case_year", "court_code", "type_code", "case_seq"):
        values[name] = numbers[name]
    # The raw cells are no longer needed but for the case numbers the issue tables repeat:
    # free them before the accepted table is built (peak memory).
    index = table.data.index
    table.data = table.data[[positions["case_id"]]]
    del numbers, problems
    frame = pd.DataFrame({name: values[name] if name in values else _empty_column(name, index)
                          for name in schema.CASE_COLUMNS}, copy=False)
    court = values.get("court")
    values.clear()
    kept = frame if usable.all() else frame.loc[usable]
    del frame
    cases = schema.conform_cases(kept.reset_index(drop=True))
    del kept

    loaded_courts = None
    if courts is not None:
        loaded_courts = _as_courts(courts)
        known = set(loaded_courts.courts["court"].dropna())
        if court is None:
            court = pd.Series(pd.NA, index=index, dtype="string")
        unknown = (court.notna() & ~court.isin(known)).to_numpy(dtype=bool) & usable
        where = np.flatnonzero(unknown)
        f_log.add(where, "unknown_court", "court", values=court.to_numpy(dtype=object)[where])

    issues = f_log.frame()
    if len(issues):
        issues = issues.loc[usable[issues["position"].to_numpy()]]
    _log_load(source, n, len(cases), int(n - len(cases)), len(issues))
    return LoadedCases(
        cases=cases,
        quarantine=_finish_issues(q_log.frame()),
        field_issues=_finish_issues(issues),
        courts=loaded_courts.courts if loaded_courts is not None else None,
        source=source,
        sha256=table.sha256,
        encoding=table.encoding,
        rows_read=n,
        blank_rows=table.blank_rows,
        file_format=table.file_format,
        source_rows=table.lines[usable],
        columns=headers,
        unmapped_columns=unmapped,
        ignored_columns=ignored,
        loaded_courts=loaded_courts,
        snapshot=snapshot_day,
        notes=_table_notes(table),
    )
