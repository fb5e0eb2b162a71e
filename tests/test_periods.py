"""Period parsing, labels, ranges and comparison shifts."""

from __future__ import annotations

import pandas as pd
import pytest

from courtstudy.core.periods import Period, calendar_period, parse_period, period_range

T = pd.Timestamp


@pytest.mark.parametrize("label, start, end", [
    ("2023-11", "2023-11-01", "2023-11-30"),
    ("2024-02", "2024-02-01", "2024-02-29"),
    ("2023Q4", "2023-10-01", "2023-12-31"),
    ("2023H2", "2023-07-01", "2023-12-31"),
    ("2024H1", "2024-01-01", "2024-06-30"),
    ("2023", "2023-01-01", "2023-12-31"),
    ("2023-02-15~2023-05-31", "2023-02-15", "2023-05-31"),
    ("2023-02-15/2023-05-31", "2023-02-15", "2023-05-31"),
])
def test_parse_and_label(label, start, end):
    p = parse_period(label)
    assert (p.start, p.end) == (T(start), T(end))
    assert p.label == label.replace("/", "~")


def test_days_and_range():
    assert parse_period("2024Q1").days == 91
    assert parse_period("2023Q1").days == 90
    months = period_range("2023-11-15", "2024-02-01", "month")
    assert [p.label for p in months] == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert [p.label for p in period_range("2023-05-01", "2024-01-01", "half")] == \
        ["2023H1", "2023H2", "2024H1"]
    assert calendar_period("2023-08-31", "quarter").label == "2023Q3"


def test_shift():
    assert parse_period("2024Q1").shift("yoy").label == "2023Q1"
    assert parse_period("2024Q1").shift("pop").label == "2023Q4"
    assert parse_period("2024-01").shift("pop").label == "2023-12"
    assert parse_period("2024H1").shift("pop").label == "2023H2"
    custom = parse_period("2024-02-01~2024-02-29")
    assert custom.shift("pop") == Period(T("2024-01-03"), T("2024-01-31"), "custom")
    assert custom.shift("yoy").label == "2023-02-01~2023-02-28"


def test_bad_labels():
    for bad in ("2023Q5", "2023-13", "Q4", "2023H3", "2024-03-01~2024-02-01"):
        with pytest.raises(ValueError):
            parse_period(bad)
