"""A year's case flow per group, on integer day numbers: what the projections are built from.

For a reference day ``d`` of year ``Y`` (start ``s`` = 1 January, end ``e`` = 31 December) and
each group (domain.md section 1, counts as known when the data were taken):

* ``carried_over``: filed before ``s`` and not closed before ``s``;
* ``filed_ytd``: filed in ``[s, d]``; ``closed_ytd``: closed in ``[s, d]``;
* the **stock**: pending at the end of ``d`` (filed on or before ``d``, not closed by ``d``),
  split into cells of *case class* x *age band* (age = ``d - filed_date`` in days, bands
  :data:`AGE_BANDS_DAYS`), and within each cell by what the case will be at ``e`` if still
  pending: over 18 months, over 12 months (but not 18), or younger (a case is over X months at
  ``e`` when ``filed_date + X calendar months < e``, the rule of the indicator engine);
* pending on ``d`` and over 12 / 18 months old on ``d``; ``filed_trailing``: filed in the 365
  days up to ``d``;
* for a past year whose end is known: ``filed_rest`` (filed in ``(d, e]``), the stock's
  closings by ``e`` per cell, and ``new_closed`` (filed in ``(d, e]`` and closed by ``e``).

:class:`CaseFlow` prepares the day numbers and codes once; :meth:`CaseFlow.window` computes
these counts for any ``d`` with ``numpy.bincount``, so a backtest over many origins is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from courtstudy.core import calendar
from courtstudy.core.categories import CASE_TYPES, CIVIL, FIRST_INSTANCE, PROCEDURES

#: Day number standing for "not closed" (after any year end).
NEVER = 10_000_000
#: Lower bounds (days) of the age bands of the pending stock.
AGE_BANDS_DAYS: tuple[int, ...] = (0, 30, 60, 90, 135, 180, 270, 365, 450, 540, 730)
#: Case classes whose cases close at different speeds (limits differ by procedure and type).
CASE_CLASSES: tuple[str, ...] = ("civil_ordinary", "civil_simple", "civil_other", "criminal",
                                 "administrative", "enforcement", "other")
#: Long-pending status at year end: index 0 younger than 12 months, 1 over 12, 2 over 18.
LONG_PARTS: tuple[str, ...] = ("under_12m", "over_12m", "over_18m")
N_BANDS = len(AGE_BANDS_DAYS)
N_CELLS = len(CASE_CLASSES) * N_BANDS


def day_numbers(values: pd.Series | pd.Index) -> np.ndarray:
    """Days since 1970-01-01 (int64); missing dates become :data:`NEVER`."""
    out = calendar.day_numbers(values)
    out[out == calendar.MISSING_DAY] = NEVER
    return out


day_number = calendar.day_number


def case_classes(cases: pd.DataFrame) -> np.ndarray:
    """Index into :data:`CASE_CLASSES` of each case (civil first instance split by procedure:
    ordinary vs simplified / small claims / expedited)."""
    n = len(cases)

    def text(column: str) -> np.ndarray:
        if column not in cases:
            return np.full(n, "", dtype=object)
        return cases[column].astype("string").fillna("").to_numpy(dtype=object)

    ctype, proc, inst = text("case_type"), text("procedure"), text("instance")
    first = (inst == FIRST_INSTANCE) | (inst == "")
    civil = ctype == CIVIL
    ordinary = proc == "ordinary"
    # simplified, small claims and expedited: the three-month (or shorter) procedures
    quicker = np.isin(proc, [p for p in PROCEDURES if p != "ordinary"])
    out = np.full(n, CASE_CLASSES.index("other"), dtype=np.int64)
    out[civil & first & ordinary] = 0
    out[civil & first & quicker] = 1
    out[civil & ~(first & (ordinary | quicker))] = 2
    for name in CASE_TYPES:
        if name != CIVIL and name in CASE_CLASSES:
            out[ctype == name] = CASE_CLASSES.index(name)
    return out


@dataclass
class Window:
    """Counts of one reference day for every unit (see the module docstring). Arrays are
    indexed by unit; cell arrays have shape (units, :data:`N_CELLS`, 3 long-pending parts)."""

    day: int
    year_start: int
    year_end: int
    carried_over: np.ndarray
    filed_ytd: np.ndarray
    closed_ytd: np.ndarray
    stock: np.ndarray           # (units, cells, parts)
    stock_closed: np.ndarray    # (units, cells, parts): closed by year end (past years only)
    filed_rest: np.ndarray
    new_closed: np.ndarray
    filed_trailing: np.ndarray  # filed in the 365 days up to and including the day
    complete: bool              # the year end is known (year_end <= the data's as-of day)
    over_12m_now: np.ndarray    # pending on the day and over 12 months old on that day
    over_18m_now: np.ndarray

    @property
    def pending(self) -> np.ndarray:
        return self.stock.sum(axis=(1, 2))


@dataclass
class CaseFlow:
    """Cases as day numbers and integer codes, prepared once (see :meth:`from_cases`)."""

    filed: np.ndarray
    closed: np.ndarray
    klass: np.ndarray
    over12: np.ndarray          # first day on which the case is over 12 months old
    over18: np.ndarray
    unit: np.ndarray            # unit code of each case
    units: pd.DataFrame         # one row per unit: the grouping columns
    as_of: int
    first_filed: int

    @classmethod
    def from_cases(cls, cases: pd.DataFrame, by: Sequence[str], as_of: pd.Timestamp | str) -> CaseFlow:
        """Prepare ``cases`` (canonical) grouped by ``by`` (``[]`` = one unit), as known at
        ``as_of``: later filings are left out, later closings count as pending. Cases with a
        missing group value form their own unit (shown as ``"(missing)"``) so that no case is
        lost. Windows of a reference day before ``as_of`` use nothing after that day."""
        by = list(by)
        as_of_day = day_number(as_of)
        cases = cases.loc[pd.to_datetime(cases["filed_date"]) <= pd.Timestamp(as_of)]
        filed = day_numbers(cases["filed_date"])
        if (filed == NEVER).any():
            raise ValueError("cases without a filing date cannot be projected: load them with "
                             "courtstudy.load_cases, which quarantines them")
        closed = day_numbers(cases["closed_date"])
        closed = np.where(closed > as_of_day, NEVER, closed)
        # The first day a case is over m months old: filed + m calendar months + 1 day.
        over = {m: calendar.add_months(filed, m) + 1 for m in (12, 18)}
        if by:
            keys = cases[by].astype("string").fillna("(missing)")
            codes, uniques = pd.MultiIndex.from_frame(keys).factorize(sort=True)
            units = uniques.to_frame(index=False)
            units.columns = by
        else:
            codes = np.zeros(len(cases), dtype=np.int64)
            units = pd.DataFrame(index=[0])
        return cls(filed=filed, closed=closed, klass=case_classes(cases), over12=over[12],
                   over18=over[18], unit=np.asarray(codes, dtype=np.int64), units=units,
                   as_of=as_of_day, first_filed=int(filed.min()) if len(filed) else as_of_day)

    @property
    def n_units(self) -> int:
        return len(self.units)

    def window(self, day: int, year: int, until: int | None = None) -> Window:
        """Counts of every unit for reference day ``day`` in ``year`` (day numbers). Closings
        of the stock and of later filings are counted up to ``until`` (default: the year end;
        an earlier day measures how fast a recent stock closed)."""
        ys = day_number(pd.Timestamp(year=year, month=1, day=1))
        ye = day_number(pd.Timestamp(year=year, month=12, day=31))
        horizon = ye if until is None else until
        n = self.n_units
        f, c, u = self.filed, self.closed, self.unit

        def count(mask: np.ndarray) -> np.ndarray:
            return np.bincount(u[mask], minlength=n).astype(np.int64)

        carried = count((f < ys) & (c >= ys))
        filed_ytd = count((f >= ys) & (f <= day))
        closed_ytd = count((c >= ys) & (c <= day))
        in_stock = (f <= day) & (c > day)
        age = day - f[in_stock]
        band = np.searchsorted(np.array(AGE_BANDS_DAYS), age, side="right") - 1
        cell = self.klass[in_stock] * N_BANDS + band
        part = np.where(self.over18[in_stock] <= ye, 2, np.where(self.over12[in_stock] <= ye, 1, 0))
        flat = (u[in_stock] * N_CELLS + cell) * 3 + part
        size = n * N_CELLS * 3
        stock = np.bincount(flat, minlength=size).reshape(n, N_CELLS, 3)
        done = c[in_stock] <= horizon
        stock_closed = np.bincount(flat[done], minlength=size).reshape(n, N_CELLS, 3)
        rest = (f > day) & (f <= horizon)
        over_now = {m: count(in_stock & (start <= day)) for m, start in ((12, self.over12), (18, self.over18))}
        return Window(day=day, year_start=ys, year_end=ye, carried_over=carried,
                      filed_ytd=filed_ytd, closed_ytd=closed_ytd, stock=stock,
                      filed_trailing=count((f > day - 365) & (f <= day)),
                      stock_closed=stock_closed, filed_rest=count(rest),
                      new_closed=count(rest & (c <= horizon)), complete=horizon <= self.as_of,
                      over_12m_now=over_now[12], over_18m_now=over_now[18])

    def covers(self, day: int, slack_days: int = 7) -> bool:
        """Whether the data hold every filing from ``day`` on (the first filing is no later
        than ``slack_days`` after it)."""
        return self.first_filed <= day + slack_days

    def year_covered(self, year: int, slack_days: int = 7) -> bool:
        """Whether the data cover all of ``year``'s filings (the first filing is no later
        than ``slack_days`` after 1 January: exports of real courts start on a working day)."""
        ys = day_number(pd.Timestamp(year=year, month=1, day=1))
        ye = day_number(pd.Timestamp(year=year, month=12, day=31))
        return self.first_filed <= ys + slack_days and ye <= self.as_of
