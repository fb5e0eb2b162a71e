"""Validated loading of case-management exports: every row accepted or quarantined, none lost.

``load_cases(path)`` reads a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 or UTF-16, detected: the
bytes are decoded strictly with ``utf-8-sig`` and then ``gb18030``, never with replacement
characters), an XLSX workbook (first sheet) or a Parquet file, finds the header row (the first
of the top 30 rows holding the most recognised headers, so a title line above it is fine),
matches the headers of :mod:`courtstudy.core.schema` (ignoring surrounding spaces, full-width
brackets, ``_``/``-`` and English case; a user ``mapping`` {raw header: canonical name} covers the
rest), reads every cell as text, and converts each column with :mod:`courtstudy.ingest.normalize`.

Row numbers (``row`` in the quarantine and field-issue tables) are the line numbers Excel shows:
the header row's own number counts (a file without a title line has its header on line 1 and
its first data row on line 2). In a CSV with line breaks inside quoted cells this is the record
number, which is again what Excel shows.

Accounting: ``rows_read`` counts the data rows below the header except completely empty ones
(reported apart as ``blank_rows``), and ``accepted + quarantined == rows_read`` always holds:
each quarantined row appears exactly once in the quarantine table, with the first reason that
applies, in this order:

==========================  =============================================================
``malformed_row``            more cells than the header has columns (CSV only)
``missing_case_id``          no case number
``missing_filed_date``       no filing date
``bad_filed_date``           a filing date that is not a date
``closed_before_filed``      a closing date earlier than the filing date
``duplicate_row``            the same canonical values as an earlier row (the first is kept)
``conflicting_duplicate``    the same case number as another usable row, different values
==========================  =============================================================

Conflicting duplicates: one row per case number is kept, the one with the most non-missing
canonical fields, and among equally complete rows the last one in the file; the others are
quarantined and their message names the kept row and the columns that differ. Why: dropping
every copy would remove a case that certainly exists from every count (受理, 结案, 结案率 ...),
a bias worse than keeping one version; the most complete row is usually the later snapshot of
a case (a closing date, a disposition added), and exports append updates at the end.

A bad optional value keeps its row: the field becomes missing and the problem is listed in the
field-issue table (accepted rows only), reasons ``bad_date``, ``bad_amount``, ``bad_integer``,
``negative_value``, ``unknown_category``, ``bad_yes_no``, ``bad_case_number``, ``missing_court``,
``appeal_before_closing`` (appeal date before the closing date: the appeal date is dropped),
``appeal_closed_before_appeal`` (appeal closing before appeal filing: the appeal closing date is
dropped) and ``unknown_court`` (the court is not in the courts table given; value kept).

Structural problems raise :class:`courtstudy.core.errors.StructuralError` naming the file, what was
expected and the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from courtstudy.core import log, schema
from courtstudy.core.errors import StructuralError
from courtstudy.ingest import normalize
from courtstudy.ingest.case_number import parse_case_numbers

logger = logging.getLogger(__name__)
#: A load that quarantines more than this share of its rows is worth a warning.
QUARANTINE_WARNING_SHARE = 0.05

ISSUE_COLUMNS: tuple[str, ...] = ("row", "case_id", "column", "value", "reason", "message_zh", "message_en")
HEADER_SCAN_ROWS = 30

#: reason code -> (zh message, en message); ``{column}``, ``{value}`` and ``{detail}`` are filled in.
MESSAGES: dict[str, tuple[str, str]] = {
    # quarantine (the row is not used)
    "malformed_row": ("该行的单元格比表头多（{detail}），无法确定各值属于哪一列",
                      "the row has more cells than the header ({detail}); values cannot be assigned to columns"),
    "missing_case_id": ("“{column}”为空：没有案号无法识别案件", "'{column}' is empty: a case without a case number cannot be identified"),
    "missing_filed_date": ("“{column}”为空：没有立案日期的案件无法计入任何期间",
                           "'{column}' is empty: a case without a filing date cannot be placed in any period"),
    "bad_filed_date": ("“{column}”的值“{value}”不是日期（可用格式：2023-05-06、2023/5/6、2023.5.6、2023年5月6日、20230506、Excel日期序号）",
                       "'{column}' value '{value}' is not a date (expected 2023-05-06, 2023/5/6, 2023.5.6, 2023年5月6日, 20230506 or an Excel serial day)"),
    "closed_before_filed": ("结案日期“{value}”早于立案日期 {detail}", "closing date '{value}' is before the filing date {detail}"),
    "duplicate_row": ("与第{detail}行完全相同，保留第{detail}行", "exact copy of row {detail}; row {detail} is kept"),
    "conflicting_duplicate": ("案号与其他行相同但内容不同：{detail}", "same case number as another row, different values: {detail}"),
    # field issues (the row is kept, the field becomes missing)
    "bad_date": ("“{column}”的值“{value}”不是日期，按缺失处理", "'{column}' value '{value}' is not a date; treated as missing"),
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
QUARANTINE_ORDER: tuple[str, ...] = ("malformed_row", "missing_case_id", "missing_filed_date", "bad_filed_date",
                                     "closed_before_filed", "duplicate_row", "conflicting_duplicate")
REASON_LABELS_ZH: dict[str, str] = {
    "malformed_row": "格式错误的行", "missing_case_id": "缺少案号", "missing_filed_date": "缺少立案日期",
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
    """A file as text cells: the header row, the data rows (columns by position) and their lines."""

    headers: list[str]
    data: pd.DataFrame
    lines: np.ndarray
    encoding: str | None
    sha256: str
    file_format: str
    malformed: dict[int, str] = field(default_factory=dict)  # position -> detail
    blank_rows: int = 0


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
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _stringify(column: pd.Series) -> pd.Series:
    """A column of any dtype as python strings ("" for missing), each distinct value once."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = np.array([_cell_text(u) for u in uniques] + [""], dtype=object)
    return pd.Series(texts[np.where(codes < 0, len(uniques), codes)], index=column.index, dtype=object)


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig":
            encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text, encoding
    raise StructuralError(
        f"{path}: 无法识别文件编码（已尝试 UTF-8 和 GB18030/GBK）。请在 Excel 或 WPS 中另存为“CSV UTF-8”或 XLSX。\n"
        f"{path}: cannot decode the file as UTF-8 or GB18030/GBK; save it as 'CSV UTF-8' or XLSX and load that."
    )


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
    required = "案号、立案日期" if kind == "cases" else "法院"
    required_en = "案号 (case number) and 立案日期 (filing date)" if kind == "cases" else "法院 (court)"
    enc = f"（按 {encoding} 解码）" if encoding else ""
    return StructuralError(
        f"{path}: 前 {HEADER_SCAN_ROWS} 行中找不到可识别的表头{enc}；首行为 {shown}。需要至少含有{required}等列。"
        f"如果表头叫法不同，请传入 mapping={{'你的表头': 'filed_date'}}（命令行：--map 你的表头=filed_date）。\n"
        f"{path}: no recognised header row in the first {HEADER_SCAN_ROWS} rows; the first row is {shown}. "
        f"Expected columns such as {required_en}. If your headers differ, pass "
        f"mapping={{'your header': 'filed_date'}} (command line: --map 'your header=filed_date')."
    )


