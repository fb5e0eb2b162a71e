"""``courtstudy indicators``: period labels, BOM, Chinese headers, canonical group columns."""

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
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"period": str})
    assert list(table.columns[:3]) == ["court", "period", "新收"]
    assert "结案率" in table.columns and "法定审限内结案率" in table.columns
    assert set(table["period"]) == {"2023Q3", "2023Q4", "2024Q1"}
    row = table[(table["court"] == "甲") & (table["period"] == "2024Q1")].iloc[0]
    assert row["结案率"] == pytest.approx(EXPECTED_Q1_JIA["disposition_rate"])


def test_en_names_month_half_year(data, tmp_path):
    for period, labels in [("month", {"2024-01", "2024-02", "2024-03"}),
                           ("half", {"2024H1"}), ("year", {"2024"})]:
        out = tmp_path / f"{period}.csv"
        assert main(["indicators", str(data), "--period", period, "--as-of", "2024-03-31",
                     "--from", "2024-01-01", "--to", "2024-03-31", "--out", str(out),
                     "--lang", "en"]) == 0
        table = pd.read_csv(out, encoding="utf-8-sig", dtype={"period": str})
        assert set(table["period"]) == labels
        assert "disposition_rate" in table.columns and "court" in table.columns


def test_xlsx_and_bad_extension(data, tmp_path):
    out = tmp_path / "q.xlsx"
    assert main(["indicators", str(data), "--period", "custom", "--from", "2024-01-01",
                 "--to", "2024-03-31", "--as-of", "2024-03-31", "--out", str(out)]) == 0
    table = pd.read_excel(out)
    assert table["period"].iloc[0] == "2024-01-01~2024-03-31"
    assert main(["indicators", str(data), "--out", str(tmp_path / "q.txt")]) == 2
