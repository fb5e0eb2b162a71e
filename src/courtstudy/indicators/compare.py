"""Year-on-year and period-on-period comparisons with each indicator's good direction.

``compare(long, kind="yoy")`` pairs every row of a long indicator table with the same group and
indicator in the comparison period (``"yoy"``: the same period a year earlier; ``"pop"``: the
preceding period of the same frequency) found *in the same table*, so compute the table over
both periods first. Added columns:

* ``previous_period``, ``previous_value``, ``change`` = value - previous_value,
  ``change_pct`` = change / |previous_value| (missing when previous_value is 0);
* ``direction``: ``up``, ``down`` or ``flat`` (|change| <= 1e-12);
* ``better``: the catalogue's good direction (``up``/``down``, missing for neutral counts);
* ``good``: True when the indicator moved in its better direction, False when against it,
  missing when flat, neutral, not comparable, or when either period's appeal-based figure is
  immature (domain.md: never silently compare immature with mature periods);
* ``comparable``: both values present and neither immature.

``headline(compared)`` says it in one line, e.g. "5升3降，7项向好、1项变差".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from courtstudy.core.periods import parse_period
from courtstudy.indicators.definitions import GROUP_COLUMNS
from courtstudy.indicators.registry import BY_NAME

_FLAT = 1e-12


def compare(long: pd.DataFrame, kind: str = "yoy",
            better: dict[str, str | None] | None = None) -> pd.DataFrame:
    """The long table with comparison columns (see the module docstring). ``better``: each
    indicator's good direction, by default the catalogue's (both the case indicators and the
    first diversion's: :mod:`courtstudy.indicators.registry`)."""
    if kind not in ("yoy", "pop"):
        raise ValueError(f"kind must be 'yoy' (year on year) or 'pop' (period on period), got {kind!r}")
    by = [c for c in long.columns if c in GROUP_COLUMNS]
    labels = long["period"].astype("string").unique()
    previous = {lab: parse_period(lab).shift(kind).label for lab in labels}
    out = long.copy()
    out["previous_period"] = out["period"].map(previous).astype("string")
    prior = long[[*by, "period", "indicator", "value", "immature"]].rename(
        columns={"period": "previous_period", "value": "previous_value",
                 "immature": "_prev_immature"})
    prior["previous_period"] = prior["previous_period"].astype("string")
    # Missing group values (e.g. no team) are a group of their own: match them explicitly.
    keys = [*by, "previous_period", "indicator"]
    left = out.assign(**{c: out[c].astype("string").fillna("\x1f") for c in by})
    right = prior.assign(**{c: prior[c].astype("string").fillna("\x1f") for c in by})
    merged = left.merge(right, on=keys, how="left", validate="many_to_one")
    for c in by:
        merged[c] = out[c].to_numpy()
    change = merged["value"] - merged["previous_value"]
    merged["change"] = change
    prev_abs = merged["previous_value"].abs()
    merged["change_pct"] = np.where(prev_abs > 0, change / prev_abs.where(prev_abs > 0, 1), np.nan)
    direction = pd.Series(pd.NA, index=merged.index, dtype="string")
    direction[change > _FLAT] = "up"
    direction[change < -_FLAT] = "down"
    direction[change.abs() <= _FLAT] = "flat"
    merged["direction"] = direction
    if better is None:
        better = {n: i.better for n, i in BY_NAME.items()}
    merged["better"] = merged["indicator"].map(better).astype("string")
    comparable = (merged["value"].notna() & merged["previous_value"].notna()
                  & ~merged["immature"].astype(bool)
                  & ~merged["_prev_immature"].fillna(False).astype(bool))
    merged["comparable"] = comparable
    good = pd.Series(pd.NA, index=merged.index, dtype="boolean")
    moved = comparable & merged["better"].notna() & direction.isin(["up", "down"]).fillna(False)
    good[moved] = (direction[moved] == merged["better"][moved]).to_numpy()
    merged["good"] = good
    return merged.drop(columns="_prev_immature")


def headline(compared: pd.DataFrame, lang: str = "zh") -> str:
    """One line for one group and period of a compared table: how many indicators rose and
    fell, and how many of those moves were good or bad (indicators with a better direction and
    a comparable value only)."""
    by = [c for c in compared.columns if c in GROUP_COLUMNS]
    if compared[[*by, "period"]].drop_duplicates().shape[0] > 1:
        raise ValueError("headline() needs the rows of one group and one period: filter first")
    rows = compared[compared["comparable"] & compared["better"].notna()]
    up = int((rows["direction"] == "up").sum())
    down = int((rows["direction"] == "down").sum())
    good = int(rows["good"].fillna(False).sum())
    bad = int((rows["good"] == False).fillna(False).sum())  # noqa: E712 (nullable boolean)
    if lang == "zh":
        return f"{up}升{down}降，{good}项向好、{bad}项变差"
    return f"{up} up, {down} down: {good} improved, {bad} worsened"
