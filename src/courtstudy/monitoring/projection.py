"""Year-end projection (年底能否完成): will the court make the year?

:func:`project_year_end` takes the cases known on a day ``d`` (the *origin*) and projects the
year-end 新收, 结案, 未结, 结案率 (closed / (carried over + filed)), 结收比 (closed / filed),
超12个月未结案件比 and 长期未结 (pending over 18 months) for each court (or team, or judge),
with 80% and 95% prediction intervals, the probability of reaching each target the user gives
(``"clearance_rate>=1"``), and the closings per judge per week needed to reach it.

Methods (``method=``):

* ``"stock"`` (default, chosen by the backtest in ``docs/year_end_backtest.md``): the
  case-level model of :mod:`courtstudy.monitoring.stock_model`: the pending stock closes by age
  as in the same weeks of past years, new filings follow the court's own seasonal ratio, and
  the year-to-year variation of both is measured across the office's courts;
* ``"ets"``: exponential smoothing of monthly counts (:mod:`courtstudy.monitoring.ets_model`);
* the **naive** year-to-date extrapolation offices use is always given beside either
  (column ``naive``): counts scaled by days in the year / days elapsed, 结收比 = the
  year-to-date ratio, 长期未结 and its share as they stand today.

Everything is computed from what was known on the origin: filings after it are left out and
later closings count as pending, so a projection made from a newer export equals the one that
would have been made on the day (tested). Where the data also hold the year end, the table
carries the ``actual`` value too.

Closings per judge per week: ``(required year-end closings - closed so far) / judges / weeks
left``, where the required closings follow from the target and the projected (median) filings:
结收比 >= r needs ``r * filed``, 结案率 >= r needs ``r * (carried over + filed)``, 未结 <= k
needs ``carried over + filed - k``; 长期未结 <= k needs closing all but ``k`` of the stock cases
that would be over 18 months at year end. Judges: the courts table's 员额法官 of the court and
year (summed over courts for the whole office); for teams, the judges who hold the team's cases
pending on the origin or closed this year; one for a judge.
"""

from __future__ import annotations

import operator
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from courtstudy.monitoring.caseflow import CaseFlow, Window, day_number

#: Projected indicators, in display order.
PROJECTED: tuple[str, ...] = ("filed", "closed", "pending", "disposition_rate", "clearance_rate",
                              "pending_over_12m_share", "pending_over_18m")
METHODS: tuple[str, ...] = ("stock", "ets")
LEVELS: tuple[float, ...] = (0.80, 0.95)
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_TARGET = re.compile(r"^\s*([^<>=\s]+)\s*(>=|<=|>|<|≥|≤)\s*([-+0-9.eE%]+)\s*$")


@dataclass(frozen=True)
class Target:
    """A year-end target: ``indicator op value`` (``clearance_rate >= 1``)."""

    indicator: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Target:
        """Read ``"clearance_rate>=1"``, ``"结收比>=1"``, ``"disposition_rate>=90%"``,
        ``"pending_over_18m<=20"`` (the indicator's name or its Chinese or English label)."""
        m = _TARGET.match(str(text))
        if not m:
            raise ValueError(f"cannot read target {text!r}: write it like clearance_rate>=1")
        name, op, raw = m.groups()
        op = {"≥": ">=", "≤": "<="}.get(op, op)
        name = _indicator_name(name)
        value = float(raw.rstrip("%")) / (100 if raw.endswith("%") else 1)
        return cls(name, op, value)

    def __str__(self) -> str:
        return f"{self.indicator}{self.op}{self.value:g}"


def _indicator_name(text: str) -> str:
    from courtstudy.indicators import INDICATORS

    for ind in INDICATORS:
        if text in (ind.name, ind.label_zh, ind.label_en) and ind.name in PROJECTED:
            return ind.name
    raise ValueError(f"cannot set a target on {text!r}: choose one of {', '.join(PROJECTED)}")


