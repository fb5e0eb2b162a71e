"""Case numbers (案号): normalisation and parsing into year, court code, type code and sequence.

A case number since the SPC's 2016 rules reads ``（收案年度）法院代字 类型代字 案件编号 号``::

    （2022）蒙0291民初1234号   year 2022, court code 蒙0291, type code 民初, sequence 1234
    （2023）京01民终56号       year 2023, court code 京01,   type code 民终, sequence 56
    （2021）最高法民再7号      year 2021, court code 最高法, type code 民再, sequence 7
    （2020）浙0102执恢12号之一  a derived document keeps its suffix 之一

Normalisation: spaces removed, full-width digits folded to ASCII, brackets ``( ) 〔 〕 [ ] 【 】``
and full-width ones all written as full-width ``（ ）``; a parseable number is rebuilt in canonical
form, so ``(2022)蒙0291民初1234`` (half-width, no 号) becomes ``（2022）蒙0291民初1234号``.
An unparseable number is kept as written (spaces and brackets normalised) and reported.

Case type from the first character of the type code: 民 civil, 刑 criminal, 行 administrative,
执 enforcement (others, e.g. 财保, 司救, 赔, give none). Instance from the type code: 初 first,
终 second, 再/申/监/抗 retrial; enforcement codes (执, 执恢, 执保 ...) and special procedures
(民特, 民督 ...) have no instance.

Kind of record in a dispute (:func:`case_kind`, the kinds of
:data:`courtstudy.core.categories.CASE_KINDS`): a type code holding 诉前 (民诉前调, 诉前调,
民诉前) is a pre-suit mediation record, e.g. （2023）鄂0102民诉前调123号; 执... enforcement;
民特 ... (特) a special procedure, in a dispute the judicial confirmation of a mediation
agreement; 初 first instance; 终 appeal; 申 retrial petition (民申); 再/监/抗 retrial; else other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

_OPEN = "(（〔[【"
_CLOSE = ")）〕]】"
_TRANSLATE = str.maketrans({**{c: "（" for c in _OPEN}, **{c: "）" for c in _CLOSE},
                            **{chr(0xFF10 + i): str(i) for i in range(10)}})
_PATTERN = re.compile(
    r"^（(?P<year>\d{4})）"
    r"(?P<court>最高法|[\u4e00-\u9fff]\d*)"
    r"(?P<type>[\u4e00-\u9fff]{1,4}?)"
    r"(?P<seq>\d+)"
    r"号?"
    r"(?P<suffix>之[一二三四五六七八九十\d]+)?$"
)
YEAR_MIN, YEAR_MAX = 1950, 2100

CASE_TYPE_BY_CHAR: dict[str, str] = {"民": "civil", "刑": "criminal", "行": "administrative", "执": "enforcement"}


@dataclass(frozen=True)
class CaseNumber:
    """The parts of one case number; ``text`` is its canonical spelling."""

    text: str
    year: int
    court_code: str
    type_code: str
    seq: int
    suffix: str = ""

    @property
    def case_type(self) -> str | None:
        return case_type_from_code(self.type_code)

    @property
    def instance(self) -> str | None:
        return instance_from_code(self.type_code)


def normalize_case_number(text: str) -> str:
    """Spaces removed, full-width digits folded, every bracket written as full-width （）."""
    return re.sub(r"\s+", "", str(text)).translate(_TRANSLATE)


def parse_case_number(text: str) -> CaseNumber | None:
    """Parse one case number; None when it does not have the 案号 shape."""
    normalized = normalize_case_number(text)
    match = _PATTERN.match(normalized)
    if match is None:
        return None
    year = int(match["year"])
    if not YEAR_MIN <= year <= YEAR_MAX:
        return None
    suffix = match["suffix"] or ""
    canonical = f"（{match['year']}）{match['court']}{match['type']}{match['seq']}号{suffix}"
    return CaseNumber(canonical, year, match["court"], match["type"], int(match["seq"]), suffix)


def case_type_from_code(type_code: str | None) -> str | None:
    """民 -> civil, 刑 -> criminal, 行 -> administrative, 执 -> enforcement, else None."""
    if not type_code:
        return None
    return CASE_TYPE_BY_CHAR.get(type_code[0])


def instance_from_code(type_code: str | None) -> str | None:
    """初 -> first, 终 -> second, 再/申/监/抗 -> retrial; None for enforcement and other codes."""
    if not type_code or type_code.startswith("执"):
        return None
    if "初" in type_code:
        return "first"
    if "终" in type_code:
        return "second"
    if any(ch in type_code for ch in "再申监抗"):
        return "retrial"
    return None


def is_mediation_code(type_code: str | None) -> bool:
    """True for the type codes of pre-suit mediation records (民诉前调, 诉前调, 民诉前 ...)."""
    return bool(type_code) and "诉前" in type_code


def case_kind(type_code: str | None) -> str | None:
    """The kind of record a type code names in a dispute (module docstring); None when empty."""
    if not type_code:
        return None
    if is_mediation_code(type_code):
        return "mediation"
    if type_code.startswith("执"):
        return "enforcement"
    if "特" in type_code:
        return "confirmation"
    if "初" in type_code:
        return "first"
    if "终" in type_code:
        return "appeal"
    if "申" in type_code:
        return "retrial_petition"
    if any(ch in type_code for ch in "再监抗"):
        return "retrial"
    return "other"


def _normalised_text(text):
    """Case-number text with spaces removed, every bracket full-width and full-width digits
    folded (:func:`normalize_case_number`), applied only to the rows that need it (one scan
    finds them; exports mostly hold canonical numbers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    needs = pc.match_substring_regex(text, r"[\s\x{3000}(〔\[【)〕\]】０-９]")
    if not pc.any(needs).as_py():
        return text
    fixed = pc.filter(text, needs)
    fixed = pc.replace_substring_regex(fixed, r"[\s\x{3000}]+", "")
    for ch, to in (*((c, "（") for c in _OPEN if c != "（"), *((c, "）") for c in _CLOSE if c != "）")):
        if pc.any(pc.match_substring(fixed, ch)).as_py():
            fixed = pc.replace_substring(fixed, ch, to)
    wide = pc.match_substring_regex(fixed, "[０-９]")
    if pc.any(wide).as_py():
        fixed = pa.array([normalize_case_number(t) if w else t
                          for t, w in zip(fixed.to_pylist(), wide.to_pylist(), strict=True)],
                         type=pa.string())
    return pc.replace_with_mask(text, needs, fixed)


#: The 案号 pattern with unnamed groups (year, court, type, sequence, suffix) for pyarrow's RE2.
#: The type code is greedy: it cannot take digits, so this equals the lazy form of
#: :data:`_PATTERN` (leftmost alternation keeps 最高法 whole).
_VECTOR_GROUPS = (
    r"^（(?P<year>\d{4})）(?P<court>最高法|[一-鿿]\d*)(?P<type>[一-鿿]{1,4})(?P<seq>\d+)号?"
    r"(?P<suffix>之[一二三四五六七八九十\d]+)?$"
)


def parse_case_numbers(raw: pd.Series) -> pd.DataFrame:
    """Parse a column of case numbers, vectorised (pyarrow's RE2 regular expressions, one
    extraction per row; normalisation only where a row needs it).

    Returns a frame on ``raw``'s index with ``case_id`` (canonical spelling, or the normalised
    text when unparseable, ``<NA>`` when empty), ``parsed`` (bool), ``case_year``,
    ``court_code``, ``type_code``, ``case_seq``, ``case_type`` and ``instance``: the same results
    as :func:`parse_case_number` row by row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from courtstudy.ingest.normalize import arrow_text, distinct

    text = _normalised_text(arrow_text(raw))
    parts = pc.extract_regex(text, _VECTOR_GROUPS)
    if isinstance(parts, pa.ChunkedArray):
        parts = parts.combine_chunks()
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    matched = parts.is_valid()
    null = pa.scalar(None, pa.string())

    def part(name: str) -> pa.Array:
        return pc.if_else(matched, parts.field(name), null)

    year = pc.cast(part("year"), pa.int64())
    ok_arrow = pc.fill_null(pc.and_(pc.greater_equal(year, YEAR_MIN), pc.less_equal(year, YEAR_MAX)), False)
    ok = ok_arrow.to_numpy(zero_copy_only=False)

    def kept(values: pa.Array) -> pa.Array:
        return pc.if_else(ok_arrow, values, pa.scalar(None, values.type))

    canonical = pc.binary_join_element_wise("（", part("year"), "）", part("court"), part("type"), part("seq"),
                                            "号", pc.fill_null(part("suffix"), ""), "")
    case_id = pc.if_else(ok_arrow, canonical, text)
    case_id = pc.if_else(pc.equal(case_id, ""), null, case_id)
    strings = pd.StringDtype()
    type_code = strings.__from_arrow__(kept(part("type")))
    codes, uniques = distinct(pd.Series(type_code).fillna("\x00"))
    take = pa.array(codes, type=pa.int64())

    def by_code(function) -> pd.api.extensions.ExtensionArray:
        table = pa.array([None if u == "\x00" else function(u) for u in uniques], type=pa.string())
        return strings.__from_arrow__(table.take(take))

    def integers(values: pa.Array) -> pd.api.extensions.ExtensionArray:
        return pd.array(pa.Array.to_pandas(pc.cast(kept(values), pa.int64())), dtype="Int64")

    return pd.DataFrame({
        "case_id": strings.__from_arrow__(case_id),
        "parsed": ok,
        "case_year": pd.array(kept(year).to_pandas(), dtype="Int64"),
        "court_code": strings.__from_arrow__(kept(part("court"))),
        "type_code": type_code,
        "case_seq": integers(part("seq")),
        "case_type": by_code(case_type_from_code),
        "instance": by_code(instance_from_code),
    }, index=raw.index)
