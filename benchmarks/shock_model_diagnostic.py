"""Where the fast-track headline's court-month variance comes from, part by part.

The headline interval (imputation, case + court-month variance) adds to the case-level variance
a court-month component estimated by method of moments
(:func:`courtstudy.studies.staggered.variance.estimate_shock_model`): a stationary AR(1) (variance,
correlation ``rho``) plus a slow drift of each court. This script splits each replication's
variance of the overall estimate into the three parts (case, AR(1), drift) and reports, per
outcome, the coverage of 95% intervals built from the case part alone, from case + AR(1), and
from all three (the headline), the mean standard error against the spread of the estimates, the
mean and spread of the estimated ``rho`` (the simulated shocks on log trial days have 0.5), and
how often the drift is estimated above zero, with the headline's coverage in those replications
and in the others.

    nice -n 10 .venv/bin/python benchmarks/shock_model_diagnostic.py run --setting 12courts \\
        --scenario shocks --reps 200 --seed 71000 --jobs 2 --out build/shock_diag_12courts_shocks.csv
    .venv/bin/python benchmarks/shock_model_diagnostic.py table build/shock_diag_12courts_shocks.csv

Replications are those of ``benchmarks/fasttrack_montecarlo.py`` (same settings, scenarios and
truth; scale 0.3), factual world only. ``--study triage`` does the same for the triage study's
headline, the rollout Wald-DiD (:attr:`courtstudy.studies.staggered.RatioResult.variance_parts`),
on the replications of ``benchmarks/triage_montecarlo.py`` (six courts, scale 0.25; ``--hidden``,
``--shocks`` as there):

    nice -n 10 .venv/bin/python benchmarks/shock_model_diagnostic.py run --study triage --hidden 1 \\
        --reps 200 --seed 30000 --jobs 2 --out build/shock_diag_triage_h1.csv
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

OUTCOMES = ("closed_90", "closed_180", "rmst")


def replicate(task: tuple[str, str, int, float]) -> list[dict]:
    setting, scenario, seed, scale = task
    warnings.simplefilter("ignore")
    import fasttrack_montecarlo as mc

    from courtstudy.simulate.rollout import simulate_rollout
    from courtstudy.studies.fasttrack.cases import build_case_sample
    from courtstudy.studies.staggered import staggered_effects

    worlds = simulate_rollout(seed=seed, scale=scale, **mc.SETTINGS[setting],
                              court_month_shock_sd=mc.SCENARIOS[scenario])
    sample = build_case_sample(worlds.factual, worlds.courts, as_of=worlds.as_of, outcomes=OUTCOMES)
    null = build_case_sample(worlds.no_effect, worlds.courts, as_of=worlds.as_of, outcomes=OUTCOMES)
    data = sample.data
    result = staggered_effects(data, list(OUTCOMES), randomization=False)
    rows = []
    for outcome in OUTCOMES:
        eff = result.effects[outcome]
        tau = np.nan_to_num(data.cell_means(sample.data.outcomes[outcome] - null.data.outcomes[outcome]))
        parts, model = eff.variance_parts(), eff.shock_model
        rows.append({"setting": setting, "scenario": scenario, "seed": seed, "outcome": outcome,
                     "estimate": eff.estimate, "truth": float((eff.truth_weights * tau).sum()),
                     "var_case": parts["case"], "var_ar": parts["ar"], "var_drift": parts["drift"],
                     "var_headline": float(eff.covariances["court_month"][0, 0]),
                     "rho": model.rho, "drift": model.drift})
    return rows


def replicate_triage(task: tuple[int, int, float, float]) -> list[dict]:
    hidden, seed, scale, shocks = task
    warnings.simplefilter("ignore")
    from courtstudy.simulate import simulate_court, triage_scenario
    from courtstudy.studies.triage.rollout import build_rollout_sample
    from courtstudy.studies.triage.truth import rollout_truth
    from courtstudy.studies.triage.wald import run_rollout

    sim = simulate_court(seed=seed, scale=scale, **triage_scenario(hidden=bool(hidden), courts="few",
                                                                   court_month_shocks=shocks))
    sample = build_rollout_sample(sim.cases, sim.courts, as_of=sim.as_of)
    result = run_rollout(sample, randomization=False, tests=False, crosscheck=False, seed=seed)
    truth = rollout_truth(sample, sim.latent, used=result.diagnostics["used"]).set_index(["outcome", "component"])
    scenario = ("hidden confounding" if hidden else "no confounding") + (f", shocks {shocks:g}" if shocks else "")
    rows = []
    for outcome, ratio in result.diagnostics["ratios"].items():
        if (outcome, "total") not in truth.index:
            continue
        parts, model = ratio.variance_parts, ratio.shock_model
        rows.append({"setting": "triage, 6 courts", "scenario": scenario, "seed": seed, "outcome": outcome,
                     "estimate": ratio.estimate, "truth": float(truth.loc[(outcome, "total"), "truth"]),
                     "var_case": parts["case"], "var_ar": parts["ar"], "var_drift": parts["drift"],
                     "var_headline": ratio.std_errors["court_month"] ** 2, "rho": model.rho, "drift": model.drift})
    return rows


def summarise(draws: pd.DataFrame) -> pd.DataFrame:
    out = []
    for (setting, scenario, outcome), g in draws.groupby(["setting", "scenario", "outcome"], sort=False):
        error = (g["estimate"] - g["truth"]).abs()
        sd = (g["estimate"] - g["truth"]).std(ddof=1)
        row = {"setting": setting, "scenario": scenario, "outcome": outcome, "reps": len(g)}
        parts = {"case": g["var_case"], "case + AR(1)": g["var_case"] + g["var_ar"],
                 "headline (case + AR(1) + drift)": g["var_headline"]}
        for name, var in parts.items():
            se = np.sqrt(var)
            row[f"coverage, {name}"] = float((error <= 1.959964 * se).mean())
            row[f"mean se / sd, {name}"] = float(se.mean() / sd)
        drift = g["drift"] > 0
        covered = error <= 1.959964 * np.sqrt(g["var_headline"])
        row.update({"mean rho": g["rho"].mean(), "sd rho": g["rho"].std(ddof=1),
                    "share drift > 0": float(drift.mean()),
                    "headline coverage, drift > 0": float(covered[drift].mean()) if drift.any() else np.nan,
                    "headline coverage, drift = 0": float(covered[~drift].mean()) if (~drift).any() else np.nan})
        out.append(row)
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="simulate and save the parts of each replication's variance")
    r.add_argument("--study", choices=("fasttrack", "triage"), default="fasttrack")
    r.add_argument("--setting", choices=("4courts", "6courts", "12courts"), default="12courts",
                   help="fast-track only (the triage study's is six courts, one per start date)")
    r.add_argument("--hidden", type=int, choices=(0, 1), default=1, help="triage only: hidden confounding")
    r.add_argument("--shocks", type=float, default=0.0, help="triage only: court-month shock sd (0.10 as fast-track)")
    r.add_argument("--scenario", choices=("case_noise", "shocks"), default="shocks")
    r.add_argument("--reps", type=int, default=200)
    r.add_argument("--seed", type=int, default=71000)
    r.add_argument("--scale", type=float, default=None, help="default 0.3 (fast-track), 0.25 (triage)")
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--out", required=True)
    t = sub.add_parser("table", help="summarise saved draws")
    t.add_argument("draws", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "run":
        if args.study == "triage":
            scale = 0.25 if args.scale is None else args.scale
            work, tasks = replicate_triage, [(args.hidden, args.seed + i, scale, args.shocks) for i in range(args.reps)]
        else:
            scale = 0.3 if args.scale is None else args.scale
            work, tasks = replicate, [(args.setting, args.scenario, args.seed + i, scale) for i in range(args.reps)]
        with ProcessPoolExecutor(max(1, args.jobs)) as pool:
            rows = [row for chunk in pool.map(work, tasks) for row in chunk]
        draws = pd.DataFrame(rows)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        draws.to_csv(args.out, index=False)
    else:
        draws = pd.concat([pd.read_csv(p) for p in args.draws], ignore_index=True)
    table = summarise(draws).set_index(["setting", "scenario", "outcome"]).T
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(table.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
