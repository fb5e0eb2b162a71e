"""Making a table fit for a public report: small-cell suppression that cannot be undone,
pseudonyms, no case lists.

A report for the public ("public" audience) must not let a reader single out a case or a judge.
:func:`protect_table` applies these rules to one table and says what it did:

1. **Case-level lists are withheld.** A table flagged ``case_level`` or holding a ``case_id``
   column (案号) is not published at all.
2. **People are pseudonymised.** Columns (or index levels) named in ``person_columns`` (default
   ``judge``) are replaced by salted pseudonyms (:mod:`courtstudy.report.pseudonym`).
3. **Primary suppression.** A *count* cell with 1 <= value < ``threshold`` (default 10) is
   replaced by the marker ``"<10"``. A row whose *basis* (the number of cases its figures rest
   on: the ``basis`` columns, by default every count column) is below the threshold has every
   figure in it replaced by the marker, so a rate over 3 cases is not published either. Zero
   counts stay: "no case" identifies nobody.
4. **Secondary (complementary) suppression**, as statistical offices do it (Hundepool et al.,
   *Statistical Disclosure Control*, 2012, ch. 4; tau-ARGUS' hypercube method): a suppressed
   cell must not be recoverable by subtraction. Every additive relation a reader can use is a
   *line* (cells with a known sum):

   * the column margins of the table's key groupings (all rows; each key alone: each court,
     each year ...; leading runs of the keys: each court and year ...): assumed known even
     when the table does not print them, because other tables of the edition do (the headline
     totals, the per-court table beside a per-team table);
   * a total row (a row equal to the sum of the others) and a total column (a count column
     equal to the sum of other count columns, e.g. ``pending`` = the age bands), found in the
     numbers themselves, as a reader would find them;
   * the same cell in another table of the edition (the :class:`DisclosureLedger`: a cell
     hidden in one table is hidden in all; a cell published in one cannot serve as a
     complement in another).

   A line with exactly one hidden cell gets a second one, the smallest positive cell of at
   least the threshold (least information lost, yet wide enough to cover the whole 1-9 range),
   marked ``"x"``; repeated until no line has a single hidden cell. Then an attacker is
   simulated (:func:`recoverable_cells`): linear algebra (is a hidden cell fixed by the
   equations?), bounds (primary cells lie in 1..threshold-1, others >= 0: must a line's hidden
   cells sit at their bounds?) and linear programming (the smallest and largest value of each
   hidden cell consistent with everything published); a cell found gets more complements,
   and a table that still leaks is withheld.
5. **Figures follow their counts.** Rates, means and shares in a row with a hidden count are
   hidden too (``"x"``), so that no ratio gives a hidden count back.

Count columns are the integer columns that are not keys, plus columns named like a count
indicator of the catalogue (``filed``, ``closed``, ``pending`` ... or their zh/en labels, also
with a comparison suffix such as "（去年同期）": the wide indicator tables hold counts as
floats). Keys (the index, text columns and the names in :data:`KEY_NAMES`) are never suppressed.

:func:`protect_value` and :func:`mask_counts_in_text` apply rule 3 to single numbers and to
narrative text, so that what a public edition prints outside its tables follows the same rule.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Default smallest number of cases a published figure may rest on.
DEFAULT_MIN_CELL = 10
#: Marker of a cell hidden to protect another one (secondary suppression).
COMPLEMENT = "x"
#: Column names that identify a row (never suppressed even when numeric).
KEY_NAMES: frozenset[str] = frozenset({
    "year", "month", "quarter", "half", "week", "day", "weekday", "period", "period_start",
    "horizon_days", "event_time", "age_months", "age_band", "years", "年度", "年", "月", "月份",
    "季度", "期间", "年份", "年数", "平均年数", "Year", "Month", "Period", "Years", "Years averaged",
    # counts of courts in a study's design (notebook 04), not of cases: public, and the figures of
    # a row resting on few courts are not a small cell
    "adopting_courts", "non_adopting_courts", "months_since_adoption", "quarters_since_adoption",
})
#: Columns whose presence makes a table a list of cases.
CASE_ID_COLUMNS: frozenset[str] = frozenset({"case_id", "案号", "Case number"})
#: Suffixes of comparison columns ("结案（去年同期）" is a count when "结案" is).
COMPARISON_SUFFIXES: tuple[str, ...] = ("（去年同期）", " (a year earlier)", "_previous", "_prev")
#: Default columns holding names of people.
PERSON_COLUMNS: tuple[str, ...] = ("judge", "承办法官", "Judge")
#: Environment variable naming the edition's ledger file (set by the edition runner).
LEDGER_ENV = "COURTSTUDY_DISCLOSURE_LEDGER"
#: Largest number of hidden cells the attacker simulation checks one by one by linear
#: programming (beyond it, the linear-algebra and bound tests still run).
AUDIT_LIMIT = 150
#: Count columns searched exhaustively for total-column relations.
MAX_SUBSET_SEARCH = 12


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
    cells_primary: int = 0
    cells_complementary: int = 0
    pseudonymised: list[str] = field(default_factory=list)
    threshold: int = DEFAULT_MIN_CELL

    def as_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------ the ledger
@dataclass
class DisclosureLedger:
    """Cells hidden and cells published so far in an edition, by identity (the row's key
    values and the column): a cell hidden in one table is hidden wherever it appears again,
    and a cell already published is never chosen as a complement. Kept in a JSON file that
    every notebook of the edition reads and extends (``path``; ``None`` = this process only)."""

    path: Path | None = None
    hidden: set[str] = field(default_factory=set)
    published: set[str] = field(default_factory=set)

    @classmethod
    def from_environment(cls) -> DisclosureLedger:
        """The edition's ledger (``$COURTSTUDY_DISCLOSURE_LEDGER``), or one for this process."""
        name = os.environ.get(LEDGER_ENV)
        return cls.load(Path(name)) if name else cls()

    @classmethod
    def load(cls, path: Path) -> DisclosureLedger:
        ledger = cls(path=path)
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                data = {}
            ledger.hidden = set(data.get("hidden", []))
            ledger.published = set(data.get("published", []))
        return ledger

    def save(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"hidden": sorted(self.hidden), "published": sorted(self.published)},
                                  ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


