"""A small zh edition of notebooks 01 and 02: the Word and PDF report open and hold the
headline findings, tables and figures; the pages link back; no Latin-script identifier leaks
into what a zh reader sees (pages, table files, workbook, Word report, figures), and every
figure has its title, axis labels and legend entries."""

from __future__ import annotations

import json
import re
import zipfile

import nbformat
import pytest
from openpyxl import load_workbook

from courtstudy.report.edition import run_edition
from courtstudy.report.language import LATIN_IN_ZH, foreign_words, scan_edition
from courtstudy.simulate import simulate_court
from courtstudy.simulate.demo import courts_export
from courtstudy.simulate.export import write_export


@pytest.fixture(scope="module")
def edition(small_edition):
    return small_edition("zh-small", "01,02")


def _leaks(text: str) -> set[str]:
    # the data file's name is the user's own identifier (the edition's name is allowed by scan_edition)
    return foreign_words(text, "zh", {"zh-small", "cases.csv"})


def test_word_and_pdf_hold_the_headlines_tables_and_figures(edition):
    from docx import Document
    from pypdf import PdfReader

    manifest = json.loads((edition / "manifest.json").read_text(encoding="utf-8"))
    printable = manifest["printable"]
    assert printable["error"] == "" and printable["tables"] >= 8 and printable["figures"] >= 8
    headlines = [h for r in manifest["reports"] for h in r["headlines"]]
    assert len(headlines) >= 3
    assert [r["title"] for r in manifest["reports"]] == ["数据质量报告", "审判质效分析"]

    doc = Document(str(edition / printable["docx"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert text.index("主要发现") < text.index("数据质量报告", text.index("主要发现"))
    assert all(h in text for h in headlines)
    assert len(doc.tables) >= printable["tables"]
    assert any(c.text == "隔离原因" for t in doc.tables for c in t.rows[0].cells)
    with zipfile.ZipFile(edition / printable["docx"]) as z:
        assert len([n for n in z.namelist() if n.startswith("word/media/")]) == printable["figures"]
        footer = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("word/footer"))
    assert "PAGE" in footer

    pdf = PdfReader(str(edition / printable["pdf"]))
    assert len(pdf.pages) >= 5
    first = pdf.pages[0].extract_text()
    assert "2023Q4 审判质效报告" in first and "主要发现" in first and "数据截至" in first
    pages = [p.extract_text() for p in pdf.pages]
    assert "第 2 页 / 共" in pages[1]
    assert "隔离原因" in "".join(pages)
    fonts = {f.get_object()["/BaseFont"] for p in pdf.pages for f in p["/Resources"].get("/Font", {}).values()}
    assert fonts and all("NotoSansCJK" in str(f) for f in fonts)
    images = sum(len(p.images) for p in pdf.pages)
    assert images == printable["figures"]


def test_pages_link_back_and_speak_one_language(edition):
    index = (edition / "index.html").read_text(encoding="utf-8")
    visible = re.sub(r"<style.*?</style>", "", index, flags=re.S)
    assert "审判质效分析" in index and "02_indicators.html" in index and "{" not in visible  # no raw JSON
    assert 'href="../index.html"' in index and "report.pdf" in index
    reports_index = (edition.parent / "index.html").read_text(encoding="utf-8")
    assert "zh-small/index.html" in reports_index and "主要指标同比" in reports_index
    for page in edition.glob("0*.html"):
        text = page.read_text(encoding="utf-8")
        assert 'href="index.html"' in text
        # static pages that open offline: no scripts (CDN MathJax), no style sheet of table classes
        assert "<script" not in text and "gt_table" not in text and 'id="cs-' not in text
    book = load_workbook(edition / "tables.xlsx")
    assert book.sheetnames[0] == "目录" and all(not re.search(r"[A-Za-z]{3,}", s) for s in book.sheetnames)
    # pages, every table file, the workbook and the Word report: Latin words only from the allow-list
    assert scan_edition(edition, "zh", {"cases.csv"}) == {}
    scanned = {p.name for p in edition.glob("*/tables/*.csv")}
    assert len(scanned) >= 8


def test_the_scan_finds_what_leaks():
    """The scan can fail: a code in a table file, English on a page."""
    assert _leaks("“—”：无数据。tables.xlsx，Kaplan-Meier，2023Q4，SHA-256") == set()
    assert _leaks("繁简分流：simple，ci_low，aipw") == {"simple", "ci_low", "aipw"}
    assert foreign_words("Court 甲县人民法院: 简案 cases", "en", {"甲县人民法院"}) == {"简案"}
    # program identifiers do not belong in an en edition either (they leaked in 03, 04 and 05)
    assert foreign_words("Cross-check: did_multiplegt gives 1.2; see docs/year_end_backtest.md",
                         "en") == {"did_multiplegt", "docs/year_end_backtest.md"}
    assert foreign_words("Kaplan-Meier, 2023Q4, SHA-256, 95% CI, p<0.001", "en") == set()
    assert all(reason for reason in LATIN_IN_ZH.values())


def test_figures_have_titles_labels_legends_and_no_latin(edition):
    figures = []
    for executed in sorted(edition.glob("0*.ipynb")):
        nb = nbformat.read(executed, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                meta = output.get("metadata", {}).get("courtstudy", {})
                if "figure" in meta:
                    figures.append(meta)
    assert len(figures) >= 12
    for meta in figures:
        assert meta["title"] and meta["problems"] == [], (meta["figure"], meta["problems"])
        assert _leaks("\n".join(meta["texts"])) == set(), (meta["figure"], meta["texts"])


@pytest.fixture(scope="module")
def monitoring_edition(tmp_path_factory):
    """A small zh edition of the monitoring notebooks 05-07 at 2023Q3: the year is not over
    on the projection day, so 05 draws its projection figures and targets table as well."""
    folder = tmp_path_factory.mktemp("monitoring")
    sim = simulate_court(scale=0.03)
    write_export(sim.cases, folder / "cases.csv", bad_row_share=0.005, seed=5)
    courts_export(sim.courts).to_csv(folder / "courts.csv", index=False, encoding="utf-8-sig")
    params = folder / "params.toml"
    params.write_text('["07"]\ndetection_scale = 0.1\n', encoding="utf-8")  # a small planted court
    result = run_edition("zh-monitoring", data=str(folder / "cases.csv"), courts=str(folder / "courts.csv"),
                         period="2023Q3", lang="zh", notebooks="05,06,07", params_file=params,
                         reports_folder=folder / "reports", progress_bar=False, log=lambda line: None)
    assert result.status == "complete", result.manifest["notebooks"]
    return result.path


def test_monitoring_reports_speak_one_language(monitoring_edition):
    manifest = json.loads((monitoring_edition / "manifest.json").read_text(encoding="utf-8"))
    assert [r["title"] for r in manifest["reports"]] == ["年底能否完成：年底审判质效预测", "审判运行通报",
                                                         "延长、扣除审限异常核查"]
    # pages, every table file (case lists included), the workbook and the Word report
    assert scan_edition(monitoring_edition, "zh", {"cases.csv"}) == {}
    scanned = {p.parent.parent.name for p in monitoring_edition.glob("*/tables/*.csv")}
    assert scanned == {"05_year_end", "06_bulletin", "07_extension_audit"}


def test_monitoring_figures_have_titles_labels_legends_and_no_latin(monitoring_edition):
    figures = {}
    for executed in sorted(monitoring_edition.glob("0*.ipynb")):
        for cell in nbformat.read(executed, as_version=4).cells:
            for output in cell.get("outputs", []):
                meta = output.get("metadata", {}).get("courtstudy", {})
                if "figure" in meta:
                    figures[meta["figure"]] = meta
    # 05: two projection figures and the backtest; 07: the bunching profile and four funnel plots
    assert {"projection_clearance_rate", "backtest_coverage", "bunching", "funnel_extension_judge"} <= set(figures)
    for name, meta in figures.items():
        assert meta["title"] and meta["problems"] == [], (name, meta["problems"])
        assert _leaks("\n".join(meta["texts"])) == set(), (name, meta["texts"])


def test_an_empty_table_says_so():
    """A table of headers alone (no team above the funnel's limit) reads as a fault: a note says why."""
    import pandas as pd

    from courtstudy.report.tables import display_table

    empty = display_table(pd.DataFrame(columns=["court", "team"]), name="funnel_team", lang="zh")
    assert empty.cells == [] and empty.notes[0] == "本表无符合条件的记录。"
    full = display_table(pd.DataFrame({"court": ["甲"], "team": ["乙"]}), name="funnel_team", lang="en")
    assert full.notes == []


def test_every_reason_the_loader_gives_has_a_label_in_both_languages():
    """Page 01 printed the code suspended_exceeds_duration in both editions (the small test
    edition has no such row, so its scan could not see it)."""
    from courtstudy.ingest.links import LINK_MESSAGES
    from courtstudy.ingest.loading import MESSAGES
    from courtstudy.ingest.mediation import MEDIATION_MESSAGES
    from courtstudy.ingest.quality import reason_label

    # the case export's reasons (page 01); links and mediation records add their own to MESSAGES
    # and are not on a report page yet (issue 15)
    for reason in set(MESSAGES) - set(LINK_MESSAGES) - set(MEDIATION_MESSAGES):
        for lang in ("zh", "en"):
            label = reason_label(reason, lang)
            assert label != reason and foreign_words(label, lang) == set(), (reason, lang, label)
