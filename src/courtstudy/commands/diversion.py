"""``courtstudy diversion MEDIATION``: pre-suit mediation (诉前调解) and 案-件比 by group and period."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _demo_file(value: str, data: str, attribute: str, option: str) -> Path | None:
    """``demo``: the demo's file (only with the demo data, as in notebook 02); ``""``: none; else
    the path, which must exist."""
    from courtstudy.core.errors import CourtstudyError

    value = str(value).strip()
    if value == "":
        return None
    if value == "demo":
        if str(data).strip() != "demo":
            raise CourtstudyError(f"{option} demo: 示例文件只配示例数据（DATA 为 demo）/ the demo's files go with "
                                  "the demo data only (DATA demo)")
        from courtstudy.simulate.demo import ensure_demo

        return getattr(ensure_demo(), attribute)
    path = Path(value).expanduser()
    if not path.is_file():
        raise CourtstudyError(f"{option}: 找不到文件 {path} / no such file: {path}")
    return path


def load_records(*, data: str, cases, as_of, mediation: str = "", links: str = "", related_cases: str = "",
                 case_export: Path | None = None, lang: str = "zh", issues: str = ""):
    """The first diversion's records for a command, loaded as notebook 02 loads them
    (:func:`courtstudy.report.diversion.load_inputs`): the register (``mediation``), the
    related cases' export and the links, each a path, ``demo`` (the demo's file, with
    ``data`` demo) or ``""`` (none); the links judged against ``cases`` and the related cases.
    ``links`` ``"cases"`` reads the link columns of the case export itself (``case_export``).
    The register and the related cases are read as of ``as_of`` (their snapshot date; None:
    today). Without ``cases`` only the register is read.
    Summaries go to standard error; ``issues`` (a folder) receives the loaders' issue files.
    Returns (mediation records, links, related cases), each None when not given."""
    import pandas as pd

    from courtstudy.core.tabular_output import write_csv
    from courtstudy.ingest.links import load_links
    from courtstudy.ingest.loading import load_cases
    from courtstudy.ingest.mediation import load_mediation

    snapshot = None if as_of is None else pd.Timestamp(as_of).date()
    records = related = link_table = None
    register = _demo_file(mediation, data, "mediation", "--mediation")
    if register is not None:
        loaded = load_mediation(register, snapshot=snapshot)
        print(loaded.summary(lang), file=sys.stderr)
        if issues:
            loaded.write(Path(issues))
        records = loaded.records
    if cases is None:  # the register alone
        return records, None, None
    related_path = _demo_file(related_cases, data, "related_cases", "--related-cases")
    if related_path is not None:
        related = load_cases(related_path, snapshot=snapshot).cases
        related = related.loc[~related["case_id"].isin(cases["case_id"])].reset_index(drop=True)
    if str(links).strip() == "cases" and case_export is None:
        from courtstudy.core.errors import CourtstudyError

        raise CourtstudyError("--links cases: 需要案件导出文件本身含关联列 / reads the link columns of the case "
                              "export, so DATA must be an export file (the demo ships its links as --links demo)")
    source = case_export if str(links).strip() == "cases" else _demo_file(links, data, "case_links", "--links")
    if source is not None:
        loaded_links = load_links(source, cases=_with_related(cases, related), mediation=records)
        print(_links_summary(loaded_links.accounting(), lang), file=sys.stderr)
        if issues:
            folder = Path(issues)
            folder.mkdir(parents=True, exist_ok=True)
            write_csv(loaded_links.field_issues, folder / "link_field_issues.csv")
            write_csv(loaded_links.refused, folder / "link_refused.csv")
        link_table = loaded_links.links
    return records, link_table, related


def _demo(args):
    """The demo's files, as notebook 02 reads them (``data`` demo): the case export (loaded as the
    notebook loads it, cached), the register ``mediation.csv``, the links ``case_links.csv`` and
    the other courts' cases ``related_cases.csv``, built if absent; as of the latest date of the
    case export unless ``--as-of``, as the notebook."""
    from courtstudy.indicators import default_as_of
    from courtstudy.report.notebook import load_data

    cases = load_data("demo", "").cases
    as_of = _as_of_timestamp(args.as_of) or default_as_of(cases)
    note = ("示例数据：演示法院的诉前调解登记表、案件导出、案件关联与关联案件（data/demo，与报告 02 相同）" if args.lang == "zh"
            else "Demo data: the demo court's mediation register, case export, links and related cases "
                 "(data/demo, as report 02 reads them)")
    print(note, file=sys.stderr)
    mediation, links, related = load_records(data="demo", cases=cases, as_of=as_of, mediation="demo",
                                             links="demo", related_cases="demo", lang=args.lang,
                                             issues=args.issues)
    every = _with_related(cases, related)
    return mediation, every, links, as_of


def _with_related(cases, related):
    """The cases and, when given, the other courts' cases of their disputes (related cases are
    loaded without the ids ``cases`` already has)."""
    import pandas as pd

    return pd.concat([cases, related], ignore_index=True) if related is not None else cases


def _load(args):
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.ingest.loading import load_cases

    if args.mediation == "demo":
        return _demo(args)
    if not args.cases and not args.quiet_cases:
        raise CourtstudyError("--cases: 诉前化解率和案-件比需要案件导出（含原审案号、执行依据等关联列）；"
                              "只计算诉前调解指标时请加 --mediation-only / the 诉前化解率 and 案-件比 need the "
                              "case export (with its link columns); pass --mediation-only for the mediation "
                              "figures alone")
    cases = load_cases(Path(args.cases), snapshot=args.as_of or None).cases if args.cases else None
    mediation, links, related = load_records(
        data="", cases=cases, as_of=_as_of_timestamp(args.as_of), mediation=args.mediation,
        links=args.links or "cases", related_cases=args.related_cases,
        case_export=Path(args.cases) if args.cases else None, lang=args.lang, issues=args.issues)
    return mediation, _with_related(cases, related), links, _as_of_timestamp(args.as_of)


def _links_summary(acc: dict, lang: str) -> str:
    if lang == "zh":
        return (f"关联：{acc['links']:,} 条接受，{acc['refused']:,} 条因循环不用，"
                f"{acc['links_to_cases_not_in_data']:,} 条指向数据外的案件")
    return (f"Links: {acc['links']:,} accepted, {acc['refused']:,} refused (cycles), "
            f"{acc['links_to_cases_not_in_data']:,} to cases not in the data")


def _as_of_timestamp(text: str):
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
            "MEDIATION is the register load_mediation reads, or 'demo': the demo's files (data/demo: "
            "mediation.csv, cases.csv, case_links.csv, related_cases.csv, built if absent), read as notebook 02 "
            "reads them, so both show the same numbers. The same indicators can be asked for by name from "
            "`courtstudy indicators DATA --mediation FILE --links FILE` beside the case indicators. "
            "Definitions: docs/assumptions.md and docs/indicators.md."
        ),
    )
    parser.add_argument("mediation", metavar="MEDIATION", help="the mediation register (诉前调解登记表), or 'demo' (the demo's files, as notebook 02 reads them)")
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
    parser.add_argument("--as-of", dest="as_of", default="",
                        help="as-of date (YYYY-MM-DD); default: the latest date (demo: of the case export, as "
                             "notebook 02)")
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