def parse_targets(targets: str | Iterable[str | Target] | None) -> list[Target]:
    """Targets from ``"clearance_rate>=1,disposition_rate>=0.9"`` or a list."""
    if targets is None or targets == "":
        return []
    items = re.split(r"[,，;；]", targets) if isinstance(targets, str) else list(targets)
    return [t if isinstance(t, Target) else Target.parse(t) for t in items if str(t).strip()]


@dataclass
class YearEndProjection:
    """What :func:`project_year_end` returns.

    ``table``: one row per group and indicator of :data:`PROJECTED`: the group columns,
    ``indicator``, ``now`` (the value on the origin: year to date, or the stock), ``projected``
    (median of the draws), ``mean``, ``lo80``, ``hi80``, ``lo95``, ``hi95``, ``naive``, and
    ``actual`` (NaN unless the data hold the year end). ``targets``: one row per group and
    target: ``target`` (text), ``indicator``, ``op``, ``value``, ``probability``,
    ``required_closings``, ``judges``, ``weeks_left``,
    ``required_per_judge_week``, ``projected_per_judge_week``. ``components``: per group the
    parts of the projection (carried over, filed and closed so far, the stock, projected
    filings and closings of the rest of the year). ``notes``: (zh, en) caveats.
    """

    origin: pd.Timestamp
    year: int
    by: list[str]
    method: str
    table: pd.DataFrame
    targets: pd.DataFrame
    components: pd.DataFrame
    notes: list[tuple[str, str]] = field(default_factory=list)
    history_years: list[int] = field(default_factory=list)
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    @property
    def complete(self) -> bool:
        """Whether the year is over on the origin (the figures are then actual)."""
        return self.origin >= pd.Timestamp(year=self.year, month=12, day=31)

    def wide(self, column: str = "projected") -> pd.DataFrame:
        """One row per group, one column per indicator, values of ``column``."""
        index = self.by or None
        if index is None:
            return self.table.pivot_table(index=lambda _: 0, columns="indicator", values=column) \
                .reindex(columns=list(PROJECTED))
        return self.table.pivot(index=index, columns="indicator", values=column) \
            .reindex(columns=list(PROJECTED)).reset_index()

    def summary(self, lang: str = "zh") -> str:
        """Readable lines: origin, method, and each group's projected 结收比 and 结案率."""
        zh = lang == "zh"
        head = (f"{self.year} 年底预测（预测日 {self.origin.date()}，方法 {self.method}，参照年份 "
                f"{', '.join(map(str, self.history_years))}）" if zh else
                f"Year-end {self.year} projection (made on {self.origin.date()}, method "
                f"{self.method}, reference years {', '.join(map(str, self.history_years))})")
        lines = [head]
        for _, row in self.wide().iterrows():
            name = " / ".join(str(row[c]) for c in self.by) or ("全部" if zh else "all")
            lines.append(f"  {name}: " + ", ".join(
                f"{ind} {row[ind]:.3f}" for ind in ("clearance_rate", "disposition_rate")))
        lines += [f"  * {zh_ if zh else en}" for zh_, en in self.notes]
        return "\n".join(lines)


def _group_pools(flow: CaseFlow, pool: Sequence[str]) -> tuple[np.ndarray, int]:
    """Pool code of each unit (the court whose history gives a team's or judge's rates)."""
    if not pool:
        return np.zeros(flow.n_units, dtype=np.int64), 1
    codes, uniques = pd.MultiIndex.from_frame(flow.units[list(pool)]).factorize()
    return np.asarray(codes, dtype=np.int64), len(uniques)