def _csv_table(path: Path, data: bytes, lookup: dict[str, str], kind: str, sha: str) -> RawTable:
    text, encoding = _decode(data, path)
    if "\x00" in text:
        raise StructuralError(f"{path}: 不是文本表格（含二进制内容）；需要 CSV、XLSX 或 Parquet 文件。\n"
                              f"{path}: not a text table (binary content); expected a CSV, XLSX or Parquet file.")
    head = "\n".join(text[:1 << 16].splitlines()[: HEADER_SCAN_ROWS + 5])
    best: tuple[int, int, str, list[list[str]]] | None = None
    for sep in (",", "\t", ";", "|"):
        records = list(csv.reader(io.StringIO(head), delimiter=sep))
        index, score = _scan_header(records, lookup)
        if best is None or score > best[1]:
            best = (index, score, sep, records)
    assert best is not None
    index, score, sep, records = best
    if score == 0:
        raise _no_header_error(path, records[0] if records else [], encoding, kind)
    headers = [h.strip() for h in records[index]]
    width = len(headers)
    malformed: dict[int, str] = {}
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, header=None, names=list(range(width)),
                            skiprows=index + 1, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, engine="c")
    except pd.errors.ParserError:
        # Ragged rows: read with the csv module, pad short rows, flag rows with extra content.
        rows: list[list[str]] = []
        for position, record in enumerate(csv.reader(io.StringIO(text), delimiter=sep)):
            if position <= index:
                continue
            if len(record) > width:
                extra = [c for c in record[width:] if c.strip()]
                if extra:
                    malformed[len(rows)] = f"{len(record)} > {width}"
                record = record[:width]
            rows.append(record + [""] * (width - len(record)))
        frame = pd.DataFrame(rows, columns=list(range(width)), dtype=object)
    frame = frame.fillna("")
    lines = np.arange(len(frame)) + index + 2
    return RawTable(headers, frame, lines, encoding, sha, "csv", malformed)


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
    malformed: dict[int, str] = {}
    frame = pd.DataFrame(body, columns=list(range(width)), dtype=object)
    frame = pd.DataFrame({c: _stringify(frame[c]) for c in frame.columns}, index=frame.index)
    lines = np.arange(len(frame)) + index + 2
    return RawTable(headers, frame, lines, None, sha, "xlsx", malformed)


