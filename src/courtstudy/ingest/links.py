"""Links between the records of one dispute, and the disputes they make (for 案-件比).

A dispute goes through several records: the pre-suit mediation record (诉前调), the first
instance (民初), the appeal (民终), a retrial petition or retrial (民申, 民再), the judicial
confirmation of a mediation agreement (民特) and enforcement (执, 执恢 ...). Case exports say
so in the columns of :data:`courtstudy.core.schema.LINK_FIELDS` (原审案号, 关联案号, 执行依据,
诉前调解案号); mediation registers say so in 转立案案号 and 司法确认案号.

``load_links(path)`` reads those columns of a case export (the same file
:func:`courtstudy.ingest.loading.load_cases` reads; any case-number-shaped text in a cell is a
link, so 执行依据 "（2022）蒙0291民初12号民事判决书" and 关联案号 lists separated by 、 ; , or spaces
work) and returns one row per link: ``case_id`` (the case whose row names the link),
``linked_case_id`` (the case named), ``link`` (:data:`courtstudy.core.categories.LINK_TYPES`),
``row`` (the line of the export) and ``in_data`` (the case named is among the records given).

Validation (every link is kept, reported, or both):

* field issues, link kept: ``unknown_linked_case`` (the case named is not in the cases or
  mediation records given: it may sit in another court's export; the link still joins the
  dispute, and only records in the data are counted), ``link_order`` (a derived case filed
  before the case it derives from; a mediation record's date is its date received);
* field issues, link dropped: ``bad_linked_number`` (a non-empty cell with no case number in
  it), ``self_link`` (a case naming itself), ``link_without_case`` (a row whose own case number
  is missing or unreadable);
* refused: ``link_cycle``. Derivation links (every link but 关联案号) point from a later record
  to an earlier one, so they cannot form a cycle; the links of a cycle are all refused (none
  of them can be told to be the wrong one), listed in ``refused`` with the cycle's cases, and
  left out of the disputes.

``disputes(cases, links, mediation)`` groups the records into disputes (connected components of
the links, including cases named but not in the data, so two appeals naming the same missing
first instance are one dispute) and names each dispute by its origin record (the earliest
record; on a tie the earlier kind in :data:`courtstudy.core.categories.CASE_KINDS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from courtstudy.core import categories, schema
from courtstudy.ingest import csvscan
from courtstudy.ingest import loading as ld
from courtstudy.ingest.case_number import case_kind, parse_case_number, parse_case_numbers

LINK_MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_linked_case": ("“{column}”中的案号“{value}”不在数据中（可能在其他法院的导出里）；关联保留，未计入件数",
                            "'{column}' names '{value}', which is not in the data (it may be in another court's "
                            "export); the link is kept, the case is not counted"),
    "link_order": ("“{column}”中的案号“{value}”立案晚于本案（{detail}），关联保留",
                   "'{column}' names '{value}', filed after this case ({detail}); the link is kept"),
    "self_link": ("“{column}”中的案号“{value}”就是本案，该关联不用", "'{column}' names the case itself ('{value}'); not used"),
    "link_without_case": ("本行案号缺失或无法识别，“{column}”中的关联“{value}”无法使用",
                          "the row's own case number is missing or unreadable; the link in '{column}' ('{value}') "
                          "cannot be used"),
    "link_cycle": ("关联构成循环（{detail}），循环中的关联均不使用，请核对原审案号/执行依据",
                   "the links form a cycle ({detail}); none of the cycle's links is used: check 原审案号/执行依据"),
}
ld.MESSAGES.update(LINK_MESSAGES)
#: A case number inside free text (执行依据 documents, 关联案号 lists).
_NUMBER_IN_TEXT = re.compile(r"[(（〔\[【]\s*[0-9０-９]{4}\s*[)）〕\]】]\s*(?:最高法|[\u4e00-\u9fff][0-9０-９]*)\s*"
                             r"[\u4e00-\u9fff]{1,4}?\s*[0-9０-９]+\s*号?(?:之[一二三四五六七八九十\d]+)?")
#: link field -> link type
LINK_TYPE_OF_FIELD: dict[str, str] = {"original_case_id": "original", "related_case_ids": "related",
                                      "enforcement_basis": "enforcement_basis", "mediation_case_id": "mediation"}
_FIELDS = (schema.CASE_FIELDS[0], *schema.LINK_FIELDS)


@dataclass
class LoadedLinks:
    """Links of a case export: ``links`` (accepted, one row per link), ``refused`` (links of
    cycles) and ``field_issues``; issue tables have the loader's columns."""

    links: pd.DataFrame
    refused: pd.DataFrame
    field_issues: pd.DataFrame
    source: Path | str
    rows_read: int
    columns: dict[str, str] = field(default_factory=dict)

    def accounting(self) -> dict:
        return {"rows_read": self.rows_read, "links": len(self.links), "refused": len(self.refused),
                "links_to_cases_not_in_data": int((~self.links["in_data"]).sum()) if len(self.links) else 0,
                "field_issues_by_reason": {str(k): int(v) for k, v in
                                           self.field_issues["reason"].value_counts().sort_index().items()}}


