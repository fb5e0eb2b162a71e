"""The DuckDB engine's faster aggregation path (a second view whose 0/1 columns are summed
without casts, over the prepared cases kept as Arrow) against the view the engine exposes and
against the portable path it replaced in the queries."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from test_indicators import AS_OF, COURTS, _random_cases
from test_indicators_duckdb import _edge_cases

from courtstudy.indicators import IndicatorEngine, prepare_cases
from courtstudy.indicators.engine import _FLAGS


def test_sum_view_has_the_values_of_the_exposed_view():
    engine = IndicatorEngine(_edge_cases(), as_of=AS_OF)
    exposed = engine.table.to_pyarrow().to_pandas()
    summed = engine._sum_table.to_pyarrow().to_pandas()
    assert list(summed.columns) == list(exposed.columns)
    for column in exposed.columns:
        np.testing.assert_array_equal(summed[column].to_numpy(dtype="float64"),
                                      exposed[column].to_numpy(dtype="float64"), err_msg=column)
    # Every flag is set somewhere and unset somewhere, so the comparison can fail per flag.
    varying = [f for f in _FLAGS if exposed[f].nunique() == 2]
    assert {"is_closed", "has_limit", "within", "appealed", "fic"} <= set(varying)


def test_duckdb_aggregates_equal_portable_path_by_month():
    cases = _random_cases(3000, seed=11)
    duck = IndicatorEngine(cases, courts=COURTS, as_of="2023-06-30")
    portable = IndicatorEngine(ibis.memtable(prepare_cases(cases, "2023-06-30")),
                               courts=COURTS, as_of="2023-06-30")
    kwargs = dict(by="court", period="month", start="2021-01-01", end="2023-06-30")
    got, want = duck.compute(**kwargs), portable.compute(**kwargs)
    assert len(want) > 1000 and want["value"].notna().sum() > 500
    pd.testing.assert_frame_equal(got, want)