def _frame_table(frame: pd.DataFrame, sha: str, file_format: str) -> RawTable:
    headers = [str(c).strip() for c in frame.columns]
    data = pd.DataFrame({i: _stringify(frame.iloc[:, i]) for i in range(frame.shape[1])},
                        index=pd.RangeIndex(len(frame)))
    return RawTable(headers, data, np.arange(len(frame)) + 2, None, sha, file_format)


def read_table(source: str | Path | pd.DataFrame, lookup: dict[str, str], kind: str = "cases") -> RawTable:
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
            data = path.read_bytes()
        except OSError as exc:
            raise StructuralError(f"{path}: 无法读取文件（{exc.strerror}）；请检查权限或文件是否被其他程序占用。\n"
                                  f"{path}: cannot read the file ({exc.strerror}); check permissions or "
                                  f"whether another program holds it open.") from exc
        sha = hashlib.sha256(data).hexdigest()
        if not data.strip():
            raise StructuralError(f"{path}: 文件为空，没有表头也没有数据；请重新导出。\n"
                                  f"{path}: the file is empty (no header, no rows); export it again.")
        suffix = path.suffix.lower()
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise StructuralError(f"{path}: 这是旧版 Excel（.xls）文件；请在 Excel/WPS 中另存为 .xlsx 或 CSV。\n"
                                  f"{path}: an old Excel .xls workbook; save it as .xlsx or CSV and load that.")
        if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
            table = _xlsx_table(path, lookup, kind, sha)
        elif data.startswith(b"PAR1") or suffix in (".parquet", ".pq"):
            try:
                frame = pd.read_parquet(path)
            except Exception as exc:  # pyarrow raises several types for a damaged file
                raise StructuralError(f"{path}: 无法作为 Parquet 文件读取（{exc}）。\n"
                                      f"{path}: cannot be read as Parquet ({exc}).") from exc
            table = _frame_table(frame, sha, "parquet")
        else:
            table = _csv_table(path, data, lookup, kind, sha)
    blank = (table.data.apply(lambda c: c.str.strip() == "")).all(axis=1) if table.data.shape[1] else \
        pd.Series(True, index=table.data.index)
    if blank.any():
        keep = ~blank.to_numpy()
        positions = np.flatnonzero(keep)
        remap = {int(np.searchsorted(positions, p)): d for p, d in table.malformed.items() if keep[p]}
        table.data = table.data.loc[keep].reset_index(drop=True)
        table.lines = table.lines[keep]
        table.malformed = remap
        table.blank_rows = int((~keep).sum())
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
                   log: IssueLog, problems_out: dict[str, pd.Series] | None = None) -> dict[str, pd.Series]:
    """Each mapped column parsed; bad values logged (reason per row) and set missing."""
    values: dict[str, pd.Series] = {}
    for f in fields:
        if f.name not in positions or f.name == "case_id":
            continue
        raw = table.data[positions[f.name]]
        parsed = normalize.parse_field(raw, f)
        values[f.name] = parsed.values
        problems = parsed.problems
        if problems_out is not None:
            problems_out[f.name] = problems
        bad = problems.notna().to_numpy()
        for reason in pd.unique(problems[bad]):
            where = np.flatnonzero((problems == reason).fillna(False).to_numpy())
            detail = normalize.expected_spellings(f.vocabulary) if reason == "unknown_category" and f.vocabulary else ""
            log.add(where, str(reason), f.name, values=raw.iloc[where].to_numpy(dtype=object), detail=detail)
    return values