def _quantiles(draws: np.ndarray, levels: Sequence[float]) -> dict[str, np.ndarray]:
    """Median, mean and equal-tailed intervals of each row; NaN for a row with no defined draw
    (a ratio whose denominator is zero in every draw, e.g. 结收比 of a group with no filings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = {"projected": np.nanmedian(draws, axis=1), "mean": np.nanmean(draws, axis=1)}
        for level in levels:
            tail = (1 - level) / 2
            pct = round(level * 100)
            out[f"lo{pct}"] = np.nanquantile(draws, tail, axis=1)
            out[f"hi{pct}"] = np.nanquantile(draws, 1 - tail, axis=1)
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0)


def indicator_values(carried_over, filed, closed, pending, over_12m, over_18m) -> dict[str, np.ndarray]:
    """The projected indicators from year-end counts (arrays broadcast together)."""
    return {
        "filed": np.asarray(filed, dtype=float), "closed": np.asarray(closed, dtype=float),
        "pending": np.asarray(pending, dtype=float),
        "disposition_rate": _ratio(closed, np.asarray(carried_over) + np.asarray(filed)),
        "clearance_rate": _ratio(closed, filed),
        "pending_over_12m_share": _ratio(over_12m, pending),
        "pending_over_18m": np.asarray(over_18m, dtype=float),
    }


def naive_values(w: Window, origin: pd.Timestamp) -> dict[str, np.ndarray]:
    """The office's year-to-date extrapolation (see the module docstring)."""
    elapsed = day_number(origin) - w.year_start + 1
    scale = (w.year_end - w.year_start + 1) / elapsed
    filed = w.filed_ytd * scale
    closed = w.closed_ytd * scale
    pending = np.maximum(w.carried_over + filed - closed, 0)
    out = indicator_values(w.carried_over, filed, closed, pending, 0, w.over_18m_now)
    out["clearance_rate"] = _ratio(w.closed_ytd, w.filed_ytd)
    out["pending_over_12m_share"] = _ratio(w.over_12m_now, w.pending)
    return out


def _judges(flow_units: pd.DataFrame, by: list[str], cases: pd.DataFrame, courts: pd.DataFrame | None,
            year: int, origin: pd.Timestamp) -> np.ndarray:
    n = len(flow_units)
    if "judge" in by:
        return np.ones(n)
    if courts is not None and "judges" in courts and set(by) <= {"court"}:
        table = courts[courts["year"] == year]
        per_court = table.groupby(table["court"].astype(str))["judges"].sum()
        if not by:
            return np.full(n, float(per_court.sum()) if len(per_court) else np.nan)
        return flow_units["court"].astype(str).map(per_court).to_numpy(dtype=float)
    # Teams and other groups: the judges holding the group's cases this year.
    ys = pd.Timestamp(year=year, month=1, day=1)
    filed, closed = pd.to_datetime(cases["filed_date"]), pd.to_datetime(cases["closed_date"])
    active = (filed <= origin) & (closed.isna() | (closed >= ys))
    if "judge" not in cases or not active.any():
        return np.full(n, np.nan)
    sub = cases.loc[active, [*by, "judge"]].astype("string").fillna("(missing)")
    if not by:
        return np.full(n, float(sub["judge"].nunique()))
    counts = sub.groupby(by)["judge"].nunique()
    keys = pd.MultiIndex.from_frame(flow_units[by].astype("string"))
    return counts.reindex(keys).to_numpy(dtype=float)


def _required(target: Target, w: Window, filed_median: np.ndarray, over18_candidates: np.ndarray
              ) -> np.ndarray:
    """Year-end closings (or, for 长期未结, closings of old cases) the target needs."""
    name, v = target.indicator, target.value
    if name == "closed":
        return np.full(len(filed_median), v) - w.closed_ytd
    if name == "clearance_rate":
        return v * filed_median - w.closed_ytd
    if name == "disposition_rate":
        return v * (w.carried_over + filed_median) - w.closed_ytd
    if name == "pending":
        return w.carried_over + filed_median - v - w.closed_ytd
    if name == "pending_over_18m":
        return over18_candidates - v
    return np.full(len(filed_median), np.nan)


