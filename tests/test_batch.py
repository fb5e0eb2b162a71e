"""``courtstudy validate FOLDER``: every export through the one loader (in a process pool), one
partitioned accepted dataset, one quarantine table, the accounting summed across files."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_indicators import AS_OF, fixture_cases

from courtstudy.indicators import IndicatorEngine
from courtstudy.ingest.batch import export_files, validate_folder
from courtstudy.ingest.loading import load_cases


@pytest.fixture()
def exports(tmp_path):
    """Three exports (court 甲 in two halves, court 乙) with one case closed before it was
    filed, and a file that is not a table of cases."""
    cases = fixture_cases()
    folder = tmp_path / "exports"
    (folder / "2024").mkdir(parents=True)
    jia = cases[cases["court"] == "甲"]
    bad = jia.iloc[:1].assign(case_id="bad1", closed_date=pd.Timestamp("2019-01-01"))
    pd.concat([jia.iloc[:8], bad]).to_csv(folder / "jia-1.csv", index=False)
    jia.iloc[8:].to_csv(folder / "2024" / "jia-2.csv", index=False)
    cases[cases["court"] == "乙"].to_parquet(folder / "yi.parquet", index=False)
    (folder / "notes.csv").write_text("hello,world\n1,2\n", encoding="utf-8")
    (folder / ".hidden.csv").write_text("x\n", encoding="utf-8")
    return folder


def test_folder_validated_in_parallel(exports, tmp_path):
    files = export_files(exports)
    assert [f.name for f in files] == ["jia-2.csv", "jia-1.csv", "notes.csv", "yi.parquet"]
    result = validate_folder(exports, tmp_path / "out", workers=2)
    acc = result.accounting()
    singles = {f.name: load_cases(f) for f in files if f.name != "notes.csv"}
    assert acc["files"] == 4 and acc["failed"] == 1
    assert [r.error is not None for r in result.files] == [False, False, True, False]
    for name in ("rows_read", "accepted", "quarantined", "field_issues"):
        assert acc[name] == sum(s.accounting()[name] for s in singles.values()), name
    assert acc["rows_read"] == 19 and acc["quarantined"] >= 1 and acc["balanced"]
    quarantine = pd.read_parquet(result.paths["quarantine_parquet"])
    assert "bad1" in set(quarantine["case_id"])
    assert set(quarantine["source_file"]) == {str(exports / "jia-1.csv")}
    report = json.loads(result.paths["accounting"].read_text(encoding="utf-8"))
    assert report["total"] == json.loads(json.dumps(acc))
    assert len(report["files"]) == 4
    # the accepted dataset is partitioned by court and gives the engine's numbers in place
    accepted = result.paths["accepted"]
    assert sorted(p.name for p in accepted.iterdir()) == ["court=乙", "court=甲"]
    frame = pd.concat([s.cases for s in singles.values()], ignore_index=True)
    want = IndicatorEngine(frame, as_of=AS_OF).compute(by="court", period="2024Q1")
    got = IndicatorEngine(str(accepted), as_of=AS_OF).compute(by="court", period="2024Q1")
    pd.testing.assert_frame_equal(want, got, check_exact=False, rtol=1e-12)
    assert "合计读取 19 行" in result.summary("zh")


def test_cli_validate_folder(exports, tmp_path, capsys):
    import argparse

    from courtstudy.commands.validate import register

    parser = argparse.ArgumentParser(prog="courtstudy")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["validate", str(exports), "--workers", "1", "--lang", "en"])
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "Rows read 19 in total" in out and "Unreadable: notes.csv" in out
    assert (exports.parent / "exports_validated" / "accepted").is_dir()
