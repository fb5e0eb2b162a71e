"""Pre-suit mediation records and links between the cases of one dispute, on hand-made files."""

from __future__ import annotations

import pandas as pd
import pytest

from courtstudy.core.errors import StructuralError
from courtstudy.ingest.case_number import case_kind, parse_case_number
from courtstudy.ingest.links import disputes, load_links, numbers_in_text
from courtstudy.ingest.loading import load_cases
from courtstudy.ingest.mediation import load_mediation

SNAPSHOT = "2024-06-30"


@pytest.mark.parametrize("raw, type_code, kind", [
    ("（2023）鄂0102民诉前调123号", "民诉前调", "mediation"),
    ("(2023)鄂0102诉前调7号", "诉前调", "mediation"),
    ("（2023）鄂0102民诉前45号", "民诉前", "mediation"),
    ("（2023）鄂0102民初9号", "民初", "first"),
    ("（2023）鄂01民终9号", "民终", "appeal"),
    ("（2023）鄂民申9号", "民申", "retrial_petition"),
    ("（2024）鄂01民再3号", "民再", "retrial"),
    ("（2023）鄂0102民特45号", "民特", "confirmation"),
    ("（2023）鄂0102执恢12号", "执恢", "enforcement"),
    ("（2023）鄂0102执981号", "执", "enforcement"),
    ("（2023）鄂0102民督5号", "民督", "other"),
])
def test_mediation_numbers_parse_and_kinds(raw, type_code, kind):
    number = parse_case_number(raw)
    assert number is not None and number.type_code == type_code
    assert case_kind(number.type_code) == kind


MEDIATION_ROWS = [
    # 诉前调解案号, 法院, 案由, 标的额, 委派日期, 调解结束日期, 调解结果, 司法确认案号, 转立案案号, 特邀调解员
    ["（2023）鄂0102民诉前调1号", "甲法院", "民间借贷纠纷", "3.5万元", "2023-01-05", "2023-01-20", "调解成功", "", "", "调解员A"],
    ["（2023）鄂0102民诉前调2号", "甲法院", "买卖合同纠纷", "12000", "2023/1/9", "2023/2/1", "司法确认",
     "（2023）鄂0102民特3号", "", "人民调解委员会"],
    ["（2023）鄂0102民诉前调3号", "甲法院", "买卖合同纠纷", "8000", "2023年1月10日", "2023年2月20日", "调解不成功转立案",
     "", "(2023)鄂0102民初88号", "调解员A"],
    ["（2023）鄂0102民诉前调4号", "甲法院", "离婚纠纷", "", "20230115", "", "", "", "", "调解员B"],          # still open
    ["", "甲法院", "离婚纠纷", "", "2023-01-16", "", "", "", "", ""],                                       # no number
    ["（2023）鄂0102民诉前调6号", "甲法院", "离婚纠纷", "", "", "", "", "", "", ""],                           # no date
    ["（2023）鄂0102民诉前调7号", "甲法院", "离婚纠纷", "", "2023-13-45", "", "", "", "", ""],                 # bad date
    ["（2023）鄂0102民诉前调8号", "甲法院", "离婚纠纷", "", "2025-01-01", "", "", "", "", ""],                 # future
    ["（2023）鄂0102民诉前调9号", "甲法院", "离婚纠纷", "", "2023-03-01", "2023-02-01", "撤回", "", "", ""],      # closed first
    ["（2023）鄂0102民诉前调1号", "甲法院", "民间借贷纠纷", "3.5万元", "2023-01-05", "2023-01-20", "调解成功", "", "", "调解员A"],
    ["（2023）鄂0102民初10号", "甲法院", "离婚纠纷", "", "2023-03-02", "2023-03-09", "和解了", "", "（2023）鄂0102民初11号",
     ""],                                                                                                 # several issues
]
MEDIATION_HEADER = ["诉前调解案号", "法院", "案由", "标的额", "委派日期", "调解结束日期", "调解结果", "司法确认案号",
                    "转立案案号", "特邀调解员"]


@pytest.fixture
def mediation_csv(tmp_path):
    path = tmp_path / "诉前调解.csv"
    pd.DataFrame(MEDIATION_ROWS, columns=MEDIATION_HEADER).to_csv(path, index=False, encoding="gb18030")
    return path