def project_year_end(cases: pd.DataFrame, origin: pd.Timestamp | str | None = None, *,
                     as_of: pd.Timestamp | str | None = None, by: str | Sequence[str] = ("court",),
                     method: str = "stock", targets: str | Iterable[str | Target] | None = None,
                     courts: pd.DataFrame | None = None, history_years: int = 3,
                     n_draws: int = 4000, seed: int = 20240101,
                     levels: Sequence[float] = LEVELS) -> YearEndProjection:
    """Project the year end of ``origin``'s year for each group of ``by`` (see the module
    docstring). ``as_of`` is the date the data were taken (default: the latest date in them);
    ``origin`` the day the projection is made (default ``as_of``; never after it).
    ``history_years``: past years whose same weeks give the rates (at most this many complete
    years before the origin's). ``courts``: the courts table (judges per court and year)."""
    from courtstudy.indicators import default_as_of

    by = [by] if isinstance(by, str) else list(by)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
    as_of = default_as_of(cases) if as_of is None else pd.Timestamp(as_of).normalize()
    origin = as_of if origin is None else pd.Timestamp(origin).normalize()
    if origin > as_of:
        raise ValueError(f"the projection day {origin.date()} is after the data's as-of date "
                         f"{as_of.date()}")
    flow = CaseFlow.from_cases(cases, by, as_of)
    return project_from_flow(flow, origin, by=by, method=method, targets=parse_targets(targets),
                             cases=cases, courts=courts, history_years=history_years,
                             n_draws=n_draws, seed=seed, levels=levels)


