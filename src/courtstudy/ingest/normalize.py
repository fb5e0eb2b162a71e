"""Value parsers: raw export text -> canonical values (dates, amounts, counts, yes/no, categories).

Every parser takes a Series of raw *strings* (what the file holds, empty string when empty) and
returns a :class:`Parsed` pair: the canonical values and, per row, the reason code of a problem
(``<NA>`` when the value was fine or simply empty). A bad value never raises and never guesses:
it becomes missing and its reason is reported, so the loader can list it as a field issue.

Parsers are vectorised the way exports need: a column of 10 million rows holds a few thousand
distinct values, so each distinct value is parsed once (Arrow's ``dictionary_encode``, which
is linear) and the results are mapped back with one ``take``.

Conventions (recorded in ``docs/assumptions-loader.md``):

* Missing: empty, whitespace, ``nan``, ``null``, ``none``, ``n/a``, ``-``, ``—``, ``/`` (any
  case). Date fields also treat ``未结``, ``无``, ``暂无`` as missing (a pending case).
* Dates: ``2023-05-06``, ``2023/5/6``, ``2023.5.6``, ``2023年5月6日``, ``20230506``, with an
  optional time part (dropped: canonical dates are days), Excel serial day numbers
  (``45052`` -> 2023-05-06, origin 1899-12-30, accepted between 20000 and 73050, i.e.
  1954-10-03 to 2099-12-31, so that an ordinary number is not silently read as a date), and
  full-width digits. A date outside 1950-2100 is reported as ``bad_date``.
* Amounts in yuan: thousands separators (``1,234.5``, grouping must be by three), ``元`` suffix,
  ``¥``/``￥`` prefix, ``万``/``万元`` (x 10,000) and ``亿``/``亿元`` (x 100,000,000) units,
  full-width digits and commas, scientific notation as Excel writes it (``1.2E+05``). Decimal
  arithmetic, so ``3.5万`` is exactly 35000.0. A negative amount is ``negative_value``.
  An amount that is not finite (``1e400``) or above :data:`AMOUNT_MAX` (10 trillion yuan,
  beyond any claim a basic court hears) is ``out_of_range``.
* Counts: integers, optionally ``3.0`` or with a unit suffix (人, 天, 日, 名, 个); ``2.5`` is
  ``bad_integer``; negative is ``negative_value``; above the field's limit in
  :data:`INTEGER_LIMITS` (days: 36,500, i.e. 100 years; other counts: 1,000,000) is
  ``out_of_range``, so no count overflows a 64-bit integer.
* Yes/no: :data:`courtstudy.core.schema.YES_SPELLINGS` / :data:`~courtstudy.core.schema.NO_SPELLINGS`,
  case-insensitive, full-width folded.
* Categories: the English code, the zh label, the en label or an extra spelling of
  :data:`courtstudy.core.schema.VOCABULARIES`, compared after folding full-width forms, case, spaces,
  ``_`` and ``-``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from courtstudy.core import schema

MISSING_TOKENS: frozenset[str] = frozenset(
    {"", "nan", "nat", "none", "null", "na", "n/a", "#n/a", "-", "--", "—", "——", "/", "\\"}
)
#: Extra spellings of "no date" in date columns (a pending case has no closing date).
DATE_MISSING_TOKENS: frozenset[str] = MISSING_TOKENS | {"未结", "无", "暂无", "未上诉", "未审结"}

EXCEL_ORIGIN = dt.date(1899, 12, 30)
SERIAL_MIN, SERIAL_MAX = 20000, 73050
YEAR_MIN, YEAR_MAX = 1950, 2100

_WHITESPACE = re.compile(r"\s+")
_TIME = r"(?:[ T]*\d{1,2}[:时](?:\d{1,2}[:分]?){0,2}(?:\.\d+)?秒?)?"
_DATE_SEPARATED = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$")
_DATE_ZH = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?" + _TIME + "$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})" + _TIME + "$")
_SERIAL = re.compile(r"^(\d{1,6})(?:\.\d+)?$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_AMOUNT_UNITS: tuple[tuple[str, int], ...] = (("亿元", 10**8), ("亿", 10**8), ("万元", 10**4), ("万", 10**4), ("元", 1))
_COUNT_SUFFIXES = ("人", "天", "日", "名", "个", "位")
#: Largest plausible claim amount in yuan (10 trillion: more than any claim a court hears).
AMOUNT_MAX = 1e13
#: Largest plausible value of each count field; others: :data:`COUNT_MAX`.
INTEGER_LIMITS: dict[str, int] = {"extension_days": 36_500, "suspended_days": 36_500,
                                  "year": 2100, "judges": 100_000}
COUNT_MAX = 1_000_000


class Parsed(NamedTuple):
    """Canonical values and, per row, a problem reason code (``<NA>`` when none)."""

    values: pd.Series
    problems: pd.Series


def fold(text: str) -> str:
    """NFKC-fold (full-width digits, letters, brackets and commas to half-width) and strip."""
    return unicodedata.normalize("NFKC", text).strip()


def is_missing(text: str, tokens: frozenset[str] = MISSING_TOKENS) -> bool:
    """Whether a raw cell means "no value"."""
    return fold(text).casefold() in tokens


def arrow_text(raw: pd.Series) -> pa.ChunkedArray:
    """A column of raw text cells as an Arrow string array, missing cells as "" (no copy when
    the Series is already Arrow-backed)."""
    array = raw.array
    if pd.api.types.is_string_dtype(raw.dtype) and hasattr(array, "__arrow_array__"):
        arrow = array.__arrow_array__()
    else:
        values = raw.to_numpy(dtype=object, na_value=None)
        try:
            arrow = pa.array(values, type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrow = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if not isinstance(arrow, pa.ChunkedArray):
        arrow = pa.chunked_array([arrow], type=arrow.type)
    if arrow.type != pa.string():
        arrow = arrow.cast(pa.string())
    return pc.fill_null(arrow, "") if arrow.null_count else arrow


def text_lengths(raw: pd.Series) -> np.ndarray:
    """Characters (code points) of each text cell, 0 when missing."""
    return pc.utf8_length(arrow_text(raw)).to_numpy(zero_copy_only=False).astype(np.int64)


def distinct(raw: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(code of each row into the distinct values, the distinct values): linear time."""
    arrow = arrow_text(raw)
    if len(arrow) == 0:
        return np.zeros(0, dtype=np.int64), []
    encoded = pc.dictionary_encode(arrow)
    chunks = [c for c in encoded.chunks if len(c)]
    if not chunks:
        return np.zeros(0, dtype=np.int64), []
    dictionary = chunks[-1].dictionary  # the chunks share one growing dictionary
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks]).astype(np.int64)
    return codes, dictionary.to_pylist()


