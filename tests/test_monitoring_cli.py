"""The monitoring commands on an export, ISO weeks in ``courtstudy indicators``, and the
bulletin edition chosen by the period's length (issue 14)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from courtstudy import cli
from courtstudy.core.paths import notebooks_dir
from courtstudy.report.cadence import notebooks_for_period
from courtstudy.report.edition import discover_notebooks, plan_edition, run_edition
from courtstudy.simulate import simulate_court
from courtstudy.simulate.demo import courts_export
from courtstudy.simulate.export import write_export


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("monitoring-data")
    sim = simulate_court(scale=0.03, seed=7)
    write_export(sim.cases, folder / "cases.csv", seed=7)
    courts_export(sim.courts).to_csv(folder / "courts.csv", index=False, encoding="utf-8-sig")
    return {"cases": str(folder / "cases.csv"), "courts": str(folder / "courts.csv"),
            "judges": sorted(sim.cases["judge"].dropna().unique())}


def test_indicators_accepts_an_iso_week_and_a_day(export, tmp_path, capsys):
    out = tmp_path / "week.csv"
    assert cli.main(["indicators", export["cases"], "--period", "2023-W47", "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"期间": str})
    assert set(table["期间"]) == {"2023-W47"}                   # zh headers by default
    assert cli.main(["indicators", export["cases"], "--period", "2023-11-22", "--by", "",
                     "--out", str(tmp_path / "day.csv"), "--lang", "en"]) == 0
    day = pd.read_csv(tmp_path / "day.csv", encoding="utf-8-sig", dtype={"Period": str})
    assert list(day["Period"]) == ["2023-11-22"]
    assert cli.main(["indicators", export["cases"], "--period", "2023-W60"]) == 2
    assert "2023 has ISO weeks 1 to 52" in capsys.readouterr().err


def test_project_deadlines_and_audit_commands(export, tmp_path, capsys):
    out = tmp_path / "projection.xlsx"
    assert cli.main(["project", export["cases"], "--courts", export["courts"], "--origin", "2022-09-30",
                     "--target", "结收比>=1", "--draws", "300", "--out", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "From the data of 2022-09-30" in printed and "Clearance rate ≥ 100.0%" in printed
    assert load_workbook(out).sheetnames == ["projection", "targets", "components"]
    out = tmp_path / "judges.xlsx"
    assert cli.main(["project", export["cases"], "--origin", "2022-09-30", "--by", "court,judge",
                     "--draws", "200", "--pseudonymise", "--out", str(out)]) == 0
    components = pd.read_excel(out, sheet_name="components")
    # a zh workbook names its key columns in Chinese too (法院, 承办法官), not court/judge
    assert {"法院", "承办法官"} <= set(components.columns) and "judge" not in components
    assert components["承办法官"].str.startswith("法官").all() and len(components) > 10
    assert not set(components["承办法官"]) & set(export["judges"])
    assert "法院" in pd.read_excel(out, sheet_name="projection").columns
    out = tmp_path / "deadlines.xlsx"
    assert cli.main(["deadlines", export["cases"], "--as-of", "2023-11-22", "--by", "court,team",
                     "--pseudonymise", "--out", str(out)]) == 0
    listed = pd.read_excel(out, sheet_name="cases")
    assert not set(listed["承办法官"].dropna()) & set(export["judges"])
    out = tmp_path / "audit.xlsx"
    assert cli.main(["audit", export["cases"], "--period", "2023", "--out", str(out)]) == 0
    assert "flags" in load_workbook(out).sheetnames


def test_audit_reads_conversions_and_names_a_bad_row(export, tmp_path, capsys):
    good = tmp_path / "conversions.csv"
    pd.DataFrame({"案号": ["x"], "转换日期": ["2023-05-01"]}).to_csv(good, index=False, encoding="utf-8-sig")
    assert cli.main(["audit", export["cases"], "--conversions", str(good)]) == 0
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"案号": ["x", "y"], "转换日期": ["2023-05-01", "五月"]}).to_csv(bad, index=False, encoding="utf-8-sig")
    assert cli.main(["audit", export["cases"], "--conversions", str(bad)]) == 2
    assert "row 3, column converted_date" in capsys.readouterr().err


def test_editions_pick_notebooks_by_period(export, tmp_path):
    week = plan_edition("w", data=export["cases"], period="2023-W47", reports_folder=tmp_path)
    assert [p.name for p in week.notebooks] == ["06_bulletin.ipynb"]
    day = plan_edition("d", data=export["cases"], period="2023-11-22", reports_folder=tmp_path)
    assert [p.name for p in day.notebooks] == ["06_bulletin.ipynb"]
    quarter = plan_edition("q", data=export["cases"], period="2023Q4", reports_folder=tmp_path)
    names = [p.name for p in quarter.notebooks]
    assert "06_bulletin.ipynb" not in names and "05_year_end.ipynb" in names
    assert names == [p.name for p in notebooks_for_period(discover_notebooks(notebooks_dir()), "2023Q4")]
    month = plan_edition("m", data=export["cases"], period="2023-11", reports_folder=tmp_path)
    names = [p.name for p in month.notebooks]             # the monthly dispatch (调度会) edition
    assert "05_year_end.ipynb" in names and "07_extension_audit.ipynb" in names
    assert "06_bulletin.ipynb" not in names
    chosen = plan_edition("x", data=export["cases"], period="2023Q4", notebooks="06", reports_folder=tmp_path)
    assert [p.name for p in chosen.notebooks] == ["06_bulletin.ipynb"]    # an explicit choice stands


def test_public_weekly_bulletin_edition(export, tmp_path, monkeypatch):
    """The bulletin notebook for a week, public audience: complete, no case list, no judge."""
    monkeypatch.setenv("COURTSTUDY_PSEUDONYM_SALT", "monitoring-test-salt")
    result = run_edition("week", data=export["cases"], courts=export["courts"], period="2023-W47",
                         audience="public", lang="zh", reports_folder=tmp_path / "reports",
                         progress_bar=False, log=lambda line: None)
    manifest = json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))
    assert result.status == "complete", manifest["notebooks"]
    assert [n["name"] for n in manifest["notebooks"]] == ["06_bulletin"]
    publication = json.loads((result.path / "06_bulletin" / "publication.json").read_text(encoding="utf-8"))
    withheld = {t["table"] for t in publication["tables"] if t.get("withheld")}
    assert "due_cases" in withheld
    texts = [p.read_text(encoding="utf-8-sig") for p in result.path.rglob("*")
             if p.is_file() and p.suffix in (".csv", ".html", ".json")]
    assert not [name for name in export["judges"] if any(name in t for t in texts)]
    results = json.loads((result.path / "06_bulletin" / "results.json").read_text(encoding="utf-8"))
    assert results["period"]["label"] == "2023-W47"
    assert "2023-W47 审判运行周报" in (result.path / "index.html").read_text(encoding="utf-8")


def test_bulletin_editions_are_titled_as_bulletins():
    from courtstudy.report.pages import edition_title

    assert edition_title({"period": "2023-W47"}) == "2023-W47 审判运行周报"
    assert edition_title({"period": "2023-11-22", "lang": "en"}) == "Daily court bulletin, 2023-11-22"
    assert edition_title({"period": "2023-11"}) == "2023-11 审判质效报告"
    assert edition_title({"period": "not a period"}) == "not a period 审判质效报告"


def test_monitoring_tables_never_carry_a_formula(tmp_path):
    """Judge and team names that look like formulas reach the deadline, projection and audit
    workbooks as text (core.tabular_output), never as live formulas."""
    import openpyxl

    from courtstudy.core.tabular_output import needs_neutralising

    sim = simulate_court(scale=0.02, seed=8, n_courts=3)
    cases = sim.cases.copy()
    cases["judge"] = cases["judge"].astype("string").where(cases.index % 3 != 0, '=HYPERLINK("x","点击")')
    cases["team"] = cases["team"].astype("string").where(cases.index % 5 != 0, "+cmd|' /C calc'!A0")
    path = tmp_path / "cases.csv"
    write_export(cases, path, seed=8)
    outputs = {"deadlines": tmp_path / "d.xlsx", "project": tmp_path / "p.xlsx", "audit": tmp_path / "a.xlsx"}
    assert cli.main(["deadlines", str(path), "--as-of", "2023-11-22", "--by", "court,team,judge",
                     "--out", str(outputs["deadlines"])]) == 0
    assert cli.main(["project", str(path), "--origin", "2022-09-30", "--by", "court,team", "--draws", "200",
                     "--out", str(outputs["project"])]) == 0
    assert cli.main(["audit", str(path), "--out", str(outputs["audit"])]) == 0
    seen = 0
    for out in outputs.values():
        for sheet in openpyxl.load_workbook(out).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (out.name, cell.coordinate)
                    if isinstance(cell.value, str) and needs_neutralising(cell.value):
                        assert cell.quotePrefix, (out.name, cell.coordinate, cell.value)
                        seen += 1
    assert seen > 0     # the hostile names did reach the workbooks, as text
    assert cli.main(["deadlines", str(path), "--out", str(tmp_path / "x.txt")]) == 2


def test_public_audit_edition_names_no_judge(export, tmp_path, monkeypatch):
    """The audit notebook for the public: no case list, no judge funnel, no judge's name."""
    monkeypatch.setenv("COURTSTUDY_PSEUDONYM_SALT", "monitoring-test-salt")
    params = tmp_path / "params.toml"
    params.write_text('["07"]\ndetection_scale = 0.05\n', encoding="utf-8")
    result = run_edition("audit", data=export["cases"], courts=export["courts"], period="2023-11",
                         notebooks="07", params_file=params, audience="public", lang="zh",
                         reports_folder=tmp_path / "reports", progress_bar=False, log=lambda line: None)
    manifest = json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))
    assert result.status == "complete", manifest["notebooks"]
    publication = json.loads((result.path / "07_extension_audit" / "publication.json").read_text(encoding="utf-8"))
    tables = {t["table"]: t for t in publication["tables"]}
    assert tables["flagged_cases"].get("withheld") and "funnel_team" in tables
    assert "funnel_judge" not in tables
    texts = [p.read_text(encoding="utf-8-sig") for p in result.path.rglob("*")
             if p.is_file() and p.suffix in (".csv", ".html", ".json")]
    assert not [name for name in export["judges"] if any(name in t for t in texts)]
