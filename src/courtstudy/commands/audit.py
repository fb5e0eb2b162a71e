"""``courtstudy audit DATA``: irregular extensions and deductions of time limits
(延长、扣除审限异常): case rules, the bunching test and funnel plots; ``--planted`` measures the
detector's precision and recall on the synthetic court with planted irregularities."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def handle(args: argparse.Namespace) -> int:
    import pandas as pd

    from courtstudy.commands.paths import table_output
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.core.tabular_output import write_xlsx
    from courtstudy.monitoring import extension_audit as ea
    from courtstudy.monitoring import narrative

    zh = args.lang == "zh"
    path = table_output(args.out, suffixes=(".xlsx",)) if args.out else None
    if args.planted:
        from courtstudy.simulate.irregularities import detection_check

        check = detection_check(seed=args.seed, scale=args.scale)
        print(narrative.detection_sentence(check, args.lang))
        sheets = {name: ea.labelled_detection(check[name], args.lang) for name in ("rules", "kinds", "judges")}
    else:
        if not args.data:
            raise CourtstudyError("pass DATA (an export, or 'demo'), or --planted")
        loaded = _load_export(args.data, args.courts)
        cases = loaded.cases
        conversions = None
        if args.conversions:
            conversions = _read_conversions(Path(args.conversions))
        try:
            audit = ea.audit_extensions(cases, as_of=args.as_of or None, period=args.period or None,
                                        conversions=conversions, last_days=args.last_days,
                                        field_issues=loaded.field_issues)
        except ValueError as exc:
            raise CourtstudyError(f"{args.data}: {exc}") from exc
        print(narrative.audit_sentence(audit.counts, audit.checked, args.lang))
        print(narrative.bunching_sentence(audit.bunching, args.lang))
        for level in ("team", "judge"):
            print(narrative.funnel_sentence(audit.funnels, level, args.lang))
        flags = audit.flags
        if args.pseudonymise and "judge" in flags:
            from courtstudy.report.pseudonym import pseudonymise

            flags = pseudonymise(flags, columns=("judge",))
        sheets = {"counts": ea.labelled_counts(audit.counts, args.lang),
                  "bunching": ea.labelled_bunching(audit.bunching, args.lang),
                  "teams": ea.labelled_funnels(audit.funnels, "team", args.lang),
                  "judges": ea.labelled_funnels(audit.funnels, "judge", args.lang),
                  "flags": ea.labelled_flags(flags, args.lang)}
        if args.pseudonymise:
            sheets.pop("judges")
    from courtstudy.report.tables import label_headers

    sheets = {name: label_headers(sheet, args.lang) for name, sheet in sheets.items()}
    if path is None:
        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 60):
            first = next(iter(sheets))
            print(sheets[first].to_string(index=False))
        return 0
    write_xlsx(sheets, path)
    print(f"{'已写入' if zh else 'Written'}: {path}", file=sys.stderr)
    return 0


def _load_export(data: str, courts: str):
    """The loaded export (cases and the loader's field issues, whose dropped deductions the
    audit reports); ``demo`` = the synthetic court's export."""
    from courtstudy.ingest.loading import load_cases

    if data == "demo":
        from courtstudy.simulate.demo import ensure_demo

        files = ensure_demo()
        data, courts = str(files.cases), courts or str(files.courts)
    return load_cases(Path(data), courts=courts or None)


def _read_conversions(path: Path):
    """A conversions table: 案号/case_id and 转换日期/程序转换日期/converted_date."""
    import pandas as pd

    from courtstudy.core.errors import CourtstudyError

    frame = pd.read_excel(path, dtype=str) if path.suffix.lower() == ".xlsx" else \
        pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    names = {"案号": "case_id", "转换日期": "converted_date", "程序转换日期": "converted_date",
             "转普通程序日期": "converted_date"}
    frame = frame.rename(columns=lambda c: names.get(str(c).strip(), str(c).strip()))
    missing = [c for c in ("case_id", "converted_date") if c not in frame]
    if missing:
        raise CourtstudyError(f"{path}: no column {missing} (expected 案号 and 转换日期)")
    dates = pd.to_datetime(frame["converted_date"], errors="coerce")
    bad = frame.index[dates.isna() & frame["converted_date"].notna()]
    if len(bad):
        raise CourtstudyError(f"{path}: row {int(bad[0]) + 2}, column converted_date: "
                              f"{frame.loc[bad[0], 'converted_date']!r} is not a date")
    return frame.assign(converted_date=dates)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="irregular extensions and deductions of time limits (延长、扣除审限异常核查)",
        description=(
            "Flag extensions on procedures that allow none, extensions beyond the legal maximum, "
            "deductions as long as the case, extensions or deductions that moved an overdue case "
            "just within the limit, and (with --conversions) late conversions from simplified to "
            "ordinary procedure; test closings bunched before adjusted deadlines per court; and "
            "compare judges and teams with the rest of their court on funnel plots (never a "
            "ranking). --planted instead plants known irregularities in the synthetic court and "
            "reports the detector's precision and recall."),
    )
    parser.add_argument("data", metavar="DATA", nargs="?", default="", help="the export file, or 'demo'")
    parser.add_argument("--planted", action="store_true",
                        help="score the detector on the synthetic court with planted irregularities")
    parser.add_argument("--seed", type=int, default=20240101, help="with --planted: the synthetic court's seed")
    parser.add_argument("--scale", type=float, default=1.0, help="with --planted: caseload multiplier")
    parser.add_argument("--as-of", dest="as_of", default="", help="date the data were taken (YYYY-MM-DD)")
    parser.add_argument("--period", default="", help="only cases closed in this period (and pending at its end), e.g. 2023")
    parser.add_argument("--conversions", default="", help="conversions table (案号, 转换日期): CSV or XLSX")
    parser.add_argument("--last-days", type=int, default=5, help="days before the adjusted deadline that count as 'just within'")
    parser.add_argument("--courts", default="", help="courts table")
    parser.add_argument("--pseudonymise", action="store_true", help="replace judge names by pseudonyms, drop the judge funnel")
    parser.add_argument("--out", default="", metavar="FILE", help=".xlsx, one sheet per table")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.set_defaults(handler=handle)
