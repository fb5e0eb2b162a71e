"""Write canonical cases as a real-looking case-management export, optionally with planted problems.

The export imitates what courts' systems produce, so that the loader is exercised on what it will
meet: Chinese headers picked among the recognised variants (承办法院 rather than 法院 ...), dates
in mixed styles per cell (2023-05-06, 2023/5/6, 2023.5.6, 2023年5月6日, 20230506, Excel serial
numbers, and in XLSX real Excel dates), amounts with thousands separators, 元 or 万元 units,
half-width brackets and a missing 号 in some case numbers, category labels in Chinese with their
variant spellings (按撤诉处理, 速裁快审团队 ...), yes/no as 是/否, Y/N or 1/0. Every styled value
reads back to exactly the canonical value (万元 amounts are written with exact decimal
arithmetic), so ``load_cases(write_export(cases))`` returns ``cases``.

With ``bad_row_share > 0`` a reproducible set of rows carries one planted problem each, cycling
through every quarantine reason of :mod:`courtstudy.ingest.loading` (missing_case_id,
missing_filed_date, bad_filed_date, closed_before_filed, duplicate_row, conflicting_duplicate)
and these field-issue reasons: bad_date, bad_amount, bad_integer, negative_value,
unknown_category, bad_yes_no, bad_case_number, appeal_before_closing. Duplicates are *added*
rows (an exact copy, restyled; or an older, less complete snapshot of the case), placed right
after their original. The returned frame lists each planted problem: ``row`` (Excel line
number, header = 1), ``case_id`` (as written, "" when planted missing), ``column`` (the header
written), ``reason``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from courtstudy.core import schema

QUARANTINE_PLANTS: tuple[str, ...] = ("missing_case_id", "missing_filed_date", "bad_filed_date",
                                      "closed_before_filed", "duplicate_row", "conflicting_duplicate")
FIELD_PLANTS: tuple[str, ...] = ("bad_date", "bad_amount", "bad_integer", "negative_value", "unknown_category",
                                 "bad_yes_no", "bad_case_number", "appeal_before_closing")
DATE_STYLES: tuple[str, ...] = ("iso", "slash", "dot", "zh", "compact", "serial", "iso_time")
_DATE_WEIGHTS = np.array([0.35, 0.2, 0.1, 0.15, 0.08, 0.07, 0.05])
_EXCEL_ORIGIN = dt.date(1899, 12, 30)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_FULL_WIDTH_DIGITS = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)} | {",": "，"})
EXPORT_FIELDS: tuple[schema.Field, ...] = schema.CASE_FIELDS


def _pick_headers(kind: str, rng: np.random.Generator) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in EXPORT_FIELDS:
        if kind == "canonical":
            out[f.name] = f.name
            continue
        options = [h for h in f.headers if bool(_CJK.search(h)) == (kind == "zh")] or [f.name]
        out[f.name] = options[int(rng.integers(len(options)))]
    return out


def _date_text(day: dt.date, style: str) -> str:
    if style == "iso":
        return day.isoformat()
    if style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if style == "dot":
        return f"{day.year}.{day.month}.{day.day}"
    if style == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    if style == "compact":
        return day.strftime("%Y%m%d")
    if style == "serial":
        return str((day - _EXCEL_ORIGIN).days)
    if style == "iso_time":
        return f"{day.isoformat()} 00:00:00"
    raise ValueError(f"unknown date style {style!r}; use one of {DATE_STYLES}")


def _style_dates(values: pd.Series, rng: np.random.Generator, date_styles: str, xlsx: bool) -> np.ndarray:
    """Each date cell in a style drawn per cell; XLSX also gets real dates and serial numbers."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    days = [pd.Timestamp(u).date() for u in uniques]
    if date_styles == "mixed":
        styles = list(DATE_STYLES) + (["excel_date", "excel_serial"] if xlsx else [])
        weights = np.concatenate([_DATE_WEIGHTS, [0.3, 0.1]]) if xlsx else _DATE_WEIGHTS
        pick = rng.choice(len(styles), size=len(values), p=weights / weights.sum())
    else:
        styles = [date_styles]
        pick = np.zeros(len(values), dtype=np.int64)
    table = np.empty((len(days) + 1, len(styles)), dtype=object)
    for i, day in enumerate(days):
        for j, style in enumerate(styles):
            if style == "excel_date":
                table[i, j] = dt.datetime(day.year, day.month, day.day)
            elif style == "excel_serial":
                table[i, j] = (day - _EXCEL_ORIGIN).days
            else:
                table[i, j] = _date_text(day, style)
    table[len(days), :] = ""
    return table[np.where(codes < 0, len(days), codes), pick]