def test_mediation_accepted_values(mediation_csv):
    loaded = load_mediation(mediation_csv, snapshot=SNAPSHOT)
    acc = loaded.accounting()
    assert acc["rows_read"] == 11 and acc["balanced"]
    assert acc["accepted"] == 5
    records = loaded.records.set_index("mediation_id")
    first = records.loc["（2023）鄂0102民诉前调1号"]
    assert first["claim_amount"] == 35000.0
    assert first["result"] == "success" and first["type_code"] == "民诉前调" and first["case_year"] == 2023
    third = records.loc["（2023）鄂0102民诉前调3号"]
    assert third["result"] == "failed"
    assert third["filed_case_id"] == "（2023）鄂0102民初88号"  # canonical spelling
    assert third["received_date"] == pd.Timestamp("2023-01-10")
    assert records.loc["（2023）鄂0102民诉前调2号", "confirmation_case_id"] == "（2023）鄂0102民特3号"
    assert pd.isna(records.loc["（2023）鄂0102民诉前调4号", "closed_date"])
    assert list(loaded.source_rows) == [2, 3, 4, 5, 12]


def test_mediation_quarantine_reasons_name_rows(mediation_csv):
    q = load_mediation(mediation_csv, snapshot=SNAPSHOT).quarantine
    assert dict(zip(q["row"], q["reason"], strict=True)) == {
        6: "missing_mediation_id", 7: "missing_received_date", 8: "bad_received_date",
        9: "future_received_date", 10: "closed_before_received", 11: "duplicate_row"}
    bad = q.loc[q["reason"] == "bad_received_date"].iloc[0]
    assert bad["column"] == "委派日期" and bad["value"] == "2023-13-45"


def test_mediation_field_issues(mediation_csv):
    issues = load_mediation(mediation_csv, snapshot=SNAPSHOT).field_issues
    last = issues.loc[issues["row"] == 12]
    # the result 和解了 is not a recognised result: the record counts as closed without a result
    assert set(last["reason"]) == {"not_mediation_number", "unknown_category", "closed_without_result"}
    conflict = issues.loc[issues["reason"] == "result_conflicts_link"]
    assert conflict.empty  # row 12's result is unreadable: no conflict can be stated
    assert "调解成功" in last.loc[last["reason"] == "unknown_category", "message_zh"].iloc[0]


def test_mediation_link_checks(tmp_path):
    frame = pd.DataFrame([
        ["（2023）甲民诉前调1号", "2023-01-05", "2023-01-20", "调解成功", "（2023）甲民初5号", ""],
        ["（2023）甲民诉前调2号", "2023-01-05", "2023-01-20", "调解不成", "（2023）甲民终5号", "民初12"],
    ], columns=["调解案号", "登记日期", "结束日期", "调解结果", "立案案号", "司法确认案号"])
    loaded = load_mediation(frame, snapshot=SNAPSHOT)
    issues = loaded.field_issues
    assert list(zip(issues["row"], issues["reason"], strict=True)) == [
        (2, "result_conflicts_link"), (3, "bad_linked_number"), (3, "unexpected_linked_kind")]
    assert pd.isna(loaded.records.loc[1, "confirmation_case_id"])
    assert loaded.records.loc[1, "filed_case_id"] == "（2023）甲民终5号"  # kept, reported


def test_result_and_closing_must_go_together():
    frame = pd.DataFrame({"调解案号": ["（2023）甲民诉前调1号"], "登记日期": ["2023-01-05"], "结束日期": [""],
                          "调解结果": ["调解成功"]})
    issues = load_mediation(frame, snapshot=SNAPSHOT).field_issues
    assert list(issues["reason"]) == ["result_without_closing"] and issues["value"].iloc[0] == "调解成功"


def test_mediation_without_date_column_is_structural():
    with pytest.raises(StructuralError, match="登记日期"):
        load_mediation(pd.DataFrame({"诉前调解案号": ["（2023）甲民诉前调1号"], "法院": ["甲"]}))


