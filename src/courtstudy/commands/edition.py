"""``courtstudy edition``: run the report notebooks into a dated edition (reports/NAME/)."""

from __future__ import annotations

import argparse

#: Default name of the demo edition (``--demo`` without a name).
DEMO_PERIOD = "2023Q4"


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"需要整数 / expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"至少为 1 / must be at least 1, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "edition",
        help="run the report notebooks into reports/NAME/ (HTML, CSV, Excel, manifest)",
        description=(
            "Run every report notebook (notebooks/NN_*.ipynb) with papermill into reports/NAME/: "
            "executed notebooks, HTML without code, tables as CSV and one Excel workbook, figures "
            "as PNG and manifest.json. An existing edition is refused unless --force. --demo "
            "builds the synthetic court's demo data if needed and makes the edition demo-2023Q4 "
            "from it, replacing an earlier demo edition of that name (it is rebuilt from the "
            "same seed, so nothing is lost). Exit status 0 when every notebook ran, 1 when one "
            "failed (its executed copy shows the error), 2 when the edition could not start "
            "(a parameter, the data, the period, a court, the kernel, the --params file, or the "
            "same edition being built by another process)."
        ),
    )
    parser.add_argument("name", nargs="?", help="edition name, e.g. 2023Q4 (default with --demo: "
                        "demo-PERIOD)")
    parser.add_argument("--demo", action="store_true",
                        help="use the synthetic court's demo export (built if missing)")
    parser.add_argument("--data", help="case export (CSV, XLSX or Parquet)")
    parser.add_argument("--courts", default="", help="courts table (court, year, judges, ...)")
    parser.add_argument("--period", default=None,
                        help="2023Q4, 2023-11, 2023H2, 2023 or 2023-02-15~2023-05-31 "
                             f"(default with --demo: {DEMO_PERIOD})")
    parser.add_argument("--as-of", default="", help="snapshot date of the export (ISO); default: "
                        "the latest date in the data")
    parser.add_argument("--court-filter", default="", help="comma-separated courts to include")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--audience", choices=("internal", "public"), default="internal")
    parser.add_argument("--min-cell", type=_at_least_one, default=10,
                        help="public audience: smallest number of cases a figure may rest on (>= 1)")
    parser.add_argument("--params", default=None, metavar="FILE",
                        help="TOML file of the notebooks' own parameters, one table per notebook "
                             "(e.g. [03_triage_effects] treatment = \"fast_track\"); see docs/editions.md")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--notebooks", default="", help="notebooks to run, e.g. 01,02 (default all)")
    parser.add_argument("--notebooks-dir", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--reports-dir", default=None, help="folder of editions (default reports/)")
    parser.add_argument("--kernel", default=None, help="Jupyter kernel name (default: this "
                        "Python, whatever kernels are installed)")
    parser.add_argument("--timeout", type=int, default=None, help="seconds allowed per cell")
    parser.add_argument("--force", action="store_true", help="replace an existing edition")
    parser.add_argument("--no-progress", action="store_true", help="no cell-by-cell progress bar")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from courtstudy.report.edition import EditionError, run_edition

    if args.demo:
        if args.data:
            raise EditionError("--demo and --data exclude each other")
        data = "demo"
        period = args.period or DEMO_PERIOD
        name = args.name or f"demo-{period}"
        force = True
    else:
        if not args.data:
            raise EditionError("pass --data EXPORT (or --demo for the synthetic court)")
        if not args.name:
            raise EditionError("name the edition, e.g. `courtstudy edition 2023Q4 --data ...`")
        if not args.period:
            raise EditionError("pass --period, e.g. --period 2023Q4")
        data, period, name, force = args.data, args.period, args.name, args.force
    result = run_edition(
        name, data=data, courts=args.courts, period=period, as_of=args.as_of,
        court_filter=args.court_filter, lang=args.lang, audience=args.audience,
        seed=args.seed, min_cell=args.min_cell, notebooks=args.notebooks or None,
        notebooks_folder=args.notebooks_dir, reports_folder=args.reports_dir, force=force,
        kernel_name=args.kernel, progress_bar=not args.no_progress,
        timeout=args.timeout, params_file=args.params,
    )
    print(result.path / "index.html")
    return 0 if result.ok else 1
