"""The daily and weekly bulletin (日通报、周例会): one page on what came in, what went out,
what is due and what is stuck.

For a period P (an ISO week ``2023-W47``, a day ``2023-11-22``, or any other period) and the
period before it of the same length (:meth:`courtstudy.core.periods.Period.shift` ``"pop"``),
per group (court by default):

* ``filed``, ``closed`` in P and ``pending`` at its end, by the indicator engine's definitions
  (domain.md section 1), with ``pending_previous`` at the end of the period before;
* the deadline watch at the end of P (:mod:`courtstudy.monitoring.deadlines`): ``overdue``,
  due ``within_7``, ``within_15``, ``within_30`` days;
* long-pending changes: ``over_12m`` / ``over_18m`` at the end of P against the end of the
  period before, with what moved: ``entered`` (crossed the age during P and still pending)
  and ``left`` (over the age at the previous end and closed during P), so that
  ``now = previous + entered - left``.

Everything is as known at the end of P (or the export's as-of date, if earlier): a bulletin for
an old week made from a newer export shows what the meeting would have seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from courtstudy.core.calendar import add_calendar_months
from courtstudy.core.periods import Period, parse_period
from courtstudy.monitoring.deadlines import HORIZONS, SUMMARY_LABELS, DeadlineWatch, deadline_watch
from courtstudy.monitoring.snapshot import as_known_at

#: Display labels of the bulletin's columns (zh, en).
LABELS: dict[str, tuple[str, str]] = {
    "filed": ("新收", "Filed"), "closed": ("结案", "Closed"), "pending": SUMMARY_LABELS["pending"],
    "pending_previous": ("上期末未结", "Pending at the previous end"),
    "pending_change": ("未结增减", "Change in pending"),
    # the deadline watch's own columns, in its words
    **{name: SUMMARY_LABELS[name] for name in ("overdue", "within_7", "within_15", "within_30")},
    "over_12m": ("超12个月未结", "Pending over 12 months"),
    "over_12m_previous": ("上期末超12个月", "Over 12 months at the previous end"),
    "over_12m_entered": ("新增超12个月", "Newly over 12 months"),
    "over_12m_left": ("超12个月结案", "Over 12 months, closed"),
    "over_18m": ("长期未结（18个月）", "Pending over 18 months"),
    "over_18m_previous": ("上期末长期未结", "Over 18 months at the previous end"),
    "over_18m_entered": ("新增长期未结", "Newly over 18 months"),
    "over_18m_left": ("长期未结结案", "Over 18 months, closed"),
}


@dataclass
class Bulletin:
    """What :func:`bulletin` returns: ``table`` (one row per group, columns of :data:`LABELS`),
    ``totals`` (the same summed over groups), ``watch`` (the deadline watch at the end of the
    period, with its case list), ``period``, ``previous`` and ``as_of``."""

    period: Period
    previous: Period
    as_of: pd.Timestamp
    by: list[str]
    table: pd.DataFrame
    totals: pd.Series
    watch: DeadlineWatch

    def labelled(self, lang: str = "zh") -> pd.DataFrame:
        """The table with headers in ``lang``."""
        return self.labelled_frame(self.table, lang)

    def labelled_columns(self, columns: list[str], lang: str = "zh", total: bool = False) -> pd.DataFrame:
        """Some columns of the table (group columns keep their canonical names, which the
        report's tables label), headers in ``lang``; ``total``: a last row with the totals
        (全院合计), as a court bulletin ends."""
        frame = self.table[[c for c in columns if c in self.table]]
        if total and self.by and len(frame):
            row = {c: self.totals[c] for c in frame.columns if c in self.totals.index}
            row[self.by[0]] = "全院合计" if lang == "zh" else "All courts"
            frame = pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
        return self.labelled_frame(frame, lang)

    @staticmethod
    def labelled_frame(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
        """``frame`` with the bulletin's and the deadline watch's columns named in ``lang``."""
        from courtstudy.monitoring.deadlines import SUMMARY_LABELS

        names = {k: v[0 if lang == "zh" else 1] for k, v in {**SUMMARY_LABELS, **LABELS}.items()}
        return frame.rename(columns=names)

    def headline(self, lang: str = "zh") -> str:
        """One sentence with the totals, computed from them."""
        t = self.totals
        change = int(t["pending_change"])
        if lang == "zh":
            trend = f"增加 {change:,} 件" if change > 0 else (f"减少 {-change:,} 件" if change < 0 else "持平")
            return (f"{self.period.label}（{self.period.start.date()} 至 {self.period.end.date()}）新收 "
                    f"{int(t['filed']):,} 件、结案 {int(t['closed']):,} 件，期末未结 {int(t['pending']):,} 件"
                    f"（较上期末{trend}）；已超审限 {int(t['overdue']):,} 件，7 日内到期 "
                    f"{int(t['within_7']):,} 件；长期未结（18个月）{int(t['over_18m']):,} 件，本期新增 "
                    f"{int(t['over_18m_entered']):,} 件、结案 {int(t['over_18m_left']):,} 件。")
        trend = (f"up {change:,}" if change > 0 else (f"down {-change:,}" if change < 0 else "unchanged"))
        return (f"{self.period.label} ({self.period.start.date()} to {self.period.end.date()}): "
                f"{int(t['filed']):,} filed, {int(t['closed']):,} closed, {int(t['pending']):,} pending "
                f"at the end ({trend} on the previous end); {int(t['overdue']):,} overdue, "
                f"{int(t['within_7']):,} due within 7 days; {int(t['over_18m']):,} pending over 18 "
                f"months ({int(t['over_18m_entered']):,} new, {int(t['over_18m_left']):,} closed).")


def _long_pending_moves(cases: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                        months: int, keys: pd.DataFrame) -> pd.DataFrame:
    """Per group: over ``months`` at ``end``, at the day before ``start``, entered, left."""
    prev_end = start - pd.Timedelta(days=1)
    filed = pd.to_datetime(cases["filed_date"])
    closed = pd.to_datetime(cases["closed_date"])
    # Over X months at the end of day E: filed + X calendar months < E (the engine's rule).
    aged = add_calendar_months(filed, months)

    def over_at(day: pd.Timestamp) -> pd.Series:
        return (filed <= day) & (closed.isna() | (closed > day)) & (aged < day)

    now, before = over_at(end), over_at(prev_end)
    left = before & closed.notna() & (closed >= start) & (closed <= end)
    entered = now & ~before
    frame = pd.DataFrame({f"over_{months}m": now, f"over_{months}m_previous": before,
                          f"over_{months}m_entered": entered, f"over_{months}m_left": left}).astype("int64")
    return frame.groupby([keys[c] for c in keys.columns]).sum() if len(keys.columns) else frame.sum().to_frame().T


def bulletin(cases: pd.DataFrame, period: str | Period, *, as_of: pd.Timestamp | str | None = None,
             by: str | Sequence[str] = ("court",), courts: pd.DataFrame | None = None,
             horizons: Sequence[int] = HORIZONS, table: pd.DataFrame | None = None) -> Bulletin:
    """The bulletin of ``period`` by ``by`` (see the module docstring). ``as_of``: the export's
    date (default: the latest date in the data); the bulletin uses what was known at the end
    of the period, or at ``as_of`` if that is earlier."""
    from courtstudy.indicators import IndicatorEngine, default_as_of

    by = [by] if isinstance(by, str) else list(by)
    period = parse_period(period)
    previous = period.shift("pop")
    as_of = default_as_of(cases) if as_of is None else pd.Timestamp(as_of).normalize()
    known_at = min(period.end, as_of)
    known = as_known_at(cases, known_at, table)
    engine = IndicatorEngine(known, courts=courts, as_of=known_at, limits=table)
    long = engine.compute(by=by, period=[previous, period], indicators=["filed", "closed", "pending"])
    wide = long.pivot_table(index=[*by, "period"], columns="indicator", values="value",
                            aggfunc="first").reset_index() if by else \
        long.pivot_table(index="period", columns="indicator", values="value", aggfunc="first").reset_index()
    this = wide[wide["period"] == period.label].drop(columns="period")
    before = wide[wide["period"] == previous.label].drop(columns="period")
    if by:
        this = this.set_index(by)
        before = before.set_index(by)
    else:
        this = this.reset_index(drop=True)
        before = before.reset_index(drop=True)
    table_ = this[["filed", "closed", "pending"]].copy()
    table_.columns.name = None
    table_["pending_previous"] = before["pending"].reindex(table_.index).fillna(0)
    table_["pending_change"] = table_["pending"] - table_["pending_previous"]
    watch = deadline_watch(known, known_at, by=by, horizons=horizons, table=table, rewind=False)
    summary = watch.summary.set_index(by) if by else watch.summary
    for column in ["overdue", *[f"within_{h}" for h in horizons]]:
        table_[column] = summary[column].reindex(table_.index).fillna(0) if by else summary[column].iloc[0]
    keys = known[by].astype("string").fillna("(missing)") if by else pd.DataFrame(index=known.index)
    for months in (12, 18):
        moves = _long_pending_moves(known, period.start, known_at, months, keys)
        moves.index.names = by if by else moves.index.names
        for column in moves.columns:
            table_[column] = moves[column].reindex(table_.index).fillna(0) if by else moves[column].iloc[0]
    table_ = table_.astype("int64")
    out = table_.reset_index() if by else table_.reset_index(drop=True)
    totals = table_.sum()
    return Bulletin(period=period, previous=previous, as_of=known_at, by=by, table=out,
                    totals=totals, watch=watch)