# -- links ------------------------------------------------------------------------------------
CASE_HEADER = ["案号", "法院", "案由", "立案日期", "结案日期", "原审案号", "关联案号", "执行依据", "诉前调解案号"]
CASE_ROWS = [
    ["（2023）甲民初88号", "甲法院", "买卖合同纠纷", "2023-02-21", "2023-05-10", "", "", "", "（2023）甲民诉前调3号"],
    ["（2023）乙民终7号", "乙法院", "买卖合同纠纷", "2023-06-01", "2023-08-01", "（2023）甲民初88号", "", "", ""],
    ["（2023）甲执100号", "甲法院", "买卖合同纠纷", "2023-09-01", "", "", "",
     "（2023）乙民终7号民事判决书", ""],
    ["（2023）甲民初90号", "甲法院", "离婚纠纷", "2023-03-01", "2023-04-01", "", "（2023）甲民初91号、（2023）甲民初92号", "", ""],
    ["（2023）甲民初91号", "甲法院", "离婚纠纷", "2023-03-02", "2023-04-01", "", "", "", ""],
    ["（2023）乙民终8号", "乙法院", "借款合同纠纷", "2023-07-01", "", "（2022）丙民初1号", "", "", ""],     # not in data
    ["（2023）甲民初93号", "甲法院", "借款合同纠纷", "2023-03-01", "", "（2023）甲民初93号", "", "", ""],   # itself
    ["（2023）甲民初94号", "甲法院", "借款合同纠纷", "2023-03-01", "", "一审判决", "", "", ""],            # no number
    # a cycle: 95 says it reviews 96, 96 says it reviews 95
    ["（2023）甲民终95号", "甲法院", "借款合同纠纷", "2023-03-01", "", "（2023）甲民终96号", "", "", ""],
    ["（2023）甲民终96号", "甲法院", "借款合同纠纷", "2023-03-05", "", "（2023）甲民终95号", "", "", ""],
    ["（2023）甲民再2号", "甲法院", "借款合同纠纷", "2023-01-01", "", "（2023）乙民终8号", "", "", ""],       # before it
]
MEDIATION_FRAME = pd.DataFrame({
    "诉前调解案号": ["（2023）甲民诉前调3号", "（2023）甲民诉前调4号"], "法院": ["甲法院", "甲法院"],
    "案由": ["买卖合同纠纷", "离婚纠纷"], "委派日期": ["2023-01-10", "2023-01-12"],
    "调解结束日期": ["2023-02-20", "2023-01-30"], "调解结果": ["调解不成功", "司法确认"],
    "转立案案号": ["（2023）甲民初88号", ""], "司法确认案号": ["", "（2023）甲民特4号"]})


@pytest.fixture
def linked():
    frame = pd.DataFrame(CASE_ROWS, columns=CASE_HEADER)
    cases = load_cases(frame, snapshot=SNAPSHOT).cases
    mediation = load_mediation(MEDIATION_FRAME, snapshot=SNAPSHOT).records
    return frame, cases, mediation, load_links(frame, cases=cases, mediation=mediation)


def test_numbers_in_text():
    assert numbers_in_text("（2023）乙民终7号民事判决书") == ["（2023）乙民终7号"]
    assert numbers_in_text("(2023)甲民初91号；（2023）甲民初92号, ") == ["（2023）甲民初91号", "（2023）甲民初92号"]
    assert numbers_in_text("一审判决") == []


def test_links_accepted(linked):
    _frame, _cases, _mediation, loaded = linked
    got = {(a, b, k) for a, b, k in zip(loaded.links["case_id"], loaded.links["linked_case_id"],
                                        loaded.links["link"], strict=True)}
    assert got == {
        ("（2023）甲民初88号", "（2023）甲民诉前调3号", "mediation"),
        ("（2023）乙民终7号", "（2023）甲民初88号", "original"),
        ("（2023）甲执100号", "（2023）乙民终7号", "enforcement_basis"),
        ("（2023）甲民初90号", "（2023）甲民初91号", "related"),
        ("（2023）甲民初90号", "（2023）甲民初92号", "related"),
        ("（2023）乙民终8号", "（2022）丙民初1号", "original"),
        ("（2023）甲民再2号", "（2023）乙民终8号", "original"),
        ("（2023）甲民特4号", "（2023）甲民诉前调4号", "confirmation"),
    }
    in_data = dict(zip(loaded.links["linked_case_id"], loaded.links["in_data"], strict=True))
    assert not in_data["（2022）丙民初1号"] and not in_data["（2023）甲民初92号"] and in_data["（2023）甲民初88号"]