def _duplicates(canon: pd.DataFrame, usable: np.ndarray, key: list[str], lines: np.ndarray,
                headers: dict[str, str], log_q: IssueLog) -> np.ndarray:
    """Quarantine exact duplicates, then conflicting rows sharing ``key``; return the new usable mask."""
    usable = usable.copy()
    sub = canon.loc[usable]
    # Equal rows have equal hashes: the exact comparison runs only where hashes repeat.
    hashes = pd.util.hash_pandas_object(sub, index=False)
    candidates = sub.loc[hashes.duplicated(keep=False).to_numpy()]
    members = candidates.duplicated(keep=False)
    members = members[members]
    if len(members):
        rows = sub.loc[members.index]
        group = rows.groupby(list(sub.columns), dropna=False, sort=False).ngroup()
        first = pd.Series(group.index, index=group.index).groupby(group.to_numpy()).transform("min")
        extra = group.index[rows.duplicated(keep="first").to_numpy()]
        kept_lines = lines[first.loc[extra].to_numpy()]
        log_q.add(extra.to_numpy(), "duplicate_row", key[0], detail=kept_lines.astype(str))
        usable[extra.to_numpy()] = False
    sub = canon.loc[usable]
    clash = sub.duplicated(subset=key, keep=False)
    if clash.any():
        groups = sub.loc[clash]
        completeness = groups.notna().sum(axis=1)
        order = pd.DataFrame({"c": completeness, "p": groups.index}, index=groups.index)
        keys = groups[key].astype(str).agg("\x1f".join, axis=1) if len(key) > 1 else groups[key[0]].astype(str)
        order["k"] = keys
        order = order.sort_values(["k", "c", "p"])
        kept = order.groupby("k", sort=False).tail(1).set_index("k")["p"]
        losers = order.loc[~order.index.isin(kept.to_numpy())]
        details_zh, details_en, positions = [], [], []
        for pos, k in zip(losers["p"].to_numpy(), losers["k"].to_numpy(), strict=True):
            winner = int(kept.loc[k])
            a, b = canon.loc[pos], canon.loc[winner]
            differ = [headers.get(c, c) for c in canon.columns
                      if not ((pd.isna(a[c]) and pd.isna(b[c])) or (not pd.isna(a[c]) and not pd.isna(b[c]) and a[c] == b[c]))]
            positions.append(pos)
            details_zh.append(f"不同的列：{'、'.join(differ)}；保留第{lines[winner]}行（信息最完整，同样完整时取靠后的一行）")
            details_en.append(f"columns that differ: {', '.join(differ)}; row {lines[winner]} is kept "
                              "(the most complete, the last among equally complete rows)")
        log_q.add(np.array(positions), "conflicting_duplicate", key[0], detail=np.array(details_zh, dtype=object),
                  detail_en=np.array(details_en, dtype=object))
        usable[np.array(positions)] = False
    return usable


