"""Calendar arithmetic, once: day numbers, civil dates, and adding calendar months.

Every module that counts days or months imports these functions; none re-derives them (a test
scans the package for month arithmetic outside this module).

Dates inside the package's vectorised code are *day numbers*: days since 1970-01-01 as int64
(:data:`MISSING_DAY`, the smallest int64, stands for a missing date where a function says so). Months are counted as a *month
index* ``year * 12 + month - 1``.

The one rule for calendar months (Civil Procedure Law time limits, pending-age bands, period
boundaries): a date plus ``m`` calendar months is the same day of the month ``m`` months later,
clipped to that month's last day::

    2023-08-31 + 6 months = 2024-02-29     2023-03-31 + 1 month = 2023-04-30

A case is *over* ``m`` months old at ``end`` when ``filed + m months < end`` (domain.md: "end -
filed_date > 12 calendar months"); its age in *completed* months is the largest ``m`` with
``filed + m months <= end``.

Year, month and day of day numbers use H. Hinnant's ``civil_from_days`` / ``days_from_civil``
(exact for the proleptic Gregorian calendar), computed once per distinct day of a range and
then looked up: a gather is much faster than the arithmetic at millions of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Day number 0.
EPOCH = np.datetime64("1970-01-01", "D")
#: Day number standing for a missing date in :func:`day_numbers` (no real date has it).
MISSING_DAY = int(np.iinfo(np.int64).min)

_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


# -- day numbers ---------------------------------------------------------------------------
def day_number(date: str | pd.Timestamp | np.datetime64) -> int:
    """Days since 1970-01-01 of one date."""
    return int((np.datetime64(pd.Timestamp(date).date(), "D") - EPOCH).astype("int64"))


def day_numbers(values) -> np.ndarray:
    """Day numbers (int64) of a column of dates; missing dates become :data:`MISSING_DAY`.
    Times of day are dropped (the day a timestamp falls on)."""
    arr = np.asarray(values) if isinstance(values, np.ndarray | pd.Series) else None
    if arr is None or arr.dtype.kind != "M":
        arr = pd.to_datetime(values).to_numpy()
    unit, _ = np.datetime_data(arr.dtype)
    per_day = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000,
               "ns": 86_400_000_000_000}.get(unit)
    if per_day is None:
        arr, per_day = arr.astype("datetime64[s]"), 86_400
    ticks = arr.view("int64")
    out = ticks // per_day  # floor division: the day a timestamp falls on, before 1970 too
    out[np.isnat(arr)] = MISSING_DAY
    return out


def to_dates(days: np.ndarray, missing: int | None = MISSING_DAY) -> np.ndarray:
    """Day numbers back to ``datetime64[s]``; ``missing`` (when not None) becomes NaT."""
    days = np.asarray(days, dtype="int64")
    out = (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[s]")
    if missing is not None:
        out[days == missing] = np.datetime64("NaT")
    return out


def weekday(days: np.ndarray) -> np.ndarray:
    """Day of the week of day numbers, Monday = 0 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype="int64") + 3) % 7


