"""Every table courtstudy writes for people to open (CSV and XLSX) goes through this module.

Why one module: a court export is hostile input. A party name, a remark or a header written as
``=HYPERLINK(...)``, ``+cmd|...`` or ``@SUM(...)`` is data to us but a formula to Excel, WPS and
LibreOffice, which run it when the file is opened (CSV or formula injection, OWASP; ASVS 1.2.10).
The loader's ``quarantine.csv`` and ``field_issues.csv`` repeat such values on purpose, the
indicator tables carry court, team and judge names, and the edition tables carry all of these:
each writer calls :func:`write_csv` or :func:`write_xlsx` here, so the rule is applied once and
everywhere (a test opens every file the package writes and finds no formula).

The rule (:func:`needs_neutralising`): a *text* cell whose first character is ``=``, ``+``,
``-``, ``@``, a tab, a carriage return or a NUL, possibly after leading spaces, and which is not
simply a number (``-5``, ``+1.5``, ``-1e3`` stay as they are: Excel reads them as numbers, not
formulas). Header names and index values are cells too.

* CSV: the cell is written with a leading apostrophe (``'=1+1``), OWASP's recommendation. Excel
  and WPS show the text and never evaluate it; a program reading the CSV sees the apostrophe,
  which is the price of safety and is documented (docs/assumptions-loader.md).
* XLSX: the value is written unchanged but as a typed text cell (``data_type "s"``) with Excel's
  quote-prefix flag, so it is shown as text, never evaluated, and also stays text if a user
  edits the cell. No apostrophe is added: the workbook keeps the exact value.

Numbers, dates and booleans are written as such. Excel-bound CSV is UTF-8 with a byte-order
mark (Excel needs it to read Chinese).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula (OWASP, ASVS 1.2.10).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\0")
_PLAIN_NUMBER = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")
#: Excel's limit on sheet names.
SHEET_NAME_LIMIT = 31


def needs_neutralising(text: str) -> bool:
    """Whether ``text`` would be run as a formula by a spreadsheet (see the module docstring)."""
    if not text:
        return False
    stripped = text.lstrip(" ")
    if not stripped:
        return False
    return stripped[0] in FORMULA_TRIGGERS and not _PLAIN_NUMBER.match(text)


def neutralise(value: Any) -> Any:
    """A CSV cell made safe: formula-looking text gets a leading apostrophe; anything else is
    returned unchanged."""
    if isinstance(value, str) and needs_neutralising(value):
        return "'" + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    return (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype))


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every formula-looking text cell, column name and index value
    neutralised for CSV (:func:`neutralise`)."""
    out = frame.copy()
    for position in range(out.shape[1]):
        series = out.iloc[:, position]
        if not _is_text_column(series):
            continue
        values = series.to_numpy(dtype=object, na_value=None)
        flags = np.fromiter((isinstance(v, str) and needs_neutralising(v) for v in values),
                            dtype=bool, count=len(values))
        if flags.any():
            values = values.copy()
            values[flags] = ["'" + v for v in values[flags]]
            out.isetitem(position, pd.Series(values, index=out.index, dtype=object))
    out.columns = _neutral_index(out.columns)
    out.index = _neutral_index(out.index)
    return out


def _neutral_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_neutral_index(level) for level in index.levels],
                                verify_integrity=False)
    if not (pd.api.types.is_object_dtype(index.dtype) or pd.api.types.is_string_dtype(index.dtype)):
        return index
    if not any(isinstance(v, str) and needs_neutralising(v) for v in index):
        return index
    return pd.Index([neutralise(v) for v in index], name=index.name, dtype=object)


def _flat_columns(frame: pd.DataFrame) -> pd.DataFrame:
    if isinstance(frame.columns, pd.MultiIndex):
        frame = frame.copy()
        frame.columns = [" / ".join(str(p) for p in c if str(p)) for c in frame.columns]
    return frame


def write_csv(frame: pd.DataFrame, path: str | Path | Any, *, index: bool = False,
              encoding: str = "utf-8-sig") -> None:
    """Write ``frame`` as CSV for Excel (UTF-8 with BOM by default, ``\r\n`` line ends),
    formula-safe. ``path`` may also be an open text stream (standard output)."""
    safe = neutralise_frame(_flat_columns(frame))
    # RFC 4180 line ends: a cell holding a carriage return is then quoted, so it cannot start a
    # new line that Excel reads as a formula.
    if hasattr(path, "write"):
        safe.to_csv(path, index=index, lineterminator="\r\n")
        return
    safe.to_csv(Path(path), index=index, encoding=encoding, lineterminator="\r\n")


def restore(value: Any) -> Any:
    """The value :func:`neutralise` was given: the apostrophe it added removed. (A text that
    itself began with an apostrophe and a formula character reads back without the apostrophe;
    in a workbook it is then still a text cell, never a formula.)"""
    if isinstance(value, str) and value.startswith("'") and needs_neutralising(value[1:]):
        return value[1:]
    return value