def _fmt_date(values: pd.Series) -> np.ndarray:
    return values.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)


# ------------------------------------------------------------------------------------ results
def _summary(kind_zh: str, kind_en: str, source: Any, encoding: str | None, sha256: str, acc: dict, lang: str,
             extra_zh: list[str], extra_en: list[str]) -> str:
    ok = "✓" if acc["balanced"] else "✗"
    name = Path(str(source)).name
    about_zh = "，".join(x for x in (f"编码 {encoding}" if encoding else "", f"SHA-256 {sha256[:12]}" if sha256 else "") if x)
    about_en = ", ".join(x for x in (f"encoding {encoding}" if encoding else "", f"SHA-256 {sha256[:12]}" if sha256 else "") if x)
    if lang == "zh":
        lines = [f"{kind_zh}文件：{name}" + (f"（{about_zh}）" if about_zh else ""),
                 f"读取 {acc['rows_read']:,} 行：接受 {acc['accepted']:,} 行，隔离 {acc['quarantined']:,} 行"
                 f"（接受 + 隔离 = 读取 {ok}）"]
        if acc["blank_rows"]:
            lines.append(f"另有 {acc['blank_rows']:,} 个空行未计入")
        if acc["by_reason"]:
            lines.append("隔离原因：")
            lines += [f"  {REASON_LABELS_ZH.get(r, r)}（{r}）：{n:,}" for r, n in acc["by_reason"].items()]
        if acc["field_issues_by_column"]:
            lines.append(f"字段问题（行保留，该值按缺失处理）：共 {acc['field_issues']:,} 个")
            lines += [f"  {c}：{n:,}" for c, n in acc["field_issues_by_column"].items()]
        lines += extra_zh
    else:
        lines = [f"{kind_en} file: {name}" + (f" ({about_en})" if about_en else ""),
                 f"Rows read {acc['rows_read']:,}: accepted {acc['accepted']:,}, quarantined {acc['quarantined']:,} "
                 f"(accepted + quarantined = read {ok})"]
        if acc["blank_rows"]:
            lines.append(f"{acc['blank_rows']:,} empty rows were not counted")
        if acc["by_reason"]:
            lines.append("Quarantined by reason:")
            lines += [f"  {r}: {n:,}" for r, n in acc["by_reason"].items()]
        if acc["field_issues_by_column"]:
            lines.append(f"Field issues (row kept, value treated as missing): {acc['field_issues']:,}")
            lines += [f"  {c}: {n:,}" for c, n in acc["field_issues_by_column"].items()]
        lines += extra_en
    return "\n".join(lines)


