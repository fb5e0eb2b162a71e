"""ISO weeks (``2023-W47``) and single days (``2023-11-22``) as periods (issue 14: the weekly
and daily bulletins)."""

from __future__ import annotations

import pandas as pd
import pytest

from courtstudy.core.periods import calendar_period, normalise_freq, parse_period, period_range

T = pd.Timestamp


@pytest.mark.parametrize("label, start, end, canonical", [
    ("2023-W47", "2023-11-20", "2023-11-26", "2023-W47"),
    ("2023w47", "2023-11-20", "2023-11-26", "2023-W47"),
    ("2023W1", "2023-01-02", "2023-01-08", "2023-W01"),
    # ISO week 1 of 2020 starts in 2019; week 53 of 2020 ends in 2021.
    ("2020-W01", "2019-12-30", "2020-01-05", "2020-W01"),
    ("2020-W53", "2020-12-28", "2021-01-03", "2020-W53"),
    ("2023-11-22", "2023-11-22", "2023-11-22", "2023-11-22"),
    ("2024-2-29", "2024-02-29", "2024-02-29", "2024-02-29"),
])
def test_parse_week_and_day(label, start, end, canonical):
    p = parse_period(label)
    assert (p.start, p.end, p.label) == (T(start), T(end), canonical)
    assert p.days == (T(end) - T(start)).days + 1


def test_label_of_a_week_uses_the_iso_year():
    # 2024-12-30 is the Monday of ISO week 1 of 2025.
    assert calendar_period("2024-12-31", "week").label == "2025-W01"
    assert calendar_period("2023-11-26", "week").label == "2023-W47"  # a Sunday
    assert calendar_period("2023-11-27", "week").label == "2023-W48"  # the next Monday


def test_shift_of_weeks_and_days():
    w = parse_period("2023-W47")
    assert w.shift("pop").label == "2023-W46"
    assert w.shift("yoy").label == "2022-W47"
    assert parse_period("2021-W01").shift("pop").label == "2020-W53"
    # 2021 has no week 53: the comparison is week 52.
    assert parse_period("2020-W53").shift("yoy").label == "2019-W52"
    d = parse_period("2024-03-01")
    assert d.shift("pop").label == "2024-02-29"
    assert d.shift("yoy").label == "2023-03-01"
    assert parse_period("2024-02-29").shift("yoy").label == "2023-02-28"


def test_ranges_and_aliases():
    weeks = period_range("2023-11-22", "2023-12-04", "week")
    assert [p.label for p in weeks] == ["2023-W47", "2023-W48", "2023-W49"]
    days = period_range("2023-12-30", "2024-01-02", "day")
    assert [p.label for p in days] == ["2023-12-30", "2023-12-31", "2024-01-01", "2024-01-02"]
    assert normalise_freq("周") == "week" and normalise_freq("daily") == "day"


@pytest.mark.parametrize("bad", ["2023-W54", "2021-W53", "2023-W00", "2023-02-30", "2023-13-01"])
def test_bad_weeks_and_days(bad):
    with pytest.raises(ValueError, match="cannot read period"):
        parse_period(bad)
