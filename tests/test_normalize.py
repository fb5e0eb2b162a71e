"""Value parsers against hand-computed values (dates, amounts, counts, yes/no, vocabularies)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from courtstudy.core import schema
from courtstudy.ingest import normalize

D = dt.date(2023, 5, 6)


@pytest.mark.parametrize("raw", [
    "2023-05-06", "2023/5/6", "2023.5.6", "2023年5月6日", "20230506", "2023-5-6", "2023/05/06",
    " 2023-05-06 ", "2023-05-06 00:00:00", "2023-05-06T14:30", "2023/5/6 9:05", "2023年5月6日 10时30分",
    "２０２３年５月６日", "2023 年 5 月 6 日", "20230506 08:00",
    "45052",      # Excel serial day: 2023-05-06 is day 45052 counted from 1899-12-30
    "45052.75",   # a serial with a time of day
])
def test_date_formats(raw):
    assert normalize.parse_date(raw) == (D, None)


@pytest.mark.parametrize("raw, expected", [
    ("36526", dt.date(2000, 1, 1)),     # Excel's serial for 2000-01-01
    ("43831", dt.date(2020, 1, 1)),
    ("2024/2/29", dt.date(2024, 2, 29)),
    ("20191231", dt.date(2019, 12, 31)),
])
def test_date_values(raw, expected):
    assert normalize.parse_date(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["2023-02-30", "2023-13-01", "2023/0/12", "abc", "2023-05", "12345",
                                 "1899-01-01", "2023年5月", "99999", "2023-02-29"])
def test_bad_dates(raw):
    assert normalize.parse_date(raw) == (None, "bad_date")


@pytest.mark.parametrize("raw", ["", "   ", "未结", "nan", "NULL", "-", "—", "无"])
def test_missing_dates(raw):
    assert normalize.parse_date(raw) == (None, None)


def test_parse_dates_vectorised_matches_scalar():
    raw = pd.Series(["2023/5/6", "", "45052", "bad", "2023/5/6", "2020年1月1日"] * 3)
    parsed = normalize.parse_dates(raw)
    assert parsed.values.dtype == "datetime64[s]"
    expected = [pd.Timestamp(d) if d else pd.NaT for d, _ in map(normalize.parse_date, raw)]
    pd.testing.assert_series_equal(parsed.values, pd.Series(expected, dtype="datetime64[s]"))
    assert parsed.problems.tolist() == [pd.NA, pd.NA, pd.NA, "bad_date", pd.NA, pd.NA] * 3


@pytest.mark.parametrize("raw, expected", [
    ("1,234.5", 1234.5), ("1234.5", 1234.5), ("3.5万", 35000.0), ("3.5万元", 35000.0), ("1234元", 1234.0),
    ("１，２３４．５", 1234.5), ("¥1,000", 1000.0), ("￥2000元", 2000.0), ("1.2E+05", 120000.0),
    ("0.01万", 100.0), ("12.3456万", 123456.0), ("2亿元", 200000000.0), (" 1,234,567.89 元", 1234567.89),
    ("0", 0.0), ("12345.67", 12345.67), ("10,000", 10000.0),
])
def test_amounts(raw, expected):
    assert normalize.parse_amount(raw) == (expected, None)
    # the vectorised path (pyarrow fast path for plain and grouped numbers) gives the same float
    parsed = normalize.parse_amounts(pd.Series([raw, raw, ""]))
    assert parsed.values.iloc[0] == expected and np.isnan(parsed.values.iloc[2])
    assert parsed.values.dtype == "float64"


@pytest.mark.parametrize("raw, reason", [
    ("12,34", "bad_amount"), ("1,2345", "bad_amount"), ("abc", "bad_amount"), ("约5万", "bad_amount"),
    ("十万元", "bad_amount"), ("1.2.3", "bad_amount"), ("-5", "negative_value"), ("-1,000元", "negative_value"),
])
def test_bad_amounts(raw, reason):
    assert normalize.parse_amount(raw) == (None, reason)
    assert normalize.parse_amounts(pd.Series([raw])).problems.iloc[0] == reason


@pytest.mark.parametrize("raw, expected", [("3", 3), ("3.0", 3), ("3人", 3), ("１２", 12), ("1,200", 1200),
                                           (" 30天 ", 30), ("0", 0)])
def test_integers(raw, expected):
    assert normalize.parse_integer(raw) == (expected, None)


@pytest.mark.parametrize("raw, reason", [("2.5", "bad_integer"), ("两人", "bad_integer"), ("-1", "negative_value"),
                                         ("x", "bad_integer")])
def test_bad_integers(raw, reason):
    assert normalize.parse_integer(raw) == (None, reason)


@pytest.mark.parametrize("raw", sorted(schema.YES_SPELLINGS) + ["YES", "True", " 是 ", "Ｙ", "TRUE"])
def test_yes(raw):
    assert normalize.parse_yes_no_value(raw) == (True, None)


@pytest.mark.parametrize("raw", sorted(schema.NO_SPELLINGS) + ["NO", "False", " 否 ", "Ｎ"])
def test_no(raw):
    assert normalize.parse_yes_no_value(raw) == (False, None)


@pytest.mark.parametrize("raw", ["不知道", "2", "maybe", "待定"])
def test_bad_yes_no(raw):
    assert normalize.parse_yes_no_value(raw) == (None, "bad_yes_no")


def test_yes_no_vectorised():
    parsed = normalize.parse_yes_no(pd.Series(["是", "N", "", "x"]))
    assert parsed.values.dtype == "boolean"
    assert parsed.values.tolist() == [True, False, pd.NA, pd.NA]
    assert parsed.problems.tolist() == [pd.NA, pd.NA, pd.NA, "bad_yes_no"]


SPELLINGS = [(vocab, code, spelling)
             for vocab, entries in schema.VOCABULARIES.items()
             for code, (zh, en, extras) in entries.items()
             for spelling in (code, zh, en, *extras)]


@pytest.mark.parametrize("vocabulary, code, spelling", SPELLINGS)
def test_every_vocabulary_spelling(vocabulary, code, spelling):
    lookup = normalize.category_lookup(vocabulary)
    assert normalize.parse_category_value(spelling, lookup) == (code, None)
    assert normalize.parse_category_value(f"  {spelling.upper()} ", lookup) == (code, None)


@pytest.mark.parametrize("vocabulary, raw, code", [
    ("disposition", "按撤诉处理", "withdrawal"), ("appeal_result", "按撤回上诉处理", "withdrawn"),
    ("procedure", "简易 程序", "simplified"), ("procedure", "Small Claims", "small_claims"),
    ("procedure", "small_claims", "small_claims"), ("team_type", "速裁快审团队", "fast_track"),
    ("appeal_result", "驳回上诉，维持原判", "affirmed"), ("appeal_result", "驳回上诉,维持原判", "affirmed"),
    ("instance", "第一审", "first"), ("track", "简案", "simple"),
])
def test_category_variants(vocabulary, raw, code):
    assert normalize.parse_category_value(raw, normalize.category_lookup(vocabulary)) == (code, None)


def test_unknown_category():
    parsed = normalize.parse_categories(pd.Series(["判决", "不详", ""]), "disposition")
    assert parsed.values.tolist() == ["judgment", pd.NA, pd.NA]
    assert parsed.problems.tolist() == [pd.NA, "unknown_category", pd.NA]


def test_clean_text_keeps_rare_characters():
    parsed = normalize.clean_text(pd.Series([" 王䶮 ", "李𠀀\u3000", "", "null"]))
    assert parsed.values.tolist() == ["王䶮", "李𠀀", pd.NA, pd.NA]
    assert parsed.problems.isna().all()
