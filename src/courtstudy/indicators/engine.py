"""The indicator engine: cases registered once with an Ibis backend, every indicator computed by
a handful of grouped aggregations against that one table.

How it works (so that a province's data can run on another Ibis backend unchanged):

1. :func:`prepare_cases` turns a canonical cases frame into one row per case of integer day
   numbers and 0/1 flags, *as known at the as-of date* (closings after ``as_of`` become pending,
   appeals filed or decided after ``as_of`` become unknown, cases filed after ``as_of`` are left
   out and counted in ``IndicatorEngine.filed_after_as_of``). Date arithmetic that backends do
   differently (calendar months clipped to month end; statutory deadlines by the rule and table
   of :func:`courtstudy.core.limits.deadlines`, vectorised, and tested to agree with it) happens
   here, once, in numpy. This is the portable path (any Ibis backend, or a prepared table).
2. On DuckDB (the default) the same table is built inside DuckDB instead, multi-threaded and
   without per-case arrays in Python (tested to agree with :func:`prepare_cases` column by
   column): the needed columns are handed over as Arrow (no copy of dates and numbers), text
   columns as integer codes into their distinct values (so comparisons and groupings are on
   integers; the engine decodes the small results), calendar arithmetic is looked up in a
   table of the distinct filing days (computed by the numpy functions below), and the result
   is stored compactly (the 0/1 columns as the bits of one integer) behind a view that reads
   like :func:`prepare_cases`. Another backend gets the numpy table through ``create_table``.
   Either way the Ibis table is kept for every query.
3. :meth:`IndicatorEngine.compute` maps each date to a period bucket (0 = before the first
   period, 1..K the periods of a contiguous grid, K+1 = after the last or never) and runs four
   grouped aggregations in the backend: filings by bucket, closings by bucket (with every
   closed-case sum and the median), the starts of the 12/18/36-month pending ages (one pass),
   and the filing-cohort survival table. The per-(group, bucket) results are small; the stock
   identities finish in numpy:

   * carried_over(k) = sum over buckets j < k of (filed_j - closed_j)
   * pending(k) = carried_over(k) + filed(k) - closed(k)
   * pending_over_Xm(k) = number of cases with start_X <= k < closed bucket, where start_X is the
     bucket of filed_date + X calendar months + 1 day (a case is "over X months" at the end of a
     period when filed_date + X months < end).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from courtstudy.core import limits as _limits
from courtstudy.core.periods import FREQ_MONTHS, Period, parse_period, period_range
from courtstudy.indicators.definitions import (
    APPEAL_BASED,
    BY_NAME,
    GROUP_COLUMNS,
    INDICATOR_NAMES,
)
from courtstudy.indicators.survival import km_table

#: Appeal information settles this many days after closing (domain.md "Maturity").
MATURITY_DAYS = 30
#: Ages of the pending caseload that are reported.
PENDING_AGES: tuple[int, ...] = (12, 18, 36)
#: Stand-in for "never closed" in day and month numbers: falls after every period.
_NEVER_DAY = 10_000_000
_NEVER_MONTH = 1_000_000
#: Group value standing for a missing group field inside the engine.
_MISSING = "\x1f"

_EPOCH = np.datetime64("1970-01-01", "D")


def _days(values: pd.Series) -> np.ndarray:
    """Day numbers since 1970-01-01 (int64); NaT -> -1 (callers mask it)."""
    arr = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
    out = (arr - _EPOCH).astype("int64")
    out[np.isnat(arr)] = -1
    return out


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of day numbers: computed once per distinct day of the range, then
    looked up (a gather is much faster than the arithmetic, or numpy's datetime64[M]
    conversion, at millions of rows)."""
    days = np.asarray(days, dtype="int64")
    if len(days) == 0:
        return days.copy(), days.copy(), days.copy()
    lo, hi = int(days.min()), int(days.max())
    if hi - lo > 4 * len(days):
        return _civil_arithmetic(days)
    year, month, day = _civil_arithmetic(np.arange(lo, hi + 1, dtype="int64"))
    at = days - lo
    return year[at], month[at], day[at]


