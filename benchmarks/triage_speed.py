"""Speed of the full triage study: both designs, every outcome, method, test and cross-check.

Runs :func:`courtstudy.studies.triage.run_triage_study` as notebook 03 does (like-for-like:
raw, regression, IPW, AIPW, KM/IPW-KM, Cox, diagnostics, sensitivity; rollout: ITT, first stage,
Wald-DiD under three inferences with randomisation over start dates, the appeal split,
pre-trend/composition/exclusion tests and bounds, did_multiplegt; AIPW on the rollout's cases)
on the synthetic court at the requested scales (scale 1 = the 200k-case demo), and times its
parts separately. The alternative in the same run: the propensity model fitted with statsmodels'
``Logit`` against the numpy Newton solver the study uses. Wall-clock seconds and the process
CPU seconds (all threads) are both printed: on a machine shared with other jobs the wall clock
grows with the load while the CPU time does not; the load average is printed too.

    nice -n 10 .venv/bin/python benchmarks/triage_speed.py --scales 1
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0])
    parser.add_argument("--seed", type=int, default=20240101)
    args = parser.parse_args()

    import statsmodels.api as sm

    from courtstudy.simulate import simulate_court
    from courtstudy.studies.triage import build_sample, run_triage_study
    from courtstudy.studies.triage.propensity import fit_propensity

    # Imports and first-call costs outside the timings (as in a notebook kernel already running).
    warm = simulate_court(seed=args.seed, scale=0.02)
    run_triage_study(warm.cases, warm.courts, as_of=warm.as_of, ri_draws=19)

    print(f"{'scale':>6} {'cases':>9} {'sample':>8} {'full_s':>7} {'full_cpu':>8} {'lfl_s':>6} {'lfl_cpu':>7} "
          f"{'rollout_s':>9} {'rollout_cpu':>11} {'ps_numpy_s':>10} {'ps_statsmodels_s':>16} {'max_ps_diff':>11} "
          f"{'load1':>5}")
    for scale in args.scales:
        sim = simulate_court(seed=args.seed, scale=scale)
        sample = build_sample(sim.cases, sim.courts, as_of=sim.as_of)
        full, t_full, c_full = _timed(lambda: run_triage_study(sim.cases, sim.courts, as_of=sim.as_of))  # noqa: B023
        _, t_lfl, c_lfl = _timed(lambda: run_triage_study(sim.cases, sim.courts, as_of=sim.as_of,  # noqa: B023
                                                          rollout=False))
        from courtstudy.studies.triage.designs import rollout_design

        _, t_ro, c_ro = _timed(lambda: rollout_design(sim.cases, sim.courts, as_of=sim.as_of))  # noqa: B023
        x = sample.design.to_numpy(dtype=float)
        ps, t_np, _ = _timed(lambda: fit_propensity(x, sample.treatment))  # noqa: B023
        sm_fit, t_sm, _ = _timed(lambda: sm.Logit(sample.treatment, sm.add_constant(x, has_constant="add"))  # noqa: B023
                                 .fit(disp=0, method="newton"))
        diff = float(np.max(np.abs(sm_fit.predict() - ps.score)))
        print(f"{scale:>6g} {len(sim.cases):>9,} {sample.n:>8,} {t_full:>7.1f} {c_full:>8.1f} {t_lfl:>6.1f} "
              f"{c_lfl:>7.1f} {t_ro:>9.1f} {c_ro:>11.1f} {t_np:>10.2f} {t_sm:>16.2f} {diff:>11.1e} "
              f"{os.getloadavg()[0]:>5.1f}", flush=True)
        assert full.rollout is not None
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
