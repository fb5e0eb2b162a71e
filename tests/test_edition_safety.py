"""Editions under misuse (issue 9): parameters checked before anything is built, per-notebook
parameter files, a lock against two runs of one edition, dead builds cleaned, a log from the
logging module, reports folders with broken manifests, public editions without server paths,
notebook 01 on an export without a complete calendar year."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from report_notebooks import make_notebook as notebook

from courtstudy import cli
from courtstudy.core.paths import PROJECT_ROOT, notebooks_dir
from courtstudy.report.edition import EditionError, _clean_dead_builds, plan_edition, run_edition
from courtstudy.simulate import simulate_court
from courtstudy.simulate.demo import courts_export
from courtstudy.simulate.export import write_export


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("safety-data")
    sim = simulate_court(scale=0.02)
    write_export(sim.cases, folder / "cases.csv", seed=3)
    courts_export(sim.courts).to_csv(folder / "courts.csv", index=False, encoding="utf-8-sig")
    return {"cases": folder / "cases.csv", "courts": folder / "courts.csv",
            "court": sorted(sim.cases["court"].unique())[0]}


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("COURTSTUDY_PSEUDONYM_SALT", "safety-test-salt")


@pytest.fixture
def notebooks(tmp_path) -> Path:
    folder = tmp_path / "nbs"
    notebook(folder / "01_first.ipynb", "ctx.record('treatment', treatment)\nctx.record('horizon', horizon)",
             extra=('treatment = "triage"', "horizon = 365", "share = 0.5", "strict = False"))
    notebook(folder / "02_second.ipynb", "ctx.record('n', len(ctx.cases))")
    return folder


# ------------------------------------------------------------------------ checked before building
def test_bad_parameters_are_refused_before_anything_is_built(small, notebooks, tmp_path, capsys):
    common = {"data": str(small["cases"]), "notebooks_folder": notebooks, "reports_folder": tmp_path / "r"}
    for kwargs, needle in [({"period": "2031Q1"}, "no case is filed, closed or pending"),
                           ({"court_filter": "不存在的法院"}, "不存在的法院"),
                           ({"min_cell": 0}, "--min-cell"),
                           ({"kernel_name": "no-such-kernel"}, "no such Jupyter kernel")]:
        with pytest.raises(EditionError, match=needle):
            run_edition("e", **common, **kwargs)
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")

    def argv(period="2023Q4", reports=str(tmp_path / "r"), *extra):
        return ["edition", "e", "--data", str(small["cases"]), "--period", period, "--notebooks-dir",
                str(notebooks), "--reports-dir", reports, "--no-progress", *extra]

    for args in (argv("2031Q1"), argv("2023Q4", str(blocker / "reports")),
                 argv("2023Q4", str(tmp_path / "r"), "--court-filter", "nosuch")):
        assert cli.main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert "Traceback" not in err and len(err.splitlines()) == 1, err
    with pytest.raises(SystemExit) as info:        # argparse refuses --min-cell 0 itself
        cli.main(argv("2023Q4", str(tmp_path / "r"), "--min-cell", "0"))
    assert info.value.code == 2 and "at least 1" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_per_notebook_parameter_file(small, notebooks, tmp_path):
    params = tmp_path / "edition.toml"
    params.write_text('["01_first"]\ntreatment = "fast_track"\nhorizon = 180\nshare = 1\n', encoding="utf-8")
    result = run_edition("p", data=str(small["cases"]), notebooks="01", notebooks_folder=notebooks,
                         reports_folder=tmp_path / "r", progress_bar=False, log=lambda line: None,
                         params_file=params)
    assert result.ok
    recorded = json.loads((result.path / "01_first" / "results.json").read_text(encoding="utf-8"))["results"]
    assert recorded == {"treatment": "fast_track", "horizon": 180}
    manifest = json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["notebook_parameters"] == {"01_first": {"treatment": "fast_track", "horizon": 180, "share": 1.0}}
    assert manifest["params_file"]["file"] == "edition.toml" and len(manifest["params_file"]["sha256"]) == 64


@pytest.mark.parametrize("text, needle", [
    ('["09"]\nx = 1\n', "is not a notebook of this edition"),
    ('["01"]\nnosuch = 1\n', "is not a parameter of 01_first"),
    ('["01"]\nhorizon = "long"\n', "expected a whole number"),
    ('["01"]\nstrict = 1\n', "expected a true/false"),
    ('["01"]\nperiod = "2023Q1"\n', "command line"),
    ('["01"]\ntreatment = ["a", "b"]\n', "expected a text"),
    ('["01"]\nhorizon = 1\n["01_first"]\nshare = 2.0\n', "a second time"),
    ("treatment = 'x'\n", "must be a table"),
    ("[01\n", "not valid TOML"),
])
def test_bad_parameter_files_are_refused(small, notebooks, tmp_path, text, needle):
    params = tmp_path / "bad.toml"
    params.write_text(text, encoding="utf-8")
    with pytest.raises(EditionError, match=re.escape(needle)):
        plan_edition("e", data=str(small["cases"]), notebooks_folder=notebooks,
                     reports_folder=tmp_path / "r", params_file=params, check_data=False)


def test_relative_reports_folder_is_taken_from_where_the_command_runs(small, notebooks, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = plan_edition("e", data=str(small["cases"]), notebooks_folder=notebooks,
                        reports_folder="build/reports", check_data=False)
    assert plan.folder == tmp_path / "build" / "reports"
    assert plan.target == tmp_path / "build" / "reports" / "e"


# ------------------------------------------------------------------------ lock, dead builds, log
def test_lock_log_and_a_broken_manifest_in_the_reports_folder(small, notebooks, tmp_path):
    """A second run of an edition being built is refused; a lock left by a dead process is
    taken over; the log comes from the logging module; folders with a broken manifest do not
    break the index."""
    import socket

    reports = tmp_path / "r"
    (reports / "old").mkdir(parents=True)
    (reports / "old" / "manifest.json").write_text('{"name": "old", "status": "complete"}', encoding="utf-8")
    (reports / "junk").mkdir()
    (reports / "junk" / "manifest.json").write_text('["not", "an", "edition"]', encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    lock = reports / ".lock-e"
    try:
        lock.write_text(json.dumps({"pid": child.pid, "host": socket.gethostname(),
                                    "started": "2024-01-01T00:00:00+00:00"}), encoding="utf-8")
        with pytest.raises(EditionError, match=f"being built by process {child.pid}"):
            run_edition("e", data=str(small["cases"]), notebooks_folder=notebooks, reports_folder=reports,
                        progress_bar=False, log=lambda line: None)
        assert not (reports / "e").exists()
    finally:
        child.kill()
        child.wait()
    lines: list[str] = []
    result = run_edition("e", data=str(small["cases"]), notebooks=["02"], notebooks_folder=notebooks,
                         reports_folder=reports, progress_bar=False, log=lines.append)
    assert result.ok and not lock.exists()       # the dead holder's lock was taken over, then released
    log = (result.path / "edition.log").read_text(encoding="utf-8").splitlines()
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4} (INFO|ERROR) ")
    assert log and all(stamp.match(line) for line in log), log
    assert [stamp.sub("", line) for line in log] == lines
    assert "02_second ok" in log[-2] and "complete" in log[-1]
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="e/index.html"' in index and "junk" not in index


def test_build_folders_of_dead_runs_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".building-x-{dead.pid}").mkdir()
    (tmp_path / f".replaced-x-{dead.pid}").mkdir()
    (tmp_path / f".building-y-{os.getpid()}").mkdir()          # this very process: alive
    removed = _clean_dead_builds(tmp_path)
    assert sorted(p.name for p in removed) == [f".building-x-{dead.pid}", f".replaced-x-{dead.pid}"]
    assert (tmp_path / f".building-y-{os.getpid()}").exists()


# ------------------------------------------------------------------------ public editions
def test_public_edition_carries_no_server_path_and_no_small_count(small, tmp_path):
    reports = tmp_path / "reports"
    folder = tmp_path / "nbs"
    notebook(folder / "01_fail.ipynb", "ctx.table('by_court', ctx.cases.groupby('court').size().rename('cases').reset_index())",
             "import pathlib; raise RuntimeError(f'broken at {pathlib.Path(nb.__file__)}')")
    notebook(folder / "02_say.ipynb",
             "ctx.write(ctx.text(f'未结超过 12 个月的案件共 {3:,} 件。', f'{3:,} cases pending for over 12 months.'))",
             "ctx.headline(ctx.text('共 2 件', '2 cases'))",
             "ctx.record('pending_over_12m', 3)\nctx.record('closed', 250)\nctx.record('text', '共 4 件')",
             "ctx.write(ctx.text(f'共 {ctx.count(7)} 件', f'{ctx.count(7)} cases'))")
    result = run_edition("pub", data=str(small["cases"]), courts=str(small["courts"]), audience="public",
                         lang="en", notebooks_folder=folder, reports_folder=reports, progress_bar=False,
                         log=lambda line: None)
    assert [n["status"] for n in result.manifest["notebooks"]] == ["failed", "ok"]
    forbidden = {str(small["cases"].parent), str(reports), str(PROJECT_ROOT), str(folder), str(Path.home()),
                 sys.prefix}
    for path in result.path.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".ipynb", ".html", ".log"):
            text = path.read_text(encoding="utf-8")
            for root in forbidden:
                assert root not in text and json.dumps(root)[1:-1] not in text, (path.name, root)
    manifest = json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["data"] == "cases.csv" and manifest["data"]["path"] is None
    assert manifest["data"]["sha256"]
    # every number the narrative and results.json print follows the small-count rule
    results = json.loads((result.path / "02_say" / "results.json").read_text(encoding="utf-8"))
    assert results["results"]["pending_over_12m"] == "<10" and results["results"]["closed"] == 250
    assert results["results"]["text"] == "共 <10 件" and results["results"]["headlines"] == ["<10 cases"]
    page = (result.path / "02_say.html").read_text(encoding="utf-8")
    assert "3 cases pending" not in page and "&lt;10 cases pending" in page
    assert "7 cases" not in page


# ------------------------------------------------------------------------ notebook 01, a partial year
@pytest.mark.skipif(not (notebooks_dir() / "01_data_quality.ipynb").exists(), reason="no notebook 01")
def test_notebook_01_runs_on_an_export_without_a_complete_calendar_year(tmp_path):
    sim = simulate_court(scale=0.02)
    cases = sim.cases[(sim.cases["filed_date"] >= "2023-03-01") & (sim.cases["filed_date"] <= "2023-10-31")].copy()
    cases.loc[cases["closed_date"] > pd.Timestamp("2023-11-30"), "closed_date"] = pd.NaT
    for column in ("appeal_filed_date", "appeal_closed_date"):
        cases.loc[cases[column] > pd.Timestamp("2023-11-30"), column] = pd.NaT
    write_export(cases, tmp_path / "partial.csv", seed=2)
    result = run_edition("partial", data=str(tmp_path / "partial.csv"), period="2023Q3", notebooks="01",
                         reports_folder=tmp_path / "r", progress_bar=False, log=lambda line: None)
    assert result.ok, result.manifest["notebooks"]
    assert "no complete calendar year" in (result.path / "01_data_quality.ipynb").read_text(encoding="utf-8") \
        or "没有完整的自然年" in (result.path / "01_data_quality.ipynb").read_text(encoding="utf-8")
