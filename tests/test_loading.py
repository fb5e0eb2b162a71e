"""load_cases / load_courts / `courtstudy validate` on hand-written files with known answers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from courtstudy import cli
from courtstudy.core import schema
from courtstudy.core.errors import StructuralError
from courtstudy.ingest.loading import ISSUE_COLUMNS, load_cases, load_courts


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8",
              before: list[list[str]] | None = None) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for record in (before or []) + [header] + rows:
        writer.writerow(record)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def issue_keys(frame: pd.DataFrame) -> set[tuple[int, str, str]]:
    return {(int(r), str(c), str(reason)) for r, c, reason in zip(frame["row"], frame["column"], frame["reason"], strict=True)}


# ------------------------------------------------------------------ encodings and formats
RARE_JUDGE = "王䶮𠀀"  # 䶮 (Ext A) and 𠀀 (Ext B): GBK cannot encode them, GB18030 can


@pytest.mark.parametrize("encoding, detected, judge", [
    ("utf-8", "utf-8", RARE_JUDGE),
    ("utf-8-sig", "utf-8-sig", RARE_JUDGE),
    ("gbk", "gb18030", "张三丰"),
    ("gb18030", "gb18030", RARE_JUDGE),
    ("utf-16", "utf-16", RARE_JUDGE),
])
def test_csv_encodings(tmp_path, encoding, detected, judge):
    path = write_csv(tmp_path / "cases.csv", ["案号", "承办法院", "立案日期", "承办法官", "结案方式"],
                     [["（2022）蒙0291民初1号", "示范法院", "2022年3月1日", judge, "按撤诉处理"]], encoding)
    loaded = load_cases(path)
    assert loaded.encoding == detected
    assert loaded.cases["judge"].tolist() == [judge]
    assert loaded.cases["court"].tolist() == ["示范法院"]
    assert loaded.cases["disposition"].tolist() == ["withdrawal"]


def test_tab_separated_unicode_text(tmp_path):
    # Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab-separated.
    path = tmp_path / "unicode.txt"
    path.write_bytes("案号\t立案日期\t标的额（元）\r\n（2022）蒙0291民初1号\t2022/3/1\t1,234.5\r\n".encode("utf-16"))
    cases = load_cases(path).cases
    assert cases[["case_id", "claim_amount"]].iloc[0].tolist() == ["（2022）蒙0291民初1号", 1234.5]


def test_gbk_cannot_hold_rare_names():
    with pytest.raises(UnicodeEncodeError):
        RARE_JUDGE.encode("gbk")


def test_unreadable_encoding_is_structural(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes("案号,立案日期\r\n".encode() + b"\x80\x80,2022-01-01\r\n")
    with pytest.raises(StructuralError, match="broken.csv") as info:
        load_cases(path)
    assert "UTF-8" in str(info.value) and "GB18030" in str(info.value)


def test_xlsx_real_dates_serials_and_numbers(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["某某人民法院 2023 年案件明细"])        # a title line above the header
    sheet.append(["案号", "法院", "立案日期", "结案日期", "标的额（元）", "当事人数", "是否上诉"])
    sheet.append(["（2023）京01民终56号", "示范法院", dt.datetime(2023, 5, 6), 45108, 1234.5, 3, "是"])
    sheet.append(["(2023)京01民终57号", "示范法院", "2023/5/6", dt.datetime(2023, 7, 1, 9, 30), "3.5万", "2人", 0])
    sheet.append([None, "示范法院", dt.datetime(2023, 5, 6), None, None, None, None])
    path = tmp_path / "cases.xlsx"
    workbook.save(path)
    loaded = load_cases(path)
    assert loaded.rows_read == 3 and len(loaded.cases) == 2
    cases = loaded.cases
    assert cases["case_id"].tolist() == ["（2023）京01民终56号", "（2023）京01民终57号"]
    assert cases["filed_date"].tolist() == [pd.Timestamp("2023-05-06")] * 2
    assert cases["closed_date"].tolist() == [pd.Timestamp("2023-07-01")] * 2   # serial 45108 = 2023-07-01
    assert cases["claim_amount"].tolist() == [1234.5, 35000.0]
    assert cases["n_parties"].tolist() == [3, 2]
    assert cases["appealed"].tolist() == [True, False]
    assert cases["instance"].tolist() == ["second", "second"]
    assert issue_keys(loaded.quarantine) == {(5, "案号", "missing_case_id")}   # line 5 as Excel shows it


def test_xlsx_picks_the_data_sheet_and_keeps_excel_line_numbers(tmp_path):
    workbook = openpyxl.Workbook()
    cover = workbook.active
    cover.title = "说明"
    cover.append(["本表由审判管理系统导出"])
    data = workbook.create_sheet("案件明细")
    data.cell(row=3, column=1, value="案号")        # rows 1-2 left empty, as some exports do
    data.cell(row=3, column=2, value="立案日期")
    data.cell(row=4, column=1, value="（2023）京01民终1号")
    data.cell(row=4, column=2, value=dt.datetime(2023, 1, 3))
    data.cell(row=5, column=2, value=dt.datetime(2023, 1, 4))
    data.cell(row=5, column=4, value="备注：补录")     # a note right of the header: not a shifted value
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    loaded = load_cases(path)
    assert issue_keys(loaded.quarantine) == {(5, "案号", "missing_case_id")}
    assert list(loaded.source_rows) == [4]
    assert loaded.unmapped_columns == ["(第4列)"]


def test_parquet_typed_columns(tmp_path):
    frame = pd.DataFrame({
        "case_id": ["（2021）最高法民再7号", "（2021）最高法民再8号"],
        "court": ["最高人民法院", "最高人民法院"],
        "filed_date": pd.to_datetime(["2021-01-04", "2021-02-01"]),
        "closed_date": pd.to_datetime(["2021-06-30", None]),
        "claim_amount": [1e6, np.nan],
        "appealed": [False, True],
        "n_parties": pd.array([2, None], dtype="Int64"),
    })
    path = tmp_path / "cases.parquet"
    frame.to_parquet(path)
    loaded = load_cases(path)
    assert loaded.file_format == "parquet" and loaded.encoding is None
    cases = loaded.cases
    assert cases["filed_date"].tolist() == list(frame["filed_date"])
    assert cases["closed_date"].isna().tolist() == [False, True]
    assert cases["claim_amount"].iloc[0] == 1e6 and np.isnan(cases["claim_amount"].iloc[1])
    assert cases["appealed"].tolist() == [False, True]
    assert cases["n_parties"].tolist() == [2, pd.NA]
    assert cases["type_code"].tolist() == ["民再", "民再"] and cases["instance"].tolist() == ["retrial"] * 2


def test_dataframe_input_and_dtypes():
    loaded = load_cases(pd.DataFrame({"案号": ["（2022）蒙0291民初1号"], "立案日期": ["20220301"]}))
    assert loaded.source == "<DataFrame>"
    assert list(loaded.cases.columns) == list(schema.CASE_COLUMNS)
    assert loaded.cases.dtypes.astype(str).to_dict() == schema.CASE_DTYPES


# ------------------------------------------------------------------ headers
RAW_VALUES: dict[str, tuple[str, object]] = {
    "case_id": ("(2022)蒙0291民初1234号", "（2022）蒙0291民初1234号"),
    "court": (" 示范法院 ", "示范法院"),
    "case_type": ("刑事", "criminal"),
    "instance": ("二审", "second"),
    "cause": ("民间借贷纠纷", "民间借贷纠纷"),
    "procedure": ("小额诉讼程序", "small_claims"),
    "track": ("繁案", "complex"),
    "team": ("速裁一组", "速裁一组"),
    "team_type": ("速裁快审团队", "fast_track"),
    "judge": ("王䶮", "王䶮"),
    "filed_date": ("2023年5月6日", pd.Timestamp("2023-05-06")),
    "closed_date": ("2023/6/1", pd.Timestamp("2023-06-01")),
    "disposition": ("按撤诉处理", "withdrawal"),
    "claim_amount": ("3.5万", 35000.0),
    "n_parties": ("3", 3),
    "extension_days": ("30", 30),
    "suspended_days": ("15", 15),
    "appealed": ("是", True),
    "appeal_filed_date": ("2023-06-10", pd.Timestamp("2023-06-10")),
    "appeal_result": ("按撤回上诉处理", "withdrawn"),
    "appeal_closed_date": ("45200", pd.Timestamp("2023-10-01")),
    "retrial_petition": ("否", False),
}
HEADER_CASES = [(f.name, h) for f in schema.CASE_FIELDS for h in f.headers]


def _variants(header: str) -> list[str]:
    out = [header, f"  {header} ", header.upper(), header.replace("(", "（").replace(")", "）"),
           header.replace("（", "(").replace("）", ")")]
    return list(dict.fromkeys(out))


@pytest.mark.parametrize("name, header", HEADER_CASES)
def test_every_case_header(tmp_path, name, header):
    raw, expected = RAW_VALUES[name]
    for k, variant in enumerate(_variants(header)):
        columns = {"case_id": "案号", "filed_date": "立案日期", name: variant}
        values = {"case_id": RAW_VALUES["case_id"][0], "filed_date": "2023-01-01", name: raw}
        path = write_csv(tmp_path / f"h{k}.csv", list(columns.values()), [[values[c] for c in columns]])
        loaded = load_cases(path)
        assert loaded.columns[name] == variant.strip(), variant
        assert loaded.cases[name].iloc[0] == expected, variant
        assert loaded.field_issues.empty and loaded.quarantine.empty


COURT_VALUES = {"court": ("示范法院", "示范法院"), "year": ("2023", 2023), "judges": ("25", 25),
                "triage_start": ("2019/3/1", pd.Timestamp("2019-03-01")),
                "fast_track_start": ("20200701", pd.Timestamp("2020-07-01")), "province": ("示范省", "示范省")}


@pytest.mark.parametrize("name, header", [(f.name, h) for f in schema.COURT_FIELDS for h in f.headers])
def test_every_court_header(tmp_path, name, header):
    raw, expected = COURT_VALUES[name]
    columns = {"court": "法院", name: f" {header} "}
    values = {"court": "示范法院", name: raw}
    path = write_csv(tmp_path / "courts.csv", list(columns.values()), [[values[c] for c in columns]], "gbk")
    loaded = load_courts(path)
    assert loaded.courts[name].iloc[0] == expected
    assert list(loaded.courts.columns) == list(schema.COURT_COLUMNS)


def test_user_mapping(tmp_path):
    path = write_csv(tmp_path / "odd.csv", ["编号", "收案时间", "Judge Name"],
                     [["（2022）蒙0291民初1号", "2022-03-01", "张三"]])
    with pytest.raises(StructuralError) as info:
        load_cases(path)
    message = str(info.value)
    assert "odd.csv" in message and "mapping={'" in message
    loaded = load_cases(path, mapping={"编号": "case_id", " 收案时间 ": "filed_date", "judge name": "judge"})
    assert loaded.cases[["case_id", "judge"]].iloc[0].tolist() == ["（2022）蒙0291民初1号", "张三"]
    assert loaded.cases["filed_date"].iloc[0] == pd.Timestamp("2022-03-01")


def test_mapping_to_unknown_field(tmp_path):
    path = write_csv(tmp_path / "odd.csv", ["案号", "立案日期"], [["（2022）蒙0291民初1号", "2022-03-01"]])
    with pytest.raises(StructuralError, match="filing_day"):
        load_cases(path, mapping={"立案日期": "filing_day"})


def test_unmapped_and_repeated_columns_are_reported(tmp_path):
    path = write_csv(tmp_path / "c.csv", ["案号", "立案日期", "备注", "法院", "经办法院"],
                     [["（2022）蒙0291民初1号", "2022-03-01", "x", "甲法院", "乙法院"]])
    loaded = load_cases(path)
    assert loaded.unmapped_columns == ["备注"] and loaded.ignored_columns == ["经办法院"]
    assert loaded.cases["court"].tolist() == ["甲法院"]          # the left-most column is used
    assert "备注" in loaded.summary() and "经办法院" in loaded.summary("en")


# ------------------------------------------------------------------ every reason
HEADER = ["案号", "法院", "立案日期", "结案日期", "标的额", "当事人数", "是否上诉", "上诉日期", "二审结案日期", "结案方式"]
ROWS = [
    ["（2022）蒙0291民初1号", "甲法院", "2022-01-05", "2022-03-01", "1000", "2", "否", "", "", "判决"],          # 2 ok
    ["", "甲法院", "2022-01-05", "2022-03-01", "1000", "2", "否", "", "", "判决"],                              # 3
    ["（2022）蒙0291民初2号", "甲法院", "", "2022-03-01", "1000", "2", "否", "", "", "判决"],                   # 4
    ["（2022）蒙0291民初3号", "甲法院", "2022-02-30", "2022-03-01", "1000", "2", "否", "", "", "判决"],         # 5
    ["（2022）蒙0291民初4号", "甲法院", "2022-03-01", "2022-02-01", "1000", "2", "否", "", "", "判决"],         # 6
    ["(2022)蒙0291民初1号", "甲法院", "2022/1/5", "2022年3月1日", "1,000", "2人", "N", "", "", "判决结案"],      # 7 = line 2
    ["（2022）蒙0291民初5号", "甲法院", "2022-01-05", "2022-03-01", "500", "2", "否", "", "", "调解"],          # 8 kept
    ["（2022）蒙0291民初5号", "甲法院", "2022-01-05", "", "500", "2", "否", "", "", ""],                      # 9 older snapshot
    ["（2022）蒙0291民初6号", "甲法院", "2022-01-05", "2022-03-01", "700", "2", "否", "", "", "判决"],         # 10
    ["（2022）蒙0291民初6号", "甲法院", "2022-01-05", "2022-03-01", "800", "2", "否", "", "", "判决"],         # 11 kept (last)
    ["（2022）蒙0291民初7号", "甲法院", "2022-01-05", "2022-13-01", "abc", "2.5", "不知道", "", "", "乱写"],    # 12
    ["（2022）蒙0291民初8号", "甲法院", "2022-01-05", "2022-03-01", "-5", "2", "是", "2022-02-01", "", "判决"], # 13
    ["（2022）蒙0291民初9号", "甲法院", "2022-01-05", "2022-03-01", "", "2", "是", "2022-03-05", "2022-03-02", "判决"],  # 14
    ["2022民初10", "", "2022-01-05", "", "", "", "", "", "", ""],                                            # 15
    ["（2022）蒙0291民初11号", "丙法院", "2022-01-05", "", "", "", "", "", "", ""],                            # 16
    ["（2022）蒙0291民初12号", "甲法院", "2022-01-05", "", "", "", "", "", "", "", "多余的一格"],               # 17 malformed
]


@pytest.fixture
def every_reason(tmp_path) -> Path:
    return write_csv(tmp_path / "every.csv", HEADER, ROWS, "gb18030")


def test_every_quarantine_reason(every_reason):
    courts = pd.DataFrame({"法院": ["甲法院", "乙法院"]})
    loaded = load_cases(every_reason, courts=courts)
    assert issue_keys(loaded.quarantine) == {
        (3, "案号", "missing_case_id"), (4, "立案日期", "missing_filed_date"), (5, "立案日期", "bad_filed_date"),
        (6, "结案日期", "closed_before_filed"), (7, "案号", "duplicate_row"), (9, "案号", "conflicting_duplicate"),
        (10, "案号", "conflicting_duplicate"), (17, "", "malformed_row"),
    }
    assert issue_keys(loaded.field_issues) == {
        (12, "结案日期", "bad_date"), (12, "标的额", "bad_amount"), (12, "当事人数", "bad_integer"),
        (12, "是否上诉", "bad_yes_no"), (12, "结案方式", "unknown_category"), (13, "标的额", "negative_value"),
        (13, "上诉日期", "appeal_before_closing"), (14, "二审结案日期", "appeal_closed_before_appeal"),
        (15, "案号", "bad_case_number"), (15, "法院", "missing_court"), (16, "法院", "unknown_court"),
    }
    acc = loaded.accounting()
    assert acc["rows_read"] == 16 and acc["accepted"] == 8 and acc["quarantined"] == 8 and acc["balanced"]
    assert list(loaded.quarantine.columns) == list(ISSUE_COLUMNS) == list(loaded.field_issues.columns)
    assert list(loaded.source_rows) == [2, 8, 11, 12, 13, 14, 15, 16]

    cases = loaded.cases.set_index("case_id")
    assert cases.loc["（2022）蒙0291民初5号", "disposition"] == "mediation"     # the complete row is kept
    assert cases.loc["（2022）蒙0291民初6号", "claim_amount"] == 800.0          # equally complete: the last
    row12 = cases.loc["（2022）蒙0291民初7号"]
    assert pd.isna(row12["closed_date"]) and np.isnan(row12["claim_amount"]) and pd.isna(row12["n_parties"])
    assert pd.isna(row12["appealed"]) and pd.isna(row12["disposition"])
    assert pd.isna(cases.loc["（2022）蒙0291民初8号", "appeal_filed_date"])
    assert cases.loc["（2022）蒙0291民初8号", "appealed"]
    assert pd.isna(cases.loc["（2022）蒙0291民初9号", "appeal_closed_date"])
    assert cases.loc["（2022）蒙0291民初9号", "appeal_filed_date"] == pd.Timestamp("2022-03-05")
    assert pd.isna(cases.loc["2022民初10", "case_year"]) and pd.isna(cases.loc["2022民初10", "court"])
    assert cases.loc["（2022）蒙0291民初11号", "court"] == "丙法院"             # unknown court: value kept
    assert loaded.courts["court"].tolist() == ["甲法院", "乙法院"]


def test_messages_name_the_row_column_and_value(every_reason):
    loaded = load_cases(every_reason)
    q = loaded.quarantine.set_index("row")
    assert "2022-02-30" in q.loc[5, "message_zh"] and "2022-02-30" in q.loc[5, "message_en"]
    assert q.loc[7, "message_en"] == "exact copy of row 2; row 2 is kept"
    assert "保留第8行" in q.loc[9, "message_zh"] and "结案日期" in q.loc[9, "message_zh"]
    assert "row 11 is kept" in q.loc[10, "message_en"] and "标的额" in q.loc[10, "message_en"]
    assert q.loc[7, "case_id"] == "(2022)蒙0291民初1号"          # as written
    assert q.loc[3, "case_id"] == ""
    issues = loaded.field_issues.set_index(["row", "reason"])
    assert issues.loc[(12, "bad_amount"), "value"] == "abc"
    assert "判决/judgment" in issues.loc[(12, "unknown_category"), "message_zh"]


def test_conflict_rule_is_order_free_for_completeness(tmp_path):
    # The more complete row wins whether it comes first or last.
    rows = [ROWS[6], ROWS[7]]
    for order in (rows, rows[::-1]):
        loaded = load_cases(write_csv(tmp_path / "c.csv", HEADER, order))
        assert loaded.cases["disposition"].tolist() == ["mediation"]
        assert loaded.quarantine["reason"].tolist() == ["conflicting_duplicate"]


def test_title_line_blank_rows_and_line_numbers(tmp_path):
    rows = [["（2022）蒙0291民初1号", "2022-01-05"], [], ["", "2022-01-05"], ["  ", " "]]
    path = write_csv(tmp_path / "t.csv", ["案号", "立案日期"], rows, before=[["示范法院案件明细表"], []])
    loaded = load_cases(path)
    assert loaded.rows_read == 2 and loaded.blank_rows == 2
    assert issue_keys(loaded.quarantine) == {(6, "案号", "missing_case_id")}
    assert list(loaded.source_rows) == [4]
    assert "空行" in loaded.summary() and "empty rows" in loaded.summary("en")


def test_identifiers_stay_text(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["案号", "立案日期", "承办团队"],
                     [["（2022）蒙0291民初0012号", "2022-01-05", "007"]])
    cases = load_cases(path).cases
    assert cases["case_id"].iloc[0] == "（2022）蒙0291民初0012号" and cases["team"].iloc[0] == "007"
    assert cases["case_seq"].iloc[0] == 12


def test_case_type_and_instance_filled_only_where_empty(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["案号", "立案日期", "案件类型", "审级"], [
        ["（2022）蒙0291民初1号", "2022-01-05", "", ""],
        ["（2022）蒙0291执恢2号", "2022-01-05", "", ""],
        ["（2022）蒙02民终3号", "2022-01-05", "行政", "一审"],   # explicit values are kept as given
    ])
    cases = load_cases(path).cases
    assert cases["case_type"].tolist() == ["civil", "enforcement", "administrative"]
    assert cases["instance"].tolist() == ["first", pd.NA, "first"]


# ------------------------------------------------------------------ structural errors
def _structural(path, *needles):
    with pytest.raises(StructuralError) as info:
        load_cases(path)
    message = str(info.value)
    assert Path(path).name in message
    for needle in needles:
        assert needle in message, message


def test_structural_errors(tmp_path):
    _structural(tmp_path / "missing.csv", "not found")
    _structural(tmp_path, "folder")
    (tmp_path / "empty.csv").write_bytes(b"")
    _structural(tmp_path / "empty.csv", "empty")
    (tmp_path / "blank.csv").write_text("\n \n", encoding="utf-8")
    _structural(tmp_path / "blank.csv", "empty")
    (tmp_path / "header.csv").write_text("案号,立案日期\n", encoding="utf-8")
    _structural(tmp_path / "header.csv", "no data rows")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    _structural(tmp_path / "old.xls", ".xls", ".xlsx")
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    _structural(tmp_path / "bad.xlsx", "XLSX")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really parquet")
    _structural(tmp_path / "bad.parquet", "Parquet")
    (tmp_path / "binary.csv").write_bytes(b"\x00\x01\x02abc")
    _structural(tmp_path / "binary.csv", "not a text table")
    write_csv(tmp_path / "nohead.csv", ["a", "b"], [["1", "2"]])
    _structural(tmp_path / "nohead.csv", "mapping={'", "no recognised header")
    write_csv(tmp_path / "nofiled.csv", ["案号", "法院"], [["（2022）蒙0291民初1号", "甲"]])
    _structural(tmp_path / "nofiled.csv", "mapping={'", "filed_date", "立案日期")
    write_csv(tmp_path / "noid.csv", ["法院", "立案日期"], [["甲", "2022-01-01"]])
    _structural(tmp_path / "noid.csv", "mapping={'", "case_id", "案号")


# ------------------------------------------------------------------ courts
def test_load_courts_and_its_issues(tmp_path):
    path = write_csv(tmp_path / "courts.csv", ["法院", "年度", "员额法官数", "繁简分流实施日期", "速裁团队组建日期", "省份"], [
        ["甲法院", "2022", "20", "2019年3月1日", "", "示范省"],
        ["甲法院", "2023", "二十", "2019年3月1日", "2023/7/1", "示范省"],
        ["", "2023", "5", "", "", ""],
        ["乙法院", "2023", "12", "43891", "2020-13-01", "示范省"],
        ["乙法院", "2023", "12", "2020/3/1", "2020-13-01", "示范省"],
        ["乙法院", "2023", "13", "2020/3/1", "", ""],      # less complete than line 5: line 5 is kept
    ], "gbk")
    loaded = load_courts(path)
    assert loaded.courts["court"].tolist() == ["甲法院", "甲法院", "乙法院"]
    assert loaded.courts["judges"].tolist() == [20, pd.NA, 12]
    assert loaded.courts["triage_start"].tolist() == [pd.Timestamp("2019-03-01")] * 2 + [pd.Timestamp("2020-03-01")]
    assert issue_keys(loaded.quarantine) == {(4, "法院", "missing_court"), (6, "法院", "duplicate_row"),
                                             (7, "法院", "conflicting_duplicate")}
    assert issue_keys(loaded.field_issues) == {(3, "员额法官数", "bad_integer"), (5, "速裁团队组建日期", "bad_date")}
    assert loaded.accounting()["balanced"] and loaded.rows_read == 6
    assert "法院表" in loaded.summary()


# ------------------------------------------------------------------ write and CLI
def test_write_outputs(tmp_path, every_reason):
    loaded = load_cases(every_reason)
    paths = loaded.write(tmp_path / "out")
    assert set(paths) == {"accepted", "quarantine", "field_issues"}
    for name in ("quarantine", "field_issues"):
        assert paths[name].read_bytes().startswith(b"\xef\xbb\xbf")
    quarantine = pd.read_csv(paths["quarantine"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(quarantine) == len(loaded.quarantine) and list(quarantine.columns) == list(ISSUE_COLUMNS)
    schema_ = pq.read_schema(paths["accepted"])
    assert str(schema_.field("filed_date").type) == "date32[day]"
    assert str(schema_.field("appealed").type) == "bool"
    assert str(schema_.field("claim_amount").type) == "double"
    back = pd.read_parquet(paths["accepted"])
    assert len(back) == len(loaded.cases) and list(back.columns) == list(schema.CASE_COLUMNS)


@pytest.fixture
def only_validate(monkeypatch):
    # The other subcommands belong to other modules; the CLI's own code path is unchanged.
    monkeypatch.setattr(cli, "COMMANDS", ("validate",))


def test_cli_validate(tmp_path, every_reason, capsys, only_validate):
    assert cli.main(["validate", str(every_reason), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Rows read 16: accepted 8, quarantined 8" in out and "conflicting_duplicate: 2" in out
    folder = every_reason.with_name("every_validated")
    assert {p.name for p in folder.iterdir()} == {"accepted.parquet", "quarantine.csv", "field_issues.csv"}
    assert (folder / "quarantine.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    courts = write_csv(tmp_path / "courts.csv", ["法院"], [["甲法院"]])
    assert cli.main(["validate", str(every_reason), "--out", str(tmp_path / "o"), "--courts", str(courts)]) == 0
    out = capsys.readouterr().out
    assert "读取 16 行：接受 8 行，隔离 8 行" in out and "法院表" in out
    issues = pd.read_csv(tmp_path / "o" / "field_issues.csv", encoding="utf-8-sig", dtype=str)
    assert (issues["reason"] == "unknown_court").sum() == 1


def test_cli_map_and_errors(tmp_path, capsys, only_validate):
    path = write_csv(tmp_path / "odd.csv", ["编号", "收案时间"], [["（2022）蒙0291民初1号", "2022-03-01"]])
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "odd.csv" in err and "--map" in err and "Traceback" not in err
    assert cli.main(["validate", str(path), "--map", "编号=case_id", "--map", "收案时间=filed_date"]) == 0
    assert cli.main(["validate", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err
    assert cli.main(["validate", str(path), "--map", "编号"]) == 2
