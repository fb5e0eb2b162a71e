"""The DuckDB-native preparation against the numpy one (prepare_cases), which is itself checked
against courtstudy.core.limits and hand-computed fixtures in test_indicators.py: both must give the
same table, value for value, and the same indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_indicators import AS_OF, COURTS, _random_cases, fixture_cases

from courtstudy.core.limits import statutory_limits
from courtstudy.indicators import IndicatorEngine, prepare_cases

T = pd.Timestamp


def _duckdb_prepared(engine: IndicatorEngine) -> pd.DataFrame:
    frame = engine.table.to_pyarrow().to_pandas()
    return engine._decode(frame, [c for c in engine._dictionaries if c in frame])


def _assert_same_rows(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    """Equal as multisets of rows (DuckDB need not keep the row order)."""
    assert list(got.columns) == list(expected.columns)
    numeric = [c for c in expected.columns if expected[c].dtype.kind in "ifub"]
    for c in numeric:
        assert got[c].dtype == expected[c].dtype, c
    a = expected.astype(str).sort_values(list(expected.columns)).reset_index(drop=True)
    b = got.astype(str).sort_values(list(expected.columns)).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def _edge_cases() -> pd.DataFrame:
    cases = pd.concat([fixture_cases(), _random_cases(400, seed=4)], ignore_index=True)
    late = cases.index[-40:]
    cases.loc[late, "filed_date"] = T("2021-12-31")       # pre-2022 simplified rules
    cases.loc[late, "closed_date"] = T("2022-03-31")
    cases.loc[cases.index[:3], "instance"] = pd.NA        # missing instance = first
    cases.loc[cases.index[3:8], "case_type"] = "criminal"  # no civil limit
    cases.loc[cases.index[8], "case_type"] = pd.NA
    cases.loc[cases.index[9:12], "procedure"] = pd.NA
    cases.loc[cases.index[12:15], "extension_days"] = pd.NA
    cases.loc[cases.index[15:18], "appealed"] = pd.NA
    cases.loc[cases.index[20:30], "team"] = pd.NA
    return cases


def _every_day() -> pd.DataFrame:
    """A filing on every day from 1999-12-01 to 2025-03-31 (month ends, leap days)."""
    filed = pd.Series(pd.date_range("1999-12-01", "2025-03-31", freq="D"))
    rng = np.random.default_rng(8)
    closed = filed + pd.to_timedelta(rng.integers(0, 500, len(filed)), unit="D")
    frame = pd.DataFrame({"case_id": [f"d{i}" for i in range(len(filed))], "court": "甲",
                          "case_type": "civil", "instance": "first",
                          "procedure": rng.choice(["ordinary", "simplified", "small_claims"],
                                                  len(filed)),
                          "filed_date": filed, "closed_date": closed.where(rng.random(len(filed))
                                                                          < 0.9),
                          "extension_days": np.where(rng.random(len(filed)) < .2, 31, 0),
                          "suspended_days": np.where(rng.random(len(filed)) < .2, 10, 0)})
    from courtstudy.core.schema import conform_cases
    return conform_cases(frame)


@pytest.mark.parametrize("name", ["fixture", "random", "edge", "edge_without_columns",
                                  "every_day"])
def test_duckdb_preparation_equals_prepare_cases(name):
    as_of = {"fixture": AS_OF, "random": "2023-06-30"}.get(name, "2024-03-31")
    cases = {"fixture": fixture_cases, "random": lambda: _random_cases(3000, seed=3),
             "edge": _edge_cases, "every_day": _every_day,
             "edge_without_columns": lambda: _edge_cases().drop(
                 columns=["case_type", "instance", "appeal_filed_date", "team"])}[name]()
    expected = prepare_cases(cases, as_of).to_pandas()
    engine = IndicatorEngine(cases, as_of=as_of)
    assert len(expected) > 10
    _assert_same_rows(expected, _duckdb_prepared(engine))


def test_duckdb_preparation_with_extra_limits():
    extra = pd.DataFrame({"case_type": ["civil", "civil"], "procedure": ["ordinary", "simplified"],
                          "instance": ["first", "first"], "valid_from": ["2023-01-01",
                                                                         "2020-01-01"],
                          "valid_to": ["2023-12-31", None], "limit_months": [1, 2],
                          "limit_days": [5, 0], "max_extension_months": [0, 0],
                          "source": ["test", "test"]})
    table = statutory_limits(extra=extra)
    cases = _edge_cases()
    expected = prepare_cases(cases, AS_OF, limits=table).to_pandas()
    assert not expected["within"].equals(prepare_cases(cases, AS_OF).to_pandas()["within"])
    engine = IndicatorEngine(cases, as_of=AS_OF, limits=table)
    _assert_same_rows(expected, _duckdb_prepared(engine))


def test_duckdb_indicators_equal_portable_path():
    import ibis

    cases = _edge_cases()
    duck = IndicatorEngine(cases, courts=COURTS, as_of=AS_OF)
    portable = IndicatorEngine(ibis.memtable(prepare_cases(cases, AS_OF)), courts=COURTS,
                               as_of=AS_OF)
    for kwargs in (dict(by=["court", "team"], period="month", start="2021-01-01", end=AS_OF),
                   dict(by="procedure", period=["2022-02-01~2022-05-15", "2023"]),
                   dict(by=[], period="quarter", start="2022-01-01", end=AS_OF,
                        court_filter=["乙"])):
        pd.testing.assert_frame_equal(duck.compute(**kwargs), portable.compute(**kwargs))