def cell_identity(row_keys: Sequence[tuple[str, str]], column: str) -> str:
    """The identity of a cell across tables: its row's key values and its column."""
    return json.dumps([sorted(row_keys), str(column)], ensure_ascii=False)


# ------------------------------------------------------------------------------ columns
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


def _key_columns(frame: pd.DataFrame, figures: Sequence[str]) -> list[str]:
    return [c for c in frame.columns if c not in set(figures)]


def is_case_level(frame: pd.DataFrame) -> bool:
    """Whether the table lists individual cases (has a case-number column or index level)."""
    names = set(map(str, frame.columns)) | {str(n) for n in frame.index.names if n is not None}
    return bool(names & CASE_ID_COLUMNS)


# ------------------------------------------------------------------------------ lines
@dataclass
class Lines:
    """The additive relations among the count cells of a table, as a sparse matrix: row ``i``
    of ``matrix`` has +1/-1 at the cells (``row * n_columns + column``) whose signed sum is
    ``totals[i]``, a number a reader knows."""

    matrix: Any  # scipy.sparse.csr_matrix
    totals: np.ndarray
    shape: tuple[int, int]

    def __len__(self) -> int:
        return self.matrix.shape[0]


def _total_rows(values: np.ndarray) -> list[int]:
    """Rows equal to the sum of all other rows (in every count column, at least one non-zero)."""
    if values.shape[0] < 3:
        return []
    column_sum = np.nansum(values, axis=0)
    out = []
    for r in range(values.shape[0]):
        row = values[r]
        if np.isnan(row).any() or not np.any(row):
            continue
        if np.allclose(2 * row, column_sum, rtol=0, atol=1e-9):
            out.append(r)
    return out[:1]


def _total_columns(values: np.ndarray) -> list[tuple[int, list[int]]]:
    """(column, parts): count columns equal, in every row, to the sum of other count columns."""
    n_rows, n_cols = values.shape
    if n_cols < 2 or n_rows == 0 or np.isnan(values).any():
        return []
    found: list[tuple[int, list[int]]] = []
    nonzero = [j for j in range(n_cols) if np.any(values[:, j])]
    for target in nonzero:
        others = [j for j in nonzero if j != target]
        if not others:
            continue
        if len(others) <= MAX_SUBSET_SEARCH:
            candidates = (list(c) for k in range(1, len(others) + 1)
                          for c in itertools.combinations(others, k))
        else:
            candidates = iter([others])
        for subset in candidates:
            if np.array_equal(values[:, subset].sum(axis=1), values[:, target]):
                found.append((target, subset))
                break
    return found


