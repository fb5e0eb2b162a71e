"""The first diversion as a court hands it over: the mediation register, the cases derived from
the court's cases and the link columns of the case export.

A court's research office gets the pre-suit mediation register (诉前调解登记表) from the
litigation-service centre, not from the case-management export, so it is a file of its own
(``write_mediation_register``). The link columns (原审案号, 执行依据, 诉前调解案号) are columns of
the case export in a real court; the demo keeps its ``cases.csv`` as it is (every committed
notebook number rests on it), so they come as a second export of the same system keyed by 案号
(``write_case_links``: the 关联案件 query most systems offer), and the cases that the court's
cases give rise to elsewhere (appeals at the intermediate court, retrial petitions at the high
court) and its judicial confirmations (民特) as a third (``write_related_cases``, a case export
like ``cases.csv``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from courtstudy.core import schema

#: The headers the demo register uses: recognised aliases (data dictionary), not the canonical
#: labels, as a litigation-service centre's register has them.
REGISTER_HEADERS: dict[str, str] = {
    "mediation_id": "诉前调解案号", "court": "登记法院", "cause": "案由", "claim_amount": "诉讼标的额",
    "received_date": "委派日期", "closed_date": "调解结束日期", "result": "调解结果",
    "confirmation_case_id": "司法确认案号", "filed_case_id": "转立案案号", "mediator": "特邀调解员",
}
#: Problems planted in the demo register (one row each) and the quarantine reason the loader
#: must give.
PLANTED_REASONS: tuple[str, ...] = ("duplicate_row", "missing_received_date", "closed_before_received")


def _amount_text(value: float) -> str:
    if not np.isfinite(value):
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def mediation_register(records: pd.DataFrame, *, date_styles: str = "mixed", seed: int = 0,
                       plant: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records (canonical, :data:`courtstudy.core.schema.MEDIATION_COLUMNS`) as register
    cells: :data:`REGISTER_HEADERS`, results in Chinese, amounts as plain numbers, dates in the
    case export's mixed styles. ``plant=True`` adds one row of each of :data:`PLANTED_REASONS`
    (a repeated row, an empty 委派日期, a closing before receipt). Returns the cells and the
    planted problems (``row`` = line in the file, header = 1; ``mediation_id``, ``column``,
    ``reason``)."""
    from courtstudy.simulate.export import _style_dates

    rng = np.random.default_rng(seed)
    cells: dict[str, np.ndarray] = {}
    for f in schema.MEDIATION_FIELDS:
        column = records[f.name]
        if f.dtype == schema.DATE_DTYPE:
            values = _style_dates(column, rng, date_styles, xlsx=False)
        elif f.name == "claim_amount":
            values = np.array([_amount_text(v) for v in column.to_numpy(dtype="float64")], dtype=object)
        elif f.vocabulary is not None:
            values = column.map(lambda code, v=f.vocabulary: schema.label(v, code), na_action="ignore") \
                .astype("string").fillna("").to_numpy(dtype=object)
        else:
            values = column.astype("string").fillna("").to_numpy(dtype=object)
        cells[REGISTER_HEADERS[f.name]] = values
    frame = pd.DataFrame(cells)
    planted = []
    if plant and len(frame) >= 10:
        # Three distinct closed records, far apart; the duplicate follows its original.
        picks = sorted(rng.choice(np.flatnonzero(records["closed_date"].notna().to_numpy()), size=3, replace=False))
        dup, no_date, backwards = (int(p) for p in picks)
        received, closed = REGISTER_HEADERS["received_date"], REGISTER_HEADERS["closed_date"]
        frame.loc[no_date, received] = ""
        before = records["received_date"].iloc[backwards] - pd.Timedelta(days=int(rng.integers(1, 20)))
        frame.loc[backwards, closed] = before.date().isoformat()
        frame = pd.concat([frame.iloc[:dup + 1], frame.iloc[[dup]], frame.iloc[dup + 1:]], ignore_index=True)
        line = {dup: dup + 3, no_date: no_date + 3, backwards: backwards + 3}  # header + the extra row
        planted = [(line[dup], frame.iloc[dup + 1][REGISTER_HEADERS["mediation_id"]], REGISTER_HEADERS["mediation_id"],
                    "duplicate_row"),
                   (line[no_date], frame.iloc[no_date + 1][REGISTER_HEADERS["mediation_id"]], received,
                    "missing_received_date"),
                   (line[backwards], frame.iloc[backwards + 1][REGISTER_HEADERS["mediation_id"]], closed,
                    "closed_before_received")]
    problems = pd.DataFrame(planted, columns=["row", "mediation_id", "column", "reason"]).astype(
        {"row": "int64", "mediation_id": "string", "column": "string", "reason": "string"})
    return frame, problems


def _write_text_csv(frame: pd.DataFrame, path: str | Path, encoding: str) -> None:
    """An export as a court system writes it: every cell text, ``\\r\\n`` line ends."""
    Path(path).write_bytes(frame.to_csv(index=False, lineterminator="\r\n").encode(encoding))


def write_mediation_register(records: pd.DataFrame, path: str | Path, *, encoding: str = "gb18030",
                             date_styles: str = "mixed", seed: int = 0, plant: bool = False) -> pd.DataFrame:
    """Write :func:`mediation_register` to ``path`` (CSV, GB18030 by default); return the
    planted problems."""
    frame, problems = mediation_register(records, date_styles=date_styles, seed=seed, plant=plant)
    _write_text_csv(frame, path, encoding)
    return problems


def case_link_columns(world) -> pd.DataFrame:
    """案号, 立案日期 and the link columns (原审案号, 执行依据, 诉前调解案号) of every case of a
    :class:`~courtstudy.simulate.mediation.MediationWorld` (the court's cases and the derived
    ones) that names another record; what :func:`courtstudy.ingest.links.load_links` reads."""
    out = world.links_export()
    named = out.drop(columns=["案号", "立案日期"]).ne("").any(axis=1)
    return out.loc[named].reset_index(drop=True)


def write_case_links(world, path: str | Path, *, encoding: str = "gb18030") -> int:
    """Write :func:`case_link_columns` to ``path``; return the number of rows."""
    frame = case_link_columns(world)
    _write_text_csv(frame, path, encoding)
    return len(frame)


def write_related_cases(world, path: str | Path, *, seed: int = 0) -> int:
    """Write the world's derived cases (民终, 民申, 民特) as a case export (Chinese headers, mixed
    date styles, GB18030, no planted problems: :func:`courtstudy.simulate.export.write_export`);
    return the number of rows."""
    from courtstudy.simulate.export import write_export

    write_export(world.derived_cases, path, fmt="csv", encoding="gb18030", headers="zh",
                 date_styles="mixed", bad_row_share=0.0, seed=seed)
    return len(world.derived_cases)
