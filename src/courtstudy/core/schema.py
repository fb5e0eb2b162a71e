"""Canonical case and court records: field names, types, vocabularies and recognised headers.

This module is the contract between the loader, the simulator, the indicators and the studies.
It follows ``shared/data-dictionary.md``; where the dictionary is silent the choice is ours and is
recorded in ``docs/assumptions.md``.

In memory (pandas), a canonical cases frame has exactly the columns of :data:`CASE_COLUMNS`
in that order, with the dtypes of :data:`CASE_DTYPES`:

* text fields and category codes: ``string`` (pandas' nullable string dtype); categories hold the
  English codes of :data:`VOCABULARIES` (``"simplified"``, ``"judgment"``...), never labels;
* dates: ``datetime64[s]`` at midnight, ``NaT`` when missing (``closed_date`` NaT = pending);
* ``claim_amount``: ``float64`` in yuan; counts: nullable ``Int64``;
* yes/no fields: nullable ``boolean``.

Columns derived from the case number (``case_year``, ``court_code``, ``type_code``,
``case_seq``) follow the dictionary's fields.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

DATE_DTYPE = "datetime64[s]"


@dataclass(frozen=True)
class Field:
    """One canonical field: its name, dtype, whether a row is unusable without it, and headers."""

    name: str
    dtype: str
    required: bool
    headers: tuple[str, ...]
    label_zh: str
    label_en: str
    vocabulary: str | None = None


CASE_FIELDS: tuple[Field, ...] = (
    Field("case_id", "string", True, ("案号", "case_id", "case number", "case_no"), "案号", "Case number"),
    Field("court", "string", True, ("经办法院", "法院", "承办法院", "法院名称", "court", "court_name"), "法院", "Court"),
    Field("case_type", "string", False, ("案件类型", "case_type", "case type"), "案件类型", "Case type", "case_type"),
    Field("instance", "string", False, ("审级", "审理阶段", "instance"), "审级", "Instance", "instance"),
    Field("cause", "string", False, ("案由", "cause", "cause_of_action"), "案由", "Cause of action"),
    Field("procedure", "string", False, ("审理程序", "适用程序", "程序", "procedure"), "审理程序", "Procedure", "procedure"),
    Field("track", "string", False, ("繁简分流", "分流结果", "繁简", "track"), "繁简分流", "Track", "track"),
    Field("team", "string", False, ("承办团队", "审判团队", "承办部门", "team"), "承办团队", "Team"),
    Field("team_type", "string", False, ("团队类型", "team_type", "team type"), "团队类型", "Team type", "team_type"),
    Field("judge", "string", False, ("承办人", "承办法官", "主审法官", "judge"), "承办法官", "Judge"),
    Field("filed_date", DATE_DTYPE, True, ("立案日期", "收案日期", "filed_date", "filing date", "filed"), "立案日期", "Filing date"),
    Field("closed_date", DATE_DTYPE, False, ("结案日期", "closed_date", "closing date", "closed"), "结案日期", "Closing date"),
    Field("disposition", "string", False, ("结案方式", "disposition"), "结案方式", "Disposition", "disposition"),
    Field("claim_amount", "float64", False, ("标的额", "诉讼标的额", "标的额（元）", "标的额(元)", "标的金额", "claim_amount", "claim amount"), "标的额（元）", "Claim amount (yuan)"),
    Field("n_parties", "Int64", False, ("当事人数", "当事人人数", "n_parties", "parties"), "当事人数", "Number of parties"),
    Field("extension_days", "Int64", False, ("延长审限天数", "extension_days"), "延长审限天数", "Extension days"),
    Field("suspended_days", "Int64", False, ("扣除审限天数", "suspended_days"), "扣除审限天数", "Suspended days"),
    Field("appealed", "boolean", False, ("是否上诉", "appealed"), "是否上诉", "Appealed", "yes_no"),
    Field("appeal_filed_date", DATE_DTYPE, False, ("上诉日期", "appeal_filed_date"), "上诉日期", "Appeal filing date"),
    Field("appeal_result", "string", False, ("二审结果", "二审结案方式", "appeal_result"), "二审结果", "Appeal result", "appeal_result"),
    Field("appeal_closed_date", DATE_DTYPE, False, ("二审结案日期", "appeal_closed_date"), "二审结案日期", "Appeal closing date"),
    Field("retrial_petition", "boolean", False, ("是否申请再审", "申请再审", "retrial_petition"), "是否申请再审", "Retrial petition", "yes_no"),
)

#: Columns derived from the case number (案号) and kept beside the dictionary's fields.
CASE_NUMBER_FIELDS: tuple[Field, ...] = (
    Field("case_year", "Int64", False, (), "收案年度", "Case year"),
    Field("court_code", "string", False, (), "法院代字", "Court code"),
    Field("type_code", "string", False, (), "类型代字", "Case-type code"),
    Field("case_seq", "Int64", False, (), "案件序号", "Sequence number"),
)

COURT_FIELDS: tuple[Field, ...] = (
    Field("court", "string", True, ("法院", "法院名称", "court"), "法院", "Court"),
    Field("year", "Int64", False, ("年度", "年份", "year"), "年度", "Year"),
    Field("judges", "Int64", False, ("员额法官数", "法官人数", "judges"), "员额法官数", "Judges"),
    Field("triage_start", DATE_DTYPE, False, ("繁简分流实施日期", "triage_start"), "繁简分流实施日期", "Triage start"),
    Field("fast_track_start", DATE_DTYPE, False, ("速裁团队组建日期", "fast_track_start"), "速裁团队组建日期", "Fast-track team start"),
    # Not in the data dictionary: needed to pick the province-year small-claims threshold.
    Field("province", "string", False, ("省份", "省", "province"), "省份", "Province"),
)

#: Pre-suit mediation records (诉前调解): one row per dispute the court registered or delegated to
#: mediation before filing (data dictionary, "Pre-suit mediation records"). The mediation number
#: is parsed like a case number (its type code is 民诉前调, 诉前调 or 民诉前), so the columns of
#: :data:`CASE_NUMBER_FIELDS` follow these.
MEDIATION_FIELDS: tuple[Field, ...] = (
    Field("mediation_id", "string", True, ("诉前调解案号", "调解案号", "诉调案号", "案号", "mediation_id"), "诉前调解案号", "Pre-suit mediation number"),
    Field("court", "string", False, ("法院", "经办法院", "登记法院", "法院名称", "court"), "法院", "Court"),
    Field("cause", "string", False, ("案由", "cause"), "案由", "Cause of action"),
    Field("claim_amount", "float64", False, ("标的额", "诉讼标的额", "标的额（元）", "标的额(元)", "标的金额", "claim_amount"), "标的额（元）", "Claim amount (yuan)"),
    Field("received_date", DATE_DTYPE, True, ("登记日期", "委派日期", "收案日期", "received_date"), "登记日期", "Date received"),
    Field("closed_date", DATE_DTYPE, False, ("结束日期", "调解结束日期", "结案日期", "closed_date"), "调解结束日期", "Date closed"),
    Field("result", "string", False, ("调解结果", "结案方式", "result"), "调解结果", "Result", "mediation_result"),
    Field("confirmation_case_id", "string", False, ("司法确认案号", "confirmation_case_id"), "司法确认案号", "Judicial confirmation case number"),
    Field("filed_case_id", "string", False, ("转立案案号", "立案案号", "filed_case_id"), "转立案案号", "Filed case number"),
    Field("mediator", "string", False, ("调解员", "特邀调解员", "调解组织", "mediator"), "调解员", "Mediator"),
)

#: Links between the cases of one dispute (data dictionary, "Links between cases of one
#: dispute"): extra columns of a case export, read beside ``case_id`` by
#: :func:`courtstudy.ingest.links.load_links` (kept out of :data:`CASE_COLUMNS`, so every
#: canonical cases frame stays as it was).
LINK_FIELDS: tuple[Field, ...] = (
    Field("original_case_id", "string", False, ("原审案号", "一审案号", "original_case_id"), "原审案号", "Original case number"),
    Field("related_case_ids", "string", False, ("关联案号", "related_case_ids"), "关联案号", "Related case numbers"),
    Field("enforcement_basis", "string", False, ("执行依据", "执行依据案号", "执行依据文书", "enforcement_basis"), "执行依据案号", "Enforcement basis"),
    Field("mediation_case_id", "string", False, ("诉前调解案号", "诉调案号", "mediation_case_id"), "诉前调解案号", "Pre-suit mediation number"),
)

CASE_COLUMNS: tuple[str, ...] = tuple(f.name for f in CASE_FIELDS + CASE_NUMBER_FIELDS)
CASE_DTYPES: dict[str, str] = {f.name: f.dtype for f in CASE_FIELDS + CASE_NUMBER_FIELDS}
COURT_COLUMNS: tuple[str, ...] = tuple(f.name for f in COURT_FIELDS)
COURT_DTYPES: dict[str, str] = {f.name: f.dtype for f in COURT_FIELDS}
FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in CASE_FIELDS + CASE_NUMBER_FIELDS}
MEDIATION_COLUMNS: tuple[str, ...] = tuple(f.name for f in MEDIATION_FIELDS + CASE_NUMBER_FIELDS)
MEDIATION_DTYPES: dict[str, str] = {f.name: f.dtype for f in MEDIATION_FIELDS + CASE_NUMBER_FIELDS}
#: A canonical links frame: one row per link, from the case that names it to the case named.
LINK_COLUMNS: tuple[str, ...] = ("case_id", "linked_case_id", "link")

#: Canonical vocabularies: English code -> (zh label, en label, extra raw spellings recognised).
VOCABULARIES: dict[str, dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "case_type": {
        "civil": ("民事", "Civil", ("民", "民事案件")),
        "criminal": ("刑事", "Criminal", ("刑", "刑事案件")),
        "administrative": ("行政", "Administrative", ("行", "行政案件")),
        "enforcement": ("执行", "Enforcement", ("执", "执行案件")),
    },
    "instance": {
        "first": ("一审", "First instance", ("第一审", "初审", "1")),
        "second": ("二审", "Second instance", ("第二审", "终审", "2")),
        "retrial": ("再审", "Retrial", ("审判监督",)),
    },
    "procedure": {
        "ordinary": ("普通程序", "Ordinary", ("普通",)),
        "simplified": ("简易程序", "Simplified", ("简易",)),
        "small_claims": ("小额诉讼程序", "Small claims", ("小额诉讼", "小额", "small claims", "small-claims")),
        "expedited": ("速裁程序", "Expedited", ("速裁",)),
    },
    "track": {
        "simple": ("简案", "Simple", ("简", "简单案件", "简单")),
        "complex": ("繁案", "Complex", ("繁", "复杂案件", "复杂")),
    },
    "team_type": {
        "fast_track": ("速裁团队", "Fast-track team", ("速裁快审团队", "速裁", "快审团队", "fast track", "fast-track")),
        "specialised": ("专业化审判团队", "Specialised team", ("专业化团队", "专业团队", "specialized")),
        "standard": ("普通审判庭", "Standard division", ("审判庭", "普通庭")),
    },
    "disposition": {
        "judgment": ("判决", "Judgment", ("判决结案",)),
        "mediation": ("调解", "Mediation", ("调解结案", "调解书")),
        "withdrawal": ("撤诉", "Withdrawal", ("按撤诉处理", "准予撤诉", "撤回起诉")),
        "dismissal": ("驳回起诉", "Dismissal", ("裁定驳回起诉",)),
        "transfer": ("移送", "Transfer", ("移送管辖", "移送其他法院")),
        "other": ("其他", "Other", ("终结", "终止", "终结诉讼", "终止诉讼", "其它")),
    },
    "appeal_result": {
        "affirmed": ("维持原判", "Affirmed", ("维持", "驳回上诉，维持原判", "驳回上诉,维持原判")),
        "modified": ("改判", "Modified", ("依法改判",)),
        "remanded": ("发回重审", "Remanded", ("发回",)),
        "withdrawn": ("撤回上诉", "Withdrawn", ("按撤回上诉处理", "准许撤回上诉", "撤诉")),
        "mediated": ("调解", "Mediated", ("调解结案",)),
        "other": ("其他", "Other", ("其它",)),
    },
    "mediation_result": {
        "success": ("调解成功", "Settled", ("成功", "达成调解协议", "调解结案", "已调解")),
        "confirmed": ("司法确认", "Judicially confirmed", ("申请司法确认", "已司法确认", "调解成功并司法确认")),
        "withdrawn": ("撤回", "Withdrawn", ("撤回申请", "撤回调解", "当事人撤回", "撤回调解申请")),
        "failed": ("调解不成功", "Failed", ("调解不成", "调解失败", "不成功", "转立案", "调解不成转立案",
                                      "调解不成功转立案", "终结调解")),
    },
}

YES_SPELLINGS: frozenset[str] = frozenset({"是", "有", "y", "yes", "true", "t", "1", "1.0", "√", "已上诉", "上诉"})
NO_SPELLINGS: frozenset[str] = frozenset({"否", "无", "n", "no", "false", "f", "0", "0.0", "×", "未上诉", "不上诉"})


def label(vocabulary: str, code: str, lang: str = "zh") -> str:
    """The zh or en label of a canonical code (the code itself when unknown)."""
    entry = VOCABULARIES[vocabulary].get(code)
    if entry is None:
        return code
    return entry[0] if lang == "zh" else entry[1]


def column_label(name: str, lang: str = "zh") -> str:
    """Display label of a canonical column."""
    field = FIELDS_BY_NAME.get(name) or {f.name: f for f in COURT_FIELDS + MEDIATION_FIELDS + LINK_FIELDS}.get(name)
    if field is None:
        return name
    return field.label_zh if lang == "zh" else field.label_en


def empty_mediation() -> pd.DataFrame:
    """A canonical mediation-records frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=MEDIATION_DTYPES[c]) for c in MEDIATION_COLUMNS})


def empty_cases() -> pd.DataFrame:
    """A canonical cases frame with no rows and the canonical dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=CASE_DTYPES[c]) for c in CASE_COLUMNS})


def conform_cases(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with every canonical column (missing ones empty) in canonical order and dtypes.

    Extra columns are kept after the canonical ones. Raises ``ValueError`` naming the column when
    a value cannot take the canonical dtype.
    """
    out = {}
    for name in CASE_COLUMNS:
        dtype = CASE_DTYPES[name]
        if name in frame.columns:
            try:
                out[name] = frame[name].astype(dtype)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"column {name!r} cannot be read as {dtype}: {exc}") from exc
        else:
            # Each dtype spells "missing" its own way (NA, NaN, NaT); let pandas choose it.
            out[name] = pd.Series(index=frame.index, dtype=dtype)
    extras = [c for c in frame.columns if c not in CASE_DTYPES]
    result = pd.DataFrame(out, index=frame.index)
    for c in extras:
        result[c] = frame[c]
    return result
