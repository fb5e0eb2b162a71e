"""Category sets the court's rules are written in, once.

The canonical codes and their labels are the vocabularies of :mod:`courtstudy.core.schema`;
this module names the *sets* of codes that indicators, studies and the simulator count
(domain.md section 2). Import them; never spell ``{"modified", "remanded"}`` again (a test scans
the package for literal sets of vocabulary codes outside ``core``).
"""

from __future__ import annotations

from courtstudy.core.schema import VOCABULARIES

#: Every code of each vocabulary, in the dictionary's order.
CASE_TYPES: tuple[str, ...] = tuple(VOCABULARIES["case_type"])
INSTANCES: tuple[str, ...] = tuple(VOCABULARIES["instance"])
PROCEDURES: tuple[str, ...] = tuple(VOCABULARIES["procedure"])
TRACKS: tuple[str, ...] = tuple(VOCABULARIES["track"])
TEAM_TYPES: tuple[str, ...] = tuple(VOCABULARIES["team_type"])
DISPOSITIONS: tuple[str, ...] = tuple(VOCABULARIES["disposition"])
APPEAL_RESULTS: tuple[str, ...] = tuple(VOCABULARIES["appeal_result"])
MEDIATION_RESULTS: tuple[str, ...] = tuple(VOCABULARIES["mediation_result"])

CIVIL = "civil"
FIRST_INSTANCE = "first"
SECOND_INSTANCE = "second"

#: 调解率: closed by mediation.
MEDIATION: frozenset[str] = frozenset({"mediation"})
#: 调撤率: closed by mediation or withdrawal (按撤诉处理 included in withdrawal).
MEDIATION_WITHDRAWAL: frozenset[str] = frozenset({"mediation", "withdrawal"})
#: 发改率: an appeal that modified the judgment or remanded the case (改判、发回重审).
REVERSAL_REMAND: frozenset[str] = frozenset({"modified", "remanded"})
#: 简易程序适用率: first-instance civil cases closed under simplified or small-claims procedure.
SIMPLIFIED_PROCEDURES: frozenset[str] = frozenset({"simplified", "small_claims"})
#: 小额诉讼程序适用率.
SMALL_CLAIMS: frozenset[str] = frozenset({"small_claims"})
#: Dispositions a party can appeal (判决、驳回起诉裁定); small-claims judgments are final even so.
APPEALABLE: frozenset[str] = frozenset({"judgment", "dismissal"})

#: Dispositions that leave something to enforce (执行依据: a judgment or a mediation document).
ENFORCEABLE: frozenset[str] = frozenset({"judgment", "mediation"})
#: 诉前调解: a dispute resolved before filing (an agreement, judicially confirmed or not).
MEDIATION_RESOLVED: frozenset[str] = frozenset({"success", "confirmed"})
#: 司法确认: the agreement was confirmed by the court (a 民特 case).
MEDIATION_CONFIRMED: frozenset[str] = frozenset({"confirmed"})
#: 调解不成功: mediation failed; the dispute is filed as a case (转立案) if the plaintiff goes on.
MEDIATION_FAILED: frozenset[str] = frozenset({"failed"})

#: Kinds of record in one dispute (from the case number's type code,
#: :func:`courtstudy.ingest.case_number.case_kind`), in the order a dispute goes through them.
#: ``mediation`` records are not court cases (no 立案) and are left out of 案-件比's 件.
CASE_KINDS: tuple[str, ...] = ("mediation", "first", "appeal", "retrial_petition", "retrial",
                               "confirmation", "enforcement", "other")
#: 案-件比's 件: the court cases a dispute generates (everything but the mediation record).
COURT_CASE_KINDS: frozenset[str] = frozenset(CASE_KINDS) - {"mediation"}
#: Links that say one record derives from another (原审案号, 执行依据, 诉前调解案号 ...): they
#: must not form a cycle. 关联案号 (``related``) only says "same dispute" and has no direction.
DERIVATION_LINKS: tuple[str, ...] = ("original", "enforcement_basis", "mediation", "confirmation")
LINK_TYPES: tuple[str, ...] = (*DERIVATION_LINKS, "related")

for _name, _codes, _vocabulary in (
        ("MEDIATION", MEDIATION, "disposition"),
        ("MEDIATION_WITHDRAWAL", MEDIATION_WITHDRAWAL, "disposition"),
        ("REVERSAL_REMAND", REVERSAL_REMAND, "appeal_result"),
        ("SIMPLIFIED_PROCEDURES", SIMPLIFIED_PROCEDURES, "procedure"),
        ("SMALL_CLAIMS", SMALL_CLAIMS, "procedure"),
        ("APPEALABLE", APPEALABLE, "disposition"),
        ("ENFORCEABLE", ENFORCEABLE, "disposition"),
        ("MEDIATION_RESOLVED", MEDIATION_RESOLVED, "mediation_result"),
        ("MEDIATION_CONFIRMED", MEDIATION_CONFIRMED, "mediation_result"),
        ("MEDIATION_FAILED", MEDIATION_FAILED, "mediation_result")):
    _unknown = _codes - set(VOCABULARIES[_vocabulary])
    if _unknown:  # a typo here would silently count nothing
        raise ValueError(f"{_name} holds codes {sorted(_unknown)} that are not {_vocabulary} codes")
