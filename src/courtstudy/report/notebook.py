"""The notebook context: what every report notebook starts from and writes through.

A report notebook has exactly one cell tagged ``parameters`` (JSON scalars only, so papermill
can inject them), then calls :func:`setup`::

    # parameters (cell tagged "parameters")
    data = "demo"          # "demo" = the synthetic court's export; else a path (CSV/XLSX/Parquet)
    courts = ""            # courts table path ("" = the demo's when data == "demo", else none)
    period = "2023Q4"      # 2023-11, 2023Q4, 2023H2, 2023 or 2023-02-15~2023-05-31
    as_of = ""             # ISO date of the export snapshot; "" = the latest date in the data
    court_filter = ""      # comma-separated court names; "" = all courts
    lang = "zh"            # "zh" or "en": narrative, labels and figures
    audience = "internal"  # "internal" or "public" (public: small cells suppressed, judges
                           # pseudonymised, case lists withheld)
    output_dir = ""        # where tables/figures/results.json go; "" = write nothing
    seed = 20240101        # seed of anything random in the notebook
    min_cell = 10          # public audience: smallest number of cases a published figure rests on

    # next cell
    from courtstudy.report import notebook as nb
    ctx = nb.setup(data=data, courts=courts, period=period, as_of=as_of,
                   court_filter=court_filter, lang=lang, audience=audience,
                   output_dir=output_dir, seed=seed, min_cell=min_cell)

(``ctx = nb.setup(**nb.parameters_from(globals()))`` is the short form.) Then only narrative,
calls into the package, tables and figures::

    ctx.say(zh="## 一、数据概况", en="## 1. The data")
    ctx.table("accounting", frame, title_zh="读取与接受", title_en="Rows read and accepted")
    ctx.figure("filings_by_month", fig)
    ctx.record("accepted", int(len(ctx.cases)))

What the context writes under ``output_dir`` (nothing when it is ""):

* ``tables/<name>.csv`` (UTF-8 with BOM, for Excel) and a sheet ``<name>`` in ``tables.xlsx``;
* ``figures/<name>.png``;
* ``results.json``: the parameters, the loading accounting and every ``record``-ed value;
* ``publication.json``: for each table, what the public-audience rules withheld, suppressed or
  pseudonymised (:mod:`courtstudy.report.publish`).

Loading the demo export is cached (a pickle keyed by the file's SHA-256, the courts file's
SHA-256, the package version and the loader's source) under ``data/demo/.cache``, so each
notebook starts in about a second after the first.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import pickle
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from courtstudy import __version__
from courtstudy.core import text as _text
from courtstudy.core.errors import CourtstudyError
from courtstudy.core.paths import PACKAGE_DIR, file_sha256
from courtstudy.core.periods import Period, parse_period
from courtstudy.report import tables as _tables
from courtstudy.report.publish import (
    DEFAULT_MIN_CELL,
    DisclosureLedger,
    TableRelease,
    mask_counts_in_text,
    protect_table,
    protect_value,
)

#: The standard parameters of every report notebook and their defaults (JSON scalars).
PARAMETERS: dict[str, str | int] = {
    "data": "demo",
    "courts": "",
    "period": "2023Q4",
    "as_of": "",
    "court_filter": "",
    "lang": "zh",
    "audience": "internal",
    "output_dir": "",
    "seed": 20240101,
    "min_cell": DEFAULT_MIN_CELL,
}
LANGUAGES = ("zh", "en")
AUDIENCES = ("internal", "public")
#: Table and figure names: ASCII, short enough for an Excel sheet name with a "NN_" prefix.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{1,28}$")
#: Display labels (zh, en) of column names that tables commonly carry: the package-wide ones of
#: :mod:`courtstudy.core.text`, overridden by the report table module's own.
COLUMN_LABELS: dict[str, tuple[str, str]] = {**_text.COLUMN_LABELS, **_tables.COLUMN_LABELS}
#: Suffix of comparison columns (``closed_previous``: closed a year earlier).
PREVIOUS_SUFFIX = "_previous"
#: Loader source files whose change makes a cached load stale.
_LOADER_SOURCES = ("ingest/loading.py", "ingest/normalize.py", "ingest/case_number.py",
                  "ingest/csvscan.py", "core/schema.py")
#: Environment variable naming a load cache for one edition run (set by the edition runner, so
#: that the export is read once for all the notebooks of the edition).
LOAD_CACHE_ENV = "COURTSTUDY_LOAD_CACHE"


class ParameterError(CourtstudyError):
    """A notebook parameter that cannot be used (names the parameter and what was expected)."""


def parameters_from(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The standard parameters found in ``namespace`` (a notebook's ``globals()``)."""
    return {k: namespace[k] for k in PARAMETERS if k in namespace}


