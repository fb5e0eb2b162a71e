"""Trial quality and efficiency indicators (审判质效), domain.md sections 1-2.

Register the cases once, then ask for any grouping and periods::

    from courtstudy.indicators import IndicatorEngine, wide, compare, headline
    engine = IndicatorEngine(cases, courts=courts, as_of="2024-03-31")
    long = engine.compute(by="court", period="quarter", start="2022-01-01")
    table = wide(long, lang="zh")               # one row per court and quarter
    yoy = compare(long, kind="yoy")             # previous value, change, direction, good

:func:`indicators` does both steps for a single query. The catalogue (names, labels, formulas,
better directions) is :func:`catalogue`: the case indicators (:data:`INDICATORS`, conventions in
:mod:`courtstudy.indicators.definitions`) and the first diversion's (诉前调解, 案-件比:
:mod:`courtstudy.indicators.diversion`), one registry (:mod:`courtstudy.indicators.registry`).
The engine (:mod:`courtstudy.indicators.engine`) computes any of them by name; the diversion
indicators from the records given to it::

    engine = IndicatorEngine(cases, mediation=register.records, links=links.links,
                             related_cases=related)
    long = engine.compute(by="court", period="year", indicators=["结案率", "诉前化解率", "case_case_ratio"])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from courtstudy.core.periods import Period
from courtstudy.indicators.compare import compare, headline
from courtstudy.indicators.definitions import (
    GROUP_COLUMNS,
    INDICATOR_NAMES,
    INDICATORS,
    Indicator,
)
from courtstudy.indicators.engine import (
    IndicatorEngine,
    connect,
    default_as_of,
    prepare_cases,
    spark_session,
)
from courtstudy.indicators.registry import BY_NAME, NAMES, catalogue, column_label
from courtstudy.indicators.survival import km_table

__all__ = [
    "GROUP_COLUMNS", "INDICATORS", "INDICATOR_NAMES", "Indicator", "IndicatorEngine", "catalogue",
    "column_label", "compare", "default_as_of", "headline", "indicators", "km_table",
    "prepare_cases", "wide", "connect", "spark_session",
]


def indicators(cases: pd.DataFrame, by: str | Sequence[str] = ("court",),
               period: str | Period | Iterable[str | Period] = "quarter",
               start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None,
               as_of: pd.Timestamp | str | None = None, courts: pd.DataFrame | None = None,
               court_filter: Sequence[str] | None = None, horizon: int = 365,
               backend=None, limits: pd.DataFrame | None = None,
               connection=None, *, mediation: pd.DataFrame | None = None,
               links: pd.DataFrame | None = None,
               related_cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """The long indicator table of one query (registers the cases, computes, returns pandas).

    For several queries on the same cases build one :class:`IndicatorEngine` and call
    :meth:`IndicatorEngine.compute` repeatedly: the cases are registered once. Judge names
    are pseudonymised for publication by :mod:`courtstudy.report.pseudonym`. ``cases`` may
    also be a Parquet dataset path or a Spark DataFrame, ``connection`` a Spark session
    (:class:`IndicatorEngine`). With ``mediation``, ``links`` and ``related_cases`` the first
    diversion's indicators (诉前调解, 案-件比) are in the table too (:meth:`IndicatorEngine.attach`).
    """
    engine = IndicatorEngine(cases, courts=courts, backend=backend, as_of=as_of, limits=limits,
                             connection=connection, mediation=mediation, links=links,
                             related_cases=related_cases)
    return engine.compute(by=by, period=period, start=start, end=end, court_filter=court_filter,
                          horizon=horizon)


def wide(long: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """One row per group and period, one column per indicator (catalogue order).

    Group columns and ``period`` keep their canonical names; indicator columns are named by
    ``lang``: ``None`` the canonical names (``disposition_rate``), ``"zh"`` the Chinese labels
    (结案率), ``"en"`` the English labels. Two flag columns follow: ``immature`` (an
    appeal-based figure of the row includes closings within 30 days before as_of) and
    ``incomplete`` (the period ends after as_of), labelled in the same language.
    """
    if lang not in (None, "zh", "en"):
        raise ValueError(f"lang must be 'zh', 'en' or None, got {lang!r}")
    by = [c for c in long.columns if c in GROUP_COLUMNS]
    keys = [*by, "period_start", "period"]
    order = [n for n in NAMES if n in set(long["indicator"])]
    frame = long.assign(**{c: long[c].astype("string").fillna("\x1f") for c in by})
    table = frame.set_index([*keys, "indicator"])["value"].unstack("indicator")
    table = table.reindex(columns=order)
    for name in order:
        if BY_NAME[name].kind == "count":  # whole numbers: shown without decimals
            table[name] = table[name].round().astype("Int64")
    flags = frame.groupby(keys, sort=True, dropna=False)[["immature", "incomplete"]].any()
    table = table.join(flags).reset_index()
    for c in by:
        table[c] = table[c].replace("\x1f", pd.NA).astype("string")
    table = table.drop(columns="period_start")
    table.columns.name = None
    table["period"] = table["period"].astype("string")
    if lang is not None:
        table = table.rename(columns={n: column_label(n, lang)
                                      for n in [*order, "immature", "incomplete"]})
    return table
