"""A small zh edition of notebooks 01 and 02: the Word and PDF report open and hold the
headline findings, tables and figures; the pages link back; no Latin-script identifier leaks
into what a zh reader sees."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from openpyxl import load_workbook

from courtstudy.report.edition import run_edition
from courtstudy.simulate import simulate_court
from courtstudy.simulate.demo import courts_export
from courtstudy.simulate.export import write_export

#: Latin-script words a zh reader may see: units, file and format names, statistical terms.
ALLOWED = {"SHA", "Kaplan", "Meier", "RMST", "CSV", "Excel", "xlsx", "tables", "csv", "courtstudy",
           "Word", "PDF", "pdf", "docx", "manifest", "json", "edition", "log", "gb", "utf", "sig",
           "Q", "H", "SPC", "KM"}


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    folder = tmp_path_factory.mktemp("printable")
    sim = simulate_court(scale=0.03)
    write_export(sim.cases, folder / "cases.csv", bad_row_share=0.005, seed=5)
    courts_export(sim.courts).to_csv(folder / "courts.csv", index=False, encoding="utf-8-sig")
    result = run_edition("zh-small", data=str(folder / "cases.csv"), courts=str(folder / "courts.csv"),
                         period="2023Q4", lang="zh", notebooks="01,02",
                         reports_folder=folder / "reports", progress_bar=False, log=lambda line: None)
    assert result.status == "complete", result.manifest["notebooks"]
    return result.path


def _latin_words(text: str) -> set[str]:
    # the edition's name and the data file's name are the user's own identifiers
    text = text.replace("zh-small", " ").replace("cases.csv", " ")
    words = set(re.findall(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z_]*[A-Za-z](?![A-Za-z0-9])", text))
    return {w for w in words if w not in ALLOWED}


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
        html_text = page.read_text(encoding="utf-8")
        assert 'href="index.html"' in html_text
        body = re.sub(r"<style.*?</style>|<script.*?</script>|<[^>]+>", " ", html_text, flags=re.S)
        assert _latin_words(body) == set(), page.name
    for csv in edition.glob("*/tables/*.csv"):
        assert _latin_words(csv.read_text(encoding="utf-8-sig")) == set(), csv.name
    book = load_workbook(edition / "tables.xlsx")
    assert book.sheetnames[0] == "目录" and all(not re.search(r"[A-Za-z]{3,}", s) for s in book.sheetnames)
    cells = " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                     for v in row if isinstance(v, str))
    assert _latin_words(cells) == set()
