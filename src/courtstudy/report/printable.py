"""The printable report of an edition: one Word file and one PDF, as the office circulates them.

:func:`printable_markdown` assembles one document from the edition's executed notebooks, in the
edition's language: a title block (edition, period, as-of date, data snapshot), the **headline
findings** of every report first, then each report as a chapter with the same narrative,
tables and figures as its HTML page (tables are reprinted from the display tables the notebook
kept in its output metadata, so Word and PDF show exactly the cells of the HTML; figures are
the PNGs). The document is pandoc Markdown; then

* **Word** (:func:`write_docx`): pandoc (``pypandoc-binary``, pandoc inside the wheel) writes
  the ``.docx``; python-docx adds the running header (edition and data snapshot), page numbers
  in the footer and the East Asian font of every style (Word has no CJK fallback of its own);
* **PDF** (:func:`write_pdf`): pandoc writes Typst, the ``typst`` wheel compiles it with the
  Noto Sans CJK font of the ``noto-cjk-sans-otc`` wheel (``font_paths``, system fonts ignored,
  so the PDF looks the same on every machine and embeds the font it uses), A4, page numbers,
  the same header.

Nothing here needs a network, a browser or a system package.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from courtstudy.report.pages import edition_facts, edition_title
from courtstudy.report.tables import DisplayTable

#: Body font size (points) of the PDF; tables are set smaller, wide tables smaller still.
BODY_PT = 10.5


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


@dataclass
class PrintableReport:
    """The files written and what they hold."""

    docx: Path | None
    pdf: Path | None
    tables: int
    figures: int
    error: str = ""


def _join(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def _raw(typst: str = "", openxml: str = "") -> str:
    out = []
    if typst:
        out.append(f"```{{=typst}}\n{typst}\n```")
    if openxml:
        out.append(f"```{{=openxml}}\n{openxml}\n```")
    return "\n\n".join(out)


PAGE_BREAK = _raw("#pagebreak(weak: true)", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>')


def _table_block(table: DisplayTable) -> str:
    columns = len(table.columns)
    size = 8.5 if columns <= 6 else (7.5 if columns <= 9 else 6.5)
    return "\n\n".join([_raw(f"#set text(size: {size}pt)"), table.markdown(),
                        _raw(f"#set text(size: {BODY_PT}pt)")])


def _html_to_markdown(text: str) -> str:
    import pypandoc

    return pypandoc.convert_text(text, "markdown-raw_html-native_divs-native_spans", format="html")


def notebook_blocks(executed: Path, out_dir: Path, lang: str, root: Path) -> tuple[list[str], int, int]:
    """The Markdown blocks of one executed notebook as a reader sees it
    (:func:`courtstudy.report.reader.reader_notebook`); image paths relative to ``root``.
    Returns (blocks, tables, figures)."""
    import nbformat

    from courtstudy.report.reader import reader_notebook

    nb = reader_notebook(nbformat.read(str(executed), as_version=4), lang)
    blocks: list[str] = []
    n_tables = n_figures = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            blocks.append(_join(cell.source))
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error":
                blocks.append(_t(lang, f"**本报告运行出错**：{output.get('ename')}: {output.get('evalue')}",
                                 f"**This report failed**: {output.get('ename')}: {output.get('evalue')}"))
                continue
            if kind not in ("display_data", "execute_result"):
                continue
            data = output.get("data", {})
            meta = output.get("metadata", {}).get("courtstudy", {})
            if "table" in meta:
                blocks.append(_table_block(DisplayTable.from_dict(meta["table"])))
                n_tables += 1
            elif "figure" in meta:
                png = Path(out_dir) / "figures" / f"{meta['figure']}.png"
                if png.is_file():
                    blocks.append(f"![]({png.relative_to(root).as_posix()}){{width=100%}}")
                    n_figures += 1
            elif "text/markdown" in data:
                blocks.append(_join(data["text/markdown"]))
            elif "text/html" in data:
                blocks.append(_html_to_markdown(_join(data["text/html"])))
                n_tables += _join(data["text/html"]).count("<table")
    return blocks, n_tables, n_figures


def printable_markdown(folder: Path, manifest: dict[str, Any], reports: list[dict[str, Any]]) -> tuple[str, int, int]:
    """The whole printable document of the edition in ``folder`` (see the module docstring).
    ``reports``: :func:`courtstudy.report.pages.report_summaries`. Returns (markdown, tables,
    figures)."""
    p = manifest["parameters"]
    lang = p.get("lang", "zh")
    data = manifest.get("data", {})
    facts = edition_facts(manifest["name"], p, manifest.get("as_of"), data.get("file", ""),
                          data.get("sha256", ""))
    out = [f"# {edition_title(p)}", facts]
    out.append(f"## {_t(lang, '主要发现', 'Headline findings')}")
    findings = [(r["title"], h) for r in reports for h in r.get("headlines", [])]
    if findings:
        out.append("\n".join(f"- {h}（{title}）" if lang == "zh" else f"- {h} ({title})"
                             for title, h in findings))
    else:
        out.append(_t(lang, "本期报告未给出主要发现。", "The reports state no headline finding."))
    n_tables = n_figures = 0
    first = True
    for report in reports:
        executed = Path(folder) / report.get("notebook", "")
        if not executed.is_file():
            continue
        if not first:  # the first report follows the findings on the title page; the others start a page
            out.append(PAGE_BREAK)
        first = False
        blocks, t, f = notebook_blocks(executed, Path(folder) / report["name"], lang, Path(folder))
        out.extend(blocks)
        n_tables += t
        n_figures += f
    return "\n\n".join(out) + "\n", n_tables, n_figures


def _typst_preamble(title: str, header: str, lang: str) -> str:
    def s(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    from courtstudy.report.style import CJK_FAMILY

    numbering = "第 1 页 / 共 1 页" if lang == "zh" else "Page 1 of 1"
    return f"""#set document(title: {s(title)})
