"""Monte Carlo of the effect of a court's start of pre-suit mediation: filings and filed cases.

Each replication simulates the synthetic court (12 courts, ``--scale``, seed varying) as the
world without mediation and its mediation world (:func:`courtstudy.simulate.mediation.simulate_mediation`,
same draws: the factual cases are the court's cases less the disputes mediation resolved; one
court per start quarter, ``--never`` courts never starting) and estimates, in both worlds:

* filings: Callaway-Sant'Anna (not-yet-treated, simple aggregation) on the court x quarter panel
  of log civil first-instance filings (:func:`courtstudy.studies.diversion.mediation_start_effects`,
  computed with its exact fast form), with the court-clustered standard error and with
  randomisation inference over start dates (:func:`courtstudy.studies.diversion.filings_randomization`).
  Truth: the mean over treated court-quarters of ln(factual filings) - ln(filings without
  mediation);
* filed cases: the case-level staggered DiD of :func:`courtstudy.studies.diversion.filed_case_effects`
  (imputation, no covariates, quarters) on ``log_claim``, ``closed_within_180``, ``appealed``
  with the case-level, case + court-period ("court_month"), court-clustered variances and
  randomisation inference. Truth: the estimand's own weights (``truth_weights``, the treated
  cells' case shares) applied to the cell means of the factual world minus those of the world
  without mediation (the change in the mix of filed cases: the synthetic court models no change
  in how a filed case is handled).

Reported per outcome and inference: bias, RMSE, mean standard error against the standard
deviation of the estimates, coverage of the 95% intervals of the truth, and how often the 5%
test rejects in the world without mediation (where every effect is zero).

    nice -n 10 .venv/bin/python benchmarks/diversion_montecarlo.py run --reps 200 --jobs 2 \\
        --out build/mc_diversion.csv
    .venv/bin/python benchmarks/diversion_montecarlo.py table build/mc_diversion.csv \\
        --out docs/diversion_montecarlo.md
"""

from __future__ import annotations

import os

# Two worker processes on two shared cores: a multi-threaded BLAS only fights itself.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _replications import run_replications  # noqa: E402

CASE_END = "2023Q4"
PANEL_END = "2023-12-31"
INFERENCES = ("case", "court_month", "unit_cluster", "randomization")


def _filings_rows(seed: int, world, court, starts, ri_draws: int) -> list[dict]:
    from scipy import stats as sps

    from courtstudy.studies.diversion import filings_panel, filings_randomization
    from courtstudy.studies.fasttrack.did import simple_att_fast

    z = sps.norm.ppf(0.975)
    pf = filings_panel(world.cases, starts, end=PANEL_END)
    pc = filings_panel(court.cases, starts, end=PANEL_END)
    treated = (pf["cohort"] > 0) & (pf["t"] >= pf["cohort"]) & ~pf["always_treated"]
    truth = float((pf.loc[treated, "log_filed"] - pc.loc[treated, "log_filed"]).mean())
    fits = {}
    for name, panel in (("factual", pf), ("null", pc)):
        keep = panel.loc[~panel["always_treated"] & ~panel["cohort"].eq(1)]
        wide = keep.pivot(index="court", columns="t", values="log_filed").sort_index(axis=1)
        cohort = keep.drop_duplicates("court").set_index("court")["cohort"].reindex(wide.index).to_numpy()
        fits[name] = simple_att_fast(wide.to_numpy(float), cohort, control_group="notyettreated")
    ri = filings_randomization(world.cases, starts, end=PANEL_END, draws=ri_draws, seed=seed)
    ri0 = filings_randomization(court.cases, starts, end=PANEL_END, draws=ri_draws, seed=seed)
    (est, se), (est0, se0) = fits["factual"], fits["null"]
    if abs(ri.estimate - est) > 1e-8:
        raise RuntimeError("randomisation inference and the panel estimate disagree")
    base = {"seed": seed, "outcome": "log_filed", "estimator": "panel_cs", "truth": truth,
            "estimate": est, "null_estimate": est0}
    return [
        {**base, "inference": "unit_cluster", "std_error": se, "covered": bool(abs(est - truth) <= z * se),
         "width": 2 * z * se, "null_reject": bool(abs(est0) > z * se0)},
        {**base, "inference": "randomization", "std_error": np.nan,
         "covered": bool(ri.ci_low <= truth <= ri.ci_high), "width": ri.ci_high - ri.ci_low,
         "null_reject": bool(ri0.p_value < 0.05)},
    ]


