"""Display tables: a data frame made into a table a court president reads.

A report table is not a DataFrame repr. :func:`display_table` turns a frame (canonical column
names, raw values) into a :class:`DisplayTable`:

* **headers** in the report's language, with the unit where the values have one: 结案（件）,
  平均审理天数（天）, 标的额（元） / Closed (cases), Mean duration (days) ... (:func:`column_label`);
* **values** formatted by their kind (:data:`KINDS`): counts as integers with thousands
  separators, rates as percentages with two decimals (89.81%, as court bulletins print them),
  changes of a rate in percentage points (+2.10 个百分点 / +2.10 pp), days with one decimal;
* **category values** in the report's language (``simple`` -> 简案, ``civil`` -> 民事 ...;
  :func:`translate_values`), booleans as 是/否 or Yes/No;
* **no index column, no "N rows x M columns", no NaN/<NA>/NaT/None**: a missing value is a dash
  (—) and a note under the table says what a dash means (``missing_note``);
* numbers **right-aligned**, text left-aligned; a **title** above, **notes and the source**
  below;
* **long tables** show their first ``max_rows`` rows and say where the whole table is (the
  sheet of ``tables.xlsx``); the workbook and the CSV always hold every row.

The same :class:`DisplayTable` renders as HTML (great_tables, for the notebook and its HTML
page), as plain text (what nbval compares), as a pandoc pipe table (for the Word and PDF report,
:mod:`courtstudy.report.printable`) and as a dict (kept in the notebook's output metadata, so the
printable report reprints exactly the cells the HTML shows).

Kinds are inferred from the canonical column names (the indicator catalogue's ``kind``:
count/rate/days/ratio; :data:`NAME_KINDS`; integer dtypes are counts) and can be given
explicitly (``kinds={"coverage": "percent"}``); ``row_kinds`` formats columns whose kind changes
by row (a year-on-year panel: one indicator per row).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from courtstudy.core import text as _text

#: Value kinds and what they print as.
KINDS: dict[str, str] = {
    "text": "as is (category codes translated)",
    "count": "integer with thousands separators: 12,345",
    "percent": "a share 0-1 printed as a percentage with two decimals: 89.81%",
    "pp": "a difference of two shares, in percentage points: +2.10 个百分点 / +2.10 pp",
    "days": "days with one decimal: 86.4",
    "ratio": "two decimals: 1.03",
    "index": "two decimals (1 = average): 0.87",
    "amount": "yuan, integer with thousands separators: 54,323",
    "number": "integers with separators, else two decimals",
    "signed": "a change with its sign, in the row's unit: +12, -3.4",
    "date": "ISO date: 2023-12-31",
    "p": "a p-value: three decimals, <0.001 below that",
}
#: The dash that replaces a missing value.
DASH = "—"
#: Kinds that are right-aligned.
NUMERIC_KINDS = frozenset(KINDS) - {"text", "date"}
#: Rows shown by default before a table is cut (the rest is in the workbook).
DEFAULT_MAX_ROWS = 20

#: Display labels (zh, en) of column names that report tables carry beyond the schema's fields,
#: the columns every table shares (:data:`courtstudy.core.text.COLUMN_LABELS`: period,
#: indicator, immature ...) and the indicator catalogue.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "year": ("年度", "Year"), "month": ("月份", "Month"),
    "field": ("字段", "Field"), "cases": ("适用案件", "Cases it applies to"), "filled": ("已填写", "Filled"),
    "coverage": ("填写率", "Coverage"), "reason": ("原因", "Reason"),
    "label": ("隔离原因", "Reason"), "rows": ("行数", "Rows"),
    "share_of_read": ("占读取行比例", "Share of rows read"),
    "column": ("列", "Column"), "values": ("值的个数", "Values"), "row": ("行号", "Line"),
    "value": ("原值", "Value"), "message_zh": ("说明", "Message (zh)"), "message_en": ("说明（英文）", "Message"),
    "filed_index": ("新收指数", "Filing index"), "closed_index": ("结案指数", "Closing index"),
    "years": ("平均年数", "Years averaged"), "indicator_label": ("指标", "Indicator"), "current": ("本期", "This period"),
    "previous_value": ("去年同期", "A year earlier"), "change": ("增减", "Change"),
    "direction": ("方向", "Direction"), "verdict": ("评价", "Verdict"),
    "age_days": ("未结天数", "Days pending"), "item": ("项目", "Item"), "count": ("数量", "Count"),
}
#: Kinds of columns by canonical name (beyond the indicator catalogue).
NAME_KINDS: dict[str, str] = {
    "coverage": "percent", "share_of_read": "percent", "filed_index": "index",
    "closed_index": "index", "cases": "count", "filled": "count", "rows": "count",
    "values": "count", "years": "count", "row": "text", "year": "text", "month": "text",
    "claim_amount": "amount", "age_days": "count", "count": "count", "extension_days": "count",
    "suspended_days": "count", "n_parties": "count",
    # every p-value prints one way (three decimals, <0.001): a count-like "0" beside "0.00" was
    # what a p-value of 0 looked like as a plain number
    "p_value": "p", "pretrend_p": "p", "randomization_p": "p",
}
#: Units appended to a header, by kind (zh, en).
UNITS: dict[str, tuple[str, str]] = {
    "count": _text.UNITS["cases"], "days": _text.UNITS["days"], "amount": ("元", "yuan"),
}
#: Columns never given a unit (their label says what they count).
NO_UNIT: frozenset[str] = frozenset({"rows", "values", "years", "row", "count", "n_parties",
                                     "extension_days", "suspended_days", "age_days",
                                     "adopting_courts", "non_adopting_courts"})
#: Suffix of year-earlier columns (``closed_previous``) and the labels it becomes.
PREVIOUS_SUFFIX = "_previous"
_PREVIOUS_LABEL = ("（去年同期）", " (a year earlier)")
#: Row kinds of an indicator's change column: a rate changes in percentage points.
_CHANGE_KIND = {"rate": "pp", "count": "signed", "days": "signed", "ratio": "signed"}


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _indicator_kinds() -> dict[str, str]:
    from courtstudy.indicators.registry import ALL_INDICATORS

    mapping = {"rate": "percent", "count": "count", "days": "days", "ratio": "ratio"}
    return {i.name: mapping.get(i.kind, "number") for i in ALL_INDICATORS}


# ----------------------------------------------------------------------------------- labels
def column_label(name: Any, lang: str = "zh", kind: str | None = None) -> str:
    """Header of column ``name`` in ``lang``, with the unit of ``kind`` (件/天/元) unless the
    label already ends with a bracketed unit. Unknown names are returned as given."""
    from courtstudy.core import schema, text
    from courtstudy.indicators.registry import BY_NAME

    if not isinstance(name, str):
        return str(name)
    base, suffix = name, ""
    if name.endswith(PREVIOUS_SUFFIX) and name.removesuffix(PREVIOUS_SUFFIX) in BY_NAME:
        base, suffix = name.removesuffix(PREVIOUS_SUFFIX), _t(lang, *_PREVIOUS_LABEL)
    if base in COLUMN_LABELS:
        label = _t(lang, *COLUMN_LABELS[base])
    elif base in text.COLUMN_LABELS:
        label = text.column_label(base, lang)
    elif base in schema.FIELDS_BY_NAME:
        label = schema.column_label(base, lang)
    elif base in BY_NAME:
        label = BY_NAME[base].label(lang)
    else:
        return name
    if kind in UNITS and base not in NO_UNIT and not label.endswith((")", "）")):
        unit = UNITS[kind]
        label = f"{label}（{unit[0]}）" if lang == "zh" else f"{label} ({unit[1]})"
    return label + suffix


def translate_values(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Category codes in ``lang``: columns named like a schema vocabulary (``track``,
    ``procedure``, ``case_type`` ...), ``field`` (canonical field names), ``indicator``
    (catalogue names) and quarantine ``reason`` codes; booleans as 是/否 (Yes/No). Other
    columns are left alone. Returns a copy."""
    from courtstudy.core import schema
    from courtstudy.indicators.registry import BY_NAME

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            yes, no = _t(lang, "是", "Yes"), _t(lang, "否", "No")
            out[column] = series.map(lambda v, y=yes, n=no: v if pd.isna(v) else (y if v else n)).astype(object)
            continue
        if not (pd.api.types.is_string_dtype(series.dtype) or series.dtype == object):
            continue
        if column in schema.VOCABULARIES:
            vocabulary = column
            out[column] = series.map(lambda v, voc=vocabulary: v if pd.isna(v) else schema.label(voc, str(v), lang))
        elif column in ("field", "column"):
            out[column] = series.map(lambda v: v if pd.isna(v) else schema.column_label(str(v), lang))
        elif column == "indicator":
            out[column] = series.map(lambda v: BY_NAME[v].label(lang) if v in BY_NAME else v)
        elif column == "reason":
            from courtstudy.ingest.quality import reason_label

            out[column] = series.map(lambda v: v if pd.isna(v) else reason_label(str(v), lang))
    return out


