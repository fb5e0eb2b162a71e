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

Safety: every parameter is checked before anything is built (the name, the period, the
language and audience, ``min_cell`` >= 1, the kernel, the notebooks' own parameters from
``--params``, and, on the data, that every court of ``court_filter`` exists and that the period
has cases); an existing edition is never overwritten unless ``force``; two runs of the same
edition at once are refused (a lock file ``reports/.lock-NAME`` holds the running process's
id; a lock left by a dead process is taken over); the edition is built in a hidden sibling
folder (``reports/.building-NAME-PID``) and renamed into place at the end, so a half-written
edition never looks complete, and the build folders of dead runs are removed by the next run.
A notebook that fails is kept, marked failed, and the other notebooks still run; the edition's
status is then ``"failed"`` and the command exits non-zero.

``edition.log`` is written by the standard :mod:`logging` module (logger ``courtstudy.edition``,
timestamped lines). A public edition names its data files but never the server's folders:
absolute paths are removed from every file of it (notebooks, pages, JSON, log).
"""

from __future__ import annotations

import contextlib
import json
import logging
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
    LOAD_CACHE_ENV,
    PARAMETERS,
    ParameterError,
    check_run_parameters,
    resolve_inputs,
    split_courts,
)
from courtstudy.report.pages import report_page
from courtstudy.report.publish import LEDGER_ENV
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
                manifest = json.load(fh)
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        # A folder with an incomplete or foreign manifest is not an edition: leave it out
        # rather than break the index of every later edition.
        if not isinstance(manifest, dict) or not isinstance(manifest.get("parameters"), dict):
            continue
        manifest.setdefault("name", manifest_path.parent.name)
        editions.append(manifest)
    editions.sort(key=lambda m: str(m.get("started", "")), reverse=True)
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
    notebook_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    params_file: dict[str, str] | None = None
    kernel_name: str | None = None
    data_range: dict[str, Any] = field(default_factory=dict)


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
                timeout: int | None = None, params_file: str | Path | None = None) -> EditionResult:
    """Run the report notebooks into ``reports_folder/name`` (see the module docstring).

    Parameters are those of :func:`courtstudy.report.notebook.setup` (JSON scalars); ``data`` and
    ``courts`` are resolved to absolute paths (``"demo"`` stays ``"demo"``). ``notebooks``
    selects notebooks by number ("01,02"); ``notebooks_folder`` defaults to the project's
    ``notebooks/``, ``reports_folder`` to its ``reports/``. ``kernel_name`` and the working
    directory (the notebook's folder) are passed to papermill explicitly; without a
    ``kernel_name`` the notebooks run on this Python (:func:`current_python_kernel`). ``timeout``: seconds
    per cell (``None``: no limit). ``params_file``: a TOML file of per-notebook parameters
    (:mod:`courtstudy.report.edition_params`). ``log`` receives the progress lines (default:
    print to stderr); they also go to ``edition.log``. Raises :class:`EditionError` before
    running anything when the name is taken (and not ``force``) or being built by another
    process, a parameter is unusable or there is no notebook; a failing notebook does not
    raise: the result's ``status`` is ``"failed"``.

    The steps: :func:`plan_edition` (check everything), :func:`_edition_lock`,
    :func:`_start_build` (the hidden build folder), :func:`_run_notebooks`,
    :func:`_collect_outputs`, :func:`_edition_manifest`, :func:`_write_printable`,
    :func:`_write_edition_files`, :func:`_scrub_public` (public editions), then
    :func:`_move_into_place` and :func:`write_reports_index`.
    """
    emit = log or (lambda line: print(line, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="courtstudy-edition-") as scratch:
        plan = plan_edition(name, data=data, courts=courts, period=period, as_of=as_of,
                            court_filter=court_filter, lang=lang, audience=audience, seed=seed,
                            min_cell=min_cell, notebooks=notebooks, notebooks_folder=notebooks_folder,
                            reports_folder=reports_folder, force=force, params_file=params_file,
                            kernel_name=kernel_name, load_cache=Path(scratch) / "load")
        with _edition_lock(plan):
            return _build_edition(plan, Path(scratch), emit, kernel_name, progress_bar, timeout)


def _build_edition(plan: EditionPlan, scratch: Path, emit: Callable[[str], None],
                   kernel_name: str | None, progress_bar: bool, timeout: int | None) -> EditionResult:
    """The build itself, under the edition's lock (see :func:`run_edition`)."""
    _clean_dead_builds(plan.folder)
    build = _start_build(plan)
    logger, handlers = _edition_logger(build, emit)
    say = logger.info
    started = _now()
    clock = time.perf_counter()
    parameters = plan.parameters
    say(f"edition {plan.name}: {len(plan.notebooks)} notebook(s), period {parameters['period']}, "
        f"lang {parameters['lang']}, audience {parameters['audience']}, data {plan.cases_path.name}")
    if plan.params_file:
        say(f"notebook parameters from {plan.params_file['file']}: "
            + json.dumps(plan.notebook_parameters, ensure_ascii=False))
    try:
        environment = {LEDGER_ENV: str(scratch / "ledger.json")}
        if parameters["data"] != "demo":  # the demo has its own cache already
            environment[LOAD_CACHE_ENV] = str(scratch / "load")
        with _environment(environment):
            runs = _run_notebooks(plan, build, kernel_name, progress_bar, timeout, say)
        outputs = _collect_outputs(build, plan, runs)
        status = "complete" if all(r.status == "ok" for r in runs) else "failed"
        manifest = _edition_manifest(plan, runs, outputs, status=status, started=started,
                                     finished=_now(), seconds=0.0, kernel_name=kernel_name)
        _write_printable(build, manifest, say)
        manifest["seconds"] = seconds = round(time.perf_counter() - clock, 1)
        manifest["finished"] = _iso(_now())
        (logger.info if status == "complete" else logger.error)(
            f"edition {plan.name}: {status} in {seconds:.1f} s -> {plan.target}")
    except BaseException:
        # Interrupted (Ctrl-C, killed kernel manager ...): no half-built edition is left behind.
        _close_logger(logger, handlers)
        shutil.rmtree(build, ignore_errors=True)
        raise
    _close_logger(logger, handlers)
    _write_edition_files(build, manifest)
    if parameters["audience"] == "public":
        _scrub_public(build, plan)
    _move_into_place(build, plan.target)
    write_reports_index(plan.folder)
    return EditionResult(name=plan.name, path=plan.target, status=status, notebooks=runs,
                         manifest=manifest, seconds=seconds)


def plan_edition(name: str, *, data: str = "demo", courts: str = "", period: str = "2023Q4",
                 as_of: str = "", court_filter: str = "", lang: str = "zh",
                 audience: str = "internal", seed: int = int(PARAMETERS["seed"]),
                 min_cell: int = int(PARAMETERS["min_cell"]),
                 notebooks: str | Sequence[str] | None = None,
                 notebooks_folder: Path | str | None = None,
                 reports_folder: Path | str | None = None, force: bool = False,
                 params_file: str | Path | None = None, kernel_name: str | None = None,
                 load_cache: Path | None = None, check_data: bool = True) -> EditionPlan:
    """Check the name and every parameter and find the notebooks and the data: the
    :class:`EditionPlan` of a run, or :class:`EditionError` before anything is written.
    ``check_data`` loads the export (once; kept in ``load_cache`` for the notebooks) to check
    the court filter and that the period has cases."""
    if not NAME_PATTERN.match(name):
        raise EditionError(f"edition name {name!r}: use letters, digits, '.', '_' or '-' "
                           "(e.g. 2023Q4 or demo-2023Q4)")
    try:
        lang, audience, the_period, _, seed, min_cell = check_run_parameters(
            period=period, as_of=as_of, lang=lang, audience=audience, seed=seed,
            min_cell=min_cell, name=lambda parameter: "--" + parameter.replace("_", "-"))
    except ParameterError as exc:
        raise EditionError(str(exc)) from exc
    if kernel_name:
        _check_kernel(kernel_name)
    chosen = discover_notebooks(notebooks_folder, notebooks)
    if not notebooks:
        # A day or a week makes the short bulletin edition (report.cadence).
        from courtstudy.report.cadence import notebooks_for_period

        chosen = notebooks_for_period(chosen, period)
        if not chosen:
            raise EditionError(f"--period {period}: no report notebook serves this kind of period")
    notebook_parameters: dict[str, dict[str, Any]] = {}
    params_info = None
    if params_file:
        from courtstudy.report.edition_params import ParameterFileError, read_notebook_parameters

        try:
            notebook_parameters, params_info = read_notebook_parameters(params_file, chosen)
        except ParameterFileError as exc:
            raise EditionError(str(exc)) from exc
    # absolute now: the notebooks run with their own folder as working directory, where a
    # relative path would put the build
    folder = Path(reports_folder).resolve() if reports_folder is not None else reports_dir()
    blocker = next((p for p in [folder, *folder.parents] if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise EditionError(f"--reports-dir {folder}: {blocker} 是文件，不能在其中建文件夹 / {blocker} is a "
                           "file, so no folder of editions can be made there")
    target = folder / name
    if target.exists() and not force:
        raise EditionError(f"{target} already exists: choose another name or pass --force to "
                           "replace it")
    try:
        cases_path, courts_path = resolve_inputs(data, courts)
    except ParameterError as exc:
        raise EditionError(str(exc)) from exc
    wanted = split_courts(court_filter)
    data_range: dict[str, Any] = {}
    if check_data:
        data_range = _check_data(data, courts, wanted, the_period, load_cache)
    data_param = "demo" if str(data).strip() == "demo" else str(cases_path)
    courts_param = str(courts_path) if courts and courts_path is not None else ""
    parameters = {"data": data_param, "courts": courts_param, "period": period, "as_of": as_of,
                  "court_filter": ",".join(wanted), "lang": lang,
                  "audience": audience, "seed": seed, "min_cell": min_cell}
    return EditionPlan(name=name, notebooks=chosen, folder=folder, target=target,
                       cases_path=cases_path, courts_path=courts_path, parameters=parameters,
                       force=force, notebook_parameters=notebook_parameters,
                       params_file=params_info, kernel_name=kernel_name, data_range=data_range)


def _check_kernel(kernel_name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel as exc:
        known = ", ".join(sorted(KernelSpecManager().find_kernel_specs())) or "(none)"
        raise EditionError(f"--kernel {kernel_name}: 没有这个 Jupyter 内核 / no such Jupyter kernel; "
                           f"installed: {known} (omit --kernel to run on this Python)") from exc


def _check_data(data: str, courts: str, wanted: list[str], period, load_cache: Path | None) -> dict[str, Any]:
    """Load the export (kept in ``load_cache`` for the notebooks) and check that the courts of
    the filter exist and that the period has cases (filed, closed or pending in it)."""
    from courtstudy.core.errors import StructuralError
    from courtstudy.report.notebook import load_data

    try:
        demo = str(data).strip() == "demo"
        loaded = load_data(data, courts, cache_dir=load_cache if load_cache is not None and not demo else "auto")
    except StructuralError as exc:
        raise EditionError(str(exc)) from exc
    cases = loaded.cases
    names = sorted(cases["court"].dropna().astype(str).unique().tolist())
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise EditionError(f"--court-filter {','.join(unknown)}: 数据中没有这些法院 / not in the data; "
                           f"the courts are {', '.join(names)}")
    scope = cases.loc[cases["court"].isin(wanted)] if wanted else cases
    filed, closed = scope["filed_date"], scope["closed_date"]
    in_period = ((filed <= period.end) & (closed.isna() | (closed >= period.start))).sum()
    first, last = filed.min(), max(filed.max(), closed.max()) if closed.notna().any() else filed.max()
    span = f"{first.date()} ~ {last.date()}" if len(scope) else "(no cases)"
    if not in_period or (len(scope) and period.start > last):
        # (pending cases are "in" every later period, but the data say nothing after their
        # last date)
        raise EditionError(f"--period {period.label}: 该期间（{period.start.date()} ~ {period.end.date()}）"
                           f"没有立案、结案或未结的案件，数据覆盖 {span} / no case is filed, closed or pending "
                           f"in {period.start.date()} ~ {period.end.date()}; the data covers {span}")
    return {"first_date": str(first.date()) if len(scope) else None,
            "last_date": str(last.date()) if len(scope) else None,
            "cases_in_period": int(in_period)}


# ------------------------------------------------------------------------------ lock, log, environment
@contextlib.contextmanager
def _edition_lock(plan: EditionPlan):
    """``reports/.lock-NAME`` for the duration of the run: a second run of the same edition
    refuses while the first is alive; a lock left by a dead process is taken over."""
    plan.folder.mkdir(parents=True, exist_ok=True)
    lock = plan.folder / f".lock-{plan.name}"
    record = json.dumps({"pid": os.getpid(), "host": _host(), "started": _iso(_now())})
    for _attempt in range(2):
        try:
            descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = _read_json(lock)
            if _alive(holder):
                raise EditionError(
                    f"{plan.target}: 另一个进程（{holder.get('pid')}，{holder.get('started')} 开始）正在生成同名版本；"
                    f"请等它结束 / edition {plan.name} is being built by process {holder.get('pid')} since "
                    f"{holder.get('started')}; wait for it to finish") from None
            lock.unlink(missing_ok=True)  # left by a dead run
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
            fh.write(record)
        break
    else:  # pragma: no cover - another process took the stale lock between our two attempts
        raise EditionError(f"{plan.target}: another run took the lock; try again")
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def _host() -> str:
    import socket

    return socket.gethostname()


def _alive(holder: dict[str, Any]) -> bool:
    """Whether the process that wrote a lock (or a build folder) is still running. A lock
    written on another host (a shared reports folder) cannot be checked and is respected."""
    try:
        pid = int(holder.get("pid", 0))
    except (TypeError, ValueError):
        return False
    if pid <= 0:
        return False
    if holder.get("host", _host()) != _host():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_dead_builds(folder: Path) -> list[Path]:
    """Remove ``.building-NAME-PID`` and ``.replaced-NAME-PID`` folders whose process is gone
    (a run killed with SIGKILL or by a power cut cannot clean up after itself)."""
    removed = []
    for path in folder.glob(".building-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if path.is_dir() and pid.isdigit() and not _alive({"pid": int(pid)}):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    for path in folder.glob(".replaced-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if path.is_dir() and pid.isdigit() and not _alive({"pid": int(pid)}):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _edition_logger(build: Path, emit: Callable[[str], None]):
    """The ``courtstudy.edition`` logger writing ``edition.log`` (timestamped) and passing each
    line to ``emit`` (the terminal, or the caller's function)."""
    logger = logging.getLogger("courtstudy.edition")
    logger.setLevel(logging.INFO)
    file_handler = logging.FileHandler(build / "edition.log", encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                                datefmt="%Y-%m-%dT%H:%M:%S%z"))

    class _Emit(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            emit(record.getMessage())

    handlers = [file_handler, _Emit()]
    for handler in handlers:
        logger.addHandler(handler)
    return logger, handlers


def _close_logger(logger: logging.Logger, handlers: list[logging.Handler]) -> None:
    for handler in handlers:
        logger.removeHandler(handler)
        handler.close()


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """Set environment variables for the block (the notebooks' kernels inherit them)."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


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
            parameters = {**plan.parameters, **plan.notebook_parameters.get(source.stem, {})}
            runs.append(_run_one(pm, source, i, len(plan.notebooks), build, plan.target,
                                 parameters, kernel, progress_bar, timeout, say, plan.name))
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
    public = parameters["audience"] == "public"
    data = {"file": cases_path.name, "path": str(cases_path), "sha256": file_sha256(cases_path),
            "courts_file": str(courts_path) if courts_path else None,
            "courts_sha256": file_sha256(courts_path) if courts_path else None}
    if public:
        # A public edition names its files, never the server's folders.
        parameters = {**parameters,
                      **{k: Path(str(parameters[k])).name for k in ("data", "courts") if parameters[k]}}
        data = {**data, "path": None, "courts_file": courts_path.name if courts_path else None}
    return {
        "name": plan.name,
        "status": status,
        "parameters": parameters,
        "notebook_parameters": plan.notebook_parameters,
        "params_file": plan.params_file,
        "as_of": as_of_used,
        "data": data,
        "data_range": plan.data_range,
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


def _write_edition_files(build: Path, manifest: dict[str, Any]) -> None:
    """``manifest.json`` and ``index.html`` of the edition (``edition.log`` is written by the
    logger as the run goes)."""
    from courtstudy.report.pages import edition_index_html as index_page

    with open(build / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2)
    with open(build / "index.html", "w", encoding="utf-8") as fh:
        fh.write(index_page(manifest, manifest.get("reports", [])))


def _scrub_public(build: Path, plan: EditionPlan) -> None:
    """Remove the server's absolute paths from every text file of a public edition: the
    notebooks' injected parameters and papermill metadata, tracebacks, results and log. The
    build and final folders become relative, data files keep only their names, other known
    folders (checkout, environment, home) become placeholders."""
    import site

    def forms(path: Path | str) -> list[str]:
        text = str(path)
        return list(dict.fromkeys([text, json.dumps(text)[1:-1]]))

    pairs: list[tuple[str, str]] = []
    for folder in (build, plan.target):
        for form in forms(folder):
            pairs += [(form + "/", ""), (form, ".")]
    for path in (plan.cases_path, plan.courts_path):
        if path is not None:
            for form in forms(path):
                pairs.append((form, path.name))
    others = [(plan.cases_path.parent, "<data>"), (plan.courts_path.parent if plan.courts_path else None, "<data>"),
              (plan.folder, "<reports>"), (notebooks_dir(), "<notebooks>"),
              (plan.notebooks[0].parent if plan.notebooks else None, "<notebooks>"),
              (PROJECT_ROOT, "<courtstudy>"), (Path(sys.prefix), "<python>"),
              *((Path(p), "<python>") for p in site.getsitepackages()), (Path(tempfile.gettempdir()), "<tmp>"),
              (Path.home(), "~")]
    for path, placeholder in others:
        if path is not None:
            for form in forms(path):
                pairs.append((form, placeholder))
    pairs.sort(key=lambda pair: len(pair[0]), reverse=True)
    for file in build.rglob("*"):
        if not file.is_file() or file.suffix not in (".ipynb", ".html", ".json", ".log", ".md", ".txt", ".csv"):
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        cleaned = text
        for old, new in pairs:
            if old and old in cleaned:
                cleaned = cleaned.replace(old, new)
        if cleaned != text:
            file.write_text(cleaned, encoding="utf-8")


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