def _apply_unique(raw: pd.Series, parse_one: Callable[[str], tuple[Any, str | None]],
                  dtype: str) -> Parsed:
    """Parse each distinct raw value once and map the results back to the rows."""
    codes, uniques = distinct(raw)
    values: list[Any] = []
    reasons: list[str | None] = []
    for item in uniques:
        value, reason = parse_one(item)
        values.append(value)
        reasons.append(reason)
    index = pd.RangeIndex(len(codes)) if isinstance(raw.index, pd.RangeIndex) else raw.index
    if dtype == schema.DATE_DTYPE:
        array = np.array([np.datetime64("NaT", "s") if v is None else np.datetime64(v, "s") for v in values],
                         dtype="datetime64[s]")
        parsed = pd.Series(array[codes] if len(array) else np.array([], dtype="datetime64[s]"), index=index)
    else:
        parsed = pd.Series(pd.array(values, dtype=dtype).take(codes), index=index)
    if any(r is not None for r in reasons):
        problems = pd.Series(pd.array(reasons, dtype="string").take(codes), index=index)
    else:  # the usual case: nothing to report, no per-row work
        problems = pd.Series(pd.NA, index=index, dtype="string")
    return Parsed(parsed, problems)


# ---------------------------------------------------------------- dates
def parse_date(text: str) -> tuple[dt.date | None, str | None]:
    """One raw cell -> (date, None), (None, None) when empty, or (None, "bad_date")."""
    folded = fold(text)
    if folded.casefold() in DATE_MISSING_TOKENS:
        return None, None
    folded = _WHITESPACE.sub(" ", folded)
    compact = folded.replace(" ", "")
    match = _DATE_SEPARATED.match(folded) or _DATE_ZH.match(compact) or _DATE_COMPACT.match(folded)
    if match:
        year, month, day = (int(g) for g in match.groups()[:3])
        if not YEAR_MIN <= year <= YEAR_MAX:
            return None, "bad_date"
        try:
            return dt.date(year, month, day), None
        except ValueError:
            return None, "bad_date"
    serial = _SERIAL.match(folded)
    if serial and SERIAL_MIN <= int(serial.group(1)) <= SERIAL_MAX:
        # Excel serial day number; a fractional part is the time of day, dropped.
        return EXCEL_ORIGIN + dt.timedelta(days=int(serial.group(1))), None
    return None, "bad_date"


