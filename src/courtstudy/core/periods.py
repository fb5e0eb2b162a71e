"""Reporting periods: days, ISO weeks, months, quarters, half-years, years and custom ranges.

A period P = [start, end] with both dates inclusive (domain.md section 1). Labels:

=========  ============  =====================
frequency  label          example
=========  ============  =====================
day        ``YYYY-MM-DD`` ``2023-11-22``
week       ``YYYY-Www``   ``2023-W47`` (ISO 8601: Monday to Sunday, week 1 holds 4 January)
month      ``YYYY-MM``    ``2023-11``
quarter    ``YYYYQn``     ``2023Q4``
half       ``YYYYHn``     ``2023H2``
year       ``YYYY``       ``2023``
custom     ``start~end``  ``2023-02-15~2023-05-31``
=========  ============  =====================

:func:`parse_period` reads any of these labels (and ``start/end``); :func:`period_range` lists
the periods of one frequency that cover a date range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from courtstudy.core.calendar import add_months_to

#: Months per period of each calendar frequency.
FREQ_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "half": 6, "year": 12}
#: Days per period of the short frequencies (the daily and weekly bulletins).
FREQ_DAYS: dict[str, int] = {"day": 1, "week": 7}
#: Accepted spellings of each frequency.
FREQ_ALIASES: dict[str, str] = {
    "day": "day", "d": "day", "daily": "day", "日": "day",
    "week": "week", "w": "week", "weekly": "week", "周": "week",
    "month": "month", "m": "month", "monthly": "month", "月": "month",
    "quarter": "quarter", "q": "quarter", "quarterly": "quarter", "季": "quarter", "季度": "quarter",
    "half": "half", "h": "half", "half-year": "half", "halfyear": "half", "half_year": "half",
    "半年": "half",
    "year": "year", "y": "year", "a": "year", "annual": "year", "yearly": "year", "年": "year",
    "年度": "year",
    "custom": "custom",
}


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: ``start`` and ``end`` inclusive (midnight timestamps)."""

    start: pd.Timestamp
    end: pd.Timestamp
    freq: str = "custom"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period end {self.end.date()} is before its start {self.start.date()}")

    @property
    def label(self) -> str:
        """``2023-11-22``, ``2023-W47``, ``2023-11``, ``2023Q4``, ``2023H2``, ``2023`` or
        ``2023-02-15~2023-05-31``."""
        s = self.start
        if self.freq == "day":
            return s.date().isoformat()
        if self.freq == "week":
            iso = s.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.freq == "month":
            return f"{s.year}-{s.month:02d}"
        if self.freq == "quarter":
            return f"{s.year}Q{(s.month - 1) // 3 + 1}"
        if self.freq == "half":
            return f"{s.year}H{(s.month - 1) // 6 + 1}"
        if self.freq == "year":
            return f"{s.year}"
        return f"{s.date().isoformat()}~{self.end.date().isoformat()}"

    @property
    def days(self) -> int:
        """Number of days in the period (both ends counted)."""
        return int((self.end - self.start).days) + 1

    def shift(self, kind: str = "yoy") -> Period:
        """The comparison period: ``"yoy"`` the same period a year earlier, ``"pop"`` the
        preceding period of the same frequency (for a custom period: the same number of days
        immediately before it). A week's ``yoy`` is the ISO week of the same number a year
        earlier (week 52 for a week 53); a day's is the same date (28 February for 29 February)."""
        if kind == "yoy" and self.freq == "week":
            iso = self.start.isocalendar()
            year = iso.year - 1
            week = min(iso.week, _iso_weeks(year))
            return calendar_period(pd.Timestamp.fromisocalendar(year, week, 1), "week")
        if kind == "pop" and self.freq in FREQ_DAYS:
            return calendar_period(self.start - pd.Timedelta(days=FREQ_DAYS[self.freq]), self.freq)
        if kind == "yoy":
            start = add_months_to(self.start, -12)
            if self.freq == "day":
                return calendar_period(start, "day")
            if self.freq in FREQ_MONTHS:
                return calendar_period(start, self.freq)
            end = add_months_to(self.end, -12)
            return Period(start, end, "custom")
        if kind == "pop":
            if self.freq in FREQ_MONTHS:
                return calendar_period(add_months_to(self.start, -FREQ_MONTHS[self.freq]),
                                       self.freq)
            return Period(self.start - pd.Timedelta(days=self.days),
                          self.start - pd.Timedelta(days=1), "custom")
        raise ValueError(f"comparison kind must be 'yoy' or 'pop', got {kind!r}")

    def __str__(self) -> str:
        return self.label


