"""A small zh edition of notebook 03 (triage effects) follows the report conventions of issue 12:
one language (no method, outcome, column or category code leaks into what a zh reader sees),
display tables with titles, figures with titles and no Latin words, and prose in Markdown cells
tagged by language."""

from __future__ import annotations

import re

import nbformat
import pytest

from courtstudy.core.paths import notebooks_dir
from courtstudy.report.language import foreign_words, scan_edition
from courtstudy.studies.triage import labels


@pytest.fixture(scope="module")
def edition(small_edition):
    return small_edition("zh-triage", "03")


def _outputs(edition, key: str) -> list[dict]:
    found = []
    for executed in sorted(edition.glob("03*.ipynb")):
        for cell in nbformat.read(executed, as_version=4).cells:
            for output in cell.get("outputs", []):
                meta = output.get("metadata", {}).get("courtstudy", {})
                if key in meta:
                    found.append(meta[key] if key == "table" else meta)
    return found


def test_zh_edition_of_the_triage_report_has_no_latin_identifiers(edition):
    # pages, every table file and the workbook: Latin words only from the allow-list
    assert scan_edition(edition, "zh", {"cases.csv"}) == {}
    assert len(list(edition.glob("03*/tables/*.csv"))) >= 10


def test_tables_are_display_tables_with_titles(edition):
    tables = _outputs(edition, "table")
    assert len(tables) >= 10
    for table in tables:
        assert table["title"], table["name"]
        cells = [c for row in table["cells"] for c in row]
        assert not {"nan", "NaN", "<NA>", "NaT", "None"} & set(cells), table["name"]
        assert not foreign_words(" ".join(table["columns"]), "zh"), (table["name"], table["columns"])


def test_figures_have_titles_labels_legends_and_speak_chinese(edition):
    figures = _outputs(edition, "figure")
    assert len(figures) >= 8
    for meta in figures:
        assert meta["title"] and meta["problems"] == [], (meta["figure"], meta["problems"])
        assert foreign_words("\n".join(meta["texts"]), "zh") == set(), (meta["figure"], meta["texts"])


def test_prose_is_in_language_tagged_markdown_cells():
    source = nbformat.read(notebooks_dir() / "03_triage_effects.ipynb", as_version=4)
    markdown = [c for c in source.cells if c.cell_type == "markdown"]
    assert markdown and all({"lang-zh", "lang-en"} & set(c.metadata.get("tags", [])) for c in markdown)
    code = "\n".join(c.source for c in source.cells if c.cell_type == "code")
    assert "ctx.say(" not in code  # fixed prose lives in Markdown, numbers in computed sentences


def test_reader_table_translates_every_code():
    import pandas as pd

    frame = pd.DataFrame({
        "outcome": ["appealed", "days_capped_365"], "method": ["aipw", "rollout_wald"],
        "estimand": ["ATT", "routed_cases"], "inference": [None, "court_month"],
        "aggregation": ["claim_band", "simple"], "group": ["[10000, 50000)", None],
        "term": [None, "overall"], "unit": ["risk_difference", "days"], "estimate": [-0.05, -11.5],
        "ci_method": ["influence function", "delta method, court-month variance"],
        "rests_on": ["selection_on_observables", "parallel_trends_and_exclusion"],
        "step": ["case_type == civil", "filed on/after the court's triage_start"]})
    zh = labels.reader_table(frame, "zh")
    assert zh.loc[0, "estimate"] == pytest.approx(-5.0) and zh.loc[1, "estimate"] == pytest.approx(-11.5)
    text = " ".join(str(v) for v in zh.to_numpy().ravel() if not pd.isna(v))
    assert foreign_words(text, "zh") == set(), text
    en = labels.reader_table(frame, "en")
    assert not re.search(r"[\u4e00-\u9fff]", " ".join(str(v) for v in en.to_numpy().ravel()))


def test_every_p_value_column_prints_as_a_p_value(edition):
    # the Cox, pre-trend and all-estimates tables printed a p-value of 0 as "0" beside "0.00"
    p_columns = [(t["name"], k, [row[j] for row in t["cells"]])
                 for t in _outputs(edition, "table") for j, (h, k) in enumerate(zip(t["columns"], t["kinds"], strict=True))
                 if "p 值" in h]
    assert {name for name, _, _ in p_columns} >= {"triage_cox", "triage_pretrends", "triage_effects"}
    for name, kind, cells in p_columns:
        assert kind == "p", name
        assert all(c == "—" or c == "<0.001" or re.fullmatch(r"[01]\.\d{3}", c) for c in cells), (name, cells)