def _groupings(keys: list[str]) -> list[list[str]]:
    """The key groupings whose margins a reader may know: the whole table, each key alone,
    and each leading run of the keys (court, then court and year ...)."""
    out = [[]] + [[k] for k in keys] + [keys[:k] for k in range(2, len(keys))]
    unique: list[list[str]] = []
    for grouping in out:
        if grouping not in unique:
            unique.append(grouping)
    return unique


def table_lines(frame: pd.DataFrame, keys: list[str], values: np.ndarray,
                threshold: int = DEFAULT_MIN_CELL) -> Lines:
    """Every additive relation among the count cells ``values`` (rows of ``frame``; see the
    module docstring): margins of the key groupings, a total row, total columns. A margin of
    1..threshold-1 is left out: wherever it is published it is suppressed itself."""
    from scipy import sparse

    n_rows, n_cols = values.shape
    rows_idx: list[np.ndarray] = []
    cols_idx: list[np.ndarray] = []
    signs: list[np.ndarray] = []
    totals: list[float] = []
    line = 0

    def add(cells: np.ndarray, sign: np.ndarray, total: float) -> None:
        nonlocal line
        rows_idx.append(np.full(len(cells), line))
        cols_idx.append(cells)
        signs.append(sign)
        totals.append(total)
        line += 1

    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    total_rows = _total_rows(values)
    body = np.array([r for r in range(n_rows) if r not in total_rows], dtype=np.int64)
    for grouping in _groupings(keys):
        if grouping:
            group_of = (frame.iloc[body][grouping].astype(str)
                        .groupby(grouping, sort=False, dropna=False).ngroup().to_numpy())
        else:
            group_of = np.zeros(len(body), dtype=np.int64)
        order = np.argsort(group_of, kind="stable")
        boundaries = np.flatnonzero(np.diff(group_of[order])) + 1
        for members in np.split(body[order], boundaries):
            if len(members) < 2:
                continue
            for j in range(n_cols):
                rows = members[present[members, j]]
                total = float(filled[rows, j].sum())
                if len(rows) >= 2 and not 1 <= total < threshold:
                    add(rows * n_cols + j, np.ones(len(rows)), total)
    for t in total_rows:
        for j in range(n_cols):
            rows = body[present[body, j]]
            add(np.r_[rows * n_cols + j, t * n_cols + j], np.r_[np.ones(len(rows)), -1.0], 0.0)
    for target, parts in _total_columns(values):
        for r in range(n_rows):
            cells = np.array([r * n_cols + j for j in parts] + [r * n_cols + target])
            add(cells, np.r_[np.ones(len(parts)), -1.0], 0.0)
    n_cells = n_rows * n_cols
    if line == 0:
        return Lines(sparse.csr_matrix((0, n_cells)), np.zeros(0), (n_rows, n_cols))
    matrix = sparse.csr_matrix((np.concatenate(signs), (np.concatenate(rows_idx), np.concatenate(cols_idx))),
                               shape=(line, n_cells))
    return Lines(matrix, np.array(totals), (n_rows, n_cols))


