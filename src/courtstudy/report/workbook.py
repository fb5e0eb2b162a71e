"""``tables.xlsx``: every table of a notebook or an edition, one sheet each, ready for Excel.

A research officer opens the workbook to reuse the numbers, so each sheet is a table, not a dump:

* a **contents sheet** first (目录 / Contents): sheet (a link), title, report, rows, notes;
* **sheet names** from the table's title in the edition's language (a zh edition has Chinese
  sheet names: ``01 读取情况``), prefixed with the notebook number, made unique, at most 31
  characters and without the characters Excel forbids (``[]:*?/\\``);
* on each sheet the **title** in row 1 (with a link back to the contents), the **header** in
  row 2 (bold, frozen with the rows above it), every row of the table, then the notes;
* **number formats** by kind (:data:`courtstudy.report.tables.KINDS`): counts ``#,##0`` (no
  ``.0``), shares ``0.00%``, days ``#,##0.0``, ratios ``0.00``; a missing value is an empty
  cell; **column widths** from the longest value (CJK characters count double).

What goes into a sheet is described by a :class:`SheetTable`; notebooks record theirs in
``tables.json`` beside ``tables/*.csv`` (:func:`read_table_specs`), so an edition's workbook is
rebuilt from the notebooks' CSVs with the formats they were written with (:func:`merge_workbooks`).
Text that Excel would take for a formula (``= + - @`` first) is written as text (:func:`_write`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from courtstudy.core.tabular_output import read_csv_back
from courtstudy.report.tables import _width

#: Excel number format of each value kind.
NUMBER_FORMATS: dict[str, str] = {
    "count": "#,##0", "amount": "#,##0", "percent": "0.00%", "pp": "+0.00%;-0.00%;0.00%",
    "days": "#,##0.0", "ratio": "0.00", "index": "0.00", "signed": "+#,##0.0;-#,##0.0;0",
    "number": "#,##0.####", "date": "yyyy-mm-dd", "text": "@",
}
#: Characters Excel does not allow in a sheet name.
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: Name of the contents sheet.
CONTENTS = {"zh": "目录", "en": "Contents"}
TABLES_JSON = "tables.json"


@dataclass
class SheetTable:
    """One table for the workbook: ``frame`` holds the values as written to the CSV (headers in
    the report's language); ``kinds`` one per column; ``row_kinds`` header -> one kind per row
    (columns whose unit changes by row); ``report``: the report (notebook) it belongs to."""

    name: str
    title: str
    frame: pd.DataFrame
    kinds: list[str]
    sheet: str = ""
    report: str = ""
    notes: list[str] = field(default_factory=list)
    row_kinds: dict[str, list[str]] = field(default_factory=dict)
    csv: str = ""

    def spec(self) -> dict[str, Any]:
        """What ``tables.json`` keeps of it (everything but the values)."""
        return {"name": self.name, "title": self.title, "sheet": self.sheet, "report": self.report,
                "columns": [str(c) for c in self.frame.columns], "kinds": self.kinds,
                "row_kinds": self.row_kinds, "notes": self.notes, "rows": int(len(self.frame)),
                "csv": self.csv}


def sheet_name(title: str, prefix: str = "", taken: Iterable[str] = ()) -> str:
    """A valid, unique sheet name from ``prefix`` and ``title`` (at most 31 characters;
    ``[]:*?/\\`` replaced; ``(2)``, ``(3)`` ... appended when taken, case-insensitively)."""
    base = _FORBIDDEN.sub("-", f"{prefix} {title}".strip() if prefix else title).strip("'") or "表"
    used = {t.lower() for t in taken}
    candidate = base[:31]
    n = 2
    while candidate.lower() in used:
        tail = f"({n})"
        candidate = base[: 31 - len(tail)] + tail
        n += 1
    return candidate


def _cell_value(value: Any) -> Any:
    """A value as a cell holds it: missing -> empty; text that Excel would read as a formula
    (``= + - @`` first) is kept as text by :func:`_write_text` (see there)."""
    from courtstudy.report.tables import is_missing

    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def _write(ws, row: int, column: int, value: Any):
    from courtstudy.core.tabular_output import set_cell

    cell = ws.cell(row=row, column=column)
    set_cell(cell, _cell_value(value))  # text is a text cell, never a formula (one rule for all writers)
    return cell


def write_workbook(path: Path | str, tables: Sequence[SheetTable], lang: str = "zh",
                   reports: dict[str, str] | None = None) -> list[str]:
    """Write ``tables`` to ``path`` (replacing it): the contents sheet, then one sheet each.
    Tables without a ``sheet`` get one from their title. Returns the sheet names in order
    (the contents sheet first)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    zh = lang == "zh"
    book = Workbook()
    contents = book.active
    contents.title = CONTENTS["zh" if zh else "en"]
    taken = [contents.title]
    for table in tables:
        if not table.sheet or table.sheet in taken:
            table.sheet = sheet_name(table.title or table.name, taken=taken)
        taken.append(table.sheet)

    bold = Font(bold=True)
    title_font = Font(bold=True, size=13)
    header_fill = PatternFill("solid", fgColor="E8EEF4")
    rule = Border(bottom=Side(style="thin", color="7F8C99"))
    link_font = Font(color="0563C1", underline="single")

    headers = ["工作表", "表名", "报告", "行数", "说明"] if zh else ["Sheet", "Table", "Report", "Rows", "Notes"]
    _write(contents, 1, 1, "表格目录" if zh else "Tables in this workbook").font = title_font
    for j, text in enumerate(headers, 1):
        cell = contents.cell(row=2, column=j, value=text)
        cell.font, cell.fill, cell.border = bold, header_fill, rule
    for i, table in enumerate(tables, 3):
        cell = _write(contents, i, 1, table.sheet)
        cell.hyperlink = f"#'{table.sheet}'!A1"
        cell.font = link_font
        _write(contents, i, 2, table.title or table.name)
        _write(contents, i, 3, (reports or {}).get(table.report, table.report))
        _write(contents, i, 4, int(len(table.frame))).number_format = NUMBER_FORMATS["count"]
        _write(contents, i, 5, " ".join(table.notes))
    contents.freeze_panes = "A3"
    for j, width in enumerate((24, 40, 24, 8, 60), 1):
        contents.column_dimensions[get_column_letter(j)].width = width

    for table in tables:
        ws = book.create_sheet(table.sheet)
        frame = table.frame
        _write(ws, 1, 1, table.title or table.name).font = title_font
        back = ws.cell(row=1, column=max(2, frame.shape[1] + 1), value="返回目录" if zh else "Contents")
        back.hyperlink = f"#'{contents.title}'!A1"
        back.font = link_font
        widths = []
        for j, column in enumerate(frame.columns, 1):
            cell = _write(ws, 2, j, str(column))
            cell.font, cell.fill, cell.border = bold, header_fill, rule
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            widths.append(_width(str(column)))
        for j, column in enumerate(frame.columns, 1):
            kind = table.kinds[j - 1] if j - 1 < len(table.kinds) else "text"
            per_row = table.row_kinds.get(str(column))
            for i, value in enumerate(frame[column].tolist()):
                cell = _write(ws, i + 3, j, value)
                cell_kind = per_row[i] if per_row is not None and i < len(per_row) else kind
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    cell.number_format = NUMBER_FORMATS.get(cell_kind, "General")
                    cell.alignment = Alignment(horizontal="right")
                    shown = _shown_width(cell.value, cell_kind)
                else:
                    shown = _width(str(cell.value)) if cell.value is not None else 0
                widths[j - 1] = max(widths[j - 1], shown)
        for j, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(j)].width = max(8, min(50, width + 2))
        ws.freeze_panes = "A3"
        row = len(frame) + 4
        for note in table.notes:
            _write(ws, row, 1, note).font = Font(italic=True, color="555555")
            row += 1
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    book.save(tmp)
    tmp.replace(path)
    return [contents.title, *(t.sheet for t in tables)]


