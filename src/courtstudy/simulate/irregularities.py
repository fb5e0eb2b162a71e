"""Planted irregular extensions and deductions (延长、扣除审限异常), with the truth kept.

One court's 审管办 found time-limit extensions and deductions used to dress up durations. This
step plants such irregularities in a synthetic court's closed civil first-instance cases so that
the detector of :mod:`courtstudy.monitoring.extension_audit` can be scored (precision and
recall). It changes only ``extension_days`` and ``suspended_days`` of the cases it picks, and
adds a table of procedure conversions (简易程序转普通程序) that the export does not carry.

Kinds planted (each case gets at most one; ``u`` is a uniform whole number of days 0-4):

* ``extension_not_allowed``: a simplified or small-claims case filed before 2022 (no extension
  allowed) that overran its limit gets ``extension_days = overrun + u``;
* ``extension_over_maximum``: such a case filed from 2022 (at most +1 month) gets its extension
  raised by ``overrun + u`` beyond 31 days;
* ``rescued_by_deduction``: an overrunning case gets ``suspended_days += overrun + u``: it now
  closes ``u`` days before its deducted deadline;
* ``rescued_by_extension``: an overrunning ordinary case (or a 2022+ simplified one) with
  extension room left gets ``extension_days += overrun + u`` within the maximum;
* ``deduction_exceeds_duration``: ``suspended_days = duration + 1..30`` (an impossible record);
* ``padded_deduction`` / ``padded_extension``: a *dressing-up judge* adds 15-60 deducted days,
  or a 30-day extension where allowed, to cases that needed none (visible only in the judge's
  rates: the funnel plot, not a case rule);
* ``late_conversion``: a conversion from simplified to ordinary procedure dated within the
  last 9 days of the simplified limit or up to 10 days after it expired.

Rates: :data:`SCATTERED` of the eligible cases of every judge, and, for the dressing-up judges
(about one court in three, at least one), :data:`JUDGE_RESCUE` of their overruns, their
padding share :data:`JUDGE_PADDING` and late conversions :data:`JUDGE_LATE_CONVERSION`. Legal
conversions are recorded for :data:`CONVERSION_SHARE` of ordinary cases, dated
``7 + 78 * Beta(1, 1.5)`` days after filing: mostly early, a few in the last days of the limit
(the detector's honest false positives).

Draws come from their own random stream (seed, 6), so the rest of the synthetic court is
unchanged and the switch off leaves every frame identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from courtstudy.core import limits
from courtstudy.core.categories import CIVIL, FIRST_INSTANCE, SIMPLIFIED_PROCEDURES

#: Share of eligible cases of every judge given each scattered irregularity.
SCATTERED: dict[str, float] = {"extension_not_allowed": 0.25, "extension_over_maximum": 0.25,
                               "rescued_by_deduction": 0.08, "deduction_exceeds_duration": 0.0005,
                               "late_conversion": 0.01}
#: Share of a dressing-up judge's overruns rescued, of other closed cases padded, and of
#: ordinary cases given a late conversion.
JUDGE_RESCUE = 0.8
JUDGE_PADDING = 0.12
JUDGE_LATE_CONVERSION = 0.15
#: Share of ordinary cases with a (legal) conversion record.
CONVERSION_SHARE = 0.25
#: A judge needs this many closed civil first-instance cases to be picked as dressing up.
MIN_JUDGE_CASES = 150
CASE_KINDS: tuple[str, ...] = ("extension_not_allowed", "extension_over_maximum",
                               "rescued_by_deduction", "rescued_by_extension",
                               "deduction_exceeds_duration", "padded_deduction",
                               "padded_extension", "late_conversion")
_STREAM = 6


@dataclass(frozen=True, eq=False)
class PlantedIrregularities:
    """The planted cases and their truth.

    ``cases``: the cases frame with the planted extension and suspended days. ``conversions``:
    one row per conversion (``case_id``, ``converted_date``, ``from_procedure``,
    ``to_procedure``), legal and planted. ``truth``: one row per planted case (``case_id``,
    ``court``, ``judge``, ``kind``, ``extension_before``, ``extension_after``,
    ``suspended_before``, ``suspended_after``, ``converted_date``). ``judges``: the
    dressing-up judges (``court``, ``judge``, ``style`` "deduction" or "extension")."""

    cases: pd.DataFrame
    conversions: pd.DataFrame
    truth: pd.DataFrame
    judges: pd.DataFrame

    def __repr__(self) -> str:
        counts = self.truth["kind"].value_counts().to_dict()
        return f"PlantedIrregularities({counts}, {len(self.judges)} dressing-up judges)"


def _allowed_extension_days(months: pd.Series) -> pd.Series:
    # Exports record days; a month is at most 31 of them.
    return months.fillna(0) * 31


def plant_irregularities(cases: pd.DataFrame, seed: int, table: pd.DataFrame | None = None
                         ) -> PlantedIrregularities:
    """Plant the irregularities of the module docstring in a copy of ``cases`` (a canonical
    frame of a synthetic court, censored at its as-of date)."""
    from courtstudy.monitoring.deadlines import max_extension_months

    rng = np.random.default_rng(np.random.SeedSequence([int(seed), _STREAM]))
    out = cases.copy()
    civil = ((out["case_type"] == CIVIL) & (out["instance"] == FIRST_INSTANCE)).fillna(False).to_numpy(bool)
    closed = out["closed_date"].notna().to_numpy()
    ext = pd.to_numeric(out["extension_days"], errors="coerce").fillna(0).to_numpy(np.int64)
    susp = pd.to_numeric(out["suspended_days"], errors="coerce").fillna(0).to_numpy(np.int64)
    ext0, susp0 = ext.copy(), susp.copy()
    deadline = limits.deadlines(out, table)
    overrun = (out["closed_date"] - deadline).dt.days.fillna(-1).to_numpy(np.int64)
    duration = (out["closed_date"] - out["filed_date"]).dt.days.fillna(0).to_numpy(np.int64)
    proc = out["procedure"].astype("string").fillna("").to_numpy(object)
    filed_year = out["filed_date"].dt.year.to_numpy()
    max_months = max_extension_months(out, table).to_numpy(float)
    room = _allowed_extension_days(pd.Series(max_months)).to_numpy() - ext
    simple = np.isin(proc, list(SIMPLIFIED_PROCEDURES))
    judge = out["judge"].astype("string").fillna("").to_numpy(object)
    court = out["court"].astype("string").to_numpy(object)
    eligible = civil & closed
    kind = np.full(len(out), "", dtype=object)

    # Dressing-up judges: about one court in three, the judge picked among those with enough
    # closed cases; half pad deductions, half extensions.
    counts = pd.Series(1, index=pd.MultiIndex.from_arrays([court[eligible], judge[eligible]])) \
        .groupby(level=[0, 1]).sum()
    counts = counts[counts >= MIN_JUDGE_CASES]
    courts = sorted(set(counts.index.get_level_values(0)))
    n_pick = max(1, round(len(courts) / 3))
    picked = []
    for k, c in enumerate(sorted(rng.choice(courts, size=min(n_pick, len(courts)), replace=False))):
        names = sorted(counts.loc[c].index)
        picked.append((c, names[int(rng.integers(len(names)))], "deduction" if k % 2 == 0 else "extension"))
    judges = pd.DataFrame(picked, columns=["court", "judge", "style"])
    dressing = np.zeros(len(out), dtype=bool)
    style_of = np.full(len(out), "", dtype=object)
    for c, j, style in picked:
        hit = (court == c) & (judge == j)
        dressing |= hit
        style_of[hit] = style

    u = rng.integers(0, 5, size=len(out))
    draw = rng.random(len(out))
    free = eligible & (kind == "")
    over = free & (overrun > 0)

    # Rescues of overruns (by the law's room or not).
    pre = over & simple & (filed_year < 2022)
    pick = pre & (draw < np.where(dressing, JUDGE_RESCUE, SCATTERED["extension_not_allowed"]))
    ext[pick] = ext[pick] + overrun[pick] + u[pick]
    kind[pick] = "extension_not_allowed"
    post = over & simple & (filed_year >= 2022) & (kind == "")
    pick = post & (draw < np.where(dressing, JUDGE_RESCUE, SCATTERED["extension_over_maximum"])) \
        & (ext + overrun + u > 31)
    ext[pick] = ext[pick] + overrun[pick] + u[pick]
    kind[pick] = "extension_over_maximum"
    rest = over & (kind == "")
    by_extension = rest & dressing & (style_of == "extension") & (room >= overrun + u)
    pick = by_extension & (draw < JUDGE_RESCUE)
    ext[pick] = ext[pick] + overrun[pick] + u[pick]
    kind[pick] = "rescued_by_extension"
    rest = over & (kind == "")
    pick = rest & (draw < np.where(dressing, JUDGE_RESCUE, SCATTERED["rescued_by_deduction"]))
    susp[pick] = susp[pick] + overrun[pick] + u[pick]
    kind[pick] = "rescued_by_deduction"

    # Impossible deductions, anywhere.
    free = eligible & (kind == "") & (overrun <= 0)
    pick = free & (rng.random(len(out)) < SCATTERED["deduction_exceeds_duration"])
    susp[pick] = duration[pick] + rng.integers(1, 31, size=len(out))[pick]
    kind[pick] = "deduction_exceeds_duration"

    # Padding by the dressing-up judges: cases that needed nothing.
    free = eligible & (kind == "") & dressing & (overrun <= 0)
    pad = free & (rng.random(len(out)) < JUDGE_PADDING)
    pick = pad & (style_of == "deduction")
    susp[pick] = susp[pick] + rng.integers(15, 61, size=len(out))[pick]
    kind[pick] = "padded_deduction"
    pick = pad & (style_of == "extension") & (room >= 30)
    ext[pick] = ext[pick] + 30
    kind[pick] = "padded_extension"

    # Conversions from simplified to ordinary: legal ones, and late ones.
    simplified_deadline = limits.deadlines(out.assign(procedure="simplified", extension_days=0,
                                                      suspended_days=0), table)
    ordinary = civil & (proc == "ordinary")
    legal = ordinary & (rng.random(len(out)) < CONVERSION_SHARE)
    # Most legal conversions come early, when the case turns out complex; a few late.
    legal_day = out["filed_date"] + pd.to_timedelta(
        np.floor(7 + 78 * rng.beta(1.0, 1.5, size=len(out))).astype(np.int64), unit="D")
    late_pool = ordinary & closed & (kind == "") & (out["closed_date"] > simplified_deadline).to_numpy()
    late = late_pool & (rng.random(len(out)) < np.where(dressing, JUDGE_LATE_CONVERSION,
                                                        SCATTERED["late_conversion"]))
    late_day = simplified_deadline + pd.to_timedelta(rng.integers(-9, 11, size=len(out)), unit="D")
    kind[late] = "late_conversion"
    converted = pd.Series(pd.NaT, index=out.index, dtype="datetime64[s]")
    converted[legal] = legal_day[legal]
    converted[late] = late_day[late]
    # A conversion cannot precede filing nor follow closing.
    converted = converted.where(converted > out["filed_date"])
    converted = converted.where(out["closed_date"].isna() | (converted <= out["closed_date"]))
    has = converted.notna().to_numpy()
    late &= has
    kind[(kind == "late_conversion") & ~has] = ""
    conversions = pd.DataFrame({"case_id": out.loc[has, "case_id"].to_numpy(),
                                "converted_date": converted[has].to_numpy(),
                                "from_procedure": "simplified", "to_procedure": "ordinary"})

    out["extension_days"] = pd.array(ext, dtype="Int64")
    out["suspended_days"] = pd.array(susp, dtype="Int64")
    planted = kind != ""
    truth = pd.DataFrame({
        "case_id": out.loc[planted, "case_id"].to_numpy(),
        "court": court[planted], "judge": judge[planted], "kind": kind[planted],
        "extension_before": ext0[planted], "extension_after": ext[planted],
        "suspended_before": susp0[planted], "suspended_after": susp[planted],
        "converted_date": converted[planted].to_numpy()})
    return PlantedIrregularities(cases=out, conversions=conversions.reset_index(drop=True),
                                 truth=truth.reset_index(drop=True), judges=judges)


def detection_check(seed: int, scale: float = 1.0, last_days: int | None = None) -> dict:
    """Plant irregularities in the synthetic court of ``seed`` and score the audit of
    :mod:`courtstudy.monitoring.extension_audit` against the truth: a dict with ``rules``,
    ``kinds``, ``judges`` (:func:`~courtstudy.monitoring.extension_audit.evaluate_against_truth`),
    ``seed`` and ``scale``."""
    from courtstudy.monitoring.extension_audit import (
        LAST_DAYS,
        audit_extensions,
        evaluate_against_truth,
    )
    from courtstudy.simulate import simulate_court

    sim = simulate_court(seed=seed, scale=scale, irregularities=True)
    planted = sim.irregularities
    audit = audit_extensions(planted.cases, as_of=sim.as_of, conversions=planted.conversions,
                             last_days=LAST_DAYS if last_days is None else last_days,
                             funnel_levels=("judge",))
    result = evaluate_against_truth(audit, planted.truth, planted.judges)
    return {**result, "seed": seed, "scale": scale}
