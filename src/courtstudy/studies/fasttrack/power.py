"""Minimum detectable effect (MDE) of the staggered design on the user's own panel, by simulation.

A null result means little unless the study could have seen an effect of a size that matters.
Procedure (seeded): take the pre-adoption window of the real panel (periods before the earliest
real adoption, where no court has a team) so the noise, serial correlation and cross-court
differences are the data's own; in each of ``reps`` replications draw fake adoption periods for as
many courts as really adopted (uniform over the window's second third to last period, so every
fake cohort has pre-periods), and estimate the Callaway-Sant'Anna simple ATT and its standard error
with :func:`~courtstudy.studies.fasttrack.did.simple_att_fast`.

Injecting a constant effect ``delta`` into every treated cell moves each ATT(g, t), and hence the
simple aggregate, by exactly ``delta`` and leaves the influence function (so the standard error)
unchanged (tested against re-estimation). So the power at ``delta`` is

    power(delta) = mean_r 1{ |theta_r + delta| / se_r > z_(1 - alpha/2) }

and the MDE is the smallest ``|delta|`` with ``power >= target`` (default 80% at 5%), found by
bisection, in each direction. ``power(0)`` is the empirical size of the test (5% if the standard
errors are right; more with few courts). The window is shorter than the full panel, so the MDE is
conservative for the full study.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from courtstudy.studies.fasttrack.did import simple_att_fast
from courtstudy.studies.fasttrack.panel import outcome_label
from courtstudy.studies.fasttrack.placebo import pre_adoption_window


@dataclass
class PowerResult:
    outcome: str
    mde_positive: float
    mde_negative: float
    size: float
    reps: int
    alpha: float
    target_power: float
    n_courts: int
    n_treated: int
    n_periods: int
    placebo_draws: pd.DataFrame
    power_curve: pd.DataFrame
    seed: int

    @property
    def mde(self) -> float:
        """The larger of the two directions' MDE magnitudes (conservative)."""
        return float(max(abs(self.mde_positive), abs(self.mde_negative)))

    def power_at(self, delta: float) -> float:
        return _power(self.placebo_draws["estimate"].to_numpy(), self.placebo_draws["std_error"].to_numpy(),
                      delta, self.alpha)

    def summary(self, lang: str = "zh", digits: int = 3) -> str:
        level = int(round(self.target_power * 100))
        a = int(round(self.alpha * 100))
        name = outcome_label(self.outcome, lang)
        up, down = abs(self.mde_positive), abs(self.mde_negative)
        if lang == "zh":
            return (f"{name}：以本面板结构（{self.n_courts}个法院、{self.n_treated}个组建、"
                    f"事前窗口{self.n_periods}期）模拟{self.reps}次，在{a}%显著性水平下以{level}%把握"
                    f"能发现的最小效果约为±{self.mde:.{digits}f}（增加方向{up:.{digits}f}，"
                    f"减少方向{down:.{digits}f}）；效果为0时检验的实际拒绝率为{self.size:.1%}。"
                    f"小于此幅度的真实效果很可能得到“不显著”的结果，不显著不等于没有效果。")
        return (f"{name}: simulating {self.reps} placebo adoptions on this panel's structure "
                f"({self.n_courts} courts, {self.n_treated} adopting, {self.n_periods}-period "
                f"pre-adoption window), the smallest effect found with {level}% power at the "
                f"{a}% level is about ±{self.mde:.{digits}f} (increase {up:.{digits}f}, "
                f"decrease {down:.{digits}f}); the test rejects {self.size:.1%} of the "
                f"time when there is no effect. Real effects smaller than this would likely come out "
                f"'not significant': no significance is not evidence of no effect.")


def _power(est: np.ndarray, se: np.ndarray, delta: float, alpha: float) -> float:
    z = stats.norm.ppf(1 - alpha / 2)
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    return float(np.mean(np.abs(est[ok] + delta) / se[ok] > z))


def _solve(est: np.ndarray, se: np.ndarray, sign: float, alpha: float, target: float) -> float:
    scale = float(np.nanmedian(se[np.isfinite(se)])) or 1.0
    hi = scale
    while _power(est, se, sign * hi, alpha) < target:
        hi *= 2
        if hi > 1e6 * scale:
            return float("nan")
    lo = 0.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _power(est, se, sign * mid, alpha) >= target:
            hi = mid
        else:
            lo = mid
    return sign * hi


def placebo_draws(
    data: pd.DataFrame,
    outcome: str,
    *,
    reps: int = 500,
    seed: int = 0,
    unit: str = "court",
    time: str = "t",
    cohort: str = "cohort",
    control_group: str = "notyettreated",
    n_treated: int | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Simple-ATT estimate and standard error for ``reps`` random fake adoptions in the
    pre-adoption window (module docstring). Returns the draws and the window's dimensions."""
    window, cohorts, _ = pre_adoption_window(data, unit=unit, time=time, cohort=cohort)
    adopted = cohorts[cohorts > 0]
    wide = window.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    wide = wide.dropna(axis=1, how="all").dropna(axis=0, how="any")
    n_units, n_periods = wide.shape
    if n_periods < 4 or n_units < 3:
        raise ValueError(f"power: the pre-adoption window has {n_periods} complete periods and "
                         f"{n_units} courts for {outcome!r}; need at least 4 and 3")
    k = int(n_treated if n_treated is not None else len(adopted))
    k = max(1, min(k, n_units - 1))
    y = wide.to_numpy(float)
    rng = np.random.default_rng(seed)
    first_fake = max(2, n_periods // 3 + 1)
    rows = []
    for _ in range(reps):
        fake = np.zeros(n_units, int)
        who = rng.choice(n_units, size=k, replace=False)
        fake[who] = rng.integers(first_fake, n_periods + 1, size=k)
        est, se = simple_att_fast(y, fake, control_group=control_group)
        rows.append((est, se))
    draws = pd.DataFrame(rows, columns=["estimate", "std_error"])
    return draws, {"n_courts": n_units, "n_treated": k, "n_periods": n_periods}


def minimum_detectable_effect(
    data: pd.DataFrame,
    outcome: str,
    *,
    reps: int = 500,
    alpha: float = 0.05,
    target_power: float = 0.8,
    seed: int = 0,
    unit: str = "court",
    time: str = "t",
    cohort: str = "cohort",
    control_group: str = "notyettreated",
) -> PowerResult:
    """MDE at ``target_power`` and level ``alpha`` by placebo simulation (module docstring)."""
    draws, dims = placebo_draws(data, outcome, reps=reps, seed=seed, unit=unit, time=time,
                                cohort=cohort, control_group=control_group)
    est = draws["estimate"].to_numpy()
    se = draws["std_error"].to_numpy()
    up = _solve(est, se, 1.0, alpha, target_power)
    down = _solve(est, se, -1.0, alpha, target_power)
    grid = np.linspace(-1.5, 1.5, 31) * max(abs(up), abs(down))
    curve = pd.DataFrame({"delta": grid, "power": [_power(est, se, d, alpha) for d in grid]})
    return PowerResult(outcome=outcome, mde_positive=up, mde_negative=down,
                       size=_power(est, se, 0.0, alpha), reps=reps, alpha=alpha,
                       target_power=target_power, placebo_draws=draws, power_curve=curve,
                       seed=seed, **dims)