def read_csv_back(path: str | Path) -> pd.DataFrame:
    """A CSV written by :func:`write_csv` read back as text cells, headers and values as they
    were before the formula rule (for a workbook built from the CSVs of an edition)."""
    raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    raw.columns = [restore(c) for c in raw.columns]
    for position in range(raw.shape[1]):
        column = raw.iloc[:, position]
        if column.str.startswith("'").any():
            raw.isetitem(position, column.map(restore))
    return raw


def cell_value(value: Any) -> Any:
    """A Python value openpyxl can store: NA/NaN/NaT -> None, numpy scalars unwrapped,
    time-zone-aware times made naive, ``pd.Timestamp`` -> ``datetime``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        value = pd.Timestamp(value).to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, int | str | dt.date | dt.time | dt.timedelta):
        return value
    return str(value)


def set_cell(cell, value: Any) -> None:
    """Store ``value`` in an openpyxl cell; text is always a typed text cell (never a formula),
    with the quote-prefix flag when it looks like one."""
    value = cell_value(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if needs_neutralising(value):
            cell.quotePrefix = True
    elif isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd" if value.time() == dt.time() else "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"


def append_row(sheet, values: Iterable[Any]) -> None:
    """Append one row to an openpyxl worksheet (normal or write-only) through :func:`set_cell`."""
    from openpyxl.cell import WriteOnlyCell

    if getattr(sheet, "_write_only", False) or type(sheet).__name__ == "WriteOnlyWorksheet":
        row = []
        for value in values:
            cell = WriteOnlyCell(sheet)
            set_cell(cell, value)
            row.append(cell)
        sheet.append(row)
        return
    next_row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value is not None else 1
    for column, value in enumerate(values, 1):
        set_cell(sheet.cell(row=next_row, column=column), value)


def frame_rows(frame: pd.DataFrame, *, index: bool = False) -> Iterable[list[Any]]:
    """The header row, then the data rows of ``frame`` (index levels first when ``index``)."""
    frame = _flat_columns(frame)
    if index:
        frame = frame.reset_index()
    yield [str(c) if not isinstance(c, str) else c for c in frame.columns]
    columns = [frame.iloc[:, i].to_numpy(dtype=object) for i in range(frame.shape[1])]
    for i in range(len(frame)):
        yield [column[i] for column in columns]


def sheet_name(name: str) -> str:
    """An Excel-legal sheet name: no ``[]:*?/\\``, at most 31 characters."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'") or "sheet"
    return cleaned[:SHEET_NAME_LIMIT]


def write_xlsx(sheets: Mapping[str, pd.DataFrame] | pd.DataFrame, path: str | Path, *,
               index: bool = False, sheet: str = "Sheet1") -> None:
    """Write one frame (sheet ``sheet``) or {sheet name: frame} as a new workbook, every text
    cell typed as text (:func:`set_cell`). Written to a temporary file and renamed, so a
    reader never sees half a workbook."""
    import openpyxl

    frames = {sheet: sheets} if isinstance(sheets, pd.DataFrame) else dict(sheets)
    workbook = openpyxl.Workbook(write_only=True)
    for name, frame in frames.items():
        target = workbook.create_sheet(sheet_name(name))
        for row in frame_rows(frame, index=index):
            append_row(target, row)
    if not frames:
        append_row(workbook.create_sheet("empty"), [""])
    _save(workbook, Path(path))


def replace_sheet(path: str | Path, name: str, frame: pd.DataFrame, *, index: bool = False) -> None:
    """Put ``frame`` in sheet ``name`` of the workbook at ``path`` (created when missing; an
    existing sheet of that name is replaced, the others are kept)."""
    import openpyxl

    path = Path(path)
    if not path.exists():
        write_xlsx({name: frame}, path, index=index)
        return
    workbook = openpyxl.load_workbook(path)
    title = sheet_name(name)
    position = None
    if title in workbook.sheetnames:
        position = workbook.sheetnames.index(title)
        workbook.remove(workbook[title])
    target = workbook.create_sheet(title, position)
    for row in frame_rows(frame, index=index):
        append_row(target, row)
    _save(workbook, path)


def copy_sheets(sources: Iterable[tuple[str, Path]], path: str | Path) -> list[str]:
    """Copy every sheet of each (prefix, workbook) into one new workbook at ``path`` as sheet
    ``prefix_name``; values are rewritten through :func:`set_cell`, so text read back from a
    workbook can never turn into a formula. Returns the sheet names written."""
    import openpyxl

    merged = openpyxl.Workbook(write_only=True)
    names: list[str] = []
    for prefix, source in sources:
        book = openpyxl.load_workbook(source, read_only=True)
        try:
            for ws in book.worksheets:
                target = merged.create_sheet(sheet_name(f"{prefix}_{ws.title}"))
                for row in ws.iter_rows(values_only=True):
                    append_row(target, row)
                names.append(target.title)
        finally:
            book.close()
    if not names:
        append_row(merged.create_sheet("empty"), ["本版本没有表格 / this edition has no tables"])
    _save(merged, Path(path))
    return names


def _save(workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        workbook.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