def numbers_in_text(text: str) -> list[str]:
    """Canonical case numbers found in a cell (empty when none)."""
    found = []
    for match in _NUMBER_IN_TEXT.finditer(str(text)):
        number = parse_case_number(match.group(0))
        if number is not None:
            found.append(number.text)
    return found


def empty_links() -> pd.DataFrame:
    return pd.DataFrame({"case_id": pd.Series(dtype="string"), "linked_case_id": pd.Series(dtype="string"),
                         "link": pd.Series(dtype="string"), "row": pd.Series(dtype="int64"),
                         "in_data": pd.Series(dtype="bool")})


def mediation_links(mediation: pd.DataFrame) -> pd.DataFrame:
    """Links stated by mediation records: the filed case (转立案案号) and the 民特 case
    (司法确认案号) derive from the mediation record."""
    parts = []
    for column, link in (("filed_case_id", "mediation"), ("confirmation_case_id", "confirmation")):
        if column in mediation:
            have = mediation[column].notna() & mediation["mediation_id"].notna()
            parts.append(pd.DataFrame({"case_id": mediation.loc[have, column].astype("string"),
                                       "linked_case_id": mediation.loc[have, "mediation_id"].astype("string"),
                                       "link": link, "row": -1}))
    if not parts:
        return empty_links().drop(columns="in_data")
    return pd.concat(parts, ignore_index=True)


