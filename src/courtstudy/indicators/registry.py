"""The one indicator catalogue users see: the case indicators and the first diversion's.

Two declarations stay where their formulas live: :data:`courtstudy.indicators.definitions.INDICATORS`
(审判质效, computed from the case export by the Ibis engine) and
:data:`courtstudy.indicators.diversion.DIVERSION_INDICATORS` (诉前调解 and 案-件比, computed from
the mediation register and the links between cases by
:func:`courtstudy.indicators.diversion.diversion_indicators`). This module is the registry both
enter: one name space (names and the zh/en labels, checked unique at import), one order, the
records each indicator is computed from, one catalogue table and the generated
``docs/indicators.md``. :meth:`courtstudy.indicators.engine.IndicatorEngine.compute` takes any of
these names and dispatches each to its computation; ``wide()``, ``compare()``, the report tables'
labels and ``courtstudy indicators`` read the catalogue from here.

Why a registry and a dispatching engine rather than one list of one class: the diversion
indicators are not aggregations of the per-case facts the engine prepares in the backend. They
count other records (mediation) and connected components of a graph of cases (disputes), so
they are computed in pandas from the frames themselves, and their hand-computed fixtures
(``tests/test_diversion_indicators.py``) test exactly that code. Moving their formulas into the
engine's Ibis preparation would rewrite tested formulas for no gain in speed (a court's register
is thousands of rows, not millions); declaring them as engine :class:`Indicator` entries would
give them quantities the engine cannot compute. The registry gives users one catalogue and one
entry point while each computation stays where it is tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from courtstudy.core import text
from courtstudy.core.survival import MIN_HORIZON
from courtstudy.indicators import definitions, diversion
from courtstudy.indicators.definitions import IndicatorIdentity

#: Which catalogue an indicator belongs to: ``cases`` (审判质效) or ``diversion`` (诉前调解, 案-件比).
CATALOGUES: dict[str, tuple[IndicatorIdentity, ...]] = {
    "cases": definitions.INDICATORS,
    "diversion": diversion.DIVERSION_INDICATORS,
}
CATALOGUE_LABELS: dict[str, tuple[str, str]] = {
    "cases": ("审判质效", "Trial quality and efficiency"),
    "diversion": ("诉前调解与案-件比", "Pre-suit mediation and cases per dispute"),
}
#: The input records (besides the period) each kind of indicator needs, in words.
RECORD_LABELS: dict[str, tuple[str, str]] = {
    "cases": ("案件导出", "case export"),
    "mediation": ("诉前调解登记表", "mediation register"),
    "links": ("案件关联（原审案号、执行依据、诉前调解案号）", "case links (原审案号, 执行依据, 诉前调解案号)"),
}

ALL_INDICATORS: tuple[IndicatorIdentity, ...] = tuple(i for group in CATALOGUES.values() for i in group)
BY_NAME: dict[str, IndicatorIdentity] = {i.name: i for i in ALL_INDICATORS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
CATALOGUE_OF: dict[str, str] = {i.name: key for key, group in CATALOGUES.items() for i in group}
DIVERSION_NAMES: tuple[str, ...] = tuple(i.name for i in diversion.DIVERSION_INDICATORS)


def _label_index() -> dict[str, str]:
    """Every name and zh/en label -> the canonical name; a label shared by two indicators would
    make a selection ambiguous, so it is refused here, at import."""
    index: dict[str, str] = {}
    for ind in ALL_INDICATORS:
        for key in dict.fromkeys((ind.name, ind.label_zh, ind.label_en)):
            if index.setdefault(key, ind.name) != ind.name:
                raise ValueError(f"indicator {ind.name}: {key!r} already names {index[key]}")
    return index


if len(BY_NAME) != len(ALL_INDICATORS):
    raise ValueError("two indicators of the catalogues share a name")
_LOOKUP = _label_index()


def records_needed(name: str) -> tuple[str, ...]:
    """The records indicator ``name`` is computed from: ``("cases",)`` for the case catalogue,
    else :attr:`courtstudy.indicators.diversion.DiversionIndicator.records`."""
    ind = BY_NAME[name]
    return tuple(getattr(ind, "records", ("cases",)))


def resolve(names: str | Iterable[str]) -> list[str]:
    """Canonical names of a selection given by name (``pre_suit_resolution_rate``) or label
    (诉前化解率, "Resolved before filing, share of disputes"), in the order given, each once.
    Unknown entries are a ValueError that names them."""
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if str(n).strip() not in _LOOKUP]
    if unknown:
        raise ValueError(f"unknown indicator(s) {unknown}: see courtstudy.indicators.catalogue() "
                         "or `courtstudy indicators --list` for the names and labels")
    return list(dict.fromkeys(_LOOKUP[str(n).strip()] for n in names))


def column_label(name: str, lang: str = "zh") -> str:
    """Display label of an indicator of either catalogue, a group column or a shared column."""
    if name in BY_NAME:
        return BY_NAME[name].label(lang)
    return text.column_label(name, lang)


def records_label(records: Sequence[str], lang: str = "zh") -> str:
    return ("、" if lang == "zh" else ", ").join(text.pick(*RECORD_LABELS[r], lang) for r in records)


def catalogue(lang: str = "zh") -> pd.DataFrame:
    """Both catalogues as one table: the columns of
    :func:`courtstudy.indicators.definitions.catalogue` (name, label, formula, better, kind,
    appeal_based, maturity, inputs, reasonable_range) plus ``catalogue`` (``cases`` or
    ``diversion``) and ``records`` (the records it is computed from, in ``lang``)."""
    cases = definitions.catalogue(lang)
    rows = []
    for ind in diversion.DIVERSION_INDICATORS:
        rule = diversion.MATURITY_RULES.get(ind.maturity or "")
        if ind.maturity is None and "mediation" in ind.records:
            rule = diversion.MATURITY_RULES["mediation_open"]
        rows.append({"name": ind.name, "label": ind.label(lang), "formula": ind.formula,
                     "better": ind.better, "kind": ind.kind, "appeal_based": False,
                     "maturity": text.pick(*rule, lang) if rule else "",
                     "inputs": ", ".join(ind.records), "reasonable_range": ""})
    table = pd.concat([cases, pd.DataFrame(rows, columns=cases.columns)], ignore_index=True)
    table["better"] = table["better"].astype("string")
    table["catalogue"] = [CATALOGUE_OF[n] for n in table["name"]]
    table["records"] = [records_label(records_needed(n), lang) for n in table["name"]]
    return table


def catalogue_markdown() -> str:
    """``docs/indicators.md``: the case catalogue's table, then the first diversion's."""
    zh, en = catalogue("zh"), catalogue("en")
    arrows = {"up": "↑", "down": "↓"}
    lines = [
        "# Indicator catalogue",
        "",
        "Generated from `courtstudy.indicators.registry` (the case catalogue",
        "`courtstudy.indicators.definitions.INDICATORS` and the first diversion's",
        "`courtstudy.indicators.diversion.DIVERSION_INDICATORS`) by `write_catalogue_doc()`; a test",
        "keeps this file equal to the catalogue. Every name below can be asked for from",
        "`IndicatorEngine.compute(indicators=[...])` and `courtstudy indicators --indicators ...`",
        "(by name or by its Chinese or English label). Better: ↑ higher is better, ↓ lower is",
        "better. Maturity: when a figure is flagged immature (not compared year on year);",
        f"survival figures need at least {MIN_HORIZON} days of follow-up. Reasonable",
        "ranges (SPC 合理区间) can be declared per indicator where a published figure is at hand;",
        "none is shipped: the 2024 system's ranges are not in a source this project holds.",
    ]
    sections = {
        "cases": ("## 审判质效: from the case export",
                  "Computed by the engine (DuckDB, Polars or Spark) from the case export alone.",
                  "inputs"),
        "diversion": ("## 诉前调解 and 案-件比: from the mediation register and the case links",
                      "Computed from the records named under *records* (`IndicatorEngine(cases, "
                      "mediation=..., links=..., related_cases=...)`, `courtstudy indicators DATA "
                      "--mediation FILE --links FILE`), as a pandas computation: with cases that "
                      "stay in Spark or a Parquet dataset only the indicators needing the register "
                      "alone can be computed. Grouped by court or cause; 案-件比 groups a dispute by "
                      "the court and cause of its first court case. Definitions: "
                      "`docs/assumptions.md`.", "records"),
    }
    for key, (title, note, inputs) in sections.items():
        lines += ["", title, "", note, "",
                  f"| name | 中文 | English | formula | better | maturity | {inputs} |",
                  "|---|---|---|---|---|---|---|"]
        part = zh["catalogue"] == key
        for (_, a), (_, b) in zip(zh.loc[part].iterrows(), en.loc[part].iterrows(), strict=True):
            cells = [f"`{a['name']}`", a["label"], b["label"], a["formula"],
                     arrows.get(a["better"], "") if pd.notna(a["better"]) else "", b["maturity"],
                     a["inputs"] if key == "cases" else b["records"]]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_catalogue_doc(path=None) -> None:
    """Write :func:`catalogue_markdown` to ``docs/indicators.md`` of the checkout (or ``path``)."""
    from courtstudy.core.paths import PROJECT_ROOT

    target = PROJECT_ROOT / "docs" / "indicators.md" if path is None else path
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(catalogue_markdown())
