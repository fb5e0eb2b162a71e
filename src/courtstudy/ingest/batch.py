"""Validating a folder of exports (one per court or month) at once: ``courtstudy validate FOLDER``.

Each export is loaded by the one loader (:func:`courtstudy.ingest.loading.load_cases`, the same
rules and accounting as for a single file), in a pool of processes on this machine. The results:

* ``accepted/``: one Parquet dataset of every accepted case, partitioned by court
  (``court=<name>/<file>.parquet``; the court column also stays inside the files, so readers
  that ignore the folder names, or infer numbers from them, still get the text). The indicator
  engine reads it in place: ``IndicatorEngine("out/accepted")`` on DuckDB, ``connection=spark``
  on a cluster (``courtstudy indicators out/accepted [--engine spark]``).
* ``quarantine.parquet`` / ``quarantine.csv`` and ``field_issues.parquet`` / ``field_issues.csv``:
  one table each, every row naming its ``source_file`` (and its line there, as the loader gives).
* ``accounting.json``: per file and summed: rows read, accepted, quarantined, by reason, field
  issues; ``balanced`` (accepted + quarantined = read) holds for the total when it holds for
  every file. A file that cannot be read as a table of cases is listed with its error and counted
  in ``failed``; the other files are still validated.

On a cluster, the same function runs one task per file (e.g. ``sc.parallelize(files)``
mapping :func:`validate_file`); this module only needs processes on one machine.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

logger = logging.getLogger(__name__)

#: File name endings of the exports a folder is searched for.
EXPORT_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".xlsx", ".parquet")
#: Where a case with no court goes in the partitioned dataset.
NO_COURT = "__missing__"


def export_files(folder: str | Path) -> list[Path]:
    """The exports in ``folder`` and its subfolders, sorted by path (hidden files and the
    output folders of an earlier run are left out)."""
    folder = Path(folder)
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in EXPORT_SUFFIXES:
            files.append(path)
    return files


def _partition_name(value) -> str:
    text = NO_COURT if value is None or pd.isna(value) else str(value)
    for bad in ("/", "\\", "=", "\0"):
        text = text.replace(bad, "_")
    return text or NO_COURT


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """Accepted cases as Arrow, dates as date32 (as the loader's accepted.parquet)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.date32()))
    return table


@dataclass
class FileResult:
    """One export's outcome: its accounting (the loader's), summary, and the rows it set aside."""

    path: str
    accounting: dict = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    quarantine: pd.DataFrame | None = None
    field_issues: pd.DataFrame | None = None
    written: list[str] = field(default_factory=list)
    error: str | None = None


def validate_file(path: str | Path, accepted_dir: str | Path, key: str,
                  mapping: dict[str, str] | None = None, courts: str | None = None,
                  partition_by: str = "court", snapshot: str | None = None) -> FileResult:
    """Load one export with :func:`~courtstudy.ingest.loading.load_cases` and write its accepted
    cases into ``accepted_dir`` (``<partition_by>=<value>/<key>.parquet``); the quarantine and
    field issues come back tagged with ``source_file``."""
    from courtstudy.core.errors import CourtstudyError
    from courtstudy.ingest.loading import load_cases

    path = Path(path)
    try:
        loaded = load_cases(path, mapping=mapping, courts=courts or None, snapshot=snapshot)
    except (CourtstudyError, OSError, ValueError) as exc:
        return FileResult(str(path), error=f"{type(exc).__name__}: {exc}")
    written = []
    cases = loaded.cases
    if len(cases):
        groups = (cases.groupby(cases[partition_by].astype("object").fillna(NO_COURT),
                                sort=True, dropna=False)
                  if partition_by in cases else [(NO_COURT, cases)])
        for value, part in groups:
            folder = Path(accepted_dir) / f"{partition_by}={_partition_name(value)}"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{key}.parquet"
            import pyarrow.parquet as pq

            pq.write_table(_arrow(part), target)
            written.append(str(target))
    source = str(path)
    return FileResult(
        source, accounting=loaded.accounting(),
        summary={"zh": loaded.summary(lang="zh"), "en": loaded.summary(lang="en")},
        quarantine=loaded.quarantine.assign(source_file=source),
        field_issues=loaded.field_issues.assign(source_file=source), written=written)


def _sum_accounting(results: Sequence[FileResult]) -> dict:
    ok = [r for r in results if r.error is None]
    total: dict = {"files": len(results), "failed": len(results) - len(ok)}
    for name in ("rows_read", "accepted", "quarantined", "blank_rows", "field_issues"):
        total[name] = int(sum(r.accounting.get(name, 0) for r in ok))
    total["balanced"] = all(r.accounting.get("balanced", False) for r in ok) and (
        total["accepted"] + total["quarantined"] == total["rows_read"])
    for name in ("by_reason", "field_issues_by_column", "field_issues_by_reason"):
        summed: dict[str, int] = {}
        for r in ok:
            for k, v in r.accounting.get(name, {}).items():
                summed[k] = summed.get(k, 0) + int(v)
        total[name] = dict(sorted(summed.items()))
    return total


@dataclass
class BatchResult:
    """The outcome of :func:`validate_folder`: per-file results, the summed accounting and the
    files written (``accepted`` dataset folder, quarantine, field issues, accounting)."""

    folder: Path
    files: list[FileResult]
    paths: dict[str, Path]

    def accounting(self) -> dict:
        """Summed over the files: files, failed, rows_read, accepted, quarantined, balanced,
        blank_rows, field_issues, by_reason, field_issues_by_column, field_issues_by_reason."""
        return _sum_accounting(self.files)

    def summary(self, lang: str = "zh") -> str:
        acc = self.accounting()
        ok = "✓" if acc["balanced"] else "✗"
        zh = lang == "zh"
        lines = [f"文件夹：{self.folder}（{acc['files']} 个导出文件，{acc['failed']} 个无法读取）" if zh else
                 f"Folder: {self.folder} ({acc['files']} exports, {acc['failed']} unreadable)",
                 f"合计读取 {acc['rows_read']:,} 行：接受 {acc['accepted']:,} 行，隔离 "
                 f"{acc['quarantined']:,} 行（接受 + 隔离 = 读取 {ok}）；字段问题 "
                 f"{acc['field_issues']:,} 个" if zh else
                 f"Rows read {acc['rows_read']:,} in total: accepted {acc['accepted']:,}, "
                 f"quarantined {acc['quarantined']:,} (accepted + quarantined = read {ok}); "
                 f"field issues {acc['field_issues']:,}"]
        lines += [f"  隔离原因 {r}：{n:,}" if zh else f"  quarantined, {r}: {n:,}"
                  for r, n in acc["by_reason"].items()]
        lines += [f"无法读取：{Path(r.path).name}：{r.error}" if zh else
                  f"Unreadable: {Path(r.path).name}: {r.error}" for r in self.files if r.error]
        return "\n".join(lines)


def _write_table(frame: pd.DataFrame, out: Path, name: str) -> dict[str, Path]:
    """A set-aside table as Parquet (for machines) and CSV (UTF-8 with BOM, for Excel; through
    the package's formula-safe writer when it is present)."""
    parquet, csv = out / f"{name}.parquet", out / f"{name}.csv"
    frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}).to_parquet(
        parquet, index=False)
    try:
        from courtstudy.core.tabular_output import write_csv
    except ImportError:  # before the formula-safe writer (issue 9) is merged
        frame.to_csv(csv, index=False, encoding="utf-8-sig")
    else:
        write_csv(frame, csv)
    return {name: csv, f"{name}_parquet": parquet}


