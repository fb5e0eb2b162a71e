"""Case numbers (案号) on real-looking numbers: brackets, type codes, with and without 号."""

from __future__ import annotations

import pandas as pd
import pytest

from courtstudy.ingest.case_number import parse_case_number, parse_case_numbers

CASES = [
    # raw, canonical, year, court code, type code, seq, case type, instance
    ("（2022）蒙0291民初1234号", "（2022）蒙0291民初1234号", 2022, "蒙0291", "民初", 1234, "civil", "first"),
    ("(2022)蒙0291民初1234号", "（2022）蒙0291民初1234号", 2022, "蒙0291", "民初", 1234, "civil", "first"),
    ("(2022)蒙0291民初1234", "（2022）蒙0291民初1234号", 2022, "蒙0291", "民初", 1234, "civil", "first"),
    ("（2022) 蒙0291 民初 1234 号", "（2022）蒙0291民初1234号", 2022, "蒙0291", "民初", 1234, "civil", "first"),
    ("（２０２３）京01民终56号", "（2023）京01民终56号", 2023, "京01", "民终", 56, "civil", "second"),
    ("（2021）最高法民再7号", "（2021）最高法民再7号", 2021, "最高法", "民再", 7, "civil", "retrial"),
    ("（2021）最高法民申1024号", "（2021）最高法民申1024号", 2021, "最高法", "民申", 1024, "civil", "retrial"),
    ("（2020）浙0102执恢12号", "（2020）浙0102执恢12号", 2020, "浙0102", "执恢", 12, "enforcement", None),
    ("（2020）浙0102执保3号", "（2020）浙0102执保3号", 2020, "浙0102", "执保", 3, "enforcement", None),
    ("（2020）浙0102执981号", "（2020）浙0102执981号", 2020, "浙0102", "执", 981, "enforcement", None),
    ("（2019）苏05刑终88号", "（2019）苏05刑终88号", 2019, "苏05", "刑终", 88, "criminal", "second"),
    ("（2019）苏0508刑初1号", "（2019）苏0508刑初1号", 2019, "苏0508", "刑初", 1, "criminal", "first"),
    ("（2023）沪0115行初77号", "（2023）沪0115行初77号", 2023, "沪0115", "行初", 77, "administrative", "first"),
    ("（2023）粤0304民特45号", "（2023）粤0304民特45号", 2023, "粤0304", "民特", 45, "civil", None),
    ("（2022）蒙民终12号", "（2022）蒙民终12号", 2022, "蒙", "民终", 12, "civil", "second"),
    ("〔2015〕沪01民终9号", "（2015）沪01民终9号", 2015, "沪01", "民终", 9, "civil", "second"),
    ("（2020）浙0102民初12号之一", "（2020）浙0102民初12号之一", 2020, "浙0102", "民初", 12, "civil", "first"),
]


@pytest.mark.parametrize("raw, canonical, year, court, type_code, seq, case_type, instance", CASES)
def test_parse(raw, canonical, year, court, type_code, seq, case_type, instance):
    number = parse_case_number(raw)
    assert number is not None
    assert (number.text, number.year, number.court_code, number.type_code, number.seq) == \
        (canonical, year, court, type_code, seq)
    assert number.case_type == case_type
    assert number.instance == instance


@pytest.mark.parametrize("raw", ["2022民初1234号", "（22）蒙0291民初1234号", "（2022）蒙0291民初号", "合计",
                                 "（1900）京01民终5号", "（2022）0291民初12号", "abc"])
def test_unparseable(raw):
    assert parse_case_number(raw) is None


def test_vectorised_matches_scalar():
    raw = pd.Series([c[0] for c in CASES] + ["2022民初1234号", "", "（2022)蒙0291民初1234号"])
    table = parse_case_numbers(raw)
    for i, text in enumerate(raw):
        number = parse_case_number(text)
        row = table.iloc[i]
        assert bool(row["parsed"]) == (number is not None)
        if number is None:
            expected_id = text.replace("(", "（").replace(")", "）").replace(" ", "") or pd.NA
            assert row["case_id"] is expected_id or row["case_id"] == expected_id
            assert row[["case_year", "court_code", "type_code", "case_seq", "case_type", "instance"]].isna().all()
        else:
            assert (row["case_id"], row["case_year"], row["court_code"], row["type_code"], row["case_seq"]) == \
                (number.text, number.year, number.court_code, number.type_code, number.seq)
            assert (row["case_type"] if pd.notna(row["case_type"]) else None) == number.case_type
            assert (row["instance"] if pd.notna(row["instance"]) else None) == number.instance
    assert table.dtypes.to_dict() == {"case_id": "string", "parsed": "bool", "case_year": "Int64",
                                      "court_code": "string", "type_code": "string", "case_seq": "Int64",
                                      "case_type": "string", "instance": "string"}