# ------------------------------------------------------------------------------ the attacker
def recoverable_cells(values: np.ndarray, hidden: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                      lines: Lines, limit: int = AUDIT_LIMIT) -> list[int]:
    """The hidden cells with a positive value (flat indices) that a reader can work out
    exactly from the published cells, the lines and what the markers say (``lower``/``upper``:
    the bounds a reader knows for each cell: 0..threshold-1 behind "<10", 1.. for a primary
    cell, 0..inf behind "x"). A hidden zero that can be worked out discloses no case and is
    not reported.

    Three tests, from cheap to thorough: a cell is determined by the equations alone when the
    null space of the lines restricted to the hidden cells has a zero row for it; a line whose
    hidden cells must all sit at their bounds gives them away; and, for up to ``limit`` hidden
    cells, linear programming (``scipy.optimize.linprog``, HiGHS) minimises and maximises every
    hidden cell subject to all lines and bounds: equal minimum and maximum means recoverable."""
    from scipy.linalg import eigh
    from scipy.optimize import linprog

    flat_values = np.nan_to_num(values.ravel())
    flat_hidden = hidden.ravel()
    where = np.flatnonzero(flat_hidden)
    if len(where) == 0 or len(lines) == 0:
        return []
    positive = set(map(int, where[flat_values[where] > 0]))
    matrix = lines.matrix
    involved = np.flatnonzero(abs(matrix)[:, where].sum(axis=1).A.ravel() > 0)
    if len(involved) == 0:
        return []  # hidden cells in no line: nothing to recover them from
    sub = matrix[involved]
    a_eq = sub[:, where].toarray()
    known = sub @ np.where(flat_hidden, 0.0, flat_values)
    b_eq = lines.totals[involved] - known
    low_b = lower.ravel()[where].astype(float)
    high_b = upper.ravel()[where].astype(float)
    found: set[int] = set()
    # 1. fixed by the equations alone: a zero row in the null space of the equations (computed
    # from the Gram matrix: same null space, a small symmetric eigenproblem); a cell in no
    # equation is free
    in_equation = np.abs(a_eq).sum(axis=0) > 0
    eigenvalues, vectors = eigh(a_eq.T @ a_eq)
    basis = vectors[:, eigenvalues < 1e-8 * max(1.0, float(eigenvalues.max(initial=0.0)))]
    free = (np.abs(basis).sum(axis=1) > 1e-6) if basis.size else np.zeros(len(where), dtype=bool)
    found.update(int(where[k]) for k in np.flatnonzero(~free & in_equation))
    # 2. a line whose hidden cells are all pinned to their bounds
    for row, rhs in zip(a_eq, b_eq, strict=True):
        cells = np.flatnonzero(row)
        if len(cells) == 0:
            continue
        low = np.where(row[cells] > 0, low_b[cells], -high_b[cells]).sum()
        high = np.where(row[cells] > 0, high_b[cells], -low_b[cells]).sum()
        if abs(rhs - low) < 1e-9 or abs(rhs - high) < 1e-9:
            found.update(int(where[k]) for k in cells)
    # 3. everything at once, when small enough
    if len(where) <= limit:
        bounds = list(zip(low_b, [None if np.isinf(u) else u for u in high_b], strict=True))
        for k in range(len(where)):
            cell = int(where[k])
            if cell in found or cell not in positive or not in_equation[k]:
                continue
            objective = np.zeros(len(where))
            objective[k] = 1
            lo = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            hi = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if lo.status == 0 and hi.status == 0 and abs(-hi.fun - lo.fun) < 1e-6:
                found.add(cell)
    return sorted(found & positive)


# ------------------------------------------------------------------------------ protection
@dataclass
class Protected:
    """A table as published (markers in hidden cells), the same with hidden cells as NaN and
    canonical names (to draw figures from), and what was done."""

    published: pd.DataFrame | None
    numeric: pd.DataFrame | None
    release: TableRelease


def _complements(values: np.ndarray, hidden: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 blocked: np.ndarray, lines: Lines, threshold: int) -> tuple[np.ndarray, bool]:
    """Add complementary cells until no line has a single hidden cell (that is not a zero) and
    the attacker recovers nothing; returns the hidden mask and whether protection succeeded. The
    complement of a line is its smallest published cell of at least the threshold (else its
    largest positive one), never a cell already published in another table of the edition.
    ``lower``/``upper`` are updated for the complements (0..inf: an "x")."""
    shape = hidden.shape
    flat_values = np.nan_to_num(values.ravel())
    hidden = hidden.ravel().copy()
    low, high = lower.ravel(), upper.ravel()
    positive = flat_values > 0
    usable = ~blocked.ravel() & positive
    if len(lines) == 0:
        return hidden.reshape(shape), True
    by_line = abs(lines.matrix).tocsr()
    by_cell = by_line.tocsc()
    # hidden cells per line, and hidden cells with a positive value (a line whose only hidden
    # cell is a zero gives away nothing but "no case")
    counts = np.asarray(by_line @ hidden.astype(float)).ravel()
    counts_positive = np.asarray(by_line @ (hidden & positive).astype(float)).ravel()

    def complement(line: int) -> int | None:
        cells = by_line.indices[by_line.indptr[line]:by_line.indptr[line + 1]]
        candidates = cells[~hidden[cells] & usable[cells]]
        if len(candidates) == 0:
            return None
        wide = candidates[flat_values[candidates] >= threshold]
        if len(wide):
            return int(wide[np.lexsort((wide, flat_values[wide]))[0]])
        return int(candidates[np.lexsort((candidates, -flat_values[candidates]))[0]])

    def hide(cell: int) -> None:
        hidden[cell] = True
        low[cell], high[cell] = 0.0, np.inf
        lines_of = by_cell.indices[by_cell.indptr[cell]:by_cell.indptr[cell + 1]]
        counts[lines_of] += 1
        counts_positive[lines_of] += 1

    for _round in range(100):
        singles = np.flatnonzero((counts == 1) & (counts_positive == 1))
        if len(singles):
            for line in singles:
                if counts[line] != 1:
                    continue
                choice = complement(int(line))
                if choice is None:
                    return hidden.reshape(shape), False
                hide(choice)
            continue
        leaks = recoverable_cells(values, hidden.reshape(shape), low.reshape(shape), high.reshape(shape), lines)
        if not leaks:
            return hidden.reshape(shape), True
        progressed = False
        for cell in leaks:
            through = by_cell.indices[by_cell.indptr[cell]:by_cell.indptr[cell + 1]]
            for line in sorted(through, key=lambda ln: counts[ln]):
                choice = complement(int(line))
                if choice is not None:
                    hide(choice)
                    progressed = True
                    break
        if not progressed:
            return hidden.reshape(shape), False
    return hidden.reshape(shape), False


