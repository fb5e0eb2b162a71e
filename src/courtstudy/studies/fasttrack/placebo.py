"""Placebo adoption dates: a test that should find nothing.

Only pre-adoption data are used: the panel is cut before the earliest real adoption period
``g_min`` (periods ``t < g_min``), where no court has a team. Each adopting court gets a fake
adoption period ``g - shift``; fake periods after the cut count as never treated inside the window
(true: no court is treated there), and courts whose fake period would be the first period or
earlier are left out (no pre-period). Callaway-Sant'Anna is then run on the window. With no team
in the window, a significant "effect" points to differential trends or anticipation, not to the
teams.

With a dozen courts and two or three of them placebo-treated, the analytic standard errors are too
small and the Wald test rejects a true null 10-17% of the time (docs/fasttrack_montecarlo.md).
:func:`placebo_test` therefore also reports a permutation p-value: the fake adoption dates are
reassigned at random among the window's courts ``permutations`` times (seeded), the
Callaway-Sant'Anna simple ATT t-statistic is recomputed each time
(:func:`~courtstudy.studies.fasttrack.did.simple_att_fast`), and
``p = (1 + #{|t_r| >= |t_obs|}) / (1 + permutations)`` (Fisher randomization inference with a
studentised statistic). The study reads the placebo by this p-value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from courtstudy.studies.fasttrack.did import callaway_santanna, simple_att_fast
from courtstudy.studies.results import EffectResult


def pre_adoption_window(data: pd.DataFrame, *, unit: str = "court", time: str = "t",
                        cohort: str = "cohort") -> tuple[pd.DataFrame, pd.Series, int]:
    """The rows of the panel before the first adoption, courts treated from the panel's start
    left out; each remaining court's cohort (``unit`` -> cohort, 0 = never); and the first
    adoption period (one past the last period when no court adopts)."""
    frame = data
    if "always_treated" in frame.columns:
        frame = frame[~frame["always_treated"].astype(bool)]
    cohorts = frame.drop_duplicates(unit).set_index(unit)[cohort]
    adopted = cohorts[cohorts > 0]
    last = int(frame[time].max()) if len(frame) else -1
    cut = int(adopted.min()) if len(adopted) else last + 1
    return frame[frame[time] < cut], cohorts, cut


def placebo_window(
    data: pd.DataFrame,
    *,
    shift: int,
    unit: str = "court",
    time: str = "t",
    cohort: str = "cohort",
) -> tuple[pd.DataFrame, dict[str, object]]:
    """The pre-adoption window with fake cohorts (column ``cohort`` replaced); and what was done."""
    if shift < 1:
        raise ValueError(f"shift must be at least one period, got {shift}")
    window, real, cut = pre_adoption_window(data, unit=unit, time=time, cohort=cohort)
    adopted = real[real > 0]
    if adopted.empty:
        raise ValueError("placebo: no court adopts within the panel")
    window = window.copy()
    t_first = int(window[time].min()) if not window.empty else cut
    fake = (adopted - shift).astype(int)
    too_early = fake[fake <= t_first].index.tolist()
    fake = fake.where(fake < cut, 0)
    fake_all = real.copy()
    fake_all[:] = 0
    fake_all.loc[fake.index] = fake
    window = window[~window[unit].isin(too_early)]
    window[cohort] = window[unit].map(fake_all).astype("int64")
    if not (window[cohort] > 0).any():
        raise ValueError(
            f"placebo: with a shift of {shift} periods no fake adoption falls in the "
            f"{cut - t_first} pre-adoption periods after the first; use a shift between 1 and "
            f"{max(1, cut - t_first - 1)}")
    info = {"cut": cut, "shift": shift, "n_periods": int(window[time].nunique()),
            "too_early": too_early,
            "fake_cohorts": window.drop_duplicates(unit).set_index(unit)[cohort].to_dict()}
    return window, info


def placebo_test(
    data: pd.DataFrame,
    outcome: str,
    *,
    shift: int,
    unit: str = "court",
    time: str = "t",
    cohort: str = "cohort",
    control_group: str = "notyettreated",
    alpha: float = 0.05,
    time_labels: dict[int, str] | None = None,
    permutations: int = 199,
    seed: int = 0,
) -> EffectResult:
    """Callaway-Sant'Anna on fake adoption dates ``shift`` periods early, pre-adoption data only
    (see the module docstring). Rows carry method ``placebo_callaway_santanna``; diagnostics
    ``permutation_p_value`` (``permutations = 0`` skips it)."""
    window, info = placebo_window(data, shift=shift, unit=unit, time=time, cohort=cohort)
    perm_p = (permutation_p_value(window, outcome, unit=unit, time=time, cohort=cohort,
                                  control_group=control_group, permutations=permutations, seed=seed)
              if permutations else np.nan)
    result = callaway_santanna(window, outcome, unit=unit, time=time, cohort=cohort,
                               control_group=control_group, aggregations=("simple", "dynamic"),
                               alpha=alpha, time_labels=time_labels)
    rows = result.rows.assign(method="placebo_callaway_santanna")
    notes = {
        "zh": [f"安慰剂检验：把组建日期提前{shift}期，只用{info['n_periods']}个真实组建前的期间；"
               f"应当找不到效果。置换检验p={perm_p:.3f}（法院少时比解析p值可靠）。"]
        + result.notes.get("zh", []),
        "en": [f"Placebo: adoption dates moved {shift} periods earlier, using only the "
               f"{info['n_periods']} periods before any real adoption; it should find nothing. "
               f"Permutation p={perm_p:.3f} (more reliable than the analytic p with few courts)."]
        + result.notes.get("en", []),
    }
    return EffectResult(rows, title={"zh": f"安慰剂检验：{outcome}", "en": f"Placebo test: {outcome}"},
                        notes=notes,
                        diagnostics={**result.diagnostics, "placebo": info,
                                     "permutation_p_value": perm_p,
                                     "att_gt": result.diagnostics["att_gt"].assign(
                                         method="placebo_callaway_santanna")},
                        alpha=alpha)


def permutation_p_value(
    window: pd.DataFrame,
    outcome: str,
    *,
    unit: str = "court",
    time: str = "t",
    cohort: str = "cohort",
    control_group: str = "notyettreated",
    permutations: int = 199,
    seed: int = 0,
) -> float:
    """Randomization-inference p-value of the simple ATT t-statistic: the units' adoption
    periods are permuted at random ``permutations`` times (module docstring)."""
    wide = window.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    wide = wide.dropna(axis=1, how="all").dropna(axis=0, how="any")
    cohorts = window.drop_duplicates(unit).set_index(unit).loc[wide.index, cohort].to_numpy(int)
    y = wide.to_numpy(float)
    est, se = simple_att_fast(y, cohorts, control_group=control_group)
    if not (np.isfinite(est) and np.isfinite(se) and se > 0):
        return float("nan")
    t_obs = abs(est / se)
    rng = np.random.default_rng(seed)
    exceed = 0
    done = 0
    for _ in range(permutations):
        e, s = simple_att_fast(y, rng.permutation(cohorts), control_group=control_group)
        if np.isfinite(e) and np.isfinite(s) and s > 0:
            done += 1
            exceed += abs(e / s) >= t_obs - 1e-12
    return float((1 + exceed) / (1 + done))
