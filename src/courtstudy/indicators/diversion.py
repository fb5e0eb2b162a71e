"""Indicators of the first diversion: pre-suit mediation (诉前调解) and 案-件比.

A catalogue of its own (:data:`DIVERSION_INDICATORS`), declared like the case catalogue of
:mod:`courtstudy.indicators.definitions` (name, labels, formula, good direction, kind, numerator
and denominator over named quantities, maturity), and computed by :func:`diversion_indicators`
into the same long, tidy table as :meth:`courtstudy.indicators.engine.IndicatorEngine.compute`
(group columns, ``period``, ``period_start``, ``period_end``, ``indicator``, ``value``,
``numerator``, ``denominator``, ``immature``, ``incomplete``). It is kept apart from the case
catalogue because its inputs are other records (mediation records, links between cases) and
because the case catalogue's tables feed the committed report notebooks.

Quantities, per group (``court`` or ``cause``; the origin's for 案-件比) and period P = [start,
end], everything as known at ``as_of`` (a closing after ``as_of`` is not yet a closing):

* ``received``: mediation records with received_date in P (诉前调解收案);
* ``closed``: records with closed_date in P (结束), of which ``resolved`` (调解成功 or 司法确认,
  :data:`courtstudy.core.categories.MEDIATION_RESOLVED`), ``confirmed`` (司法确认),
  ``failed`` (调解不成功), ``converted`` (failed with a filed case number: 转立案);
* ``days_sum`` and ``days_median``: closed_date - received_date over ``closed``;
* ``direct_filed``: civil first-instance cases (民初) of the group filed in P that did not
  come through mediation (no record's 转立案案号 and no 诉前调解案号 link names them);
* for 案-件比: ``disputes`` (案) are the disputes whose first court case (any kind but the
  mediation record) was filed in P, grouped by that case's court and cause; ``cases`` (件) are
  their court cases filed within ``horizon`` days of that first filing, and ``cases_<kind>``
  the same by kind (first, appeal, retrial_petition, retrial, confirmation, enforcement,
  other: :data:`courtstudy.core.categories.CASE_KINDS`). A dispute whose first filing is less
  than ``horizon`` days before ``as_of`` can still generate cases: the period's 案-件比 is
  then flagged immature (rule ``dispute_follow_up``), never compared with mature periods.

Definitions where courts differ (also in ``docs/assumptions.md``):

* 诉前调解成功率 = resolved / closed (the data dictionary's "successes / closed");
* 司法确认率 = confirmed / resolved (the share of agreements the court confirmed);
* 诉前化解率 = resolved / (received + direct_filed): disputes resolved before filing over the
  disputes that came to the court in P, by mediation or by direct filing (data dictionary);
* 案-件比 = 案 : 件 reported as 1 : (cases / disputes), lower is better (1:1 is a dispute
  settled by one procedure). The SPC and the SPP use the ratio of disputes to procedures; no
  formula for courts' linked records is published in a source this project holds, so the
  cohort definition above is ours: it counts what each dispute actually cost, and the fixed
  horizon keeps periods comparable (a count of all filings over first-instance filings of the
  same period mixes cohorts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from courtstudy.core import categories
from courtstudy.core.periods import FREQ_ALIASES, Period, parse_period, period_range
from courtstudy.indicators.definitions import IndicatorIdentity
from courtstudy.ingest.links import disputes as dispute_table
from courtstudy.ingest.links import mediation_links

#: Kinds of court case counted in 件, in order.
COURT_KINDS: tuple[str, ...] = tuple(k for k in categories.CASE_KINDS if k in categories.COURT_CASE_KINDS)
DEFAULT_HORIZON_DAYS = 365
GROUPS: tuple[str, ...] = ("court", "cause")
MATURITY_RULES: dict[str, tuple[str, str]] = {
    "dispute_follow_up": ("本期纠纷的观察期不足（首个案件立案后不足观察天数），后续案件可能尚未发生",
                          "the period's disputes have not been followed for the horizon: later cases may "
                          "still come"),
    "mediation_open": ("本期登记的诉前调解尚有未结束的", "some of the period's mediation records are still open"),
}


@dataclass(frozen=True)
class DiversionIndicator(IndicatorIdentity):
    """One indicator of the first diversion: value = numerator / denominator (a count when
    ``denominator`` is None; ``days_median`` is a statistic over ``closed``)."""

    numerator: str
    denominator: str | None = None
    maturity: str | None = None

    @property
    def records(self) -> tuple[str, ...]:
        """The inputs it is computed from besides the period: ``mediation`` (the register),
        ``cases`` (the case export, for direct filings and the disputes), ``links`` (the link
        columns that group cases into disputes)."""
        quantities = {self.numerator, self.denominator} - {None}
        if quantities & set(DISPUTE_QUANTITIES):
            return ("cases", "links")
        if quantities & {"entering", "direct_filed"}:
            return ("mediation", "cases")
        return ("mediation",)


DIVERSION_INDICATORS: tuple[DiversionIndicator, ...] = (
    DiversionIndicator("mediation_received", "诉前调解收案", "Pre-suit mediation received",
                       "mediation records received in P", None, "count", "received"),
    DiversionIndicator("mediation_closed", "诉前调解结束", "Pre-suit mediation closed",
                       "mediation records closed in P", None, "count", "closed"),
    DiversionIndicator("mediation_resolved", "诉前调解成功", "Resolved before filing",
                       "records closed in P settled (调解成功 or 司法确认)", "up", "count", "resolved"),
    DiversionIndicator("mediation_success_rate", "诉前调解成功率", "Pre-suit mediation success rate",
                       "resolved / closed", "up", "rate", "resolved", "closed"),
    DiversionIndicator("judicial_confirmation_rate", "司法确认率", "Judicial confirmation rate",
                       "confirmed (司法确认) / resolved", "up", "rate", "confirmed", "resolved"),
    DiversionIndicator("mediation_mean_days", "诉前调解平均用时（天）", "Mean mediation days",
                       "mean of closed_date - received_date over records closed in P", "down", "days",
                       "days_sum", "closed"),
    DiversionIndicator("mediation_median_days", "诉前调解用时中位数（天）", "Median mediation days",
                       "median of closed_date - received_date over records closed in P", "down", "days",
                       "days_median", "closed"),
    DiversionIndicator("pre_suit_resolution_rate", "诉前化解率", "Resolved before filing, share of disputes",
                       "resolved / (received + civil first-instance cases filed directly in P)", "up", "rate",
                       "resolved", "entering"),
    DiversionIndicator("mediation_conversions", "调解不成转立案", "Converted to filed cases",
                       "records closed in P as failed with a filed case number (转立案)", None, "count",
                       "converted"),
    DiversionIndicator("mediation_conversion_rate", "转立案率", "Conversion rate",
                       "converted / closed", "down", "rate", "converted", "closed"),
    DiversionIndicator("case_case_ratio", "案-件比（1:x）", "Cases per dispute (1:x)",
                       "court cases of the disputes first filed in P, within the horizon / those disputes",
                       "down", "ratio", "cases", "disputes", maturity="dispute_follow_up"),
    *(DiversionIndicator(f"cases_per_dispute_{kind}", f"每案{label}件数", f"{label_en} per dispute",
                         f"{kind} cases of the disputes first filed in P, within the horizon / those disputes",
                         None, "ratio", f"cases_{kind}", "disputes", maturity="dispute_follow_up")
      for kind, label, label_en in (("first", "一审", "First-instance cases"), ("appeal", "二审", "Appeals"),
                                    ("retrial_petition", "申请再审", "Retrial petitions"),
                                    ("retrial", "再审", "Retrials"), ("confirmation", "司法确认", "Confirmations"),
                                    ("enforcement", "执行", "Enforcement cases"), ("other", "其他", "Other cases"))),
)
BY_NAME: dict[str, DiversionIndicator] = {i.name: i for i in DIVERSION_INDICATORS}
MEDIATION_QUANTITIES = ("received", "closed", "resolved", "confirmed", "failed", "converted", "days_sum",
                        "days_median", "entering", "direct_filed")
DISPUTE_QUANTITIES = ("disputes", "cases", *(f"cases_{k}" for k in COURT_KINDS))
LONG_COLUMNS = ("period", "period_start", "period_end", "indicator", "value", "numerator", "denominator",
                "immature", "incomplete")


#: Case indicators that show how the filed cases of failed mediations differ from direct filings.
ROUTE_INDICATORS: tuple[str, ...] = ("closed", "mean_days", "median_days", "km_median_days", "appeal_rate",
                                     "mediation_withdrawal_rate", "simplified_rate")
ROUTES: dict[str, tuple[str, str]] = {"via_mediation": ("诉前调解不成后立案", "Filed after failed mediation"),
                                      "direct": ("直接立案", "Filed directly")}


def filed_case_indicators(cases: pd.DataFrame, mediation: pd.DataFrame, links: pd.DataFrame | None = None,
                          by: str | Sequence[str] = ("court",),
                          period: str | Period | Iterable[str | Period] = "year",
                          indicators: Sequence[str] = ROUTE_INDICATORS, **engine_options) -> pd.DataFrame:
    """How the filed cases of mediated-then-failed disputes differ from direct filings: the case
    engine's long table (:func:`courtstudy.indicators.indicators`) over the civil first-instance
    cases (民初) of each route, with a ``route`` column (``via_mediation``: named by a record's
    转立案案号 or carrying a 诉前调解案号 link; ``direct``: the others). A descriptive
    comparison: failed mediations are not a random draw of disputes (what the start of
    mediation did to the filed cases is estimated by :mod:`courtstudy.studies.diversion`)."""
    from courtstudy.indicators import indicators as case_indicators

    civil_first = cases.loc[cases["type_code"].eq("民初").fillna(False)].reset_index(drop=True)
    via = _via_mediation(civil_first, mediation, links).to_numpy(dtype=bool)
    parts = []
    for route, mask in (("via_mediation", via), ("direct", ~via)):
        if not mask.any():
            continue
        long = case_indicators(civil_first.loc[mask].reset_index(drop=True), by=by, period=period,
                               **engine_options)
        long = long.loc[long["indicator"].isin(list(indicators))]
        long.insert(0, "route", route)
        parts.append(long)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    out["route"] = out["route"].astype("string")
    return out


def compare_diversion(long: pd.DataFrame, kind: str = "yoy") -> pd.DataFrame:
    """Year-on-year (``"yoy"``) or period-on-period (``"pop"``) comparison of a diversion table
    with each indicator's good direction (:func:`courtstudy.indicators.compare.compare`: compute
    the table over both periods first). 案-件比 going down is good; immature figures are never
    compared."""
    from courtstudy.indicators.compare import compare

    return compare(long, kind, better={n: i.better for n, i in BY_NAME.items()})


def diversion_wide(long: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """One row per group and period, one column per diversion indicator (catalogue order),
    then ``immature`` and ``incomplete``; indicator columns named by ``lang`` (None: the
    canonical names). Counts are whole numbers; 案-件比 is the x of 1:x."""
    if lang not in (None, "zh", "en"):
        raise ValueError(f"lang must be 'zh', 'en' or None, got {lang!r}")
    by = [c for c in long.columns if c in GROUPS]
    keys = [*by, "period_start", "period"]
    order = [n for n in BY_NAME if n in set(long["indicator"])]
    frame = long.assign(**{c: long[c].astype("string").fillna("\x1f") for c in by})
    table = frame.set_index([*keys, "indicator"])["value"].unstack("indicator").reindex(columns=order)
    for name in order:
        if BY_NAME[name].kind == "count":
            table[name] = table[name].round().astype("Int64")
    flags = frame.groupby(keys, sort=True, dropna=False)[["immature", "incomplete"]].any()
    table = table.join(flags).reset_index().drop(columns="period_start")
    for c in by:
        table[c] = table[c].replace("\x1f", pd.NA).astype("string")
    table.columns.name = None
    table["period"] = table["period"].astype("string")
    if lang is not None:
        table = table.rename(columns={n: BY_NAME[n].label(lang) for n in order})
    return table


#: Decimals of the x in 1:x as court staff write it (a change below them reads as 持平).
RATIO_DIGITS = 2


def ratio_label(value: float, digits: int = RATIO_DIGITS) -> str:
    """案-件比 as court staff write it: ``1:1.37`` (empty when missing)."""
    return "" if value is None or not np.isfinite(value) else f"1:{value:.{digits}f}"


def _periods(period, start, end, first: pd.Timestamp, as_of: pd.Timestamp) -> list[Period]:
    if isinstance(period, Period):
        return [period]
    if isinstance(period, str):
        if period.strip().lower() in FREQ_ALIASES:
            return period_range(pd.Timestamp(start) if start is not None else first,
                                pd.Timestamp(end) if end is not None else as_of, period)
        return [parse_period(period)]
    return [parse_period(p) for p in period]


def _in(dates: pd.Series, p: Period, as_of: pd.Timestamp) -> pd.Series:
    return (dates >= p.start) & (dates <= min(p.end, as_of))


def _via_mediation(cases: pd.DataFrame, mediation: pd.DataFrame, links: pd.DataFrame | None) -> pd.Series:
    named = set(mediation["filed_case_id"].dropna())
    if links is not None and len(links):
        named |= set(links.loc[links["link"] == "mediation", "case_id"].dropna())
    return cases["case_id"].isin(named)


def _mediation_quantities(mediation: pd.DataFrame, cases: pd.DataFrame | None, links, by: list[str],
                          p: Period, as_of: pd.Timestamp) -> pd.DataFrame:
    m = mediation
    closed_known = m["closed_date"].notna() & (m["closed_date"] <= as_of)
    closed = _in(m["closed_date"], p, as_of) & closed_known
    result = m["result"]
    days = (m["closed_date"] - m["received_date"]).dt.days
    flags = pd.DataFrame({
        "received": _in(m["received_date"], p, as_of),
        "closed": closed,
        "resolved": closed & result.isin(categories.MEDIATION_RESOLVED).fillna(False),
        "confirmed": closed & result.isin(categories.MEDIATION_CONFIRMED).fillna(False),
        "failed": closed & result.isin(categories.MEDIATION_FAILED).fillna(False),
        "converted": closed & result.isin(categories.MEDIATION_FAILED).fillna(False) & m["filed_case_id"].notna(),
        # open at as_of although received in P: the period's figures can still move
        "open": _in(m["received_date"], p, as_of) & ~closed_known,
    }).astype("int64")
    flags["days_sum"] = days.where(closed, 0).fillna(0)
    keys = [m[c].astype("string").fillna("\x1f") for c in by] if by else [pd.Series("", index=m.index)]
    out = flags.groupby(keys, dropna=False).sum()
    median = days.where(closed).groupby(keys, dropna=False).median()
    out["days_median"] = median
    if cases is not None:
        civil_first = cases["type_code"].eq("民初").fillna(False)
        direct = civil_first & _in(cases["filed_date"], p, as_of) & ~_via_mediation(cases, m, links)
        ckeys = [cases[c].astype("string").fillna("\x1f") for c in by] if by else [pd.Series("", index=cases.index)]
        direct_counts = direct.astype("int64").groupby(ckeys, dropna=False).sum()
        out = out.join(direct_counts.rename("direct_filed"), how="outer").fillna(
            {c: 0 for c in flags.columns} | {"direct_filed": 0})
    else:
        out["direct_filed"] = np.nan
    out["entering"] = out["received"] + out["direct_filed"]
    active = (out[["received", "closed", "open"]].sum(axis=1) > 0) | (out["direct_filed"].fillna(0) > 0)
    return out.loc[active]


def _dispute_quantities(records: pd.DataFrame, by: list[str], p: Period, as_of: pd.Timestamp,
                        horizon: int, courts: Sequence[str] | None = None) -> tuple[pd.DataFrame, bool]:
    court_cases = records.loc[records["kind"].isin(categories.COURT_CASE_KINDS)]
    first = court_cases.sort_values(["date", "record_id"], kind="stable").drop_duplicates("dispute_id")
    first = first.set_index("dispute_id")
    in_p = first.loc[_in(first["date"], p, as_of)]
    if courts is not None:
        in_p = in_p.loc[in_p["court"].isin(set(courts)).fillna(False)]
    immature = bool(len(in_p)) and bool((in_p["date"] + pd.Timedelta(days=horizon) > as_of).any())
    if len(in_p) == 0:
        return pd.DataFrame(columns=["disputes", *(f"cases_{k}" for k in COURT_KINDS), "cases"]), False
    members = court_cases.loc[court_cases["dispute_id"].isin(in_p.index)].copy()
    origin_date = members["dispute_id"].map(in_p["date"])
    members = members.loc[(members["date"] <= origin_date + pd.Timedelta(days=horizon))
                          & (members["date"] <= as_of)]
    group_of = {c: in_p[c].astype("string").fillna("\x1f") for c in by}
    keys = [members["dispute_id"].map(group_of[c]) for c in by] if by else [pd.Series("", index=members.index)]
    counts = pd.crosstab(keys, members["kind"]) if len(members) else pd.DataFrame()
    counts = counts.reindex(columns=list(COURT_KINDS), fill_value=0).add_prefix("cases_")
    dkeys = [group_of[c] for c in by] if by else [pd.Series("", index=in_p.index)]
    n = in_p.groupby(dkeys, dropna=False).size().rename("disputes")
    out = pd.DataFrame(n).join(counts, how="left").fillna(0)
    out["cases"] = out[[f"cases_{k}" for k in COURT_KINDS]].sum(axis=1)
    return out, immature


def diversion_indicators(mediation: pd.DataFrame | None = None, cases: pd.DataFrame | None = None,
                         links: pd.DataFrame | None = None, by: str | Sequence[str] = ("court",),
                         period: str | Period | Iterable[str | Period] = "quarter",
                         start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None,
                         as_of: pd.Timestamp | str | None = None, horizon: int = DEFAULT_HORIZON_DAYS,
                         indicators: Sequence[str] | None = None,
                         court_filter: Sequence[str] | None = None) -> pd.DataFrame:
    """The long table of the diversion indicators (module docstring).

    ``mediation``: canonical mediation records (:func:`courtstudy.ingest.mediation.load_mediation`);
    ``cases``: canonical cases (direct filings; with ``links``, the disputes of 案-件比);
    ``links``: canonical links (:func:`courtstudy.ingest.links.load_links`). Indicators whose
    inputs are not given are left out. ``as_of`` defaults to the latest date in the data.
    ``court_filter`` keeps the records of those courts, their direct filings and the disputes
    first filed there (a dispute's later cases at other courts still count in its 件), as
    :meth:`courtstudy.indicators.engine.IndicatorEngine.compute` filters courts.
    """
    by = [by] if isinstance(by, str) else list(by)
    bad = [c for c in by if c not in GROUPS]
    if bad:
        raise ValueError(f"cannot group by {bad}: choose from {list(GROUPS)}")
    if horizon <= 0:
        raise ValueError(f"the horizon must be positive, got {horizon}")
    names = list(BY_NAME if indicators is None else indicators)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown indicator(s) {unknown}: see courtstudy.indicators.diversion.DIVERSION_INDICATORS")
    dates = []
    if mediation is not None:
        dates += [mediation["received_date"], mediation["closed_date"]]
    if cases is not None:
        dates += [cases["filed_date"], cases["closed_date"]]
    if not dates:
        raise ValueError("give mediation records, cases, or both")
    every = pd.concat(dates, ignore_index=True).dropna()
    as_of = pd.Timestamp(as_of) if as_of is not None else every.max()
    records = None
    # the disputes (the costly part) only when an indicator asked for counts them
    wants_disputes = any(BY_NAME[n].numerator in DISPUTE_QUANTITIES for n in names)
    if cases is not None and links is not None and wants_disputes:
        every_link = links[["case_id", "linked_case_id", "link"]]
        if mediation is not None:
            every_link = pd.concat([every_link, mediation_links(mediation)[["case_id", "linked_case_id", "link"]]],
                                   ignore_index=True).drop_duplicates()
        records = dispute_table(cases, every_link, mediation)
    if court_filter is not None:
        # filtered after the disputes are formed: a dispute's cases at other courts stay in it
        wanted = set(court_filter)
        if mediation is not None:
            mediation = mediation.loc[mediation["court"].isin(wanted).fillna(False)]
        if cases is not None:
            cases = cases.loc[cases["court"].isin(wanted).fillna(False)]
    rows = []
    for p in _periods(period, start, end, every.min(), as_of):
        q = pd.DataFrame()
        immature_disputes = False
        open_any = pd.Series(dtype="bool")
        if mediation is not None:
            q = _mediation_quantities(mediation, cases, links, by, p, as_of)
            open_any = q.pop("open") > 0
        if records is not None:
            d, immature_disputes = _dispute_quantities(records, by, p, as_of, horizon, court_filter)
            q = q.join(d, how="outer") if len(q.columns) else d
        for name in names:
            ind = BY_NAME[name]
            if ind.numerator not in q.columns or (ind.denominator and ind.denominator not in q.columns):
                continue
            num = q[ind.numerator].astype("float64")
            den = q[ind.denominator].astype("float64") if ind.denominator else pd.Series(np.nan, index=q.index)
            if ind.numerator == "days_median" or ind.denominator is None:
                value = num
            else:
                value = num / den.where(den > 0)
            if ind.maturity == "dispute_follow_up":
                immature = pd.Series(immature_disputes, index=q.index)
            else:
                immature = open_any.reindex(q.index, fill_value=False) if len(open_any) else \
                    pd.Series(False, index=q.index)
            known = num.notna() & (den.notna() if ind.denominator else True)
            num, den, value, immature = num[known], den[known], value[known], immature[known]
            part = pd.DataFrame({"period": p.label, "period_start": p.start, "period_end": p.end,
                                 "indicator": name, "value": value.to_numpy(), "numerator": num.to_numpy(),
                                 "denominator": den.to_numpy(), "immature": immature.to_numpy(dtype=bool),
                                 "incomplete": p.end > as_of}, index=num.index)
            keys = q.index[known.to_numpy()].to_frame(index=False) if by else None
            if by:
                keys.columns = by
                for c in by:
                    part.insert(by.index(c), c, keys[c].replace("\x1f", pd.NA).astype("string").to_numpy())
            rows.append(part.reset_index(drop=True))
    if not rows:
        return pd.DataFrame(columns=[*by, *LONG_COLUMNS])
    out = pd.concat(rows, ignore_index=True)
    return out[[*by, *LONG_COLUMNS]]
