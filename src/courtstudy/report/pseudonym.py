"""Stable, salted pseudonyms for judges (and other people) in published tables.

A pseudonym is ``法官`` + the first 6 hex digits (upper case) of HMAC-SHA-256(salt, name). The
same name gets the same pseudonym in every table and edition that uses the same salt, and the
name cannot be recovered from the pseudonym without the salt, not even by someone holding the
court's roster of judges (with an unsalted or alphabetical code they could: sort the roster, or
hash each name on it). Should two names collide, both get longer digests.

The salt is a secret of the installation (:func:`pseudonym_salt`): ``$COURTSTUDY_PSEUDONYM_SALT``
when set, else a random value kept in ``data/.pseudonym_salt``, created on first use readable
by its owner only (mode 0600; a salt file found readable by others is tightened and reported).
Keep it out of reports and version control; a new salt gives every judge a new pseudonym.

Missing names stay missing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

PREFIX = "法官"
SALT_ENV = "COURTSTUDY_PSEUDONYM_SALT"
SALT_FILE = ".pseudonym_salt"


def salt_path() -> Path:
    """Where the installation's salt is kept: ``data/.pseudonym_salt``."""
    from courtstudy.core.paths import data_dir

    return data_dir() / SALT_FILE


def pseudonym_salt() -> str:
    """The secret salt of published pseudonyms (see the module docstring)."""
    env = os.environ.get(SALT_ENV)
    if env:
        return env
    path = salt_path()
    if path.is_file():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            # A salt others can read lets them reverse every pseudonym: tighten it.
            try:
                path.chmod(0o600)
            except OSError as exc:
                warnings.warn(f"{path}: the pseudonym salt is readable by other users "
                              f"(mode {mode:o}) and cannot be restricted ({exc.strerror})",
                              stacklevel=2)
            else:
                warnings.warn(f"{path}: the pseudonym salt was readable by other users "
                              f"(mode {mode:o}); restricted to its owner (0600)", stacklevel=2)
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_hex(16)
    try:
        # O_EXCL: two processes starting at once must not write two different salts.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
        fh.write(salt + "\n")
    return salt


def pseudonym_map(names: Iterable[str], salt: str | None = None,
                  prefix: str = PREFIX) -> dict[str, str]:
    """Name -> pseudonym for the distinct non-missing ``names``; ``salt`` defaults to the
    installation's secret salt (:func:`pseudonym_salt`)."""
    distinct = sorted({str(n) for n in names if n is not None and not pd.isna(n)})
    key = (salt if salt else pseudonym_salt()).encode("utf-8")
    digests = {n: hmac.new(key, n.encode("utf-8"), hashlib.sha256).hexdigest().upper()
               for n in distinct}
    length = 6
    while True:
        codes = {n: d[:length] for n, d in digests.items()}
        if len(set(codes.values())) == len(codes):
            return {n: f"{prefix}{c}" for n, c in codes.items()}
        length += 2


def pseudonymise(frame: pd.DataFrame, columns: Sequence[str] = ("judge",),
                 salt: str | None = None, prefix: str = PREFIX) -> pd.DataFrame:
    """A copy of ``frame`` with the names in ``columns`` replaced by pseudonyms."""
    out = frame.copy()
    for column in columns:
        if column not in out:
            continue
        mapping = pseudonym_map(out[column].dropna().unique(), salt=salt, prefix=prefix)
        out[column] = out[column].astype("string").map(mapping).astype("string")
    return out
