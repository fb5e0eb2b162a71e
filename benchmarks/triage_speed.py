"""Speed of the full triage study (all outcomes, all methods, diagnostics, sensitivity, Cox).

Runs :func:`courtstudy.studies.triage.run_triage_study` on the synthetic court at the requested scales
(scale 1 = about 200k cases, scale 5 = about 1M) and, as the alternative in the same run, fits
the propensity model with statsmodels' ``Logit`` on the same design to compare with the numpy
Newton solver the study uses. Prints wall-clock seconds per step, and the CPU seconds of the study (process time, all
threads): on a machine shared with other jobs the wall clock grows with the load while the CPU
time does not, so both are shown.

    .venv/bin/python benchmarks/triage_speed.py --scales 1 5
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 5.0])
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--no-cox", action="store_true", help="skip the Cox model")
    args = parser.parse_args()

    import statsmodels.api as sm

    from courtstudy.simulate import simulate_court
    from courtstudy.studies.triage import build_sample, run_triage_study
    from courtstudy.studies.triage.propensity import fit_propensity

    print(f"{'scale':>6} {'cases':>9} {'sample':>9} {'simulate_s':>10} {'sample_s':>9} {'study_s':>8} "
          f"{'study_cpu_s':>11} {'ps_numpy_s':>10} {'ps_statsmodels_s':>16} {'max_ps_diff':>11} {'load1':>5}")
    for scale in args.scales:
        t0 = time.perf_counter()
        sim = simulate_court(seed=args.seed, scale=scale)
        t_sim = time.perf_counter() - t0
        t0 = time.perf_counter()
        sample = build_sample(sim.cases, sim.courts, as_of=sim.as_of)
        t_sample = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        run_triage_study(sim.cases, sim.courts, sample=sample, cox=not args.no_cox)
        t_study, c_study = time.perf_counter() - t0, time.process_time() - c0
        x = sample.design.to_numpy(dtype=float)
        t0 = time.perf_counter()
        ps = fit_propensity(x, sample.treatment)
        t_np = time.perf_counter() - t0
        t0 = time.perf_counter()
        sm_fit = sm.Logit(sample.treatment, sm.add_constant(x, has_constant="add")).fit(disp=0, method="newton")
        t_sm = time.perf_counter() - t0
        diff = float(np.max(np.abs(sm_fit.predict() - ps.score)))
        load = os.getloadavg()[0]
        print(f"{scale:>6g} {len(sim.cases):>9,} {sample.n:>9,} {t_sim:>10.1f} {t_sample:>9.1f} {t_study:>8.1f} "
              f"{c_study:>11.1f} {t_np:>10.2f} {t_sm:>16.2f} {diff:>11.1e} {load:>5.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
