"""``courtstudy validate PATH``: load an export, print the row accounting, write the results."""

from __future__ import annotations

import argparse
from pathlib import Path


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    from courtstudy.core.errors import StructuralError

    mapping: dict[str, str] = {}
    for pair in pairs or []:
        raw, sep, name = pair.rpartition("=")
        if not sep or not raw.strip() or not name.strip():
            raise StructuralError(f"--map {pair!r}: 应写作 表头=字段名，例如 --map 收案时间=filed_date\n"
                                  f"--map {pair!r}: expected HEADER=FIELD, e.g. --map 'date received=filed_date'")
        mapping[raw.strip()] = name.strip()
    return mapping


def handle(args: argparse.Namespace) -> int:
    from courtstudy.commands.paths import check_folder, ensure_folder
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.ingest.loading import load_cases

    path = Path(args.path)
    if path.is_dir():
        return _handle_folder(path, args)
    out_dir = Path(args.out) if args.out else path.with_name(f"{path.stem}_validated")
    # Checked before the (possibly long) load: a bad --out fails at once.
    check_folder(out_dir, "--out")
    loaded = load_cases(path, mapping=_mapping(args.map), courts=args.courts or None,
                        snapshot=args.snapshot or None)
    ensure_folder(out_dir, "--out")
    try:
        written = loaded.write(out_dir)
    except OSError as exc:
        raise CourtstudyError(f"--out {out_dir}: 无法写入（{exc.strerror}）/ cannot write there "
                              f"({exc.strerror})") from exc
    print(loaded.summary(lang=args.lang))
    if loaded.loaded_courts is not None:
        print(loaded.loaded_courts.summary(lang=args.lang))
    heading = "已写入：" if args.lang == "zh" else "Written:"
    print(heading)
    for file in written.values():
        print(f"  {file}")
    return 0


def _handle_folder(path: Path, args: argparse.Namespace) -> int:
    """A folder of exports: each validated by the same loader in a pool of processes."""
    from courtstudy.ingest.batch import validate_folder

    result = validate_folder(path, out=args.out or None, mapping=_mapping(args.map),
                             courts=args.courts or None, workers=args.workers,
                             snapshot=args.snapshot or None)
    print(result.summary(lang=args.lang))
    heading = "已写入：" if args.lang == "zh" else "Written:"
    print(heading)
    for file in result.paths.values():
        print(f"  {file}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check an export: rows accepted, quarantined and field issues (检查导出文件)",
        description=(
            "Read a case-management export (CSV in UTF-8/GBK/GB18030, XLSX or Parquet), print how "
            "many rows were accepted and quarantined and why, and write accepted.parquet, "
            "quarantine.csv and field_issues.csv. Exit 0 when the file was read (even with "
            "quarantined rows), 2 when it cannot be read as a table of cases."
        ),
    )
    parser.add_argument("path", metavar="PATH",
                        help="the export file (导出文件), or a folder of exports (one per court "
                             "or month): each is validated with the same rules, and one "
                             "court-partitioned accepted dataset (accepted/), one quarantine "
                             "table and the summed accounting (accounting.json) are written")
    parser.add_argument("--workers", type=int, default=2,
                        help="for a folder: processes validating files side by side (default 2)")
    parser.add_argument("--courts", metavar="COURTS", default="", help="courts table (法院表): CSV/XLSX/Parquet")
    parser.add_argument("--out", metavar="DIR", default="",
                        help="output folder (default: next to PATH, named PATH's stem + '_validated')")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the summary")
    parser.add_argument("--snapshot", default="", metavar="DATE",
                        help="the date the export was taken (YYYY-MM-DD): later dates are reported "
                             "(default: today)")
    parser.add_argument("--map", metavar="HEADER=FIELD", action="append",
                        help="use this column as that canonical field (repeatable), e.g. --map 收案时间=filed_date")
    parser.set_defaults(handler=handle)
