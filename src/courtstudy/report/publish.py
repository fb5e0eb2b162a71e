"""Making a table fit for a public report: small-cell suppression, pseudonyms, no case lists.

A report for the public ("public" audience) must not let a reader single out a case or a judge.
:func:`prepare_table` applies three rules to one table and says what it did:

1. **Case-level lists are withheld.** A table flagged ``case_level`` or holding a ``case_id``
   column (案号) is not published at all.
2. **People are pseudonymised.** Columns (or index levels) named in ``person_columns`` (default
   ``judge``) are replaced by stable pseudonyms (:func:`courtstudy.report.pseudonym.pseudonym_map`,
   salted: the names cannot be recovered from the report without the salt).
3. **Small cells are suppressed.** A *count* cell with 1 <= value < ``threshold`` (default 10)
   is replaced by the marker ``"<10"``. A row whose *basis* (the number of cases its figures rest
   on: the ``basis`` columns, by default every count column) is below the threshold has every
   figure in it replaced by the marker, so a rate over 3 cases is not published either. Zero
   counts stay: "no case" identifies nobody.

Count columns are the integer columns that are not keys, plus columns named like a count
indicator of the catalogue (``filed``, ``closed``, ``pending`` ... or their zh/en labels, also
with a comparison suffix such as "（去年同期）": the wide indicator tables hold counts as floats). Keys (the index, text columns and the names in
:data:`KEY_NAMES`) are never suppressed. Secondary suppression (recovering a suppressed cell
from a total and the other cells) is not attempted: publish totals or parts, not both, when the
difference would reveal a small cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

#: Default smallest number of cases a published figure may rest on.
DEFAULT_MIN_CELL = 10
#: Column names that identify a row (never suppressed even when numeric).
KEY_NAMES: frozenset[str] = frozenset({
    "year", "month", "quarter", "half", "week", "day", "weekday", "period", "period_start",
    "horizon_days", "event_time", "age_months", "age_band", "years", "年度", "年", "月", "月份",
    "季度", "期间", "年份", "年数", "Year", "Month", "Period", "Years",
})
#: Columns whose presence makes a table a list of cases.
CASE_ID_COLUMNS: frozenset[str] = frozenset({"case_id", "案号", "Case number"})
#: Suffixes of comparison columns ("结案（去年同期）" is a count when "结案" is).
COMPARISON_SUFFIXES: tuple[str, ...] = ("（去年同期）", " (a year earlier)", "_previous", "_prev")
#: Default columns holding names of people.
PERSON_COLUMNS: tuple[str, ...] = ("judge", "承办法官", "Judge")


def marker(threshold: int = DEFAULT_MIN_CELL) -> str:
    """The text that replaces a suppressed figure: ``"<10"`` for the default threshold."""
    return f"<{threshold}"


def _count_names() -> frozenset[str]:
    from courtstudy.indicators import INDICATORS

    names: set[str] = {"n", "cases", "count", "n_cases", "件数", "案件数", "Cases", "filled", "有值",
                       "Filled", "rows", "行数", "Rows", "values", "值的个数", "Values"}
    for ind in INDICATORS:
        if ind.kind == "count":
            names.update({ind.name, ind.label_zh, ind.label_en})
    return frozenset(names)


@dataclass
class TableRelease:
    """What :func:`prepare_table` did to one table (goes into the edition's manifest)."""

    table: str
    audience: str
    withheld: bool = False
    reason: str = ""
    rows: int = 0
    rows_suppressed: int = 0
    cells_suppressed: int = 0
    pseudonymised: list[str] = field(default_factory=list)
    threshold: int = DEFAULT_MIN_CELL

    def as_dict(self) -> dict:
        return asdict(self)


def count_columns(frame: pd.DataFrame, keys: Iterable[str] = ()) -> list[str]:
    """Columns of ``frame`` holding counts of cases (see the module docstring)."""
    keys = set(keys) | KEY_NAMES
    names = _count_names()
    out = []
    for column in frame.columns:
        if column in keys:
            continue
        series = frame[column]
        is_int = pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
        base = str(column)
        for suffix in COMPARISON_SUFFIXES:
            base = base.removesuffix(suffix)
        if is_int or (base in names and pd.api.types.is_numeric_dtype(series.dtype)):
            out.append(column)
    return out


def _figure_columns(frame: pd.DataFrame, keys: Iterable[str]) -> list[str]:
    keys = set(keys) | KEY_NAMES
    return [c for c in frame.columns if c not in keys
            and pd.api.types.is_numeric_dtype(frame[c].dtype)
            and not pd.api.types.is_bool_dtype(frame[c].dtype)]


def is_case_level(frame: pd.DataFrame) -> bool:
    """Whether the table lists individual cases (has a case-number column or index level)."""
    names = set(map(str, frame.columns)) | {str(n) for n in frame.index.names if n is not None}
    return bool(names & CASE_ID_COLUMNS)


def prepare_table(name: str, frame: pd.DataFrame, *, audience: str = "internal",
                  threshold: int = DEFAULT_MIN_CELL, basis: str | Sequence[str] | None = None,
                  case_level: bool = False, person_columns: Sequence[str] = PERSON_COLUMNS,
                  keys: Sequence[str] = (), salt: str | None = None,
                  ) -> tuple[pd.DataFrame | None, TableRelease]:
    """The table as it may be published to ``audience``, and a record of what was changed.

    ``audience="internal"`` returns the table unchanged. ``"public"`` applies the rules of the
    module docstring; the result is ``None`` when the table is withheld. ``basis``: the count
    column(s) whose value each row's figures rest on (default: every count column); ``keys``:
    numeric columns that identify rows and must stay (in addition to :data:`KEY_NAMES`).
    """
    if audience not in ("internal", "public"):
        raise ValueError(f"audience must be 'internal' or 'public', got {audience!r}")
    if threshold < 1:
        raise ValueError(f"the small-cell threshold must be at least 1, got {threshold}")
    release = TableRelease(table=name, audience=audience, rows=len(frame), threshold=threshold)
    if audience == "internal":
        return frame, release
    if case_level or is_case_level(frame):
        release.withheld = True
        release.reason = "case-level list"
        return None, release

    index_names = [n for n in frame.index.names if n is not None]
    out = frame.reset_index() if index_names else frame.copy()
    present = [c for c in person_columns if c in out.columns]
    if present:
        from courtstudy.report.pseudonym import pseudonym_map

        for column in present:
            mapping = pseudonym_map(out[column].dropna().unique(), salt=salt)
            out[column] = out[column].astype("string").map(mapping).astype("string")
        release.pseudonymised = present

    all_keys = [*keys, *index_names]
    counts = count_columns(out, all_keys)
    if basis is None:
        basis_columns = counts
    else:
        basis_columns = [basis] if isinstance(basis, str) else list(basis)
        missing = [b for b in basis_columns if b not in out.columns]
        if missing:
            raise KeyError(f"table {name!r}: basis column(s) {missing} not in {list(out.columns)}")
    figures = _figure_columns(out, all_keys)

    def small(column: str) -> np.ndarray:
        values = pd.to_numeric(out[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return (values >= 1) & (values < threshold)

    n = len(out)
    small_row = np.zeros(n, dtype=bool)
    for column in basis_columns:
        small_row |= small(column)
    hide: dict[str, np.ndarray] = {}
    for column in figures:
        mask = small_row & out[column].notna().to_numpy()
        if column in counts:
            mask = mask | small(column)
        if mask.any():
            hide[column] = mask
    text = marker(threshold)
    for column, mask in hide.items():
        values = out[column].astype(object)
        values[mask] = text
        out[column] = values
        release.cells_suppressed += int(mask.sum())
    release.rows_suppressed = int(small_row.sum())
    if index_names:
        out = out.set_index(index_names)
    return out, release

