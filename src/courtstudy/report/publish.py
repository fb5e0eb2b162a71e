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

   * the column margins of every grouping by the table's key columns (all rows, each court, each
     year ...): assumed known even when the table does not print them, because other tables
     of the edition do (the headline totals, the per-court table beside a per-team table);
   * a total row (a row equal to the sum of the others) and a total column (a count column
     equal to the sum of other count columns, e.g. ``pending`` = the age bands), found in the
     numbers themselves, as a reader would find them;
   * the same cell in another table of the edition (the :class:`DisclosureLedger`: a cell
     hidden in one table is hidden in all; a cell published in one cannot serve as a
     complement in another).

   A line with exactly one hidden cell gets a second one, the smallest positive cell of at
   least the threshold (least information lost, yet wide enough to cover the whole 1-9 range),
   marked ``"x"``; repeated until no line has a single hidden cell. Then an attacker is
   simulated (:func:`recoverable_cells`): for every hidden cell, the smallest and the largest
   value consistent with everything published (linear programming over all lines, bounds
   1..threshold-1 for primary cells, >= 0 for the others); a cell whose range is a single
   value gets more complements, and a table that still leaks is withheld.
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
    "季度", "期间", "年份", "年数", "Year", "Month", "Period", "Years",
})
#: Columns whose presence makes a table a list of cases.
CASE_ID_COLUMNS: frozenset[str] = frozenset({"case_id", "案号", "Case number"})
#: Suffixes of comparison columns ("结案（去年同期）" is a count when "结案" is).
COMPARISON_SUFFIXES: tuple[str, ...] = ("（去年同期）", " (a year earlier)", "_previous", "_prev")
#: Default columns holding names of people.
PERSON_COLUMNS: tuple[str, ...] = ("judge", "承办法官", "Judge")
#: Environment variable naming the edition's ledger file (set by the edition runner).
LEDGER_ENV = "COURTSTUDY_DISCLOSURE_LEDGER"
#: Largest number of hidden cells the attacker simulation checks one by one.
AUDIT_LIMIT = 400
#: Key columns whose every combination of margins is protected (beyond that: prefixes only).
MAX_KEY_SUBSETS = 4
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
class _Line:
    """Cells (row, column index into the count matrix) with coefficients and a known sum."""

    cells: list[tuple[int, int]]
    signs: list[int]
    total: float


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
            candidates = (list(s) for k in range(1, len(others) + 1)
                          for s in itertools.combinations(others, k))
        else:
            candidates = iter([others])
        for subset in candidates:
            if np.array_equal(values[:, subset].sum(axis=1), values[:, target]):
                found.append((target, subset))
                break
    return found


def _lines(frame: pd.DataFrame, counts: list[str], keys: list[str], values: np.ndarray) -> list[_Line]:
    """Every additive relation among the count cells (see the module docstring)."""
    lines: list[_Line] = []
    n_rows = len(frame)
    total_rows = _total_rows(values)
    body_rows = np.array([r for r in range(n_rows) if r not in total_rows], dtype=np.int64)
    # margins of each grouping by key columns (the whole table = the empty grouping)
    usable_keys = keys[:MAX_KEY_SUBSETS]
    subsets = [list(s) for k in range(len(usable_keys)) for s in itertools.combinations(usable_keys, k)]
    if len(keys) > MAX_KEY_SUBSETS:
        subsets += [keys[:k] for k in range(MAX_KEY_SUBSETS, len(keys))]
    for subset in subsets:
        if subset:
            labels = frame.iloc[body_rows][subset].astype(str).agg("\x1f".join, axis=1).to_numpy()
            groups: dict[str, list[int]] = {}
            for r, label in zip(body_rows, labels, strict=True):
                groups.setdefault(label, []).append(int(r))
            members = [g for g in groups.values() if len(g) >= 2]
        else:
            members = [list(map(int, body_rows))] if len(body_rows) >= 2 else []
        for rows in members:
            for j in range(len(counts)):
                cells = [(r, j) for r in rows if not np.isnan(values[r, j])]
                if len(cells) >= 2:
                    lines.append(_Line(cells, [1] * len(cells), float(sum(values[r, j] for r, _ in cells))))
    for t in total_rows:
        for j in range(len(counts)):
            cells = [(int(r), j) for r in body_rows] + [(t, j)]
            lines.append(_Line(cells, [1] * len(body_rows) + [-1], 0.0))
    for target, parts in _total_columns(values):
        for r in range(n_rows):
            cells = [(r, j) for j in parts] + [(r, target)]
            lines.append(_Line(cells, [1] * len(parts) + [-1], 0.0))
    return lines


