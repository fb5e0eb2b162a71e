"""Deadline watch (审限预警): pending cases near or past their statutory deadline.

For a day ``d`` (the as-of date of a bulletin), every case pending at the end of ``d`` gets its
deadline by the one rule of :func:`courtstudy.core.limits.deadlines` (statutory months by
procedure, instance, case type and *filing date*, so the 2022 amendment applies to cases filed
from 2022-01-01; plus extension and suspended days as recorded on ``d``), and::

    days_left = deadline - d        (0 = due today)

Status: ``overdue`` (days_left < 0), ``due_7`` (0-7 days), ``due_15`` (8-15), ``due_30``
(16-30), ``later`` (over 30) and ``no_limit`` (no row of the limits table applies, e.g.
enforcement or criminal cases with the shipped table: listed, never guessed). The summary counts
"due within 7 / 15 / 30 days" cumulatively, as court bulletins do.

``can_extend``: the procedure allows an extension, the case has used less than its maximum
(``max_extension_months`` of the limits table, the same matching as the deadline) and the
deadline has not passed (an extension is approved before it); a case due soon that cannot be
extended needs closing, or a deduction with grounds.

Case lists name judges: internal editions only (the notebook context withholds them from public
editions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from courtstudy.core import limits
from courtstudy.core.calendar import add_calendar_months
from courtstudy.monitoring.snapshot import as_known_at

#: Horizons (days) of the watch.
HORIZONS: tuple[int, ...] = (7, 15, 30)
STATUSES: tuple[str, ...] = ("overdue", "due_7", "due_15", "due_30", "later", "no_limit")
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "overdue": ("已超审限", "Overdue"), "due_7": ("7日内到期", "Due within 7 days"),
    "due_15": ("8-15日内到期", "Due in 8-15 days"), "due_30": ("16-30日内到期", "Due in 16-30 days"),
    "later": ("30日后到期", "Due after 30 days"), "no_limit": ("无适用审限", "No statutory limit"),
}
SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    "pending": ("未结", "Pending"), "with_limit": ("有审限", "With a limit"),
    "overdue": STATUS_LABELS["overdue"], "within_7": ("7日内到期", "Due within 7 days"),
    "within_15": ("15日内到期", "Due within 15 days"), "within_30": ("30日内到期", "Due within 30 days"),
    "no_limit": STATUS_LABELS["no_limit"],
}


def max_extension_months(cases: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.Series:
    """The maximum extension (months) the limits table allows each case (NaN where no row
    applies): the table's ``max_extension_months``, matched exactly as
    :func:`courtstudy.core.limits.limit_terms` matches the limit itself."""
    terms = limits.limit_terms(cases["procedure"], cases["filed_date"], cases.get("instance"),
                               table, cases.get("case_type"))
    return terms["max_extension_months"]


def base_deadlines(cases: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.Series:
    """The deadline without extension and deduction (statutory months only), by the same rule."""
    return limits.deadlines(cases.assign(extension_days=0, suspended_days=0), table)


def deadline_status(cases: pd.DataFrame, as_of: pd.Timestamp | str, *,
                    table: pd.DataFrame | None = None, rewind: bool = True) -> pd.DataFrame:
    """The cases pending at the end of ``as_of`` with ``deadline``, ``days_left``, ``status``,
    ``limit_months``, ``max_extension_months``, ``can_extend`` (see the module docstring).

    ``rewind``: first cut the data back to what was known on ``as_of``
    (:func:`courtstudy.monitoring.snapshot.as_known_at`), for a day before the export's date."""
    as_of = pd.Timestamp(as_of).normalize()
    known = as_known_at(cases, as_of, table) if rewind else cases
    pending = known.loc[known["closed_date"].isna() | (known["closed_date"] > as_of)].copy()
    pending["deadline"] = limits.deadlines(pending, table)
    days = (pending["deadline"] - as_of).dt.days
    pending["days_left"] = days.astype("Int64")
    values = days.to_numpy(dtype=float, na_value=np.nan)
    status = np.select(
        [np.isnan(values), values < 0, values <= 7, values <= 15, values <= 30],
        ["no_limit", "overdue", "due_7", "due_15", "due_30"], default="later")
    pending["status"] = pd.Categorical(status, categories=list(STATUSES))
    terms = limits.limit_terms(pending["procedure"], pending["filed_date"], pending.get("instance"),
                               table, pending.get("case_type"))
    pending["limit_months"] = terms["limit_months"]
    pending["max_extension_months"] = max_extension_months(pending, table)
    used = pd.to_numeric(pending["extension_days"], errors="coerce").fillna(0)
    allowed = add_calendar_months(base_deadlines(pending, table),
                                         pending["max_extension_months"].fillna(0))
    allowed_days = (allowed - base_deadlines(pending, table)).dt.days
    # An extension must be approved before the deadline: an overdue case can no longer get one.
    pending["can_extend"] = ((pending["max_extension_months"].fillna(0) > 0) & (used < allowed_days)
                             & (days >= 0)).fillna(False).astype(bool)
    return pending


