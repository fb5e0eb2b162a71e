"""Benchmark: loading a 200k-row GB18030 export (the demo's size) with ``load_cases``.

In the same run, for comparison:

* the floor: ``pandas.read_csv(encoding="gb18030", dtype=str)`` alone (no validation at all);
* the parsing strategy: the four date columns parsed cell by cell with the scalar parser
  (``Series.map(parse_date)``) against the loader's parse-each-distinct-value-once
  (``normalize.parse_dates``).

Usage::

    .venv/bin/python benchmarks/loading.py            # simulate_court(scale=1.0), about 200k rows
    .venv/bin/python benchmarks/loading.py 0.25       # a smaller court
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd


def timed(label: str, function, repeat: int = 3):
    """Best wall time and best CPU time of ``repeat`` runs (CPU time is what a busy machine's
    other processes cannot inflate)."""
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    print(f"{label:<66} wall {best:6.2f} s  cpu {best_cpu:6.2f} s (best of {repeat})")
    return result


def main(scale: float = 1.0) -> None:
    from courtstudy.ingest import normalize
    from courtstudy.ingest.loading import load_cases
    from courtstudy.simulate import simulate_court
    from courtstudy.simulate.export import write_export

    sim = simulate_court(scale=scale)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.csv"
        start = time.perf_counter()
        planted = write_export(sim.cases, path, encoding="gb18030", bad_row_share=0.003, seed=1)
        print(f"write_export: {len(sim.cases):,} cases, {len(planted)} planted problems, "
              f"{path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - start:.2f} s")
        raw = timed("floor: pandas.read_csv(gb18030, dtype=str), no checks",
                    lambda: pd.read_csv(path, encoding="gb18030", dtype=str, keep_default_na=False))
        loaded = timed("load_cases (decode, parse, validate, quarantine)", lambda: load_cases(path))
        acc = loaded.accounting()
        print(f"  rows read {acc['rows_read']:,}, accepted {acc['accepted']:,}, quarantined "
              f"{acc['quarantined']}, field issues {acc['field_issues']}, balanced {acc['balanced']}")
        date_columns = [c for c in raw.columns if "日期" in c]
        timed("4 date columns, each distinct value once (normalize.parse_dates)",
              lambda: [normalize.parse_dates(raw[c]) for c in date_columns], repeat=1)
        timed("4 date columns, cell by cell (Series.map(parse_date))",
              lambda: [raw[c].map(normalize.parse_date) for c in date_columns], repeat=1)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
