"""Benchmark: the full indicator table by court x month (five years) on synthetic cases.

Methods, each computing the same counts, sums, medians, pending ages and filing-cohort survival
table, in the same run:

* ``engine``: courtstudy.indicators.IndicatorEngine on the embedded DuckDB (register + compute);
* ``sql``: the same table as hand-written DuckDB SQL over the frame (the practical limit on this
  hardware);
* ``polars``: a hand-written Polars (lazy) implementation, every query collected at once;
* ``pandas``: a straightforward vectorised pandas groupby implementation;
* with ``--engine spark``: ``duckdb-parquet`` (the engine on DuckDB) and ``spark`` (the engine
  on a local Spark session, local[2], ``SPARK_CONFIG``), both reading the cases as a Parquet
  dataset partitioned by court (written once per size to the temp folder, not timed).

Each (size, method) runs in its own subprocess, which prints its wall time and its peak resident
memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes building the synthetic
frame; the peak right after building it is printed beside it, and the frame's own size,
``memory_usage(deep=True)``). Timings exclude imports, building the frame and starting the Spark
session; both wall and CPU (user + system of every thread, ``time.process_time``; for Spark plus
the JVM's, read with psutil) seconds are printed, since other work on the machine inflates wall
times. ``--repeat N`` runs every (size, method) N times, each in a fresh process, and keeps the
best. Before timing, the engine's figures are checked against pandas, Polars and SQL on 20k
cases.

Usage::

    .venv/bin/python benchmarks/indicators.py                 # 100k and 1M
    .venv/bin/python benchmarks/indicators.py --repeat 2 100000 1000000 10000000
    nice -n 10 .venv/bin/python benchmarks/indicators.py --engine spark 1000000 10000000
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

AS_OF = pd.Timestamp("2024-03-31")
START, END = "2019-01-01", "2023-12-31"
N_COURTS = 50


def _text(values: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A canonical text column from codes into ``values`` (-1 = missing), built in Arrow
    (no Python string per row)."""
    codes = np.asarray(codes)
    indices = pa.array(codes.astype("int32"), mask=codes < 0)
    arr = pa.DictionaryArray.from_arrays(indices, pa.array(values)).cast(pa.large_string())
    return pd.array(arr, dtype=pd.StringDtype("pyarrow"))


def _text_ids(n: int) -> pd.api.extensions.ExtensionArray:
    ids = pc.cast(pa.array(np.arange(n)), pa.large_string())
    return pd.array(ids, dtype=pd.StringDtype("pyarrow"))


