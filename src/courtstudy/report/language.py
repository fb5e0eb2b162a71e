"""One language per edition: find the words of the other language in what a reader sees.

A zh edition is Chinese throughout and an en edition English throughout (issue 12). What counts
as "what a reader sees": the report pages and index pages (text outside ``<style>`` and
``<script>``), every table file (``tables/*.csv``), every cell and sheet name of ``tables.xlsx``,
the text of every figure (:mod:`courtstudy.report.figure_audit`) and the Word report.

* **zh**: a *Latin-script word* (two or more letters, not glued to a digit: ``aipw``,
  ``ci_low``, ``simple``; ``2023Q4`` is a period label, not a word) is a leak unless it is in
  :data:`LATIN_IN_ZH`, the words Chinese statistical writing keeps in Latin script, each with
  its reason.
* **en**: a run of *Chinese characters or full-width punctuation* is a leak unless it is part of
  a name that is data (the court, team, judge and cause names and the case numbers of the
  export, which the report must print as they are: :func:`data_names`) or in :data:`CHINESE_IN_EN`.

:func:`scan_edition` applies both to an edition folder and returns the leaks per file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

#: Latin-script words a zh reader may see, and why each is not a leak.
LATIN_IN_ZH: dict[str, str] = {
    # statistical methods named after people or known by an acronym in Chinese writing too
    "Kaplan": "Kaplan-Meier 生存曲线: a method named after its authors",
    "Meier": "Kaplan-Meier 生存曲线: a method named after its authors",
    "KM": "KM 中位数: the usual abbreviation of the Kaplan-Meier median",
    "RMST": "限制平均生存时间 (RMST): the method's standard abbreviation",
    "Cox": "Cox 比例风险模型: a method named after its author, as Chinese writing names it",
    # the fast-track study's methods (notebook 04), named after their authors or by the
    # abbreviation Chinese econometric writing uses for them
    "Callaway": "Callaway-Sant'Anna 方法: named after its authors",
    "Sant": "Callaway-Sant'Anna 方法: named after its authors",
    "Anna": "Callaway-Sant'Anna 方法: named after its authors",
    "Borusyak": "Borusyak-Jaravel-Spiess 插补法: named after its authors",
    "Jaravel": "Borusyak-Jaravel-Spiess 插补法: named after its authors",
    "Spiess": "Borusyak-Jaravel-Spiess 插补法: named after its authors",
    "Wald": "Wald 检验: a test named after its author",
    "Honest": "Honest DiD (Rambachan-Roth): the method's name in Chinese writing too",
    "DiD": "双重差分 (DiD): the usual abbreviation, as in Honest DiD",
    "TWFE": "双向固定效应 (TWFE): the usual abbreviation, given with the Chinese name",
    # file names and formats the reader opens
    "tables": "the workbook's file name, tables.xlsx",
    "xlsx": "file extension", "csv": "file extension", "CSV": "file format",
    "docx": "file extension", "pdf": "file extension", "json": "file extension",
    "log": "file extension (edition.log)", "edition": "the log's file name, edition.log",
    "manifest": "the manifest's file name, manifest.json",
    "Excel": "the program the office opens the workbook with",
    "Word": "the Word report", "PDF": "the PDF report",
    # facts of the data file
    "SHA": "SHA-256, the data file's checksum",
    "utf": "the data file's encoding (utf-8-sig)", "sig": "the data file's encoding (utf-8-sig)",
    "gb": "the data file's encoding (gb18030)",
    "courtstudy": "the package's name in the footer of each page",
}

#: Chinese a reader of an en edition may see beyond the data's names, and why.
CHINESE_IN_EN: dict[str, str] = {}

_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z_]*[A-Za-z](?![A-Za-z0-9])")
#: CJK ideographs (with extension A and compatibility ideographs) and CJK/full-width punctuation.
_CHINESE_RUN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
_HIDDEN_HTML = re.compile(r"<style.*?</style>|<script.*?</script>|<!--.*?-->", flags=re.S)
_TAG = re.compile(r"<[^>]+>")
#: A program identifier in running text: snake_case (did_multiplegt, ci_low) or a path into the
#: repository (docs/....md); neither belongs in an edition of either language.
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9/._-])(?:[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|docs/[\w./-]+)")


def latin_words(text: str) -> set[str]:
    """Latin-script words of ``text`` (two letters or more, not part of a code like 2023Q4)."""
    return set(_LATIN_WORD.findall(text))


def chinese_runs(text: str) -> set[str]:
    """Runs of Chinese characters and full-width punctuation in ``text``."""
    return set(_CHINESE_RUN.findall(text))


def foreign_words(text: str, lang: str, allowed: Iterable[str] = ()) -> set[str]:
    """The words of ``text`` that do not belong in a ``lang`` edition.

    ``allowed``: names that are data (court, team, judge, cause names) and the user's own
    identifiers (the edition's name, the data file's name); they are removed from the text
    before the scan, longest first. zh: Latin words outside :data:`LATIN_IN_ZH`; en: Chinese
    runs outside :data:`CHINESE_IN_EN`, and program identifiers (snake_case names, paths into
    the repository's docs)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    for name in sorted({str(a) for a in allowed if str(a)}, key=len, reverse=True):
        text = text.replace(name, " ")
    if lang == "zh":
        return {w for w in latin_words(text) if w not in LATIN_IN_ZH}
    return ({w for w in chinese_runs(text) if w not in CHINESE_IN_EN}
            | set(_IDENTIFIER.findall(text)))


def html_text(page: str) -> str:
    """The text a reader sees on an HTML page (no style, script, comments or tags)."""
    import html

    return html.unescape(_TAG.sub(" ", _HIDDEN_HTML.sub(" ", page)))  # "&lt;0.001" is "<0.001"


def workbook_text(path: Path | str, reports: Iterable[str] | None = None) -> str:
    """Sheet names and every text cell of a workbook. ``reports``: report numbers (``"01"``);
    only their sheets (named ``"01 ..."``) and their rows of the contents sheet are read."""
    from openpyxl import load_workbook

    numbers = None if reports is None else {str(r)[:2] for r in reports}

    def chosen(sheet: str) -> bool:
        return numbers is None or sheet[:2] in numbers

    book = load_workbook(path, read_only=True)
    try:
        parts = [name for i, name in enumerate(book.sheetnames) if i == 0 or chosen(name)]
        for i, ws in enumerate(book.worksheets):
            if i > 0 and not chosen(ws.title):
                continue
            for row in ws.iter_rows(values_only=True):
                if i == 0 and row and row[0] in book.sheetnames[1:] and not chosen(row[0]):
                    continue  # a contents row of another report's table
                parts.extend(v for v in row if isinstance(v, str))
    finally:
        book.close()
    return "\n".join(parts)


def docx_text(path: Path | str) -> str:
    """Paragraphs, table cells, headers and footers of a Word file."""
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    for section in doc.sections:
        parts += [p.text for p in section.header.paragraphs]
        parts += [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


def data_names(cases, columns: Iterable[str] = ("court", "team", "judge", "cause", "case_id")) -> set[str]:
    """The names in ``cases`` that a report prints as they are (they are data, in the
    language of the export): court, team, judge and cause names, and the case numbers (案号,
    ``(2023)示0102民初123号``) of the case lists of internal editions."""
    names: set[str] = set()
    for column in columns:
        if column in cases.columns:
            names.update(str(v) for v in cases[column].dropna().unique())
    return names


def edition_files(folder: Path | str, reports: Iterable[str] | None = None) -> list[Path]:
    """The reader-facing files of an edition: pages, table files, the workbook, the Word
    report. ``reports``: only the pages and tables of these report names (``01_data_quality``
    or a prefix such as ``01``); the index pages and the workbook are always included."""
    folder = Path(folder)
    wanted = None if reports is None else tuple(reports)

    def chosen(name: str) -> bool:
        return wanted is None or name.startswith(wanted)

    files = [folder / "index.html"] if (folder / "index.html").is_file() else []
    files += [p for p in sorted(folder.glob("*.html")) if p.name != "index.html" and chosen(p.name)]
    files += [p for p in sorted(folder.glob("*/tables/*.csv")) if chosen(p.parent.parent.name)]
    files += [p for p in (folder / "tables.xlsx", folder / "report.docx") if p.is_file()]
    return files


def file_text(path: Path, reports: Iterable[str] | None = None) -> str:
    """The reader-facing text of one edition file (see :func:`edition_files`); ``reports``
    limits a workbook to those reports' sheets (:func:`workbook_text`)."""
    suffix = path.suffix.lower()
    if suffix == ".html":
        return html_text(path.read_text(encoding="utf-8"))
    if suffix == ".csv":
        return path.read_text(encoding="utf-8-sig")
    if suffix == ".xlsx":
        return workbook_text(path, reports)
    if suffix == ".docx":
        return docx_text(path)
    raise ValueError(f"{path}: not a reader-facing file type")


def scan_edition(folder: Path | str, lang: str, allowed: Iterable[str] = (),
                 reports: Iterable[str] | None = None) -> dict[str, set[str]]:
    """Leaks of the other language in the reader-facing files of the edition in ``folder``
    (:func:`edition_files`): file name (relative to the edition) -> foreign words; files without
    a leak are left out. ``allowed``: see :func:`foreign_words`; the edition's folder name is
    always allowed (the user named it). ``reports``: only these reports (``"01"``, ``"02"``)."""
    folder = Path(folder)
    allowed = {*allowed, folder.name}
    reports = None if reports is None else list(reports)
    out: dict[str, set[str]] = {}
    for path in edition_files(folder, reports):
        found = foreign_words(file_text(path, reports), lang, allowed)
        if found:
            out[str(path.relative_to(folder))] = found
    return out
