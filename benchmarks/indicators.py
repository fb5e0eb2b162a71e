"""Benchmark: the full indicator table by court x month (five years) on synthetic cases.

Compares the Ibis/DuckDB engine (courtstudy.indicators.IndicatorEngine: register + compute)
with a straightforward vectorised pandas groupby implementation of the same counts, sums,
medians, pending ages and filing-cohort survival table, in the same run. Each (size, method)
runs in its own subprocess, which prints its wall time and its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes building the synthetic frame;
the peak right after building it is printed beside it, and the frame's own size,
``memory_usage(deep=True)``). Timings exclude imports and building the frame; both wall and CPU
(user + system of every thread, ``time.process_time``) seconds are printed, since other work on
the machine inflates wall times. ``--repeat N`` runs every (size, method) N times, each in a
fresh process, and keeps the best. Before timing, both methods run on 20k cases and their
counts, sums, medians and stocks are checked to agree.

Usage::

    .venv/bin/python benchmarks/indicators.py                 # 100k and 1M
    .venv/bin/python benchmarks/indicators.py --repeat 2 100000 1000000 10000000
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


def agreement(n: int = 20_000) -> int:
    """Check that the engine and the pandas baseline agree on every (court, month) figure the
    baseline computes; returns the number of (court, month) rows compared."""
    cases = synthetic_cases(n, seed=1)
    long = run_engine(cases)
    base = run_pandas(cases).reset_index()
    first = pd.Period(START, "M")
    base = base[(base["cb"] >= 1) & (base["cb"] <= (pd.Period(END, "M") - first).n + 1)]
    checks = {  # engine indicator, its column: pandas column
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
    base = base.assign(period=[str(first + (int(b) - 1)) for b in base["cb"]])
    ours = long.set_index(["court", "period", "indicator"])
    for (name, column), theirs in checks.items():
        mine = ours.xs(name, level="indicator")[column]
        got = mine.reindex(pd.MultiIndex.from_frame(base[["court", "period"]])).to_numpy()
        want = base[theirs].to_numpy(dtype="float64")
        bad = ~np.isclose(got, want, rtol=1e-12, atol=0, equal_nan=True)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise AssertionError(f"{base['court'].iloc[i]} {base['period'].iloc[i]} "
                                 f"{name}.{column}: engine {got[i]}, pandas {want[i]}")
    return len(base)


def child(method: str, n: int) -> None:
    # Imports are a one-off cost per process, not part of either method's speed.
    import ibis.backends.duckdb  # noqa: F401

    import courtstudy.core.limits  # noqa: F401
    import courtstudy.indicators  # noqa: F401

    cases = synthetic_cases(n)
    input_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    frame_mb = cases.memory_usage(deep=True).sum() / 2**20
    t0, c0 = time.perf_counter(), time.process_time()
    result = (run_engine if method == "engine" else run_pandas)(cases)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"method": method, "n": n, "seconds": round(seconds, 2),
                      "cpu": round(cpu, 2), "peak_rss_mb": round(peak_mb),
                      "input_rss_mb": round(input_rss_mb), "frame_mb": round(frame_mb),
                      "rows_out": len(result)}))


def main(sizes: list[int], repeat: int = 1) -> None:
    print(f"agreement check on 20k cases: {agreement()} (court, month) rows agree", flush=True)
    print(f"{'cases':>10} {'method':>8} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} "
          f"{'RSS after input MB':>19} {'input frame MB':>15}")
    for n in sizes:
        best = {}
        for method in ("engine", "pandas"):
            runs = []
            for _ in range(repeat):
                proc = subprocess.run([sys.executable, __file__, "--child", method, str(n)],
                                      capture_output=True, text=True, encoding="utf-8",
                                      check=False)
                if proc.returncode != 0:
                    print(f"{n:>10} {method:>8} failed: {proc.stderr.strip().splitlines()[-1]}")
                    break
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            if not runs:
                continue
            res = min(runs, key=lambda r: r["seconds"])
            res["cpu"] = min(r["cpu"] for r in runs)
            res["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
            best[method] = res
            print(f"{n:>10} {method:>8} {res['seconds']:>8.2f} {res['cpu']:>8.2f} "
                  f"{res['peak_rss_mb']:>12} {res['input_rss_mb']:>19} {res['frame_mb']:>15}",
                  flush=True)
        if len(best) == 2:
            wall = best["pandas"]["seconds"] / best["engine"]["seconds"]
            cpu = best["pandas"]["cpu"] / best["engine"]["cpu"]
            print(f"{n:>10} speed-up engine vs pandas: {wall:.1f}x wall, {cpu:.1f}x CPU",
                  flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--child":
        child(args[1], int(args[2]))
    else:
        repeat = 1
        if args and args[0] == "--repeat":
            repeat, args = int(args[1]), args[2:]
        main([int(a) for a in args] or [100_000, 1_000_000], repeat)