# -- civil dates -----------------------------------------------------------------------------
def _civil_arithmetic(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of day numbers (Hinnant's civil_from_days)."""
    z = days.astype("int64") + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day of month) of day numbers, as int64 arrays."""
    days = np.asarray(days, dtype="int64")
    if len(days) == 0:
        return days.copy(), days.copy(), days.copy()
    lo, hi = int(days.min()), int(days.max())
    if hi - lo > 4 * len(days):
        return _civil_arithmetic(days)
    year, month, day = _civil_arithmetic(np.arange(lo, hi + 1, dtype="int64"))
    at = days - lo
    return year[at], month[at], day[at]


def days_from_civil(year, month, day) -> np.ndarray:
    """Day numbers of (year, month, day) (Hinnant's days_from_civil)."""
    year, month, day = (np.asarray(v, dtype="int64") for v in (year, month, day))
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def month_length(year, month) -> np.ndarray:
    """Days in the month (leap years by the Gregorian rule)."""
    year, month = np.asarray(year, dtype="int64"), np.asarray(month, dtype="int64")
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return _MONTH_DAYS[month - 1] + (leap & (month == 2))


def month_index(days: np.ndarray) -> np.ndarray:
    """``year * 12 + month - 1`` of day numbers."""
    days = np.asarray(days, dtype="int64")
    if len(days) == 0:
        return days.copy()
    lo, hi = int(days.min()), int(days.max())
    if hi - lo > 4 * len(days):
        year, month, _ = _civil_arithmetic(days)
        return year * 12 + month - 1
    year, month, _ = _civil_arithmetic(np.arange(lo, hi + 1, dtype="int64"))
    return (year * 12 + month - 1)[days - lo]


def month_index_of(date: str | pd.Timestamp) -> int:
    """``year * 12 + month - 1`` of one date."""
    ts = pd.Timestamp(date)
    return ts.year * 12 + ts.month - 1


def month_indexes(dates: pd.Series) -> pd.Series:
    """``year * 12 + month - 1`` of each date of a Series (missing where the date is)."""
    dates = pd.to_datetime(dates)
    return dates.dt.year * 12 + dates.dt.month - 1


def month_index_expr(date):
    """``year * 12 + month - 1`` of an Ibis date expression, computed by the backend (the same
    rule as :func:`month_index`, for data that never leaves a Spark or DuckDB table)."""
    return date.year().cast("int64") * 12 + date.month().cast("int64") - 1


def month_start(index) -> np.ndarray:
    """Day number of the first day of month ``index`` (``year * 12 + month - 1``)."""
    index = np.asarray(index, dtype="int64")
    return days_from_civil(index // 12, index % 12 + 1, np.ones_like(index))


# -- adding calendar months --------------------------------------------------------------------
def shift_months(year: np.ndarray, month: np.ndarray, day: np.ndarray,
                 months: int | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A date plus ``months`` calendar months (a number, or one per date), clipped to month end.

    Returns (day number, month index, whether the result is the last day of its month).
    Per-month values are computed once per month of the span, then looked up."""
    total = np.asarray(year, dtype="int64") * 12 + np.asarray(month, dtype="int64") - 1 + months
    if len(total) == 0:
        return total.copy(), total.copy(), np.zeros(0, dtype=bool)
    lo = int(total.min())
    span = np.arange(lo, int(total.max()) + 1, dtype="int64")
    first = month_start(span)
    length = month_length(span // 12, span % 12 + 1)
    at = total - lo
    month_days = length[at]
    new_day = np.minimum(day, month_days)
    return first[at] + new_day - 1, total, new_day == month_days


def add_months(days: np.ndarray, months: int | np.ndarray) -> np.ndarray:
    """Day numbers plus whole calendar months, clipped to month end (the module's rule)."""
    days = np.asarray(days, dtype="int64")
    if not np.isscalar(months):
        months = np.asarray(months, dtype="int64")
    return shift_months(*civil_from_days(days), months)[0]


def add_calendar_months(dates: pd.Series, months: pd.Series | int) -> pd.Series:
    """``dates`` plus whole calendar months, clipped to month end (2023-08-31 + 6 months =
    2024-02-29), as ``datetime64[s]``; NaT where either is missing."""
    d = pd.to_datetime(dates)
    index = d.index if isinstance(d, pd.Series) else None
    if np.isscalar(months):
        m = pd.Series(float(months), index=index)
    else:
        m = pd.to_numeric(pd.Series(months, index=index), errors="coerce").astype("float64")
    days = day_numbers(d)
    ok = (days != MISSING_DAY) & m.notna().to_numpy()
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[s]")
    if ok.any():
        out[ok] = to_dates(add_months(days[ok], m.to_numpy()[ok].astype("int64")), None)
    return pd.Series(out, index=index, dtype="datetime64[s]")


def add_months_to(date: str | pd.Timestamp, months: int) -> pd.Timestamp:
    """One date plus ``months`` calendar months (negative to go back), clipped to month end."""
    return pd.Timestamp(to_dates(add_months(np.array([day_number(date)]), int(months)), None)[0])


def over_months(start: np.ndarray, end: np.ndarray | int, months: int) -> np.ndarray:
    """Whether ``end`` is more than ``months`` calendar months after ``start`` (day numbers):
    ``start + months < end``."""
    return add_months(start, months) < end


def completed_months(start: np.ndarray, end: np.ndarray | int) -> np.ndarray:
    """Whole calendar months from ``start`` to ``end`` (day numbers, ``end >= start``): the
    largest ``m`` with ``start + m months <= end``."""
    start = np.asarray(start, dtype="int64")
    end = np.broadcast_to(np.asarray(end, dtype="int64"), start.shape)
    sy, sm, _ = civil_from_days(start)
    ey, em, _ = civil_from_days(end)
    months = (ey * 12 + em) - (sy * 12 + sm)
    # One month fewer when adding the month difference overshoots the end (day of month later
    # in the start's month than the end's day, clipping included).
    return months - (add_months(start, months) > end)