def protect_table(name: str, frame: pd.DataFrame, *, audience: str = "internal",
                  threshold: int = DEFAULT_MIN_CELL, basis: str | Sequence[str] | None = None,
                  case_level: bool = False, person_columns: Sequence[str] = PERSON_COLUMNS,
                  keys: Sequence[str] = (), salt: str | None = None,
                  ledger: DisclosureLedger | None = None) -> Protected:
    """The table as it may be published to ``audience`` (see the module docstring).

    ``audience="internal"`` returns the table unchanged. ``"public"`` applies every rule; the
    published table is ``None`` when the table is withheld. ``basis``: the count column(s)
    whose value each row's figures rest on (default: every count column); ``keys``: numeric
    columns that identify rows and must stay (in addition to :data:`KEY_NAMES`); ``ledger``:
    the edition's record of hidden and published cells (updated).
    """
    if audience not in ("internal", "public"):
        raise ValueError(f"audience must be 'internal' or 'public', got {audience!r}")
    if threshold < 1:
        raise ValueError(f"the small-cell threshold must be at least 1, got {threshold}")
    release = TableRelease(table=name, audience=audience, rows=len(frame), threshold=threshold)
    if audience == "internal":
        return Protected(frame, frame, release)
    if case_level or is_case_level(frame):
        release.withheld = True
        release.reason = "case-level list"
        return Protected(None, None, release)

    index_names = [n for n in frame.index.names if n is not None]
    out = frame.reset_index() if index_names else frame.reset_index(drop=True).copy()
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
    key_columns = _key_columns(out, figures)
    n = len(out)

    def number(column: str) -> np.ndarray:
        return pd.to_numeric(out[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    def small(column: str) -> np.ndarray:
        v = number(column)
        return (v >= 1) & (v < threshold)

    small_row = np.zeros(n, dtype=bool)
    for column in basis_columns:
        small_row |= small(column)
    values = np.column_stack([number(c) for c in counts]) if counts else np.zeros((n, 0))
    present = ~np.isnan(values)
    primary = np.zeros(values.shape, dtype=bool)
    hidden = np.zeros(values.shape, dtype=bool)
    for j, column in enumerate(counts):
        primary[:, j] = small(column)
        hidden[:, j] = primary[:, j] | (small_row & present[:, j])
    # What a reader knows of a hidden count: "<10" = 0..threshold-1 (1.. when it is a primary
    # cell, but a reader cannot tell), "x" = any number.
    below = np.nan_to_num(values) < threshold
    lower = np.zeros(values.shape)
    upper = np.where(below, threshold - 1.0, np.inf)
    # identities of the count cells across the edition
    key_text = [out[k].astype(str).tolist() for k in key_columns]
    row_keys = [list(zip(key_columns, values_, strict=True)) for values_ in zip(*key_text, strict=True)] \
        if key_columns else [[] for _ in range(n)]
    identity = np.array([[cell_identity(row_keys[r], c) for c in counts] for r in range(n)],
                        dtype=object).reshape(values.shape)
    ledger = ledger if ledger is not None else DisclosureLedger()
    blocked = np.zeros(values.shape, dtype=bool)
    for (r, j), ident in np.ndenumerate(identity):
        if ident in ledger.hidden and present[r, j] and not hidden[r, j]:
            hidden[r, j] = True
            upper[r, j] = np.inf  # shown as "x"
            below[r, j] = False
        elif ident in ledger.published:
            blocked[r, j] = True
    if (hidden & (np.nan_to_num(values) > 0)).any():
        lines = table_lines(out, key_columns, values, threshold)
        protected, ok = _complements(values, hidden, lower, upper, blocked, lines, threshold)
        if not ok:
            release.withheld = True
            release.reason = ("suppressed cells could not be protected from recovery through totals "
                              "or other tables")
            numeric = out.copy()
            for column in figures:
                numeric[column] = np.nan
            return Protected(None, numeric.set_index(index_names) if index_names else numeric, release)
        below &= ~(protected & ~hidden)  # complements are shown as "x"
        hidden = protected
    # Markers: a hidden count below the threshold is "<10", any other hidden count "x"; the
    # figures of a row resting on too few cases "<10"; the other figures of a row with a
    # hidden count "x".
    row_hidden = hidden.any(axis=1) if counts else np.zeros(n, dtype=bool)
    text_small, text_other = marker(threshold), COMPLEMENT
    numeric = out.copy()
    for column in figures:
        values_col = out[column].astype(object).copy()
        present_mask = out[column].notna().to_numpy()
        if column in counts:
            j = counts.index(column)
            mask = hidden[:, j]
            small_mask = mask & below[:, j]
        else:
            mask = (row_hidden | small_row) & present_mask
            small_mask = small_row & present_mask
        if not mask.any():
            continue
        values_col[mask & small_mask] = text_small
        values_col[mask & ~small_mask] = text_other
        out[column] = values_col
        numeric[column] = pd.to_numeric(numeric[column], errors="coerce").mask(pd.Series(mask, index=numeric.index))
        release.cells_suppressed += int(mask.sum())
        if column in counts:
            release.cells_primary += int(primary[:, counts.index(column)].sum())
            release.cells_complementary += int((mask & ~primary[:, counts.index(column)]
                                                & ~(small_row & present_mask)).sum())
    release.rows_suppressed = int(small_row.sum())
    for (r, j), ident in np.ndenumerate(identity):
        if not present[r, j]:
            continue
        (ledger.hidden if hidden[r, j] else ledger.published).add(ident)
    ledger.save()
    if index_names:
        out = out.set_index(index_names)
        numeric = numeric.set_index(index_names)
    return Protected(out, numeric, release)


def prepare_table(name: str, frame: pd.DataFrame, *, audience: str = "internal",
                  threshold: int = DEFAULT_MIN_CELL, basis: str | Sequence[str] | None = None,
                  case_level: bool = False, person_columns: Sequence[str] = PERSON_COLUMNS,
                  keys: Sequence[str] = (), salt: str | None = None,
                  ledger: DisclosureLedger | None = None,
                  ) -> tuple[pd.DataFrame | None, TableRelease]:
    """The table as it may be published to ``audience`` and a record of what was changed
    (:func:`protect_table` without the numeric view)."""
    protected = protect_table(name, frame, audience=audience, threshold=threshold, basis=basis,
                              case_level=case_level, person_columns=person_columns, keys=keys,
                              salt=salt, ledger=ledger)
    return protected.published, protected.release


# ------------------------------------------------------------------------------ single numbers
def protect_value(value: Any, threshold: int = DEFAULT_MIN_CELL) -> Any:
    """A count as a public edition may print it: 1..threshold-1 -> ``"<10"``; lists and dicts
    are walked (integers in them are counts: years, codes and other identifiers are at least
    the threshold); everything else is returned unchanged."""
    if isinstance(value, bool | np.bool_):
        return value
    if isinstance(value, int | np.integer):
        return marker(threshold) if 1 <= int(value) < threshold else value
    if isinstance(value, dict):
        return {k: protect_value(v, threshold) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [protect_value(v, threshold) for v in value]
    return value


#: A number followed by a word that counts cases, rows, courts, people ... in narrative text.
#: Not counts: "3 个月" (months), "第 5 行" (a line number).
_COUNTED = re.compile(
    r"(?<![\d.,])(?<!第)(?<!第 )(\d{1,3}(?:,\d{3})*|\d+)(\s*)(件|个(?!月)|行|名|人|起|宗|"
    r"cases?\b|rows?\b|judges?\b|appeals?\b|values?\b|records?\b)")


def mask_counts_in_text(text: str, threshold: int = DEFAULT_MIN_CELL) -> str:
    """Narrative text with every count below the threshold (a number followed by 件, 个, 行,
    人, cases, rows ...) replaced by ``"<10"``: the same rule as the tables, for sentences built
    from the data (“未结超过 12 个月的案件共 1 件”)."""
    def repl(match: re.Match) -> str:
        number = int(match.group(1).replace(",", ""))
        if 1 <= number < threshold:
            return f"{marker(threshold)}{match.group(2)}{match.group(3)}"
        return match.group(0)

    return _COUNTED.sub(repl, text)
