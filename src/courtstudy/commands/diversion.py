"""``courtstudy diversion MEDIATION``: pre-suit mediation (诉前调解) and 案-件比 by group and period."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _demo(lang: str):
    """The demo court's cases (the synthetic court of the demo's seed and scale, in memory, without
    the export's planted bad rows) with its mediation records, derived cases and links."""
    from courtstudy.simulate.demo import DEMO_SCALE, DEMO_SEED
    from courtstudy.simulate.generator import simulate_court
    from courtstudy.simulate.mediation import simulate_mediation

    court = simulate_court(seed=DEMO_SEED, scale=DEMO_SCALE)
    world = simulate_mediation(court)
    note = ("示例数据：演示法院（合成数据）的诉前调解记录、派生案件与关联" if lang == "zh"
            else "Demo data: the synthetic demo court's mediation records, derived cases and links")
    print(note, file=sys.stderr)
    return world.records, world.all_cases(), world.links, court.as_of


def _load(args):
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.ingest.links import load_links
    from courtstudy.ingest.loading import load_cases
    from courtstudy.ingest.mediation import load_mediation

    if args.mediation == "demo":
        return _demo(args.lang)
    snapshot = args.as_of or None
    mediation = load_mediation(Path(args.mediation), snapshot=snapshot)
    print(mediation.summary(args.lang), file=sys.stderr)
    if args.issues:
        mediation.write(Path(args.issues))
    cases = links = None
    if args.cases:
        loaded = load_cases(Path(args.cases), snapshot=snapshot)
        cases = loaded.cases
        if args.related_cases:
            import pandas as pd

            related = load_cases(Path(args.related_cases), snapshot=snapshot).cases
            cases = pd.concat([cases, related.loc[~related["case_id"].isin(cases["case_id"])]], ignore_index=True)
        loaded_links = load_links(Path(args.links or args.cases), cases=cases, mediation=mediation.records)
        links = loaded_links.links
        print(_links_summary(loaded_links.accounting(), args.lang), file=sys.stderr)
        if args.issues:
            from courtstudy.core.tabular_output import write_csv

            folder = Path(args.issues)
            folder.mkdir(parents=True, exist_ok=True)
            write_csv(loaded_links.field_issues, folder / "link_field_issues.csv")
            write_csv(loaded_links.refused, folder / "link_refused.csv")
    if cases is None and not args.quiet_cases:
        raise CourtstudyError("--cases: 诉前化解率和案-件比需要案件导出（含原审案号、执行依据等关联列）；"
                              "只计算诉前调解指标时请加 --mediation-only / the 诉前化解率 and 案-件比 need the "
                              "case export (with its link columns); pass --mediation-only for the mediation "
                              "figures alone")
    return mediation.records, cases, links, pd_timestamp(args.as_of)


def _links_summary(acc: dict, lang: str) -> str:
    if lang == "zh":
        return (f"关联：{acc['links']:,} 条接受，{acc['refused']:,} 条因循环不用，"
                f"{acc['links_to_cases_not_in_data']:,} 条指向数据外的案件")
    return (f"Links: {acc['links']:,} accepted, {acc['refused']:,} refused (cycles), "
            f"{acc['links_to_cases_not_in_data']:,} to cases not in the data")


def pd_timestamp(text: str):
    import pandas as pd

    return pd.Timestamp(text) if text else None


def handle(args: argparse.Namespace) -> int:
    from courtstudy.commands.indicators import _output_path, _period_argument
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.core.tabular_output import write_csv, write_xlsx
    from courtstudy.indicators.diversion import diversion_indicators, diversion_wide
    from courtstudy.report.tables import labelled

    path = _output_path(args.out) if args.out else None
    period = _period_argument(args.period)
    mediation, cases, links, as_of = _load(args)
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    try:
        long = diversion_indicators(mediation, cases, links, by=by, period=period, start=args.start or None,
                                    end=args.end or None, as_of=as_of, horizon=args.horizon)
    except ValueError as exc:
        raise CourtstudyError(f"{args.mediation}: {exc}") from exc
    table = labelled(diversion_wide(long, lang=args.lang), args.lang)
    if path is None:
        write_csv(table, sys.stdout)
        return 0
    try:
        if path.suffix.lower() == ".xlsx":
            write_xlsx(table, path, sheet="diversion")
        else:
            write_csv(table, path)
    except OSError as exc:
        raise CourtstudyError(f"--out {path}: 无法写入（{exc.strerror}）/ cannot be written ({exc.strerror})") from exc
    done = "已写入" if args.lang == "zh" else "Written"
    print(f"{done}: {path} ({len(table)} rows)", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diversion",
        help="pre-suit mediation (诉前调解) and 案-件比 by group and period",
        description=(
            "Pre-suit mediation indicators (收案, 结束, 成功率, 司法确认率, 平均/中位用时, 诉前化解率, "
            "转立案) from a mediation register, and 案-件比 (court cases per dispute, 1:x, by kind of "
            "case) from the case export's link columns (原审案号, 关联案号, 执行依据, 诉前调解案号). "
            "MEDIATION is the register load_mediation reads, or 'demo'. Definitions: "
            "docs/assumptions.md."
        ),
    )
    parser.add_argument("mediation", metavar="MEDIATION", help="the mediation register, or 'demo' (诉前调解登记表)")
    parser.add_argument("--cases", default="", metavar="CASES",
                        help="the case export with its link columns (for 诉前化解率 and 案-件比)")
    parser.add_argument("--links", default="", metavar="FILE",
                        help="a file with 案号 and the link columns, when they are not columns of CASES "
                             "(the demo's case_links.csv)")
    parser.add_argument("--related-cases", dest="related_cases", default="", metavar="FILE",
                        help="a further case export of the disputes' other cases (appeals, retrial petitions, "
                             "confirmations at other courts: the demo's related_cases.csv)")
    parser.add_argument("--mediation-only", dest="quiet_cases", action="store_true",
                        help="compute the mediation figures alone (no case export)")
    parser.add_argument("--by", default="court", help="group columns: court or cause (default: court)")
    parser.add_argument("--period", default="year",
                        help="period length (month, quarter, half, year) or one period (2023Q4, 2023)")
    parser.add_argument("--as-of", dest="as_of", default="", help="as-of date (YYYY-MM-DD); default: the latest date")
    parser.add_argument("--from", dest="start", default="", help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", default="", help="last day (YYYY-MM-DD)")
    parser.add_argument("--horizon", type=int, default=365,
                        help="days a dispute's cases are counted after its first filing (default 365)")
    parser.add_argument("--out", default="", metavar="FILE", help=".csv (UTF-8 with BOM) or .xlsx; default: standard output")
    parser.add_argument("--issues", default="", metavar="DIR",
                        help="write the register's accepted records, quarantine and field issues and the links' "
                             "field issues and refused links into this folder")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the headers")
    parser.set_defaults(handler=handle)
