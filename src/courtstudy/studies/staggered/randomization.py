"""Randomisation inference over adoption dates.

If which court got which adoption date was as good as random (the dates themselves fixed), the
estimate under the observed dates can be compared with the estimates under every other way of
handing the same dates to the same courts. With a handful of courts all reassignments are
enumerated (``U! / prod(m_g!)`` distinct ones, ``m_g`` courts sharing date ``g``; never adopting
counts as a date); with many, a seeded random sample of them, the observed one added (Fisher's
exact p-value with the usual ``(1 + #) / (1 + draws)`` correction).

Test of no effect: ``p = #{r : |T_r| >= |T_obs|} / #assignments`` with ``T`` the estimate
(``statistic="estimate"``) or the estimate over its case-level standard error
(``"studentized"``). Interval: the set of constant effects ``tau0`` not rejected, testing each
``tau0`` on ``Y - tau0 * D`` (``D`` = treated under the observed dates). For an estimator
linear in ``Y`` each reassignment's estimate is affine in ``tau0``, ``A_r - tau0 B_r`` with
``B_r`` the estimate on ``D`` (1 under the observed dates), so the interval is found exactly from
the crossing points, not a grid. It is valid for the sharp null of a constant effect; with
effects that vary across courts and months it is an approximation whose coverage the Monte
Carlo (docs/fasttrack_montecarlo.md) measures.

Reference: Fisher (1935); for staggered adoption, Roth & Sant'Anna (2023), "Efficient estimation
for staggered rollout designs", and MacKinnon & Webb (2020), "Randomization inference for
difference-in-differences with few treated clusters".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

#: Enumerate every reassignment when there are at most this many; sample otherwise.
MAX_ENUMERATED = 5040


def n_reassignments(cohort: np.ndarray) -> int:
    """Number of distinct reassignments of the adoption periods across units."""
    counts = Counter(int(g) for g in cohort)
    total = math.factorial(len(cohort))
    for c in counts.values():
        total //= math.factorial(c)
    return total


def _multiset_permutations(values: list[int]) -> Iterator[list[int]]:
    counts = Counter(values)
    keys = sorted(counts)
    n = len(values)
    out = [0] * n

    def rec(pos: int) -> Iterator[list[int]]:
        if pos == n:
            yield list(out)
            return
        for k in keys:
            if counts[k]:
                counts[k] -= 1
                out[pos] = k
                yield from rec(pos + 1)
                counts[k] += 1

    yield from rec(0)


def reassignments(cohort: np.ndarray, draws: int = 999, seed: int = 0,
                  max_enumerated: int = MAX_ENUMERATED) -> tuple[np.ndarray, bool]:
    """Reassignments of the observed adoption periods ``cohort`` across units: all of them
    (first row = observed) when there are at most ``max_enumerated``, else the observed one and
    ``draws`` seeded random permutations. Returns ``(assignments (P, U), exact)``."""
    cohort = np.asarray(cohort, dtype=np.int64)
    total = n_reassignments(cohort)
    if total <= max_enumerated:
        rows = np.array(list(_multiset_permutations(cohort.tolist())), dtype=np.int64)
        observed = np.flatnonzero((rows == cohort).all(axis=1))
        order = np.r_[observed, np.setdiff1d(np.arange(len(rows)), observed)]
        return rows[order], True
    rng = np.random.default_rng(seed)
    rows = np.stack([cohort] + [rng.permutation(cohort) for _ in range(draws)])
    return rows, False


@dataclass(frozen=True)
class RandomizationResult:
    """Randomisation inference of one estimate (module docstring). ``estimates`` (P) are the
    estimates under the reassignments (row 0 observed), ``effect_on_treatment`` (P) the ``B_r``,
    ``std_errors`` (P) the case-level standard errors used to studentise (or None)."""

    estimate: float
    p_value: float
    ci_low: float
    ci_high: float
    n_assignments: int
    exact: bool
    statistic: str
    estimates: np.ndarray
    effect_on_treatment: np.ndarray
    std_errors: np.ndarray | None
    ci_disjoint: bool = False

    @property
    def std_error(self) -> float:
        """A standard error implied by the interval: width / (2 * 1.96)."""
        if not (np.isfinite(self.ci_low) and np.isfinite(self.ci_high)):
            return float("nan")
        return (self.ci_high - self.ci_low) / (2 * 1.959963984540054)

    def describe(self, lang: str = "zh") -> str:
        kind = ("全部" if self.exact else "随机抽取的") if lang == "zh" else ("all" if self.exact else "a random sample of")
        if lang == "zh":
            return (f"随机化推断：在各法院之间重新分配观察到的实施日期（{kind}{self.n_assignments}种分配），"
                    f"p={self.p_value:.3f}。")
        return (f"randomisation inference over adoption dates ({kind} {self.n_assignments} "
                f"reassignments): p={self.p_value:.3f}.")


def _p_values(tau0: np.ndarray, a: np.ndarray, b: np.ndarray, se: np.ndarray, exact: bool
              ) -> np.ndarray:
    """p-value of each constant effect ``tau0`` (vector)."""
    stat = np.abs(a[None, :] - tau0[:, None] * b[None, :]) / se[None, :]
    obs = stat[:, :1]
    ok = np.isfinite(stat)
    exceed = ((stat >= obs - 1e-12 * np.maximum(1.0, np.abs(obs))) & ok).sum(axis=1)
    n = ok.sum(axis=1)
    if exact:
        return exceed / np.maximum(n, 1)
    return exceed / np.maximum(n, 1)  # the observed row is one of the draws: (1 + #) / (1 + P)


def randomization_test(estimates: np.ndarray, effect_on_treatment: np.ndarray,
                       std_errors: np.ndarray | None = None, *, exact: bool, alpha: float = 0.05
                       ) -> RandomizationResult:
    """p-value of no effect and the interval of constant effects not rejected at ``alpha``
    (module docstring). Row 0 of each array is the observed assignment."""
    a = np.asarray(estimates, float)
    b = np.asarray(effect_on_treatment, float)
    se = np.ones_like(a) if std_errors is None else np.asarray(std_errors, float)
    keep = np.isfinite(a) & np.isfinite(b) & np.isfinite(se) & (se > 0)
    if not keep[0]:
        return RandomizationResult(float(a[0]), np.nan, np.nan, np.nan, len(a), exact,
                                   "studentized" if std_errors is not None else "estimate",
                                   a, b, std_errors)
    a, b, se = a[keep], b[keep], se[keep]
    p0 = float(_p_values(np.array([0.0]), a, b, se, exact)[0])
    # crossing points: (a_r - t b_r)/se_r = +-(a_0 - t b_0)/se_0
    roots = []
    for sign in (1.0, -1.0):
        num = a / se - sign * a[0] / se[0]
        den = b / se - sign * b[0] / se[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = num / den
        roots.append(r[np.isfinite(r)])
    roots = np.unique(np.concatenate(roots + [np.array([a[0] / b[0]])]))
    spread = max(float(np.ptp(roots)) if len(roots) > 1 else 0.0, abs(a[0]) + 1.0)
    points = np.r_[roots.min() - spread, (roots[:-1] + roots[1:]) / 2, roots.max() + spread, roots]
    points = np.unique(points)
    p = _p_values(points, a, b, se, exact)
    accepted = points[p > alpha]
    low, high = (float(accepted.min()), float(accepted.max())) if len(accepted) else (np.nan, np.nan)
    disjoint = False
    if len(accepted):
        inside = (points >= low) & (points <= high)
        disjoint = bool((p[inside] <= alpha).any())
    if len(accepted) and (np.isclose(low, points.min()) or np.isclose(high, points.max())):
        # not rejected however far out: the reassignments cannot bound the effect
        low = -np.inf if np.isclose(low, points.min()) else low
        high = np.inf if np.isclose(high, points.max()) else high
    return RandomizationResult(float(a[0]), p0, low, high, int(keep.sum()), exact,
                               "studentized" if std_errors is not None else "estimate",
                               np.asarray(estimates, float), np.asarray(effect_on_treatment, float),
                               None if std_errors is None else np.asarray(std_errors, float),
                               disjoint)
