"""Court calendar of the synthetic court: when cases are filed and when they close.

Dates are handled as integer day numbers (days since 1970-01-01) so that every step is a
vectorised numpy operation; day numbers and calendar months come from :mod:`courtstudy.core.calendar`.

Filing intensity of a day (relative, before the court's size and trend)::

    weekday 1, Saturday/Sunday 0.05, New Year's Day 0.05, 1-3 May 0.1, 1-7 October 0.1,
    Spring Festival: holiday (eve to day 6) 0.05, the two weeks before 0.6, the two weeks
    after 0.7, late December (21-31) 0.6 (courts slow filings before the year-end closing),
    2-15 January 1.2 (cases held back in December), 2020-02-03..2020-03-15 0.5 (epidemic).

Closing-date calendar (applied to a case's natural closing day, in every potential world alike):
closings due in January are pulled into 21-31 December with probability ``0.6 * (1 - day/40)``
(the year-end closing push, 年底结案冲刺); closings in the Spring Festival holiday move to the
first working day after it; weekend closings move to the Friday before (to the Monday after when
that would not be after the filing day or would fall back into the holiday). A closing never falls on the filing day.
"""

from __future__ import annotations

import numpy as np

from courtstudy.core.calendar import (
    EPOCH,
    MISSING_DAY,
    add_months,
    civil_from_days,
    day_number,
    days_from_civil,
    to_dates,
    weekday,
)

__all__ = ["EPOCH", "LUNAR_NEW_YEAR", "NA_DAY", "add_months", "calendar_parts", "closing_calendar",
           "day_number", "filing_intensity", "lunar_new_year_days", "to_datetime"]

#: Lunar new year (春节) dates, from the published Chinese calendar.
LUNAR_NEW_YEAR: dict[int, str] = {
    2015: "2015-02-19", 2016: "2016-02-08", 2017: "2017-01-28", 2018: "2018-02-16",
    2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01",
    2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17",
    2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-03",
}

def to_datetime(days: np.ndarray) -> np.ndarray:
    """Day numbers to ``datetime64[s]`` (NaT where ``days`` is the sentinel ``NA_DAY``)."""
    return to_dates(days, missing=NA_DAY)


#: Sentinel day number for "no date" (core.calendar's).
NA_DAY = MISSING_DAY


def lunar_new_year_days(first_year: int, last_year: int) -> np.ndarray:
    """Day numbers of the lunar new year of each year in ``first_year..last_year``."""
    missing = [y for y in range(first_year, last_year + 1) if y not in LUNAR_NEW_YEAR]
    if missing:
        raise ValueError(f"no lunar new year date for {missing}: extend "
                         "courtstudy.simulate.calendar.LUNAR_NEW_YEAR")
    return np.array([day_number(LUNAR_NEW_YEAR[y]) for y in range(first_year, last_year + 1)])


def calendar_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day of month, weekday with Monday = 0) of day numbers."""
    year, month, dom = civil_from_days(days)
    return year, month, dom, weekday(days)


def filing_intensity(days: np.ndarray) -> np.ndarray:
    """Relative filing intensity of each day (see the module docstring)."""
    year, month, dom, weekday = calendar_parts(days)
    factor = np.ones(len(days))
    factor[weekday >= 5] = 0.05
    factor[(month == 10) & (dom <= 7)] = 0.1
    factor[(month == 1) & (dom == 1)] = 0.05
    factor[(month == 5) & (dom <= 3)] = 0.1
    factor[(month == 12) & (dom >= 21)] *= 0.6
    factor[(month == 1) & (dom >= 2) & (dom <= 15)] *= 1.2
    epidemic = (days >= day_number("2020-02-03")) & (days <= day_number("2020-03-15"))
    factor[epidemic] *= 0.5
    lny = lunar_new_year_days(int(year.min()) - 1, int(year.max()) + 1)
    for d in lny:
        rel = days - d
        factor[(rel >= -14) & (rel <= -2)] *= 0.6
        factor[(rel >= -1) & (rel <= 6)] = 0.05
        factor[(rel >= 7) & (rel <= 20)] *= 0.7
    return factor


def closing_calendar(filed: np.ndarray, natural_close: np.ndarray, u_pull: np.ndarray,
                     u_pull_day: np.ndarray) -> np.ndarray:
    """Closing day after the year-end push, the Spring Festival holiday and weekends.

    ``u_pull`` and ``u_pull_day`` are uniforms drawn once per case (common random numbers).
    """
    close = natural_close.copy()
    year, month, dom, _ = calendar_parts(close)
    pull_prob = 0.6 * (1.0 - dom / 40.0)
    dec21 = _december_21(year - 1)
    pulled_to = dec21 + np.floor(u_pull_day * 11).astype(np.int64)
    pull = (month == 1) & (u_pull < pull_prob) & (pulled_to > filed)
    close = np.where(pull, pulled_to, close)

    year = calendar_parts(close)[0]
    # Closings beyond the table's years (long cases, far past any snapshot) keep their date.
    years = [y for y in range(int(year.min()) - 1, int(year.max()) + 2) if y in LUNAR_NEW_YEAR]
    moved = np.zeros(len(close), dtype=bool)
    for d in (day_number(LUNAR_NEW_YEAR[y]) for y in years):
        in_holiday = (close >= d - 1) & (close <= d + 6)
        close = np.where(in_holiday, d + 7, close)
        moved |= in_holiday

    weekday = (close + 3) % 7
    back = close - np.where(weekday == 5, 1, np.where(weekday == 6, 2, 0))
    forward = close + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
    # A closing moved out of the holiday never moves back into it.
    return np.where((back > filed) & ~moved, back, forward)


def _december_21(years: np.ndarray) -> np.ndarray:
    """Day number of 21 December of each year."""
    years = np.asarray(years, dtype=np.int64)
    return days_from_civil(years, np.full_like(years, 12), np.full_like(years, 21))