# ------------------------------------------------------------------------------------- loading
def _loader_fingerprint() -> str:
    digest = hashlib.sha256(__version__.encode("utf-8"))
    for name in _LOADER_SOURCES:
        path = PACKAGE_DIR / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def resolve_inputs(data: str, courts: str = "") -> tuple[Path, Path | None]:
    """Paths of the cases export and the courts table for the ``data``/``courts`` parameters.

    ``data == "demo"`` builds the demo files if needed (:func:`courtstudy.simulate.demo.ensure_demo`) and
    uses its courts table unless ``courts`` names another. Raises :class:`ParameterError` naming
    a path that does not exist."""
    if str(data).strip() == "demo":
        from courtstudy.simulate.demo import ensure_demo

        demo = ensure_demo()
        cases_path, courts_path = demo.cases, demo.courts
        if courts:
            courts_path = Path(courts).expanduser().resolve()
    else:
        cases_path = Path(data).expanduser().resolve()
        courts_path = Path(courts).expanduser().resolve() if courts else None
    if not cases_path.is_file():
        raise ParameterError(f"data: {cases_path} does not exist; pass the path of a case export "
                             "(CSV, XLSX or Parquet) or \"demo\"")
    if courts_path is not None and not courts_path.is_file():
        raise ParameterError(f"courts: {courts_path} does not exist; pass the path of a courts "
                             "table or \"\"")
    return cases_path, courts_path