def synthetic_cases(n: int, seed: int = 0) -> pd.DataFrame:
    """Canonical-looking cases, generated column by column with numpy (fast at 10M rows)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64(START, "D")
    span = (np.datetime64(END, "D") - start).astype(int) + 1
    filed = start + rng.integers(0, span, n).astype("timedelta64[D]")
    procedure = rng.choice(3, n, p=[0.3, 0.5, 0.2])   # ordinary, simplified, small claims
    scale = np.where(procedure == 0, 150.0, 45.0)
    duration = np.floor(rng.gamma(1.5, scale / 1.5)).astype("int64")
    closed = filed + duration.astype("timedelta64[D]")
    closed = np.where(closed <= np.datetime64(AS_OF.date(), "D") + 300, closed,
                      np.datetime64("NaT"))  # a later export: some closings after as_of
    appealed = rng.random(n) < 0.08
    result = np.where(appealed, rng.choice(4, n, p=[0.8, 0.08, 0.04, 0.08]), -1)
    court_idx = rng.integers(0, N_COURTS, n)
    frame = pd.DataFrame({
        "case_id": _text_ids(n),
        "court": _text([f"法院{i:02d}" for i in range(N_COURTS)], court_idx),
        "case_type": _text(["civil"], np.zeros(n, dtype="int64")),
        "instance": _text(["first"], np.zeros(n, dtype="int64")),
        "procedure": _text(["ordinary", "simplified", "small_claims"], procedure),
        "team": _text([f"法院{i:02d}-{j}" for i in range(N_COURTS) for j in range(5)],
                      court_idx * 5 + rng.integers(0, 5, n)),
        "filed_date": filed.astype("datetime64[s]"),
        "closed_date": closed.astype("datetime64[s]"),
        "disposition": _text(["judgment", "mediation", "withdrawal", "dismissal"],
                             rng.choice(4, n, p=[0.5, 0.2, 0.25, 0.05])),
        "extension_days": pd.array(np.where(rng.random(n) < 0.05, 30, 0), dtype="Int64"),
        "suspended_days": pd.array(np.where(rng.random(n) < 0.1, rng.integers(1, 60, n), 0),
                                   dtype="Int64"),
        "appealed": pd.array(appealed, dtype="boolean"),
        "appeal_filed_date": np.where(appealed, closed + np.timedelta64(12, "D"),
                                      np.datetime64("NaT")).astype("datetime64[s]"),
        "appeal_result": _text(["affirmed", "modified", "remanded", "withdrawn"], result),
        "appeal_closed_date": np.where(appealed, closed + np.timedelta64(100, "D"),
                                       np.datetime64("NaT")).astype("datetime64[s]"),
        "retrial_petition": pd.array(rng.random(n) < 0.01, dtype="boolean"),
    }, copy=False)  # the columns are fresh: no second copy of 10M rows
    return frame


def courts_table() -> pd.DataFrame:
    rows = [(f"法院{i:02d}", y, 20 + i % 7) for i in range(N_COURTS) for y in range(2019, 2025)]
    return pd.DataFrame(rows, columns=["court", "year", "judges"])


def run_engine(cases: pd.DataFrame) -> pd.DataFrame:
    from courtstudy.indicators import IndicatorEngine

    engine = IndicatorEngine(cases, courts=courts_table(), as_of=AS_OF)
    return engine.compute(by="court", period="month", start=START, end=END)


def run_pandas(cases: pd.DataFrame) -> pd.DataFrame:
    """The same table with plain pandas groupby (month buckets, cumulative stocks, medians,
    pending ages, filing-cohort survival)."""
    from courtstudy.core.limits import add_calendar_months, deadlines
    from courtstudy.indicators.survival import km_table

    as_of = AS_OF
    first = pd.Period(START, "M")
    last = pd.Period(END, "M")
    k = (last - first).n + 1

    def bucket(dates: pd.Series) -> pd.Series:
        months = dates.dt.year * 12 + dates.dt.month - 1
        b = months - (first.year * 12 + first.month - 1) + 1
        return b.fillna(k + 1).clip(0, k + 1).astype("int64")

    closed_date = cases["closed_date"].where(cases["closed_date"] <= as_of)
    is_closed = closed_date.notna()
    d = pd.DataFrame({"court": cases["court"], "fb": bucket(cases["filed_date"]),
                      "cb": bucket(closed_date)})
    d["dur"] = (closed_date - cases["filed_date"]).dt.days
    d["trial"] = d["dur"] - cases["suspended_days"].fillna(0)
    dl = deadlines(cases)
    d["within"] = is_closed & (closed_date <= dl)
    d["has_limit"] = is_closed & dl.notna()
    d["mediation"] = cases["disposition"] == "mediation"
    d["med_wd"] = cases["disposition"].isin(["mediation", "withdrawal"])
    fic = (cases["case_type"] == "civil") & (cases["instance"] == "first")
    d["fic"] = fic
    d["simp"] = fic & cases["procedure"].isin(["simplified", "small_claims"])
    appealed = cases["appealed"].fillna(False) & (cases["appeal_filed_date"] <= as_of)
    decided = appealed & cases["appeal_result"].notna() & (cases["appeal_closed_date"] <= as_of)
    d["appealed"] = appealed
    d["decided"] = decided
    d["revrem"] = decided & cases["appeal_result"].isin(["modified", "remanded"])
    d["accepted"] = ~appealed & ~cases["retrial_petition"].fillna(False)
    d["co"] = d["fb"] < d["cb"]
    for m in (12, 18, 36):
        start = add_calendar_months(cases["filed_date"], pd.Series(m, index=cases.index))
        d[f"lo{m}"] = bucket(start + pd.Timedelta(days=1))
        d[f"e{m}"] = d[f"lo{m}"] < d["cb"]

    filed = d.groupby(["court", "fb"]).size().unstack(fill_value=0)
    cl = d[is_closed]
    sums = cl.groupby(["court", "cb"]).agg(
        n=("dur", "size"), dur=("dur", "sum"), trial=("trial", "sum"), median=("dur", "median"),
        within=("within", "sum"), has_limit=("has_limit", "sum"), mediation=("mediation", "sum"),
        med_wd=("med_wd", "sum"), fic=("fic", "sum"), simp=("simp", "sum"),
        appealed=("appealed", "sum"), decided=("decided", "sum"), revrem=("revrem", "sum"),
        accepted=("accepted", "sum"), co=("co", "sum"),
        e12=("e12", "sum"), e18=("e18", "sum"), e36=("e36", "sum"))
    cols = range(0, k + 2)
    filed = filed.reindex(columns=cols, fill_value=0)
    closed = sums["n"].unstack(fill_value=0).reindex(index=filed.index, columns=cols, fill_value=0)
    carried = (filed - closed).cumsum(axis=1).shift(1, axis=1, fill_value=0)
    pending = carried + filed - closed
    aged = {}
    for m in (12, 18, 36):
        starts = (d[d[f"lo{m}"] < d["cb"]].groupby(["court", f"lo{m}"]).size().unstack(fill_value=0)
                  .reindex(index=filed.index, columns=cols, fill_value=0))
        ends = sums[f"e{m}"].unstack(fill_value=0).reindex(index=filed.index, columns=cols,
                                                           fill_value=0)
        aged[m] = (starts - ends).cumsum(axis=1)
    cohort = d[(d["fb"] >= 1) & (d["fb"] <= k)].assign(
        t=np.where(is_closed, d["dur"], (as_of - cases["filed_date"]).dt.days),
        e=is_closed.astype("int64"))
    km_in = cohort.groupby(["court", "fb", "t"]).agg(n=("e", "size"), events=("e", "sum"))
    km_in = km_in.reset_index()
    codes = pd.factorize(km_in["court"])[0] * (k + 2) + km_in["fb"].to_numpy()
    km = km_table(codes, km_in["t"].to_numpy(), km_in["events"].to_numpy(),
                  km_in["n"].to_numpy())
    out = sums.copy()
    out["carried"] = carried.stack()
    out["pending"] = pending.stack()
    for m in (12, 18, 36):
        out[f"aged{m}"] = aged[m].stack()
    return out.assign(km_rows=len(km))


def _grid() -> tuple[int, int]:
    """(month index of the first month, number of monthly buckets K)."""
    first = pd.Period(START, "M")
    return first.year * 12 + first.month - 1, (pd.Period(END, "M") - first).n + 1


def _baseline_frame(sums: pd.DataFrame, carried: pd.DataFrame, pending: pd.DataFrame,
                    aged: dict[int, pd.DataFrame], km_rows: int) -> pd.DataFrame:
    """The peers' result in the pandas baseline's shape: closed-case sums by (court, cb) with
    the stocks at the same (court, bucket)."""
    out = sums.copy()
    out["carried"] = carried.stack()
    out["pending"] = pending.stack()
    for m in (12, 18, 36):
        out[f"aged{m}"] = aged[m].stack()
    return out.assign(km_rows=km_rows)


def _dense(frame: pd.DataFrame, bucket: str, column: str, courts, k: int) -> pd.DataFrame:
    return (frame.pivot_table(index="court", columns=bucket, values=column, aggfunc="sum",
                              fill_value=0)
            .reindex(index=courts, columns=range(0, k + 2), fill_value=0).astype("int64"))


def _finish(filed: pd.DataFrame, sums: pd.DataFrame, starts: dict[int, pd.DataFrame],
            km_in: pd.DataFrame) -> pd.DataFrame:
    """The small grouped results of a peer -> stocks (cumulative sums) and the survival table
    (the same numpy step the engine and the pandas baseline use)."""
    from courtstudy.indicators.survival import km_table

    _, k = _grid()
    courts = sorted(set(filed["court"]))
    f = _dense(filed, "fb", "n", courts, k)
    c = _dense(sums, "cb", "n", courts, k)
    carried = (f - c).cumsum(axis=1).shift(1, axis=1, fill_value=0)
    pending = carried + f - c
    aged = {m: (_dense(starts[m], f"lo{m}", "n", courts, k)
                - _dense(sums, "cb", f"e{m}", courts, k)).cumsum(axis=1) for m in (12, 18, 36)}
    codes = pd.factorize(km_in["court"])[0] * (k + 2) + km_in["fb"].to_numpy()
    km = km_table(codes, km_in["t"].to_numpy(), km_in["events"].to_numpy(),
                  km_in["n"].to_numpy())
    carried.columns.name = pending.columns.name = "cb"
    for m in aged:
        aged[m].columns.name = "cb"
    sums = sums.set_index(["court", "cb"]).sort_index()
    return _baseline_frame(sums, carried, pending, aged, len(km))


def run_polars(cases: pd.DataFrame) -> pd.DataFrame:
    """The same table, hand-written in Polars (lazy; every query collected at once)."""
    import polars as pl

    from courtstudy.core.limits import limit_rules

    first, k = _grid()
    as_of = AS_OF.date()
    lf = pl.from_pandas(cases).lazy()

    def bucket(d):
        b = d.dt.year().cast(pl.Int64) * 12 + d.dt.month().cast(pl.Int64) - 1 - first + 1
        return b.fill_null(k + 1).clip(0, k + 1)

    fd = pl.col("filed_date").cast(pl.Date)
    raw_cd = pl.col("closed_date").cast(pl.Date)
    is_closed = (raw_cd <= as_of).fill_null(False)
    cd = pl.when(is_closed).then(raw_cd)
    deadline = None
    for r in limit_rules(None):
        if r.months is None:
            continue
        inst = (pl.col("instance").is_null() | (pl.col("instance") == r.instance)
                if r.instance == "first" else pl.col("instance") == r.instance)
        day = fd.cast(pl.Int32)
        cond = ((pl.col("case_type") == r.case_type) & (pl.col("procedure") == r.procedure)
                & inst & day.is_between(r.first_day, r.last_day))
        value = fd.dt.offset_by(f"{r.months}mo").cast(pl.Int32) + int(r.days)
        deadline = (pl.when(cond).then(value) if deadline is None
                    else deadline.when(cond).then(value))
    deadline = deadline.otherwise(None) + pl.col("extension_days").fill_null(0) \
        + pl.col("suspended_days").fill_null(0)
    fic = (pl.col("case_type") == "civil") & (pl.col("instance") == "first")
    appealed = (pl.col("appealed").fill_null(False)
                & (pl.col("appeal_filed_date").cast(pl.Date) <= as_of).fill_null(False))
    decided = (appealed & pl.col("appeal_result").is_not_null()
               & (pl.col("appeal_closed_date").cast(pl.Date) <= as_of).fill_null(False))
    d = lf.select(
        pl.col("court"), fd.alias("fd"), cd.alias("cd"), is_closed.alias("closed"),
        bucket(fd).alias("fb"), bucket(cd).alias("cb"),
        (cd - fd).dt.total_days().alias("dur"),
        ((cd - fd).dt.total_days() - pl.col("suspended_days").fill_null(0)).alias("trial"),
        (is_closed & (cd.cast(pl.Int32) <= deadline)).fill_null(False).alias("within"),
        (is_closed & deadline.is_not_null()).alias("has_limit"),
        (pl.col("disposition") == "mediation").fill_null(False).alias("mediation"),
        pl.col("disposition").is_in(["mediation", "withdrawal"]).fill_null(False)
        .alias("med_wd"),
        fic.fill_null(False).alias("fic"),
        (fic & pl.col("procedure").is_in(["simplified", "small_claims"])).fill_null(False)
        .alias("simp"),
        appealed.alias("appealed"), decided.alias("decided"),
        (decided & pl.col("appeal_result").is_in(["modified", "remanded"])).alias("revrem"),
        (~appealed & ~pl.col("retrial_petition").fill_null(False)).alias("accepted"),
        *[bucket(fd.dt.offset_by(f"{m}mo") + pl.duration(days=1)).alias(f"lo{m}")
          for m in (12, 18, 36)],
    ).with_columns((pl.col("fb") < pl.col("cb")).alias("co"),
                   *[(pl.col(f"lo{m}") < pl.col("cb")).alias(f"e{m}") for m in (12, 18, 36)])
    flags = ["within", "has_limit", "mediation", "med_wd", "fic", "simp", "appealed",
             "decided", "revrem", "accepted", "co", "e12", "e18", "e36"]
    queries = [
        d.group_by("court", "fb").agg(n=pl.len()),
        d.filter("closed").group_by("court", "cb").agg(
            pl.len().alias("n"), pl.col("dur").sum(), pl.col("trial").sum(),
            pl.col("dur").median().alias("median"), *[pl.col(f).sum() for f in flags]),
        *[d.filter(pl.col(f"lo{m}") < pl.col("cb")).group_by("court", f"lo{m}").agg(n=pl.len())
          for m in (12, 18, 36)],
        d.filter((pl.col("fb") >= 1) & (pl.col("fb") <= k)).with_columns(
            t=pl.when("closed").then(pl.col("dur"))
            .otherwise((pl.lit(as_of) - pl.col("fd")).dt.total_days()))
        .group_by("court", "fb", "t").agg(n=pl.len(), events=pl.col("closed").sum()),
    ]
    filed, sums, s12, s18, s36, km_in = (q.to_pandas() for q in pl.collect_all(queries))
    return _finish(filed, sums, {12: s12, 18: s18, 36: s36}, km_in)


def run_sql(cases: pd.DataFrame) -> pd.DataFrame:
    """The same table as hand-written DuckDB SQL over the frame (scanned in place)."""
    import duckdb

    from courtstudy.core.limits import limit_rules

    first, k = _grid()
    as_of = f"DATE '{AS_OF.date()}'"

    def bucket(d: str) -> str:
        # DuckDB's GREATEST/LEAST skip NULLs: a missing date is tested first
        return (f"CASE WHEN {d} IS NULL THEN {k + 1} ELSE LEAST(GREATEST("
                f"year({d}) * 12 + month({d}) - 1 - {first} + 1, 0), {k + 1}) END")

    arms = []
    for r in limit_rules(None):
        if r.months is None:
            continue
        inst = (f"(instance IS NULL OR instance = '{r.instance}')" if r.instance == "first"
                else f"instance = '{r.instance}'")
        arms.append(f"WHEN case_type = '{r.case_type}' AND procedure = '{r.procedure}' AND "
                    f"{inst} AND (fd - DATE '1970-01-01') BETWEEN {r.first_day} AND {r.last_day} "
                    f"THEN (CAST(fd + to_months({r.months}) AS DATE) - DATE '1970-01-01') + {int(r.days)}")
    ages = ", ".join(f"{bucket(f'CAST(fd + to_months({m}) AS DATE) + 1')} AS lo{m}"
                     for m in (12, 18, 36))
    con = duckdb.connect()
    con.register("cases", cases)
    con.execute(f"""
    CREATE TEMP TABLE d AS
    WITH c AS (
      SELECT *, CAST(filed_date AS DATE) AS fd,
        CASE WHEN CAST(closed_date AS DATE) <= {as_of} THEN CAST(closed_date AS DATE) END AS cd,
        COALESCE(appealed, false) AND COALESCE(CAST(appeal_filed_date AS DATE) <= {as_of}, false)
          AS appealed_
      FROM cases),
    e AS (
      SELECT *, appealed_ AND appeal_result IS NOT NULL
          AND COALESCE(CAST(appeal_closed_date AS DATE) <= {as_of}, false) AS decided,
        CASE {' '.join(arms)} END + COALESCE(extension_days, 0) + COALESCE(suspended_days, 0)
          AS deadline
      FROM c)
    SELECT court, fd, cd IS NOT NULL AS closed, {bucket('fd')} AS fb, {bucket('cd')} AS cb,
      cd - fd AS dur, cd - fd - COALESCE(suspended_days, 0) AS trial,
      COALESCE(cd IS NOT NULL AND (cd - DATE '1970-01-01') <= deadline, false) AS within,
      cd IS NOT NULL AND deadline IS NOT NULL AS has_limit,
      COALESCE(disposition = 'mediation', false) AS mediation,
      COALESCE(disposition IN ('mediation', 'withdrawal'), false) AS med_wd,
      COALESCE(case_type = 'civil' AND instance = 'first', false) AS fic,
      COALESCE(case_type = 'civil' AND instance = 'first'
               AND procedure IN ('simplified', 'small_claims'), false) AS simp,
      appealed_ AS appealed, decided,
      decided AND appeal_result IN ('modified', 'remanded') AS revrem,
      NOT appealed_ AND NOT COALESCE(retrial_petition, false) AS accepted, {ages}
    FROM e""")
    flags = ["within", "has_limit", "mediation", "med_wd", "fic", "simp", "appealed",
             "decided", "revrem", "accepted"]
    sums = ", ".join(f"SUM({f}::INT) AS {f}" for f in flags)
    ends = ", ".join(f"SUM((lo{m} < cb)::INT) AS e{m}" for m in (12, 18, 36))
    filed = con.sql("SELECT court, fb, COUNT(*) AS n FROM d GROUP BY ALL").df()
    closed = con.sql(f"""SELECT court, cb, COUNT(*) AS n, SUM(dur) AS dur, SUM(trial) AS trial,
        MEDIAN(dur) AS median, {sums}, SUM((fb < cb)::INT) AS co, {ends}
        FROM d WHERE closed GROUP BY ALL""").df()
    starts = {m: con.sql(f"SELECT court, lo{m}, COUNT(*) AS n FROM d WHERE lo{m} < cb "
                         "GROUP BY ALL").df() for m in (12, 18, 36)}
    km_in = con.sql(f"""SELECT court, fb, CASE WHEN closed THEN dur ELSE {as_of} - fd END AS t,
        COUNT(*) AS n, SUM(closed::INT) AS events FROM d WHERE fb BETWEEN 1 AND {k}
        GROUP BY ALL""").df()
    con.close()
    return _finish(filed, closed, starts, km_in)


def _dataset(n: int) -> str:
    """The synthetic cases as a Parquet dataset partitioned by court (written once per size,
    like ``courtstudy validate FOLDER``'s output), for the engines that read it in place."""
    import os
    import tempfile

    folder = os.path.join(tempfile.gettempdir(), f"courtstudy-bench-{n}")
    if not os.path.exists(os.path.join(folder, "_done")):
        import pyarrow.dataset as ds

        table = pa.Table.from_pandas(synthetic_cases(n), preserve_index=False)
        ds.write_dataset(table, folder, format="parquet", partitioning=["court"],
                         partitioning_flavor="hive", existing_data_behavior="delete_matching",
                         max_rows_per_group=1 << 20)
        open(os.path.join(folder, "_done"), "w").close()
    return folder


#: The local session of the benchmark: the driver is the whole "cluster" (local[2]).
SPARK_CONFIG = {"spark.driver.memory": "6g", "spark.sql.shuffle.partitions": "8",
                "spark.ui.enabled": "false"}


def run_spark(path: str) -> pd.DataFrame:
    """The engine on a local Spark session (local[2]), reading the Parquet dataset in place."""
    import os

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from courtstudy.indicators import IndicatorEngine
    from courtstudy.indicators.engine import spark_session

    session = spark_session(master=os.environ.get("COURTSTUDY_SPARK_MASTER", "local[2]"),
                            config=SPARK_CONFIG)
    engine = IndicatorEngine(path, courts=courts_table(), as_of=AS_OF, connection=session)
    return engine.compute(by="court", period="month", start=START, end=END)


def run_engine_parquet(path: str) -> pd.DataFrame:
    """The engine on DuckDB, reading the same Parquet dataset in place."""
    from courtstudy.indicators import IndicatorEngine

    engine = IndicatorEngine(path, courts=courts_table(), as_of=AS_OF)
    return engine.compute(by="court", period="month", start=START, end=END)


def agreement(n: int = 20_000) -> int:
    """Check that the engine and every peer (pandas, Polars, SQL) agree on every (court, month)
    figure the peers compute; returns the number of (court, month) rows compared."""
    cases = synthetic_cases(n, seed=1)
    long = run_engine(cases)
    ours = long.set_index(["court", "period", "indicator"])
    first = pd.Period(START, "M")
    checks = {  # engine indicator, its column: peer column
        ("closed", "value"): "n", ("mean_days", "numerator"): "dur",
        ("mean_trial_days", "numerator"): "trial", ("median_days", "value"): "median",
        ("within_limit_rate", "numerator"): "within",
        ("within_limit_rate", "denominator"): "has_limit",
        ("mediation_rate", "numerator"): "mediation",
        ("mediation_withdrawal_rate", "numerator"): "med_wd",
        ("simplified_rate", "denominator"): "fic", ("simplified_rate", "numerator"): "simp",
        ("appeal_rate", "numerator"): "appealed", ("acceptance_rate", "numerator"): "accepted",
        ("reversal_remand_rate", "numerator"): "revrem",
        ("reversal_remand_share_of_appeals", "denominator"): "decided",
        ("carryover_clearance", "numerator"): "co", ("carried_over", "value"): "carried",
        ("pending", "value"): "pending", ("pending_over_12m", "value"): "aged12",
        ("pending_over_18m", "value"): "aged18", ("pending_over_36m", "value"): "aged36",
    }
    compared = 0
    for peer, run in (("pandas", run_pandas), ("polars", run_polars), ("sql", run_sql)):
        base = run(cases).reset_index()
        base = base[(base["cb"] >= 1) & (base["cb"] <= (pd.Period(END, "M") - first).n + 1)]
        base = base.assign(court=base["court"].astype(str),
                           period=[str(first + (int(b) - 1)) for b in base["cb"]])
        for (name, column), theirs in checks.items():
            mine = ours.xs(name, level="indicator")[column]
            got = mine.reindex(pd.MultiIndex.from_frame(base[["court", "period"]])).to_numpy()
            want = base[theirs].to_numpy(dtype="float64")
            bad = ~np.isclose(got, want, rtol=1e-12, atol=0, equal_nan=True)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise AssertionError(f"{peer}: {base['court'].iloc[i]} {base['period'].iloc[i]} "
                                     f"{name}.{column}: engine {got[i]}, {peer} {want[i]}")
        compared = len(base)
    return compared


#: Methods timed on the in-memory frame, and those reading the Parquet dataset in place.
FRAME_METHODS = {"engine": run_engine, "sql": run_sql, "polars": run_polars, "pandas": run_pandas}
DATASET_METHODS = {"duckdb-parquet": run_engine_parquet, "spark": run_spark}


def _jvm_usage() -> tuple[float, float]:
    """CPU seconds and resident MB of this process's children (Spark's JVM), which neither
    ``process_time`` nor ``ru_maxrss`` count."""
    try:
        import psutil
    except ImportError:
        return float("nan"), float("nan")
    cpu = rss = 0.0
    for child_ in psutil.Process().children(recursive=True):
        try:
            times = child_.cpu_times()
            cpu += times.user + times.system
            rss += child_.memory_info().rss / 2**20
        except psutil.Error:
            pass
    return cpu, rss


def child(method: str, n: int) -> None:
    # Imports are a one-off cost per process, not part of either method's speed.
    import ibis.backends.duckdb  # noqa: F401

    import courtstudy.core.limits  # noqa: F401
    import courtstudy.indicators  # noqa: F401

    if method in DATASET_METHODS:
        cases = _dataset(n)
        frame_mb = 0.0
        if method == "spark":
            # the session's start (JVM, ~10-30 s) is a one-off cost, like the imports
            import os

            from courtstudy.indicators.engine import spark_session
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            spark_session(master=os.environ.get("COURTSTUDY_SPARK_MASTER", "local[2]"),
                          config=SPARK_CONFIG)
    else:
        cases = synthetic_cases(n)
        frame_mb = cases.memory_usage(deep=True).sum() / 2**20
    input_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    jvm0, _ = _jvm_usage()
    t0, c0 = time.perf_counter(), time.process_time()
    result = {**FRAME_METHODS, **DATASET_METHODS}[method](cases)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    jvm1, jvm_rss = _jvm_usage()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if method == "spark":
        cpu += jvm1 - jvm0
        peak_mb += jvm_rss
    print(json.dumps({"method": method, "n": n, "seconds": round(seconds, 2),
                      "cpu": round(cpu, 2), "peak_rss_mb": round(peak_mb),
                      "input_rss_mb": round(input_rss_mb), "frame_mb": round(frame_mb),
                      "rows_out": len(result)}))


def main(sizes: list[int], repeat: int = 1, methods: tuple[str, ...] = tuple(FRAME_METHODS),
         check: bool = True) -> None:
    if check:
        print(f"agreement check on 20k cases: {agreement()} (court, month) rows agree with "
              "pandas, Polars and SQL", flush=True)
    print(f"{'cases':>10} {'method':>14} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} "
          f"{'RSS after input MB':>19} {'input frame MB':>15}")
    for n in sizes:
        best = {}
        for method in methods:
            runs = []
            for _ in range(repeat):
                proc = subprocess.run([sys.executable, __file__, "--child", method, str(n)],
                                      capture_output=True, text=True, encoding="utf-8",
                                      check=False)
                if proc.returncode != 0:
                    lines = proc.stderr.strip().splitlines() or ["(no output)"]
                    print(f"{n:>10} {method:>14} failed: {lines[-1]}")
                    break
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            if not runs:
                continue
            res = min(runs, key=lambda r: r["seconds"])
            res["cpu"] = min(r["cpu"] for r in runs)
            res["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
            best[method] = res
            print(f"{n:>10} {method:>14} {res['seconds']:>8.2f} {res['cpu']:>8.2f} "
                  f"{res['peak_rss_mb']:>12} {res['input_rss_mb']:>19} {res['frame_mb']:>15}",
                  flush=True)
        if "engine" in best:
            for other in best:
                if other != "engine":
                    wall = best[other]["seconds"] / best["engine"]["seconds"]
                    cpu = best[other]["cpu"] / best["engine"]["cpu"]
                    print(f"{n:>10} {other} / engine: {wall:.2f}x wall, {cpu:.2f}x CPU",
                          flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--child":
        child(args[1], int(args[2]))
    else:
        import argparse

        parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
        parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000])
        parser.add_argument("--repeat", type=int, default=1)
        parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                            help="spark: also time the engine on a local Spark session and "
                                 "on DuckDB, both reading a partitioned Parquet dataset")
        parser.add_argument("--methods", default="",
                            help="comma-separated subset of " + ", ".join(
                                [*FRAME_METHODS, *DATASET_METHODS]))
        parser.add_argument("--no-check", action="store_true", help="skip the 20k agreement check")
        opts = parser.parse_args(args)
        methods = tuple(m for m in opts.methods.split(",") if m) or (
            (*FRAME_METHODS, *DATASET_METHODS) if opts.engine == "spark" else tuple(FRAME_METHODS))
        main(opts.sizes, opts.repeat, methods, check=not opts.no_check)
