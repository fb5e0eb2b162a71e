"""Issue 9: inputs that used to lose or shift data while the accounting still balanced, values
that became wrong numbers, and inputs that gave a traceback instead of a message. Each test
fails on the loader before the issue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from courtstudy import cli
from courtstudy.core.errors import StructuralError
from courtstudy.indicators import default_as_of
from courtstudy.ingest.loading import load_cases

HEADER = "案号,法院,立案日期,结案日期"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def keys(frame: pd.DataFrame) -> set[tuple[int, str, str]]:
    return {(int(r), str(c), str(x)) for r, c, x in zip(frame["row"], frame["column"], frame["reason"], strict=True)}


# ------------------------------------------------------------------------ silent loss and shifting
def test_a_trailing_delimiter_keeps_every_value_in_its_column(tmp_path):
    path = write(tmp_path / "t.csv", HEADER + "\r\n"
                 "（2022）蒙0291民初1号,甲法院,2022-01-05,2022-03-01,\r\n"
                 "（2022）蒙0291民初2号,甲法院,2022-01-06,,\r\n", "gb18030")
    loaded = load_cases(path)
    assert loaded.cases["court"].tolist() == ["甲法院", "甲法院"]
    assert loaded.cases["filed_date"].tolist() == [pd.Timestamp("2022-01-05"), pd.Timestamp("2022-01-06")]
    assert loaded.cases["closed_date"].tolist()[0] == pd.Timestamp("2022-03-01")
    assert loaded.quarantine.empty and loaded.field_issues.empty
    assert loaded.accounting()["trailing_delimiters"] == 2


@pytest.mark.parametrize("lines", [
    # some rows with a trailing delimiter, some without (crashed in _duplicates or read_csv)
    ["（2022）蒙0291民初1号,甲法院,2022-01-05,2022-03-01,", "（2022）蒙0291民初2号,甲法院,2022-01-06,2022-03-02",
     "（2022）蒙0291民初1号,甲法院,2022-01-05,2022-03-01,"],
    # the header itself with a trailing delimiter
    ["（2022）蒙0291民初1号,甲法院,2022-01-05,2022-03-01,", "（2022）蒙0291民初2号,甲法院,2022-01-06,2022-03-02,"],
])
def test_mixed_trailing_delimiters_are_read_exactly(tmp_path, lines):
    header = HEADER + ("," if lines[-1].endswith(",") and len(lines) == 2 else "")
    loaded = load_cases(write(tmp_path / "m.csv", "\n".join([header, *lines]) + "\n"))
    acc = loaded.accounting()
    assert acc["balanced"] and acc["rows_read"] == len(lines)
    assert set(loaded.cases["court"]) == {"甲法院"}
    assert (loaded.cases["closed_date"] > loaded.cases["filed_date"]).all()


def test_an_extra_value_or_a_missing_cell_quarantines_the_row(tmp_path):
    path = write(tmp_path / "r.csv", HEADER + "\n"
                 "（2022）蒙0291民初1号,甲法院,2022-01-05,2022-03-01,多余\n"   # line 2: 5 cells, the 5th not empty
                 "（2022）蒙0291民初2号,2022-01-06,2022-03-02\n"                # line 3: the court is missing
                 "（2022）蒙0291民初3号,甲法院,2022-01-07,2022-03-03\n")
    loaded = load_cases(path)
    assert keys(loaded.quarantine) == {(2, "", "malformed_row"), (3, "", "short_row")}
    assert loaded.cases["case_id"].tolist() == ["（2022）蒙0291民初3号"]
    messages = loaded.quarantine.set_index("row")["message_en"]
    assert "5 > 4" in messages[2] and "3 < 4" in messages[3]


def test_a_filtered_frame_is_read_by_position(tmp_path):
    frame = pd.DataFrame({"案号": [f"（2022）蒙0291民初{i}号" for i in range(1, 7)],
                          "立案日期": [f"2022-01-0{i}" for i in range(1, 7)]})
    subset = frame[frame.index % 2 == 1]                       # labels 1, 3, 5
    loaded = load_cases(subset)
    assert loaded.cases["case_id"].tolist() == subset["案号"].tolist()
    assert loaded.quarantine.empty and loaded.rows_read == 3
    path = tmp_path / "f.parquet"
    subset.to_parquet(path)                                     # keeps the labels as its index
    assert load_cases(path).cases["case_id"].tolist() == subset["案号"].tolist()
    named = frame.set_index("案号")                              # a named index holds data
    assert load_cases(named).cases["case_id"].tolist() == frame["案号"].tolist()


def test_an_unterminated_quote_is_an_error_naming_the_line(tmp_path):
    path = write(tmp_path / "q.csv", HEADER + "\n"
                 "（2022）蒙0291民初1号,甲法院,2022-01-05,2022-03-01\n"
                 "（2022）蒙0291民初2号,\"甲法院,2022-01-06,2022-03-02\n"     # line 3 opens a quote
                 "（2022）蒙0291民初3号,甲法院,2022-01-07,2022-03-03\n"
                 "（2022）蒙0291民初4号,甲法院,2022-01-08,2022-03-04\n")
    with pytest.raises(StructuralError, match="line 3") as info:
        load_cases(path)
    assert "q.csv" in str(info.value) and "第 3 行" in str(info.value)


def test_a_quote_running_over_many_lines_is_an_error_naming_the_line(tmp_path):
    body = "".join(f"（2022）蒙0291民初{i}号,甲法院,2022-01-05,2022-03-01\n" for i in range(3, 30))
    path = write(tmp_path / "q.csv", HEADER + "\n（2022）蒙0291民初1号,甲法院,2022-01-05,2022-03-01\n"
                 "（2022）蒙0291民初2号,\"甲法院,2022-01-06,2022-03-02\n" + body + "x\",1,2,3\n")
    with pytest.raises(StructuralError, match="line 3") as info:
        load_cases(path)
    assert "unterminated quote" in str(info.value)
    # a cell holding a few line breaks is fine, and named by the line it opens on
    loaded = load_cases(path, max_lines_per_row=40)
    assert loaded.accounting()["multiline_first_lines"] == [3]


def test_line_breaks_inside_a_cell_keep_the_line_numbers_right(tmp_path):
    path = write(tmp_path / "n.csv", "案号,法院,立案日期,案由\r\n"
                 "（2022）蒙0291民初1号,甲法院,2022-01-05,\"民间借贷\r\n纠纷\"\r\n"      # lines 2-3
                 "（2022）蒙0291民初2号,甲法院,,买卖合同纠纷\r\n"                       # line 4
                 "\r\n"                                                                # line 5: blank
                 "（2022）蒙0291民初3号,甲法院,2022-01-05,\"a\r\nb\r\nc\"\r\n"           # lines 6-8
                 "（2022）蒙0291民初4号,甲法院,2022-13-01,x\r\n")                        # line 9
    loaded = load_cases(path)
    assert keys(loaded.quarantine) == {(4, "立案日期", "missing_filed_date"), (9, "立案日期", "bad_filed_date")}
    assert list(loaded.source_rows) == [2, 6]
    assert loaded.cases["cause"].tolist() == ["民间借贷\r\n纠纷", "a\r\nb\r\nc"]
    assert loaded.blank_rows == 1 and loaded.accounting()["multiline_first_lines"] == [2, 6]


def test_a_stray_quote_inside_a_cell_is_read_as_text(tmp_path):
    path = write(tmp_path / "s.csv", "案号,立案日期,案由\n（2022）蒙0291民初1号,2022-01-05,他说\"你好\"纠纷\n"
                 "（2022）蒙0291民初2号,2022-01-06,5\" 钢管\n（2022）蒙0291民初3号,2022-01-07,x\n")
    loaded = load_cases(path)
    assert loaded.cases["cause"].tolist() == ['他说"你好"纠纷', '5" 钢管', "x"]
    assert list(loaded.source_rows) == [2, 3, 4]


def test_lone_carriage_returns_are_line_breaks(tmp_path):
    path = write(tmp_path / "mac.csv", "案号,立案日期\r（2022）蒙0291民初1号,2022-01-05\r\r（2022）蒙0291民初2号,2022-01-06\r")
    loaded = load_cases(path)
    assert list(loaded.source_rows) == [2, 4] and loaded.blank_rows == 1


# ------------------------------------------------------------------------ values that became wrong numbers
def test_dates_after_the_snapshot_are_reported_and_never_set_the_as_of_date(tmp_path):
    path = write(tmp_path / "f.csv", "案号,立案日期,结案日期,上诉日期\n"
                 "（2022）蒙0291民初1号,2022-01-05,2093-03-01,\n"     # a mistyped closing year
                 "（2022）蒙0291民初2号,2092-01-05,,\n"               # a filing date in the future
                 "（2022）蒙0291民初3号,2024-01-05,2024-02-01,2024-02-10\n")
    loaded = load_cases(path, snapshot="2024-03-31")
    assert keys(loaded.quarantine) == {(3, "立案日期", "future_filed_date")}
    assert keys(loaded.field_issues) == {(2, "结案日期", "future_date")}
    assert loaded.field_issues["value"].tolist() == ["2093-03-01"]              # kept as written
    assert pd.isna(loaded.cases.set_index("case_id").loc["（2022）蒙0291民初1号", "closed_date"])
    assert default_as_of(loaded.cases) == pd.Timestamp("2024-02-10")
    # without a snapshot, today is the limit: 2093 is still in the future
    assert (load_cases(path).field_issues["reason"] == "future_date").sum() == 1


def test_numbers_out_of_range_are_field_issues_with_the_value_kept(tmp_path):
    path = write(tmp_path / "n.csv", "案号,立案日期,结案日期,标的额,当事人数,扣除审限天数\n"
                 "（2022）蒙0291民初1号,2022-01-05,2022-03-01,1e400,99999999999999999999999,3\n"
                 "（2022）蒙0291民初2号,2022-01-05,2022-02-01,5,2,145\n"
                 "（2022）蒙0291民初3号,2022-01-05,,5,2,9223372036854775807\n")
    loaded = load_cases(path, snapshot="2024-03-31")
    issues = loaded.field_issues.set_index(["row", "reason"])["value"]
    assert issues[(2, "out_of_range")].tolist() == ["1e400", "99999999999999999999999"]
    assert issues[(3, "suspended_exceeds_duration")] == "145"
    assert issues[(4, "out_of_range")] == "9223372036854775807"
    cases = loaded.cases
    assert np.isfinite(cases["claim_amount"].dropna()).all()
    trial = (cases["closed_date"] - cases["filed_date"]).dt.days - cases["suspended_days"].astype("float")
    assert not (trial < 0).any()


def test_time_zone_aware_timestamps_are_read_in_china_time(tmp_path):
    frame = pd.DataFrame({"case_id": ["（2022）蒙0291民初1号"],
                          "filed_date": pd.to_datetime(["2022-01-04 20:00"]).tz_localize("UTC")})
    path = tmp_path / "tz.parquet"
    frame.to_parquet(path)
    assert load_cases(path).cases["filed_date"].tolist() == [pd.Timestamp("2022-01-05")]  # 04:00 next day in Beijing
    assert load_cases(frame).cases["filed_date"].tolist() == [pd.Timestamp("2022-01-05")]


def test_xlsx_formulas_without_a_saved_value_are_reported(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["案号", "立案日期", "结案日期"])
    sheet.append(["（2022）蒙0291民初1号", dt.datetime(2022, 1, 4), "=B2+30"])
    sheet.append(['="（2022）蒙0291民初"&2', dt.datetime(2022, 1, 4), None])
    path = tmp_path / "f.xlsx"
    book.save(path)   # openpyxl saves no cached values: Excel would compute them on opening
    loaded = load_cases(path)
    assert keys(loaded.quarantine) == {(3, "案号", "formula_without_value")}
    assert keys(loaded.field_issues) == {(2, "结案日期", "formula_without_value")}
    message = loaded.field_issues["message_en"].iloc[0]
    assert "C2" in message and "=B2+30" in message


# ------------------------------------------------------------------------ failing clearly
@pytest.fixture
def validate_only(monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ("validate", "indicators"))


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_nested_parquet_columns_are_refused_by_name(tmp_path, capsys, validate_only):
    path = tmp_path / "list.parquet"
    pd.DataFrame({"案号": ["（2022）蒙0291民初1号"], "立案日期": ["2022-01-04"], "当事人": [["张三", "李四"]]}).to_parquet(path)
    assert cli.main(["validate", str(path)]) == 2
    err = _one_line_error(capsys)
    assert "list.parquet" in err and "当事人" in err and "lists" in err
    frame = pd.DataFrame({"案号": ["（2022）蒙0291民初1号"], "立案日期": ["2022-01-04"], "x": [{"a": 1}]})
    with pytest.raises(StructuralError, match="'x'"):
        load_cases(frame)


def test_outputs_under_a_regular_file_are_messages(tmp_path, capsys, validate_only):
    data = write(tmp_path / "c.csv", HEADER + "\n（2022）蒙0291民初1号,甲法院,2022-01-05,2022-03-01\n")
    blocker = write(tmp_path / "afile", "not a folder")
    assert cli.main(["validate", str(data), "--out", str(blocker / "out")]) == 2
    assert "afile" in _one_line_error(capsys)
    assert cli.main(["indicators", str(data), "--out", str(blocker / "x.csv")]) == 2
    assert "afile" in _one_line_error(capsys)
    assert cli.main(["indicators", str(data), "--out", str(tmp_path / "x.txt")]) == 2
    assert ".xlsx" in _one_line_error(capsys)


def test_indicators_for_an_unknown_court_is_an_error(tmp_path, capsys, validate_only):
    data = write(tmp_path / "c.csv", HEADER + "\n（2022）蒙0291民初1号,甲法院,2022-01-05,2022-03-01\n")
    assert cli.main(["indicators", str(data), "--court", "nosuch"]) == 2
    err = _one_line_error(capsys)
    assert "nosuch" in err and "甲法院" in err