def _amount_text(amount: float, style: int) -> str:
    exact = Decimal(repr(amount))
    plain = format(exact.normalize(), "f") if exact == exact.to_integral_value() else repr(amount)
    if style == 1:
        return format(exact, ",f") if exact != exact.to_integral_value() else format(int(exact), ",")
    if style == 2 and exact * 100 == (exact * 100).to_integral_value():
        return format(exact.scaleb(-4).normalize(), "f") + ("万元" if int(exact) % 2 else "万")
    if style == 3:
        return plain + "元"
    if style == 4:
        return plain.translate(_FULL_WIDTH_DIGITS)
    return plain


def _style_amounts(values: pd.Series, rng: np.random.Generator, xlsx: bool) -> np.ndarray:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    n_styles = 6 if xlsx else 5
    pick = rng.choice(n_styles, size=len(values), p=([0.4, 0.2, 0.15, 0.1, 0.05, 0.1] if xlsx
                                                     else [0.45, 0.25, 0.15, 0.1, 0.05]))
    table = np.empty((len(uniques) + 1, n_styles), dtype=object)
    for i, amount in enumerate(uniques):
        for j in range(n_styles):
            table[i, j] = float(amount) if j == 5 else _amount_text(float(amount), j)
    table[len(uniques), :] = ""
    return table[np.where(codes < 0, len(uniques), codes), pick]


def _style_categories(values: pd.Series, vocabulary: str, rng: np.random.Generator) -> np.ndarray:
    out = np.full(len(values), "", dtype=object)
    variant = rng.random(len(values)) < 0.25
    choice = rng.integers(0, 1 << 30, size=len(values))
    arr = values.to_numpy(dtype=object, na_value=None)
    for code, (zh, _en, extras) in schema.VOCABULARIES[vocabulary].items():
        rows = np.flatnonzero(arr == code)
        chinese = [e for e in extras if _CJK.search(e)]
        labels = np.array([zh], dtype=object)
        out[rows] = labels[0]
        if chinese:
            alt = rows[variant[rows]]
            out[alt] = np.array(chinese, dtype=object)[choice[alt] % len(chinese)]
    return out


def _style_yes_no(values: pd.Series, rng: np.random.Generator) -> np.ndarray:
    spellings = np.array([["否", "是"], ["N", "Y"], ["0", "1"]], dtype=object)
    pick = rng.choice(3, size=len(values), p=[0.6, 0.2, 0.2])
    arr = values.to_numpy(dtype=object, na_value=None)
    out = np.full(len(values), "", dtype=object)
    known = np.array([v is not None for v in arr])
    out[known] = spellings[pick[known], np.array([int(bool(v)) for v in arr[known]], dtype=np.int64)]
    return out


def _style_case_ids(values: pd.Series, rng: np.random.Generator) -> np.ndarray:
    arr = values.to_numpy(dtype=object, na_value="")
    half = rng.random(len(arr)) < 0.2
    no_hao = rng.random(len(arr)) < 0.05
    out = arr.copy()
    for i in np.flatnonzero(half | no_hao):
        text = str(arr[i])
        if half[i]:
            text = text.replace("（", "(").replace("）", ")")
        if no_hao[i] and text.endswith("号"):
            text = text[:-1]
        out[i] = text
    return out


def _styled(cases: pd.DataFrame, rng: np.random.Generator, date_styles: str, xlsx: bool) -> dict[str, np.ndarray]:
    cells: dict[str, np.ndarray] = {}
    for f in EXPORT_FIELDS:
        values = cases[f.name]
        if f.name == "case_id":
            cells[f.name] = _style_case_ids(values, rng)
        elif f.dtype == schema.DATE_DTYPE:
            cells[f.name] = _style_dates(values, rng, date_styles, xlsx)
        elif f.dtype == "float64":
            cells[f.name] = _style_amounts(values, rng, xlsx)
        elif f.dtype == "Int64":
            arr = values.to_numpy(dtype=object, na_value=None)
            texts = np.array(["" if v is None else (int(v) if xlsx else str(int(v))) for v in arr], dtype=object)
            if f.name == "n_parties":
                suffix = (rng.random(len(arr)) < 0.1) & np.array([v is not None for v in arr])
                texts[suffix] = [f"{int(v)}人" for v in arr[suffix]]
            cells[f.name] = texts
        elif f.vocabulary == "yes_no":
            cells[f.name] = _style_yes_no(values, rng)
        elif f.vocabulary is not None:
            cells[f.name] = _style_categories(values, f.vocabulary, rng)
        else:
            arr = values.to_numpy(dtype=object, na_value="")
            if f.name == "court":
                padded = rng.random(len(arr)) < 0.05
                arr = arr.copy()
                arr[padded] = [f"{v} " if v else v for v in arr[padded]]
            cells[f.name] = arr
    return cells


