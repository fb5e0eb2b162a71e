"""A small zh edition of notebook 04 (fast-track teams) reads as one language: no code such as
``callaway_santanna``, ``ci_low`` or ``court_month`` in its page, table files, workbook or Word
report; every table has a title; every figure has its title, units and legend entries in
Chinese; a headline that calls a result significant on a few courts says so (issue 12)."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from courtstudy.report.language import foreign_words, scan_edition
from courtstudy.studies.fasttrack.headline import FEW_COURTS

# cheap settings of notebook 04's own parameters: two outcomes (a share and days), quarters,
# fewer randomisation draws; every section (Honest DiD, ITS, panel comparisons) still runs
PARAMS = """
["04"]
outcomes = "closed_90,rmst"
period_unit = "quarter"
ri_draws = 99
"""


@pytest.fixture(scope="module")
def edition(small_edition):
    return small_edition("zh-ft", "04", params=PARAMS)


def _outputs(edition):
    nb = nbformat.read(edition / "04_fast_track_teams.ipynb", as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            yield output.get("metadata", {}).get("courtstudy", {})


def test_zh_edition_of_notebook_04_has_no_latin_identifiers(edition):
    assert scan_edition(edition, "zh", {"cases.csv"}) == {}
    assert len(list(edition.glob("04_fast_track_teams/tables/*.csv"))) >= 5


def test_tables_have_titles_and_fit_the_page(edition):
    tables = [meta["table"] for meta in _outputs(edition) if "table" in meta]
    assert {t["name"] for t in tables} >= {"adoption_cohorts", "fast_track_headline", "fast_track_inference",
                                           "cs_vs_twfe", "fast_track_effects"}
    for table in tables:
        assert table["title"], table["name"]
        assert len(table["columns"]) <= 15, (table["name"], table["columns"])
        assert not any(c in ("nan", "NaN", "<NA>", "None", "NaT") for row in table["cells"] for c in row)
    wide = next(t for t in tables if t["name"] == "cs_vs_twfe")
    assert len(wide["columns"]) <= 8  # one row per method, not one column per number


def test_figures_have_titles_units_and_keys_in_chinese(edition):
    figures = [meta for meta in _outputs(edition) if "figure" in meta]
    assert len(figures) >= 5  # event studies, Honest DiD, comparison, interrupted time series
    for meta in figures:
        assert meta["title"] and meta["problems"] == [], (meta["figure"], meta["problems"])
        courts = {t.split("：")[0] for t in meta["texts"] if "法院" in t}
        assert foreign_words("\n".join(meta["texts"]), "zh", courts) == set(), meta["figure"]


def test_significant_headlines_carry_the_few_courts_caveat(edition):
    results = json.loads((edition / "04_fast_track_teams" / "results.json").read_text(encoding="utf-8"))["results"]
    headlines = results["headlines"]
    assert len(headlines) == 3  # two outcomes, then what they rest on
    assert results["design"]["courts"] < FEW_COURTS
    *outcomes, basis = headlines
    significant = any(re.search(r"(?<!不)显著", text) for text in outcomes)
    assert significant == ("只有" in basis), basis
    assert not any("只有" in text for text in outcomes)  # said once, not per outcome


def test_every_p_value_column_prints_as_a_p_value(edition):
    tables = [meta["table"] for meta in _outputs(edition) if "table" in meta]
    p_columns = [(t["name"], k, [row[j] for row in t["cells"]])
                 for t in tables for j, (h, k) in enumerate(zip(t["columns"], t["kinds"], strict=True))
                 if "p 值" in h]
    assert {name for name, _, _ in p_columns} >= {"fast_track_headline", "cs_vs_twfe", "fast_track_effects"}
    for name, kind, cells in p_columns:
        assert kind == "p", name
        assert all(c == "—" or c == "<0.001" or re.fullmatch(r"[01]\.\d{3}", c) for c in cells), (name, cells)


def test_event_time_columns_follow_the_period_unit(edition):
    # PARAMS: quarters; the header said 距开始的月数 (months) whatever the unit
    tables = {t["name"]: t for t in (meta["table"] for meta in _outputs(edition) if "table" in meta)}
    for name in ("fast_track_effects", "its_effects"):
        columns = tables[name]["columns"]
        assert "距组建的季度数" in columns and not any("月数" in c for c in columns), (name, columns)
    figures = [meta for meta in _outputs(edition) if "figure" in meta and "event_study" in meta["figure"]]
    assert figures and all(any("季度数" in t for t in meta["texts"]) for meta in figures)


def test_all_estimates_count_courts_in_every_row(edition):
    # n_treated/n_control were cases on the case-level rows, periods in the interrupted time
    # series and courts on the court-month panel, under one header
    import pandas as pd

    shown = next(meta["table"] for meta in _outputs(edition)
                 if "table" in meta and meta["table"]["name"] == "fast_track_effects")
    assert not any("（件）" in c for c in shown["columns"]), shown["columns"]
    table = pd.read_csv(edition / "04_fast_track_teams" / "tables" / "fast_track_effects.csv", encoding="utf-8-sig")
    results = json.loads((edition / "04_fast_track_teams" / "results.json").read_text(encoding="utf-8"))
    design = results["results"]["design"]
    courts = table[["组建的法院（个）", "未组建的法院（个）"]].astype(int).apply(tuple, axis=1)
    its = table["方法"].str.contains("中断时间序列")
    placebo = table["方法"].str.contains("安慰剂")  # the placebo's window has its own adopters
    assert its.any() and (courts[its] == (1, 0)).all()
    everyone = (design["courts"] - design["never_adopting"], design["never_adopting"])
    assert (courts[~its & ~placebo] == everyone).all(), table[~its & ~placebo]


def test_court_counts_are_not_small_cells_of_a_public_edition():
    # a count of courts is not a count of cases: with them taken for cases every row of the
    # public all-estimates table (fewer than 10 courts) lost its figures
    import pandas as pd

    from courtstudy.report.publish import prepare_table
    from courtstudy.studies.fasttrack.display import COURT_COLUMNS

    frame = pd.DataFrame({"outcome": ["a", "b"], "estimate": [1.5, -2.0],
                          COURT_COLUMNS[0]: pd.array([9, 1], dtype="Int64"),
                          COURT_COLUMNS[1]: pd.array([3, 0], dtype="Int64")})
    published, release = prepare_table("fast_track_effects", frame, audience="public")
    pd.testing.assert_frame_equal(published.reset_index(drop=True), frame)


def test_court_count_headers_name_courts_not_cases():
    from courtstudy.report.tables import column_label
    from courtstudy.studies.fasttrack.display import COURT_COLUMNS, KINDS

    assert [column_label(c, "en", KINDS[c]) for c in COURT_COLUMNS] == ["Courts adopting", "Courts not adopting"]
    assert [column_label(c, "zh", KINDS[c]) for c in COURT_COLUMNS] == ["组建的法院（个）", "未组建的法院（个）"]
    assert KINDS[COURT_COLUMNS[0]] == "count"  # integers in the workbook (#,##0), not "9."
