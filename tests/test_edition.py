"""Report editions end to end: papermill runs, outputs, manifest, failures, public release."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from openpyxl import load_workbook
from report_notebooks import make_notebook

from courtstudy import cli
from courtstudy.core.paths import notebooks_dir
from courtstudy.report.edition import (
    EditionError,
    _move_into_place,
    discover_notebooks,
    run_edition,
    write_reports_index,
)
from courtstudy.simulate import simulate_court
from courtstudy.simulate.demo import courts_export
from courtstudy.simulate.export import write_export


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edition-data")
    sim = simulate_court(scale=0.03)
    write_export(sim.cases, folder / "cases.csv", bad_row_share=0.005, seed=5)
    courts_export(sim.courts).to_csv(folder / "courts.csv", index=False, encoding="utf-8-sig")
    from courtstudy.report.language import data_names

    return {"cases": folder / "cases.csv", "courts": folder / "courts.csv",
            "judges": sorted(sim.cases["judge"].dropna().unique()),
            # names that are data: an en edition prints them as the export has them
            "names": data_names(sim.cases, ("court", "team", "cause"))}


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("COURTSTUDY_PSEUDONYM_SALT", "edition-test-salt")


def _no_code(html_text: str, source_snippet: str) -> None:
    """No input prompt, no code editor or highlighted source, and not a line of the code."""
    for marker in ('class="jp-InputPrompt', 'class="jp-OutputPrompt', 'class="jp-CodeMirrorEditor',
                   'class="highlight'):
        assert marker not in html_text, marker
    assert source_snippet not in html_text


def _edition_files(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def test_failing_notebook_is_kept_marked_and_exits_nonzero(small, tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    make_notebook(notebooks / "01_broken.ipynb", "raise RuntimeError('planned failure 1234')")
    make_notebook(notebooks / "02_ok.ipynb",
                  "ctx.say(zh='## 概况', en='## Overview')",
                  "ctx.table('by_court', ctx.cases.groupby('court').size().rename('cases').reset_index())",
                  "ctx.record('accepted', len(ctx.cases))")
    (notebooks / "notes.ipynb").write_text("{}", encoding="utf-8")  # not NN_*: never run
    reports = tmp_path / "reports"
    status = cli.main(["edition", "e1", "--data", str(small["cases"]), "--courts", str(small["courts"]),
                       "--period", "2023Q4", "--notebooks-dir", str(notebooks),
                       "--reports-dir", str(reports), "--no-progress"])
    assert status == 1
    edition = reports / "e1"
    manifest = json.loads((edition / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed"
    assert manifest["kernel_name"] == "courtstudy-current"  # this Python, not an installed kernel
    # the failure did not stop the next notebook
    assert [(n["name"], n["status"]) for n in manifest["notebooks"]] == [("01_broken", "failed"), ("02_ok", "ok")]
    assert "planned failure 1234" in manifest["notebooks"][0]["error"]
    executed = nbformat.read(edition / "01_broken.ipynb", as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors and errors[0]["evalue"] == "planned failure 1234"
    assert "planned failure 1234" in (edition / "01_broken.html").read_text(encoding="utf-8")
    assert "failed" in (edition / "index.html").read_text(encoding="utf-8")
    assert 'class="failed"' in (reports / "index.html").read_text(encoding="utf-8")
    # everything else of the edition is there
    results = json.loads((edition / "02_ok" / "results.json").read_text(encoding="utf-8"))
    assert results["results"]["accepted"] == manifest["rows"]["accepted"]
    assert manifest["rows"]["accepted"] + manifest["rows"]["quarantined"] == manifest["rows"]["rows_read"]
    assert manifest["data"]["sha256"] == results["source"]["sha256"]
    assert load_workbook(edition / "tables.xlsx").sheetnames == ["目录", "02 by_court"]
    assert (edition / "02_ok" / "tables" / "by_court.csv").exists()
    _no_code((edition / "02_ok.html").read_text(encoding="utf-8"), "nb.setup(")
    # the executed notebooks point at the final folder, not the temporary one
    assert ".building-" not in (edition / "02_ok.ipynb").read_text(encoding="utf-8")
    assert not [p for p in reports.iterdir() if p.name.startswith(".")]
    # an existing edition is never overwritten silently
    with pytest.raises(EditionError, match="already exists"):
        run_edition("e1", data=str(small["cases"]), notebooks_folder=notebooks, reports_folder=reports)
    assert "01_broken failed" in (edition / "edition.log").read_text(encoding="utf-8")


def test_parameters_are_checked_before_anything_runs(small, tmp_path):
    notebooks = tmp_path / "nbs"
    make_notebook(notebooks / "01_x.ipynb")
    common = {"data": str(small["cases"]), "notebooks_folder": notebooks, "reports_folder": tmp_path / "r"}
    for kwargs, needle in [({"period": "2023Q9"}, "--period"), ({"lang": "de"}, "--lang"),
                           ({"audience": "press"}, "--audience"), ({"as_of": "soon"}, "--as-of"),
                           ({"notebooks": "07"}, "07 not found")]:
        with pytest.raises(EditionError, match=needle):
            run_edition("e", **common, **kwargs)
    with pytest.raises(EditionError, match="edition name"):
        run_edition("../escape", **common)
    with pytest.raises(EditionError, match="does not exist"):
        run_edition("e", data=str(tmp_path / "missing.csv"), notebooks_folder=notebooks,
                    reports_folder=tmp_path / "r")
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
    assert cli.main(["edition", "e", "--period", "2023Q4"]) == 2  # no --data, no --demo


def test_discover_and_select(tmp_path):
    for stem in ("02_b", "01_a", "10_c"):
        make_notebook(tmp_path / f"{stem}.ipynb")
    (tmp_path / "scratch.ipynb").write_text("{}", encoding="utf-8")
    assert [p.stem for p in discover_notebooks(tmp_path)] == ["01_a", "02_b", "10_c"]
    assert [p.stem for p in discover_notebooks(tmp_path, "10,01")] == ["01_a", "10_c"]


def test_force_replaces_only_after_the_new_edition_is_complete(tmp_path):
    old, new = tmp_path / "e", tmp_path / ".building-e-1"
    old.mkdir()
    (old / "manifest.json").write_text('{"old": true}', encoding="utf-8")
    new.mkdir()
    (new / "manifest.json").write_text('{"old": false}', encoding="utf-8")
    _move_into_place(new, old)
    assert json.loads((old / "manifest.json").read_text(encoding="utf-8")) == {"old": False}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e"]


def test_reports_index_lists_newest_first(tmp_path):
    for name, started in [("a", "2024-01-02T00:00:00+00:00"), ("b", "2024-03-01T00:00:00+00:00"),
                          (".building-c-1", "2025-01-01T00:00:00+00:00")]:
        (tmp_path / name).mkdir()
        manifest = {"name": name, "started": started, "status": "complete",
                    "parameters": {"period": "2023Q4", "audience": "internal", "lang": "zh"}}
        (tmp_path / name / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    text = write_reports_index(tmp_path).read_text(encoding="utf-8")
    assert text.index('href="b/index.html"') < text.index('href="a/index.html"')
    assert ".building-c-1" not in text


def _project_notebooks() -> list[str]:
    return [p.name[:2] for p in sorted(notebooks_dir().glob("0[12]_*.ipynb"))]


@pytest.fixture(scope="module")
def public_en(small, tmp_path_factory):
    """The report notebooks 01 and 02 as a public en edition of the small data (built once)."""
    if len(_project_notebooks()) < 1:
        pytest.skip("the report notebooks are not in the checkout")
    reports = tmp_path_factory.mktemp("public") / "reports"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURTSTUDY_PSEUDONYM_SALT", "edition-test-salt")
        result = run_edition("pub", data=str(small["cases"]), courts=str(small["courts"]),
                             period="2023Q4", audience="public", lang="en",
                             notebooks=",".join(_project_notebooks()), reports_folder=reports,
                             progress_bar=False, log=lambda line: None)
    return result


def test_public_edition_of_the_report_notebooks(small, public_en):
    """The real notebooks on small data for a public audience: complete, no code in the HTML,
    no judge name and no count below the threshold anywhere in what is published."""
    result = public_en
    edition = result.path
    manifest = json.loads((edition / "manifest.json").read_text(encoding="utf-8"))
    assert result.status == "complete", manifest["notebooks"]
    assert manifest["parameters"]["audience"] == "public"
    summary = manifest["suppression"]["summary"]
    assert summary["tables_withheld"] >= 1 or summary["cells_suppressed"] >= 1
    for run in manifest["notebooks"]:
        assert (edition / run["notebook"]).exists()
        _no_code((edition / run["html"]).read_text(encoding="utf-8"), "nb.setup(")
        assert (edition / run["name"] / "results.json").exists()
    csvs = sorted(edition.glob("*/tables/*.csv"))
    sheets = load_workbook(edition / "tables.xlsx").sheetnames
    assert len(csvs) + 1 == len(sheets) > 1  # one sheet per table after the contents sheet
    assert list(edition.glob("*/figures/*.png"))
    published = [p for p in _edition_files(edition) if p.suffix in (".csv", ".html", ".json", ".ipynb")]
    texts = [p.read_text(encoding="utf-8-sig") for p in published]
    book = load_workbook(edition / "tables.xlsx")
    texts.append(" ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                          for v in row if v is not None))
    leaked = [name for name in small["judges"] if any(name in t for t in texts)]
    assert leaked == []
    from courtstudy.report.publish import KEY_NAMES, count_columns
    from courtstudy.report.tables import column_label

    # the CSVs carry display headers: a key column (years averaged, month ...) is known by its label
    key_labels = {column_label(k, "en", kind) for k in KEY_NAMES for kind in ("count", "text")}
    for path in csvs:
        # counts: integer columns as read back, and columns named like a count (those may hold
        # the "<10" marker, so they are read as numbers with the markers set aside)
        frame = pd.read_csv(path, encoding="utf-8-sig")
        numeric = frame.apply(pd.to_numeric, errors="coerce")
        checked = set(count_columns(frame, key_labels)) | set(count_columns(numeric.astype("float64"), key_labels))
        for column in checked:
            values = numeric[column]
            assert not ((values >= 1) & (values < 10)).any(), (path.name, column)


def test_en_edition_speaks_english_pages_tables_workbook_and_figures(small, public_en):
    """An en edition is English throughout: Chinese only where it is data (court, team, cause
    names of the export, printed as they are); every figure has its title, labels and key."""
    from courtstudy.report.language import foreign_words, scan_edition

    edition = public_en.path
    names = small["names"]
    assert scan_edition(edition, "en", names) == {}
    assert len(list(edition.glob("*/tables/*.csv"))) >= 8
    figures = [o["metadata"]["courtstudy"] for p in sorted(edition.glob("0*.ipynb"))
               for c in nbformat.read(p, as_version=4).cells for o in c.get("outputs", [])
               if "figure" in o.get("metadata", {}).get("courtstudy", {})]
    assert len(figures) >= 12
    for meta in figures:
        assert meta["title"] and meta["problems"] == [], (meta["figure"], meta["problems"])
        assert foreign_words("\n".join(meta["texts"]), "en", names) == set(), (meta["figure"], meta["texts"])
