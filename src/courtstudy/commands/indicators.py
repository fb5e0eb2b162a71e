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


def handle(args: argparse.Namespace) -> int:
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.core.tabular_output import write_csv, write_xlsx
    from courtstudy.indicators import IndicatorEngine, wide

    path = _output_path(args.out) if args.out else None
    period = _period_argument(args.period)
    if args.period == "custom" and not (args.start and args.end):
        raise CourtstudyError("--period custom: 自定义期间需要 --from 和 --to / needs --from and --to")
    cases, courts = _load(args.data, args.courts)
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
                                 connection=connection)
        long = engine.compute(by=by, period=period, start=args.start or None,
                              end=args.end or None, court_filter=court_filter,
                              horizon=args.horizon)
    except ValueError as exc:
        raise CourtstudyError(f"{args.data}: {exc}") from exc
    if args.pseudonymise and "judge" in by:
        from courtstudy.report.pseudonym import pseudonymise

        long = pseudonymise(long, columns=("judge",))
    from courtstudy.report.tables import labelled

    table = labelled(wide(long), args.lang)  # headers and category values in one language
    if path is None:
        write_csv(table, sys.stdout)
        return 0
    try:
        if path.suffix.lower() == ".xlsx":
            write_xlsx(table, path, sheet="indicators")
        else:
            # Excel opens UTF-8 CSV with Chinese correctly only with a byte-order mark.
            write_csv(table, path)
    except OSError as exc:
        raise CourtstudyError(f"--out {path}: 无法写入（{exc.strerror}）/ cannot be written "
                              f"({exc.strerror})") from exc
    done = "已写入" if args.lang == "zh" else "Written"
    print(f"{done}: {path} ({len(table)} rows, as of {engine.as_of.date()})", file=sys.stderr)
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
            "s3:// URL, or table:NAME (a table of the Spark catalogue)."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="the export file, or 'demo' (导出文件)")
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