def _bad_date_text(day: pd.Timestamp | None, rng: np.random.Generator) -> str:
    year = day.year if day is not None and not pd.isna(day) else 2023
    return [f"{year}-02-30", f"{year}年13月1日", "待补录", f"{year}/00/12"][int(rng.integers(4))]


def _plan(cases: pd.DataFrame, bad_row_share: float, rng: np.random.Generator) -> list[tuple[int, str]]:
    """(position in ``cases``, reason) for each planted problem, every reason at least once."""
    n = len(cases)
    reasons = QUARANTINE_PLANTS + FIELD_PLANTS
    count = max(len(reasons), math.ceil(bad_row_share * n))
    count = min(count, n)
    has_closed = cases["closed_date"].notna().to_numpy()
    order = rng.permutation(n)
    taken = np.zeros(n, dtype=bool)
    plan: list[tuple[int, str]] = []
    for k in range(count):
        reason = reasons[k % len(reasons)]
        needs_closed = reason in ("appeal_before_closing", "conflicting_duplicate")
        eligible = order[~taken[order] & (has_closed[order] if needs_closed else True)]
        if len(eligible) == 0:
            continue
        position = int(eligible[0])
        taken[position] = True
        plan.append((position, reason))
    return plan


def write_export(cases: pd.DataFrame, path: str | Path, *, fmt: str = "csv", encoding: str = "gb18030",
                 headers: str = "zh", date_styles: str = "mixed", bad_row_share: float = 0.0,
                 seed: int = 0) -> pd.DataFrame:
    """Write ``cases`` (canonical) to ``path`` as an export; return the planted problems.

    ``fmt``: "csv" (``encoding``: gb18030, gbk, utf-8, utf-8-sig; a character the encoding cannot
    hold raises ``ValueError`` naming the row and column), "xlsx" or "parquet" (all cells text).
    ``headers``: "zh", "en" or "canonical". ``date_styles``: "mixed" or one of
    :data:`DATE_STYLES`. ``bad_row_share``: share of rows given one planted problem (at least one
    of each reason when positive). Deterministic for a ``seed``.
    """
    if fmt not in ("csv", "xlsx", "parquet"):
        raise ValueError(f"fmt must be 'csv', 'xlsx' or 'parquet', not {fmt!r}")
    if headers not in ("zh", "en", "canonical"):
        raise ValueError(f"headers must be 'zh', 'en' or 'canonical', not {headers!r}")
    if date_styles != "mixed" and date_styles not in DATE_STYLES:
        raise ValueError(f"date_styles must be 'mixed' or one of {DATE_STYLES}, not {date_styles!r}")
    if not 0 <= bad_row_share < 1:
        raise ValueError(f"bad_row_share must be in [0, 1), not {bad_row_share!r}")
    rng = np.random.default_rng(seed)
    canonical = schema.conform_cases(cases)[[f.name for f in EXPORT_FIELDS]].reset_index(drop=True)
    names = _pick_headers(headers, rng)
    plan = _plan(canonical, bad_row_share, rng) if bad_row_share > 0 else []

    # Duplicates are extra rows placed right after their original; work on the expanded frame.
    copies = {pos: reason for pos, reason in plan if reason in ("duplicate_row", "conflicting_duplicate")}
    index = []
    for pos in range(len(canonical)):
        index.append(pos)
        if pos in copies:
            index.append(pos)
    expanded = canonical.iloc[index].reset_index(drop=True)
    is_copy = np.zeros(len(expanded), dtype=bool)
    seen: set[int] = set()
    for i, pos in enumerate(index):
        if pos in seen:
            is_copy[i] = True
        seen.add(pos)
    position_of = {pos: i for i, pos in reversed(list(enumerate(index)))}  # original's expanded position

    planted: list[tuple[int, str, str]] = []  # expanded position, canonical column, reason
    for pos, reason in plan:
        row = position_of[pos]
        if reason == "duplicate_row":
            planted.append((row + 1, "case_id", reason))
        elif reason == "conflicting_duplicate":
            # An older snapshot of the case: still pending, so closing fields are empty.
            for name in ("closed_date", "disposition", "appealed", "appeal_filed_date", "appeal_result",
                         "appeal_closed_date", "retrial_petition"):
                expanded.loc[row + 1, name] = pd.NaT if schema.CASE_DTYPES[name] == schema.DATE_DTYPE else pd.NA
            planted.append((row + 1, "case_id", reason))
        elif reason == "closed_before_filed":
            expanded.loc[row, "closed_date"] = expanded.loc[row, "filed_date"] - pd.Timedelta(days=int(rng.integers(1, 60)))
            planted.append((row, "closed_date", reason))
        elif reason == "appeal_before_closing":
            expanded.loc[row, "appeal_filed_date"] = expanded.loc[row, "closed_date"] - pd.Timedelta(days=int(rng.integers(1, 30)))
            planted.append((row, "appeal_filed_date", reason))
        else:
            planted.append((row, {"missing_case_id": "case_id", "missing_filed_date": "filed_date",
                                  "bad_filed_date": "filed_date", "bad_date": "closed_date",
                                  "bad_amount": "claim_amount", "bad_integer": "n_parties",
                                  "negative_value": "claim_amount", "unknown_category": "procedure",
                                  "bad_yes_no": "appealed", "bad_case_number": "case_id"}[reason], reason))

    cells = _styled(expanded, rng, date_styles, fmt == "xlsx")
    for row, name, reason in planted:
        original = expanded.loc[row]
        if reason in ("missing_case_id", "missing_filed_date"):
            cells[name][row] = ""
        elif reason in ("bad_filed_date", "bad_date"):
            cells[name][row] = _bad_date_text(original[name], rng)
        elif reason == "bad_amount":
            cells[name][row] = ["待定", "约5万", "1,23,4", "十万元"][int(rng.integers(4))]
        elif reason == "bad_integer":
            cells[name][row] = ["2.5", "两人", "多人"][int(rng.integers(3))]
        elif reason == "negative_value":
            amount = original["claim_amount"]
            cells[name][row] = f"-{int(amount) if not pd.isna(amount) and amount >= 1 else 500}"
        elif reason == "unknown_category":
            cells[name][row] = ["不详", "特别程序（待定）", "其他程序X"][int(rng.integers(3))]
        elif reason == "bad_yes_no":
            cells[name][row] = ["不确定", "待定", "?"][int(rng.integers(3))]
        elif reason == "bad_case_number":
            cells[name][row] = re.sub(r"[（）()]", "", str(original["case_id"]))

    frame = pd.DataFrame({names[f.name]: cells[f.name] for f in EXPORT_FIELDS})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        text = frame.to_csv(index=False, lineterminator="\r\n")
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError as exc:
            bad = text[exc.start:exc.end]
            where = frame.apply(lambda c: c.astype(str).str.contains(bad, regex=False)).to_numpy().nonzero()
            row, col = (int(where[0][0]) + 2, frame.columns[where[1][0]]) if len(where[0]) else (None, None)
            raise ValueError(f"{path}: the character {bad!r} (row {row}, column {col!r}) cannot be written "
                             f"in {encoding}; use encoding='gb18030' or 'utf-8-sig'") from exc
        path.write_bytes(data)
    elif fmt == "xlsx":
        _write_xlsx(frame, path)
    else:
        frame.astype(str).to_parquet(path, index=False)

    case_ids = cells["case_id"]
    result = pd.DataFrame({
        "row": np.array([r for r, _, _ in planted], dtype=np.int64) + 2,
        "case_id": [str(case_ids[r]).strip() for r, _, _ in planted],
        "column": [names[c] for _, c, _ in planted],
        "reason": [reason for _, _, reason in planted],
    })
    return result.sort_values(["row", "reason"]).reset_index(drop=True).astype(
        {"case_id": "string", "column": "string", "reason": "string"})


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("案件")
    sheet.append(list(frame.columns))
    columns = [frame[c].to_numpy(dtype=object) for c in frame.columns]
    for i in range(len(frame)):
        row = []
        for col in columns:
            value = col[i]
            if isinstance(value, dt.datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                row.append(cell)
            else:
                row.append(value)
        sheet.append(row)
    workbook.save(path)
