"""Statutory deadlines and small-claims thresholds against hand-computed dates."""

import pandas as pd
import pytest

from courtstudy.core.limits import (
    add_calendar_months,
    deadlines,
    small_claims_thresholds,
    threshold_for,
)


def _cases(rows):
    frame = pd.DataFrame(rows, columns=["case_type", "procedure", "instance", "filed_date",
                                        "extension_days", "suspended_days"])
    frame["filed_date"] = pd.to_datetime(frame["filed_date"]).astype("datetime64[s]")
    return frame


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # Before 2022 a simplified case has 3 months and no extension; clipped to month end.
        (("civil", "simplified", "first", "2021-11-30", 0, 0), "2022-02-28"),
        # Filed in 2022: 3 months + the 1-month extension granted as 31 days.
        (("civil", "simplified", "first", "2022-01-31", 31, 0), "2022-05-31"),
        # Small claims from 2022: 2 months, plus 10 suspended (appraisal) days; blank extension = 0.
        (("civil", "small_claims", "first", "2022-03-15", None, 10), "2022-05-25"),
        # Small claims filed in 2021 followed the simplified limit of 3 months.
        (("civil", "small_claims", "first", "2021-06-10", 0, 0), "2021-09-10"),
        # Ordinary: 6 months from a month-end date lands on a leap day.
        (("civil", "ordinary", "first", "2023-08-31", 0, 0), "2024-02-29"),
        # Second instance (appeal against a judgment): 3 months.
        (("civil", "ordinary", "second", "2023-01-15", 0, 0), "2023-04-15"),
        # Missing instance means first instance.
        (("civil", "ordinary", None, "2023-01-15", 0, 0), "2023-07-15"),
        # No civil limit applies to a criminal case, nor to a case without procedure or type.
        (("criminal", "simplified", "first", "2023-01-15", 0, 0), None),
        (("civil", None, "first", "2023-01-15", 0, 0), None),
        ((None, "ordinary", "first", "2023-01-15", 0, 0), None),
    ],
)
def test_deadline_hand_computed(row, expected):
    got = deadlines(_cases([row])).iloc[0]
    if expected is None:
        assert pd.isna(got)
    else:
        assert got == pd.Timestamp(expected)


def test_frame_without_case_type_is_civil():
    frame = _cases([("criminal", "ordinary", "first", "2023-01-15", 0, 0)]).drop(columns="case_type")
    assert deadlines(frame).iloc[0] == pd.Timestamp("2023-07-15")


def test_user_rows_win_over_shipped_rows():
    extra = pd.DataFrame({"case_type": ["criminal"], "procedure": ["expedited"], "instance": ["first"],
                          "valid_from": ["2018-10-26"], "valid_to": [None], "limit_months": [0],
                          "limit_days": [10], "max_extension_months": [0], "source": ["criminal 速裁"]})
    from courtstudy.core.limits import statutory_limits

    table = statutory_limits(extra=extra)
    got = deadlines(_cases([("criminal", "expedited", "first", "2023-03-01", 0, 0)]), table)
    assert got.iloc[0] == pd.Timestamp("2023-03-11")


def test_add_calendar_months_clips_to_month_end():
    dates = pd.Series(pd.to_datetime(["2024-01-31", "2023-12-31", "2024-02-29", None]))
    got = add_calendar_months(dates, pd.Series([1, 2, 12, 3]))
    assert got.iloc[:3].tolist() == [pd.Timestamp("2024-02-29"), pd.Timestamp("2024-02-29"),
                                     pd.Timestamp("2025-02-28")]
    assert pd.isna(got.iloc[3])


def test_thresholds_table_and_lookup():
    assert threshold_for("浙江省", 2022) == 54323
    table = small_claims_thresholds(extra=pd.DataFrame(
        {"province": ["浙江省"], "year": [2022], "threshold_yuan": [1.0]}))
    assert threshold_for("浙江省", 2022, table) == 1.0
    with pytest.raises(KeyError, match="浙江省.*2031"):
        threshold_for("浙江省", 2031)
