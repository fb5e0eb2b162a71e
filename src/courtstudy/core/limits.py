"""Statutory time limits (审限) and small-claims thresholds, as tables users can extend.

Time limits follow the Civil Procedure Law as amended in 2021 (in force 2022-01-01), chosen by
the *filing date*: a simplified case filed in 2021 has 3 months and no extension; one filed in
2022 has 3 months plus up to 1 month; small claims have 2 months (+1) from 2022.

The deadline of a case is (calendar months by :mod:`courtstudy.core.calendar`)::

    deadline = filed_date + limit_months (calendar months, clipped to month end)
               + limit_days + extension_days + suspended_days

and a case closes within the limit when ``closed_date <= deadline`` (domain.md section 2).
Rows are keyed by case type, procedure, instance and filing-date range. The shipped table holds
civil limits only; a criminal case under 速裁 or 简易 gets no deadline rather than the civil one.
A frame without a ``case_type`` column is taken as civil; a case with no case type, no procedure,
or a case type/procedure/instance/date with no row in the table gets no deadline (missing, never
a guess).

The small-claims threshold is a province-year table (domain.md section 3); the shipped table
holds the one published figure in domain.md and the synthetic demo province.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from courtstudy.core.calendar import (
    MISSING_DAY,
    add_calendar_months,
    day_number,
    day_numbers,
)
from courtstudy.core.paths import PACKAGE_DIR

__all__ = ["LimitRule", "add_calendar_months", "deadlines", "limit_rules", "limit_terms",
           "small_claims_thresholds", "statutory_limits", "threshold_for"]

_REFERENCE = PACKAGE_DIR / "core" / "reference"


def statutory_limits(extra: pd.DataFrame | str | Path | None = None) -> pd.DataFrame:
    """The limits table: case_type, procedure, instance, valid_from, valid_to (filing dates, inclusive),
    limit_months, limit_days, max_extension_months, source. ``extra`` rows (same columns, a
    frame or a CSV path) are appended and win over shipped rows for the same key and dates."""
    table = pd.read_csv(_REFERENCE / "statutory_limits.csv", encoding="utf-8",
                        parse_dates=["valid_from", "valid_to"],
                        dtype={"case_type": "string", "procedure": "string", "instance": "string"})
    if extra is not None:
        more = extra if isinstance(extra, pd.DataFrame) else pd.read_csv(extra, encoding="utf-8-sig")
        more = more.assign(valid_from=pd.to_datetime(more["valid_from"]),
                           valid_to=pd.to_datetime(more.get("valid_to")))
        if "case_type" not in more:
            more = more.assign(case_type="civil")
        table = pd.concat([more, table], ignore_index=True)
    table["valid_to"] = table["valid_to"].fillna(pd.Timestamp("2262-01-01"))
    return table


def small_claims_thresholds(extra: pd.DataFrame | str | Path | None = None) -> pd.DataFrame:
    """Province-year small-claims thresholds in yuan (``threshold_yuan``; ``by_agreement_yuan``).
    ``extra`` rows are added and replace shipped rows for the same province and year."""
    table = pd.read_csv(_REFERENCE / "small_claims_thresholds.csv", encoding="utf-8",
                        dtype={"province": "string"})
    if extra is not None:
        more = extra if isinstance(extra, pd.DataFrame) else pd.read_csv(extra, encoding="utf-8-sig")
        table = pd.concat([more, table], ignore_index=True).drop_duplicates(["province", "year"])
    return table.sort_values(["province", "year"]).reset_index(drop=True)


def threshold_for(province: str, year: int, table: pd.DataFrame | None = None) -> float:
    """The small-claims threshold (yuan) of a province and year; ``KeyError`` naming both if absent."""
    table = small_claims_thresholds() if table is None else table
    row = table[(table["province"] == province) & (table["year"] == year)]
    if row.empty:
        raise KeyError(f"no small-claims threshold for province {province!r}, year {year}: "
                       "add a row with small_claims_thresholds(extra=...)")
    return float(row["threshold_yuan"].iloc[0])


@dataclass(frozen=True)
class LimitRule:
    """One usable row of the limits table: the cases it covers (case type, procedure, instance,
    first and last filing day as day numbers) and the limit it gives (``months`` calendar months
    plus ``days``; None when the row gives no limit)."""

    case_type: str
    procedure: str
    instance: str
    first_day: int
    last_day: int
    months: int | None
    days: float | None
    max_extension_months: float | None


def limit_rules(table: pd.DataFrame | None = None) -> list[LimitRule]:
    """The rows of a limits table in priority order (earlier rows win: user rows come first,
    see :func:`statutory_limits`). A row without a full key matches no case and is left out.
    Every consumer (:func:`limit_terms`, the indicators engine, the simulator) resolves limits
    through this list."""
    table = statutory_limits() if table is None else table
    rules = []
    for row in table.itertuples(index=False):
        key = (getattr(row, "case_type", "civil"), row.procedure, row.instance)
        if any(pd.isna(v) for v in key) or pd.isna(row.valid_from) or pd.isna(row.valid_to):
            continue
        no_limit = pd.isna(row.limit_months) or pd.isna(row.limit_days)
        ext = getattr(row, "max_extension_months", None)
        rules.append(LimitRule(str(key[0]), str(key[1]), str(key[2]), day_number(row.valid_from),
                               day_number(row.valid_to), None if no_limit else int(row.limit_months),
                               None if no_limit else float(row.limit_days),
                               None if ext is None or pd.isna(ext) else float(ext)))
    return rules


def limit_terms(procedure: pd.Series, filed_date: pd.Series, instance: pd.Series | None = None,
                table: pd.DataFrame | None = None, case_type: pd.Series | None = None) -> pd.DataFrame:
    """For each case, the ``limit_months``, ``limit_days`` and ``max_extension_months`` that
    apply (NaN when none does). Missing ``instance`` means first instance; ``case_type=None``
    means every case is civil; a missing case type or procedure gets no limit."""
    procedure = pd.Series(procedure)
    n = len(procedure)
    inst = (instance if instance is not None else pd.Series("first", index=procedure.index)).fillna("first")
    ctype = (case_type if case_type is not None else pd.Series("civil", index=procedure.index))
    kind = pd.Series(ctype).astype("string").to_numpy(dtype=object, na_value=None)
    proc = procedure.astype("string").to_numpy(dtype=object, na_value=None)
    ins = pd.Series(inst).astype("string").to_numpy(dtype=object, na_value=None)
    filed = day_numbers(filed_date)
    known = filed != MISSING_DAY
    out = {c: np.full(n, np.nan) for c in ("limit_months", "limit_days", "max_extension_months")}
    for rule in reversed(limit_rules(table)):  # earlier rules win: applied last
        hit = (known & (kind == rule.case_type) & (proc == rule.procedure) & (ins == rule.instance)
               & (filed >= rule.first_day) & (filed <= rule.last_day))
        out["limit_months"][hit] = np.nan if rule.months is None else rule.months
        out["limit_days"][hit] = np.nan if rule.days is None else rule.days
        out["max_extension_months"][hit] = (np.nan if rule.max_extension_months is None
                                            else rule.max_extension_months)
    return pd.DataFrame(out, index=procedure.index)


def deadlines(cases: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.Series:
    """Statutory deadline of each case (see the module docstring); NaT where no limit applies.

    Extension and suspended days that are missing count as zero.
    """
    terms = limit_terms(cases["procedure"], cases["filed_date"],
                        cases.get("instance"), table,
                        cases.get("case_type"))
    base = add_calendar_months(cases["filed_date"], terms["limit_months"])
    extra = (terms["limit_days"].fillna(0)
             + pd.to_numeric(cases.get("extension_days"), errors="coerce").fillna(0).to_numpy()
             + pd.to_numeric(cases.get("suspended_days"), errors="coerce").fillna(0).to_numpy())
    return (base + pd.to_timedelta(extra, unit="D")).astype("datetime64[s]")