def labelled(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``frame`` (canonical column names and codes) for people who open the file: category
    values and booleans in ``lang`` (:func:`translate_values`) and every known column named in
    ``lang`` (:func:`column_label`, without units; unknown columns keep their names). Values
    stay unformatted (a rate is still 0.8981), so the file can be computed with. Returns a
    copy."""
    from courtstudy.core.text import check_lang

    check_lang(lang)
    out = translate_values(frame, lang)
    out.columns = [column_label(str(c), lang) for c in out.columns]
    return out


def label_headers(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``frame`` with every known canonical column named in ``lang`` (:func:`column_label`) and
    the values untouched: for tables whose values are already labelled but whose key columns
    (``court``, ``team``, ``indicator_label`` ...) kept their canonical names."""
    out = frame.copy()
    out.columns = [column_label(str(c), lang) for c in out.columns]
    return out


# ----------------------------------------------------------------------------------- formats
def infer_kinds(frame: pd.DataFrame, kinds: Mapping[str, str] | None = None) -> dict[str, str]:
    """The kind of every column: ``kinds`` first, then :data:`NAME_KINDS`, the indicator
    catalogue (also for ``<indicator>_previous``), then the dtype (integers are counts, other
    numbers ``number``, datetimes ``date``, the rest ``text``)."""
    given = dict(kinds or {})
    unknown = {k: v for k, v in given.items() if v not in KINDS and v != "row"}
    if unknown:
        raise ValueError(f"unknown table kinds {unknown}; use one of {', '.join(KINDS)}")
    catalogue = _indicator_kinds()
    out: dict[str, str] = {}
    for column in frame.columns:
        name = str(column)
        base = name.removesuffix(PREVIOUS_SUFFIX)
        dtype = frame[column].dtype
        if name in given:
            out[name] = given[name]
        elif name in NAME_KINDS:
            out[name] = NAME_KINDS[name]
        elif base in catalogue:
            out[name] = catalogue[base]
        elif pd.api.types.is_bool_dtype(dtype):
            out[name] = "text"
        elif pd.api.types.is_integer_dtype(dtype):
            out[name] = "count"
        elif pd.api.types.is_numeric_dtype(dtype):
            out[name] = "number"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            out[name] = "date"
        else:
            out[name] = "text"
    return out


def is_missing(value: Any) -> bool:
    """NaN, None, pd.NA, NaT and empty strings."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(float(value))
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_value(value: Any, kind: str, lang: str = "zh") -> str:
    """``value`` printed as ``kind`` (:data:`KINDS`); a missing value becomes :data:`DASH`;
    text that is not a number (the public edition's ``<10`` marker) is kept as it is."""
    if is_missing(value):
        return DASH
    if kind == "date":
        try:
            return pd.Timestamp(value).date().isoformat()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float | np.floating) and kind == "text" and float(value).is_integer():
        return str(int(value))  # a month or year that went through a float column
    if kind == "text" or isinstance(value, str | bool | np.bool_):
        return str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if kind in ("count", "amount"):
        return f"{x:,.0f}"
    if kind == "percent":
        return f"{100 * x:.2f}%"
    if kind == "pp":
        return f"{100 * x:+.2f} 个百分点" if lang == "zh" else f"{100 * x:+.2f} pp"
    if kind == "days":
        return f"{x:,.1f}"
    if kind == "p":
        return "<0.001" if x < 0.001 else f"{x:.3f}"
    if kind in ("ratio", "index"):
        return f"{x:,.2f}"
    if kind == "signed":
        if x == round(x):
            return f"{x:+,.0f}"
        return f"{x:+,.2f}" if abs(x) < 1 else f"{x:+,.1f}"
    # number
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    return f"{x:,.2f}"


def round_for_file(value: Any, kind: str) -> Any:
    """A value as written to CSV/XLSX: counts as integers, shares to 4 decimals (0.01
    percentage point), days to 1 decimal, ratios and indices to 3; text stays text."""
    if is_missing(value):
        return None
    if isinstance(value, str) or kind in ("text", "date"):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return value
    if kind in ("count", "amount"):
        return int(round(x))
    if kind in ("percent", "pp"):
        return round(x, 4)
    if kind in ("days", "signed"):
        return round(x, 1) if x != round(x) else int(round(x))
    if kind in ("ratio", "index"):
        return round(x, 3)
    if kind == "p":
        return float(f"{x:.4g}")  # 3.2e-05 stays 3.2e-05, not 0
    return int(x) if x == round(x) and abs(x) < 1e15 else round(x, 4)


# ----------------------------------------------------------------------------------- the table
_GT_CLASS = re.compile(r' class="gt_[^"]*"')


@dataclass
class DisplayTable:
    """A table ready for readers. ``columns``: display headers; ``kinds``: one per column;
    ``cells``: the formatted rows shown (strings, no missing value left); ``total_rows``: rows
    of the whole table (``len(cells)`` when nothing was cut); ``notes``: lines under the table
    (what a dash means, where the rest of a long table is, the source)."""

    name: str
    title: str
    columns: list[str]
    kinds: list[str]
    cells: list[list[str]]
    total_rows: int
    notes: list[str] = field(default_factory=list)
    lang: str = "zh"

    @property
    def truncated(self) -> bool:
        return self.total_rows > len(self.cells)

    @property
    def aligns(self) -> list[str]:
        return ["right" if k in NUMERIC_KINDS else "left" for k in self.kinds]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> DisplayTable:
        return cls(**{k: payload[k] for k in ("name", "title", "columns", "kinds", "cells", "total_rows")},
                   notes=list(payload.get("notes", [])), lang=payload.get("lang", "zh"))

    # --- renderers ---------------------------------------------------------------------
    def html(self) -> str:
        """HTML by great_tables: title, headers, right-aligned numbers, notes as source notes;
        the CSS is inlined into the elements (no style sheet of class names). A column and its year-earlier twin (结案（件）,
        结案（件）（去年同期）) share a spanner over 本期 / 去年同期, so a wide comparison
        table fits the page; numbers, dates and short text never wrap inside a cell; wide
        tables scroll inside their box rather than run off the page."""
        from great_tables import GT, loc, style

        ids = [f"c{i}" for i in range(len(self.columns))]
        frame = pd.DataFrame(self.cells, columns=ids)
        # an id from the name's digest: unique per table, and no identifier on the page
        table_id = "t" + hashlib.sha1(self.name.encode("utf-8")).hexdigest()[:10]
        gt = GT(frame, id=table_id)
        if self.title:
            gt = gt.tab_header(title=self.title)
        labels = dict(zip(ids, _unique(self.columns), strict=True))
        for first, second, spanner in _year_pairs(self.columns, self.lang):
            gt = gt.tab_spanner(label=spanner, columns=[ids[first], ids[second]], id=f"s{first}")
            labels[ids[first]] = _t(self.lang, "本期", "This period")
            labels[ids[second]] = _t(self.lang, "去年同期", "A year earlier")
        gt = gt.cols_label(cases=labels)
        right = [c for c, a in zip(ids, self.aligns, strict=True) if a == "right"]
        left = [c for c in ids if c not in right]
        if right:
            gt = gt.cols_align("right", columns=right)
        if left:
            gt = gt.cols_align("left", columns=left)
        # text up to a case number's length (（2019）示0191民初141号) stays on one line; in a table
        # of more than 8 columns only text up to 8 Chinese characters does, so the table fits
        limit = 24 if len(self.columns) <= 8 else 16
        short = [c for j, c in enumerate(ids)
                 if self.aligns[j] == "right" or max((_width(row[j]) for row in self.cells), default=0) <= limit]
        if short:
            gt = gt.tab_style(style=style.css("white-space: nowrap"), locations=loc.body(columns=short))
        long = [c for c in ids if c not in short]  # long text wraps, but not into a sliver
        if long:
            gt = gt.tab_style(style=style.css("min-width: 7em"), locations=loc.body(columns=long))
        short_labels = [c for c in ids if _width(labels[c]) <= 12]  # 承办法官 is not cut into 承办法/官
        if short_labels:
            gt = gt.tab_style(style=style.css("white-space: nowrap"), locations=loc.column_labels(columns=short_labels))
        for note in self.notes:
            gt = gt.tab_source_note(note)
        wide = len(self.columns) > 8
        gt = gt.tab_options(
            table_font_size="12px" if wide else "13px", heading_title_font_size="15px",
            heading_align="left", container_overflow_x="auto", table_margin_left="0",
            column_labels_font_weight="bold", source_notes_font_size="11px",
            table_font_names=["Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "sans-serif"],
            data_row_padding="3px",
        )
        # CSS inlined into the elements: a report page carries no <style> block of generated
        # class names and ids, and a table pasted into Word or an e-mail keeps its look; the
        # classes have nothing left to style once inlined
        return _GT_CLASS.sub("", gt.as_raw_html(inline_css=True))

    def text(self) -> str:
        """Plain text: the title, an aligned grid and the notes (``text/plain`` output)."""
        headers = _unique(self.columns)
        rows = [headers, *self.cells]
        widths = [max(_width(r[i]) for r in rows) for i in range(len(headers))]

        def line(row: Sequence[str]) -> str:
            parts = []
            for value, width, align in zip(row, widths, self.aligns, strict=True):
                pad = " " * (width - _width(value))
                parts.append(pad + value if align == "right" else value + pad)
            return "  ".join(parts).rstrip()

        out = [self.title] if self.title else []
        out += [line(headers), "  ".join("-" * w for w in widths)]
        out += [line(r) for r in self.cells]
        out += self.notes
        return "\n".join(out)

    def markdown(self) -> str:
        """A pandoc pipe table with its caption (``: title``) and the notes as a paragraph
        below, for the printable report."""
        def esc(text: str) -> str:
            return str(text).replace("|", "\\|").replace("\n", " ")

        header = "| " + " | ".join(esc(c) for c in self.columns) + " |"
        body = ["| " + " | ".join(esc(c) for c in row) + " |" for row in self.cells]
        if max(len(line) for line in [header, *body]) > 72:
            # a wide table takes the text width and pandoc sizes its columns by the dashes of
            # this row: dashes in proportion to each column's longest line (+ the cell padding),
            # so a long 说明 column gets room and a 行号 column is not squeezed
            longest = [max([_width(h) // 2 + 1, *(_width(row[j]) for row in self.cells)])
                       for j, h in enumerate(self.columns)]
            dashes = [min(60, n) + 4 for n in longest]
        else:  # a narrow table keeps its natural width (short separator lines)
            dashes = [3] * len(self.columns)
        rule = "|" + "|".join(("-" * d + ":") if a == "right" else (":" + "-" * d)
                              for d, a in zip(dashes, self.aligns, strict=True)) + "|"
        out = "\n".join([header, rule, *body])
        if self.title:
            out += f"\n\n: {esc(self.title)}"
        if self.notes:
            out += "\n\n" + "\\\n".join(_md_escape(n) for n in self.notes)
        return out


def _year_pairs(columns: Sequence[str], lang: str) -> list[tuple[int, int, str]]:
    """(position, position of its year-earlier twin, spanner label) of each adjacent pair
    ``X``, ``X（去年同期）`` in display headers."""
    suffix = _PREVIOUS_LABEL[0] if lang == "zh" else _PREVIOUS_LABEL[1]
    return [(i, i + 1, columns[i]) for i in range(len(columns) - 1)
            if columns[i + 1] == columns[i] + suffix]


def _md_escape(text: str) -> str:
    return re.sub(r"([\\*_`#<>\[\]])", r"\\\1", text)


def _width(text: str) -> int:
    """Display width: CJK and full-width characters count two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name} ({n + 1})")
    return out


def missing_note(lang: str = "zh", why: str = "") -> str:
    """The footnote explaining a dash: ``why`` when given, else "no data or not applicable"."""
    if why:
        return _t(lang, f"“—”：{why}。", f"“—”: {why}.")
    return _t(lang, "“—”表示无数据或不适用。", "“—”: no data or not applicable.")


def prepare_for_file(frame: pd.DataFrame, kinds: Mapping[str, str],
                     row_kinds: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """The frame as written to CSV/XLSX: values rounded by kind (:func:`round_for_file`);
    count columns without a fraction stay integers (``Int64``), so the CSV shows ``12`` not
    ``12.0``. ``row_kinds``: column -> the kind of each row."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        name = str(column)
        per_row = (row_kinds or {}).get(name)
        values = frame[column].tolist()
        kinds_of = list(per_row) if per_row is not None else [kinds.get(name, "text")] * len(values)
        rounded = [round_for_file(v, k) for v, k in zip(values, kinds_of, strict=True)]
        series = pd.Series(rounded, index=frame.index, dtype=object)
        if all(isinstance(v, int | type(None)) and not isinstance(v, bool) for v in rounded) and any(
                v is not None for v in rounded):
            series = series.astype("Int64")
        elif all(isinstance(v, int | float | type(None)) and not isinstance(v, bool) for v in rounded) \
                and any(v is not None for v in rounded):
            series = pd.to_numeric(series).astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
            series = frame[column].dt.strftime("%Y-%m-%d").astype(object).where(frame[column].notna(), None)
        out[column] = series
    return out


def display_table(frame: pd.DataFrame, *, name: str, title: str = "", lang: str = "zh",
                  kinds: Mapping[str, str] | None = None,
                  row_kinds: Mapping[str, Sequence[str]] | None = None,
                  labels: Mapping[str, str] | None = None, notes: Sequence[str] = (),
                  why_missing: str = "", max_rows: int = DEFAULT_MAX_ROWS,
                  where_rest: str = "", source: str = "") -> DisplayTable:
    """Build the :class:`DisplayTable` of ``frame`` (canonical column names, raw values).

    ``kinds``: column -> kind (:data:`KINDS`), completing :func:`infer_kinds`; ``row_kinds``:
    column -> one kind per row; ``labels``: headers for columns the label tables do not know
    (else :func:`column_label`); ``notes``: lines printed under the table; ``why_missing``:
    what a dash means in this table (a default note is added whenever a dash is shown);
    ``max_rows``: rows shown (the rest is announced with ``where_rest``, e.g. the workbook sheet);
    ``source``: the source line. A named index becomes ordinary columns; an unnamed one is dropped."""
    if any(n is not None for n in frame.index.names):
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    all_kinds = infer_kinds(frame, kinds)
    headers = [(labels or {}).get(str(c)) or column_label(str(c), lang, all_kinds[str(c)]) for c in frame.columns]
    column_kinds = [all_kinds[str(c)] for c in frame.columns]
    shown = frame.head(max(0, int(max_rows)))
    cells: list[list[str]] = []
    dash = False
    for position, (_, row) in enumerate(shown.iterrows()):
        out_row = []
        for column, kind in zip(frame.columns, column_kinds, strict=True):
            per_row = (row_kinds or {}).get(str(column))
            cell_kind = per_row[position] if per_row is not None else kind
            text = format_value(row[column], cell_kind, lang)
            dash |= text == DASH
            out_row.append(text)
        cells.append(out_row)
    for column, per_row in (row_kinds or {}).items():
        if column in all_kinds and per_row is not None:
            numeric = [k for k in per_row if k in NUMERIC_KINDS]
            if numeric:
                column_kinds[list(map(str, frame.columns)).index(column)] = numeric[0]
    out_notes = list(notes)
    if frame.empty:  # a table of headers alone reads as a rendering fault: say it is empty
        out_notes.insert(0, _t(lang, "本表无符合条件的记录。", "Nothing meets the table's condition."))
    if dash:
        out_notes.append(missing_note(lang, why_missing))
    markers = sorted({c for row in cells for c in row if re.fullmatch(r"<\d+", c)})
    if markers:
        out_notes.append(_t(lang, f"“{markers[0]}”：不足 {markers[0][1:]} 件，公开版不予公布。",
                            f"“{markers[0]}”: fewer than {markers[0][1:]} cases, not published."))
    if len(frame) > len(cells):
        rest = f"，{where_rest}" if where_rest and lang == "zh" else (f"; {where_rest}" if where_rest else "")
        out_notes.append(_t(lang, f"仅列出前 {len(cells):,} 行（共 {len(frame):,} 行）{rest}。",
                            f"The first {len(cells):,} of {len(frame):,} rows{rest}."))
    if source:
        out_notes.append(source)
    return DisplayTable(name=name, title=title, columns=headers, kinds=column_kinds, cells=cells,
                        total_rows=len(frame), notes=out_notes, lang=lang)

