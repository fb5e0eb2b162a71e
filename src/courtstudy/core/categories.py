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

for _name, _codes, _vocabulary in (
        ("MEDIATION", MEDIATION, "disposition"),
        ("MEDIATION_WITHDRAWAL", MEDIATION_WITHDRAWAL, "disposition"),
        ("REVERSAL_REMAND", REVERSAL_REMAND, "appeal_result"),
        ("SIMPLIFIED_PROCEDURES", SIMPLIFIED_PROCEDURES, "procedure"),
        ("SMALL_CLAIMS", SMALL_CLAIMS, "procedure"),
        ("APPEALABLE", APPEALABLE, "disposition")):
    _unknown = _codes - set(VOCABULARIES[_vocabulary])
    if _unknown:  # a typo here would silently count nothing
        raise ValueError(f"{_name} holds codes {sorted(_unknown)} that are not {_vocabulary} codes")