def _civil_arithmetic(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of day numbers (H. Hinnant's civil_from_days)."""
    z = days.astype("int64") + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _from_civil_arithmetic(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day numbers of (year, month, day) (Hinnant's days_from_civil)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _month_index(days: np.ndarray) -> np.ndarray:
    """year * 12 + month - 1 of day numbers."""
    year, month, _ = _civil(days)
    return year * 12 + month - 1


def _add_months_days(days: np.ndarray, months: int) -> np.ndarray:
    """Day numbers plus whole calendar months, clipped to month end (2023-08-31 + 6 months =
    2024-02-29), the same rule as :func:`courtstudy.core.limits.add_calendar_months`."""
    return _shift_months(*_civil(days), months)[0]


def _shift_months(year: np.ndarray, month: np.ndarray, day: np.ndarray,
                  months: int | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day number, month index, is last day of month) of a date plus ``months`` calendar
    months (a number or one per date), clipped to month end; per-month values are looked up."""
    total = year * 12 + month - 1 + months
    if len(total) == 0:
        return total.copy(), total.copy(), np.zeros(0, dtype=bool)
    lo = int(total.min())
    span = np.arange(lo, int(total.max()) + 1, dtype="int64")
    span_year, span_month = span // 12, span % 12 + 1
    first = _from_civil_arithmetic(span_year, span_month, np.ones_like(span))
    length = _month_length(span_year, span_month)
    at = total - lo
    month_length = length[at]
    new_day = np.minimum(day, month_length)
    return first[at] + new_day - 1, total, new_day == month_length


def _month_length(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return _MONTH_DAYS[month - 1] + (leap & (month == 2))


def default_as_of(cases: pd.DataFrame) -> pd.Timestamp:
    """The latest date in the export (filing, closing, appeal filing or appeal closing): the
    as-of date when none is given."""
    dates = [pd.to_datetime(cases[c]).max() for c in
             ("filed_date", "closed_date", "appeal_filed_date", "appeal_closed_date") if c in cases]
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        raise ValueError("cannot derive an as-of date: the cases have no dates")
    return pd.Timestamp(max(dates)).normalize()


@dataclass(frozen=True)
class _Codes:
    """A text column as integer codes into its distinct values (-1 = missing)."""

    codes: np.ndarray
    values: tuple[str, ...]

    @classmethod
    def of(cls, arr: pa.Array) -> _Codes:
        encoded = pc.dictionary_encode(arr)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        return cls(codes.astype("int64"), tuple(encoded.dictionary.to_pylist()))

    def isin(self, values: str | Sequence[str]) -> np.ndarray:
        wanted = {values} if isinstance(values, str) else set(values)
        hit = np.array([v in wanted for v in self.values] + [False], dtype=bool)
        return hit[self.codes]  # code -1 picks the trailing False

    def notna(self) -> np.ndarray:
        return self.codes >= 0


def _arrow_text(cases: pd.DataFrame, column: str) -> pa.Array:
    """A text column as an Arrow string array (nulls where missing or absent)."""
    if column not in cases:
        return pa.nulls(len(cases), type=pa.string())
    arr = pa.array(cases[column].astype("string"))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def _flag(values: pd.Series | None, n: int) -> np.ndarray:
    if values is None:
        return np.zeros(n, dtype=bool)
    return pd.array(values, dtype="boolean").fillna(False).to_numpy(dtype=bool)


def _count(cases: pd.DataFrame, column: str) -> np.ndarray:
    if column not in cases:
        return np.zeros(len(cases))
    return pd.to_numeric(cases[column], errors="coerce").fillna(0).to_numpy(dtype="float64")


def deadline_days(procedure: _Codes, instance: _Codes, fd: np.ndarray,
                  extension: np.ndarray, suspended: np.ndarray,
                  table: pd.DataFrame | None = None,
                  case_type: _Codes | None = None) -> np.ndarray:
    """Statutory deadline of each case as a day number (-1 where no limit applies): the rule of
    :func:`courtstudy.core.limits.deadlines` (filed + limit months clipped to month end + limit days +
    extension + suspended days; earlier table rows win; missing instance = first; the table's
    rows are keyed by case type, and ``case_type=None`` means every case is civil).

    Vectorised for millions of cases: the table is resolved once for every (procedure,
    instance, date range between table boundaries) combination, then looked up per case."""
    table = _limits.statutory_limits() if table is None else table

    def day_number(value) -> int:
        return int((np.datetime64(pd.Timestamp(value).date(), "D") - _EPOCH).astype("int64"))

    starts = [day_number(v) for v in table["valid_from"]]
    ends = [day_number(v) + 1 for v in table["valid_to"]]
    bounds = np.array(sorted(set(starts + ends)), dtype="int64")
    era = np.searchsorted(bounds, fd, side="right")          # 0 .. len(bounds)
    n_era = len(bounds) + 1
    # Missing instance counts as first instance.
    inst_values = list(instance.values)
    if "first" not in inst_values:
        inst_values.append("first")
    first_code = inst_values.index("first")
    inst_codes = np.where(instance.codes < 0, first_code, instance.codes)
    n_inst = len(inst_values)
    proc_values = list(procedure.values)
    n_proc = len(proc_values) + 1
    if case_type is None:
        type_values, type_codes = ["civil"], np.zeros(len(fd), dtype="int64")
    else:
        type_values, type_codes = list(case_type.values), case_type.codes
    key = (((type_codes + 1) * n_proc + procedure.codes + 1) * n_inst + inst_codes) * n_era + era
    size = (len(type_values) + 1) * n_proc * n_inst * n_era
    lookup_months = np.full(size, np.nan)
    lookup_days = np.full(size, np.nan)
    # Era e covers [bounds[e-1], bounds[e]); its first day represents it.
    era_day = np.concatenate([[bounds[0] - 1], bounds])
    for row, lo, hi in list(zip(table.itertuples(index=False), starts, ends, strict=True))[::-1]:
        kind = getattr(row, "case_type", "civil")
        if (row.procedure not in proc_values or row.instance not in inst_values
                or kind not in type_values):
            continue
        t = type_values.index(kind) + 1
        p, i = proc_values.index(row.procedure) + 1, inst_values.index(row.instance)
        for e in range(n_era):
            if lo <= era_day[e] < hi:
                at = ((t * n_proc + p) * n_inst + i) * n_era + e
                lookup_months[at] = row.limit_months
                lookup_days[at] = row.limit_days
    months = lookup_months[key]
    has = ~np.isnan(months)
    out = np.full(len(fd), -1, dtype="int64")
    if has.any():
        year, month, day = _civil(fd[has])
        base = _shift_months(year, month, day, months[has].astype("int64"))[0]
        out[has] = (base + lookup_days[key][has] + extension[has]
                    + suspended[has]).astype("int64")
    return out


def _check(cases: pd.DataFrame) -> None:
    missing = [c for c in ("case_id", "court", "filed_date") if c not in cases]
    if missing:
        raise ValueError(f"cases frame lacks required column(s) {missing}: pass a canonical "
                         "frame (courtstudy.core.schema.CASE_COLUMNS), e.g. from load_cases()")
    filed = pd.to_datetime(cases["filed_date"])
    closed = pd.to_datetime(cases["closed_date"]) if "closed_date" in cases else None
    bad = filed.isna()
    if bad.any():
        rows = list(np.flatnonzero(bad.to_numpy())[:5])
        raise ValueError(f"column 'filed_date' is empty in {int(bad.sum())} row(s) (first rows "
                         f"{rows}, case_id {list(cases['case_id'].iloc[rows])}): every case "
                         "needs a filing date")
    if closed is not None:
        bad = (closed < filed).fillna(False)
        if bad.any():
            rows = list(np.flatnonzero(bad.to_numpy())[:5])
            raise ValueError(f"column 'closed_date' is before 'filed_date' in {int(bad.sum())} "
                             f"row(s) (first rows {rows}, case_id "
                             f"{list(cases['case_id'].iloc[rows])}): fix or quarantine them")


def prepare_cases(cases: pd.DataFrame, as_of: pd.Timestamp | str | None = None,
                  limits: pd.DataFrame | None = None,
                  group_columns: Sequence[str] = GROUP_COLUMNS) -> pa.Table:
    """One row per case (filed on or before ``as_of``) of what the engine aggregates.

    Day columns are days since 1970-01-01; month columns ``year * 12 + month - 1``:

    * ``fd``/``fm`` filing; ``cd``/``cm`` closing known at as_of (else a far-future stand-in);
    * ``a12d``/``a12m`` ... ``a36d``/``a36m``: filed_date + X calendar months + 1 day;
    * ``dur`` = closed - filed, ``trial`` = dur - suspended_days (closed cases, else 0);
    * ``km_time`` = (closed, or as_of if pending) - filed, ``km_event`` = closed by as_of;
    * 0/1 flags: ``is_closed``, ``has_limit``, ``within``, ``extended``, ``mediation``,
      ``med_wd``, ``fic`` (first-instance civil closed), ``simp``, ``sc``, ``appealed``,
      ``accepted``, ``revrem``, ``decided``, ``undecided``, ``mature``.

    ``limits`` is a statutory-limits table (``courtstudy.core.limits.statutory_limits(extra=...)``);
    the shipped table by default. Group columns have missing values replaced by a marker.
    """
    _check(cases)
    as_of = default_as_of(cases) if as_of is None else pd.Timestamp(as_of).normalize()
    filed_ts = pd.to_datetime(cases["filed_date"])
    keep = (filed_ts <= as_of).to_numpy()
    if not keep.all():
        cases = cases.loc[keep]
    n = len(cases)
    asof_d = int((np.datetime64(as_of.date(), "D") - _EPOCH).astype("int64"))

    out: dict[str, pa.Array] = {}

    def put(name: str, values: np.ndarray) -> None:
        # Converted at once so that the numpy temporaries can go (memory at 10M cases).
        if values.dtype == bool:
            out[name] = pa.array(values.view("int8"))
        elif values.dtype.kind == "f":
            out[name] = pa.array(values.astype("float64", copy=False))
        else:
            out[name] = pa.array(values.astype("int32", copy=False))

    fd = _days(cases["filed_date"])
    cd_raw = _days(cases["closed_date"]) if "closed_date" in cases else np.full(n, -1)
    is_closed = (cd_raw >= 0) & (cd_raw <= asof_d)
    cd = np.where(is_closed, cd_raw, _NEVER_DAY)
    put("fd", fd)
    put("fm", _month_index(fd))
    put("cd", cd)
    put("cm", np.where(is_closed, _month_index(np.where(is_closed, cd_raw, fd)), _NEVER_MONTH))
    del cd_raw
    dur = np.where(is_closed, cd - fd, 0)
    suspended = _count(cases, "suspended_days")
    extension = _count(cases, "extension_days")
    put("dur", dur)
    put("trial", np.where(is_closed, dur - suspended, 0.0))
    del dur
    put("km_time", np.where(is_closed, cd, asof_d) - fd)
    put("km_event", is_closed)
    put("is_closed", is_closed)

    procedure = _Codes.of(_arrow_text(cases, "procedure"))
    instance = _Codes.of(_arrow_text(cases, "instance"))
    case_type = _Codes.of(_arrow_text(cases, "case_type")) if "case_type" in cases else None
    dl = deadline_days(procedure, instance, fd, extension, suspended, limits, case_type)
    has_limit = is_closed & (dl >= 0)
    put("has_limit", has_limit)
    put("within", has_limit & (cd <= dl))
    del dl, has_limit, suspended
    put("extended", is_closed & (extension > 0))
    del extension

    disposition = _Codes.of(_arrow_text(cases, "disposition"))
    put("mediation", is_closed & disposition.isin("mediation"))
    put("med_wd", is_closed & disposition.isin(["mediation", "withdrawal"]))
    fic = is_closed & instance.isin("first")
    fic &= case_type.isin("civil") if case_type is not None else False
    put("fic", fic)
    put("simp", fic & procedure.isin(["simplified", "small_claims"]))
    put("sc", fic & procedure.isin("small_claims"))
    del fic

    # Appeal facts as known at as_of: dated facts after as_of are unknown.
    appealed = _flag(cases.get("appealed"), n)
    if "appeal_filed_date" in cases:
        afd = _days(cases["appeal_filed_date"])
        appealed = np.where(afd >= 0, afd <= asof_d, appealed)
        del afd
    appealed &= is_closed
    result = _Codes.of(_arrow_text(cases, "appeal_result"))
    decided = appealed & result.notna()
    if "appeal_closed_date" in cases:
        acd = _days(cases["appeal_closed_date"])
        decided &= (acd < 0) | (acd <= asof_d)
        del acd
    retrial = _flag(cases.get("retrial_petition"), n) & is_closed
    put("appealed", appealed)
    put("accepted", is_closed & ~appealed & ~retrial)
    put("revrem", decided & result.isin(["modified", "remanded"]))
    put("decided", decided)
    put("undecided", appealed & ~decided)
    put("mature", is_closed & (cd <= asof_d - MATURITY_DAYS))
    del appealed, decided, retrial, cd, is_closed

    year, month, day = _civil(fd)
    for months in PENDING_AGES:
        # filed_date + X calendar months + 1 day: the first day the case is over X months old.
        shifted, total, month_end = _shift_months(year, month, day, months)
        put(f"a{months}d", shifted + 1)
        put(f"a{months}m", total + month_end)
    for column in group_columns:
        if column in cases:
            out[column] = pc.fill_null(_arrow_text(cases, column), _MISSING)
    return pa.table(out)


# -- DuckDB-native preparation ------------------------------------------------------------
#: Canonical columns the preparation reads (besides the group columns).
_INPUT_COLUMNS: tuple[str, ...] = (
    "filed_date", "closed_date", "procedure", "instance", "case_type", "disposition",
    "extension_days", "suspended_days", "appealed", "appeal_filed_date", "appeal_result",
    "appeal_closed_date", "retrial_petition")
#: 0/1 columns of :func:`prepare_cases`, stored as the bits of one integer in DuckDB.
_FLAGS: tuple[str, ...] = ("is_closed", "has_limit", "within", "extended", "mediation",
                           "med_wd", "fic", "simp", "sc", "appealed", "accepted", "revrem",
                           "decided", "undecided", "mature")


def _sql_text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _day_number(value) -> int:
    return int((np.datetime64(pd.Timestamp(value).date(), "D") - _EPOCH).astype("int64"))


def _limit_rows(limits: pd.DataFrame | None) -> list[tuple[tuple[str, str, str], int, int,
                                                         int | None, float | None]]:
    """The usable rows of a limits table in priority order: (case type, procedure, instance),
    first and last filing day, limit months and days (None: the row gives no limit)."""
    table = _limits.statutory_limits() if limits is None else limits
    rows = []
    for row in table.itertuples(index=False):
        key = (getattr(row, "case_type", "civil"), row.procedure, row.instance)
        if any(pd.isna(v) for v in key) or pd.isna(row.valid_from) or pd.isna(row.valid_to):
            continue  # a row without a key matches no case (as in deadline_days)
        no_limit = pd.isna(row.limit_months) or pd.isna(row.limit_days)
        rows.append((tuple(str(v) for v in key), _day_number(row.valid_from),
                     _day_number(row.valid_to), None if no_limit else int(row.limit_months),
                     None if no_limit else float(row.limit_days)))
    return rows


def _day_table(first: int, last: int, months: Iterable[int]) -> pa.Table:
    """Per filing day from ``first`` to ``last``: month index, the pending-age starts and the
    day plus each statutory number of months (the tested numpy calendar arithmetic, done once
    per distinct day instead of once per case)."""
    days = np.arange(first, last + 1, dtype="int64")
    year, month, day = _civil(days)
    columns = {"day": days.astype("int32"), "fm": (year * 12 + month - 1).astype("int32")}
    for m in PENDING_AGES:
        shifted, total, month_end = _shift_months(year, month, day, m)
        columns[f"a{m}d"] = (shifted + 1).astype("int32")
        columns[f"a{m}m"] = (total + month_end).astype("int32")
    for m in sorted(set(months)):
        columns[f"plus{m}"] = _shift_months(year, month, day, m)[0].astype("int32")
    return pa.table(columns)


#: Text columns the preparation compares with codes (it reads them as integer codes).
_TEXT_INPUTS: tuple[str, ...] = ("procedure", "instance", "case_type", "disposition",
                                 "appeal_result")


def _prepare_sql(source: str, days: str, columns: set[str], as_of: pd.Timestamp,
                 rows: list, group_columns: Sequence[str],
                 dictionaries: dict[str, tuple[str, ...]]) -> str:
    """One statement over the registered input and day table giving the compact prepared
    table: the integer columns of :func:`prepare_cases`, its 0/1 columns as the bits of
    ``flags`` (see :data:`_FLAGS`) and the group columns as integer codes into
    ``dictionaries`` (-1 = missing). Text columns arrive as such codes (``-1`` = missing), so
    every comparison is an integer one. :func:`_prepared_view` reads the table back with the
    columns of :func:`prepare_cases` (same values; tested to agree)."""
    asof_d = _day_number(as_of)
    present = [c for c in dict.fromkeys([*_INPUT_COLUMNS, *group_columns]) if c in columns]

    def absent(column: str, sql_type: str) -> str:
        value = "-1" if sql_type == "INTEGER" else "NULL"  # text columns are codes
        return "" if column in columns else f", CAST({value} AS {sql_type}) AS {column}"

    def days_of(column: str) -> str:
        return f"CAST(CAST({column} AS DATE) - DATE '1970-01-01' AS INTEGER)"

    def code(column: str, value: str) -> int:
        # -2 matches nothing (-1 is missing): a value absent from the data is never equal.
        values = dictionaries.get(column, ())
        return values.index(value) if value in values else -2

    def one_of(column: str, values: Sequence[str]) -> str:
        return f"{column} IN ({', '.join(str(code(column, v)) for v in values)})"

    missing = "".join(absent(c, t) for c, t in (
        ("closed_date", "DATE"), ("appeal_filed_date", "DATE"), ("appeal_closed_date", "DATE"),
        ("procedure", "INTEGER"), ("instance", "INTEGER"), ("disposition", "INTEGER"),
        ("appeal_result", "INTEGER"), ("appealed", "BOOLEAN"), ("retrial_petition", "BOOLEAN"),
        ("extension_days", "DOUBLE"), ("suspended_days", "DOUBLE")))
    # The first matching row of the limits table (earlier rows win); missing instance = first;
    # no case_type column = every case civil.
    whens = []
    for i, (key, lo, hi, _, _) in enumerate(rows):
        kind = (f"case_type = {code('case_type', key[0])} AND " if "case_type" in columns
                else "" if key[0] == "civil" else "false AND ")
        inst = (f"instance IN (-1, {code('instance', key[2])})" if key[2] == "first"
                else f"instance = {code('instance', key[2])}")
        whens.append(f"WHEN {kind}procedure = {code('procedure', key[1])} AND {inst} AND fd "
                     f"BETWEEN {lo} AND {hi} THEN {i}")
    limit_row = f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS INTEGER)"
    bases = [f"WHEN {i} THEN plus{m} + {d!r}" for i, (_, _, _, m, d) in enumerate(rows)
             if m is not None]
    deadline = (f"CAST(CASE limit_row {' '.join(bases)} END AS DOUBLE) + extension + suspended"
                if bases else "CAST(NULL AS DOUBLE)")
    fic = (f"closed AND instance = {code('instance', 'first')} "
           f"AND case_type = {code('case_type', 'civil')}" if "case_type" in columns
           else "false")
    flags = {
        "is_closed": "closed",
        "has_limit": "has_limit_",
        "within": "has_limit_ AND cd <= deadline",
        "extended": "closed AND extension > 0",
        "mediation": f"closed AND disposition = {code('disposition', 'mediation')}",
        "med_wd": f"closed AND {one_of('disposition', ['mediation', 'withdrawal'])}",
        "fic": "fic_",
        "simp": f"fic_ AND {one_of('procedure', ['simplified', 'small_claims'])}",
        "sc": f"fic_ AND procedure = {code('procedure', 'small_claims')}",
        "appealed": "appealed_",
        "accepted": "closed AND NOT appealed_ AND NOT coalesce(retrial_petition, false)",
        "revrem": f"decided_ AND {one_of('appeal_result', ['modified', 'remanded'])}",
        "decided": "decided_",
        "undecided": "appealed_ AND NOT decided_",
        "mature": f"closed AND cd <= {asof_d - MATURITY_DAYS}",
    }
    # The flags that need the deadline come after the join with the day table; the others are
    # summed into an integer below it.
    after_join = ("has_limit", "within")
    bits_before = " + ".join(f"CAST({flags[name]} AS SMALLINT) * {1 << i}"
                             for i, name in enumerate(_FLAGS) if name not in after_join)
    bits = " + ".join(["flags_", *(f"CAST({flags[name]} AS SMALLINT) * {1 << i}"
                                   for i, name in enumerate(_FLAGS) if name in after_join)])
    ages = "".join(f", a{m}d, a{m}m" for m in PENDING_AGES)
    # Codes of a group column fit in two bytes unless it has more than 32,767 distinct values.
    groups = "".join(
        f", CAST({c} AS {'SMALLINT' if len(dictionaries.get(c, ())) < 2**15 else 'INTEGER'})"
        f" AS {c}" for c in group_columns if c in columns)
    # DuckDB merges stacked projections into one, inlining every derived column into each
    # expression that uses it (the limit-row CASE chain would run once per flag using the
    # deadline). A projection directly below a join is kept: the per-case facts used several
    # times are computed there, once.
    return f"""
WITH step1 AS (
    SELECT {', '.join(f'i.{c}' for c in present)}{missing},
           {days_of('filed_date')} AS fd, {days_of('closed_date')} AS cd_raw,
           {days_of('appeal_filed_date')} AS afd, {days_of('appeal_closed_date')} AS acd,
           coalesce(CAST(suspended_days AS DOUBLE), 0) AS suspended,
           coalesce(CAST(extension_days AS DOUBLE), 0) AS extension
    FROM {source} AS i
    WHERE filed_date <= TIMESTAMP '{as_of.date().isoformat()}'
), step2 AS (
    SELECT *,
           coalesce(cd_raw >= 0 AND cd_raw <= {asof_d}, false) AS closed
    FROM step1
), step3 AS (
    SELECT *,
           CASE WHEN closed THEN cd_raw ELSE {_NEVER_DAY} END AS cd,
           closed AND CASE WHEN afd >= 0 THEN afd <= {asof_d}
                           ELSE coalesce(appealed, false) END AS appealed_,
           {limit_row} AS limit_row,
           {fic} AS fic_
    FROM step2
), step4 AS (
    SELECT *,
           appealed_ AND appeal_result >= 0 AND coalesce(acd, -1) <= {asof_d} AS decided_
    FROM step3
), step4b AS (
    SELECT *, {bits_before} AS flags_
    FROM step4
), step5 AS (
    SELECT step4b.*, d.* EXCLUDE (day),
           {deadline} AS deadline
    FROM step4b JOIN {days} AS d ON step4b.fd = d.day
), step6 AS (
    SELECT *,
           closed AND coalesce(deadline >= 0, false) AS has_limit_
    FROM step5
)
SELECT fd, fm, cd,
       CASE WHEN closed THEN CAST(year(CAST(closed_date AS DATE)) * 12
                                  + month(CAST(closed_date AS DATE)) - 1 AS INTEGER)
            ELSE {_NEVER_MONTH} END AS cm,
       CASE WHEN closed THEN cd - fd - suspended ELSE 0.0 END AS trial,
       CAST({bits} AS SMALLINT) AS flags{ages}{groups}
FROM step6
"""


def _prepared_view(table: str, as_of: pd.Timestamp, group_columns: Sequence[str],
                   for_sums: bool = False) -> str:
    """The compact prepared table read back with the columns of :func:`prepare_cases`.

    ``for_sums``: the 0/1 columns stay the SMALLINT bit ``(flags >> i) & 1`` instead of being
    cast to TINYINT (the engine's own queries sum them: summing the bit directly takes half
    the time of summing it through two casts; values are the same)."""
    asof_d = _day_number(as_of)
    flag = {name: f"((flags >> {i}) & 1)" if for_sums else f"CAST((flags >> {i}) & 1 AS TINYINT)"
            for i, name in enumerate(_FLAGS)}
    closed = "(flags & 1) = 1"
    derived = {
        "dur": f"CASE WHEN {closed} THEN cd - fd ELSE 0 END",
        "km_time": f"CAST(CASE WHEN {closed} THEN cd ELSE {asof_d} END - fd AS INTEGER)",
        "km_event": flag["is_closed"],
    }
    out = []
    for name in ("fd", "fm", "cd", "cm", "dur", "trial", "km_time", "km_event", *_FLAGS,
                 *[f"a{m}{u}" for m in PENDING_AGES for u in "dm"], *group_columns):
        out.append(f"{derived[name]} AS {name}" if name in derived
                   else f"{flag[name]} AS {name}" if name in flag else name)
    return f"SELECT {', '.join(out)} FROM {table}"


@dataclass(frozen=True)
class _Grid:
    """Period buckets: K contiguous buckets (requested periods and the gaps between them)."""

    periods: tuple[Period, ...]      # requested periods
    bucket_of: tuple[int, ...]       # bucket number of each requested period
    n_buckets: int                   # K
    freq_months: int | None          # calendar grid: months per bucket; None = day boundaries
    first_index: int                 # calendar grid: index (month_index // freq) of bucket 1
    boundaries: tuple[int, ...]      # day grid: bucket b = number of boundaries <= day


def _make_grid(periods: Sequence[Period]) -> _Grid:
    periods = tuple(sorted(periods, key=lambda p: p.start))
    for a, b in zip(periods, periods[1:], strict=False):
        if b.start <= a.end:
            raise ValueError(f"periods {a.label} and {b.label} overlap: compute them separately")
    freqs = {p.freq for p in periods}
    if len(freqs) == 1 and next(iter(freqs)) in FREQ_MONTHS:
        months = FREQ_MONTHS[next(iter(freqs))]
        index = [(p.start.year * 12 + p.start.month - 1) // months for p in periods]
        first = index[0]
        return _Grid(periods, tuple(i - first + 1 for i in index), index[-1] - first + 1,
                     months, first, ())
    edges: set[int] = set()
    for p in periods:
        edges.add(int((np.datetime64(p.start.date(), "D") - _EPOCH).astype("int64")))
        edges.add(int((np.datetime64(p.end.date(), "D") - _EPOCH).astype("int64")) + 1)
    bounds = tuple(sorted(edges))
    bucket_of = tuple(bounds.index(int((np.datetime64(p.start.date(), "D") - _EPOCH)
                                       .astype("int64"))) + 1 for p in periods)
    return _Grid(periods, bucket_of, len(bounds) - 1, None, 0, bounds)


def _bucket(table, day_col: str, month_col: str, grid: _Grid):
    """Ibis expression: the bucket (0..K+1) of a date column."""
    import ibis

    if grid.freq_months is not None:
        # greatest/least rather than .clip(): clip compiles to nested CASEs that repeat the
        # expression (several times slower per case on DuckDB).
        month = table[month_col]
        index = month if grid.freq_months == 1 else month // grid.freq_months
        bucket = index - grid.first_index + 1
        return ibis.greatest(0, ibis.least(grid.n_buckets + 1, bucket)).cast("int32")
    day = table[day_col]
    terms = [(day >= b).cast("int32") for b in grid.boundaries]
    return functools.reduce(lambda a, b: a + b, terms).cast("int32")


def _encode(arr: pa.Array) -> tuple[tuple[str, ...], pa.Array]:
    """A text column as int32 codes into its distinct values (-1 = missing), all in Arrow (the
    codes of :class:`_Codes` without a numpy copy)."""
    encoded = pc.dictionary_encode(arr)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = pc.fill_null(encoded.indices.cast(pa.int32()), -1)
    return tuple(encoded.dictionary.to_pylist()), codes


def _fetch(expr) -> pd.DataFrame:
    """Run an Ibis expression and return pandas through Arrow (cheaper than ``execute`` for
    the million-row survival table)."""
    return expr.to_pyarrow().to_pandas()


_CLOSED_SUMS: tuple[str, ...] = ("dur", "trial", "has_limit", "within", "extended", "mediation",
                                 "med_wd", "fic", "simp", "sc", "appealed", "accepted", "revrem",
                                 "decided", "undecided", "mature")


class IndicatorEngine:
    """Cases registered once with an Ibis backend; every indicator query runs against them.

    ``cases`` is a canonical cases frame (or an Ibis table already holding the columns of
    :func:`prepare_cases`, e.g. a prepared Parquet file opened on Spark; then ``as_of`` is
    required). ``courts`` is the canonical courts table (court, year, judges) used by
    ``per_judge_closed``. ``backend`` is ``None`` (an in-process DuckDB), ``"duckdb"``,
    ``"polars"`` or any Ibis backend connection. ``limits`` is a statutory-limits table
    (``courtstudy.core.limits.statutory_limits(extra=...)`` to extend it).

    Example::

        engine = IndicatorEngine(cases, courts=courts, as_of="2024-03-31")
        long = engine.compute(by=["court"], period="quarter", start="2023-01-01")
        table = engine.wide(long, lang="zh")
    """

    def __init__(self, cases, courts: pd.DataFrame | None = None,
                 backend=None, as_of: pd.Timestamp | str | None = None,
                 limits: pd.DataFrame | None = None, name: str = "courtstudy_cases") -> None:
        import ibis

        self.courts = courts
        self.filed_after_as_of = 0
        self._sum_table = None
        if isinstance(cases, ibis.Table):
            if as_of is None:
                raise ValueError("pass as_of with a prepared Ibis table")
            self.as_of = pd.Timestamp(as_of).normalize()
            self.table = cases
            self.con = None
            self.group_columns = tuple(c for c in GROUP_COLUMNS if c in cases.columns)
            self._first_filed = None
            self._dictionaries = {}
            return
        self.as_of = default_as_of(cases) if as_of is None else pd.Timestamp(as_of).normalize()
        self.filed_after_as_of = int((pd.to_datetime(cases["filed_date"]) > self.as_of).sum())
        self.con = self._connect(backend)
        self._dictionaries: dict[str, tuple[str, ...]] = {}
        raw = getattr(self.con, "con", None)
        if self.con.name == "duckdb" and raw is not None:
            _check(cases)
            self.table = self._prepare_in_duckdb(raw, cases, limits, name)
            first = raw.execute(f"SELECT min(fd) FROM {name}").fetchall()[0][0]
        else:
            prepared = prepare_cases(cases, self.as_of, limits)
            self.table = self._register(prepared, name)
            first = pc.min(prepared["fd"]).as_py()
        self.group_columns = tuple(c for c in GROUP_COLUMNS if c in self.table.columns)
        self._first_filed = (pd.Timestamp(np.datetime64(int(first), "D"))
                             if first is not None else self.as_of)

    @staticmethod
    def _connect(backend):
        import ibis

        if backend is None or backend == "duckdb":
            return ibis.duckdb.connect()
        if isinstance(backend, str):
            return getattr(ibis, backend).connect()
        return backend

    def _prepare_in_duckdb(self, raw, cases: pd.DataFrame, limits: pd.DataFrame | None,
                           name: str):
        """Register the needed columns of ``cases`` with DuckDB and build the prepared table in
        one multi-threaded statement: no per-case arrays in Python beyond the text columns'
        integer codes. Calendar arithmetic is done once per distinct filing day (a small day
        table joined on the filing day); text columns become codes into their distinct values
        (kept in ``self._dictionaries``), so that comparisons and groupings are on integers."""
        columns = [c for c in dict.fromkeys([*_INPUT_COLUMNS, *GROUP_COLUMNS]) if c in cases]
        encoded = [c for c in columns if c in _TEXT_INPUTS or c in GROUP_COLUMNS]
        source, days, base = f"{name}__input", f"{name}__days", f"{name}__base"
        rows = _limit_rows(limits)
        filed = pd.to_datetime(cases["filed_date"])
        first = _day_number(filed.min()) if len(cases) else 0
        last = _day_number(min(filed.max(), self.as_of)) if len(cases) else 0
        plain = [c for c in columns if c not in encoded]
        table = pa.Table.from_pandas(cases[plain], preserve_index=False)
        # Arrow releases the GIL while hashing: the columns are encoded side by side.
        with ThreadPoolExecutor(max_workers=2) as pool:
            coded = list(pool.map(lambda c: _encode(_arrow_text(cases, c)), encoded))
        for column, (values, codes) in zip(encoded, coded, strict=True):
            self._dictionaries[column] = values
            table = table.append_column(column, codes)
        del coded
        raw.register(source, table)
        raw.register(days, _day_table(first, max(first, last),
                                      [m for _, _, _, m, _ in rows if m is not None]))
        try:
            sql = _prepare_sql(source, days, set(columns), self.as_of, rows, GROUP_COLUMNS,
                               self._dictionaries)
            # Kept as Arrow record batches of 128k rows (scanned on all cores) rather than a
            # DuckDB table: storing 10M rows as a table costs a fifth of the statement.
            self._prepared_arrow = raw.sql(sql).to_arrow_table(batch_size=1 << 17)
        finally:
            raw.unregister(source)
            raw.unregister(days)
        raw.register(base, self._prepared_arrow)
        groups = [c for c in GROUP_COLUMNS if c in columns]
        raw.execute(f"CREATE OR REPLACE VIEW {name} AS "
                    f"{_prepared_view(base, self.as_of, groups)}")
        raw.execute(f"CREATE OR REPLACE VIEW {name}__sums AS "
                    f"{_prepared_view(base, self.as_of, groups, for_sums=True)}")
        self._sum_table = self.con.table(f"{name}__sums")
        return self.con.table(name)

    def _decode(self, frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
        """Group codes of an aggregation result back to their text (missing -> marker)."""
        coded = [c for c in by if c in self._dictionaries]
        if not coded:
            return frame
        out = {}
        for c in coded:
            values = np.array([*self._dictionaries[c], _MISSING], dtype=object)
            out[c] = pd.array(values[frame[c].to_numpy(dtype="int64")], dtype="string")
        return frame.assign(**out)

    def _register(self, prepared: pa.Table, name: str):
        raw = getattr(self.con, "con", None)
        if self.con.name == "duckdb" and raw is not None:
            # The Arrow table is registered once on the raw connection: no copy, and no
            # conversion per query (ibis.memtable converts the frame again on every use, and
            # create_table fails with DuckDB 2.0). Record batches of 128k rows let DuckDB scan
            # it on all cores (a one-chunk table is scanned by one thread).
            raw.register(name, pa.Table.from_batches(prepared.to_batches(max_chunksize=1 << 17)))
            return self.con.table(name)
        return self.con.create_table(name, prepared, overwrite=True)

    # -- periods --------------------------------------------------------------------------
    def periods(self, period: str | Period | Iterable[str | Period] = "quarter",
                start: pd.Timestamp | str | None = None,
                end: pd.Timestamp | str | None = None) -> list[Period]:
        """The periods a query covers: a frequency (``month``, ``quarter``, ``half``, ``year``)
        from ``start`` (default: the first filing) to ``end`` (default: as_of); ``custom`` for
        the single period [start, end]; a label (``2023Q4``) or Period; or a list of them."""
        if isinstance(period, Period):
            return [period]
        if isinstance(period, str):
            from courtstudy.core.periods import FREQ_ALIASES
            if period.strip().lower() in FREQ_ALIASES:
                lo = pd.Timestamp(start) if start is not None else self._first_filed
                hi = pd.Timestamp(end) if end is not None else self.as_of
                if lo is None:
                    raise ValueError("pass start= with a prepared Ibis table")
                return period_range(lo, hi, period)
            return [parse_period(period)]
        return [parse_period(p) for p in period]

    # -- the computation ------------------------------------------------------------------
    def compute(self, by: str | Sequence[str] = ("court",),
                period: str | Period | Iterable[str | Period] = "quarter",
                start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None,
                court_filter: Sequence[str] | None = None, horizon: int = 365,
                indicators: Sequence[str] | None = None,
                pseudonymise: bool = False, salt: str | None = None) -> pd.DataFrame:
        """The long, tidy indicator table.

        Columns: the group columns of ``by``, ``period`` (label), ``period_start``,
        ``period_end``, ``indicator``, ``value``, ``numerator``, ``denominator``, ``immature``
        (appeal-based figure including closings within 30 days before as_of), ``incomplete``
        (the period ends after as_of). One row per group, period and indicator; groups with no
        caseload in a period are left out. ``court_filter`` keeps only those courts. ``horizon`` is
        the RMST horizon in days. ``pseudonymise`` replaces judge names (see
        :mod:`courtstudy.report.pseudonym`).
        """
        by = [by] if isinstance(by, str) else list(by)
        unknown = [c for c in by if c not in GROUP_COLUMNS]
        if unknown:
            raise ValueError(f"cannot group by {unknown}: choose from {list(GROUP_COLUMNS)}")
        absent = [c for c in by if c not in self.group_columns]
        if absent:
            raise ValueError(f"the cases have no column {absent} to group by")
        names = list(INDICATOR_NAMES if indicators is None else indicators)
        bad = [i for i in names if i not in BY_NAME]
        if bad:
            raise ValueError(f"unknown indicator(s) {bad}: see courtstudy.indicators.catalogue()")
        grid = _make_grid(self.periods(period, start, end))
        raw = self._aggregate(by, grid, court_filter, horizon)
        long = self._assemble(by, grid, raw, names, court_filter)
        if pseudonymise and "judge" in by:
            from courtstudy.report.pseudonym import pseudonymise as _pseudo
            long = _pseudo(long, columns=("judge",), salt=salt)
        return long

    def _aggregate(self, by: list[str], grid: _Grid, courts: Sequence[str] | None,
                   horizon: int) -> dict[str, pd.DataFrame]:
        # The DuckDB-native path has a view of the same table whose 0/1 columns sum faster
        # (wide enough not to overflow: no cast per row needed).
        t = self._sum_table if self._sum_table is not None else self.table
        cast_flags = self._sum_table is None
        if courts is not None:
            wanted = list(courts)
            if "court" in self._dictionaries:
                known = self._dictionaries["court"]
                wanted = [known.index(c) for c in wanted if c in known] or [-2]
            t = t.filter(t.court.isin(wanted))
        t = t.mutate(fb=_bucket(t, "fd", "fm", grid), cb=_bucket(t, "cd", "cm", grid),
                     **{f"lo{m}": _bucket(t, f"a{m}d", f"a{m}m", grid) for m in PENDING_AGES})
        k = grid.n_buckets
        out: dict[str, pd.DataFrame] = {}
        out["filed"] = _fetch(t.group_by([*by, "fb"]).agg(n=t.count()))
        closed = t.filter(t.is_closed == 1)
        metrics = {"n": closed.count(),
                   "co_closed": (closed.fb < closed.cb).cast("int64").sum(),
                   "median": closed.dur.median()}
        metrics.update({c: (closed[c].cast("float64" if c == "trial" else "int64")
                            if cast_flags or c in ("dur", "trial") else closed[c]).sum()
                        for c in _CLOSED_SUMS})
        for m in PENDING_AGES:
            metrics[f"end{m}"] = (closed[f"lo{m}"] < closed.cb).cast("int64").sum()
        out["closed"] = _fetch(closed.group_by([*by, "cb"]).agg(**metrics))
        # One pass for every age: a case over 18 or 36 months is also over 12 (the starts
        # grow with the age), so the 12-month condition selects every case needed.
        ages = [f"lo{m}" for m in PENDING_AGES]
        young = ages[int(np.argmin(PENDING_AGES))]
        aged = t.filter((t[young] < t.cb) & (t[young] <= k))
        starts = _fetch(aged.group_by([*by, *ages, "cb"]).agg(n=aged.count()))
        for lo in ages:
            rows = starts[(starts[lo] < starts["cb"]) & (starts[lo] <= k)]
            out[f"start{lo[2:]}"] = (rows.groupby([*by, lo], sort=False, dropna=False)["n"]
                                     .sum().reset_index())
        cohort = t.filter((t.fb >= 1) & (t.fb <= k))
        out["km"] = _fetch(cohort.group_by([*by, "fb", "km_time"])
                           .agg(n=cohort.count(),
                                events=(cohort.km_event.cast("int64") if cast_flags
                                        else cohort.km_event).sum()))
        out = {q: self._decode(frame, by) for q, frame in out.items()}
        out["horizon"] = pd.DataFrame({"h": [horizon]})
        return out

    def _assemble(self, by: list[str], grid: _Grid, raw: dict[str, pd.DataFrame],
                  names: list[str], courts: Sequence[str] | None) -> pd.DataFrame:
        k = grid.n_buckets
        width = k + 2
        keys = [raw[q][by] for q in ("filed", "closed", *[f"start{m}" for m in PENDING_AGES])]
        if by:
            groups = (pd.concat(keys, ignore_index=True).astype("string").drop_duplicates()
                      .sort_values(by).reset_index(drop=True))
        else:
            groups = pd.DataFrame(index=[0])
        n_groups = len(groups)

        def index_of(frame: pd.DataFrame) -> np.ndarray:
            if not by:
                return np.zeros(len(frame), dtype="int64")
            lookup = pd.MultiIndex.from_frame(groups[by])
            return lookup.get_indexer(pd.MultiIndex.from_frame(frame[by].astype("string")))

        def dense(frame: pd.DataFrame, bucket: str, column: str, fill=0.0) -> np.ndarray:
            arr = np.full((n_groups, width), fill, dtype="float64")
            if len(frame):
                vals = pd.to_numeric(frame[column]).to_numpy(dtype="float64", na_value=np.nan)
                arr[index_of(frame), frame[bucket].to_numpy(dtype="int64")] = vals
            return arr

        filed = dense(raw["filed"], "fb", "n")
        cl = raw["closed"]
        closed = dense(cl, "cb", "n")
        flows = np.cumsum(filed - closed, axis=1)
        carried = np.zeros_like(flows)
        carried[:, 1:] = flows[:, :-1]
        pending = carried + filed - closed
        sums = {c: dense(cl, "cb", c) for c in (*_CLOSED_SUMS, "co_closed")}
        median = dense(cl, "cb", "median", np.nan)
        aged = {}
        for m in PENDING_AGES:
            starts = dense(raw[f"start{m}"], f"lo{m}", "n")
            ends = dense(cl, "cb", f"end{m}")
            aged[m] = np.cumsum(starts - ends, axis=1)

        km = raw["km"]
        km_median = np.full((n_groups, width), np.nan)
        rmst = np.full((n_groups, width), np.nan)
        if len(km):
            cohort_id = index_of(km) * width + km["fb"].to_numpy(dtype="int64")
            surv = km_table(cohort_id, km["km_time"].to_numpy(dtype="float64"),
                            km["events"].to_numpy(dtype="float64"),
                            km["n"].to_numpy(dtype="float64"),
                            horizon=float(raw["horizon"]["h"].iloc[0]))
            gi, bi = np.divmod(surv["cohort"].to_numpy(), width)
            km_median[gi, bi] = surv["median"].to_numpy()
            rmst[gi, bi] = surv["rmst"].to_numpy()

        judges = self._judges(by, groups, grid, courts)
        columns = [*by, "period", "period_start", "period_end", "indicator", "value",
                   "numerator", "denominator", "immature", "incomplete"]
        sel = np.asarray(grid.bucket_of, dtype="int64")
        n_periods = len(sel)

        def pick(matrix: np.ndarray) -> np.ndarray:
            # (group, period) pairs in output order: group-major, then period.
            return matrix[:, sel].reshape(-1)

        f, c, co, pe = pick(filed), pick(closed), pick(carried), pick(pending)
        keep = (co + f) > 0
        gidx = np.repeat(np.arange(n_groups), n_periods)[keep]
        pidx = np.tile(np.arange(n_periods), n_groups)[keep]
        f, c, co, pe = f[keep], c[keep], co[keep], pe[keep]
        s = {name: pick(v)[keep] for name, v in sums.items()}
        age = {m: pick(v)[keep] for m, v in aged.items()}
        days = np.array([p.days for p in grid.periods], dtype="float64")[pidx]
        nan = np.full(len(f), np.nan)
        spec: dict[str, tuple[np.ndarray | None, np.ndarray, np.ndarray]] = {
            # name: (value, numerator, denominator); value None -> numerator / denominator
            "filed": (f, f, nan), "carried_over": (co, co, nan),
            "caseload": (co + f, co + f, nan), "closed": (c, c, nan),
            "pending": (pe, pe, nan),
            "disposition_rate": (None, c, co + f), "clearance_rate": (None, c, f),
            "disposition_time": (None, days * pe, c),
            "mean_days": (None, s["dur"], c), "mean_trial_days": (None, s["trial"], c),
            "median_days": (pick(median)[keep], nan, c),
            "km_median_days": (pick(km_median)[keep], nan, f),
            "rmst_days": (pick(rmst)[keep], nan, f),
            "within_limit_rate": (None, s["within"], s["has_limit"]),
            "extension_rate": (None, s["extended"], c),
            "mediation_rate": (None, s["mediation"], c),
            "mediation_withdrawal_rate": (None, s["med_wd"], c),
            "simplified_rate": (None, s["simp"], s["fic"]),
            "small_claims_rate": (None, s["sc"], s["fic"]),
            "appeal_rate": (None, s["appealed"], c),
            "acceptance_rate": (None, s["accepted"], c),
            "reversal_remand_rate": (None, s["revrem"], c),
            "reversal_remand_share_of_appeals": (None, s["revrem"], s["decided"]),
            "appeals_undecided_share": (None, s["undecided"], s["appealed"]),
            "mature_closed": (s["mature"], s["mature"], nan),
            "per_judge_closed": (None, c, pick(judges)[keep]),
            "pending_over_12m": (age[12], age[12], nan),
            "pending_over_12m_share": (None, age[12], pe),
            "pending_over_18m": (age[18], age[18], nan),
            "pending_over_36m": (age[36], age[36], nan),
            "carryover_clearance": (None, s["co_closed"], co),
        }
        values, nums, dens = [], [], []
        for name in names:
            value, num, den = spec[name]
            if value is None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    value = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
            values.append(value)
            nums.append(num)
            dens.append(den)
        n_ind = len(names)
        immature_row = (c - s["mature"]) > 0
        appeal = np.array([n in APPEAL_BASED for n in names])
        long = pd.DataFrame(index=range(len(f) * n_ind))
        if by:
            part = groups.iloc[np.repeat(gidx, n_ind)].reset_index(drop=True)
            for col in by:
                long[col] = part[col].astype("string").replace(_MISSING, pd.NA)
        rep_p = np.repeat(pidx, n_ind)
        long["period"] = pd.array(np.array([p.label for p in grid.periods], dtype=object)[rep_p],
                                  dtype="string")
        long["period_start"] = np.array([p.start for p in grid.periods],
                                        dtype="datetime64[s]")[rep_p]
        long["period_end"] = np.array([p.end for p in grid.periods], dtype="datetime64[s]")[rep_p]
        long["indicator"] = pd.array(np.tile(np.array(names, dtype=object), len(f)),
                                     dtype="string")
        long["value"] = np.stack(values, axis=1).reshape(-1).astype("float64")
        long["numerator"] = np.stack(nums, axis=1).reshape(-1).astype("float64")
        long["denominator"] = np.stack(dens, axis=1).reshape(-1).astype("float64")
        long["immature"] = (immature_row[:, None] & appeal[None, :]).reshape(-1)
        ends = np.array([p.end > self.as_of for p in grid.periods], dtype=bool)
        long["incomplete"] = ends[rep_p]
        return long[columns]

    def _judges(self, by: list[str], groups: pd.DataFrame, grid: _Grid,
                courts: Sequence[str] | None) -> np.ndarray:
        """Judges per group and bucket: the court's judges in the year of the period's end."""
        out = np.full((len(groups), grid.n_buckets + 2), np.nan)
        if self.courts is None or "judges" not in self.courts:
            return out
        table = self.courts.dropna(subset=["judges"])
        if by == ["court"] or (by and "court" in by):
            lookup = {(str(r.court), int(r.year)): float(r.judges)
                      for r in table.itertuples(index=False)}
            names = groups["court"].astype("string").to_numpy(dtype=object, na_value=None)
            for period, b in zip(grid.periods, grid.bucket_of, strict=True):
                out[:, b] = [lookup.get((c, period.end.year), np.nan) for c in names]
        elif not by:
            if courts is not None:
                table = table[table["court"].isin(list(courts))]
            for period, b in zip(grid.periods, grid.bucket_of, strict=True):
                year = table[table["year"] == period.end.year]
                out[:, b] = float(year["judges"].sum()) if len(year) else np.nan
        return out

    def wide(self, long: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
        """See :func:`courtstudy.indicators.wide`."""
        from courtstudy.indicators import wide
        return wide(long, lang=lang)

