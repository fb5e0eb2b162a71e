"""What a reader sees of an executed report notebook: one language, no code, a way back.

**Language of Markdown cells.** Narrative lives in Markdown cells, so an officer edits the text
without touching Python. A cell tagged ``lang-zh`` belongs to the Chinese edition, ``lang-en``
to the English one; :func:`select_language` drops the other language's cells (an untagged
Markdown cell is shown in both: keep it for language-free content such as a formula). Sentences
whose words depend on numbers are not Markdown cells: package functions write them and the
notebook shows them with ``ctx.write`` (see ``docs/editions.md``).

:func:`reader_notebook` also leaves out the ``parameters``/``injected-parameters`` cells and
standard-error streams (warnings are for the executed ``.ipynb``, not for a court president);
errors stay visible. :func:`reader_html` renders that notebook as a page without code, with the
report's title, a link back to the edition's index and the edition's date and data snapshot.
:func:`notebook_title` is the report's title: the first level-1 heading in its language.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path
from typing import Any

#: Tag of a Markdown cell that belongs to one language's edition.
LANG_TAGS: dict[str, str] = {"zh": "lang-zh", "en": "lang-en"}
_HIDDEN_TAGS = {"parameters", "injected-parameters"}
#: Page style of report pages (notebook HTML and index pages): a statistical bulletin.
PAGE_CSS = """
body{font-family:'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif;
 color:#1f2933;background:#fff;line-height:1.6}
.cs-nav{max-width:60rem;margin:0 auto;padding:.6rem 0;border-bottom:2px solid #1f4e79;
 display:flex;justify-content:space-between;align-items:baseline;font-size:.9rem;gap:1rem}
.cs-nav a{color:#1f4e79;text-decoration:none;white-space:nowrap}.cs-nav a:hover{text-decoration:underline}
.cs-meta{color:#52606d}
.cs-foot{max-width:60rem;margin:2rem auto;padding:.6rem 0;border-top:1px solid #cbd2d9;
 color:#52606d;font-size:.85rem}
main.cs-main,.jp-Notebook{max-width:60rem;margin:0 auto;padding-left:0;padding-right:0}
.jp-Cell,.jp-Notebook .jp-Cell{padding-left:0;padding-right:0}
.jp-RenderedHTMLCommon{font-family:inherit;padding-right:0}
.jp-MarkdownOutput,.jp-OutputArea-output{padding-left:0}
.jp-RenderedHTMLCommon table{table-layout:auto}
.jp-RenderedHTMLCommon h1{color:#1f4e79;border-bottom:1px solid #cbd2d9;padding-bottom:.3rem}
.jp-RenderedHTMLCommon h2{color:#1f4e79;margin-top:1.6rem}
.jp-RenderedImage img{max-width:100%;height:auto}
.jp-OutputArea-output{overflow-x:auto}
.jp-Cell-outputWrapper{margin-top:.2rem}
@media (max-width:62rem){.cs-nav,.cs-foot,main,.jp-Notebook{padding-left:1rem;padding-right:1rem}}
"""


def cell_language(cell: Any) -> str | None:
    """``"zh"``/``"en"`` for a cell tagged for one language, else ``None``."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    found = [lang for lang, tag in LANG_TAGS.items() if tag in tags]
    if len(found) > 1:
        raise ValueError(f"a cell is tagged for both languages: {sorted(tags)}")
    return found[0] if found else None


def select_language(nb: Any, lang: str) -> Any:
    """A copy of notebook ``nb`` without the cells tagged for another language."""
    if lang not in LANG_TAGS:
        raise ValueError(f"lang must be one of {', '.join(LANG_TAGS)}, got {lang!r}")
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if cell_language(c) in (None, lang)]
    return out


def reader_notebook(nb: Any, lang: str) -> Any:
    """The cells a reader sees: :func:`select_language`, without parameter cells and without
    standard-error streams."""
    out = select_language(nb, lang)
    out.cells = [c for c in out.cells if not _HIDDEN_TAGS & set(c.get("metadata", {}).get("tags", []))]
    for cell in out.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return out


def notebook_title(nb: Any, lang: str, default: str = "") -> str:
    """The first level-1 Markdown heading of the notebook in ``lang`` (from its Markdown cells,
    else from Markdown it displayed), or ``default``."""
    for cell in select_language(nb, lang).cells:
        sources = []
        if cell.get("cell_type") == "markdown":
            sources.append(cell.get("source", ""))
        elif cell.get("cell_type") == "code":
            sources += [o.get("data", {}).get("text/markdown", "") for o in cell.get("outputs", [])]
        for source in sources:
            text = "".join(source) if isinstance(source, list) else str(source)
            match = re.search(r"^#\s+(.+?)\s*#*\s*$", text, flags=re.MULTILINE)
            if match:
                return match.group(1).strip()
    return default


def page_header(title: str, back_href: str, back_text: str, meta: str = "") -> str:
    """The navigation bar of a report page: a link back to the index and the edition's facts."""
    return (f'<nav class="cs-nav"><a href="{html.escape(back_href)}">← {html.escape(back_text)}</a>'
            f'<span class="cs-meta">{html.escape(meta)}</span></nav>')


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", flags=re.S | re.I)


def reader_html(executed: Path | str, lang: str, *, back_href: str = "index.html",
                meta: str = "", title: str = "") -> str:
    """The executed notebook as a page for readers: :func:`reader_notebook`, no code, no
    prompts, the report's title, a link back (``back_href``) and ``meta`` (edition, period,
    data snapshot) at the top and bottom."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = reader_notebook(nbformat.read(str(executed), as_version=4), lang)
    title = title or notebook_title(nb, lang, Path(executed).stem)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    back = "返回本期报告目录" if lang == "zh" else "Back to the edition's contents"
    nav = page_header(title, back_href, back, meta)
    foot = f'<footer class="cs-foot">{html.escape(meta)} · <a href="{html.escape(back_href)}">{html.escape(back)}</a></footer>'
    # a static page: the template's scripts (require.js and MathJax from a CDN, a widget
    # loader) serve nothing here, fail on a court's intranet without internet and put
    # program identifiers into the page
    body = _SCRIPT.sub("", body)
    body = re.sub(r"<html[^>]*>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', body, count=1)
    body = body.replace("</head>", f"<style>{PAGE_CSS}</style>\n</head>", 1)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + nav, body, count=1)
    body = body.replace("</body>", foot + "\n</body>", 1)
    return body