def _accounting(rows_read: int, accepted: int, quarantine: pd.DataFrame, issues: pd.DataFrame,
                blank_rows: int) -> dict:
    return {
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


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, name in enumerate(table.column_names):
        if pa.types.is_timestamp(table.schema.field(name).type):
            table = table.set_column(i, pa.field(name, pa.date32()), table.column(name).cast(pa.date32()))
    pq.write_table(table, path)


@dataclass
class LoadedCourts:
    """A loaded courts table: canonical rows, quarantined rows and field issues."""

    courts: pd.DataFrame
    quarantine: pd.DataFrame
    field_issues: pd.DataFrame
    source: Path | str
    sha256: str
    encoding: str | None
    rows_read: int
    blank_rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    unmapped_columns: list[str] = field(default_factory=list)

    def accounting(self) -> dict:
        """rows_read, accepted, quarantined, balanced, by_reason, field_issues_by_column ..."""
        return _accounting(self.rows_read, len(self.courts), self.quarantine, self.field_issues, self.blank_rows)

    def summary(self, lang: str = "zh") -> str:
        return _summary("法院表", "Courts", self.source, self.encoding, self.sha256, self.accounting(), lang, [], [])


@dataclass
class LoadedCases:
    """A loaded case export. ``cases`` holds the accepted rows only, canonical columns and dtypes
    (:func:`courtstudy.core.schema.conform_cases`); ``source_rows`` gives each accepted row's line."""

    cases: pd.DataFrame
    quarantine: pd.DataFrame
    field_issues: pd.DataFrame
    courts: pd.DataFrame | None
    source: Path | str
    sha256: str
    encoding: str | None
    rows_read: int
    blank_rows: int = 0
    file_format: str = "csv"
    source_rows: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    columns: dict[str, str] = field(default_factory=dict)
    unmapped_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    loaded_courts: LoadedCourts | None = None

    def accounting(self) -> dict:
        """rows_read, accepted, quarantined, balanced (accepted + quarantined == rows_read),
        blank_rows, by_reason, field_issues, field_issues_by_column, field_issues_by_reason."""
        return _accounting(self.rows_read, len(self.cases), self.quarantine, self.field_issues, self.blank_rows)

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
        return _summary("案件", "Cases", self.source, self.encoding, self.sha256, self.accounting(), lang,
                        extra_zh, extra_en)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write accepted.parquet (dates as date32), quarantine.csv and field_issues.csv (UTF-8 with BOM)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"accepted": out / "accepted.parquet", "quarantine": out / "quarantine.csv",
                 "field_issues": out / "field_issues.csv"}
        _write_parquet(self.cases, paths["accepted"])
        _write_csv(self.quarantine, paths["quarantine"])
        _write_csv(self.field_issues, paths["field_issues"])
        return paths