def validate_folder(folder: str | Path, out: str | Path | None = None,
                    mapping: dict[str, str] | None = None, courts: str | Path | None = None,
                    workers: int = 2, partition_by: str = "court",
                    snapshot: str | None = None) -> BatchResult:
    """Validate every export in ``folder`` (:func:`export_files`) in ``workers`` processes and
    write the accepted dataset, one quarantine table, one field-issues table and the accounting
    into ``out`` (default: the folder's name + ``_validated`` beside it). An existing
    ``accepted/`` folder there is replaced."""
    import shutil

    folder = Path(folder)
    files = export_files(folder)
    if not files:
        from courtstudy.core.errors import StructuralError

        raise StructuralError(f"{folder}: 文件夹中没有导出文件（CSV/XLSX/Parquet）\n"
                              f"{folder}: no exports (CSV/XLSX/Parquet) in the folder")
    out = Path(out) if out else folder.with_name(f"{folder.name}_validated")
    accepted = out / "accepted"
    if accepted.exists():
        shutil.rmtree(accepted)
    accepted.mkdir(parents=True)
    keys = [f"{i:05d}-{_partition_name(f.stem)}" for i, f in enumerate(files)]
    snapshot = None if snapshot is None else str(snapshot)
    args = [(str(f), str(accepted), k, mapping, str(courts) if courts else None, partition_by,
             snapshot)
            for f, k in zip(files, keys, strict=True)]
    if workers <= 1 or len(files) == 1:
        results = [validate_file(*a) for a in args]
    else:
        import multiprocessing

        # spawn: a fresh interpreter per worker (Arrow's and BLAS's threads do not survive fork)
        with ProcessPoolExecutor(max_workers=min(workers, len(files)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(validate_file, *zip(*args, strict=True)))
    paths: dict[str, Path] = {"accepted": accepted}
    for name in ("quarantine", "field_issues"):
        frames = [getattr(r, name) for r in results if getattr(r, name) is not None]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {"source_file": pd.Series(dtype="string")})
        paths.update(_write_table(frame, out, name))
    result = BatchResult(folder, results, paths)
    report = {"total": result.accounting(),
              "files": [{"path": r.path, "error": r.error, **r.accounting} for r in results]}
    paths["accounting"] = out / "accounting.json"
    paths["accounting"].write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                   encoding="utf-8")
    acc = report["total"]
    logger.info("validated %d files in %s: %d read, %d accepted, %d quarantined, %d failed",
                acc["files"], folder, acc["rows_read"], acc["accepted"], acc["quarantined"],
                acc["failed"])
    for r in results:
        if r.error:
            logger.warning("%s: %s", os.fspath(r.path), r.error)
    return result