def load_links(path: str | Path | pd.DataFrame, mapping: dict[str, str] | None = None,
               cases: pd.DataFrame | None = None, mediation: pd.DataFrame | None = None,
               max_lines_per_row: int = csvscan.MAX_RECORD_LINES) -> LoadedLinks:
    """Read the link columns of a case export and validate the links (module docstring).

    ``cases`` (canonical cases, e.g. ``load_cases(path).cases``) and ``mediation`` (canonical
    mediation records): the records in the data; the mediation records' own links are added.
    Without ``cases`` every link's ``in_data`` is judged against the export's own case numbers.
    """
    source = "<DataFrame>" if isinstance(path, pd.DataFrame) else Path(path)
    table = ld.read_table(path, {**ld.header_lookup(_FIELDS), **ld._mapping_keys(mapping)}, kind="cases",
                          max_lines=max_lines_per_row)
    positions, _unmapped, _ignored = ld.resolve_columns(table, _FIELDS, mapping, source, required=("case_id",))
    headers = {name: table.headers[i] for name, i in positions.items()}
    f_log = ld.IssueLog(table, headers, positions["case_id"])
    numbers = parse_case_numbers(table.data[positions["case_id"]])
    own = numbers["case_id"].where(numbers["parsed"])
    rows: list[tuple[int, str, str, str]] = []  # position, case, linked, field
    own_values = own.to_numpy(dtype=object, na_value=None)  # one conversion, not one .iloc per cell
    for name in LINK_TYPE_OF_FIELD:
        if name not in positions:
            continue
        raw = table.data[positions[name]]
        filled = np.flatnonzero(raw.str.strip().ne("").fillna(False).to_numpy(dtype=bool))
        # Most cells hold one number: parsed in one vectorised pass; the rest are searched.
        whole = parse_case_numbers(raw.iloc[filled])
        single = dict(zip(filled[whole["parsed"].to_numpy(dtype=bool)],
                          whole.loc[whole["parsed"], "case_id"], strict=True))
        bad, selfish, orphan = [], [], []
        cells = raw.to_numpy(dtype=object, na_value=None)
        for p in filled:
            found = [single[p]] if p in single else numbers_in_text(cells[p])
            if not found:
                bad.append(p)
                continue
            mine = own_values[p]
            if mine is None:
                orphan.append(p)
                continue
            for linked in dict.fromkeys(found):
                if linked == mine:
                    selfish.append(p)
                else:
                    rows.append((int(p), mine, linked, name))
        f_log.add(np.array(bad, dtype=np.int64), "bad_linked_number", name)
        f_log.add(np.array(selfish, dtype=np.int64), "self_link", name)
        f_log.add(np.array(orphan, dtype=np.int64), "link_without_case", name)
    links = pd.DataFrame(rows, columns=["position", "case_id", "linked_case_id", "field"])
    links["row"] = table.lines[links["position"].to_numpy(dtype=np.int64)] if len(links) else np.array([], np.int64)
    links["link"] = links["field"].map(LINK_TYPE_OF_FIELD)
    if mediation is not None and len(mediation):
        extra = mediation_links(mediation)
        extra["position"], extra["field"] = -1, extra["link"].map({"mediation": "filed_case_id",
                                                                    "confirmation": "confirmation_case_id"})
        links = pd.concat([links, extra], ignore_index=True)
    links = links.drop_duplicates(["case_id", "linked_case_id", "link"]).reset_index(drop=True)

    refused_mask = _cycle_links(links)
    known = set(own.dropna()) if cases is None else set(cases["case_id"].dropna())
    if mediation is not None:
        known |= set(mediation["mediation_id"].dropna())
    # object dtype: pandas' hash-table isin (the Arrow string path converts the set item by item)
    links["in_data"] = links["linked_case_id"].astype(object).isin(known)
    from_export = links["position"].to_numpy() >= 0
    unknown = from_export & ~links["in_data"].to_numpy(dtype=bool) & ~refused_mask
    _add_link_issues(f_log, links, unknown, "unknown_linked_case", headers)

    if cases is not None and len(links):
        filed = pd.Series(cases["filed_date"].to_numpy(), index=cases["case_id"].astype(object))
        if mediation is not None and len(mediation):
            filed = pd.concat([filed, pd.Series(mediation["received_date"].to_numpy(),
                                                index=mediation["mediation_id"].astype(object))])
        filed = filed[~filed.index.duplicated()]
        mine = links["case_id"].map(filed)
        theirs = links["linked_case_id"].map(filed)
        derivation = links["link"].ne("related").to_numpy()
        later = ((theirs > mine).fillna(False).to_numpy(dtype=bool)) & derivation & from_export & ~refused_mask
        _add_link_issues(f_log, links, later, "link_order", headers,
                         detail=ld._fmt_date(mine[later]) if later.any() else "")

    r_log = ld.IssueLog(table, headers, positions["case_id"])
    if refused_mask.any():
        cyc = links.loc[refused_mask]
        members = "→".join(dict.fromkeys([*cyc["case_id"], *cyc["linked_case_id"]]))
        for p, fld, value in zip(cyc["position"], cyc["field"], cyc["linked_case_id"], strict=True):
            r_log.add(np.array([max(int(p), 0)], dtype=np.int64), "link_cycle", fld,
                      values=np.array([value], dtype=object), detail=members)
    accepted = links.loc[~refused_mask, ["case_id", "linked_case_id", "link", "row", "in_data"]].reset_index(drop=True)
    accepted = accepted.astype({"case_id": "string", "linked_case_id": "string", "link": "string",
                                "row": "int64", "in_data": "bool"})
    return LoadedLinks(accepted, ld._finish_issues(r_log.frame()), ld._finish_issues(f_log.frame()), source,
                       len(table.data), headers)