def replicate(task: tuple) -> list[dict]:
    seed, scale, n_never, ri_draws = task
    warnings.simplefilter("ignore")
    from courtstudy.simulate.generator import simulate_court
    from courtstudy.simulate.mediation import MediationSettings, simulate_mediation
    from courtstudy.studies.diversion.cases import CASE_OUTCOMES, filed_case_data
    from courtstudy.studies.staggered import staggered_effects

    t0 = time.perf_counter()
    court = simulate_court(seed=seed, scale=scale, n_courts=12)
    world = simulate_mediation(court, MediationSettings(seed=seed, n_never=n_never))
    starts = {c: (None if pd.isna(d) else pd.Timestamp(d))
              for c, d in zip(world.schedule["court"], world.schedule["mediation_start"], strict=True)}
    rows = _filings_rows(seed, world, court, starts, ri_draws)

    outcomes = list(CASE_OUTCOMES)
    data = filed_case_data(world.cases, starts, court.as_of, outcomes, end=CASE_END)
    null = filed_case_data(court.cases, starts, court.as_of, outcomes, end=CASE_END)
    if data.units != null.units or data.periods != null.periods:
        raise RuntimeError("the two worlds' court-period grids differ")
    options = {"estimator": "imputation", "covariates": False, "ri_draws": ri_draws, "seed": seed}
    res, res0 = staggered_effects(data, outcomes, **options), staggered_effects(null, outcomes, **options)
    for outcome in outcomes:
        eff, eff0 = res.effects[outcome], res0.effects[outcome]
        tau = np.nan_to_num(data.cell_means(data.outcomes[outcome]) - null.cell_means(null.outcomes[outcome]))
        truth = float((eff.truth_weights * tau).sum())
        for inference in INFERENCES:
            low, high, _ = eff.interval(inference)
            _, _, p0 = eff0.interval(inference)
            se = eff.std_error(inference) if inference != "randomization" else np.nan
            rows.append({"seed": seed, "outcome": outcome, "estimator": "imputation", "inference": inference,
                         "truth": truth, "estimate": eff.estimate, "std_error": se,
                         "covered": bool(low <= truth <= high), "width": high - low,
                         "null_estimate": eff0.estimate, "null_reject": bool(p0 < 0.05),
                         "pretrend_reject": bool(eff.pretrend["p_value"] < 0.05)
                         if inference == "court_month" else np.nan})
    seconds = time.perf_counter() - t0
    for row in rows:
        row["seconds"] = seconds
    return rows


def run(args: argparse.Namespace) -> int:
    tasks = [(args.seed + r, args.scale, args.never, args.ri_draws) for r in range(args.reps)]
    run_replications(replicate, tasks, args.out, jobs=args.jobs, seed_of=lambda task: task[0],
                     max_minutes=args.max_minutes)
    return 0


LABELS = {"panel_cs": "Callaway-Sant'Anna, court x quarter panel",
          "imputation": "imputation (BJS), filed cases, no covariates"}
INFERENCE_LABELS = {"case": "case-level variance", "court_month": "case + court-quarter variance",
                    "unit_cluster": "clustered by court", "randomization": "randomisation inference"}
OUTCOME_LABELS = {"log_filed": "log filings (court-quarter)", "log_claim": "ln(1 + claim) of filed cases",
                  "closed_within_180": "closed within 180 days", "appealed": "appealed"}


