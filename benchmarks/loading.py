"""Benchmark: ``load_cases`` on GB18030 exports of 200k, 2M and 10M rows (linear scaling).

The export is the demo court's (``simulate_court(scale=1.0)``, about 200k cases, written by
``write_export`` with 0.3% planted problems), repeated with new case numbers until the wanted
number of rows: each copy shifts every case's sequence number, so no copy duplicates another.
The file is written once per size (``--keep`` leaves it in ``--dir`` for the next run).

Wall time and CPU time (all threads) of each, in a fresh process, for comparison (CPU time is
what a machine shared with other jobs cannot inflate):

* the floor: a bare pyarrow CSV read of the same file (``pyarrow.csv.read_csv`` with
  ``encoding="gb18030"``, types inferred, nothing checked);
* peak memory: the process's peak RSS (``ru_maxrss``) against the accepted table's own size
  (``cases.memory_usage(deep=True)``).

Targets (issue 9): linear scaling; 10M rows in under 60 s and within 5x of the bare pyarrow
read; peak memory under 3x the accepted table. Each measurement runs in its own process
(``--one``) so that peak RSS is that of one load.

Usage::

    .venv/bin/python benchmarks/loading.py --rows 200000 2000000          # quick
    nice -n 10 .venv/bin/python benchmarks/loading.py --rows 10000000 --dir /tmp/cs-bench
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def write_big_export(path: Path, rows: int, seed: int = 20240101) -> dict:
    """Write an export of about ``rows`` data rows (the demo court repeated) to ``path``."""
    from courtstudy.simulate import simulate_court
    from courtstudy.simulate.export import write_export

    sim = simulate_court(scale=1.0, seed=seed)
    base = sim.cases.reset_index(drop=True)
    copies = int(np.ceil(rows / len(base)))
    written = 0
    planted_total = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, open(path, "wb") as out:
        for k in range(copies):
            cases = base.copy()
            if k:
                seq = cases["case_seq"].astype("int64") + k * 10_000_000
                cases["case_seq"] = pd.array(seq, dtype="Int64")
                cases["case_id"] = [f"（{y}）{c}{t}{s}号" for y, c, t, s in zip(
                    cases["case_year"], cases["court_code"], cases["type_code"], seq, strict=True)]
            need = rows - written
            if need < len(cases):
                cases = cases.iloc[:need]
            part = Path(tmp) / "part.csv"
            planted = write_export(cases, part, encoding="gb18030", bad_row_share=0.003, seed=seed + k)
            planted_total += len(planted)
            data = part.read_bytes()
            if k:
                data = data[data.index(b"\n") + 1:]  # the header once
            out.write(data)
            written += len(cases)
    return {"rows": written, "planted": planted_total, "bytes": path.stat().st_size,
            "seconds": round(time.perf_counter() - start, 1)}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_one(path: Path, what: str) -> dict:
    """One measurement in this (fresh) process: 'pyarrow' or 'load_cases'."""
    before = _peak_mb()
    start, start_cpu = time.perf_counter(), time.process_time()
    if what == "pyarrow":
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding="gb18030"))
        rows = table.num_rows
        extra: dict = {}
    else:
        from courtstudy.ingest.loading import load_cases

        loaded = load_cases(path, snapshot="2024-03-31")
        acc = loaded.accounting()
        rows = acc["rows_read"]
        extra = {"accepted": acc["accepted"], "quarantined": acc["quarantined"],
                 "field_issues": acc["field_issues"], "balanced": acc["balanced"],
                 "accepted_table_mb": round(loaded.cases.memory_usage(deep=True).sum() / 2**20, 1)}
    seconds = time.perf_counter() - start
    return {"what": what, "rows": rows, "seconds": round(seconds, 2),
            "cpu_seconds": round(time.process_time() - start_cpu, 2),
            "peak_rss_mb": round(_peak_mb(), 1), "rss_before_mb": round(before, 1), **extra}


def run_in_fresh_process(path: Path, what: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", what, "--file", str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 2_000_000])
    parser.add_argument("--dir", default="", help="where the exports are written (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the exports for the next run")
    parser.add_argument("--one", choices=("pyarrow", "load_cases"), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(Path(args.file), args.one)))
        return
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="cs-loading-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'rows':>11} {'MB':>7} {'pyarrow s':>9} {'load s':>8} {'ratio':>6} {'s/M rows':>8} "
          f"{'pyarrow cpu':>11} {'load cpu':>8} {'cpu ratio':>9} "
          f"{'peak MB':>8} {'table MB':>8} {'peak/table':>10}  accounting")
    for rows in args.rows:
        path = folder / f"export-{rows}.csv"
        if not path.exists():
            info = write_big_export(path, rows)
            print(f"  wrote {path.name}: {info['rows']:,} rows, {info['bytes'] / 1e6:,.0f} MB, "
                  f"{info['planted']:,} planted problems, {info['seconds']} s", flush=True)
        floor = run_in_fresh_process(path, "pyarrow")
        load = run_in_fresh_process(path, "load_cases")
        ratio = load["seconds"] / floor["seconds"]
        print(f"{load['rows']:>11,} {path.stat().st_size / 1e6:>7,.0f} {floor['seconds']:>9.2f} "
              f"{load['seconds']:>8.2f} {ratio:>6.2f} {load['seconds'] / load['rows'] * 1e6:>8.2f} "
              f"{floor['cpu_seconds']:>11.2f} {load['cpu_seconds']:>8.2f} "
              f"{load['cpu_seconds'] / floor['cpu_seconds']:>9.2f} "
              f"{load['peak_rss_mb']:>8,.0f} {load['accepted_table_mb']:>8,.0f} "
              f"{load['peak_rss_mb'] / load['accepted_table_mb']:>10.2f}  "
              f"accepted {load['accepted']:,} + quarantined {load['quarantined']:,}, "
              f"field issues {load['field_issues']:,}, balanced {load['balanced']}", flush=True)
        if not args.keep:
            path.unlink()


if __name__ == "__main__":
    main()
