"""Benchmark: building the synthetic court, against reading the same cases from the demo export.

Times ``simulate_court`` at several scales (the default scale 1 is about 200,000 cases, all seven
potential-outcome worlds included), a counterfactual, and, as the alternative way to get the same
cases into memory, ``load_cases`` on the demo export ``data/demo/cases.csv`` (GB18030, mixed date
styles), in the same run.

    .venv/bin/python benchmarks/simulate_build.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from courtstudy.ingest.loading import load_cases
    from courtstudy.simulate import simulate_court
    from courtstudy.simulate.demo import ensure_demo

    print(f"{'what':<44}{'cases':>9}{'min s':>9}{'median s':>10}")
    for scale in (0.05, 0.25, 1.0):
        best, median, sim = timed(lambda s=scale: simulate_court(scale=s), args.repeat)
        print(f"{f'simulate_court(scale={scale})':<44}{len(sim.cases):>9}{best:>9.2f}{median:>10.2f}")
    best, median, cf = timed(lambda: sim.counterfactual("fast_track"), args.repeat)
    label = 'sim.counterfactual("fast_track") (scale 1)'
    print(f"{label:<44}{len(cf.cases):>9}{best:>9.2f}{median:>10.2f}")
    files = ensure_demo()
    best, median, loaded = timed(lambda: load_cases(files.cases), 1)
    print(f"{'load_cases(data/demo/cases.csv)':<44}{len(loaded.cases):>9}{best:>9.2f}{median:>10.2f}")


if __name__ == "__main__":
    main()