def summarise(draws: pd.DataFrame) -> pd.DataFrame:
    d = draws.assign(error=draws["estimate"] - draws["truth"])
    return d.groupby(["outcome", "estimator", "inference"], sort=False).agg(
        reps=("seed", "nunique"), mean_truth=("truth", "mean"), bias=("error", "mean"),
        rmse=("error", lambda e: float(np.sqrt(np.mean(e ** 2)))), mean_se=("std_error", "mean"),
        sd_error=("error", "std"), coverage=("covered", "mean"), null_rejection=("null_reject", "mean"),
        pretrend_rejection=("pretrend_reject", "mean"), mean_width=("width", "mean"),
        seconds=("seconds", "mean"),
    ).reset_index()


def to_markdown(table: pd.DataFrame, command: str) -> str:
    reps = int(table["reps"].max())
    mc_se = float(np.sqrt(0.95 * 0.05 / reps))
    lines = ["# Monte Carlo: effect of the start of pre-suit mediation on filings and filed cases", "",
             "Generated by (`nice -n 10`):", "", "```", command, "```", "",
             f"{reps} replications (mean {table['seconds'].mean():.0f} s of one process each); the Monte "
             f"Carlo standard error of a coverage near 95% is ±{100 * mc_se:.1f} percentage points. "
             "Twelve synthetic courts, one per start quarter, the last never starting "
             "(`simulate_mediation` defaults); each replication holds the world without mediation "
             "(the court as simulated) and the factual world (same draws, less the disputes "
             "mediation resolved). `truth` is each estimator's own estimand on factual minus "
             "without mediation; `null_rej` is the share of worlds without mediation where the 5% "
             "test rejects (all effects zero there). `mean_se` against `sd_err` (spread of estimate "
             "minus truth); `pretrend_rej` is the imputation pre-trend test at 5% (on the "
             "court-quarter variance row).", ""]
    for outcome, rows in table.groupby("outcome", sort=False):
        lines += [f"## {OUTCOME_LABELS.get(outcome, outcome)} (mean true effect {rows['mean_truth'].iloc[0]:+.4f})", "",
                  "| estimator | inference | reps | bias | rmse | mean_se | sd_err | coverage | null_rej | pretrend_rej | width |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]

        def f(v, p=4):
            return "" if pd.isna(v) else f"{v:.{p}f}"
        for _, r in rows.iterrows():
            lines.append(f"| {LABELS[r['estimator']]} | {INFERENCE_LABELS[r['inference']]} | {int(r['reps'])} | "
                         f"{f(r['bias'])} | {f(r['rmse'])} | {f(r['mean_se'])} | {f(r['sd_error'])} | "
                         f"{f(r['coverage'], 3)} | {f(r['null_rejection'], 3)} | {f(r['pretrend_rejection'], 3)} | "
                         f"{f(r['mean_width'])} |")
        lines.append("")
    return "\n".join(lines)


def table(args: argparse.Namespace) -> int:
    draws = pd.concat([pd.read_csv(p) for p in args.csv], ignore_index=True)
    summary = summarise(draws)
    text = to_markdown(summary, args.command)
    print(text)
    if args.out:
        reading = Path(args.reading).read_text(encoding="utf-8") if args.reading else ""
        Path(args.out).write_text(text + ("\n" + reading if reading else ""), encoding="utf-8")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--reps", type=int, default=200)
    r.add_argument("--scale", type=float, default=0.15)
    r.add_argument("--seed", type=int, default=1000)
    r.add_argument("--never", type=int, default=1)
    r.add_argument("--ri-draws", type=int, default=499)
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--max-minutes", type=float, default=38)
    r.add_argument("--out", default="build/mc_diversion.csv")
    t = sub.add_parser("table")
    t.add_argument("csv", nargs="+")
    t.add_argument("--out", default="")
    t.add_argument("--command", default="")
    t.add_argument("--reading", default="", help="a Markdown file appended as the hand-written reading")
    args = parser.parse_args()
    return run(args) if args.cmd == "run" else table(args)


if __name__ == "__main__":
    sys.exit(main())
