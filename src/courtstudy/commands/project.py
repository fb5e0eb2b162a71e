"""``courtstudy project DATA``: will the courts make the year? Year-end projection with
prediction intervals, target probabilities and the closings per judge per week they need."""

from __future__ import annotations

import argparse
import sys


def handle(args: argparse.Namespace) -> int:
    import pandas as pd

    from courtstudy.commands.indicators import _load
    from courtstudy.commands.paths import table_output
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.core.tabular_output import write_csv, write_xlsx
    from courtstudy.monitoring import (
        backtest_projections,
        coverage_table,
        narrative,
        project_year_end,
    )
    from courtstudy.report.tables import label_headers

    path = table_output(args.out) if args.out else None
    cases, courts = _load(args.data, args.courts)
    court_filter = [c.strip() for c in args.court.split(",") if c.strip()]
    if court_filter:
        unknown = sorted(set(court_filter) - set(cases["court"].astype(str)))
        if unknown:
            raise CourtstudyError(f"--court: {', '.join(unknown)} not in the data")
        cases = cases[cases["court"].isin(court_filter)].reset_index(drop=True)
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    if args.pseudonymise and "judge" in cases:
        # before projecting, so that no table, sheet or printed line carries a name
        from courtstudy.report.pseudonym import pseudonymise

        cases = pseudonymise(cases, columns=("judge",))
    zh = args.lang == "zh"
    try:
        projection = project_year_end(cases, args.origin or None, as_of=args.as_of or None, by=by,
                                      method=args.method, targets=args.target, courts=courts,
                                      history_years=args.history_years, n_draws=args.draws,
                                      seed=args.seed)
        total = project_year_end(cases, args.origin or None, as_of=args.as_of or None, by=[],
                                 method=args.method, targets=args.target, courts=courts,
                                 history_years=args.history_years, n_draws=args.draws, seed=args.seed)
    except ValueError as exc:
        raise CourtstudyError(f"{args.data}: {exc}") from exc
    print(narrative.projection_headline(total, args.lang))
    print(narrative.method_sentence(total, args.lang))
    table, row_kinds = narrative.projection_table(projection, args.lang)
    targets, _ = narrative.targets_table(projection, args.lang)
    sheets = {"projection": table.drop(columns="indicator"), "targets": targets,
              "components": projection.components}
    if args.backtest:
        years = [int(y) for y in args.backtest.split(",") if y.strip()]
        try:
            backtest = backtest_projections(cases, as_of=args.as_of or _as_of(cases), years=years,
                                            by=by, methods=(args.method,), n_draws=min(args.draws, 2000),
                                            seed=args.seed)
        except ValueError as exc:
            raise CourtstudyError(f"--backtest: {exc}") from exc
        coverage = coverage_table(backtest)
        print(narrative.backtest_sentence(coverage, args.lang))
        sheets["backtest"] = narrative.backtest_table(coverage, args.lang)[0].drop(columns="indicator")
    if path is None:
        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 200):
            print(label_headers(narrative.printable(sheets["projection"], row_kinds), args.lang)
                  .to_string(index=False))
            if len(targets):
                print(label_headers(targets, args.lang).to_string(index=False))
        return 0
    sheets = {name: label_headers(sheet, args.lang) for name, sheet in sheets.items()}
    if path.suffix.lower() == ".xlsx":
        write_xlsx(sheets, path)
    else:
        write_csv(sheets["projection"], path)
    print(f"{'已写入' if zh else 'Written'}: {path}", file=sys.stderr)
    return 0


def _as_of(cases):
    from courtstudy.indicators import default_as_of

    return default_as_of(cases)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "project",
        help="year-end projection: will we make the year? (年底能否完成)",
        description=(
            "Project the year-end 新收, 结案, 未结, 结案率, 结收比, 超12个月未结案件比 and 长期未结 of each "
            "court (or team, or judge) from the data known on the projection day, with 80% and "
            "95% prediction intervals, the year-to-date extrapolation beside it, the probability "
            "of each --target and the closings per judge per week it needs. --backtest YEARS "
            "also projects from the end of March, June and September of those years and reports "
            "how often the intervals held the actual year end. DATA is an export or 'demo'."),
    )
    parser.add_argument("data", metavar="DATA", help="the export file, or 'demo'")
    parser.add_argument("--origin", default="", help="projection day (YYYY-MM-DD); default: the as-of date")
    parser.add_argument("--as-of", dest="as_of", default="", help="date the data were taken; default: the latest date in them")
    parser.add_argument("--by", default="court", help="groups: court (default), court,team or court,judge; '' = the whole office")
    parser.add_argument("--target", default="clearance_rate>=1",
                        help="targets, comma-separated, e.g. 'clearance_rate>=1,disposition_rate>=0.9' or '结收比>=1'")
    parser.add_argument("--method", choices=("stock", "ets"), default="stock",
                        help="stock: case-level model (default, chosen by the backtest); ets: time series")
    parser.add_argument("--courts", default="", help="courts table (judges per court and year)")
    parser.add_argument("--court", default="", help="only these courts, comma-separated")
    parser.add_argument("--history-years", type=int, default=3, help="past years whose same weeks give the rates (default 3)")
    parser.add_argument("--draws", type=int, default=4000, help="Monte Carlo draws (default 4000)")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--backtest", default="", metavar="YEARS", help="also backtest these years, e.g. 2021,2022,2023")
    parser.add_argument("--out", default="", metavar="FILE", help=".xlsx (all sheets) or .csv (the projection)")
    parser.add_argument("--pseudonymise", action="store_true",
                        help="replace judge names by pseudonyms (for --by court,judge outside the office)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.set_defaults(handler=handle)
