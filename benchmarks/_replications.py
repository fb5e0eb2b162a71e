"""The replication loop the Monte Carlo scripts share: run ``replicate(task)`` for every task in
a process pool, keep every row, report every failure (never silently dropped), save the draws
every ten replications so a long run can be read while it goes, and stop submitting after
``max_minutes`` when given (the machine is shared: the number done is then what the time allowed)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd


def run_replications(replicate: Callable[[tuple], list[dict]], tasks: Sequence[tuple], out: str | Path, *,
                     jobs: int, seed_of: Callable[[tuple], int], max_minutes: float | None = None) -> pd.DataFrame:
    """Rows of every completed replication, also written to ``out`` (CSV); failures go to
    ``out.failed.txt`` with the seed (``seed_of(task)``) and the error."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    start, rows, failed = time.perf_counter(), [], []
    with ProcessPoolExecutor(jobs) as pool:
        futures = [pool.submit(replicate, t) for t in tasks]
        for i, (task, fut) in enumerate(zip(tasks, futures, strict=True)):
            if max_minutes is not None and time.perf_counter() - start > 60 * max_minutes:
                for later in futures[i:]:
                    later.cancel()
                print(f"stopped after {i} replications: --max-minutes {max_minutes}", flush=True)
                break
            try:
                rows.extend(fut.result())
            except Exception as exc:  # reported, never silently dropped
                failed.append(f"seed {seed_of(task)}: {type(exc).__name__}: {exc}")
            if (i + 1) % 10 == 0:
                pd.DataFrame(rows).to_csv(out, index=False)
                print(f"{i + 1}/{len(tasks)} done, {time.perf_counter() - start:.0f} s", flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(out, index=False)
    if failed:
        Path(str(out) + ".failed.txt").write_text("\n".join(failed) + "\n", encoding="utf-8")
    done = frame["seed"].nunique() if len(frame) else 0
    print(f"{done} of {len(tasks)} replications done, {len(failed)} failed, "
          f"{time.perf_counter() - start:.0f} s -> {out}")
    return frame
