"""How display tables print values of a kind (courtstudy.report.tables): every p-value column
of every report prints the same way, whatever dtype its frame gave it (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.report.tables import display_table, format_value, infer_kinds, prepare_for_file

P_COLUMNS = ("p_value", "pretrend_p", "randomization_p")


@pytest.mark.parametrize("column", P_COLUMNS)
def test_p_values_print_three_decimals_and_never_a_bare_zero(column):
    # a p-value of exactly 0 (a z of 48) in a float column used to print "0" beside "0.00"
    frame = pd.DataFrame({"term": ["a", "b", "c", "d", "e"], column: [0.0, 0.0004, 0.0346, 0.15, 1.0]})
    assert infer_kinds(frame)[column] == "p"
    for lang in ("zh", "en"):
        table = display_table(frame, name="p_values", lang=lang)
        assert [row[1] for row in table.cells] == ["<0.001", "<0.001", "0.035", "0.150", "1.000"]
        assert table.aligns[1] == "right"


def test_integer_or_missing_p_values_follow_the_same_rule():
    frame = pd.DataFrame({"p_value": pd.array([0, 1, None], dtype="Int64")})
    table = display_table(frame, name="p_values", lang="en", why_missing="no test")
    assert [row[0] for row in table.cells] == ["<0.001", "1.000", "—"]
    assert format_value(np.float64(0.0009996), "p") == "<0.001"


def test_p_values_in_files_keep_small_values_distinct_from_zero():
    frame = pd.DataFrame({"p_value": [3.21e-05, 0.0346, 0.0]})
    written = prepare_for_file(frame, infer_kinds(frame))
    assert written["p_value"].tolist() == [3.21e-05, 0.0346, 0.0]
