"""Notebook 02's first-diversion sections (report/diversion.py) on hand-made courts, values by
hand, and the demo's mediation register read back with every row accounted for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.core import schema
from courtstudy.core.periods import parse_period
from courtstudy.report import diversion as dv
from courtstudy.simulate.mediation_export import (
    PLANTED_REASONS,
    REGISTER_HEADERS,
    mediation_register,
)

AS_OF = pd.Timestamp("2024-03-31")


def _cases(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["case_id", "court", "filed_date", "type_code"])
    frame["filed_date"] = pd.to_datetime(frame["filed_date"])
    return schema.conform_cases(frame)


def _records(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["mediation_id", "court", "received_date", "closed_date", "result",
                                        "confirmation_case_id", "filed_case_id"])
    for c in ("received_date", "closed_date"):
        frame[c] = pd.to_datetime(frame[c])
    return pd.DataFrame({c: (frame[c] if c in frame else pd.Series(index=frame.index, dtype=object))
                         .astype(schema.MEDIATION_DTYPES[c]) for c in schema.MEDIATION_COLUMNS})


# ------------------------------------------------------------------------------ 案-件比
def _ratio_inputs() -> dv.DiversionInputs:
    cases = _cases([
        # 甲, 2022: A (+ appeal + enforcement) = 3 cases, B alone = 1 -> 2 disputes, 4 cases, 1:2.00
        ("（2022）甲民初1号", "甲", "2022-03-01", "民初"),
        ("（2022）甲01民终1号", "甲市中院", "2022-07-01", "民终"),
        ("（2022）甲执1号", "甲", "2022-10-01", "执"),
        ("（2022）甲民初2号", "甲", "2022-05-01", "民初"),
        # 甲, 2021: C alone, D + appeal -> 2 disputes, 3 cases, 1:1.50
        ("（2021）甲民初1号", "甲", "2021-04-01", "民初"),
        ("（2021）甲民初2号", "甲", "2021-06-01", "民初"),
        ("（2021）甲01民终1号", "甲市中院", "2021-09-01", "民终"),
        # 乙, 2022: E alone -> 1:1.00; 2021: F + enforcement + appeal -> 1:3.00
        ("（2022）乙民初1号", "乙", "2022-02-01", "民初"),
        ("（2021）乙民初1号", "乙", "2021-02-01", "民初"),
        ("（2021）乙执1号", "乙", "2021-08-01", "执"),
        ("（2021）甲01民终2号", "甲市中院", "2021-06-01", "民终"),
    ])
    links = pd.DataFrame([
        ("（2022）甲01民终1号", "（2022）甲民初1号", "original"),
        ("（2022）甲执1号", "（2022）甲民初1号", "enforcement_basis"),
        ("（2021）甲01民终1号", "（2021）甲民初2号", "original"),
        ("（2021）乙执1号", "（2021）乙民初1号", "enforcement_basis"),
        ("（2021）甲01民终2号", "（2021）乙民初1号", "original"),
    ], columns=["case_id", "linked_case_id", "link"]).astype("string")
    scope = cases.loc[cases["court"].isin(["甲", "乙"])].reset_index(drop=True)
    return dv.DiversionInputs(filed=scope, cases=cases, links=links)


@pytest.fixture(scope="module")
def ratio():
    return dv.ratio_table(_ratio_inputs(), parse_period("2022"), AS_OF)


def test_ratio_cohort_is_the_latest_year_followed_for_the_horizon():
    assert dv.ratio_cohort(AS_OF).label == "2022"
    assert dv.ratio_cohort(pd.Timestamp("2023-12-31")).label == "2022"   # 2022-12-31 + 365 days
    assert dv.ratio_cohort(pd.Timestamp("2023-12-30")).label == "2021"
    assert dv.ratio_cohort(AS_OF, horizon=180).label == "2022"
    assert dv.ratio_cohort(pd.Timestamp("2024-06-28"), horizon=180).label == "2023"


def test_ratio_table_by_hand(ratio):
    table = ratio.set_index(ratio["court"].fillna("all"))
    assert list(ratio["court"].fillna("all")) == ["乙", "甲", "all"]   # by name; no court outside the scope
    assert table.loc["甲", "disputes"] == 2 and table.loc["甲", "case_case_ratio"] == pytest.approx(2.0)
    assert table.loc["甲", "case_case_ratio_previous"] == pytest.approx(1.5)
    assert table.loc["甲", "cases_per_dispute_appeal"] == pytest.approx(0.5)
    assert table.loc["甲", "cases_per_dispute_enforcement"] == pytest.approx(0.5)
    assert bool(table.loc["甲", "better"]) is False                      # up is worse
    assert table.loc["乙", "case_case_ratio"] == pytest.approx(1.0)
    assert table.loc["乙", "case_case_ratio_previous"] == pytest.approx(3.0)
    assert bool(table.loc["乙", "better"]) is True
    # all courts in scope: summed cases over summed disputes, 5/3 against 6/3
    assert table.loc["all", "disputes"] == 3
    assert table.loc["all", "case_case_ratio"] == pytest.approx(5 / 3)
    assert table.loc["all", "case_case_ratio_previous"] == pytest.approx(2.0)
    assert table.loc["all", "change"] == pytest.approx(5 / 3 - 2)
    assert "cases_per_dispute_retrial" not in ratio.columns                # kinds without a case left out


def test_ratio_sentences(ratio):
    cohort = parse_period("2022")
    assert dv.ratio_sentence(ratio, cohort, 365, "zh") == (
        "2022 年首次立案的 3 件纠纷，计入首次立案后 365 天内的全部案件，案-件比为 1:1.67"
        "（2021 年为 1:2.00，下降，向好）；2 家法院中 1 家下降。")
    assert dv.ratio_sentence(ratio, cohort, 365, "en").endswith("(1:2.00 for 2021: down, which is better); "
                                                                "down in 1 of 2 courts.")
    assert "2022" in dv.cohort_sentence(cohort, AS_OF, 365, "zh") and "2021" in dv.cohort_sentence(cohort, AS_OF, 365, "en")
    shown = dv.labelled_ratio_table(ratio, cohort, "zh")
    assert shown.iloc[-1, 0] == "合计" and list(shown["评价（下降为向好）"]) == ["向好", "变差", "向好"]
    assert set(dv.ratio_kinds(ratio, cohort, "en")) == set(dv.labelled_ratio_table(ratio, cohort, "en").columns)
    # a change too small to show at two decimals is 持平, not 变差 beside "+0.00"
    nearly = ratio.assign(case_case_ratio=ratio["case_case_ratio_previous"] + 0.003,
                          change=0.003, better=False)
    assert set(dv.labelled_ratio_table(nearly, cohort, "zh")["评价（下降为向好）"]) == {"持平"}
    assert "持平" in dv.ratio_sentence(nearly, cohort, 365, "zh") and "0 家下降" in dv.ratio_sentence(nearly, cohort, 365, "zh")


def test_ratio_figure_states_what_it_shows(ratio):
    import matplotlib.pyplot as plt

    from courtstudy.report.figure_audit import describe_figure
    from courtstudy.report.style import use_court_style

    use_court_style()  # the CJK font: court names are Chinese in either language
    fig = dv.ratio_figure(ratio, parse_period("2022"), "en")
    try:
        described = describe_figure(fig)
        assert described["problems"] == [] and "2022" in described["title"]
    finally:
        plt.close(fig)


# ------------------------------------------------------------------------------ 诉前调解
def _mediation_inputs() -> dv.DiversionInputs:
    records = _records([
        ("（2023）甲民诉前调1号", "甲", "2023-01-05", "2023-01-20", "success", None, None),
        ("（2023）甲民诉前调2号", "甲", "2023-01-10", "2023-02-09", "confirmed", "（2023）甲民特1号", None),
        ("（2023）甲民诉前调3号", "甲", "2023-02-01", "2023-03-03", "failed", None, "（2023）甲民初1号"),
        ("（2022）甲民诉前调1号", "甲", "2022-01-05", "2022-01-25", "success", None, None),
        ("（2022）甲民诉前调2号", "甲", "2022-02-01", "2022-03-01", "failed", None, None),
    ])
    cases = _cases([
        ("（2023）甲民初1号", "甲", "2023-03-05", "民初"),   # came from mediation
        ("（2023）甲民初2号", "甲", "2023-02-20", "民初"),   # direct
        ("（2022）甲民初1号", "甲", "2022-02-10", "民初"),
        ("（2022）甲民初2号", "甲", "2022-03-10", "民初"),
    ])
    return dv.DiversionInputs(mediation=records, filed=cases)


def test_mediation_tables_and_sentence_by_hand():
    period = parse_period("2023Q1")
    overall, courts = dv.mediation_tables(_mediation_inputs(), period, AS_OF, "zh")
    values = overall.set_index("indicator")
    # 2023Q1: 3 received and closed, 2 resolved (1 confirmed), 1 converted, 1 direct filing;
    # 2022Q1: 2 received, 1 resolved, 2 direct filings
    assert values.loc["mediation_received", "current"] == 3
    assert values.loc["mediation_success_rate", "current"] == pytest.approx(2 / 3)
    assert values.loc["judicial_confirmation_rate", "current"] == pytest.approx(1 / 2)
    assert values.loc["pre_suit_resolution_rate", "current"] == pytest.approx(2 / 4)
    assert values.loc["pre_suit_resolution_rate", "previous_value"] == pytest.approx(1 / 4)
    assert values.loc["pre_suit_resolution_rate", "verdict"] == "向好"
    assert values.loc["mediation_mean_days", "current"] == pytest.approx((15 + 30 + 30) / 3)
    assert values.loc["mediation_conversions", "current"] == 1
    assert courts["court"].tolist() == ["甲"]
    assert courts.loc[0, "pre_suit_resolution_rate_previous"] == pytest.approx(0.25)
    assert dv.mediation_sentence(overall, period, "zh") == (
        "2023Q1 诉前调解收案 3 件，调解成功 2 件，成功率 66.7%，诉前化解率 50.0%（去年同期 25.0%，上升 25.0 个百分点）。")
    overall_en, _ = dv.mediation_tables(_mediation_inputs(), period, AS_OF, "en")
    assert "(25.0% a year earlier, up 25.0 points)" in dv.mediation_sentence(overall_en, period, "en")
    kinds = dv.overall_row_kinds(overall)
    assert kinds["change"][list(overall["indicator"]).index("pre_suit_resolution_rate")] == "pp"
    assert set(dv.mediation_kinds("zh")) == set(dv.mediation_column_labels("zh").values())


def test_sections_say_why_they_are_skipped():
    cases = _cases([("（2023）甲民初1号", "甲", "2023-03-05", "民初")])
    inputs = dv.load_inputs(data="other.csv", cases=cases, all_cases=cases, as_of=AS_OF,
                            mediation_path="", links_path="", related_cases_path="")
    assert inputs.mediation is None and inputs.links is None
    assert dv.accounting_sentence(inputs, "zh") == ""
    assert inputs.why_skipped("mediation", "zh").startswith("本节略去：没有诉前调解登记表")
    assert inputs.why_skipped("ratio", "en").startswith("This section is skipped: no link columns")
    # the demo register goes with the demo data only
    other = dv.load_inputs(data="other.csv", cases=cases, all_cases=cases, as_of=AS_OF, links_path="",
                           related_cases_path="")
    assert "mediation" in other.skipped
    with pytest.raises(Exception, match="mediation_path"):
        dv.load_inputs(data="demo", cases=cases, all_cases=cases, as_of=AS_OF, mediation_path="/no/such.csv")


# ------------------------------------------------------------------------------ the register
def test_register_cells_load_back_with_the_planted_rows_quarantined():
    from courtstudy.ingest.mediation import load_mediation

    n = 30
    days = pd.date_range("2023-01-02", periods=n, freq="3D")
    records = _records([(f"（2023）甲民诉前调{i + 1}号", "甲", d.date().isoformat(), (d + pd.Timedelta(days=10)).date().isoformat(),
                         "success" if i % 2 else "failed", None, None if i % 2 else f"（2023）甲民初{i + 1}号")
                        for i, d in enumerate(days)])
    records["claim_amount"] = np.linspace(1000, 30000, n)
    cells, planted = mediation_register(records, seed=3, plant=True)
    assert list(cells.columns) == list(REGISTER_HEADERS.values()) and len(cells) == n + 1
    loaded = load_mediation(cells, snapshot="2024-03-31")
    acc = loaded.accounting()
    assert acc["balanced"] and acc["rows_read"] == n + 1 and acc["quarantined"] == len(PLANTED_REASONS)
    got = loaded.quarantine[["row", "reason"]].astype({"row": "int64", "reason": "string"})
    assert sorted(map(tuple, got.to_numpy().tolist())) == sorted(map(tuple, planted[["row", "reason"]].to_numpy().tolist()))
    kept = loaded.records.set_index("mediation_id")
    assert kept["result"].notna().all() and kept["claim_amount"].gt(0).all()
    clean, none = mediation_register(records, seed=3)
    assert none.empty and load_mediation(clean, snapshot="2024-03-31").accounting()["accepted"] == n


def test_demo_register_and_related_cases_load_with_every_row_accounted_for():
    from courtstudy.ingest.loading import load_cases
    from courtstudy.ingest.mediation import load_mediation
    from courtstudy.simulate.demo import ensure_demo

    files = ensure_demo()
    loaded = load_mediation(files.mediation, snapshot="2024-03-31")
    acc = loaded.accounting()
    planted = pd.read_csv(files.mediation_planted_problems, encoding="utf-8-sig")
    assert acc["balanced"] and acc["accepted"] + acc["quarantined"] == acc["rows_read"]
    assert acc["quarantined"] == len(planted) == len(PLANTED_REASONS)
    got = loaded.quarantine[["row", "reason"]].astype({"row": "int64", "reason": "string"})
    assert sorted(map(tuple, got.to_numpy().tolist())) == sorted(map(tuple, planted[["row", "reason"]].to_numpy().tolist()))
    assert acc["field_issues"] == 0
    related = load_cases(files.related_cases, snapshot="2024-03-31").accounting()
    assert related["quarantined"] == 0 and related["accepted"] == related["rows_read"]


def test_diversion_command_reads_the_demo_layout(tmp_path):
    """The register, the case export, the link file and the related cases as the demo writes
    them: the command's 案-件比 counts the derived cases only when it is given the links."""
    from courtstudy.cli import main
    from courtstudy.simulate.demo import build_demo

    files = build_demo(tmp_path / "demo", scale=0.02)
    base = [str(files.mediation), "--cases", str(files.cases), "--period", "2022", "--by", "court",
            "--as-of", "2024-03-31", "--lang", "en"]
    linked, unlinked = tmp_path / "linked.csv", tmp_path / "unlinked.csv"
    assert main(["diversion", *base, "--links", str(files.case_links), "--related-cases", str(files.related_cases),
                 "--out", str(linked)]) == 0
    assert main(["diversion", *base, "--out", str(unlinked)]) == 0
    ratio = "Cases per dispute (1:x)"
    with_links = pd.read_csv(linked, encoding="utf-8-sig")[ratio]
    without = pd.read_csv(unlinked, encoding="utf-8-sig")[ratio]
    assert (with_links > without).all() and (without <= 1.0 + 1e-9).all()


def test_register_records_of_courts_not_in_the_cases_are_kept_and_reported(tmp_path):
    cells, _ = mediation_register(_mediation_inputs().mediation.assign(court="甲法院（全称）"))
    register = tmp_path / "register.csv"
    cells.to_csv(register, index=False, encoding="utf-8-sig")
    cases = _mediation_inputs().filed
    inputs = dv.load_inputs(data="x.csv", cases=cases, all_cases=cases, as_of=AS_OF, mediation_path=str(register),
                            links_path="", related_cases_path="")
    assert len(inputs.mediation) == 5 and inputs.unknown_court_records == 5
    assert "5 条记录的登记法院不在案件数据中" in dv.accounting_sentence(inputs, "zh")
    # with a court filter, only the courts asked for
    both = pd.concat([cases, cases.assign(court="乙")], ignore_index=True)
    scoped = dv.load_inputs(data="x.csv", cases=cases, all_cases=both, as_of=AS_OF, mediation_path=str(register),
                            links_path="", related_cases_path="")
    assert len(scoped.mediation) == 0 and scoped.unknown_court_records == 5
