"""The indicator engine: cases prepared once by one Ibis expression, every indicator computed by a
handful of grouped aggregations against the prepared table, on any Ibis backend.

What is computed comes from the catalogue (:mod:`courtstudy.indicators.definitions`): the
per-case facts its indicators count, the pending ages, the closed-case sums, the survival
statistics and the maturity rules. Nothing here names an indicator.

How it works:

1. **Hand-over** (:func:`_input_table`, Arrow, the same for every backend): the columns the
   catalogue reads, with dates as integer day numbers (:mod:`courtstudy.core.calendar`) and
   text columns as integer codes into their distinct values, so that every comparison and
   grouping in the backend is on integers and no backend's date or string semantics matter.
   Cases filed after ``as_of`` are left out (``IndicatorEngine.filed_after_as_of``).
2. **Preparation** (:func:`prepared_expression`, one Ibis expression, public API only): the
   per-case facts *as known at the as-of date* (closings after ``as_of`` become pending,
   appeals filed or decided after ``as_of`` unknown), each a 0/1 column; the statutory
   deadline from the rules of :func:`courtstudy.core.limits.limit_rules`; calendar arithmetic
   (month index, filing date + X months for the pending ages and the statutory months) looked
   up in a small table of the distinct filing days computed by core.calendar and joined on the
   filing day. The backend runs it and the result is kept as an Ibis table for every query
   (Arrow registered as an in-memory table; ``prepare_cases`` returns it).
3. **Queries** (:meth:`IndicatorEngine.compute`): each date maps to a period bucket (0 = before
   the first period, 1..K the periods of a contiguous grid, K+1 = after the last or never) and
   four grouped aggregations run in the backend: filings by bucket, closings by bucket (with
   every closed-case sum and the median), the starts of the pending ages (one pass), and the
   filing-cohort survival table. The per-(group, bucket) results are small; the stock
   identities finish in numpy:

   * carried_over(k) = sum over buckets j < k of (filed_j - closed_j)
   * pending(k) = carried_over(k) + filed(k) - closed(k)
   * pending_over_Xm(k) = number of cases with start_X <= k < closed bucket, where start_X is the
     bucket of filed_date + X calendar months + 1 day (a case is "over X months" at the end of a
     period when filed_date + X months < end).

4. **The first diversion's indicators** (诉前调解, 案-件比: :mod:`courtstudy.indicators.diversion`)
   are selected by name like the others (the one catalogue is :mod:`courtstudy.indicators.registry`)
   and computed from the records given to the engine (``mediation=``, ``links=``,
   ``related_cases=``, or :meth:`IndicatorEngine.attach`) by
   :func:`~courtstudy.indicators.diversion.diversion_indicators`, over the same periods, groups,
   as-of date and court filter, into the same long table. They are a pandas computation (a
   register and a graph of cases, not aggregations of the prepared per-case facts; the registry's
   docstring says why they stay there): the indicators that need the cases need them as a pandas
   frame, so with cases that stay in Spark or a Parquet dataset only the register's own indicators
   can be computed, and asking for the others is an error that says so.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from courtstudy.core import calendar, survival
from courtstudy.core import limits as _limits
from courtstudy.core.periods import FREQ_ALIASES, FREQ_MONTHS, Period, parse_period, period_range
from courtstudy.indicators import diversion, registry
from courtstudy.indicators.definitions import (
    APPEALED,
    BY_NAME,
    GROUP_COLUMNS,
    MATURE,
    MAX_UNDECIDED_SHARE,
    UNDECIDED,
    ClosedCount,
    ClosedMedian,
    ClosedSum,
    Count,
    Estimate,
    Fact,
    PendingOver,
    Ratio,
    Survival,
    facts,
    pending_ages,
    quantity_name,
)

logger = logging.getLogger(__name__)

#: Ages of the pending caseload that are reported (from the catalogue).
PENDING_AGES: tuple[int, ...] = pending_ages()
#: Per-case 0/1 facts of the prepared table (from the catalogue).
FACTS: tuple[Fact, ...] = facts()
#: Stand-in for "never closed" in day and month numbers: falls after every period.
_NEVER_DAY = 10_000_000
_NEVER_MONTH = 1_000_000
#: Group value standing for a missing group field inside the engine.
_MISSING = "\x1f"
#: Code of a missing text value; a value absent from the data gets a code that matches nothing.
_NO_CODE, _ABSENT_CODE = -1, -2
#: Rows per Arrow record batch of the prepared table (lets DuckDB scan it on every core).
_BATCH_ROWS = 1 << 17

#: Canonical columns the hand-over reads (besides the group columns).
_DATE_INPUTS: tuple[str, ...] = ("filed_date", "closed_date", "appeal_filed_date",
                                 "appeal_closed_date")
_TEXT_INPUTS: tuple[str, ...] = ("procedure", "instance", "case_type", "disposition",
                                 "appeal_result")
_FLAG_INPUTS: tuple[str, ...] = ("appealed", "retrial_petition")
_NUMBER_INPUTS: tuple[str, ...] = ("extension_days", "suspended_days")
_DAY_COLUMNS = {"filed_date": "fd", "closed_date": "cd_raw", "appeal_filed_date": "afd",
                "appeal_closed_date": "acd"}


def default_as_of(cases: pd.DataFrame) -> pd.Timestamp:
    """The latest date in the export (filing, closing, appeal filing or appeal closing): the
    as-of date when none is given."""
    dates = [pd.to_datetime(cases[c]).max() for c in
             ("filed_date", "closed_date", "appeal_filed_date", "appeal_closed_date") if c in cases]
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        raise ValueError("cannot derive an as-of date: the cases have no dates")
    return pd.Timestamp(max(dates)).normalize()


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


# -- 1. hand-over ------------------------------------------------------------------------------
def _arrow_text(cases: pd.DataFrame, column: str) -> pa.Array:
    """A text column as an Arrow string array (nulls where missing or absent)."""
    if column not in cases:
        return pa.nulls(len(cases), type=pa.string())
    arr = pa.array(cases[column].astype("string"))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def _encode(arr: pa.Array) -> tuple[tuple[str, ...], pa.Array]:
    """A text column as integer codes into its distinct values (-1 = missing), all in Arrow:
    int16 while there are fewer than 32,767 distinct values (half the memory), else int32."""
    encoded = pc.dictionary_encode(arr)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    values = tuple(encoded.dictionary.to_pylist())
    width = pa.int16() if len(values) < 2**15 - 1 else pa.int32()
    return values, pc.fill_null(encoded.indices.cast(width), _NO_CODE)


def _arrow_number(values: pd.Series) -> pa.Array:
    """A count of days as Arrow int32 with nulls (no copy through Python objects); float64
    when the column holds fractions or numbers beyond int32."""
    if pd.api.types.is_integer_dtype(values.dtype):
        arr = pa.array(values)
        low, high = pc.min(arr).as_py(), pc.max(arr).as_py()
        if low is None or (low > -(2**31) and high < 2**31):
            return arr.cast(pa.int32())
    numbers = values if pd.api.types.is_float_dtype(values.dtype) else pd.to_numeric(
        values, errors="coerce")
    return pa.array(numbers.astype("float64"))


def _int32(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(values.astype("int32", copy=False), mask=missing)


@dataclass(frozen=True)
class _HandOver:
    """The input of the preparation: an Arrow table, the text dictionaries, which canonical
    columns the cases had, and the filing-day range."""

    table: pa.Table
    dictionaries: dict[str, tuple[str, ...]]
    columns: frozenset[str]
    first_day: int
    last_day: int
    filed_after_as_of: int


def _input_table(cases: pd.DataFrame, as_of: pd.Timestamp,
                 group_columns: Sequence[str] = GROUP_COLUMNS) -> _HandOver:
    """The hand-over table (step 1 of the module docstring)."""
    _check(cases)
    as_of_day = calendar.day_number(as_of)
    fd = calendar.day_numbers(cases["filed_date"])
    keep = fd <= as_of_day
    n_after = int((~keep).sum())
    if n_after:
        cases = cases.loc[keep]
        fd = fd[keep]
    columns: dict[str, pa.Array] = {"fd": _int32(fd)}
    for name in _DATE_INPUTS[1:]:
        if name in cases:
            days = calendar.day_numbers(cases[name])
            missing = days == calendar.MISSING_DAY
            columns[_DAY_COLUMNS[name]] = _int32(days, missing)
            if name == "closed_date":
                # The month of the closing: calendar arithmetic done here, once, by core.calendar.
                months = calendar.month_index(np.where(missing, fd, days))
                columns["cm_raw"] = _int32(months, missing)
        else:
            columns[_DAY_COLUMNS[name]] = pa.nulls(len(fd), type=pa.int32())
            if name == "closed_date":
                columns["cm_raw"] = pa.nulls(len(fd), type=pa.int32())
    for name in _FLAG_INPUTS:
        columns[name] = (pa.array(cases[name].astype("boolean")) if name in cases
                         else pa.nulls(len(fd), type=pa.bool_()))
    for name in _NUMBER_INPUTS:
        columns[name] = (_arrow_number(cases[name]) if name in cases
                         else pa.nulls(len(fd), type=pa.float64()))
    encoded = [c for c in dict.fromkeys([*_TEXT_INPUTS, *group_columns]) if c in cases]
    dictionaries: dict[str, tuple[str, ...]] = {}
    # Arrow releases the GIL while hashing: the columns are encoded side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        coded = list(pool.map(lambda c: _encode(_arrow_text(cases, c)), encoded))
    for column, (values, codes) in zip(encoded, coded, strict=True):
        dictionaries[column] = values
        columns[column] = codes
    for column in _TEXT_INPUTS:
        if column not in columns:
            columns[column] = pa.array(np.full(len(fd), _NO_CODE, dtype="int16"))
    first = int(fd.min()) if len(fd) else as_of_day
    last = int(fd.max()) if len(fd) else as_of_day
    return _HandOver(pa.table(columns), dictionaries, frozenset(cases.columns), first, last,
                     n_after)


def _day_table(first: int, last: int, months: Iterable[int]) -> pa.Table:
    """Per filing day from ``first`` to ``last``: month index, the pending-age starts (filed + X
    months + 1 day, as day and month numbers) and the day plus each statutory number of
    months, by core.calendar: calendar arithmetic once per distinct day, not once per case."""
    days = np.arange(first, last + 1, dtype="int64")
    year, month, day = calendar.civil_from_days(days)
    columns = {"day": days.astype("int32"), "fm": calendar.month_index(days).astype("int32")}
    for m in PENDING_AGES:
        shifted, total, month_end = calendar.shift_months(year, month, day, m)
        columns[f"a{m}d"] = (shifted + 1).astype("int32")
        columns[f"a{m}m"] = (total + month_end).astype("int32")
    for m in sorted(set(months)):
        columns[f"plus{m}"] = calendar.shift_months(year, month, day, m)[0].astype("int32")
    return pa.table(columns)


# -- 1b. hand-over computed by the backend (a Spark table, a Parquet dataset) --------------------
def _date_expr(column):
    """An Ibis date expression of a canonical date column stored as a date, a timestamp (the
    day it falls on) or ISO text."""
    kind = column.type()
    if kind.is_date():
        return column
    if kind.is_timestamp():
        return column.date()
    return column.cast("date")


def _day_expr(column):
    """Day numbers (days since 1970-01-01, int32) of a canonical date column, by the backend."""
    return _date_expr(column).epoch_days().cast("int32")


def _fetch_arrow(con, expr) -> pa.Table:
    return con.to_pyarrow(expr)


@dataclass(frozen=True)
class _Profile:
    """What one pass over a backend table tells the engine before it prepares the cases."""

    rows: int
    dictionaries: dict[str, tuple[str, ...]]
    latest_day: int | None      # the latest date of any kind (the default as_of)
    first_day: int | None       # first and last filing day on or before as_of
    last_day: int | None
    filed_after_as_of: int
    missing_filed: int
    closed_before_filed: int


def _profile(t, con, as_of_day: int | None) -> _Profile:
    """One grouped aggregation over the cases (by the small text inputs): the distinct values
    of those inputs (their dictionaries), row counts, date range, and the rows ``_check``
    refuses. Its result has one row per combination of values (hundreds, not millions)."""
    text = [c for c in _TEXT_INPUTS if c in t.columns]
    fd = _day_expr(t.filed_date)
    aggs = {"n": t.count(), "missing_filed": t.filed_date.isnull().cast("int64").sum()}
    if "closed_date" in t.columns:
        aggs["closed_before"] = (_day_expr(t.closed_date) < fd).cast("int64").sum()
    for name in _DATE_INPUTS:
        if name in t.columns:
            aggs[f"max_{name}"] = _day_expr(t[name]).max()
    if as_of_day is not None:
        known = fd <= as_of_day
        aggs.update(after=(~known).cast("int64").sum(), first=fd.min(where=known),
                    last=fd.max(where=known))
    else:
        aggs.update(first=fd.min(), last=fd.max())
    query = t.group_by(text).aggregate(**aggs) if text else t.aggregate(**aggs)
    frame = _fetch_arrow(con, query).to_pandas()

    def total(column: str) -> int:
        return int(pd.to_numeric(frame[column]).fillna(0).sum()) if column in frame else 0

    def extreme(column: str, how: str) -> int | None:
        values = pd.to_numeric(frame[column]).dropna() if column in frame else pd.Series([])
        return None if values.empty else int(getattr(values, how)())

    dictionaries = {c: tuple(sorted(str(v) for v in frame[c].dropna().unique())) for c in text}
    latest = [extreme(f"max_{n}", "max") for n in _DATE_INPUTS]
    latest = [d for d in latest if d is not None]
    return _Profile(total("n"), dictionaries, max(latest) if latest else None,
                    extreme("first", "min"), extreme("last", "max"), total("after"),
                    total("missing_filed"), total("closed_before"))


def _check_backend(t, con, profile: _Profile) -> None:
    """:func:`_check` for a backend table: the same errors, naming the first case numbers."""
    if profile.missing_filed:
        rows = _fetch_arrow(con, t.filter(t.filed_date.isnull()).select("case_id").limit(5))
        raise ValueError(f"column 'filed_date' is empty in {profile.missing_filed} row(s) "
                         f"(case_id {rows['case_id'].to_pylist()}): every case needs a filing "
                         "date")
    if profile.closed_before_filed:
        bad = _day_expr(t.closed_date) < _day_expr(t.filed_date)
        rows = _fetch_arrow(con, t.filter(bad).select("case_id").limit(5))
        raise ValueError(f"column 'closed_date' is before 'filed_date' in "
                         f"{profile.closed_before_filed} row(s) (case_id "
                         f"{rows['case_id'].to_pylist()}): fix or quarantine them")


def _hand_over_expression(t, as_of_day: int, dictionaries: dict[str, tuple[str, ...]],
                          group_columns: Sequence[str] = GROUP_COLUMNS):
    """The hand-over table of :func:`_input_table` as an Ibis expression the backend runs, for
    cases that never leave it: the same columns and codes (small text inputs coded by their
    sorted distinct values, -1 = missing), group columns other than those kept as text. Cases
    filed after ``as_of`` are left out."""
    import ibis

    fd = _day_expr(t.filed_date)
    t = t.filter(fd <= as_of_day)
    fd = _day_expr(t.filed_date)
    columns = {"fd": fd}
    for name in _DATE_INPUTS[1:]:
        target = _DAY_COLUMNS[name]
        if name in t.columns:
            columns[target] = _day_expr(t[name])
            if name == "closed_date":
                columns["cm_raw"] = calendar.month_index_expr(_date_expr(t[name])).cast("int32")
        else:
            columns[target] = ibis.null("int32")
            if name == "closed_date":
                columns["cm_raw"] = ibis.null("int32")
    for name in _FLAG_INPUTS:
        columns[name] = t[name].cast("boolean") if name in t.columns else ibis.null("boolean")
    for name in _NUMBER_INPUTS:
        if name in t.columns and t[name].type().is_integer():
            columns[name] = t[name].cast("int32")
        elif name in t.columns:
            columns[name] = t[name].cast("float64")
        else:
            columns[name] = ibis.null("float64")
    for name in _TEXT_INPUTS:
        values = dictionaries.get(name, ())
        if name in t.columns and values:
            columns[name] = ibis.cases(*((t[name] == v, i) for i, v in enumerate(values)),
                                       else_=_NO_CODE).cast("int16")
        else:
            columns[name] = ibis.literal(_NO_CODE, "int16")
    for name in group_columns:
        if name in t.columns and name not in columns:
            columns[name] = t[name].cast("string")
    return t.select(**columns)


# -- backends -----------------------------------------------------------------------------------
#: ``--engine`` names and the Ibis backend each runs on.
ENGINES: dict[str, str] = {"duckdb": "duckdb", "polars": "polars", "spark": "pyspark"}


def _is_spark(obj, kind: str) -> bool:
    """``obj`` is a PySpark ``kind`` (``SparkSession`` or ``DataFrame``), classic or Connect,
    recognised without importing pyspark."""
    cls = type(obj)
    return cls.__name__ == kind and cls.__module__.startswith("pyspark.sql")


def spark_session(master: str | None = None, remote: str | None = None,
                  config: dict[str, str] | None = None):
    """The Spark session courtstudy runs on: the active one (``spark-submit``, ``pyspark``),
    else a Spark Connect session at ``remote`` (or ``$SPARK_REMOTE``), else a new one at
    ``master`` (default ``local[*]``) with ``config`` (e.g. ``{"spark.driver.memory": "6g"}``).
    Arrow transfer is switched on (results and in-memory tables cross to and from Python as
    Arrow batches)."""
    import os

    from pyspark.sql import SparkSession

    remote = remote or os.environ.get("SPARK_REMOTE")
    if remote:
        session = SparkSession.builder.remote(remote).getOrCreate()
    else:
        session = SparkSession.getActiveSession()
        if session is None:
            builder = SparkSession.builder.appName("courtstudy")
            if master:
                builder = builder.master(master)
            for key, value in (config or {}).items():
                builder = builder.config(key, value)
            session = builder.getOrCreate()
    session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    return session


def connect(engine: str | None = None, connection=None):
    """The Ibis backend to run on: ``connection`` (an Ibis backend, or a Spark session, which is
    wrapped by Ibis's PySpark backend) when given, else a new connection of ``engine``
    (``duckdb``, the embedded default; ``polars``; ``spark``: :func:`spark_session`; or any
    Ibis backend name)."""
    import ibis

    if connection is not None:
        if _is_spark(connection, "SparkSession"):
            connection.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
            return ibis.pyspark.connect(connection)
        if isinstance(connection, ibis.BaseBackend):
            return connection
        raise TypeError(f"connection= takes an Ibis backend or a Spark session, not "
                        f"{type(connection).__name__}")
    name = ENGINES.get(engine or "duckdb", engine)
    if name == "pyspark":
        return ibis.pyspark.connect(spark_session())
    return getattr(ibis, name).connect()


def _is_dataset_path(source: str) -> bool:
    import os

    return ("://" in source or source.lower().endswith(".parquet") or os.sep in source
            or os.path.exists(source))


def open_cases(source, con):
    """An Ibis table of canonical cases on ``con``: ``source`` is a Parquet file or a
    (hive-)partitioned Parquet dataset folder (local, ``hdfs://``, ``s3://`` ...; as written
    by ``courtstudy validate FOLDER``), a table name the backend knows (``db.cases`` on Spark),
    or a Spark DataFrame."""
    import os

    if _is_spark(source, "DataFrame"):
        from ibis import util

        name = util.gen_name("courtstudy_cases")
        source.createOrReplaceTempView(name)
        return con.table(name)
    source = os.fspath(source)
    if not _is_dataset_path(source):
        database, _, name = source.rpartition(".")
        return con.table(name, database=database or None)
    if con.name == "duckdb":
        folder = "://" not in source and os.path.isdir(source)
        paths = os.path.join(source, "**", "*.parquet") if folder else source
        # hive_partitioning only adds the partition keys; court and every canonical column
        # are read from the files themselves (batch.py keeps them there).
        # hive_types_autocast off: a folder name court=0101 stays the text "0101".
        return con.read_parquet(paths, hive_partitioning=folder, hive_types_autocast=False,
                                union_by_name=True)
    if con.name == "pyspark":
        # Partition values stay text (court=0101 is "0101", not the number 101): the setting
        # is read when the dataset is opened, and put back afterwards.
        key = "spark.sql.sources.partitionColumnTypeInference.enabled"
        before = con.raw_sql(f"SET {key}").collect()[0][1]
        con.raw_sql(f"SET {key}=false")
        try:
            return con.read_parquet(source, mergeSchema="true")
        finally:
            con.raw_sql(f"SET {key}={before}")
    return con.read_parquet(source)


# -- 2. preparation ------------------------------------------------------------------------------
class CaseView:
    """The per-case columns a :class:`~courtstudy.indicators.definitions.Fact` reads, as Ibis
    expressions over the preparation (all known at as_of)."""

    def __init__(self, table, as_of_day: int, dictionaries: dict[str, tuple[str, ...]],
                 columns: frozenset[str], deadline) -> None:
        self._t = table
        self._dictionaries = dictionaries
        self._columns = columns
        self.as_of = as_of_day
        self.fd = table.fd
        self.closed = table.closed_
        self.cd = table.cd
        self.appealed = table.appealed_
        self.decided = table.decided_
        self.retrial = table.retrial_
        self.extension = table.extension
        self.deadline = deadline

    def code(self, column: str, value: str) -> int:
        values = self._dictionaries.get(column, ())
        return values.index(value) if value in values else _ABSENT_CODE

    def one_of(self, column: str, values: Iterable[str]):
        """The case's ``column`` holds one of ``values`` (False when the cases lack the column)."""
        import ibis

        if column not in self._columns:
            return ibis.literal(False)
        codes = sorted({self.code(column, v) for v in values} - {_ABSENT_CODE})
        if not codes:
            return ibis.literal(False)
        col = self._t[column]
        return col == codes[0] if len(codes) == 1 else col.isin(codes)


def _limit_conditions(t, rules: list[_limits.LimitRule], view_code, has_case_type: bool):
    """Per rule, the Ibis condition that it covers a case (rules in priority order)."""
    import ibis

    out = []
    for rule in rules:
        if has_case_type:
            kind = t.case_type == view_code("case_type", rule.case_type)
        else:  # no case-type column: every case is civil (core.limits)
            kind = ibis.literal(rule.case_type == "civil")
        inst = (t.instance.isin([_NO_CODE, view_code("instance", rule.instance)])
                if rule.instance == "first" else t.instance == view_code("instance", rule.instance))
        out.append(kind & (t.procedure == view_code("procedure", rule.procedure)) & inst
                   & t.fd.between(rule.first_day, rule.last_day))
    return out


def prepared_expression(source, days, as_of: pd.Timestamp,
                        dictionaries: dict[str, tuple[str, ...]], columns: frozenset[str],
                        limits: pd.DataFrame | None = None,
                        group_columns: Sequence[str] = GROUP_COLUMNS,
                        facts_: Sequence[Fact] = FACTS):
    """The prepared table as one Ibis expression over the hand-over table ``source`` and the
    day table ``days`` (step 2 of the module docstring). Columns: ``fd``, ``fm`` (filing day
    and month), ``cd``, ``cm`` (closing known at as_of, else a far-future stand-in), ``trial``
    (closed - filed - suspended days, closed cases), one 0/1 int8 column per fact, ``a{X}d`` /
    ``a{X}m`` (filed + X months + 1 day) per pending age, and the group columns as codes."""
    import ibis

    as_of_day = calendar.day_number(as_of)
    rules = _limits.limit_rules(limits)

    def code(column: str, value: str) -> int:
        values = dictionaries.get(column, ())
        return values.index(value) if value in values else _ABSENT_CODE

    t = source
    closed = (t.cd_raw <= as_of_day).fill_null(False)
    t = t.mutate(closed_=closed)
    conditions = _limit_conditions(t, rules, code, "case_type" in columns)
    limit_row = (ibis.cases(*((cond, i) for i, cond in enumerate(conditions)),
                            else_=ibis.null("int32")) if conditions else ibis.null("int32"))
    appealed = t.closed_ & ibis.ifelse(t.afd.notnull(), (t.afd <= as_of_day).fill_null(False),
                                       t.appealed.fill_null(False))
    t = t.mutate(
        cd=t.closed_.ifelse(t.cd_raw, _NEVER_DAY),
        cm=t.closed_.ifelse(t.cm_raw, _NEVER_MONTH),
        appealed_=appealed,
        retrial_=t.closed_ & t.retrial_petition.fill_null(False),
        extension=t.extension_days.fill_null(0),
        suspended=t.suspended_days.fill_null(0),
        limit_row=limit_row,
    )
    t = t.mutate(decided_=t.appealed_ & (t.appeal_result >= 0)
                 & (t.acd <= as_of_day).fill_null(True))
    # Joined on the filing day: the calendar facts of the day (a projection below a join is
    # also computed once, not inlined into every expression that uses it).
    j = t.join(days, t.fd == days.day)
    plus = [(i, r) for i, r in enumerate(rules) if r.months is not None]
    deadline = (ibis.cases(*((j.limit_row == i, j[f"plus{r.months}"] + r.days) for i, r in plus),
                           else_=ibis.null("float64")) if plus else ibis.null("float64"))
    j = j.mutate(deadline=deadline + j.extension + j.suspended)
    view = CaseView(j, as_of_day, dictionaries, columns, j.deadline)
    out = {"fd": j.fd, "fm": j.fm, "cd": j.cd, "cm": j.cm,
           "trial": j.closed_.ifelse(j.cd - j.fd - j.suspended, 0).cast(
               "int32" if source.suspended_days.type().is_integer() else "float64")}
    for fact in facts_:
        out[fact.name] = fact.where(view).cast("int8")
    for m in PENDING_AGES:
        out[f"a{m}d"] = j[f"a{m}d"]
        out[f"a{m}m"] = j[f"a{m}m"]
    for column in group_columns:
        if column in dictionaries:
            small = len(dictionaries[column]) < 2**15
            out[column] = j[column].cast("int16" if small else "int32")
        elif column in source.columns:
            # Text kept as text (a hand-over computed by the backend, :func:`_hand_over_expression`).
            out[column] = j[column].cast("string").fill_null(_MISSING)
    return j.select(**out)


def _rechunk(table: pa.Table) -> pa.Table:
    return pa.Table.from_batches(table.to_batches(max_chunksize=_BATCH_ROWS), table.schema)


def prepare_cases(cases: pd.DataFrame, as_of: pd.Timestamp | str | None = None,
                  limits: pd.DataFrame | None = None,
                  group_columns: Sequence[str] = GROUP_COLUMNS) -> pa.Table:
    """One row per case (filed on or before ``as_of``) of what the engine aggregates: the
    columns of :func:`prepared_expression`, with the group columns as text (missing values as a
    marker), ready to save and open on another backend (``IndicatorEngine(ibis_table,
    as_of=...)``). Day columns are days since 1970-01-01, month columns month indexes
    (:func:`courtstudy.core.calendar.month_index`). ``limits`` is a statutory-limits table
    (``core.limits.statutory_limits(extra=...)``)."""
    import ibis

    as_of = default_as_of(cases) if as_of is None else pd.Timestamp(as_of).normalize()
    hand = _input_table(cases, as_of, group_columns)
    rules = _limits.limit_rules(limits)
    days = _day_table(hand.first_day, max(hand.first_day, hand.last_day),
                      [r.months for r in rules if r.months is not None])
    con = ibis.duckdb.connect()
    expr = prepared_expression(ibis.memtable(hand.table), ibis.memtable(days), as_of,
                               hand.dictionaries, hand.columns, limits, group_columns)
    try:
        table = con.to_pyarrow(expr)
    finally:
        con.disconnect()
    for column in group_columns:
        if column in hand.dictionaries:
            values = pa.array([*hand.dictionaries[column], _MISSING])
            codes = pc.if_else(pc.less(table[column], 0), len(values) - 1, table[column])
            index = table.schema.get_field_index(column)
            table = table.set_column(index, column, pc.take(values, codes))
    return table


# -- 3. queries ---------------------------------------------------------------------------------
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
        index = [calendar.month_index_of(p.start) // months for p in periods]
        first = index[0]
        return _Grid(periods, tuple(i - first + 1 for i in index), index[-1] - first + 1,
                     months, first, ())
    edges: set[int] = set()
    for p in periods:
        edges.add(calendar.day_number(p.start))
        edges.add(calendar.day_number(p.end) + 1)
    bounds = tuple(sorted(edges))
    bucket_of = tuple(bounds.index(calendar.day_number(p.start)) + 1 for p in periods)
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



def _fetch(expr, con=None) -> pd.DataFrame:
    """Run an Ibis expression on ``con`` (the engine's backend; None: the backend the table is
    bound to) and return pandas through Arrow (cheaper than ``execute`` for the million-row
    survival table). The prepared table is an in-memory table: run unbound, Ibis would
    register it with its default backend, for the life of the process."""
    return (expr.to_pyarrow() if con is None else con.to_pyarrow(expr)).to_pandas()




#: Closed-case sums every query needs besides the catalogue's facts.
_SUM_COLUMNS: tuple[str, ...] = ("dur", "trial")


class IndicatorEngine:
    """Cases prepared once on an Ibis backend; every indicator query runs against them.

    ``cases`` is a canonical cases frame; or cases that stay in the backend: a Parquet file or
    (hive-)partitioned dataset path (local, ``hdfs://``, ``s3://``; ``courtstudy validate
    FOLDER`` writes one), a table name, a Spark DataFrame or an Ibis table of canonical cases
    (profiled, prepared and cached by the backend itself: see docs/scale.md); or an Ibis table
    already holding the columns of :func:`prepare_cases` (then ``as_of`` is required).
    ``courts`` is the canonical courts table (court, year, judges) used by
    ``per_judge_closed``. ``backend`` is ``None`` (an in-process DuckDB) or an engine name
    (``"duckdb"``, ``"polars"``, ``"spark"``: :func:`connect`); ``connection`` is an Ibis
    backend or a Spark session (``spark_session()``) to run on. ``limits`` is a
    statutory-limits table (``courtstudy.core.limits.statutory_limits(extra=...)`` to extend it).
    ``mediation``, ``links`` and ``related_cases`` are the first diversion's records
    (:meth:`attach`): with them the engine also computes 诉前调解 and 案-件比 (module docstring,
    step 4).

    Example::

        engine = IndicatorEngine(cases, courts=courts, as_of="2024-03-31")
        long = engine.compute(by=["court"], period="quarter", start="2023-01-01")
        table = engine.wide(long, lang="zh")
    """

    def __init__(self, cases, courts: pd.DataFrame | None = None,
                 backend=None, as_of: pd.Timestamp | str | None = None,
                 limits: pd.DataFrame | None = None, *, connection=None,
                 mediation: pd.DataFrame | None = None, links: pd.DataFrame | None = None,
                 related_cases: pd.DataFrame | None = None) -> None:
        import ibis

        self.courts = courts
        # The first diversion's inputs (attach()); the cases frame itself (a reference, not a
        # copy) for the diversion indicators that count cases: None when the cases stay in a
        # backend.
        self._frame = cases if isinstance(cases, pd.DataFrame) else None
        self.mediation = self.links = self.related_cases = None
        self.attach(mediation=mediation, links=links, related_cases=related_cases)
        self.filed_after_as_of = 0
        self._dictionaries: dict[str, tuple[str, ...]] = {}
        if isinstance(cases, ibis.Table) and "filed_date" not in cases.columns:
            if as_of is None:
                raise ValueError("pass as_of with a prepared Ibis table")
            self.as_of = pd.Timestamp(as_of).normalize()
            self.table = cases
            self.con = None
            self.group_columns = tuple(c for c in GROUP_COLUMNS if c in cases.columns)
            self._first_filed = None
            return
        if connection is None and backend is not None and not isinstance(backend, str):
            backend, connection = None, backend
        self.con = connect(backend, connection)
        if not isinstance(cases, pd.DataFrame):
            self._prepare_in_backend(cases, as_of, limits)
            return
        self.as_of = default_as_of(cases) if as_of is None else pd.Timestamp(as_of).normalize()
        hand = _input_table(cases, self.as_of)
        self.filed_after_as_of = hand.filed_after_as_of
        if hand.filed_after_as_of:
            logger.warning("%d case(s) filed after the as-of date %s left out of the indicators",
                           hand.filed_after_as_of, self.as_of.date())
        rules = _limits.limit_rules(limits)
        days = _day_table(hand.first_day, max(hand.first_day, hand.last_day),
                          [r.months for r in rules if r.months is not None])
        self._dictionaries = {c: hand.dictionaries[c] for c in GROUP_COLUMNS
                              if c in hand.dictionaries}
        first = hand.first_day if hand.table.num_rows else None
        self._first_filed = (pd.Timestamp(calendar.to_dates(np.array([first]), None)[0])
                             if first is not None else self.as_of)
        if self.con.name == "pyspark":
            # The cases go to Spark once; the preparation runs and stays there (cached).
            source = self._register(hand.table, "courtstudy_handover")
            expr = prepared_expression(source, self._register(days, "courtstudy_days"),
                                       self.as_of, hand.dictionaries, hand.columns, limits)
            n = hand.table.num_rows
            del hand
            self.table = self._materialise(expr)
            self.group_columns = tuple(c for c in GROUP_COLUMNS if c in self.table.columns)
            logger.info("indicators: %d cases prepared as of %s on %s", n, self.as_of.date(),
                        self.con.name)
            return
        expr = prepared_expression(ibis.memtable(hand.table), ibis.memtable(days), self.as_of,
                                   hand.dictionaries, hand.columns, limits)
        prepared = self._run_preparation(backend, connection, expr)
        del hand, expr
        # An in-memory table: the backend registers the Arrow batches once (DuckDB scans them
        # zero-copy on every core) and every query reuses them.
        self.table = ibis.memtable(_rechunk(prepared))
        self.group_columns = tuple(c for c in GROUP_COLUMNS if c in self.table.columns)
        logger.info("indicators: %d cases prepared as of %s on %s", prepared.num_rows,
                    self.as_of.date(), self.con.name)

    def _register(self, table: pa.Table, prefix: str):
        """A small Arrow table as a table of the engine's backend (a temporary view)."""
        import ibis
        from ibis import util

        return self.con.create_view(util.gen_name(prefix), ibis.memtable(table), overwrite=True)

    def _materialise(self, expr):
        """Run the preparation once and keep its result in the backend for every query: a
        cached DataFrame on Spark (released with the engine), a temporary table elsewhere."""
        from ibis import util

        if self.con.name == "pyspark":
            return expr.cache()
        return self.con.create_table(util.gen_name("courtstudy_prepared"), expr, temp=True)

    def _prepare_in_backend(self, source, as_of, limits) -> None:
        """Cases that stay in the backend (a Spark table or DataFrame, a Parquet dataset, an
        Ibis table of canonical cases): one profiling pass (text dictionaries, date range, the
        checks of ``_check``), then the hand-over and the preparation as one expression the
        backend runs and caches (Spark: ``DataFrame.cache``; DuckDB: a temporary table)."""
        import ibis

        t = source if isinstance(source, ibis.Table) else open_cases(source, self.con)
        missing = [c for c in ("case_id", "filed_date") if c not in t.columns]
        if missing:
            raise ValueError(f"the cases lack required column(s) {missing}: pass canonical "
                             "cases (courtstudy.core.schema.CASE_COLUMNS)")
        as_of_day = None if as_of is None else calendar.day_number(pd.Timestamp(as_of))
        profile = _profile(t, self.con, as_of_day)
        _check_backend(t, self.con, profile)
        if as_of is None:
            if profile.latest_day is None:
                raise ValueError("cannot derive an as-of date: the cases have no dates")
            as_of_day = profile.latest_day
        self.as_of = pd.Timestamp(calendar.to_dates(np.array([as_of_day]), None)[0])
        self.filed_after_as_of = profile.filed_after_as_of
        if self.filed_after_as_of:
            logger.warning("%d case(s) filed after the as-of date %s left out of the indicators",
                           self.filed_after_as_of, self.as_of.date())
        first = profile.first_day if profile.first_day is not None else as_of_day
        last = profile.last_day if profile.last_day is not None else first
        rules = _limits.limit_rules(limits)
        days = self._register(_day_table(first, max(first, last),
                                         [r.months for r in rules if r.months is not None]),
                              "courtstudy_days")
        hand = _hand_over_expression(t, as_of_day, profile.dictionaries)
        expr = prepared_expression(hand, days, self.as_of, profile.dictionaries,
                                   frozenset(t.columns), limits)
        self._dictionaries = {c: profile.dictionaries[c] for c in GROUP_COLUMNS
                              if c in profile.dictionaries}
        self.table = self._materialise(expr)
        self.group_columns = tuple(c for c in GROUP_COLUMNS if c in self.table.columns)
        self._first_filed = pd.Timestamp(calendar.to_dates(np.array([first]), None)[0])
        logger.info("indicators: %d cases prepared as of %s on %s",
                    profile.rows - self.filed_after_as_of, self.as_of.date(), self.con.name)

    def _run_preparation(self, backend, connection, expr) -> pa.Table:
        """Run the preparation. When the engine made its own connection, a second, short-lived
        one of the same kind runs it, so that the hand-over table is released with it."""
        if connection is None:
            scratch = connect(backend)
            try:
                return scratch.to_pyarrow(expr)
            finally:
                scratch.disconnect()
        return self.con.to_pyarrow(expr)

    def attach(self, mediation: pd.DataFrame | None = None, links: pd.DataFrame | None = None,
               related_cases: pd.DataFrame | None = None) -> IndicatorEngine:
        """Give the engine the first diversion's records (each optional; None keeps what it
        has): ``mediation``, canonical mediation records
        (:func:`courtstudy.ingest.mediation.load_mediation`); ``links``, canonical links between
        cases (:func:`courtstudy.ingest.links.load_links`); ``related_cases``, canonical cases of
        the disputes that are not in the engine's cases (appeals, retrial petitions and
        confirmations at other courts), counted in 案-件比 only. Returns the engine."""
        if mediation is not None:
            self.mediation = mediation
        if links is not None:
            self.links = links
        if related_cases is not None:
            self.related_cases = related_cases
        return self

    def available(self) -> tuple[str, ...]:
        """The names of every indicator the engine can compute with the records it has
        (catalogue order): the case catalogue's, and the first diversion's whose records were
        given (:meth:`attach`)."""
        return tuple(n for n in registry.NAMES if not self._lacking(n))

    def _lacking(self, name: str) -> list[str]:
        have = {"cases": self._frame is not None or registry.CATALOGUE_OF[name] == "cases",
                "mediation": self.mediation is not None, "links": self.links is not None}
        return [r for r in registry.records_needed(name) if not have[r]]

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
                dispute_horizon: int = diversion.DEFAULT_HORIZON_DAYS) -> pd.DataFrame:
        """The long, tidy indicator table.

        Columns: the group columns of ``by``, ``period`` (label), ``period_start``,
        ``period_end``, ``indicator``, ``value``, ``numerator``, ``denominator``, ``immature``
        (the figure is immature by its maturity rule: see
        :data:`courtstudy.indicators.definitions.MATURITY_RULES`), ``incomplete`` (the period
        ends after as_of). One row per group, period and indicator; groups with no caseload in
        a period are left out. ``court_filter`` keeps only those courts. ``horizon`` is the RMST
        horizon in days (:func:`courtstudy.core.survival.supported_horizon` gives the one a
        period's follow-up supports). Judge names are real: publication pseudonymises them
        (:mod:`courtstudy.report.pseudonym`).

        ``indicators``: names or labels of either catalogue (:mod:`courtstudy.indicators.registry`;
        default: every indicator the engine has the records for, :meth:`available`). The first
        diversion's (诉前调解, 案-件比) come from :func:`courtstudy.indicators.diversion.diversion_indicators`
        on the records given to the engine, grouped by court or cause only; ``dispute_horizon``
        is their 案-件比 follow-up in days (not the RMST ``horizon``).
        """
        by = [by] if isinstance(by, str) else list(by)
        unknown = [c for c in by if c not in GROUP_COLUMNS]
        if unknown:
            raise ValueError(f"cannot group by {unknown}: choose from {list(GROUP_COLUMNS)}")
        absent = [c for c in by if c not in self.group_columns]
        if absent:
            raise ValueError(f"the cases have no column {absent} to group by")
        names = list(self.available() if indicators is None else registry.resolve(indicators))
        case_names = [n for n in names if registry.CATALOGUE_OF[n] == "cases"]
        diversion_names = [n for n in names if registry.CATALOGUE_OF[n] == "diversion"]
        if horizon <= 0:
            raise ValueError(f"the RMST horizon must be positive, got {horizon}")
        periods = self.periods(period, start, end)
        if diversion_names:
            self._check_diversion(diversion_names, by)
        parts = []
        if case_names or not diversion_names:
            grid = _make_grid(periods)
            stats = [BY_NAME[n].value for n in case_names]
            survival_needed = any(isinstance(getattr(v, a, None), Survival) for v in stats
                                  for a in ("quantity", "numerator", "denominator", "basis"))
            raw = self._aggregate(by, grid, court_filter, survival_needed)
            parts.append(self._assemble(by, grid, raw, case_names, court_filter, float(horizon)))
        if not diversion_names:
            return parts[0]
        parts.append(self._diversion(diversion_names, by, periods, court_filter, dispute_horizon))
        long = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        position = {n: i for i, n in enumerate(names)}
        # the order of a case-only table: group, then period, then the indicators as asked
        return (long.assign(_order=long["indicator"].map(position))
                .sort_values([*by, "period_start", "_order"], kind="stable", na_position="last")
                .drop(columns="_order").reset_index(drop=True))

    def _check_diversion(self, names: list[str], by: list[str]) -> None:
        """A clear error when a diversion indicator cannot be computed: a grouping it does not
        have, or records the engine was not given (naming them and how to give them)."""
        def named(ns) -> str:
            return ", ".join(f"{n} ({registry.BY_NAME[n].label_zh})" for n in ns)

        bad = [c for c in by if c not in diversion.GROUPS]
        if bad:
            raise ValueError(f"indicator(s) {named(names)} can be grouped by {list(diversion.GROUPS)} only, "
                             f"not {bad}: compute them in a separate query")
        lacking: dict[str, list[str]] = {}
        for name in names:
            for record in self._lacking(name):
                lacking.setdefault(record, []).append(name)
        how = {"mediation": "the mediation register (诉前调解登记表): pass mediation= (canonical records, "
                            "courtstudy.ingest.mediation.load_mediation) to IndicatorEngine or attach(), "
                            "or --mediation FILE to `courtstudy indicators`",
               "links": "the case links (原审案号, 执行依据, 诉前调解案号): pass links= "
                        "(courtstudy.ingest.links.load_links) to IndicatorEngine or attach(), or --links FILE "
                        "to `courtstudy indicators`",
               "cases": "the cases as a pandas DataFrame: the first diversion's indicators are computed in "
                        "pandas (the DuckDB/pandas path), and this engine's cases stay in the "
                        f"{getattr(self.con, 'name', 'backend')} backend; load them with load_cases()"}
        if lacking:
            raise ValueError("; ".join(f"indicator(s) {named(ns)} need {how[r]}" for r, ns in lacking.items()))

    def _diversion(self, names: list[str], by: list[str], periods: list[Period],
                   court_filter: Sequence[str] | None, dispute_horizon: int) -> pd.DataFrame:
        """The first diversion's indicators, in the engine's long table (same columns, dtypes).
        The related cases join the disputes of 案-件比 only (as in notebook 02): the register's
        indicators count direct filings among the engine's own cases."""
        cases = self._frame
        calls = [(names, cases)]
        if cases is not None and self.related_cases is not None:
            extra = self.related_cases.loc[~self.related_cases["case_id"].isin(cases["case_id"])]
            disputes = [n for n in names if "links" in registry.records_needed(n)]
            calls = [(disputes, pd.concat([cases, extra], ignore_index=True)),
                     ([n for n in names if n not in disputes], cases)]
        # Each indicator's rows depend on its own quantities only, so one call per input set
        # gives the rows of a single call.
        parts = [diversion.diversion_indicators(
            self.mediation, frame, self.links, by=by, period=periods, as_of=self.as_of,
            horizon=dispute_horizon, indicators=subset, court_filter=court_filter)
            for subset, frame in calls if subset]
        long = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        out = pd.DataFrame({c: long[c].astype("string") for c in by})
        out["period"] = long["period"].astype("string")
        for c in ("period_start", "period_end"):
            out[c] = pd.to_datetime(long[c]).astype("datetime64[s]")
        out["indicator"] = long["indicator"].astype("string")
        for c in ("value", "numerator", "denominator"):
            out[c] = pd.to_numeric(long[c]).astype("float64")
        for c in ("immature", "incomplete"):
            out[c] = long[c].astype(bool)
        return out

    def _aggregate(self, by: list[str], grid: _Grid, courts: Sequence[str] | None,
                   survival_needed: bool = True) -> dict[str, pd.DataFrame]:
        t = self.table
        if courts is not None:
            wanted = list(courts)
            if "court" in self._dictionaries:
                known = self._dictionaries["court"]
                wanted = [known.index(c) for c in wanted if c in known] or [_ABSENT_CODE]
            t = t.filter(t.court.isin(wanted))
        t = t.mutate(fb=_bucket(t, "fd", "fm", grid), cb=_bucket(t, "cd", "cm", grid),
                     **{f"lo{m}": _bucket(t, f"a{m}d", f"a{m}m", grid) for m in PENDING_AGES})
        k = grid.n_buckets
        out: dict[str, pd.DataFrame] = {}
        out["filed"] = _fetch(t.group_by([*by, "fb"]).agg(n=t.count()), self.con)
        closed = t.filter(t.is_closed == 1)
        metrics = {"n": closed.count(),
                   "co_closed": (closed.fb < closed.cb).cast("int64").sum(),
                   "median": (closed.cd - closed.fd).median(),
                   "dur": (closed.cd - closed.fd).cast("int64").sum(),
                   "trial": closed.trial.cast("float64").sum()}
        metrics.update({f.name: closed[f.name].cast("int64").sum() for f in FACTS
                        if f.name != "is_closed"})
        for m in PENDING_AGES:
            metrics[f"end{m}"] = (closed[f"lo{m}"] < closed.cb).cast("int64").sum()
        out["closed"] = _fetch(closed.group_by([*by, "cb"]).agg(**metrics), self.con)
        if PENDING_AGES:
            # One pass for every age: a case over 18 or 36 months is also over 12 (the starts
            # grow with the age), so the youngest age's condition selects every case needed.
            ages = [f"lo{m}" for m in PENDING_AGES]
            young = ages[0]
            aged = t.filter((t[young] < t.cb) & (t[young] <= k))
            starts = _fetch(aged.group_by([*by, *ages, "cb"]).agg(n=aged.count()), self.con)
            for lo in ages:
                rows = starts[(starts[lo] < starts["cb"]) & (starts[lo] <= k)]
                out[f"start{lo[2:]}"] = (rows.groupby([*by, lo], sort=False, dropna=False)["n"]
                                         .sum().reset_index())
        if not survival_needed:
            # The survival table is the one result that grows with the data (groups x cohorts x
            # distinct durations): skipped when no survival figure is asked for.
            out["km"] = pd.DataFrame({**{c: pd.Series(dtype="int64") for c in by},
                                      "fb": pd.Series(dtype="int64"),
                                      "km_time": pd.Series(dtype="int64"),
                                      "n": pd.Series(dtype="int64"),
                                      "events": pd.Series(dtype="int64")})
            return {q: self._decode(frame, by) for q, frame in out.items()}
        cohort = t.filter((t.fb >= 1) & (t.fb <= k))
        km_time = (cohort.is_closed == 1).ifelse(cohort.cd, calendar.day_number(self.as_of)) \
            - cohort.fd
        cohort = cohort.mutate(km_time=km_time.cast("int32"))
        out["km"] = _fetch(cohort.group_by([*by, "fb", "km_time"])
                           .agg(n=cohort.count(), events=cohort.is_closed.cast("int64").sum()),
                           self.con)
        return {q: self._decode(frame, by) for q, frame in out.items()}

    def _assemble(self, by: list[str], grid: _Grid, raw: dict[str, pd.DataFrame],
                  names: list[str], courts: Sequence[str] | None,
                  horizon: float) -> pd.DataFrame:
        k = grid.n_buckets
        width = k + 2
        keys = [raw[q][by] for q in ("filed", "closed", *[f"start{m}" for m in PENDING_AGES])]
        if by:
            groups = (pd.concat(keys, ignore_index=True).astype("string").drop_duplicates()
                      .sort_values(by).reset_index(drop=True))
        else:
            groups = pd.DataFrame(index=[0])
        n_groups = len(groups)

        lookup = pd.MultiIndex.from_frame(groups[by]) if by else None
        positions: dict[int, np.ndarray] = {}

        def index_of(frame: pd.DataFrame) -> np.ndarray:
            # Each result frame's group positions are looked up once, not once per column.
            if id(frame) not in positions:
                positions[id(frame)] = (
                    np.zeros(len(frame), dtype="int64") if not by else
                    lookup.get_indexer(pd.MultiIndex.from_frame(frame[by].astype("string"))))
            return positions[id(frame)]

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
        sums = {c: dense(cl, "cb", c) for c in (*_SUM_COLUMNS, "co_closed",
                                                *(f.name for f in FACTS if f.name != "is_closed"))}
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
            surv = survival.cohort_summary(cohort_id, km["km_time"].to_numpy(dtype="float64"),
                                           km["events"].to_numpy(dtype="float64"),
                                           km["n"].to_numpy(dtype="float64"), horizon=horizon)
            gi, bi = np.divmod(surv["cohort"].to_numpy(), width)
            km_median[gi, bi] = surv["median"].to_numpy()
            rmst[gi, bi] = surv["rmst"].to_numpy()

        judges = self._judges(by, groups, grid, courts)
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
        days = np.array([p.days for p in grid.periods], dtype="float64")[pidx]
        quantities: dict[str, np.ndarray] = {
            "filed": f, "carried_over": co, "caseload": co + f, "closed": c, "pending": pe,
            "carried_over_closed": s["co_closed"], "pending_days": days * pe,
            "judges": pick(judges)[keep],
            ClosedMedian("dur").name: pick(median)[keep],
            Survival("median").name: pick(km_median)[keep],
            Survival("rmst").name: pick(rmst)[keep],
        }
        quantities.update({ClosedSum(col).name: s[col] for col in _SUM_COLUMNS})
        quantities.update({ClosedCount(fact).name: s[fact.name] for fact in FACTS
                           if fact.name != "is_closed"})
        quantities.update({PendingOver(m).name: pick(v)[keep] for m, v in aged.items()})
        follow = np.array([survival.follow_up_days(p.end, self.as_of) for p in grid.periods],
                          dtype="float64")[pidx]
        values, nums, dens, flags = [], [], [], []
        nan = np.full(len(f), np.nan)
        for name in names:
            ind = BY_NAME[name]
            value, num, den = _evaluate(ind.value, quantities, nan)
            values.append(value)
            nums.append(num)
            dens.append(den)
            flags.append(_immature(ind, value, quantities, follow, horizon))
        n_ind = len(names)
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
        long["immature"] = np.stack(flags, axis=1).reshape(-1)
        ends = np.array([p.end > self.as_of for p in grid.periods], dtype=bool)
        long["incomplete"] = ends[rep_p]
        columns = [*by, "period", "period_start", "period_end", "indicator", "value",
                   "numerator", "denominator", "immature", "incomplete"]
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

    def wide(self, long: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
        """See :func:`courtstudy.indicators.wide`."""
        from courtstudy.indicators import wide
        return wide(long, lang=lang)


def _evaluate(stat, quantities: dict[str, np.ndarray], nan: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, numerator, denominator) of a catalogue statistic."""
    if isinstance(stat, Count):
        q = quantities[quantity_name(stat.quantity)]
        return q, q, nan
    if isinstance(stat, Estimate):
        return quantities[quantity_name(stat.quantity)], nan, quantities[quantity_name(stat.basis)]
    if isinstance(stat, Ratio):
        num = quantities[quantity_name(stat.numerator)]
        den = quantities[quantity_name(stat.denominator)]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        return value, num, den
    raise TypeError(f"unknown statistic {stat!r}")


def _immature(ind, value: np.ndarray, q: dict[str, np.ndarray], follow_up: np.ndarray,
              horizon: float) -> np.ndarray:
    """The indicator's maturity rule (catalogue ``maturity``), per (group, period)."""
    rule = ind.maturity
    if rule is None:
        return np.zeros(len(value), dtype=bool)
    recent = (q["closed"] - q[ClosedCount(MATURE).name]) > 0
    if rule == "appeal_window":
        return recent
    if rule == "appeal_decisions":
        undecided = q[ClosedCount(UNDECIDED).name]
        return recent | (undecided > MAX_UNDECIDED_SHARE * q[ClosedCount(APPEALED).name])
    if rule == "follow_up":
        # A survival figure is exactly the settled one when it looks no further than the days
        # every case of the cohort has been followed (core.survival); else it is immature.
        if ind.value.quantity == Survival("rmst"):
            return np.full(len(value), horizon) > follow_up
        reach = np.where(np.isnan(value), np.inf, value)  # median not reached yet
        return reach > follow_up
    raise ValueError(f"unknown maturity rule {rule!r}")
