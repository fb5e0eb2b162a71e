"""The cases as an export taken on an earlier day would have shown them.

Projections are backtested, and bulletins compare this week with last week, from one export
taken later. :func:`as_known_at` rewinds a canonical cases frame to a date ``d``:

* cases filed after ``d`` are left out;
* a closing after ``d`` is not yet known: ``closed_date``, ``disposition`` and the appeal and
  retrial fields become empty (the case is pending on ``d``);
* an appeal filed after ``d`` is unknown (``appealed`` False for a case closed by ``d``); an
  appeal decided after ``d`` has no result yet;
* ``suspended_days`` of a case pending on ``d`` are at most the days elapsed since filing (a
  deduction cannot run ahead of the calendar);
* ``extension_days`` of a case pending on ``d`` count only once the deadline without the
  extension has passed: the law requires an extension to be approved before that deadline,
  and exports carry no approval date (the synthetic court follows the same rule).

The engine's indicators apply the same cut for closings and appeals themselves
(:func:`courtstudy.indicators.engine.prepare_cases`); this function is for the monitoring code,
which works on case lists rather than aggregates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from courtstudy.core import limits

#: Fields that only exist once a case is closed.
_CLOSING_FIELDS: tuple[str, ...] = ("disposition", "appeal_result")
_CLOSING_DATES: tuple[str, ...] = ("appeal_filed_date", "appeal_closed_date")


def as_known_at(cases: pd.DataFrame, as_of: pd.Timestamp | str,
                table: pd.DataFrame | None = None) -> pd.DataFrame:
    """``cases`` as known on ``as_of`` (see the module docstring); the index is kept.

    ``table`` is a statutory-limits table (:func:`courtstudy.core.limits.statutory_limits`).
    """
    as_of = pd.Timestamp(as_of).normalize()
    out = cases.loc[pd.to_datetime(cases["filed_date"]) <= as_of].copy()
    closed = pd.to_datetime(out["closed_date"])
    later = closed > as_of
    pending = closed.isna() | later
    if later.any():
        out.loc[later, "closed_date"] = pd.NaT
        for column in _CLOSING_FIELDS:
            if column in out:
                out.loc[later, column] = pd.NA
        for column in _CLOSING_DATES:
            if column in out:
                out.loc[later, column] = pd.NaT
        for column in ("appealed", "retrial_petition"):
            if column in out:
                out.loc[later, column] = pd.NA
    if "appeal_filed_date" in out:
        appeal_later = pd.to_datetime(out["appeal_filed_date"]) > as_of
        if appeal_later.any():
            out.loc[appeal_later, "appeal_filed_date"] = pd.NaT
            out.loc[appeal_later, "appealed"] = False
            for column in ("appeal_result", "appeal_closed_date"):
                if column in out:
                    out.loc[appeal_later, column] = pd.NA if column == "appeal_result" else pd.NaT
    if "appeal_closed_date" in out:
        decided_later = pd.to_datetime(out["appeal_closed_date"]) > as_of
        if decided_later.any():
            out.loc[decided_later, "appeal_closed_date"] = pd.NaT
            out.loc[decided_later, "appeal_result"] = pd.NA
    if pending.any():
        elapsed = (as_of - pd.to_datetime(out["filed_date"])).dt.days
        if "suspended_days" in out:
            suspended = pd.to_numeric(out["suspended_days"], errors="coerce")
            capped = np.minimum(suspended, elapsed)
            out["suspended_days"] = suspended.where(~pending, capped).astype(out["suspended_days"].dtype)
        if "extension_days" in out:
            base = limits.deadlines(out.assign(extension_days=0), table)
            unknown = pending & ~(base <= as_of) & (pd.to_numeric(out["extension_days"],
                                                                 errors="coerce").fillna(0) > 0)
            if unknown.any():
                out.loc[unknown, "extension_days"] = 0
    return out
