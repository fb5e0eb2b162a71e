"""``courtstudy deadlines DATA``: the deadline watch (审限预警) on a day: pending cases overdue
or due within 7, 15 and 30 days, by court, team or judge, and the case list."""

from __future__ import annotations

import argparse
import sys


def handle(args: argparse.Namespace) -> int:
    import pandas as pd

    from courtstudy.commands.indicators import _load
    from courtstudy.commands.paths import table_output
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.core.tabular_output import write_csv, write_xlsx
    from courtstudy.indicators import default_as_of
    from courtstudy.monitoring.bulletin import Bulletin
    from courtstudy.monitoring.deadlines import deadline_watch, labelled_cases
    from courtstudy.report.tables import label_headers

    path = table_output(args.out) if args.out else None
    cases, _ = _load(args.data, args.courts)
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    day = pd.Timestamp(args.as_of).normalize() if args.as_of else default_as_of(cases)
    try:
        watch = deadline_watch(cases, day, by=by)
    except (ValueError, KeyError) as exc:
        raise CourtstudyError(f"{args.data}: {exc}") from exc
    case_list = watch.cases
    if args.pseudonymise and "judge" in case_list:
        from courtstudy.report.pseudonym import pseudonymise

        case_list = pseudonymise(case_list, columns=("judge",))
    summary = label_headers(Bulletin.labelled_frame(watch.summary, args.lang), args.lang)
    listed = label_headers(labelled_cases(case_list, args.lang), args.lang)
    zh = args.lang == "zh"
    total = watch.summary[["pending", "overdue", "within_7", "within_15", "within_30"]].sum()
    print((f"{day.date()}：未结 {total['pending']:,} 件，已超审限 {total['overdue']:,} 件，7 日内到期 "
           f"{total['within_7']:,} 件，15 日内 {total['within_15']:,} 件，30 日内 {total['within_30']:,} 件。")
          if zh else
          (f"{day.date()}: {total['pending']:,} pending, {total['overdue']:,} overdue, {total['within_7']:,} due "
           f"within 7 days, {total['within_15']:,} within 15, {total['within_30']:,} within 30."))
    if path is None:
        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 100):
            print(summary.to_string(index=False))
        return 0
    if path.suffix.lower() == ".xlsx":
        write_xlsx({"summary": summary, "cases": listed}, path)
    else:
        write_csv(listed, path)
    print(f"{'已写入' if zh else 'Written'}: {path} ({len(listed)} cases)", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deadlines",
        help="deadline watch: cases overdue or due within 7/15/30 days (审限预警)",
        description=(
            "Pending cases on a day with their statutory deadline (limits table, 2022 amendment "
            "by filing date, plus extensions and deducted days), counted by group as overdue and "
            "due within 7, 15 and 30 days, and listed most urgent first. The list names judges: "
            "for internal use (--pseudonymise replaces them). DATA is an export or 'demo'."),
    )
    parser.add_argument("data", metavar="DATA", help="the export file, or 'demo'")
    parser.add_argument("--as-of", dest="as_of", default="",
                        help="the day (YYYY-MM-DD); default: the latest date in the data")
    parser.add_argument("--by", default="court", help="groups: court (default), court,team, court,team,judge")
    parser.add_argument("--courts", default="", help="courts table")
    parser.add_argument("--pseudonymise", action="store_true", help="replace judge names by pseudonyms")
    parser.add_argument("--out", default="", metavar="FILE",
                        help=".xlsx (summary and case list) or .csv (the case list)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.set_defaults(handler=handle)