def parse_dates(raw: pd.Series) -> Parsed:
    """Raw date cells -> ``datetime64[s]`` at midnight; problems ``bad_date``."""
    return _apply_unique(raw, parse_date, schema.DATE_DTYPE)


# ---------------------------------------------------------------- numbers
def _decimal(text: str) -> Decimal | None:
    """A plain or thousands-grouped decimal number, else None."""
    if "," in text:
        if not _GROUPED.match(text):
            return None
        text = text.replace(",", "")
    if not _NUMBER.match(text.casefold()):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None  # "inf", "nan": not numbers of a court


def parse_amount(text: str) -> tuple[float | None, str | None]:
    """One raw amount -> (yuan, None), (None, None) when empty, or (None, reason)."""
    folded = fold(text)
    if folded.casefold() in MISSING_TOKENS:
        return None, None
    folded = _WHITESPACE.sub("", folded).lstrip("¥").removeprefix("RMB").removeprefix("rmb")
    unit = 1
    for suffix, multiplier in _AMOUNT_UNITS:
        if folded.endswith(suffix):
            folded, unit = folded[: -len(suffix)], multiplier
            break
    number = _decimal(folded)
    if number is None:
        return None, "bad_amount"
    number *= unit
    if number < 0:
        return None, "negative_value"
    if number > AMOUNT_MAX:
        return None, "out_of_range"
    return float(number), None


_PLAIN_AMOUNT = r"^\s*(?:[0-9]{1,13}|[0-9]{1,3}(?:,[0-9]{3}){1,4})(?:\.[0-9]+)?元?\s*$"
_WAN_AMOUNT = r"^\s*(?P<whole>[0-9]{1,9})(?:\.(?P<four>[0-9]{1,4})(?P<rest>[0-9]*))?万元?\s*$"


def _wan_digits(text: pa.Array) -> pa.Array:
    """``3.5万`` -> ``"35000"``, ``1.23456万`` -> ``"12345.6"``: the decimal point moved four
    places in the text, so the cast to float is as exact as ``float(Decimal(...) * 10000)``."""
    parts = pc.extract_regex(text, _WAN_AMOUNT)
    four = pc.utf8_rpad(pc.fill_null(parts.field("four"), ""), width=4, padding="0")
    rest = pc.fill_null(parts.field("rest"), "")
    point = pc.if_else(pc.greater(pc.utf8_length(rest), 0), ".", "")
    return pc.binary_join_element_wise(parts.field("whole"), four, point, rest, "")


def parse_amounts(raw: pd.Series) -> Parsed:
    """Raw amounts -> ``float64`` yuan; problems ``bad_amount``, ``negative_value``,
    ``out_of_range``.

    Vectorised for the spellings that make up nearly every cell (linear time, correctly
    rounded like ``float(text)``): plain decimals of at most 13 integer digits, with thousands
    separators or a 元 suffix, and ``N万``/``N万元`` (the decimal point moved in the text);
    full-width digits are folded first. Every other spelling goes through :func:`parse_amount`,
    once per distinct value.
    """
    text = arrow_text(raw)
    if pc.any(pc.match_substring_regex(text, "[０-９，．]")).as_py():
        text = pc.utf8_normalize(text, "NFKC")
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    plain_arrow = pc.match_substring_regex(text, _PLAIN_AMOUNT)
    wan_arrow = pc.and_not(pc.match_substring_regex(text, _WAN_AMOUNT), plain_arrow)
    fast_arrow = pc.or_(plain_arrow, wan_arrow)
    fast = fast_arrow.to_numpy(zero_copy_only=False)
    index = pd.RangeIndex(len(fast)) if isinstance(raw.index, pd.RangeIndex) else raw.index
    rest_raw = pd.Series(pd.arrays.ArrowStringArray(pc.if_else(fast_arrow, "", text)), index=index)
    rest = _apply_unique(rest_raw, parse_amount, "Float64")
    values = rest.values.astype("float64")
    plain = plain_arrow.to_numpy(zero_copy_only=False)
    if plain.any():
        digits = pc.replace_substring_regex(pc.filter(text, plain_arrow), r"[,\s元]", "")
        values[plain] = pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False)
    wan = wan_arrow.to_numpy(zero_copy_only=False)
    if wan.any():
        values[wan] = pc.cast(_wan_digits(pc.filter(text, wan_arrow)), pa.float64()).to_numpy(zero_copy_only=False)
    return Parsed(values, rest.problems)


