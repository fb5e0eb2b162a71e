"""Report editions: every report notebook run by papermill into ``reports/NAME/``.

:func:`run_edition` runs the notebooks ``NN_*.ipynb`` of the notebooks folder (all of them by
default, in name order, so a new notebook joins the next edition by itself) with the same
parameters, and leaves in ``reports/NAME/``:

* ``NN_name.ipynb``: the executed notebook (with the error shown when it failed);
* ``NN_name.html``: the notebook for readers, without code (nbconvert ``exclude_input``) and
  without the injected-parameters cell;
* ``NN_name/tables/*.csv`` (UTF-8 with BOM), ``NN_name/figures/*.png``, ``NN_name/results.json``
  and ``NN_name/publication.json``: written by the notebooks through
  :mod:`courtstudy.report.notebook`;
* ``tables.xlsx``: every table of the edition, one sheet each (``NN_table``);
* ``index.html``: the edition's contents; ``edition.log``: the run's progress lines;
* ``manifest.json``: parameters, the data file's SHA-256, rows read/accepted/quarantined,
  package version, git commit, start and end time, each notebook's status and duration, and
  what the public-audience rules suppressed.

``reports/index.html`` lists every edition, newest first.

Safety: an existing edition is never overwritten unless ``force``; the edition is built in a
hidden sibling folder (``reports/.building-NAME-PID``) and renamed into place at the end, so a
half-written edition never looks complete. A notebook that fails is kept, marked failed, and
the other notebooks still run; the edition's status is then ``"failed"`` and the command exits
non-zero.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from courtstudy import __version__
from courtstudy.core.errors import CourtstudyError
from courtstudy.core.paths import PROJECT_ROOT, file_sha256, notebooks_dir, reports_dir
from courtstudy.report.kernels import IPCKernelManager
from courtstudy.report.notebook import (
    AUDIENCES,
    LANGUAGES,
    PARAMETERS,
    ParameterError,
    resolve_inputs,
    split_courts,
)
from courtstudy.report.pages import report_page
from courtstudy.report.workbook import merge_workbooks

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")
NOTEBOOK_PATTERN = re.compile(r"^(\d{2})_[A-Za-z0-9_\-]+\.ipynb$")
#: Kernel used when none is given: a kernelspec written for the run that starts this very
#: interpreter (a user-level "python3" kernelspec could point at another Python).
DEFAULT_KERNEL = "courtstudy-current"


class EditionError(CourtstudyError):
    """An edition that cannot be started (existing name, bad parameters, no notebooks)."""


@dataclass
class NotebookRun:
    """The outcome of one notebook in an edition."""

    name: str
    status: str = "pending"  # "ok" | "failed"
    started: str = ""
    finished: str = ""
    seconds: float = 0.0
    error: str = ""
    notebook: str = ""
    html: str = ""


@dataclass
class EditionResult:
    """What :func:`run_edition` produced."""

    name: str
    path: Path
    status: str  # "complete" | "failed"
    notebooks: list[NotebookRun] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "complete"


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def discover_notebooks(directory: Path | str | None = None,
                       selection: str | Sequence[str] | None = None) -> list[Path]:
    """The report notebooks ``NN_*.ipynb`` of ``directory`` in name order.

    ``selection`` ("01,02" or a list) keeps the notebooks whose number or full stem is listed;
    a selection that matches nothing raises :class:`EditionError` naming what exists."""
    folder = Path(directory) if directory is not None else notebooks_dir()
    found = sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK_PATTERN.match(p.name))
    if not found:
        raise EditionError(f"{folder}: no report notebooks (NN_name.ipynb) found")
    if selection in (None, "", []):
        return found
    wanted = [s.strip() for s in (selection.split(",") if isinstance(selection, str) else selection)
              if s.strip()]
    chosen = [p for p in found if p.name[:2] in wanted or p.stem in wanted]
    unknown = [w for w in wanted if not any(p.name[:2] == w or p.stem == w for p in found)]
    if unknown:
        raise EditionError(f"--notebooks: {', '.join(unknown)} not found in {folder}; the notebooks "
                           f"are {', '.join(p.stem for p in found)}")
    return chosen


def git_commit(root: Path = PROJECT_ROOT) -> str | None:
    """The checkout's commit (with ``-dirty`` when files are modified), or ``None``."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head