def test_link_issues_and_refused_cycle(linked):
    _frame, _cases, _mediation, loaded = linked
    issues = loaded.field_issues
    assert sorted(zip(issues["row"], issues["reason"], strict=True)) == [
        (5, "unknown_linked_case"), (7, "unknown_linked_case"), (8, "self_link"), (9, "bad_linked_number"),
        (12, "link_order")]
    refused = loaded.refused
    assert sorted(refused["row"]) == [10, 11] and set(refused["reason"]) == {"link_cycle"}
    assert "（2023）甲民终95号" in refused["message_zh"].iloc[0] and refused["column"].iloc[0] == "原审案号"
    assert loaded.accounting()["refused"] == 2


def test_disputes_group_and_origin(linked):
    _frame, cases, mediation, loaded = linked
    table = disputes(cases, loaded.links, mediation).set_index("record_id")
    chain = ["（2023）甲民诉前调3号", "（2023）甲民初88号", "（2023）乙民终7号", "（2023）甲执100号"]
    assert set(table.loc[chain, "dispute_id"]) == {"（2023）甲民诉前调3号"}
    assert table.loc["（2023）甲执100号", "origin_kind"] == "mediation"
    assert table.loc["（2023）甲执100号", "origin_date"] == pd.Timestamp("2023-01-10")
    assert table.loc["（2023）甲民初91号", "dispute_id"] == "（2023）甲民初90号"
    # the retrial filed before the appeal it names is still the same dispute; the appeal is earlier? no:
    # the retrial (2023-01-01) is the earliest record, so it is the origin
    assert table.loc["（2023）乙民终8号", "dispute_id"] == "（2023）甲民再2号"
    # refused cycle: 95 and 96 stay apart
    assert table.loc["（2023）甲民终95号", "dispute_id"] != table.loc["（2023）甲民终96号", "dispute_id"]
    assert len(table) == len(cases) + len(mediation)


def test_diversion_command_on_files(tmp_path):
    from courtstudy.cli import main

    cases = tmp_path / "cases.csv"
    pd.DataFrame(CASE_ROWS, columns=CASE_HEADER).to_csv(cases, index=False, encoding="utf-8-sig")
    register = tmp_path / "mediation.csv"
    MEDIATION_FRAME.to_csv(register, index=False, encoding="gb18030")
    out = tmp_path / "diversion.csv"
    assert main(["diversion", str(register), "--cases", str(cases), "--period", "2023", "--as-of", SNAPSHOT,
                 "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"期间": str}).set_index("法院")
    # 甲法院 2023: two records received, one resolved (confirmed), one failed and filed (民初88)
    assert table.loc["甲法院", "诉前调解收案"] == 2 and table.loc["甲法院", "诉前调解成功率"] == 0.5
    assert table.loc["甲法院", "司法确认率"] == 1.0
    issues = tmp_path / "issues"
    assert main(["diversion", str(register), "--cases", str(cases), "--as-of", SNAPSHOT, "--issues", str(issues),
                 "--out", str(out)]) == 0
    refused = pd.read_csv(issues / "link_refused.csv", encoding="utf-8-sig")
    assert sorted(refused["row"]) == [10, 11]
    assert (issues / "mediation_quarantine.csv").exists() and (issues / "link_field_issues.csv").exists()
    assert main(["diversion", str(register), "--out", str(out)]) == 2          # needs --cases
    assert main(["diversion", str(register), "--mediation-only", "--by", "judge"]) == 2


def test_mediation_register_as_xlsx_with_title_and_no_header(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "诉前调解.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["2023年诉前调解登记表"])
    sheet.append(["调解案号", "登记日期", "调解结果"])
    sheet.append(["（2023）甲民诉前调1号", "2023-01-05", "调解成功"])
    sheet.append(["（2023）甲民诉前调2号", 44936, "调解不成"])          # an Excel serial day
    book.save(path)
    loaded = load_mediation(path, snapshot=SNAPSHOT)
    assert list(loaded.source_rows) == [3, 4]
    assert loaded.records["received_date"].iloc[1] == pd.Timestamp("2023-01-10")
    empty = tmp_path / "other.csv"
    empty.write_text("甲,乙\n1,2\n", encoding="utf-8")
    with pytest.raises(StructuralError, match="诉前调解案号、登记日期"):
        load_mediation(empty)