def _shown_width(value: float, kind: str) -> int:
    from courtstudy.report.tables import format_value

    return _width(format_value(value, kind))


# ----------------------------------------------------------------------------------- specs
def write_table_specs(folder: Path, tables: Sequence[SheetTable], lang: str, report: str = "") -> Path:
    """``folder/tables.json``: the specs of a notebook's tables (:meth:`SheetTable.spec`)."""
    path = Path(folder) / TABLES_JSON
    payload = {"lang": lang, "report": report, "tables": [t.spec() for t in tables]}
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=2)
    tmp.replace(path)
    return path


def _typed(value: str, kind: str) -> Any:
    if value == "":
        return None
    if kind in ("text", "date"):
        return value
    try:
        number = float(value)
    except ValueError:
        return value  # the public edition's "<10" marker
    return int(number) if number == int(number) and "." not in value and "e" not in value.lower() else number


def read_table_specs(folder: Path) -> tuple[str, list[SheetTable]]:
    """The tables a notebook wrote to ``folder`` (``tables.json`` and ``tables/*.csv``), with
    their values typed back by kind (the ``<10`` marker stays text). Returns (report, tables)."""
    path = Path(folder) / TABLES_JSON
    if not path.is_file():
        return "", []
    with open(path, encoding="utf-8") as fh:
        payload = json.load(fh)
    out = []
    for spec in payload.get("tables", []):
        csv = Path(folder) / spec["csv"]
        if not csv.is_file():
            continue
        raw = read_csv_back(csv)  # the values as the notebook had them (apostrophes of the formula rule removed)
        frame = pd.DataFrame(index=raw.index)
        kinds = spec["kinds"]
        for j, column in enumerate(raw.columns):
            per_row = spec.get("row_kinds", {}).get(column)
            values = raw.iloc[:, j].tolist()
            kinds_of = per_row if per_row else [kinds[j]] * len(values)
            frame[column] = pd.Series([_typed(v, k) for v, k in zip(values, kinds_of, strict=False)],
                                      index=raw.index, dtype=object)
        frame.columns = list(raw.columns)
        out.append(SheetTable(name=spec["name"], title=spec["title"], frame=frame, kinds=kinds,
                              sheet=spec.get("sheet", ""), report=spec.get("report", ""),
                              notes=spec.get("notes", []), row_kinds=spec.get("row_kinds", {}),
                              csv=spec["csv"]))
    return payload.get("report", ""), out