@contextlib.contextmanager
def current_python_kernel(name: str = DEFAULT_KERNEL):
    """Make kernel ``name`` start ``sys.executable`` (the Python running the edition) for the
    duration of the block: a kernelspec in a temporary folder put first on ``JUPYTER_PATH``."""
    with tempfile.TemporaryDirectory(prefix="courtstudy-kernel-") as tmp:
        spec = Path(tmp) / "kernels" / name
        spec.mkdir(parents=True)
        with open(spec / "kernel.json", "w", encoding="utf-8") as fh:
            json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                       "display_name": f"courtstudy ({sys.executable})", "language": "python"}, fh)
        before = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join([tmp, *([before] if before else [])])
        try:
            yield name
        finally:
            if before is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = before


# ------------------------------------------------------------------------------ pages for readers
def write_reports_index(folder: Path) -> Path:
    """Write ``folder/index.html`` listing every edition (folders with a manifest), newest
    first by start time; hidden folders (editions being built) are left out."""
    editions = []
    for manifest_path in folder.glob("*/manifest.json"):
        if manifest_path.parent.name.startswith("."):
            continue
        try:
            with open(manifest_path, encoding="utf-8") as fh:
                editions.append(json.load(fh))
        except (OSError, json.JSONDecodeError):
            continue
    editions.sort(key=lambda m: m.get("started", ""), reverse=True)
    from courtstudy.report.pages import reports_index_html

    # The page's own words follow the newest edition's language.
    lang = editions[0].get("parameters", {}).get("lang", "zh") if editions else "zh"
    out = folder / "index.html"
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(reports_index_html(editions, lang))
    return out


# ------------------------------------------------------------------------------ collecting outputs
def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError):
        return {}