def parse_integer(text: str, maximum: int = COUNT_MAX) -> tuple[int | None, str | None]:
    """One raw count -> (int, None), (None, None) when empty, or (None, reason)."""
    folded = fold(text)
    if folded.casefold() in MISSING_TOKENS:
        return None, None
    folded = _WHITESPACE.sub("", folded)
    for suffix in _COUNT_SUFFIXES:
        folded = folded.removesuffix(suffix)
    number = _decimal(folded)
    if number is None or number != number.to_integral_value():
        return None, "bad_integer"
    if number < 0:
        return None, "negative_value"
    if number > maximum:
        return None, "out_of_range"
    return int(number), None


def parse_integers(raw: pd.Series, maximum: int = COUNT_MAX) -> Parsed:
    """Raw counts -> ``Int64``; problems ``bad_integer``, ``negative_value``, ``out_of_range``."""
    return _apply_unique(raw, lambda text: parse_integer(text, maximum), "Int64")


# ---------------------------------------------------------------- yes / no
_YES = frozenset(fold(s).casefold() for s in schema.YES_SPELLINGS)
_NO = frozenset(fold(s).casefold() for s in schema.NO_SPELLINGS)


def parse_yes_no_value(text: str) -> tuple[bool | None, str | None]:
    """One raw yes/no cell -> (bool, None), (None, None) when empty, or (None, "bad_yes_no")."""
    folded = _WHITESPACE.sub("", fold(text)).casefold()
    if folded in _YES:
        return True, None
    if folded in _NO:
        return False, None
    if folded in MISSING_TOKENS:
        return None, None
    return None, "bad_yes_no"


def parse_yes_no(raw: pd.Series) -> Parsed:
    """Raw yes/no cells -> nullable ``boolean``; problems ``bad_yes_no``."""
    return _apply_unique(raw, parse_yes_no_value, "boolean")


# ---------------------------------------------------------------- categories
def category_key(text: str) -> str:
    """The comparison key of a category spelling: folded, lower case, no spaces, ``_`` or ``-``."""
    return re.sub(r"[\s_\-]+", "", fold(text)).casefold()


def category_lookup(vocabulary: str) -> dict[str, str]:
    """Every recognised spelling (as a :func:`category_key`) -> English code."""
    lookup: dict[str, str] = {}
    for code, (zh, en, extras) in schema.VOCABULARIES[vocabulary].items():
        for spelling in (code, zh, en, *extras):
            lookup.setdefault(category_key(spelling), code)
    return lookup


def parse_category_value(text: str, lookup: dict[str, str]) -> tuple[str | None, str | None]:
    """One raw category cell -> (code, None), (None, None) when empty, or (None, "unknown_category")."""
    if is_missing(text):
        return None, None
    code = lookup.get(category_key(text))
    return (code, None) if code is not None else (None, "unknown_category")


def parse_categories(raw: pd.Series, vocabulary: str) -> Parsed:
    """Raw labels -> English codes of ``schema.VOCABULARIES[vocabulary]``; problems ``unknown_category``."""
    lookup = category_lookup(vocabulary)
    return _apply_unique(raw, lambda text: parse_category_value(text, lookup), "string")


def expected_spellings(vocabulary: str) -> str:
    """A short list of the accepted spellings, for messages."""
    return "、".join(f"{zh}/{code}" for code, (zh, _en, _x) in schema.VOCABULARIES[vocabulary].items())


# ---------------------------------------------------------------- text
def clean_text_value(text: str) -> tuple[str | None, str | None]:
    """Strip spaces (including the ideographic space); missing tokens -> None. Names are not
    NFKC-folded: that could change rare characters of personal names."""
    stripped = text.strip().strip("\u3000").strip()
    if fold(stripped).casefold() in MISSING_TOKENS:
        return None, None
    return stripped, None


def clean_text(raw: pd.Series) -> Parsed:
    """Raw text -> ``string`` with surrounding spaces removed; never a problem."""
    return _apply_unique(raw, clean_text_value, "string")


def parse_field(raw: pd.Series, field: schema.Field) -> Parsed:
    """Dispatch on the canonical field's dtype and vocabulary."""
    if field.dtype == schema.DATE_DTYPE:
        return parse_dates(raw)
    if field.dtype == "float64":
        return parse_amounts(raw)
    if field.dtype == "Int64":
        return parse_integers(raw, INTEGER_LIMITS.get(field.name, COUNT_MAX))
    if field.vocabulary == "yes_no":
        return parse_yes_no(raw)
    if field.vocabulary is not None:
        return parse_categories(raw, field.vocabulary)
    return clean_text(raw)
