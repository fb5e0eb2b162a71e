"""``courtstudy simulate``: write a synthetic court's cases, courts table and true effects."""

from __future__ import annotations

import argparse
from pathlib import Path


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"must be between 0 and 0.5, got {text}")
    return value


def _unit(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def handle(args: argparse.Namespace) -> int:
    zh = args.lang == "zh"
    if args.demo:
        from courtstudy.simulate.demo import ensure_demo

        files = ensure_demo(force=args.force)
        print("示例数据（合成法院）：" if zh else "Demo data (synthetic court):")
        for label, path in (("cases", files.cases), ("courts", files.courts), ("truth", files.truth),
                            ("planted_problems", files.planted_problems), ("stamp", files.stamp),
                            ("mediation", files.mediation),
                            ("mediation_planted_problems", files.mediation_planted_problems),
                            ("related_cases", files.related_cases), ("case_links", files.case_links)):
            print(f"  {label}: {path}")
        return 0

    from courtstudy.commands.paths import ensure_folder
    from courtstudy.core.paths import data_dir
    from courtstudy.core.tabular_output import write_csv, write_xlsx
    from courtstudy.simulate import simulate_court
    from courtstudy.simulate.demo import courts_export
    from courtstudy.simulate.export import write_export

    out = ensure_folder(Path(args.out) if args.out else data_dir() / "simulated", "--out")
    sim = simulate_court(seed=args.seed, scale=args.scale, n_courts=args.n_courts,
                         hidden_confounding=args.hidden_confounding, bunching=args.bunching,
                         n_never_fast_track=args.never_fast_track,
                         one_court_per_cohort=args.one_court_per_cohort,
                         court_month_shock_sd=args.court_month_shocks)
    ext = {"csv": "csv", "xlsx": "xlsx", "parquet": "parquet"}[args.format]
    cases_path = out / f"cases.{ext}"
    planted = write_export(sim.cases, cases_path, fmt=args.format, encoding="gb18030", headers="zh",
                           bad_row_share=args.bad_rows, seed=args.seed)
    courts = courts_export(sim.courts)
    courts_path = out / f"courts.{ext}"
    if args.format == "csv":
        write_csv(courts, courts_path)
    elif args.format == "xlsx":
        write_xlsx(courts, courts_path, sheet="法院")
    else:
        courts.to_parquet(courts_path, index=False)
    truth_path = out / "truth.csv"
    write_csv(sim.truth, truth_path)
    written = [cases_path, courts_path, truth_path]
    if len(planted):
        planted_path = out / "planted_problems.csv"
        write_csv(planted, planted_path)
        written.append(planted_path)
    if zh:
        print(f"合成法院：{sim.courts['court'].nunique()} 家法院，{len(sim.cases)} 件案件，"
              f"截至 {sim.as_of.date()}，种子 {args.seed}，规模 {args.scale}；植入问题行 {len(planted)} 个。")
        print("已写入：")
    else:
        print(f"Synthetic court: {sim.courts['court'].nunique()} courts, {len(sim.cases)} cases, "
              f"as of {sim.as_of.date()}, seed {args.seed}, scale {args.scale}; "
              f"{len(planted)} planted problems.")
        print("Written:")
    for path in written:
        print(f"  {path}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="write a synthetic court with known true effects (生成合成法院数据)",
        description=(
            "Simulate several basic courts of the fictitious province 示范省 (2019-2023 filings, "
            "snapshot 2024-03-31) with known effects of triage, fast-track teams and small claims, "
            "and write the cases as a court export (Chinese headers; CSV in GB18030), the courts "
            "table and truth.csv (the true effects on this sample). --demo builds (once) and shows "
            "the demo files every command uses by default."
        ),
    )
    parser.add_argument("--seed", type=int, default=20240101, help="random seed (default 20240101)")
    parser.add_argument("--scale", type=_positive, default=1.0,
                        help="caseload multiplier: 1 = about 200,000 cases (default 1)")
    parser.add_argument("--n-courts", type=int, default=12, help="number of courts (default 12)")
    parser.add_argument("--hidden-confounding", type=_non_negative, default=0.0,
                        help="effect of the unobserved selection factor on outcomes (default 0)")
    parser.add_argument("--bunching", type=_unit, default=0.0,
                        help="share of claims just above the small-claims threshold moved below it")
    parser.add_argument("--never-fast-track", type=int, default=None, metavar="N",
                        help="courts never adopting fast-track teams (default 3, or n_courts // 3 "
                             "below 7 courts)")
    parser.add_argument("--one-court-per-cohort", action="store_true",
                        help="each adopting court starts fast-track teams on its own date")
    parser.add_argument("--court-month-shocks", type=_non_negative, default=0.0, metavar="SD",
                        help="sd of court-by-month shocks to log trial days, e.g. 0.08 (default 0)")
    parser.add_argument("--out", metavar="DIR", default="", help="output folder (default data/simulated)")
    parser.add_argument("--format", choices=("csv", "xlsx", "parquet"), default="csv",
                        help="format of the cases and courts files (default csv)")
    parser.add_argument("--bad-rows", type=_share, default=0.0, metavar="SHARE",
                        help="share of rows with a planted problem, e.g. 0.003 (default 0)")
    parser.add_argument("--demo", action="store_true",
                        help="build the demo files if missing or stale and print where they are")
    parser.add_argument("--force", action="store_true", help="with --demo: rebuild even if current")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the messages")
    parser.set_defaults(handler=handle)