def _error_of(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:
        cell = getattr(exc, "exec_count", None)
        return f"{ename}: {getattr(exc, 'evalue', '')}" + (f" (cell [{cell}])" if cell else "")
    return f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------------------ the runner
@dataclass
class EditionPlan:
    """Everything an edition run needs, checked before anything is built."""

    name: str
    notebooks: list[Path]
    folder: Path
    target: Path
    cases_path: Path
    courts_path: Path | None
    parameters: dict[str, Any]
    force: bool = False


@dataclass
class _Outputs:
    """What the notebooks of an edition left in the build folder."""

    sheets: list[str]
    results: dict[str, dict[str, Any]]
    publications: dict[str, dict[str, Any]]


def run_edition(name: str, *, data: str = "demo", courts: str = "", period: str = "2023Q4",
                as_of: str = "", court_filter: str = "", lang: str = "zh",
                audience: str = "internal", seed: int = int(PARAMETERS["seed"]),
                min_cell: int = int(PARAMETERS["min_cell"]),
                notebooks: str | Sequence[str] | None = None,
                notebooks_folder: Path | str | None = None,
                reports_folder: Path | str | None = None, force: bool = False,
                kernel_name: str | None = None, progress_bar: bool = True,
                log: Callable[[str], None] | None = None,
                timeout: int | None = None) -> EditionResult:
    """Run the report notebooks into ``reports_folder/name`` (see the module docstring).

    Parameters are those of :func:`courtstudy.report.notebook.setup` (JSON scalars); ``data`` and
    ``courts`` are resolved to absolute paths (``"demo"`` stays ``"demo"``). ``notebooks``
    selects notebooks by number ("01,02"); ``notebooks_folder`` defaults to the project's
    ``notebooks/``, ``reports_folder`` to its ``reports/``. ``kernel_name`` and the working
    directory (the notebook's folder) are passed to papermill explicitly; without a
    ``kernel_name`` the notebooks run on this Python (:func:`current_python_kernel`). ``timeout``: seconds
    per cell (``None``: no limit). ``log`` receives the progress lines (default: print to
    stderr). Raises :class:`EditionError` before running anything when the name is taken (and
    not ``force``), a parameter is unusable or there is no notebook; a failing notebook does
    not raise: the result's ``status`` is ``"failed"``.

    The steps: :func:`plan_edition` (check everything), :func:`_start_build` (the hidden build
    folder), :func:`_run_notebooks`, :func:`_collect_outputs`, :func:`_edition_manifest`,
    :func:`_write_edition_files`, then :func:`_move_into_place` and :func:`write_reports_index`.
    """
    emit = log or (lambda line: print(line, file=sys.stderr, flush=True))
    plan = plan_edition(name, data=data, courts=courts, period=period, as_of=as_of,
                        court_filter=court_filter, lang=lang, audience=audience, seed=seed,
                        min_cell=min_cell, notebooks=notebooks, notebooks_folder=notebooks_folder,
                        reports_folder=reports_folder, force=force)
    build = _start_build(plan)
    log_lines: list[str] = []

    def say(line: str) -> None:
        log_lines.append(line)
        emit(line)

    started = _now()
    clock = time.perf_counter()
    say(f"edition {name}: {len(plan.notebooks)} notebook(s), period {period}, lang {lang}, "
        f"audience {audience}, data {plan.cases_path.name}")
    try:
        runs = _run_notebooks(plan, build, kernel_name, progress_bar, timeout, say)
    except BaseException:
        # Interrupted (Ctrl-C, killed kernel manager ...): no half-built edition is left behind.
        shutil.rmtree(build, ignore_errors=True)
        raise
    outputs = _collect_outputs(build, plan, runs)
    status = "complete" if all(r.status == "ok" for r in runs) else "failed"
    manifest = _edition_manifest(plan, runs, outputs, status=status, started=started,
                                 finished=_now(), seconds=0.0, kernel_name=kernel_name)
    _write_printable(build, manifest, say)
    manifest["seconds"] = seconds = round(time.perf_counter() - clock, 1)
    manifest["finished"] = _iso(_now())
    say(f"edition {name}: {status} in {seconds:.1f} s -> {plan.target}")
    _write_edition_files(build, manifest, log_lines)
    _move_into_place(build, plan.target)
    write_reports_index(plan.folder)
    return EditionResult(name=name, path=plan.target, status=status, notebooks=runs,
                         manifest=manifest, seconds=seconds)


def plan_edition(name: str, *, data: str = "demo", courts: str = "", period: str = "2023Q4",
                 as_of: str = "", court_filter: str = "", lang: str = "zh",
                 audience: str = "internal", seed: int = int(PARAMETERS["seed"]),
                 min_cell: int = int(PARAMETERS["min_cell"]),
                 notebooks: str | Sequence[str] | None = None,
                 notebooks_folder: Path | str | None = None,
                 reports_folder: Path | str | None = None, force: bool = False) -> EditionPlan:
    """Check the name and every parameter and find the notebooks and the data: the
    :class:`EditionPlan` of a run, or :class:`EditionError` before anything is written."""
    if not NAME_PATTERN.match(name):
        raise EditionError(f"edition name {name!r}: use letters, digits, '.', '_' or '-' "
                           "(e.g. 2023Q4 or demo-2023Q4)")
    if lang not in LANGUAGES:
        raise EditionError(f"--lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    if audience not in AUDIENCES:
        raise EditionError(f"--audience: expected one of {', '.join(AUDIENCES)}, got {audience!r}")
    from courtstudy.core.periods import parse_period

    try:
        parse_period(period)
    except ValueError as exc:
        raise EditionError(f"--period: {exc}") from exc
    if as_of:
        import pandas as pd

        try:
            pd.Timestamp(as_of)
        except ValueError as exc:
            raise EditionError(f"--as-of: expected an ISO date such as 2024-03-31, got {as_of!r}") from exc
    chosen = discover_notebooks(notebooks_folder, notebooks)
    if not notebooks:
        # A day or a week makes the short bulletin edition (report.cadence).
        from courtstudy.report.cadence import notebooks_for_period

        chosen = notebooks_for_period(chosen, period)
        if not chosen:
            raise EditionError(f"--period {period}: no report notebook serves this kind of period")
    folder = Path(reports_folder) if reports_folder is not None else reports_dir()
    target = folder / name
    if target.exists() and not force:
        raise EditionError(f"{target} already exists: choose another name or pass --force to "
                           "replace it")
    try:
        cases_path, courts_path = resolve_inputs(data, courts)
    except ParameterError as exc:
        raise EditionError(str(exc)) from exc
    data_param = "demo" if str(data).strip() == "demo" else str(cases_path)
    courts_param = str(courts_path) if courts and courts_path is not None else ""
    parameters = {"data": data_param, "courts": courts_param, "period": period, "as_of": as_of,
                  "court_filter": ",".join(split_courts(court_filter)), "lang": lang,
                  "audience": audience, "seed": int(seed), "min_cell": int(min_cell)}
    return EditionPlan(name=name, notebooks=chosen, folder=folder, target=target,
                       cases_path=cases_path, courts_path=courts_path, parameters=parameters,
                       force=force)


def _start_build(plan: EditionPlan) -> Path:
    """The hidden sibling folder the edition is built in (renamed into place at the end)."""
    plan.folder.mkdir(parents=True, exist_ok=True)
    build = plan.folder / f".building-{plan.name}-{os.getpid()}"
    if build.exists():
        shutil.rmtree(build)
    build.mkdir()
    return build


def _run_notebooks(plan: EditionPlan, build: Path, kernel_name: str | None, progress_bar: bool,
                   timeout: int | None, say: Callable[[str], None]) -> list[NotebookRun]:
    """Execute every notebook of the plan in order; a failing notebook does not stop the others."""
    import papermill as pm

    runs: list[NotebookRun] = []
    with contextlib.ExitStack() as stack:
        kernel = kernel_name or stack.enter_context(current_python_kernel())
        for i, source in enumerate(plan.notebooks, 1):
            runs.append(_run_one(pm, source, i, len(plan.notebooks), build, plan.target,
                                 plan.parameters, kernel, progress_bar, timeout, say, plan.name))
    return runs


def _collect_outputs(build: Path, plan: EditionPlan, runs: list[NotebookRun]) -> _Outputs:
    """Merge the notebooks' workbooks into ``tables.xlsx`` and read their results and
    publication records."""
    sheets = merge_workbooks(build / "tables.xlsx", [build / p.stem for p in plan.notebooks],
                             plan.parameters["lang"])
    results = {r.name: _read_json(build / r.name / "results.json") for r in runs}
    publications = {r.name: _read_json(build / r.name / "publication.json") for r in runs}
    return _Outputs(sheets=sheets, results=results, publications=publications)


def _edition_manifest(plan: EditionPlan, runs: list[NotebookRun], outputs: _Outputs, *,
                      status: str, started: datetime, finished: datetime, seconds: float,
                      kernel_name: str | None) -> dict[str, Any]:
    """``manifest.json`` of the edition: parameters, data, rows, versions, times, notebooks and
    what the public-audience rules did."""
    parameters = plan.parameters
    loading = next((v["loading"] for v in outputs.results.values() if v.get("loading")), {})
    as_of_used = next((v["as_of"] for v in outputs.results.values() if v.get("as_of")),
                      parameters["as_of"] or None)
    tables = [t for pub in outputs.publications.values() for t in pub.get("tables", [])]
    cases_path, courts_path = plan.cases_path, plan.courts_path
    return {
        "name": plan.name,
        "status": status,
        "parameters": parameters,
        "as_of": as_of_used,
        "data": {"file": cases_path.name, "path": str(cases_path), "sha256": file_sha256(cases_path),
                 "courts_file": str(courts_path) if courts_path else None,
                 "courts_sha256": file_sha256(courts_path) if courts_path else None},
        "rows": {k: loading.get(k) for k in ("rows_read", "accepted", "quarantined")}
        | {"quarantined_by_reason": loading.get("by_reason", {})},
        "package_version": __version__,
        "python": sys.version.split()[0],
        "kernel_name": kernel_name or DEFAULT_KERNEL,
        "git_commit": git_commit(),
        "started": _iso(started),
        "finished": _iso(finished),
        "seconds": seconds,
        "notebooks": [asdict(r) for r in runs],
        "tables_xlsx_sheets": outputs.sheets,
        "suppression": {
            "audience": parameters["audience"],
            "min_cell": int(parameters["min_cell"]),
            "summary": {
                "tables_withheld": sum(bool(t.get("withheld")) for t in tables),
                "cells_suppressed": sum(int(t.get("cells_suppressed", 0)) for t in tables),
                "rows_suppressed": sum(int(t.get("rows_suppressed", 0)) for t in tables),
                "pseudonymised_columns": sorted({c for t in tables for c in t.get("pseudonymised", [])}),
            },
            "by_notebook": {k: v.get("tables", []) for k, v in outputs.publications.items()},
        },
    }


def _write_printable(build: Path, manifest: dict[str, Any], say: Callable[[str], None]) -> None:
    """The reports' titles and headline findings (``manifest["reports"]``) and the printable
    report (``report.docx``, ``report.pdf``: :mod:`courtstudy.report.printable`); a printable
    that cannot be made is logged and recorded, the HTML edition stands."""
    from courtstudy.report.pages import report_summaries
    from courtstudy.report.printable import write_printable

    lang = manifest["parameters"]["lang"]
    manifest["reports"] = report_summaries(build, manifest["notebooks"], lang)
    printable = write_printable(build, manifest, manifest["reports"])
    manifest["printable"] = {"docx": printable.docx.name if printable.docx else None,
                             "pdf": printable.pdf.name if printable.pdf else None,
                             "tables": printable.tables, "figures": printable.figures,
                             "error": printable.error}
    if printable.error:
        say(f"printable report: {printable.error}")


def _write_edition_files(build: Path, manifest: dict[str, Any], log_lines: list[str]) -> None:
    """``manifest.json``, ``index.html`` and ``edition.log`` of the edition."""
    from courtstudy.report.pages import edition_index_html as index_page

    with open(build / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2)
    with open(build / "index.html", "w", encoding="utf-8") as fh:
        fh.write(index_page(manifest, manifest.get("reports", [])))
    with open(build / "edition.log", "w", encoding="utf-8") as fh:
        fh.write("\n".join(log_lines) + "\n")


def _run_one(pm, source: Path, i: int, total: int, build: Path, target: Path,
             parameters: dict[str, Any], kernel: str, progress_bar: bool, timeout: int | None,
             say: Callable[[str], None], name: str) -> NotebookRun:
    """Execute one notebook into the build folder and write its HTML; never raises for a
    failure inside the notebook."""
    run = NotebookRun(name=source.stem, notebook=source.name, html=f"{source.stem}.html")
    out_dir = build / source.stem
    out_dir.mkdir()
    executed = build / source.name
    say(f"[{i}/{total}] {source.stem} ...")
    run.started = _iso(_now())
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            str(source), str(executed),
            parameters={**parameters, "output_dir": str(out_dir)},
            kernel_name=kernel, cwd=str(source.parent), progress_bar=progress_bar,
            log_output=False, execution_timeout=timeout, kernel_manager_class=IPCKernelManager,
        )
        run.status = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure of one notebook must not stop the others
        run.status = "failed"
        run.error = _error_of(exc)
    run.seconds = round(time.perf_counter() - t0, 1)
    run.finished = _iso(_now())
    if executed.exists():
        _relocate_paths(executed, build, target)
        try:
            body = report_page(executed, name, parameters, out_dir)
            with open(build / run.html, "w", encoding="utf-8") as fh:
                fh.write(body)
        except Exception as exc:  # noqa: BLE001 - the HTML of a broken notebook is optional
            run.error = (run.error + "; " if run.error else "") + f"HTML: {_error_of(exc)}"
            run.html = run.notebook
    else:
        run.html = ""
    say(f"[{i}/{total}] {source.stem} {run.status} in {run.seconds:.1f} s"
        + (f": {run.error}" if run.error else ""))
    return run


def _relocate_paths(executed: Path, build: Path, target: Path) -> None:
    """Point the executed notebook's ``output_dir`` parameter at the final folder (it ran in
    the temporary build folder)."""
    text = executed.read_text(encoding="utf-8")
    old, new = json.dumps(str(build))[1:-1], json.dumps(str(target))[1:-1]
    if old in text:
        with open(executed, "w", encoding="utf-8") as fh:
            fh.write(text.replace(old, new))


def _move_into_place(build: Path, target: Path) -> None:
    """Rename the finished build folder to ``target``; an existing edition (``force``) is moved
    aside first and deleted only after the rename succeeded."""
    old = None
    if target.exists():
        old = target.with_name(f".replaced-{target.name}-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
    os.replace(build, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
