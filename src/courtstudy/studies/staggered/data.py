"""Case-level data of a staggered rollout: each case an observation in its unit's filing period.

A rollout study (a court starting fast-track teams, triage, pre-suit mediation ...) has *units*
(courts) that adopt on their own dates and *cases* filed in those units month after month. The
cases are repeated cross-sections: a case is observed once, in the period it was filed, so every
unit-period cell is a sample of cases and its sampling noise belongs in the standard error.

:func:`prepare_staggered_data` turns a case frame into :class:`StaggeredData`: integer unit and
period codes, the adoption period of each unit, outcome columns (NaN = not observed for that
case, e.g. an appeal outcome that is not yet mature) and a covariate matrix of what is known at
filing (categorical columns one-hot coded, numeric columns with a missing-value indicator).

Adoption period (the *cohort* ``G`` of a unit): the first period whose last day is on or after
the unit's adoption date, so the period before it is untouched by the reform (the convention of
:mod:`courtstudy.studies.fasttrack.panel`). Units adopting after the last period count as never
adopting within the data; units adopting in or before the first period have no pre-period and
are left out (and listed in :attr:`StaggeredData.always_treated`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

#: pandas period frequency of each time unit.
FREQUENCIES: dict[str, str] = {"month": "M", "quarter": "Q"}
#: Categorical levels rarer than this share of cases are pooled into one "other" level.
RARE_LEVEL_SHARE = 0.005
#: Code of "never adopts (within the data)" in :attr:`StaggeredData.cohort`.
NEVER = -1


@dataclass(frozen=True)
class StaggeredData:
    """Case-level arrays of a staggered rollout (see the module docstring).

    Cases are sorted by unit, then period, so that each unit-period *cell* is a contiguous slice.
    ``unit[i]`` indexes ``units``, ``period[i]`` indexes ``periods``; ``cohort[u]`` is the period
    index of unit ``u``'s adoption (:data:`NEVER` = never within the data); ``outcomes`` maps a
    name to a float array (NaN = not observed); ``covariates`` is ``n x k`` (``covariate_names``);
    ``case_index`` holds the original index labels of the frame, to map results back.
    """

    units: tuple[str, ...]
    periods: tuple[str, ...]
    period_unit: str
    unit: np.ndarray
    period: np.ndarray
    cohort: np.ndarray
    outcomes: dict[str, np.ndarray]
    covariates: np.ndarray
    covariate_names: tuple[str, ...]
    case_index: np.ndarray
    adoption_dates: tuple[pd.Timestamp | None, ...] = ()
    always_treated: tuple[str, ...] = ()
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_cases(self) -> int:
        return len(self.unit)

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    @property
    def cell(self) -> np.ndarray:
        """Cell code of each case: ``unit * n_periods + period``."""
        return self.unit * self.n_periods + self.period

    def cell_means(self, values: np.ndarray) -> np.ndarray:
        """Mean of a per-case ``values`` in each unit x period cell (U, T), over the cases where
        it is finite; NaN in a cell without any."""
        n_cells = self.n_units * self.n_periods
        ok = np.isfinite(values)
        total = np.bincount(self.cell[ok], values[ok], minlength=n_cells)
        count = np.bincount(self.cell[ok], minlength=n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (total / count).reshape(self.n_units, self.n_periods)

    def treated(self, cohort: np.ndarray | None = None) -> np.ndarray:
        """Whether each case was filed on or after its unit's adoption (under ``cohort``, by
        default the observed one)."""
        g = self.cohort if cohort is None else np.asarray(cohort)
        gi = g[self.unit]
        return (gi != NEVER) & (self.period >= gi)

    def cohort_table(self) -> pd.DataFrame:
        """One row per unit: unit, cohort (period index, -1 never), cohort_period (label or ""),
        adoption_date, n_cases."""
        counts = np.bincount(self.unit, minlength=self.n_units)
        return pd.DataFrame({
            "unit": list(self.units),
            "cohort": self.cohort.astype(int),
            "cohort_period": [self.periods[g] if g != NEVER else "" for g in self.cohort],
            "adoption_date": list(self.adoption_dates) if self.adoption_dates else [None] * self.n_units,
            "n_cases": counts,
        })

    def n_cohorts(self) -> int:
        """Number of distinct adoption periods within the data."""
        return len(np.unique(self.cohort[self.cohort != NEVER]))

    def with_outcomes(self, outcomes: Mapping[str, np.ndarray]) -> StaggeredData:
        """The same data with other (or more) outcome arrays, aligned with the cases."""
        merged = dict(self.outcomes)
        for name, values in outcomes.items():
            values = np.asarray(values, dtype=float)
            if values.shape != (self.n_cases,):
                raise ValueError(f"outcome {name!r}: expected {self.n_cases} values, got {values.shape}")
            merged[name] = values
        return replace(self, outcomes=merged)


def _period_codes(dates: pd.Series, freq: str) -> pd.PeriodIndex:
    return pd.PeriodIndex(pd.to_datetime(dates), freq=freq)


def _adoption_by_unit(cases: pd.DataFrame, unit: str,
                      adoption: Mapping[str, object] | pd.Series | str) -> pd.Series:
    if isinstance(adoption, str):
        if adoption not in cases.columns:
            raise ValueError(f"cases: adoption column {adoption!r} missing; have {list(cases.columns)}")
        per_unit = {}
        for name, values in cases.groupby(cases[unit].astype(str))[adoption]:
            dates = pd.to_datetime(values).dropna().unique()
            if len(dates) > 1:
                raise ValueError(f"cases: unit {name!r} has {len(dates)} different adoption dates in "
                                 f"column {adoption!r}; expected one per unit")
            per_unit[name] = pd.Timestamp(dates[0]) if len(dates) else pd.NaT
        return pd.Series(per_unit, dtype="datetime64[s]")
    series = pd.Series(adoption) if not isinstance(adoption, pd.Series) else adoption
    series.index = series.index.astype(str)
    return pd.to_datetime(series).astype("datetime64[s]")


def _covariate_matrix(frame: pd.DataFrame, names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """One-hot categorical columns (most frequent level left out, rare levels pooled), numeric
    columns as they are with missing values set to the mean and a missing indicator added."""
    blocks: list[np.ndarray] = []
    labels: list[str] = []
    n = len(frame)
    for name in names:
        if name not in frame.columns:
            raise ValueError(f"cases: covariate column {name!r} missing; have {list(frame.columns)}")
        col = frame[name]
        if (pd.api.types.is_bool_dtype(col) or pd.api.types.is_object_dtype(col)
                or isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(col)):
            text = col.astype("string").fillna("<NA>")
            share = text.value_counts(normalize=True)
            rare = share.index[share < RARE_LEVEL_SHARE]
            text = text.where(~text.isin(rare), "<other>")
            levels = text.value_counts().index.tolist()
            for level in levels[1:]:
                blocks.append((text == level).to_numpy(float))
                labels.append(f"{name}={level}")
        else:
            values = pd.to_numeric(col, errors="coerce").to_numpy(float)
            missing = ~np.isfinite(values)
            if missing.all():
                continue
            fill = values[~missing].mean()
            blocks.append(np.where(missing, fill, values))
            labels.append(name)
            if missing.any():
                blocks.append(missing.astype(float))
                labels.append(f"{name}_missing")
    if not blocks:
        return np.zeros((n, 0)), []
    matrix = np.column_stack(blocks)
    keep = matrix.std(axis=0) > 0
    return matrix[:, keep], [lab for lab, k in zip(labels, keep, strict=True) if k]


def prepare_staggered_data(
    cases: pd.DataFrame,
    *,
    unit: str = "court",
    time: str = "filed_date",
    adoption: Mapping[str, object] | pd.Series | str,
    outcomes: Sequence[str],
    covariates: Sequence[str] = (),
    period: str = "month",
    start: str | pd.Timestamp | pd.Period | None = None,
    end: str | pd.Timestamp | pd.Period | None = None,
) -> StaggeredData:
    """Case-level arrays for staggered difference in differences (module docstring).

    ``cases``: one row per case with the ``unit`` column (e.g. court), the ``time`` column (the
    filing date) and the ``outcomes`` and ``covariates`` columns. ``adoption``: each unit's
    adoption date, as a mapping / Series unit -> date (missing or NaT = never) or the name of a
    column holding it on every case. ``period``: "month" or "quarter". ``start`` / ``end``:
    first and last period kept (default: all periods with cases). Cases outside, and units
    adopting in or before the first period, are left out and counted in ``notes``.
    """
    if period not in FREQUENCIES:
        raise ValueError(f"period must be one of {tuple(FREQUENCIES)}, got {period!r}")
    for col in (unit, time, *outcomes):
        if col not in cases.columns:
            raise ValueError(f"cases: column {col!r} missing; have {list(cases.columns)}")
    if not outcomes:
        raise ValueError("give at least one outcome column")
    freq = FREQUENCIES[period]
    dates = pd.to_datetime(cases[time])
    if dates.isna().any():
        first_bad = cases.index[dates.isna().to_numpy()][0]
        raise ValueError(f"cases: {int(dates.isna().sum())} row(s) without {time} (first at index "
                         f"{first_bad!r}); every case needs its filing date")
    periods = _period_codes(dates, freq)
    first = pd.Period(start, freq) if start is not None else periods.min()
    last = pd.Period(end, freq) if end is not None else periods.max()
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    in_window = (periods >= first) & (periods <= last)
    all_periods = pd.period_range(first, last, freq=freq)
    unit_names = cases[unit].astype(str)
    starts = _adoption_by_unit(cases, unit, adoption)
    names = sorted(unit_names[in_window].unique())
    missing = [u for u in names if u not in starts.index]
    if missing and not isinstance(adoption, str):
        raise ValueError("adoption: no date (or empty = never) for unit(s) " + ", ".join(missing)
                         + "; give every unit, with NaT for units that never adopt")
    starts = starts.reindex(names)

    cohort_of: dict[str, int] = {}
    always: list[str] = []
    for name in names:
        date = starts.get(name)
        if pd.isna(date):
            cohort_of[name] = NEVER
            continue
        p = pd.Period(pd.Timestamp(date), freq)
        if p <= first:
            always.append(name)
        elif p > last:
            cohort_of[name] = NEVER
        else:
            cohort_of[name] = int((p - first).n)
    kept_units = [u for u in names if u not in always]
    keep = in_window & unit_names.isin(kept_units).to_numpy()
    notes: dict[str, list[str]] = {"zh": [], "en": []}
    n_out = int((~in_window).sum())
    if n_out:
        notes["zh"].append(f"{n_out}件案件的立案期间不在{first}至{last}之内，未纳入。")
        notes["en"].append(f"{n_out} cases filed outside {first} to {last} left out.")
    if always:
        n_always = int((in_window & unit_names.isin(always).to_numpy()).sum())
        notes["zh"].append(f"首期之前已实施、没有实施前期间的法院（{'、'.join(always)}，{n_always}件）未纳入。")
        notes["en"].append(f"Units adopting in or before the first period (no pre-period): "
                           f"{', '.join(always)} ({n_always} cases) left out.")
    if not kept_units:
        raise ValueError("no unit left with a period before its adoption")

    frame = cases.loc[keep]
    unit_code = pd.Categorical(unit_names[keep], categories=kept_units).codes.astype(np.int64)
    # period ordinals are consecutive integers for a fixed frequency
    period_code = (periods.asi8[keep] - first.ordinal).astype(np.int64)
    order = np.lexsort((period_code, unit_code))
    out_outcomes = {}
    for name in outcomes:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        out_outcomes[name] = values[order]
    x, x_names = _covariate_matrix(frame, covariates)
    cohort = np.array([cohort_of[u] for u in kept_units], dtype=np.int64)
    return StaggeredData(
        units=tuple(kept_units),
        periods=tuple(str(p) for p in all_periods),
        period_unit=period,
        unit=unit_code[order],
        period=period_code[order],
        cohort=cohort,
        outcomes=out_outcomes,
        covariates=x[order] if x.shape[1] else np.zeros((len(order), 0)),
        covariate_names=tuple(x_names),
        case_index=frame.index.to_numpy()[order],
        adoption_dates=tuple(None if pd.isna(starts[u]) else pd.Timestamp(starts[u]) for u in kept_units),
        always_treated=tuple(always),
        notes=notes,
    )