def project_from_flow(flow: CaseFlow, origin: pd.Timestamp, *, by: list[str], method: str = "stock",
                      targets: Sequence[Target] = (), cases: pd.DataFrame | None = None,
                      courts: pd.DataFrame | None = None, history_years: int = 3,
                      n_draws: int = 4000, seed: int = 20240101,
                      levels: Sequence[float] = LEVELS) -> YearEndProjection:
    """:func:`project_year_end` on a prepared :class:`CaseFlow` (the backtest prepares the
    cases once and projects from many origins)."""
    from courtstudy.monitoring.ets_model import project_ets
    from courtstudy.monitoring.stock_model import project_stock

    rng = np.random.default_rng(seed)
    year = origin.year
    pool = ["court"] if "court" in by else []
    pool_of, n_pools = _group_pools(flow, pool)
    notes: list[tuple[str, str]] = []
    ye = day_number(pd.Timestamp(year=year, month=12, day=31))
    if day_number(origin) >= ye:
        now = flow.window(ye, year)
        zeros = np.zeros((flow.n_units, 1))
        filed_rest = stock_closed = new_closed = zeros
        over12 = now.stock[:, :, 1:].sum(axis=(1, 2))[:, None].astype(float)
        over18 = now.stock[:, :, 2].sum(axis=1)[:, None].astype(float)
        history: list[int] = []
        notes.append(("年度已结束：以下为实际数。", "The year is over: these are the actual figures."))
    elif method == "stock":
        now, sd = project_stock(flow, origin, pool_of, n_pools, history_years=history_years,
                                n_draws=n_draws, rng=rng)
        filed_rest, stock_closed, new_closed = sd.filed_rest, sd.stock_closed, sd.new_closed
        over12, over18 = sd.over_12m, sd.over_18m
        history = sd.history_years
        notes += sd.notes
    else:
        now = flow.window(day_number(origin), year)
        ets = project_ets(flow, origin, n_draws=min(n_draws, 1000), rng=rng)
        filed_rest, stock_closed = ets["filed_rest"], ets["closed_rest"]
        new_closed = np.zeros_like(stock_closed)
        over12, over18 = ets["over_12m"], ets["over_18m"]
        history = [y for y in range(year - 10, year) if flow.year_covered(y)]

    filed = now.filed_ytd[:, None] + filed_rest
    closed_rest = stock_closed + new_closed
    closed = now.closed_ytd[:, None] + closed_rest
    pending = np.maximum(now.pending[:, None] + filed_rest - closed_rest, 0)
    over12 = np.minimum(over12, pending)
    over18 = np.minimum(over18, over12)
    values = indicator_values(now.carried_over[:, None], filed, closed, pending, over12, over18)
    now_values = indicator_values(now.carried_over, now.filed_ytd, now.closed_ytd, now.pending,
                                  now.over_12m_now, now.over_18m_now)
    naive = naive_values(now, origin)
    actual = {k: np.full(flow.n_units, np.nan) for k in PROJECTED}
    if ye <= flow.as_of:
        end = flow.window(ye, year)
        actual = indicator_values(end.carried_over, end.filed_ytd, end.closed_ytd, end.pending,
                                  end.over_12m_now, end.over_18m_now)

    rows = []
    for name in PROJECTED:
        q = _quantiles(values[name], levels)
        frame = flow.units.copy() if by else pd.DataFrame(index=range(flow.n_units))
        frame["indicator"] = name
        frame["now"] = now_values[name]
        for key, arr in q.items():
            frame[key] = arr
        frame["naive"] = naive[name]
        frame["actual"] = actual[name]
        rows.append(frame)
    table = pd.concat(rows, ignore_index=True)
    if by:
        table = table.sort_values([*by, "indicator"], key=lambda s: s.map(
            {n: i for i, n in enumerate(PROJECTED)}) if s.name == "indicator" else s,
            kind="stable").reset_index(drop=True)

    weeks_left = max((ye - day_number(origin)) / 7.0, 0.0)
    judges = _judges(flow.units, by, cases, courts, year, origin) if cases is not None \
        else np.full(flow.n_units, np.nan)
    filed_median = np.median(filed, axis=1)
    candidates = now.stock[:, :, 2].sum(axis=1).astype(float)
    target_rows = []
    for target in targets:
        hit = _OPS[target.op](values[target.indicator], target.value)
        hit = np.where(np.isnan(values[target.indicator]), np.nan, hit)
        needed = np.maximum(_required(target, now, filed_median, candidates), 0)
        frame = flow.units.copy() if by else pd.DataFrame(index=range(flow.n_units))
        frame["target"] = str(target)
        frame["indicator"] = target.indicator
        frame["op"] = target.op
        frame["value"] = target.value
        defined = np.isfinite(hit).sum(axis=1)
        frame["probability"] = np.divide(np.nansum(hit, axis=1), defined, out=np.full(len(defined), np.nan),
                                         where=defined > 0)
        frame["required_closings"] = np.ceil(needed)
        frame["judges"] = judges
        frame["weeks_left"] = weeks_left
        per = _ratio(needed, judges * weeks_left)
        frame["required_per_judge_week"] = per
        frame["projected_per_judge_week"] = _ratio(np.median(closed_rest, axis=1), judges * weeks_left)
        target_rows.append(frame)
    target_table = pd.concat(target_rows, ignore_index=True) if target_rows else pd.DataFrame()

    components = flow.units.copy() if by else pd.DataFrame(index=range(flow.n_units))
    components["carried_over"] = now.carried_over
    components["filed_ytd"] = now.filed_ytd
    components["closed_ytd"] = now.closed_ytd
    components["pending_now"] = now.pending
    components["stock_over_18m_at_year_end"] = candidates
    components["filed_rest"] = np.median(filed_rest, axis=1)
    components["stock_closed_rest"] = np.median(stock_closed, axis=1)
    components["new_closed_rest"] = np.median(new_closed, axis=1)
    components["judges"] = judges
    return YearEndProjection(origin=origin, year=year, by=by, method=method, table=table,
                             targets=target_table, components=components, notes=notes,
                             history_years=history,
                             draws={name: values[name] for name in PROJECTED})
