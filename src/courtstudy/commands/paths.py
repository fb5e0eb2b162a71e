"""Output paths given on the command line: checked up front, with a message instead of a traceback."""

from __future__ import annotations

from pathlib import Path

from courtstudy.core.errors import CourtstudyError


def blocking_file(path: Path) -> Path | None:
    """The first existing ancestor of ``path`` that is a regular file (so no folder can be made
    there), or ``None``."""
    for parent in [path, *path.parents]:
        if parent.exists():
            return parent if not parent.is_dir() else None
    return None


def check_folder(path: Path, option: str) -> Path:
    """Raise a one-line bilingual error naming ``option`` when folder ``path`` cannot exist
    because a regular file is in the way (nothing is created)."""
    blocker = blocking_file(path)
    if blocker is not None:
        raise CourtstudyError(f"{option} {path}: {blocker} 是文件，不能在其中建文件夹 / {blocker} is a "
                              "file, so no folder can be created there; choose another path")
    return path


def ensure_folder(path: Path, option: str) -> Path:
    """Create folder ``path`` (and its parents) or raise a one-line bilingual error naming
    ``option`` and the file in the way."""
    check_folder(path, option)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CourtstudyError(f"{option} {path}: 无法创建文件夹（{exc.strerror}）/ cannot create the "
                              f"folder ({exc.strerror})") from exc
    return path


def ensure_parent(path: Path, option: str) -> Path:
    """Create the folder ``path`` will be written in (see :func:`ensure_folder`)."""
    ensure_folder(path.parent, option)
    return path