#set page(paper: "a4", margin: (x: 2cm, top: 2.4cm, bottom: 2.2cm), numbering: {s(numbering)},
  header: context {{ if counter(page).get().first() > 1 {{
    align(right, text(size: 8pt, fill: luma(90), {s(header)})) }} }})
#set text(font: ({s(CJK_FAMILY)},), lang: {s("zh" if lang == "zh" else "en")}, region: {s("cn" if lang == "zh" else "gb")}, size: {BODY_PT}pt)
#set par(justify: false, leading: 0.75em)
#show heading.where(level: 1): it => {{ set text(size: 17pt, fill: rgb("#1f4e79")); block(below: 1em, it) }}
#show heading.where(level: 2): it => {{ set text(size: 13pt, fill: rgb("#1f4e79")); block(above: 1.4em, below: 0.8em, it) }}
#show figure.where(kind: table): set figure.caption(position: top)
#show figure: set block(breakable: true)
#set table(stroke: (x, y) => if y == 0 {{ (top: 0.8pt, bottom: 0.5pt) }} else {{ none }}, inset: (x: 4pt, y: 3pt))
#show table: it => context {{ let w = measure(it).width; stack(dir: ttb, it, line(length: w, stroke: 0.8pt)) }}
"""


def write_pdf(markdown: str, folder: Path, target: Path, *, title: str, header: str, lang: str) -> Path:
    """Compile ``markdown`` (paths relative to ``folder``) to ``target`` via Typst."""
    import pypandoc
    import typst

    from courtstudy.report.style import cjk_font_path

    body = pypandoc.convert_text(markdown, "typst", format="markdown",
                                 extra_args=["--resource-path", str(folder)])
    source = Path(folder) / f".{target.stem}.typ"
    source.write_text(_typst_preamble(title, header, lang) + body, encoding="utf-8")
    try:
        pdf = typst.compile(str(source), root=str(folder), font_paths=[str(cjk_font_path().parent)],
                            ignore_system_fonts=True)
    finally:
        source.unlink(missing_ok=True)
    target.write_bytes(pdf)
    return target


def write_docx(markdown: str, folder: Path, target: Path, *, header: str, lang: str) -> Path:
    """Write ``markdown`` (paths relative to ``folder``) to ``target`` with pandoc, then set
    the header, page numbers and fonts with python-docx."""
    import pypandoc

    pypandoc.convert_text(markdown, "docx", format="markdown", outputfile=str(target),
                          extra_args=["--resource-path", str(folder)])
    _finish_docx(target, header, lang)
    return target


def _page_field(paragraph) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(element) -> None:
        run = paragraph.add_run()
        run._r.append(element)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, end):
        run_with(element)


def _finish_docx(path: Path, header: str, lang: str) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document(str(path))
    east_asian = "Microsoft YaHei" if lang == "zh" else "Arial"
    for style in doc.styles:
        font = getattr(style, "font", None)
        if font is None:
            continue
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attribute in ("w:eastAsia", "w:ascii", "w:hAnsi"):
            fonts.set(qn(attribute), east_asian if attribute == "w:eastAsia" else "Arial")
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme"):
            fonts.attrib.pop(qn(attribute), None)
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.0)
        head = section.header.paragraphs[0] if section.header.paragraphs else section.header.add_paragraph()
        head.text = header
        head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for run in head.runs:
            run.font.size = Pt(8)
            run.font.color.rgb = RGBColor(0x5A, 0x5A, 0x5A)
        foot = section.footer.paragraphs[0] if section.footer.paragraphs else section.footer.add_paragraph()
        foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if lang == "zh":
            foot.add_run("第 ")
            _page_field(foot)
            foot.add_run(" 页")
        else:
            foot.add_run("Page ")
            _page_field(foot)
    for table in doc.tables:
        table.style = doc.styles["Table"] if "Table" in [s.name for s in doc.styles] else table.style
    doc.save(str(path))


def write_printable(folder: Path, manifest: dict[str, Any], reports: list[dict[str, Any]],
                    stem: str = "report") -> PrintableReport:
    """Write ``folder/<stem>.docx`` and ``folder/<stem>.pdf`` for the edition in ``folder``.
    A failure is returned in ``error`` (the HTML edition stands without the printable files)."""
    p = manifest["parameters"]
    lang = p.get("lang", "zh")
    title = edition_title(p)
    data = manifest.get("data", {})
    header = edition_facts(manifest["name"], p, manifest.get("as_of"), data.get("file", ""), "")
    markdown, n_tables, n_figures = printable_markdown(folder, manifest, reports)
    result = PrintableReport(docx=None, pdf=None, tables=n_tables, figures=n_figures)
    errors = []
    try:
        result.docx = write_docx(markdown, folder, Path(folder) / f"{stem}.docx", header=header, lang=lang)
    except Exception as exc:  # noqa: BLE001 - reported in the manifest, the edition stands
        errors.append(f"docx: {type(exc).__name__}: {exc}")
    try:
        result.pdf = write_pdf(markdown, folder, Path(folder) / f"{stem}.pdf", title=title,
                               header=header, lang=lang)
    except Exception as exc:  # noqa: BLE001
        message = re.sub(r"\s+", " ", str(exc))[:500]
        errors.append(f"pdf: {type(exc).__name__}: {message}")
    result.error = "; ".join(errors)
    return result