# ------------------------------------------------------------------------------ the attacker
def recoverable_cells(values: np.ndarray, hidden: np.ndarray, primary: np.ndarray,
                      lines: Sequence[_Line], threshold: int,
                      limit: int = AUDIT_LIMIT) -> list[tuple[int, int]]:
    """The hidden cells whose value a reader can work out exactly from the published cells
    and the lines: for each hidden cell, minimise and maximise it subject to every line
    (``scipy.optimize.linprog``, HiGHS), primary cells within 1..threshold-1, other hidden cells
    >= 0. A cell whose minimum equals its maximum is recoverable. More than ``limit`` hidden
    cells are not checked (returns ``[]``; the caller decides)."""
    from scipy.optimize import linprog

    where = [tuple(x) for x in np.argwhere(hidden)]
    if not where or len(where) > limit:
        return []
    index = {cell: k for k, cell in enumerate(where)}
    rows_eq, rhs = [], []
    for line in lines:
        coefficients = np.zeros(len(where))
        known = 0.0
        involved = False
        for cell, sign in zip(line.cells, line.signs, strict=True):
            if cell in index:
                coefficients[index[cell]] += sign
                involved = True
            else:
                known += sign * values[cell]
        if involved:
            rows_eq.append(coefficients)
            rhs.append(line.total - known)
    bounds = [(1, threshold - 1) if primary[cell] else (0, None) for cell in where]
    if not rows_eq:
        return []
    a_eq, b_eq = np.array(rows_eq), np.array(rhs)
    found = []
    for k, cell in enumerate(where):
        objective = np.zeros(len(where))
        objective[k] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status == 0 and high.status == 0 and abs(-high.fun - low.fun) < 1e-6:
            found.append(cell)
    return found


# ------------------------------------------------------------------------------ protection
@dataclass
class Protected:
    """A table as published (markers in hidden cells), the same with hidden cells as NaN and
    canonical names (to draw figures from), and what was done."""

    published: pd.DataFrame | None
    numeric: pd.DataFrame | None
    release: TableRelease


def _choose_complement(line: _Line, values: np.ndarray, hidden: np.ndarray, blocked: np.ndarray,
                       threshold: int) -> tuple[int, int] | None:
    candidates = [c for c in line.cells if not hidden[c] and not blocked[c] and values[c] > 0]
    if not candidates:
        return None
    wide = [c for c in candidates if values[c] >= threshold]
    pool = wide or candidates
    return min(pool, key=lambda c: (values[c], c)) if wide else max(pool, key=lambda c: (values[c], c))


def _complements(values: np.ndarray, hidden: np.ndarray, primary: np.ndarray, blocked: np.ndarray,
                 lines: list[_Line], threshold: int) -> tuple[np.ndarray, bool]:
    """Add complementary cells until no line has a single hidden cell and the attacker
    recovers nothing; returns the hidden mask and whether protection succeeded."""
    hidden = hidden.copy()
    for _round in range(50):
        changed = False
        for line in lines:
            if sum(1 for c in line.cells if hidden[c]) == 1:
                choice = _choose_complement(line, values, hidden, blocked, threshold)
                if choice is None:
                    return hidden, False
                hidden[choice] = True
                changed = True
        if changed:
            continue
        leaks = recoverable_cells(values, hidden, primary, lines, threshold)
        if not leaks:
            return hidden, True
        for cell in leaks:
            # one more complement on a line through the leaking cell, the one with fewest hidden
            through = [ln for ln in lines if cell in ln.cells]
            through.sort(key=lambda ln: sum(1 for c in ln.cells if hidden[c]))
            for line in through:
                choice = _choose_complement(line, values, hidden, blocked, threshold)
                if choice is not None:
                    hidden[choice] = True
                    changed = True
                    break
        if not changed:
            return hidden, False
    return hidden, False


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
    primary = np.zeros(values.shape, dtype=bool)
    hidden = np.zeros(values.shape, dtype=bool)
    for j, column in enumerate(counts):
        primary[:, j] = small(column)
        hidden[:, j] = primary[:, j] | (small_row & ~np.isnan(values[:, j]))
    # identities of the count cells across the edition
    row_keys = [[(str(k), str(out[k].iloc[r])) for k in key_columns] for r in range(n)]
    identity = np.array([[cell_identity(row_keys[r], c) for c in counts] for r in range(n)],
                        dtype=object).reshape(values.shape)
    ledger = ledger if ledger is not None else DisclosureLedger()
    blocked = np.zeros(values.shape, dtype=bool)
    for (r, j), ident in np.ndenumerate(identity):
        if ident in ledger.hidden and not np.isnan(values[r, j]):
            hidden[r, j] = True
        elif ident in ledger.published:
            blocked[r, j] = True
    if hidden.any():
        lines = _lines(out, counts, key_columns, values)
        protected, ok = _complements(values, hidden, primary, blocked, lines, threshold)
        if not ok:
            release.withheld = True
            release.reason = ("suppressed cells could not be protected from recovery through totals "
                              "or other tables")
            return Protected(None, None, release)
        hidden = protected
    # what is hidden: count cells (primary "<10", others "x"); figures of rows with a hidden
    # count; every figure of a row resting on too few cases ("<10")
    row_hidden = hidden.any(axis=1) if counts else np.zeros(n, dtype=bool)
    text_small, text_other = marker(threshold), COMPLEMENT
    numeric = out.copy()
    for column in figures:
        values_col = out[column].astype(object).copy()
        present_mask = out[column].notna().to_numpy()
        if column in counts:
            j = counts.index(column)
            mask = hidden[:, j]
            small_mask = primary[:, j] | (small_row & mask)
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
            release.cells_complementary += int((mask & ~small_mask).sum())
    release.rows_suppressed = int(small_row.sum())
    for (r, j), ident in np.ndenumerate(identity):
        if np.isnan(values[r, j]):
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
