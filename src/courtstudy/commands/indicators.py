"""``courtstudy indicators DATA``: the wide indicator table, one row per group and period."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _is_dataset(data: str) -> bool:
    """DATA names validated cases to read where they lie: a Parquet dataset folder (as written by
    ``courtstudy validate FOLDER``), a URL (``hdfs://``, ``s3://``) or a Spark table
    (``table:db.cases``)."""
    return (data.startswith("table:") or "://" in data or Path(data).is_dir())


def _load(data: str, courts: str):
    """Canonical cases and courts from DATA (``demo`` = the synthetic court's export). A dataset
    (:func:`_is_dataset`) is passed on as its path: the backend reads it."""
    from courtstudy.ingest.loading import load_cases, load_courts

    if _is_dataset(data):
        source = data.removeprefix("table:")
        return source, (load_courts(Path(courts)).courts if courts else None)
    if data == "demo":
        from courtstudy.simulate.demo import ensure_demo

        files = ensure_demo()
        data, courts = str(files.cases), courts or str(files.courts)
    loaded = load_cases(Path(data), courts=courts or None)
    return loaded.cases, loaded.courts


def _period_argument(text: str) -> str:
    """A frequency (day, week, month, quarter, half, year, custom) or one period's label
    (2023-W47, 2023-11-22, 2023-11, 2023Q4 ...); anything else is a clear error."""
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.core.periods import normalise_freq, parse_period

    try:
        return normalise_freq(text)
    except ValueError:
        pass
    try:
        return parse_period(text).label
    except ValueError as exc:
        raise CourtstudyError(f"--period {text!r}: expected a frequency (day, week, month, quarter, "
                              "half, year, custom) or a period such as 2023-W47, 2023-11-22, "
                              f"2023-11 or 2023Q4 ({exc})") from exc


def _output_path(out: str) -> Path:
    """The ``--out`` file, checked before any computation: a known extension and a folder that
    exists or can be created (not a regular file)."""
    from courtstudy.commands.paths import ensure_parent
    from courtstudy.core.errors import CourtstudyError

    path = Path(out)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise CourtstudyError(f"--out {out}: 需要 .csv 或 .xlsx 文件名 / expected a .csv or .xlsx file name")
    if path.is_dir():
        raise CourtstudyError(f"--out {out}: 这是文件夹，需要文件名 / is a folder; give a file name "
                              "such as indicators.xlsx")
    ensure_parent(path, "--out")
    return path


def _write(table, path: Path | None, sheet: str, lang: str, note: str = "") -> None:
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.core.tabular_output import write_csv, write_xlsx

    if path is None:
        write_csv(table, sys.stdout)
        return
    try:
        if path.suffix.lower() == ".xlsx":
            write_xlsx(table, path, sheet=sheet)
        else:
            # Excel opens UTF-8 CSV with Chinese correctly only with a byte-order mark.
            write_csv(table, path)
    except OSError as exc:
        raise CourtstudyError(f"--out {path}: 无法写入（{exc.strerror}）/ cannot be written "
                              f"({exc.strerror})") from exc
    done = "已写入" if lang == "zh" else "Written"
    print(f"{done}: {path} ({len(table)} rows{note})", file=sys.stderr)


def _catalogue_table(lang: str):
    """``--list``: every indicator of the one catalogue (case indicators and the first
    diversion's), the name to ask for, its label, the records it needs and its formula."""
    from courtstudy.core.text import pick
    from courtstudy.indicators.registry import CATALOGUE_LABELS, catalogue

    table = catalogue(lang)
    table["catalogue"] = [pick(*CATALOGUE_LABELS[c], lang) for c in table["catalogue"]]
    columns = {"name": ("名称", "name"), "label": ("指标", "indicator"), "catalogue": ("类别", "catalogue"),
               "records": ("所需数据", "records"), "formula": ("公式", "formula"),
               "better": ("向好方向", "better"), "maturity": ("未成熟条件", "immature when")}
    table = table[list(columns)]
    table["better"] = table["better"].map({"up": pick("升", "up", lang), "down": pick("降", "down", lang)})
    return table.rename(columns={k: pick(*v, lang) for k, v in columns.items()})


def _diversion_records(args, cases):
    """The first diversion's records named by --mediation, --links, --related-cases (each a file
    or demo), loaded as ``courtstudy diversion`` and notebook 02 load them."""
    from courtstudy.commands.diversion import load_records
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.indicators import default_as_of

    if not (args.mediation or args.links or args.related_cases):
        return None, None, None
    dataset = isinstance(cases, str)
    if dataset and (args.links or args.related_cases):
        raise CourtstudyError("--links/--related-cases: 案-件比需要以 pandas 读入的案件（DuckDB 路径），不能用数据集或 "
                              "Spark 表 / 案-件比 and the other indicators that count cases need the cases loaded "
                              "as a file (the DuckDB/pandas path), not a dataset or Spark table")
    as_of = args.as_of or (None if dataset else default_as_of(cases))
    case_export = None if dataset or args.data == "demo" else Path(args.data)
    try:
        return load_records(data=args.data, cases=None if dataset else cases, as_of=as_of,
                            mediation=args.mediation, links=args.links, related_cases=args.related_cases,
                            case_export=case_export, lang=args.lang)
    except ValueError as exc:
        raise CourtstudyError(f"{args.mediation or args.links}: {exc}") from exc


def handle(args: argparse.Namespace) -> int:
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.indicators import IndicatorEngine, wide

    path = _output_path(args.out) if args.out else None
    if args.list:
        _write(_catalogue_table(args.lang), path, "catalogue", args.lang)
        return 0
    if not args.data:
        raise CourtstudyError("DATA: 需要导出文件或 demo（--list 列出全部指标）/ give the export file or demo "
                              "(--list lists every indicator)")
    period = _period_argument(args.period)
    if args.period == "custom" and not (args.start and args.end):
        raise CourtstudyError("--period custom: 自定义期间需要 --from 和 --to / needs --from and --to")
    selected = [n.strip() for n in args.indicators.split(",") if n.strip()] or None
    if selected:
        from courtstudy.indicators.registry import resolve

        try:  # before any file is read
            selected = resolve(selected)
        except ValueError as exc:
            raise CourtstudyError(f"--indicators: {exc}") from exc
    cases, courts = _load(args.data, args.courts)
    mediation, links, related = _diversion_records(args, cases)
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    court_filter = [c.strip() for c in args.court.split(",") if c.strip()] or None
    if court_filter and not isinstance(cases, str):
        known = sorted(cases["court"].dropna().unique().tolist())
        unknown = [c for c in court_filter if c not in known]
        if unknown:
            raise CourtstudyError(
                f"--court {','.join(unknown)}: 数据中没有这些法院，数据中的法院为 {'、'.join(known)} / "
                f"not in {args.data}; the courts in the data are {', '.join(known)}")
    try:
        connection = None
        if args.engine == "spark":
            from courtstudy.indicators.engine import connect, spark_session

            connection = connect(connection=spark_session(args.spark_master or None))
        engine = IndicatorEngine(cases, courts=courts, as_of=args.as_of or None,
                                 backend=None if args.engine == "spark" else args.engine,
                                 connection=connection, mediation=mediation, links=links,
                                 related_cases=related)
        long = engine.compute(by=by, period=period, start=args.start or None,
                              end=args.end or None, court_filter=court_filter,
                              horizon=args.horizon, indicators=selected,
                              dispute_horizon=args.dispute_horizon)
    except ValueError as exc:
        raise CourtstudyError(f"{args.data}: {exc}") from exc
    if args.pseudonymise and "judge" in by:
        from courtstudy.report.pseudonym import pseudonymise

        long = pseudonymise(long, columns=("judge",))
    from courtstudy.report.tables import labelled

    table = labelled(wide(long), args.lang)  # headers and category values in one language
    _write(table, path, "indicators", args.lang, f", as of {engine.as_of.date()}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "indicators",
        help="trial quality and efficiency indicators (审判质效指标) by group and period",
        description=(
            "Compute every indicator (结案率, 结收比, 平均审理天数, 法定审限内结案率, 服判息诉率 ...) "
            "for each group and period and write the wide table: the group columns, a 'period' "
            "column (2023-11, 2023Q4, 2023H2, 2023) and one column per indicator. Figures are "
            "as known at the as-of date, so an old period gives the same numbers from a newer "
            "export. DATA is an export load_cases reads (CSV/XLSX/Parquet), 'demo', or validated "
            "cases read where they lie: a (partitioned) Parquet dataset folder, an hdfs:// or "
            "s3:// URL, or table:NAME (a table of the Spark catalogue). The first diversion's "
            "indicators (诉前调解: 收案, 成功率, 司法确认率, 诉前化解率 ...; 案-件比 and its kinds) are "
            "in the same catalogue: give the mediation register (--mediation) and the case links "
            "(--links, --related-cases) and they are computed too, or pick any indicators by name "
            "or label with --indicators. --list prints the catalogue."
        ),
    )
    parser.add_argument("data", metavar="DATA", nargs="?", default="",
                        help="the export file, or 'demo' (导出文件)")
    parser.add_argument("--list", action="store_true",
                        help="list every indicator (name, label, records it needs, formula) and stop")
    parser.add_argument("--indicators", default="", metavar="NAMES",
                        help="only these indicators, comma-separated names or labels (结案率,诉前化解率,"
                             "case_case_ratio); default: every indicator the given records allow")
    parser.add_argument("--mediation", default="", metavar="FILE",
                        help="the pre-suit mediation register (诉前调解登记表), or 'demo' with the demo data: "
                             "adds the 诉前调解 indicators")
    parser.add_argument("--links", default="", metavar="FILE",
                        help="the case links (原审案号, 关联案号, 执行依据, 诉前调解案号): a file, 'cases' (the "
                             "link columns of DATA itself) or 'demo' with the demo data: adds 案-件比")
    parser.add_argument("--related-cases", dest="related_cases", default="", metavar="FILE",
                        help="a case export of the disputes' cases at other courts (appeals, retrial "
                             "petitions, confirmations), or 'demo': counted in 案-件比 only")
    parser.add_argument("--dispute-horizon", dest="dispute_horizon", type=int, default=365,
                        help="days a dispute's cases are counted after its first filing, for 案-件比 "
                             "(default 365)")
    parser.add_argument("--engine", choices=("duckdb", "spark", "polars"), default="duckdb",
                        help="where the indicators are computed: the embedded DuckDB (default), "
                             "Spark (the active session under spark-submit, $SPARK_REMOTE for "
                             "Spark Connect, else --spark-master), or Polars")
    parser.add_argument("--spark-master", dest="spark_master", default="", metavar="URL",
                        help="Spark master for a new session (default local[*]), e.g. yarn")
    parser.add_argument("--by", default="court",
                        help="group columns, comma-separated: court, team, team_type, track, "
                             "procedure, cause, judge, case_type, instance (default: court)")
    parser.add_argument("--period", default="quarter",
                        help="period length (day, week, month, quarter, half, year; custom = the "
                             "single period --from .. --to), or one period: 2023-W47 (ISO week), "
                             "2023-11-22 (a day), 2023-11, 2023Q4, 2023H2, 2023")
    parser.add_argument("--as-of", dest="as_of", default="",
                        help="as-of date (YYYY-MM-DD); default: the latest date in the data")
    parser.add_argument("--courts", default="", metavar="COURTS",
                        help="courts table (法院表) with judges per year, for 人均结案数")
    parser.add_argument("--court", default="", metavar="NAMES",
                        help="only these courts, comma-separated")
    parser.add_argument("--from", dest="start", default="", help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", default="", help="last day (YYYY-MM-DD)")
    parser.add_argument("--horizon", type=int, default=365,
                        help="horizon in days of the restricted mean duration (default 365); a "
                             "period whose filings were followed for fewer days is flagged "
                             "immature")
    parser.add_argument("--pseudonymise", action="store_true",
                        help="replace judge names by salted pseudonyms (法官3F2A1C ...; the salt is "
                             "$COURTSTUDY_PSEUDONYM_SALT or data/.pseudonym_salt)")
    parser.add_argument("--out", default="", metavar="FILE",
                        help=".csv (UTF-8 with BOM) or .xlsx; default: CSV on standard output")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh",
                        help="language of the headers and category values (简案 / simple track ...)")
    parser.set_defaults(handler=handle)