@dataclass
class DeadlineWatch:
    """What :func:`deadline_watch` returns: ``summary`` (one row per group: ``pending``,
    ``with_limit``, ``overdue``, ``within_7``, ``within_15``, ``within_30``, ``no_limit``),
    ``cases`` (overdue and due within the longest horizon, most urgent first: a case list)
    and ``as_of``."""

    as_of: pd.Timestamp
    by: list[str]
    summary: pd.DataFrame
    cases: pd.DataFrame


#: Columns of the case list, in order.
CASE_COLUMNS: tuple[str, ...] = ("case_id", "court", "team", "judge", "cause", "procedure",
                                 "filed_date", "deadline", "days_left", "status",
                                 "extension_days", "suspended_days", "can_extend")


def deadline_watch(cases: pd.DataFrame, as_of: pd.Timestamp | str, by: str | Sequence[str] = ("court",),
                   *, horizons: Sequence[int] = HORIZONS, table: pd.DataFrame | None = None,
                   rewind: bool = True) -> DeadlineWatch:
    """Counts by group and the list of cases overdue or due within ``max(horizons)`` days on
    ``as_of`` (see the module docstring). Groups: any of court, team, judge ... (``[]``: one
    row for everything); a missing group value is shown as ``(missing)``."""
    by = [by] if isinstance(by, str) else list(by)
    as_of = pd.Timestamp(as_of).normalize()
    status = deadline_status(cases, as_of, table=table, rewind=rewind)
    days = status["days_left"].to_numpy(dtype=float, na_value=np.nan)
    flags = pd.DataFrame({
        "pending": 1, "with_limit": ~np.isnan(days), "overdue": days < 0,
        **{f"within_{h}": (days >= 0) & (days <= h) for h in horizons},
        "no_limit": np.isnan(days)}, index=status.index).astype("int64")
    if by:
        keys = status[by].astype("string").fillna("(missing)")
        summary = flags.groupby([keys[c] for c in by]).sum().reset_index()
    else:
        summary = flags.sum().to_frame().T
    # positions, not the caller's labels: an index named case_id would make the sort ambiguous
    urgent = status[(days < 0) | (days <= max(horizons))].reset_index(drop=True)
    urgent = urgent.sort_values(["days_left", "case_id"], kind="stable")
    columns = [c for c in CASE_COLUMNS if c in urgent]
    case_list = urgent[columns].reset_index(drop=True)
    return DeadlineWatch(as_of=as_of, by=by, summary=summary, cases=case_list)


def labelled_cases(case_list: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The case list for readers: dates as ISO text, codes as labels, headers in ``lang``."""
    from courtstudy.core import schema

    out = case_list.copy()
    for column in ("filed_date", "deadline"):
        if column in out:
            out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    if "procedure" in out:
        out["procedure"] = out["procedure"].map(
            lambda c: schema.label("procedure", c, lang) if pd.notna(c) else c)
    if "status" in out:
        out["status"] = out["status"].astype(str).map(
            lambda s: STATUS_LABELS[s][0 if lang == "zh" else 1])
    if "can_extend" in out:
        out["can_extend"] = out["can_extend"].map(
            {True: "可延长" if lang == "zh" else "Yes", False: "不可延长" if lang == "zh" else "No"})
    extra = {"deadline": ("审限届满日", "Deadline"), "days_left": ("剩余天数", "Days left"),
             "status": ("状态", "Status"), "can_extend": ("可否延长", "Can be extended")}
    names = {c: (extra[c][0 if lang == "zh" else 1] if c in extra else schema.column_label(c, lang))
             for c in out.columns}
    return out.rename(columns=names)


def urgent(case_list: pd.DataFrame, horizon: str = "due_7") -> pd.DataFrame:
    """The cases a bulletin lists: due within 7 days (soonest first), then overdue (the most
    recently overdue first: the deadline just missed is the one a meeting can still act on)."""
    status = case_list["status"].astype(str)
    soon = case_list[status == horizon].sort_values(["days_left", "case_id"], kind="stable")
    late = case_list[status == "overdue"].sort_values(["days_left", "case_id"], ascending=[False, True],
                                                      kind="stable")
    return pd.concat([soon, late]).reset_index(drop=True)
