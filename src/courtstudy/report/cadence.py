"""Which report notebooks an edition runs, by the length of its period.

A day or an ISO week (``--period 2023-11-22``, ``--period 2023-W47``) makes a short edition: the
daily or weekly bulletin (日通报、周例会), not the full quarterly report. A notebook says which
periods it serves in its metadata::

    {"courtstudy": {"periods": ["day", "week"]}}

A notebook without that key serves the calendar periods (month, quarter, half-year, year and
custom ranges), as every report notebook did before the bulletins existed. An explicit
``--notebooks`` selection is taken as given.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

#: Periods a notebook serves when its metadata does not say.
CALENDAR_PERIODS: tuple[str, ...] = ("month", "quarter", "half", "year", "custom")


def notebook_periods(path: Path) -> tuple[str, ...]:
    """The period frequencies a notebook serves (its ``courtstudy.periods`` metadata)."""
    with open(path, encoding="utf-8") as fh:
        metadata = json.load(fh).get("metadata", {})
    periods = metadata.get("courtstudy", {}).get("periods")
    return tuple(periods) if periods else CALENDAR_PERIODS


def notebooks_for_period(paths: Sequence[Path], period: str) -> list[Path]:
    """The notebooks of ``paths`` that serve ``period`` (a label such as ``2023-W47``)."""
    from courtstudy.core.periods import parse_period

    freq = parse_period(period).freq
    return [p for p in paths if freq in notebook_periods(p)]