def load_data(data: str = "demo", courts: str = "", cache_dir: Path | None | str = "auto"):
    """Load the cases (and courts) for the ``data``/``courts`` parameters.

    Returns a :class:`courtstudy.ingest.loading.LoadedCases`. ``cache_dir="auto"`` caches in
    ``$COURTSTUDY_LOAD_CACHE`` when set (an edition run), else demo loads under
    ``data/demo/.cache`` and nothing else; ``None`` never caches; a path caches there.
    The cache key is SHA-256(cases file) + SHA-256(courts file) + the loader's fingerprint, so a
    changed file or loader means a fresh load."""
    from courtstudy.ingest.loading import load_cases

    cases_path, courts_path = resolve_inputs(data, courts)
    if cache_dir == "auto":
        run_cache = os.environ.get(LOAD_CACHE_ENV)
        cache_dir = (Path(run_cache) if run_cache else
                     cases_path.parent / ".cache" if str(data).strip() == "demo" else None)
    if cache_dir is None:
        return load_cases(cases_path, courts=courts_path)
    key = hashlib.sha256("|".join([
        file_sha256(cases_path), file_sha256(courts_path) if courts_path else "", _loader_fingerprint(),
    ]).encode("utf-8")).hexdigest()[:32]
    cache = Path(cache_dir) / f"loaded-{key}.pickle"
    if cache.is_file():
        try:
            with open(cache, "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            warnings.warn(f"{cache}: unreadable cache ({exc}); loading {cases_path} again",
                          stacklevel=2)
    loaded = load_cases(cases_path, courts=courts_path)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        for old in cache.parent.glob("loaded-*.pickle"):
            old.unlink(missing_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(loaded, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError as exc:
        warnings.warn(f"{cache}: cannot write the load cache ({exc}); the next run loads again",
                      stacklevel=2)
    return loaded


# ------------------------------------------------------------------------------------- helpers
def json_safe(value: Any) -> Any:
    """``value`` as plain JSON: numpy/pandas scalars unwrapped, dates ISO, NaN/NA as null,
    frames as lists of records, Periods as labels."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [json_safe(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [json_safe(v) for v in value]
    if isinstance(value, Period):
        return value.label
    if isinstance(value, datetime):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (int, str)):
        return value
    return str(value)


def _write_json(path: Path, payload: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=2)
    os.replace(tmp, path)


def pseudonym_salt() -> str:
    """The secret salt of published pseudonyms (:func:`courtstudy.report.pseudonym.pseudonym_salt`:
    ``$COURTSTUDY_PSEUDONYM_SALT``, else ``data/.pseudonym_salt``, mode 0600)."""
    from courtstudy.report.pseudonym import pseudonym_salt as salt

    return salt()


def _display(*objects: Any, metadata: dict | None = None) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        for obj in objects:
            print(obj)
        return
    if metadata:
        display(*objects, metadata=metadata)
    else:
        display(*objects)


class _TableOutput:
    """A display table as a notebook output: HTML (great_tables) and plain text."""

    def __init__(self, table: _tables.DisplayTable) -> None:
        self.table = table

    def _repr_html_(self) -> str:
        return self.table.html()

    def __repr__(self) -> str:
        return self.table.text()


def split_courts(text: str) -> list[str]:
    """Court names of a ``court_filter`` parameter (separated by ``,`` ``，`` or ``、``)."""
    return [c.strip() for c in re.split(r"[,，、]", str(text or "")) if c.strip()]


# ------------------------------------------------------------------------------------- context
@dataclass
class NotebookContext:
    """What a report notebook works with; build it with :func:`setup`.

    Attributes: ``loaded`` (the :class:`~courtstudy.ingest.loading.LoadedCases`, all courts),
    ``cases`` (accepted cases of the courts in ``court_filter``), ``courts`` (canonical courts
    table, same filter, or ``None``), ``period`` (:class:`~courtstudy.core.periods.Period`),
    ``as_of`` (``pd.Timestamp``), ``lang``, ``audience``, ``output_dir`` (``Path`` or ``None``),
    ``seed``, ``rng`` (``numpy.random.Generator`` from ``seed``), ``min_cell``, ``parameters``
    (as given), ``court_names`` (every court in the data, sorted: the key of the colours),
    ``results`` (what was recorded), ``releases`` (one :class:`~courtstudy.report.publish.TableRelease`
    per table).
    """

    loaded: Any
    cases: pd.DataFrame
    courts: pd.DataFrame | None
    period: Period
    as_of: pd.Timestamp
    lang: str
    audience: str
    output_dir: Path | None
    seed: int
    min_cell: int
    parameters: dict[str, Any]
    court_names: list[str]
    results: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    releases: list[TableRelease] = field(default_factory=list)
    plot_tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    ledger: DisclosureLedger = field(default_factory=DisclosureLedger)
    headlines: list[str] = field(default_factory=list)
    _names: set[tuple[str, str]] = field(default_factory=set, repr=False)
    #: Warnings logged by the package while the notebook runs (courtstudy.core.log).
    log: Any = field(default=None, repr=False)
    _sheets: list[Any] = field(default_factory=list, repr=False)

    # --- conveniences -------------------------------------------------------------------
    @property
    def public(self) -> bool:
        """Whether this is a public-audience edition."""
        return self.audience == "public"

    def close(self) -> None:
        """Stop showing the package's warnings here (detach :attr:`log` from the ``courtstudy``
        logger). A notebook need not call it: its kernel ends; code that builds several contexts
        in one process, or uses one as ``with nb.setup(...) as ctx:``, does."""
        if self.log is not None:
            from courtstudy.core import log

            log.release(self.log)

    def __enter__(self) -> NotebookContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @cached_property
    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    @cached_property
    def colors(self) -> dict[str, str]:
        """Court name -> colour, stable across figures (:func:`courtstudy.report.style.court_palette`
        over every court in the data, not only the filtered ones)."""
        from courtstudy.report.style import court_palette

        return court_palette(self.court_names)

    @cached_property
    def engine(self):
        """An :class:`courtstudy.indicators.IndicatorEngine` over ``cases`` (registered once)."""
        from courtstudy.indicators import IndicatorEngine

        return IndicatorEngine(self.cases, courts=self.courts, as_of=self.as_of)

    def text(self, zh: str, en: str) -> str:
        """``zh`` or ``en`` by the ``lang`` parameter (for labels passed to package functions)."""
        return zh if self.lang == "zh" else en

    # --- output -------------------------------------------------------------------------
    def say(self, zh: str, en: str) -> None:
        """Display Markdown narrative in the notebook's language (both versions are required,
        so an English edition never shows an untranslated paragraph; in a public edition every
        count below ``min_cell`` in the text, "共 3 件", is printed as "<10", the rule of the
        tables: :func:`courtstudy.report.publish.mask_counts_in_text`). Prose that does not
        depend on numbers belongs in Markdown cells tagged ``lang-zh``/``lang-en``; sentences
        that do are written by package functions and shown with :meth:`write`."""
        _display_markdown(self._public_text(self.text(zh, en)))

    def write(self, markdown: str) -> None:
        """Display Markdown already in the notebook's language (a sentence computed by a
        package function from the numbers in front of it); counts follow :meth:`say`."""
        _display_markdown(self._public_text(markdown))

    def headline(self, text: str) -> None:
        """A headline finding: shown as a lead paragraph and kept (in order) in
        ``results.json`` under ``headlines``, from where the edition's index and the first page
        of the printable report take it. ``text`` is in the notebook's language and computed
        from the data (never a sentence written in advance)."""
        text = self._public_text(text)
        self.headlines.append(text)
        self.results["headlines"] = list(self.headlines)
        self._save_results()
        from IPython.display import Markdown

        _display(Markdown(f"**{text}**"), metadata={"courtstudy": {"headline": text}})

    def _public_text(self, text: str) -> str:
        return mask_counts_in_text(text, self.min_cell) if self.public else text

    def count(self, value: Any) -> str:
        """A count for narrative text: ``1,234``, or ``"<10"`` in a public edition when it is
        below ``min_cell`` (write ``f"共 {ctx.count(n)} 件"``)."""
        shown = protect_value(int(value), self.min_cell) if self.public else int(value)
        return shown if isinstance(shown, str) else f"{shown:,}"

    def bullets(self, items: list[tuple[str, str]], empty_zh: str = "", empty_en: str = "") -> None:
        """Display (zh, en) pairs as a Markdown list in the notebook's language; ``empty_zh`` /
        ``empty_en`` are shown instead when there is no item. Counts follow :meth:`say`."""
        if not items:
            if empty_zh or empty_en:
                self.say(zh=empty_zh, en=empty_en)
            return
        _display_markdown(self._public_text("\n".join(f"- {self.text(zh, en)}" for zh, en in items)))

    def _claim(self, name: str, kind: str) -> None:
        if not NAME_PATTERN.match(name):
            raise ValueError(f"{kind} name {name!r}: use 1-28 ASCII letters, digits, '_' or '-'")
        if (kind, name) in self._names:
            raise ValueError(f"{kind} name {name!r} is used twice in this notebook")
        self._names.add((kind, name))

    @property
    def report_prefix(self) -> str:
        """The notebook's number in an edition (``01`` for ``output_dir`` ``.../01_data_quality``),
        or ``""``: the prefix of its workbook sheets."""
        if self.output_dir is not None:
            match = re.match(r"^(\d{2})_", self.output_dir.name)
            if match:
                return match.group(1)
        return ""

    def _pick(self, value: Any) -> str:
        """A (zh, en) pair in the notebook's language; a plain string as it is."""
        if isinstance(value, tuple | list) and len(value) == 2:
            return self.text(*value)
        return str(value)

    def table(self, name: str, frame: pd.DataFrame, *, title_zh: str = "", title_en: str = "",
              basis: str | list[str] | None = None, case_level: bool = False,
              keys: tuple[str, ...] | list[str] = (), labels: bool = True,
              max_rows: int = _tables.DEFAULT_MAX_ROWS, kinds: Mapping[str, str] | None = None,
              row_kinds: Mapping[str, Any] | None = None, hide: tuple[str, ...] | list[str] = (),
              notes: tuple | list = (), why_missing: Any = "") -> None:
        """Show a display table and save the whole table as ``tables/<name>.csv`` and a sheet
        of ``tables.xlsx``; the table as published (canonical names) is kept in
        ``ctx.tables[name]`` (``None`` when withheld). Returns nothing.

        For a public audience the table first goes through
        :func:`courtstudy.report.publish.prepare_table`: ``case_level=True`` (or a ``case_id``
        column) withholds it, judges are pseudonymised, counts below ``min_cell`` and the
        figures of rows whose ``basis`` count is below it become ``"<10"``. ``keys``: numeric
        columns that identify rows (years, months ...) beyond the defaults. A named index
        becomes ordinary columns.

        Display (:func:`courtstudy.report.tables.display_table`): headers and category values
        in the notebook's language (``labels=False`` keeps the column names), values formatted
        by kind (``kinds``: column -> kind, completing what the names imply; ``row_kinds``:
        column -> one kind per row, or the name of a column of indicator names whose catalogue
        kind applies), missing values as a dash with ``why_missing`` (a (zh, en) pair) as its
        note, ``notes`` ((zh, en) pairs or strings) under the table, at most ``max_rows`` rows
        shown with a pointer to the workbook sheet. ``hide``: columns used for formatting but
        neither shown nor saved (indicator codes)."""
        self._claim(name, "table")
        protected = protect_table(
            name, frame, audience=self.audience, threshold=self.min_cell, basis=basis,
            case_level=case_level, keys=keys,
            salt=pseudonym_salt() if self.public else None, ledger=self.ledger)
        published, release = protected.published, protected.release
        self.plot_tables[name] = protected.numeric
        self.releases.append(release)
        self.tables[name] = published
        title = self.text(title_zh, title_en) if (title_zh or title_en) else ""
        if published is None:
            _display_markdown(self.text(
                f"**{title}**：本表列出个案，公开版不予发布。" if title else "本表列出个案，公开版不予发布。",
                f"**{title}**: a list of individual cases, withheld from the public edition."
                if title else "A list of individual cases, withheld from the public edition."))
            self._save_publication()
            return
        body = published.reset_index() if any(n is not None for n in published.index.names) \
            else published.reset_index(drop=True)
        resolved_rows = self._row_kinds(body, row_kinds)
        all_kinds = _tables.infer_kinds(body, kinds)
        shown = body.drop(columns=[c for c in hide if c in body.columns])
        if labels:
            shown = _tables.translate_values(shown, self.lang)
        sheet = self._sheet_name(title or name)
        where = self.text(f"全部 {len(shown):,} 行见 tables.xlsx 工作表“{sheet}”",
                          f"all {len(shown):,} rows are in sheet '{sheet}' of tables.xlsx")
        display = _tables.display_table(
            shown, name=name, title=title, lang=self.lang, kinds=all_kinds,
            row_kinds=resolved_rows, labels=None if labels else {str(c): str(c) for c in shown.columns},
            notes=[self._pick(n) for n in notes], why_missing=self._pick(why_missing) if why_missing else "",
            max_rows=max_rows, where_rest=where)
        _display(_TableOutput(display), metadata={"courtstudy": {"table": display.as_dict()}})
        self._save_table(name, shown, display, all_kinds, resolved_rows, sheet)
        self._save_publication()

    def _row_kinds(self, body: pd.DataFrame, row_kinds: Mapping[str, Any] | None) -> dict[str, list[str]]:
        """``row_kinds`` with indicator-name columns resolved to one kind per row: a change
        column of a rate is in percentage points."""
        out: dict[str, list[str]] = {}
        catalogue = _tables._indicator_kinds()
        for column, spec in (row_kinds or {}).items():
            if isinstance(spec, str):
                names = body[spec].astype(str).tolist()
                kinds = [catalogue.get(n, "number") for n in names]
                if column == "change" or column.endswith("_change"):
                    kinds = ["pp" if k == "percent" else "signed" for k in kinds]
                out[column] = kinds
            else:
                out[column] = list(spec)
        return out

    def _sheet_name(self, title: str) -> str:
        from courtstudy.report.workbook import sheet_name

        taken = [t.sheet for t in self._sheets]
        return sheet_name(title, self.report_prefix, taken)

    def _save_table(self, name: str, shown: pd.DataFrame, display: _tables.DisplayTable,
                    kinds: Mapping[str, str], row_kinds: Mapping[str, list[str]], sheet: str) -> None:
        """The whole table, values rounded by kind and headers as displayed, to
        ``tables/<name>.csv`` (UTF-8 with BOM), ``tables.xlsx`` (every table of the notebook,
        formatted) and ``tables.json`` (what each table is; the edition's workbook is built
        from it)."""
        from courtstudy.report.workbook import SheetTable, write_table_specs, write_workbook

        ready = _tables.prepare_for_file(shown, kinds, row_kinds)
        ready.columns = display.columns
        notes = [n for n in display.notes if not n.startswith(("仅列出前", "The first "))]
        headers = dict(zip(map(str, shown.columns), display.columns, strict=True))
        entry = SheetTable(
            name=name, title=display.title or name, frame=ready,
            kinds=[kinds.get(str(c), "text") for c in shown.columns], sheet=sheet,
            report=self.output_dir.name if self.output_dir is not None else "", notes=notes,
            row_kinds={headers[c]: k for c, k in row_kinds.items() if c in headers},
            csv=f"tables/{name}.csv")
        self._sheets.append(entry)
        if self.output_dir is None:
            return
        from courtstudy.core.tabular_output import write_csv

        folder = self.output_dir / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        write_csv(ready, folder / f"{name}.csv")  # formula-safe (core.tabular_output)
        write_workbook(self.output_dir / "tables.xlsx", self._sheets, self.lang)
        write_table_specs(self.output_dir, self._sheets, self.lang)

    def _save_publication(self) -> None:
        if self.output_dir is None:
            return
        _write_json(self.output_dir / "publication.json", {
            "audience": self.audience, "min_cell": self.min_cell,
            "tables": [r.as_dict() for r in self.releases]})

    def figure(self, name: str, fig, *, close: bool = True) -> None:
        """Save ``fig`` as ``figures/<name>.png`` and show it (PNG only: nbval does not compare
        images, and the bytes carry no timestamp). The figure is closed afterwards so Jupyter
        does not show it a second time. Its title (the image's alternative text), its text and
        the problems :func:`courtstudy.report.figure_audit.describe_figure` finds (a missing
        title, axis label, unit or legend entry) are kept in the output's metadata, where tests
        check them."""
        from IPython.display import Image

        from courtstudy.report.style import FIGURE_DPI

        self._claim(name, "figure")
        from courtstudy.report.figure_audit import describe_figure

        described = describe_figure(fig)  # title, text and problems, kept with the output
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight",
                    metadata={"Software": None})
        png = buffer.getvalue()
        if self.output_dir is not None:
            figures = self.output_dir / "figures"
            figures.mkdir(parents=True, exist_ok=True)
            (figures / f"{name}.png").write_bytes(png)
        if close:
            import matplotlib.pyplot as plt

            plt.close(fig)
        _display(Image(data=png, format="png", alt=described["title"] or name),
                 metadata={"courtstudy": {"figure": name, **described}})

    def plot_data(self, name: str) -> pd.DataFrame | None:
        """The table ``name`` as figures must be drawn from it: canonical column names, and in
        a public edition every suppressed cell as NaN (so a figure never shows what the table
        hides); ``None`` when the table was withheld."""
        if name not in self.plot_tables:
            raise KeyError(f"no table {name!r} in this notebook: call ctx.table({name!r}, ...) first")
        return self.plot_tables[name]

    def protect(self, frame: pd.DataFrame, *, basis: str | list[str] | None = None,
                keys: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
        """``frame`` with the public-edition rules applied, suppressed cells as NaN: for a
        figure drawn from numbers no table shows (internal editions: ``frame`` itself)."""
        if not self.public:
            return frame
        protected = protect_table("figure", frame, audience=self.audience, threshold=self.min_cell,
                                  basis=basis, keys=keys, salt=pseudonym_salt(), ledger=self.ledger)
        if protected.numeric is None:
            return frame.iloc[0:0]
        return protected.numeric

    def record(self, key: str, value: Any) -> None:
        """Keep ``value`` under ``key`` in ``results.json`` (tests and later editions read it;
        no scraping of printed text). Values are converted by :func:`json_safe`; in a public
        edition counts below ``min_cell`` become "<10" (:func:`courtstudy.report.publish.protect_value`)
        and text follows :meth:`say`."""
        value = json_safe(value)
        if self.public:
            value = self._public_text(value) if isinstance(value, str) else protect_value(value, self.min_cell)
        self.results[key] = value
        self._save_results()

    def _save_results(self) -> None:
        if self.output_dir is None:
            return
        accounting = json_safe(self.loaded.accounting())
        parameters = json_safe(self.parameters)
        source = {"file": Path(str(self.loaded.source)).name, "sha256": self.loaded.sha256}
        in_scope: Any = int(len(self.cases))
        if self.public:
            # A public edition names files, never the server's folders, and its counts follow
            # the small-cell rule.
            parameters = {k: (Path(str(v)).name if k in ("data", "courts", "output_dir") and v else v)
                          for k, v in parameters.items()}
            accounting = protect_value(accounting, self.min_cell)
            in_scope = protect_value(in_scope, self.min_cell)
        _write_json(self.output_dir / "results.json", {
            "parameters": parameters,
            "period": {"label": self.period.label, "start": self.period.start.date().isoformat(),
                       "end": self.period.end.date().isoformat()},
            "as_of": self.as_of.date().isoformat(),
            "source": source,
            "loading": accounting,
            "cases_in_scope": in_scope,
            "courts": sorted(self.cases["court"].dropna().unique().tolist()),
            "package_version": __version__,
            "results": self.results,
            "warnings": self.log.messages(self.lang) if self.log is not None else [],
        })


def _in_kernel() -> bool:
    """Whether code runs in a Jupyter kernel (where ``display`` reaches the notebook)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _display_markdown(text: str) -> None:
    from IPython.display import Markdown

    _display(Markdown(text))


# ------------------------------------------------------------------------------------- setup
def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    value = str(value).strip()
    if value not in choices:
        raise ParameterError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def check_run_parameters(*, period: str, as_of: str, lang: str, audience: str, seed: Any,
                         min_cell: Any, name: Callable[[str], str] = str,
                         ) -> tuple[str, str, Period, pd.Timestamp | None, int, int]:
    """The run parameters every report notebook and every edition shares, checked once:
    ``lang`` and ``audience`` among their choices, ``period`` a label of
    :func:`~courtstudy.core.periods.parse_period`, ``as_of`` an ISO date or ``""`` (None: the
    latest date in the data), ``seed`` and ``min_cell`` whole numbers, ``min_cell`` at least 1
    (the smallest number of cases a published figure may rest on). Returns them converted;
    raises :class:`ParameterError` naming the parameter as ``name(parameter)`` (an edition
    names its command-line options)."""
    lang = _check_choice(name("lang"), lang, LANGUAGES)
    audience = _check_choice(name("audience"), audience, AUDIENCES)
    try:
        the_period = parse_period(period)
    except ValueError as exc:
        raise ParameterError(f"{name('period')}: {exc}") from exc
    as_of_ts = None
    if as_of:
        try:
            as_of_ts = pd.Timestamp(str(as_of)).normalize()
        except ValueError as exc:
            raise ParameterError(f"{name('as_of')}: expected an ISO date such as 2024-03-31, "
                                 f"got {as_of!r}") from exc
    try:
        seed = int(seed)
        min_cell = int(min_cell)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name('seed')} and {name('min_cell')}: 需要整数 / expected whole "
                             f"numbers ({exc})") from exc
    if min_cell < 1:
        raise ParameterError(f"{name('min_cell')} {min_cell}: 至少为 1（公开版中少于该数的案件不单独发布）/ "
                             "expected at least 1: the smallest number of cases a published figure "
                             "may rest on")
    return lang, audience, the_period, as_of_ts, seed, min_cell


def setup(data: str = "demo", courts: str = "", period: str = "2023Q4", as_of: str = "",
          court_filter: str = "", lang: str = "zh", audience: str = "internal",
          output_dir: str = "", seed: int = 20240101, min_cell: int = DEFAULT_MIN_CELL,
          *, style: bool = True, cache_dir: Path | str | None = "auto") -> NotebookContext:
    """Validate the parameters, load the data and return the :class:`NotebookContext`.

    * ``data``/``courts``: see :func:`load_data` (``"demo"`` builds the demo data if needed);
    * ``period``: any label of :func:`courtstudy.core.periods.parse_period`;
    * ``as_of``: ISO date; ``""`` = the latest date in the export
      (:func:`courtstudy.indicators.default_as_of`);
    * ``court_filter``: comma-separated court names, each must be in the data;
    * ``lang`` ``"zh"|"en"``, ``audience`` ``"internal"|"public"``;
    * ``output_dir``: created if missing; ``""`` writes nothing (interactive use, nbval);
    * ``style``: apply :func:`courtstudy.report.style.use_court_style` (CJK font, palette).

    Raises :class:`ParameterError` naming the parameter when one cannot be used.
    """
    parameters = {"data": data, "courts": courts, "period": period, "as_of": as_of,
                  "court_filter": court_filter, "lang": lang, "audience": audience,
                  "output_dir": output_dir, "seed": seed, "min_cell": min_cell}
    lang, audience, the_period, as_of_ts, seed, min_cell = check_run_parameters(
        period=period, as_of=as_of, lang=lang, audience=audience, seed=seed, min_cell=min_cell)
    if style:
        from courtstudy.report.style import use_court_style

        use_court_style()
    from courtstudy.core import log, text

    text.set_language(lang)  # the language results print in (repr of study results)
    holder: dict[str, NotebookContext] = {}

    def show(warning: log.LoggedWarning) -> None:
        # A logged warning appears where it happened, in the notebook's language. Outside a
        # kernel (a script, a command run later in the same process) it goes to stderr: IPython's
        # display() would print the Markdown object's repr into stdout, which a command's CSV owns.
        label = "注意：" if lang == "zh" else "Warning: "
        if _in_kernel():
            # "**注意：**2021" is not bold in Markdown (a closing ** after punctuation must be
            # followed by a space or punctuation): the colon goes outside the emphasis
            bold = "**注意**：" if lang == "zh" else "**Warning:** "
            _display_markdown(bold + warning.text(lang))
        else:
            print(label + warning.text(lang), file=sys.stderr)
        if "ctx" in holder:
            holder["ctx"]._save_results()

    collector = log.collect(show)
    loaded = load_data(data, courts, cache_dir=cache_dir)
    all_cases = loaded.cases
    court_names = sorted(all_cases["court"].dropna().astype(str).unique().tolist())
    if as_of_ts is None:
        from courtstudy.indicators import default_as_of

        as_of_ts = default_as_of(all_cases)

    wanted = split_courts(court_filter)
    unknown = [c for c in wanted if c not in court_names]
    if unknown:
        raise ParameterError(f"court_filter: {', '.join(unknown)} not in the data; the courts are "
                             f"{', '.join(court_names)}")
    cases = all_cases
    court_table = loaded.courts
    if wanted:
        cases = all_cases.loc[all_cases["court"].isin(wanted)].reset_index(drop=True)
        if court_table is not None:
            court_table = court_table.loc[court_table["court"].isin(wanted)].reset_index(drop=True)

    out = Path(output_dir).expanduser().resolve() if output_dir else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    ctx = NotebookContext(loaded=loaded, cases=cases, courts=court_table, period=the_period,
                          as_of=as_of_ts, lang=lang, audience=audience, output_dir=out, seed=seed,
                          min_cell=min_cell, parameters=parameters, court_names=court_names,
                          log=collector, ledger=DisclosureLedger.from_environment())
    holder["ctx"] = ctx
    ctx._save_results()
    ctx._save_publication()
    return ctx
