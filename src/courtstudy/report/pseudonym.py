"""Stable pseudonyms for judges (and other people) in internal tables.

Tables that name judges are internal; reports for a wider audience show pseudonyms. Two ways:

* ``salt`` given (recommended for editions): ``法官`` + the first 6 hex digits (upper case) of
  SHA-256(salt + "|" + name). The same name gets the same pseudonym in every table and edition
  that uses the same salt, and the name cannot be recovered without the salt (keep it out of
  the report). Should two names collide, both get longer digests.
* no salt: a sorted mapping, ``法官A01``, ``法官A02``, ... in the order of the sorted names (then
  ``B01`` after ``A99``). Stable for a given set of names, but adding a judge can shift others:
  use it for one table, a salt across editions.

Missing names stay missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import pandas as pd

PREFIX = "法官"


def pseudonym_map(names: Iterable[str], salt: str | None = None,
                  prefix: str = PREFIX) -> dict[str, str]:
    """Name -> pseudonym for the distinct non-missing ``names`` (see the module docstring)."""
    distinct = sorted({str(n) for n in names if n is not None and not pd.isna(n)})
    if salt is None:
        out = {}
        for i, name in enumerate(distinct):
            letter, number = divmod(i, 99)
            if letter >= 26:
                raise ValueError("more than 2,574 names: pass a salt to use hashed pseudonyms")
            out[name] = f"{prefix}{chr(ord('A') + letter)}{number + 1:02d}"
        return out
    digests = {n: hashlib.sha256(f"{salt}|{n}".encode()).hexdigest().upper() for n in distinct}
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
