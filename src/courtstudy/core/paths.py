"""Where the project's data, notebooks and reports live.

Paths are resolved from the package, never from the working directory, so that a notebook run by
papermill from any folder finds the same files (Cookiecutter Data Science's ``PROJ_ROOT``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: The checkout's root when the package is installed in editable mode from a clone.
PROJECT_ROOT = PACKAGE_DIR.parents[1]


def _root() -> Path:
    override = os.environ.get("COURTSTUDY_HOME")
    return Path(override).resolve() if override else PROJECT_ROOT


def data_dir() -> Path:
    """``data/`` of the project (``$COURTSTUDY_HOME/data`` when that variable is set)."""
    return _root() / "data"


def notebooks_dir() -> Path:
    """``notebooks/`` of the project."""
    return _root() / "notebooks"


def reports_dir() -> Path:
    """``reports/`` of the project: one folder per edition."""
    return _root() / "reports"


def demo_dir() -> Path:
    """``data/demo/``: the synthetic court's demo export, courts table and ground truth."""
    return data_dir() / "demo"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks (exports can be gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
