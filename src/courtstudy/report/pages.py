"""The pages of an edition a reader opens first: each report's page, the edition's index and
``reports/index.html``.

* :func:`report_page`: one executed notebook as a page (:func:`courtstudy.report.reader.reader_html`)
  with a link back to the edition's index and the edition's period and data snapshot;
* :func:`report_summaries`: each report's title (its first heading, not its file name), the
  headline findings it recorded (``ctx.headline``) and its files;
* :func:`edition_index_html`: the edition's index: the title, period, as-of date and data
  snapshot in words, the headline findings of every report, links to each report page, the
  Word and PDF report and the workbook, and what the public rules withheld, in a sentence (no
  raw JSON);
* :func:`reports_index_html`: every edition, newest first, with its headline findings.

Everything is in the edition's language (``parameters.lang`` of the manifest).
"""

from __future__ import annotations

import contextlib
import html
import json
from pathlib import Path
from typing import Any

from courtstudy.report.reader import PAGE_CSS, page_header


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError):
        return {}


def edition_facts(name: str, parameters: dict[str, Any], as_of: str | None,
                  data_file: str = "", sha256: str = "") -> str:
    """One line: edition, period, as-of date and data snapshot, in the edition's language."""
    lang = parameters.get("lang", "zh")
    period = parameters.get("period", "")
    parts = [_t(lang, f"版次 {name}", f"Edition {name}"), _t(lang, f"统计期间 {period}", f"period {period}")]
    if as_of:
        parts.append(_t(lang, f"数据截至 {as_of}", f"data as of {as_of}"))
    if data_file:
        snap = f"{data_file}" + (f"（SHA-256 {sha256[:12]}）" if lang == "zh" and sha256 else
                                 (f" (SHA-256 {sha256[:12]})" if sha256 else ""))
        parts.append(_t(lang, f"数据文件 {snap}", f"data file {snap}"))
    return " · ".join(parts)


def report_page(executed: Path, name: str, parameters: dict[str, Any], out_dir: Path,
                data_file: str = "", sha256: str = "") -> str:
    """The reader's page of one executed notebook of edition ``name``."""
    from courtstudy.report.reader import reader_html

    results = _read_json(Path(out_dir) / "results.json")
    facts = edition_facts(name, parameters, results.get("as_of") or parameters.get("as_of"),
                          data_file or results.get("source", {}).get("file", ""),
                          sha256 or results.get("source", {}).get("sha256", ""))
    return reader_html(executed, parameters.get("lang", "zh"), back_href="index.html", meta=facts)