# ------------------------------------------------------------------------------------ courts
def load_courts(path_or_frame: str | Path | pd.DataFrame, mapping: dict[str, str] | None = None) -> LoadedCourts:
    """Load a courts table (court, year, judges, triage_start, fast_track_start, province).

    Same formats, encodings, headers and value parsing as :func:`load_cases`. Quarantined:
    ``missing_court``, ``duplicate_row`` and ``conflicting_duplicate`` (same court and year,
    different values: the most complete row is kept, then the last). Field issues as for cases.
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
    if table.malformed:
        where = np.array(sorted(table.malformed))
        q_log.add(where, "malformed_row", None, values=np.full(len(where), ""),
                  detail=np.array([table.malformed[p] for p in where], dtype=object))
        usable[where] = False
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
    return LoadedCourts(courts, _finish_issues(q_log.frame()), _finish_issues(issues), source, table.sha256,
                        table.encoding, n, table.blank_rows, headers, unmapped)


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


def load_cases(path: str | Path | pd.DataFrame, mapping: dict[str, str] | None = None,
               courts: str | Path | pd.DataFrame | LoadedCourts | None = None) -> LoadedCases:
    """Load a case-management export into canonical cases, a quarantine table and field issues.

    ``path``: CSV, XLSX or Parquet (or a DataFrame of raw cells); ``mapping``: {raw header:
    canonical name} for headers the dictionary does not list; ``courts``: a courts table (path,
    frame or :class:`LoadedCourts`) attached as ``.courts``, with an ``unknown_court`` field issue
    for each case whose court is not in it. See the module docstring for the rules.

    ``row`` in ``.quarantine`` and ``.field_issues`` (and ``.source_rows``) is the spreadsheet
    line number as Excel shows it: header line = 1 when there is no title line, first data row
    = 2. Raises :class:`~courtstudy.core.errors.StructuralError` when the file is no table of cases.
    """
    fields = schema.CASE_FIELDS
    source = "<DataFrame>" if isinstance(path, pd.DataFrame) else Path(path)
    table = read_table(path, {**header_lookup(fields), **_mapping_keys(mapping)}, kind="cases")
    positions, unmapped, ignored = resolve_columns(table, fields, mapping, source, required=("case_id", "filed_date"))
    headers = {name: table.headers[i] for name, i in positions.items()}
    n = len(table.data)
    q_log = IssueLog(table, headers, positions["case_id"])
    f_log = IssueLog(table, headers, positions["case_id"])

    numbers = parse_case_numbers(table.data[positions["case_id"]])
    problems: dict[str, pd.Series] = {}
    values = _parse_columns(table, positions, fields, f_log, problems)
    values["case_id"] = numbers["case_id"]
    bad_number = (numbers["case_id"].notna() & ~numbers["parsed"]).to_numpy()
    f_log.add(np.flatnonzero(bad_number), "bad_case_number", "case_id")
    for name in ("case_type", "instance"):
        if name in values:
            values[name] = values[name].fillna(numbers[name])
        else:
            values[name] = numbers[name]
    if "court" in values:
        f_log.add(np.flatnonzero(values["court"].isna().to_numpy()), "missing_court", "court")

    # Quarantine, first applicable reason only.
    usable = np.ones(n, dtype=bool)
    if table.malformed:
        where = np.array(sorted(table.malformed))
        q_log.add(where, "malformed_row", None, values=np.full(len(where), ""),
                  detail=np.array([table.malformed[p] for p in where], dtype=object))
        usable[where] = False
    filed = values["filed_date"]
    filed_empty = (filed.isna() & problems["filed_date"].isna()).to_numpy(dtype=bool)
    checks = [
        ("missing_case_id", "case_id", numbers["case_id"].isna().to_numpy(), ""),
        ("missing_filed_date", "filed_date", filed_empty, ""),
        ("bad_filed_date", "filed_date", filed.isna().to_numpy() & ~filed_empty, ""),
    ]
    if "closed_date" in values:
        closed = values["closed_date"]
        before = (closed < filed).fillna(False).to_numpy(dtype=bool)
        checks.append(("closed_before_filed", "closed_date", before, filed))
    for reason, name, mask, detail in checks:
        where = np.flatnonzero(mask & usable)
        q_log.add(where, reason, name, detail=detail if isinstance(detail, str) else _fmt_date(detail.iloc[where]))
        usable &= ~mask

    canon = pd.DataFrame({name: values[name] for name in schema.CASE_COLUMNS if name in values})
    usable = _duplicates(canon, usable, ["case_id"], table.lines, headers, q_log)

    # Cross-field checks on the rows kept.
    if "appeal_filed_date" in values and "closed_date" in values:
        appeal = values["appeal_filed_date"]
        early = ((appeal < values["closed_date"]).fillna(False).to_numpy(dtype=bool)) & usable
        where = np.flatnonzero(early)
        f_log.add(where, "appeal_before_closing", "appeal_filed_date",
                  detail=_fmt_date(values["closed_date"].iloc[where]))
        values["appeal_filed_date"] = appeal.mask(early)
    if "appeal_closed_date" in values and "appeal_filed_date" in values:
        appeal_closed = values["appeal_closed_date"]
        early = ((appeal_closed < values["appeal_filed_date"]).fillna(False).to_numpy(dtype=bool)) & usable
        where = np.flatnonzero(early)
        f_log.add(where, "appeal_closed_before_appeal", "appeal_closed_date",
                  detail=_fmt_date(values["appeal_filed_date"].iloc[where]))
        values["appeal_closed_date"] = appeal_closed.mask(early)

    for name in ("case_year", "court_code", "type_code", "case_seq"):
        values[name] = numbers[name]
    frame = pd.DataFrame({name: values[name] if name in values else _empty_column(name, table.data.index)
                          for name in schema.CASE_COLUMNS})
    cases = schema.conform_cases(frame.loc[usable].reset_index(drop=True))

    loaded_courts = None
    if courts is not None:
        loaded_courts = _as_courts(courts)
        known = set(loaded_courts.courts["court"].dropna())
        court = values["court"] if "court" in values else pd.Series(pd.NA, index=table.data.index, dtype="string")
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
    )
