"""Sensitivity of an event study to violations of parallel trends (Rambachan & Roth 2023).

Honest DiD asks how large a departure from parallel trends after adoption would have to be to
overturn the finding, measured against what the pre-adoption coefficients show:

* relative magnitudes ``Delta^RM(Mbar)``: each post-adoption change in the trend gap is at most
  ``Mbar`` times the largest change between consecutive pre-adoption periods;
* smoothness ``Delta^SD(M)``: the trend gap's slope changes by at most ``M`` per period.

For each ``Mbar`` (``M``) a robust 95% interval of the average post-adoption effect is
computed with moderndid 0.2.0's ``didhonest`` (the ``didhonest`` extra, cvxpy): the conditional
test of Andrews, Roth & Pakes for ``Delta^RM`` (its hybrid "C-LF" variant takes minutes per
outcome in moderndid 0.2.0, the conditional one seconds; both control size uniformly) and the
fixed-length interval (FLCI) for ``Delta^SD``. The *breakdown* value is the smallest ``Mbar``
(``M``) whose interval contains zero.

Honest DiD needs event-study coefficients measured from one reference period (-1), with their
covariance: the Callaway-Sant'Anna event study with a universal base period, whose covariance
includes the court-month component (:mod:`.variance`). Monthly coefficients are averaged into
quarters (``bin_size=3``: -4..-2, -7..-5, ... and 0..2, 3..5, ...), keeping the reference month
-1 as the base, so the restrictions compare quarter-to-quarter changes and the linear programs
stay small.

Reference: Rambachan, A. & Roth, J. (2023), "A more credible approach to parallel trends",
Review of Economic Studies 90(5), 2555-2591.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Default grid of Mbar for the relative-magnitudes bound.
MBAR_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


@dataclass
class HonestResult:
    """Robust intervals of the average post-adoption effect (``l_vec`` = equal weights over
    the ``n_post`` post bins) for each ``Mbar`` / ``M``; ``original``: the interval under exact
    parallel trends; ``betahat``/``sigma``: the binned event study used."""

    outcome: str
    bin_size: int
    n_pre: int
    n_post: int
    betahat: np.ndarray
    sigma: np.ndarray
    bins: list[tuple[int, list[int]]]
    estimate: float
    original: tuple[float, float]
    relative_magnitude: pd.DataFrame
    smoothness: pd.DataFrame
    alpha: float = 0.05

    @staticmethod
    def _breakdown(table: pd.DataFrame, key: str) -> float:
        covers = (table["lb"] <= 0) & (table["ub"] >= 0)
        if not covers.any():
            return math.inf
        return float(table.loc[covers, key].min())

    @property
    def breakdown_mbar(self) -> float:
        """Smallest Mbar whose robust interval contains 0 (inf: none in the grid)."""
        if self.original[0] <= 0 <= self.original[1]:
            return 0.0
        return self._breakdown(self.relative_magnitude, "Mbar")

    @property
    def breakdown_m(self) -> float:
        if self.original[0] <= 0 <= self.original[1]:
            return 0.0
        return self._breakdown(self.smoothness, "M")

    def describe(self, lang: str = "zh", digits: int = 3) -> str:
        """What the sensitivity analysis says, computed from the numbers."""
        lo, hi = self.original
        unit_zh = "季度" if self.bin_size == 3 else "期"
        unit_en = "quarter" if self.bin_size == 3 else "period"
        grid_max = float(self.relative_magnitude["Mbar"].max()) if len(self.relative_magnitude) else np.nan
        b = self.breakdown_mbar
        if lo <= 0 <= hi:
            if lang == "zh":
                return (f"即使完全满足平行趋势，组建后前{self.n_post}个{unit_zh}的平均效果的95%置信区间"
                        f"（{lo:.{digits}f}至{hi:.{digits}f}）已包含0，敏感性分析无从推翻。")
            return (f"Even under exact parallel trends the 95% interval of the average effect over the "
                    f"first {self.n_post} {unit_en}s after adoption ({lo:.{digits}f} to {hi:.{digits}f}) "
                    "contains zero: there is no finding for a violation to overturn.")
        if math.isinf(b):
            if lang == "zh":
                return (f"即使组建后趋势偏离的幅度达到组建前最大偏离的{grid_max:g}倍（相对幅度 M̄={grid_max:g}），"
                        f"稳健置信区间仍不包含0：结论对平行趋势的偏离相当稳健。")
            return (f"Even if post-adoption departures from parallel trends were {grid_max:g} times the "
                    f"largest pre-adoption one (Mbar={grid_max:g}), the robust interval excludes zero: "
                    "the finding is robust to sizeable violations.")
        if lang == "zh":
            return (f"若组建后趋势偏离的幅度达到组建前相邻{unit_zh}间最大偏离的{b:g}倍（M̄={b:g}），"
                    f"稳健置信区间即包含0；在此以下，结论成立。" +
                    ("组建前的偏离本身很小，这一倍数并不苛刻。" if b >= 1 else
                     "这一倍数小于1，说明结论对平行趋势假设较为敏感。"))
        return (f"The robust interval includes zero once post-adoption departures from parallel "
                f"trends may reach {b:g} times the largest change between consecutive pre-adoption "
                f"{unit_en}s (Mbar={b:g}); below that the finding stands. "
                + ("A multiple of one or more is a demanding violation." if b >= 1 else
                   "A multiple below one means the finding is sensitive to the parallel-trends "
                   "assumption."))

    def figure(self, lang: str = "zh", label: str | None = None, factor: float = 1.0) -> Any:
        """Robust intervals against Mbar (left) and M (right), the original interval first.
        ``label``: the value axis' label with its unit; ``factor`` scales the intervals into
        that unit (100: shares in percentage points)."""
        import matplotlib.pyplot as plt

        zh = lang == "zh"
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
        names = ("原始置信区间（假定平行趋势）" if zh else "original interval (parallel trends assumed)",
                 "稳健置信区间（允许违背平行趋势）" if zh else "robust interval (violation allowed)")
        handles = {}
        for ax, table, key, title, xlabel in (
            (axes[0], self.relative_magnitude, "Mbar",
             "相对幅度约束 M̄" if zh else "relative magnitudes, Mbar",
             "M̄（组建后违背幅度 / 组建前最大偏离，倍）" if zh else "Mbar (post-adoption violation / largest pre-adoption one, times)"),
            (axes[1], self.smoothness, "M", "平滑约束 M" if zh else "smoothness, M",
             "M（每期趋势斜率可变的幅度，结果单位）" if zh else "M (change of the trend's slope per period, outcome units)"),
        ):
            xs = np.arange(len(table) + 1)
            lows = [factor * v for v in [self.original[0], *table["lb"].tolist()]]
            highs = [factor * v for v in [self.original[1], *table["ub"].tolist()]]
            mids = [(a + b) / 2 for a, b in zip(lows, highs, strict=True)]
            for i, (x, lo, hi, mid) in enumerate(zip(xs, lows, highs, mids, strict=True)):
                name = names[0] if i == 0 else names[1]
                handles[name] = ax.errorbar([x], [mid], yerr=[[mid - lo], [hi - mid]], fmt="none", capsize=3,
                                            color="tab:grey" if i == 0 else "tab:blue", label=name)
            ax.axhline(0, color="grey", lw=0.8, gid="baseline")
            ax.set_xticks(xs, ["原始" if zh else "original"]
                          + [f"{v:.2g}" for v in table[key]], fontsize=8, rotation=0)
            ax.set_xlabel(xlabel, fontsize=8)
            ax.set_title(title, fontsize=9)
        axes[0].set_ylabel(label or ("组建后平均效果" if zh else "average post-adoption effect"), fontsize=9)
        axes[1].set_ylabel(label or ("组建后平均效果" if zh else "average post-adoption effect"), fontsize=9)
        fig.suptitle("平行趋势敏感性分析（Honest DiD）" if zh else "Sensitivity to parallel trends (Honest DiD)",
                     fontsize=10)
        fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=2, frameon=False, fontsize=8)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
        return fig


def bin_event_study(names: Sequence[str], estimates: np.ndarray, covariance: np.ndarray, *,
                    bin_size: int = 3, max_pre: int = 4, max_post: int = 8
                    ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, list[int]]], int, int]:
    """Average ``event:e`` coefficients into bins of ``bin_size`` periods (module docstring),
    keeping complete bins only, at most ``max_pre`` before and ``max_post`` after adoption.
    Returns betahat, sigma, the bins (bin index, member event times), n_pre, n_post."""
    events = {int(n.split(":")[1]): j for j, n in enumerate(names) if n.startswith("event:")}

    def members(k: int) -> list[int]:
        if k < 0:
            top = -bin_size * (-k - 1) - 2
            return list(range(top - bin_size + 1, top + 1))
        return list(range(bin_size * k, bin_size * k + bin_size))

    bins: list[tuple[int, list[int]]] = []
    for k in range(-max_pre, 0):
        m = members(k)
        if all(e in events and covariance[events[e], events[e]] > 0 for e in m):
            bins.append((k, m))
    n_pre = len(bins)
    for k in range(0, max_post):
        m = members(k)
        if all(e in events for e in m):
            bins.append((k, m))
        else:
            break
    n_post = len(bins) - n_pre
    a = np.zeros((len(bins), len(names)))
    for i, (_, m) in enumerate(bins):
        for e in m:
            a[i, events[e]] = 1.0 / len(m)
    return a @ estimates, a @ covariance @ a.T, bins, n_pre, n_post


def honest_did(outcome: str, names: Sequence[str], estimates: np.ndarray, covariance: np.ndarray,
               *, bin_size: int = 3, max_pre: int = 4, max_post: int = 8,
               mbar: Sequence[float] = MBAR_GRID, n_m: int = 6, alpha: float = 0.05) -> HonestResult:
    """Relative-magnitude and smoothness sensitivity of the average post-adoption effect
    (module docstring) from an event study (``event:e`` names with the reference -1 at zero)."""
    from moderndid.didhonest import (
        compute_delta_sd_upperbound_m,
        construct_original_cs,
        create_sensitivity_results_rm,
        create_sensitivity_results_sm,
    )

    beta, sigma, bins, n_pre, n_post = bin_event_study(names, np.asarray(estimates, float),
                                                       np.asarray(covariance, float),
                                                       bin_size=bin_size, max_pre=max_pre,
                                                       max_post=max_post)
    if n_pre < 2 or n_post < 1:
        raise ValueError(f"Honest DiD needs at least two pre-adoption bins and one after adoption; "
                         f"the event study gives {n_pre} and {n_post}")
    sigma = (sigma + sigma.T) / 2 + np.eye(len(beta)) * 1e-14
    l_vec = np.full(n_post, 1.0 / n_post)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        orig = construct_original_cs(beta, sigma, n_pre, n_post, l_vec=l_vec, alpha=alpha)
        rm = create_sensitivity_results_rm(beta, sigma, n_pre, n_post, l_vec=l_vec,
                                           m_bar_vec=np.asarray(mbar, float), method="Conditional",
                                           alpha=alpha, grid_points=100)
        if n_pre >= 3:
            m_ub = compute_delta_sd_upperbound_m(betahat=beta, sigma=sigma, num_pre_periods=n_pre,
                                                 alpha=alpha)
        else:  # moderndid's bound needs three pre-period coefficients; its own fallback
            m_ub = float(np.sqrt(sigma[0, 0]))
        m_vec = np.linspace(0.0, max(float(m_ub), 1e-12), n_m)
        sm = create_sensitivity_results_sm(beta, sigma, n_pre, n_post, l_vec=l_vec, m_vec=m_vec,
                                           alpha=alpha)
    rm_t = pd.DataFrame({"Mbar": rm["Mbar"].to_numpy(), "lb": rm["lb"].to_numpy(),
                         "ub": rm["ub"].to_numpy()})
    sm_t = pd.DataFrame({"M": sm["m"].to_numpy(), "lb": sm["lb"].to_numpy(),
                         "ub": sm["ub"].to_numpy()})
    return HonestResult(outcome=outcome, bin_size=bin_size, n_pre=n_pre, n_post=n_post, betahat=beta,
                        sigma=sigma, bins=bins, estimate=float(l_vec @ beta[n_pre:]),
                        original=(float(orig.lb), float(orig.ub)), relative_magnitude=rm_t,
                        smoothness=sm_t, alpha=alpha)