def _report_title(folder: Path, lang: str) -> str:
    """The title of the report whose outputs are in ``folder`` (its executed notebook
    ``folder.ipynb`` beside it), else the folder's name."""
    executed = folder.with_suffix(".ipynb")
    if executed.is_file():
        import nbformat

        from courtstudy.report.reader import notebook_title

        try:
            return notebook_title(nbformat.read(str(executed), as_version=4), lang, folder.name)
        except Exception:  # noqa: BLE001 - an unreadable notebook keeps its folder name
            return folder.name
    return folder.name


def merge_workbooks(target: Path, folders: Sequence[Path], lang: str = "zh",
                    remove: bool = True) -> list[str]:
    """One workbook at ``target`` from the notebooks' output folders (in order), keeping each
    table's sheet name, formats and notes; the per-notebook ``tables.xlsx`` are removed when
    ``remove``. An edition without tables gets a contents sheet that says so. Returns the sheet
    names (contents first)."""
    tables: list[SheetTable] = []
    reports: dict[str, str] = {}
    for folder in folders:
        report, found = read_table_specs(Path(folder))
        report = report or _report_title(Path(folder), lang)
        for table in found:
            table.report = table.report or Path(folder).name
            reports.setdefault(table.report, report or Path(folder).name)
        tables.extend(found)
        if remove:
            (Path(folder) / "tables.xlsx").unlink(missing_ok=True)
    return write_workbook(target, tables, lang, reports=reports)
