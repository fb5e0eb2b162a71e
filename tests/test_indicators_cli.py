"""``courtstudy indicators``: period labels, BOM, headers and category values in one language."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest
from test_indicators import EXPECTED_Q1_JIA, fixture_cases

from courtstudy.commands.indicators import register
from courtstudy.core.errors import CourtstudyError


def main(argv: list[str]) -> int:
    """``courtstudy`` with only this subcommand registered (as courtstudy.cli.main runs it)."""
    parser = argparse.ArgumentParser(prog="courtstudy")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CourtstudyError:
        return 2


@pytest.fixture()
def data(tmp_path):
    path = tmp_path / "cases.parquet"
    fixture_cases().to_parquet(path)
    return path


def test_csv_zh_headers_bom_and_labels(data, tmp_path):
    out = tmp_path / "q.csv"
    status = main(["indicators", str(data), "--by", "court", "--period", "quarter",
                   "--as-of", "2024-03-31", "--from", "2023-07-01", "--to", "2024-03-31",
                   "--out", str(out), "--lang", "zh"])
    assert status == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"期间": str})
    assert list(table.columns[:3]) == ["法院", "期间", "新收"]
    assert "结案率" in table.columns and "法定审限内结案率" in table.columns
    assert set(table["期间"]) == {"2023Q3", "2023Q4", "2024Q1"}
    row = table[(table["法院"] == "甲") & (table["期间"] == "2024Q1")].iloc[0]
    assert row["结案率"] == pytest.approx(EXPECTED_Q1_JIA["disposition_rate"])
    assert set(table["期间未结束"]) <= {"是", "否"}


def test_group_values_follow_the_language(data, tmp_path):
    """simplified -> 简易程序 in zh, an English label in en: no vocabulary code in either file."""
    from courtstudy.core.schema import VOCABULARIES, label

    found = {}
    for lang in ("zh", "en"):
        out = tmp_path / f"procedure-{lang}.csv"
        assert main(["indicators", str(data), "--by", "court,procedure", "--period", "year", "--as-of",
                     "2024-03-31", "--out", str(out), "--lang", lang]) == 0
        found[lang] = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    zh, en = found["zh"], found["en"]
    assert list(zh.columns[:3]) == ["法院", "审理程序", "期间"]
    assert list(en.columns[:3]) == ["Court", "Procedure", "Period"]
    codes = set(VOCABULARIES["procedure"])
    for frame, column, lang in ((zh, "审理程序", "zh"), (en, "Procedure", "en")):
        values = set(frame[column].dropna())
        assert label("procedure", "simplified", lang) in values and not values & codes, values
    assert "Disposition rate" in en.columns and "disposition_rate" not in en.columns


def test_en_names_month_half_year(data, tmp_path):
    for period, labels in [("month", {"2024-01", "2024-02", "2024-03"}),
                           ("half", {"2024H1"}), ("year", {"2024"})]:
        out = tmp_path / f"{period}.csv"
        assert main(["indicators", str(data), "--period", period, "--as-of", "2024-03-31",
                     "--from", "2024-01-01", "--to", "2024-03-31", "--out", str(out),
                     "--lang", "en"]) == 0
        table = pd.read_csv(out, encoding="utf-8-sig", dtype={"Period": str})
        assert set(table["Period"]) == labels
        assert "Disposition rate" in table.columns and "Court" in table.columns


def test_xlsx_and_bad_extension(data, tmp_path):
    out = tmp_path / "q.xlsx"
    assert main(["indicators", str(data), "--period", "custom", "--from", "2024-01-01",
                 "--to", "2024-03-31", "--as-of", "2024-03-31", "--out", str(out)]) == 0
    table = pd.read_excel(out)
    assert table["期间"].iloc[0] == "2024-01-01~2024-03-31"
    assert main(["indicators", str(data), "--out", str(tmp_path / "q.txt")]) == 2
