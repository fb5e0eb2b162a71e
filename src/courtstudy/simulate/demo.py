"""The demo data: the default synthetic court written as a court would hand it over.

``ensure_demo()`` writes, under :func:`courtstudy.core.paths.demo_dir` (``data/demo/``):

* ``cases.csv``: the cases as a case-management export (GB18030, Chinese headers, mixed date
  styles, about 0.3% planted bad rows) by :func:`courtstudy.simulate.export.write_export`;
* ``courts.csv``: the courts table with Chinese headers (UTF-8 with BOM, for Excel);
* ``truth.csv``: the true effects (``sim.truth``);
* ``planted_problems.csv``: the planted bad rows (row, case_id, column, reason);
* ``mediation.csv``: the pre-suit mediation register (诉前调解, GB18030, the register's own
  headers, mixed date styles, three planted bad rows listed in ``mediation_planted_problems.csv``),
  ``related_cases.csv`` (the appeals, retrial petitions and judicial confirmations the court's
  cases gave rise to, as a case export) and ``case_links.csv`` (案号, 立案日期 and the link
  columns 原审案号, 执行依据, 诉前调解案号 of every case that names another record), from
  :func:`courtstudy.simulate.mediation.simulate_mediation` with ``keep_court_cases=True`` (the
  cases stay as they are; :mod:`courtstudy.simulate.mediation_export` says why these are files
  of their own);
* ``stamp.json``: seed, scale, bad-row share, package and generator versions and a fingerprint
  of the code that produced the files.

The files are rebuilt only when one is missing or the stamp differs from what the current code
would write (``force=True`` rebuilds anyway). Files are written to temporary names and moved
into place, the stamp last, so a reader never sees a half-written set.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from courtstudy import __version__
from courtstudy.core import schema
from courtstudy.core.paths import PACKAGE_DIR, demo_dir

DEMO_SEED = 20240101
DEMO_SCALE = 1.0
DEMO_BAD_ROW_SHARE = 0.003

#: Code whose change makes the demo files stale.
_FINGERPRINTED = ("simulate", "core/schema.py", "core/limits.py", "core/calendar.py",
                  "core/categories.py", "core/reference")


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the demo files."""

    directory: Path
    cases: Path
    courts: Path
    truth: Path
    planted_problems: Path
    stamp: Path
    mediation: Path
    mediation_planted_problems: Path
    related_cases: Path
    case_links: Path


def demo_files(directory: Path | None = None) -> DemoFiles:
    """Where the demo files are (whether or not they exist yet)."""
    d = Path(directory) if directory is not None else demo_dir()
    return DemoFiles(d, d / "cases.csv", d / "courts.csv", d / "truth.csv",
                     d / "planted_problems.csv", d / "stamp.json", d / "mediation.csv",
                     d / "mediation_planted_problems.csv", d / "related_cases.csv", d / "case_links.csv")


def code_fingerprint() -> str:
    """SHA-256 over the source of the simulator, the export writer, the schema and the limits."""
    digest = hashlib.sha256()
    for name in _FINGERPRINTED:
        path = PACKAGE_DIR / name
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".py", ".csv")) \
            if path.is_dir() else [path]
        for f in files:
            digest.update(str(f.relative_to(PACKAGE_DIR)).encode("utf-8"))
            digest.update(f.read_bytes())
    return digest.hexdigest()


def expected_stamp(seed: int = DEMO_SEED, scale: float = DEMO_SCALE,
                   bad_row_share: float = DEMO_BAD_ROW_SHARE) -> dict:
    """The stamp the current code writes for these settings."""
    from courtstudy.simulate import GENERATOR_VERSION

    return {"seed": seed, "scale": scale, "bad_row_share": bad_row_share,
            "package_version": __version__, "generator_version": GENERATOR_VERSION,
            "code_fingerprint": code_fingerprint()}