def _iso_weeks(year: int) -> int:
    """Number of ISO weeks of ``year`` (52 or 53): the ISO week of 28 December."""
    return int(pd.Timestamp(year=year, month=12, day=28).isocalendar().week)


def normalise_freq(freq: str) -> str:
    """Canonical frequency name (``day``, ``week``, ``month``, ``quarter``, ``half``, ``year``,
    ``custom``)."""
    key = str(freq).strip().lower()
    if key not in FREQ_ALIASES:
        raise ValueError(f"unknown period frequency {freq!r}: expected one of day, week, month, "
                         "quarter, half, year or custom")
    return FREQ_ALIASES[key]


def calendar_period(date: pd.Timestamp | str, freq: str) -> Period:
    """The calendar period of frequency ``freq`` that contains ``date``."""
    freq = normalise_freq(freq)
    if freq == "custom":
        raise ValueError("a custom period needs a start and an end")
    d = pd.Timestamp(date).normalize()
    if freq == "day":
        return Period(d, d, "day")
    if freq == "week":
        monday = d - pd.Timedelta(days=d.weekday())
        return Period(monday, monday + pd.Timedelta(days=6), "week")
    n = FREQ_MONTHS[freq]
    month0 = ((d.month - 1) // n) * n
    start = pd.Timestamp(year=d.year, month=month0 + 1, day=1)
    end = add_months_to(start, n) - pd.Timedelta(days=1)
    return Period(start, end, freq)


_WEEK_PATTERN = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")
_DAY_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LABEL_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})[Qq]([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})[Hh]([12])$"), "half"),
    (re.compile(r"^(\d{4})$"), "year"),
)


def parse_period(text: str | Period) -> Period:
    """Read a period label: ``2023-11-22`` (a day), ``2023-W47`` (an ISO week), ``2023-11``,
    ``2023Q4``, ``2023H2``, ``2023``, or a custom range ``2023-02-15~2023-05-31`` (``/`` also
    accepted as the separator)."""
    if isinstance(text, Period):
        return text
    raw = str(text).strip()
    week = _WEEK_PATTERN.match(raw)
    if week:
        year, number = int(week.group(1)), int(week.group(2))
        if not 1 <= number <= _iso_weeks(year):
            raise ValueError(f"cannot read period {raw!r}: {year} has ISO weeks 1 to "
                             f"{_iso_weeks(year)}")
        return calendar_period(pd.Timestamp.fromisocalendar(year, number, 1), "week")
    day = _DAY_PATTERN.match(raw)
    if day:
        try:
            return calendar_period(pd.Timestamp(year=int(day.group(1)), month=int(day.group(2)),
                                                day=int(day.group(3))), "day")
        except ValueError as exc:
            raise ValueError(f"cannot read period {raw!r}: {exc}") from exc
    for pattern, freq in _LABEL_PATTERNS:
        m = pattern.match(raw)
        if m:
            year = int(m.group(1))
            if freq == "year":
                return calendar_period(pd.Timestamp(year=year, month=1, day=1), "year")
            k = int(m.group(2))
            if freq == "month" and not 1 <= k <= 12:
                break
            month = {"month": k, "quarter": 3 * (k - 1) + 1, "half": 6 * (k - 1) + 1}[freq]
            return calendar_period(pd.Timestamp(year=year, month=month, day=1), freq)
    for sep in ("~", "/"):
        if sep in raw:
            a, b = (s.strip() for s in raw.split(sep, 1))
            try:
                return Period(pd.Timestamp(a).normalize(), pd.Timestamp(b).normalize(), "custom")
            except (ValueError, TypeError) as exc:
                raise ValueError(f"cannot read period {raw!r}: {exc}") from exc
    raise ValueError(f"cannot read period {raw!r}: expected 2023-11-22, 2023-W47, 2023-11, "
                     "2023Q4, 2023H2, 2023 or 2023-02-15~2023-05-31")


def period_range(start: pd.Timestamp | str, end: pd.Timestamp | str, freq: str) -> list[Period]:
    """The periods of ``freq`` from the one containing ``start`` to the one containing ``end``
    (``freq="custom"``: the single period [start, end])."""
    freq = normalise_freq(freq)
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end < start:
        raise ValueError(f"end {end.date()} is before start {start.date()}")
    if freq == "custom":
        return [Period(start, end, "custom")]
    out = [calendar_period(start, freq)]
    while out[-1].end < end:
        out.append(calendar_period(out[-1].end + pd.Timedelta(days=1), freq))
    return out