def _add_link_issues(f_log: ld.IssueLog, links: pd.DataFrame, mask: np.ndarray, reason: str,
                     headers: dict[str, str], detail="") -> None:
    for name in LINK_TYPE_OF_FIELD:
        where = mask & links["field"].eq(name).to_numpy()
        if where.any():
            d = detail if isinstance(detail, str) else np.asarray(detail, dtype=object)[where[mask]]
            f_log.add(links.loc[where, "position"].to_numpy(dtype=np.int64), reason, name,
                      values=links.loc[where, "linked_case_id"].to_numpy(dtype=object), detail=d)


def _cycle_links(links: pd.DataFrame) -> np.ndarray:
    """True for the derivation links inside a cycle (a strongly connected component of two or
    more records of the directed graph case -> the case it derives from)."""
    if len(links) == 0:
        return np.zeros(0, dtype=bool)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    derivation = links["link"].ne("related").to_numpy()
    codes, ids = pd.factorize(pd.concat([links["case_id"], links["linked_case_id"]], ignore_index=True))
    a, b = codes[: len(links)], codes[len(links):]
    graph = coo_matrix((np.ones(int(derivation.sum())), (a[derivation], b[derivation])), shape=(len(ids), len(ids)))
    _n, label = connected_components(graph, directed=True, connection="strong")
    size = np.bincount(label)
    return derivation & (label[a] == label[b]) & (size[label[a]] > 1)


def record_table(cases: pd.DataFrame, mediation: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cases and mediation records as one table of records: ``record_id``, ``kind``
    (:data:`courtstudy.core.categories.CASE_KINDS`), ``court``, ``cause``, ``date`` (filing
    date, or date received for a mediation record)."""
    kinds = cases["type_code"].map(case_kind, na_action="ignore").fillna("other")
    parts = [pd.DataFrame({"record_id": cases["case_id"].astype("string"), "kind": kinds.astype("string"),
                           "court": cases["court"].astype("string"), "cause": cases["cause"].astype("string"),
                           "date": cases["filed_date"]})]
    if mediation is not None and len(mediation):
        parts.append(pd.DataFrame({"record_id": mediation["mediation_id"].astype("string"), "kind": "mediation",
                                   "court": mediation["court"].astype("string"),
                                   "cause": mediation["cause"].astype("string"), "date": mediation["received_date"]}))
    out = pd.concat(parts, ignore_index=True)
    out["kind"] = out["kind"].astype("string")
    return out.drop_duplicates("record_id").reset_index(drop=True)


def disputes(cases: pd.DataFrame, links: pd.DataFrame, mediation: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each record with its dispute: the columns of :func:`record_table` plus ``dispute_id``
    (the origin record's id), ``origin_kind``, ``origin_date``, ``origin_court`` and
    ``origin_cause``. Links are taken as undirected here (a dispute is a connected component);
    refused links must already be out of ``links`` (:func:`load_links` does it)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    records = record_table(cases, mediation)
    ids = pd.Index(pd.unique(pd.concat([records["record_id"], links["case_id"], links["linked_case_id"]],
                                       ignore_index=True).dropna()))
    a = ids.get_indexer(links["case_id"])
    b = ids.get_indexer(links["linked_case_id"])
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(ids), len(ids)))
    _n, component = connected_components(graph, directed=False)
    records["component"] = component[ids.get_indexer(records["record_id"])]
    order = {k: i for i, k in enumerate(categories.CASE_KINDS)}
    ranked = records.assign(_kind=records["kind"].map(order).astype("int64"))
    ranked = ranked.sort_values(["component", "date", "_kind", "record_id"], kind="stable", na_position="last")
    origin = ranked.drop_duplicates("component").set_index("component")
    records["dispute_id"] = records["component"].map(origin["record_id"]).astype("string")
    for column in ("kind", "date", "court", "cause"):
        records[f"origin_{column}"] = records["component"].map(origin[column])
    records["origin_kind"] = records["origin_kind"].astype("string")
    records["origin_court"] = records["origin_court"].astype("string")
    records["origin_cause"] = records["origin_cause"].astype("string")
    return records.drop(columns="component")