def is_current(files: DemoFiles, stamp: dict) -> bool:
    """Whether every demo file exists and the stored stamp equals ``stamp``."""
    paths = (files.cases, files.courts, files.truth, files.planted_problems, files.stamp, files.mediation,
             files.mediation_planted_problems, files.related_cases, files.case_links)
    if not all(p.exists() for p in paths):
        return False
    try:
        with open(files.stamp, encoding="utf-8") as fh:
            stored = json.load(fh)
    except (OSError, json.JSONDecodeError):
        return False
    return {k: stored.get(k) for k in stamp} == stamp


def courts_export(courts: pd.DataFrame) -> pd.DataFrame:
    """The courts table with Chinese headers and ISO dates (empty = never)."""
    out = pd.DataFrame(index=courts.index)
    for f in schema.COURT_FIELDS:
        values = courts[f.name]
        if f.dtype == schema.DATE_DTYPE:
            values = values.dt.strftime("%Y-%m-%d").fillna("")
        out[f.label_zh] = values
    return out


def _replace_atomically(write, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, target)


def build_demo(directory: Path | None = None, seed: int = DEMO_SEED, scale: float = DEMO_SCALE,
               bad_row_share: float = DEMO_BAD_ROW_SHARE) -> DemoFiles:
    """Simulate and write the demo files (unconditionally); see the module docstring."""
    from courtstudy.simulate import simulate_court
    from courtstudy.simulate.export import write_export

    files = demo_files(directory)
    files.directory.mkdir(parents=True, exist_ok=True)
    sim = simulate_court(seed=seed, scale=scale)
    planted: dict[str, pd.DataFrame] = {}

    def write_cases(tmp: Path) -> None:
        planted["frame"] = write_export(sim.cases, tmp, fmt="csv", encoding="gb18030", headers="zh",
                                        date_styles="mixed", bad_row_share=bad_row_share, seed=seed)

    _replace_atomically(write_cases, files.cases)
    _replace_atomically(lambda p: courts_export(sim.courts).to_csv(p, index=False, encoding="utf-8-sig"),
                        files.courts)
    _replace_atomically(lambda p: sim.truth.to_csv(p, index=False, encoding="utf-8-sig"), files.truth)
    _replace_atomically(lambda p: planted["frame"].to_csv(p, index=False, encoding="utf-8-sig"),
                        files.planted_problems)
    written = _write_diversion(files, sim, seed)
    stamp = expected_stamp(seed, scale, bad_row_share) | {
        "as_of": str(sim.as_of.date()), "cases_written": len(sim.cases),
        "planted_problems": len(planted["frame"]), **written}

    def write_stamp(p: Path) -> None:
        with open(p, "w", encoding="utf-8") as fh:
            json.dump(stamp, fh, ensure_ascii=False, indent=2)

    _replace_atomically(write_stamp, files.stamp)
    return files


def _write_diversion(files: DemoFiles, sim, seed: int) -> dict[str, int]:
    """The first diversion's files (module docstring); returns what the stamp records."""
    from courtstudy.simulate.mediation import MediationSettings, simulate_mediation
    from courtstudy.simulate.mediation_export import (
        write_case_links,
        write_mediation_register,
        write_related_cases,
    )

    world = simulate_mediation(sim, MediationSettings(seed=seed), keep_court_cases=True)
    planted: dict[str, pd.DataFrame] = {}

    def write_register(tmp: Path) -> None:
        planted["frame"] = write_mediation_register(world.records, tmp, seed=seed, plant=True)

    _replace_atomically(write_register, files.mediation)
    _replace_atomically(lambda p: planted["frame"].to_csv(p, index=False, encoding="utf-8-sig"),
                        files.mediation_planted_problems)
    counts: dict[str, int] = {}
    _replace_atomically(lambda p: counts.update(related_cases_written=write_related_cases(world, p, seed=seed)),
                        files.related_cases)
    _replace_atomically(lambda p: counts.update(case_link_rows=write_case_links(world, p)), files.case_links)
    return {"mediation_records_written": len(world.records),
            "mediation_planted_problems": len(planted["frame"]), **counts}


def ensure_demo(force: bool = False, directory: Path | None = None) -> DemoFiles:
    """The demo files, built from the default seed when missing or stale (or when ``force``)."""
    files = demo_files(directory)
    if force or not is_current(files, expected_stamp()):
        build_demo(directory)
    return files