def report_summaries(folder: Path, runs: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """For each notebook run (``name``, ``notebook``, ``html``, ``status``): ``title`` (first
    heading in ``lang``), ``headlines`` (from its ``results.json``) and the run's fields."""
    import nbformat

    from courtstudy.report.reader import notebook_title

    out = []
    for run in runs:
        executed = Path(folder) / run.get("notebook", "")
        title = run["name"]
        if executed.is_file():
            # an unreadable notebook keeps its file name as title
            with contextlib.suppress(Exception):
                title = notebook_title(nbformat.read(str(executed), as_version=4), lang, run["name"])
        results = _read_json(Path(folder) / run["name"] / "results.json")
        out.append({**run, "title": title, "headlines": list(results.get("results", {}).get("headlines", []))})
    return out


def _page(title: str, body: str, lang: str) -> str:
    return ("<!DOCTYPE html>\n"
            f"<html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{PAGE_CSS}\n"
            "main{max-width:60rem;margin:0 auto}h1{color:#1f4e79}"
            "h2{color:#1f4e79;border-bottom:1px solid #cbd2d9;padding-bottom:.2rem}"
            "ul.cs-findings li{margin:.3rem 0}.failed{color:#b1400d;font-weight:bold}"
            "table.cs-list{border-collapse:collapse;width:100%}table.cs-list td,table.cs-list th"
            "{border-bottom:1px solid #e4e7eb;padding:.4rem .5rem;text-align:left;vertical-align:top}"
            ".cs-files a{margin-right:1rem}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def edition_title(parameters: dict[str, Any]) -> str:
    """The edition's title: 2023Q4 审判质效报告 / Court performance report, 2023Q4."""
    lang, period = parameters.get("lang", "zh"), parameters.get("period", "")
    return _t(lang, f"{period} 审判质效报告", f"Court performance report, {period}")


def edition_index_html(manifest: dict[str, Any], reports: list[dict[str, Any]]) -> str:
    """The edition's ``index.html`` (see the module docstring)."""
    p = manifest["parameters"]
    lang = p.get("lang", "zh")
    esc = html.escape
    data = manifest.get("data", {})
    facts = edition_facts(manifest["name"], p, manifest.get("as_of"), data.get("file", ""),
                          data.get("sha256", ""))
    rows = manifest.get("rows", {})
    audience = _t(lang, "公开版" if p.get("audience") == "public" else "内部版",
                  "public edition" if p.get("audience") == "public" else "internal edition")
    parts = [page_header("", "../index.html", _t(lang, "所有报告", "All editions"), audience),
             "<main>", f"<h1>{esc(edition_title(p))}</h1>", f"<p class=\"cs-meta\">{esc(facts)}</p>"]
    if rows.get("rows_read") is not None:
        parts.append("<p>" + esc(_t(
            lang, f"读取 {rows['rows_read']:,} 行，接受 {rows['accepted']:,} 行，隔离 {rows['quarantined']:,} 行（原因见数据质量报告）。",
            f"{rows['rows_read']:,} rows read, {rows['accepted']:,} accepted, {rows['quarantined']:,} "
            "quarantined (reasons in the data quality report).")) + "</p>")
    if manifest.get("status") == "failed":
        failed = [r["title"] for r in reports if r.get("status") == "failed"]
        parts.append("<p class=\"failed\">" + esc(_t(
            lang, f"本期有报告未能生成：{'、'.join(failed)}。", f"Some reports failed: {', '.join(failed)}.")) + "</p>")
    parts.append(f"<h2>{esc(_t(lang, '主要发现', 'Headline findings'))}</h2>")
    any_finding = False
    for report in reports:
        if report.get("headlines"):
            any_finding = True
            items = "".join(f"<li>{esc(h)}</li>" for h in report["headlines"])
            parts.append(f"<h3><a href=\"{esc(report.get('html') or report.get('notebook', ''))}\">"
                         f"{esc(report['title'])}</a></h3><ul class=\"cs-findings\">{items}</ul>")
    if not any_finding:
        parts.append("<p>" + esc(_t(lang, "本期报告未给出主要发现。", "The reports state no headline finding.")) + "</p>")
    parts.append(f"<h2>{esc(_t(lang, '报告', 'Reports'))}</h2><table class=\"cs-list\">")
    for report in reports:
        status = "" if report.get("status") == "ok" else (
            f" <span class=\"failed\">{esc(_t(lang, '运行失败', 'failed'))}：{esc(report.get('error', ''))}</span>")
        href = report.get("html") or report.get("notebook", "")
        parts.append(f"<tr><td><a href=\"{esc(href)}\">{esc(report['title'])}</a>{status}</td></tr>")
    parts.append("</table>")
    files = []
    printable = manifest.get("printable", {})
    if printable.get("docx"):
        files.append(f"<a href=\"{esc(printable['docx'])}\">{esc(_t(lang, 'Word 版报告', 'Report (Word)'))}</a>")
    if printable.get("pdf"):
        files.append(f"<a href=\"{esc(printable['pdf'])}\">{esc(_t(lang, 'PDF 版报告', 'Report (PDF)'))}</a>")
    files.append(f"<a href=\"tables.xlsx\">{esc(_t(lang, '全部表格（Excel）', 'All tables (Excel)'))}</a>")
    parts.append(f"<h2>{esc(_t(lang, '下载', 'Downloads'))}</h2><p class=\"cs-files\">{''.join(files)}</p>")
    summary = manifest.get("suppression", {}).get("summary", {})
    if p.get("audience") == "public":
        parts.append("<p class=\"cs-meta\">" + esc(_t(
            lang,
            f"公开版：不公布个案清单（{summary.get('tables_withheld', 0)} 张表），不足 {p.get('min_cell')} 件的数字以“<{p.get('min_cell')}”表示"
            f"（{summary.get('cells_suppressed', 0)} 个单元格），法官姓名以代号替代。",
            f"Public edition: {summary.get('tables_withheld', 0)} case lists withheld, "
            f"{summary.get('cells_suppressed', 0)} figures resting on fewer than {p.get('min_cell')} cases "
            "shown as a range, judges pseudonymised.")) + "</p>")
    parts.append("<p class=\"cs-meta\">" + esc(_t(
        lang, f"生成于 {manifest.get('finished', '')[:10]} · courtstudy {manifest.get('package_version', '')}",
        f"Made on {manifest.get('finished', '')[:10]} · courtstudy {manifest.get('package_version', '')}"))
        + " · <a href=\"manifest.json\">manifest.json</a> · <a href=\"edition.log\">edition.log</a></p>")
    parts.append("</main>")
    return _page(edition_title(p), "\n".join(parts), lang)


def reports_index_html(manifests: list[dict[str, Any]], lang: str = "zh") -> str:
    """``reports/index.html``: every edition (newest first) with its title, facts, status and
    headline findings. ``lang``: the language of the page's own words (each edition keeps its)."""
    esc = html.escape
    parts = ["<main>", f"<h1>{esc(_t(lang, '审判质效报告', 'Court performance reports'))}</h1>"]
    if not manifests:
        parts.append("<p>" + esc(_t(lang, "还没有报告。", "No edition yet.")) + "</p>")
    for m in manifests:
        p = m.get("parameters", {})
        facts = edition_facts(m.get("name", ""), p, m.get("as_of"))
        status = "" if m.get("status") == "complete" else (
            f" <span class=\"failed\">{esc(_t(p.get('lang', 'zh'), '有报告运行失败', 'some reports failed'))}</span>")
        audience = _t(p.get("lang", "zh"), "公开版" if p.get("audience") == "public" else "内部版",
                      "public" if p.get("audience") == "public" else "internal")
        parts.append(f"<h2><a href=\"{esc(m.get('name', ''))}/index.html\">{esc(edition_title(p))}</a>{status}</h2>"
                     f"<p class=\"cs-meta\">{esc(facts)} · {esc(audience)}</p>")
        findings = [h for r in m.get("reports", []) for h in r.get("headlines", [])]
        if findings:
            parts.append("<ul class=\"cs-findings\">" + "".join(f"<li>{esc(h)}</li>" for h in findings[:6]) + "</ul>")
    parts.append("</main>")
    return _page(_t(lang, "审判质效报告", "Court performance reports"), "\n".join(parts), lang)
