"""The triage study with the mediation stage accounted for: triage's effect by mediation regime.

Once a court starts pre-suit mediation (诉前调解), the cases that reach its triage desk are the
disputes mediation did not resolve: fewer, with larger claims (:mod:`.cases`). An estimate of
triage's effect on the cases filed since then is of a different population than one on the
cases filed before, so a triage result pooled over both regimes can move only because who
reaches court moved. This module makes that visible.

Design (our convention, docs/assumptions.md "Triage and the mediation stage"):

* Regime of a case: ``before`` if filed before its court's mediation start, ``after`` if filed
  on or after it (:func:`mediation_regime`; the start is read from the register,
  :func:`~courtstudy.studies.diversion.filings.mediation_starts`). Only courts with cases of the
  triage sample in both regimes are compared (courts starting mediation before the sample or
  never are left out and counted), so the two regimes hold the same courts.
* Triage effect within each regime: the like-for-like estimate of the triage study (AIPW, ATT
  on the cases routed simple, :func:`courtstudy.studies.triage.estimate_effects`) on the cases
  of that regime, models refitted within the regime: the regime-specific mix of claims and
  causes is adjusted for, and each estimate is of the cases routed in that regime. It rests on
  selection on observables within each regime, as the like-for-like design does everywhere.
* Whether the effect differs: ``D = ATT_after - ATT_before`` with
  ``se(D) = sqrt(se_after^2 + se_before^2)`` (disjoint cases, influence-function standard
  errors), two-sided z-test, and Holm's adjustment over the outcomes tested (Holm 1979). A
  difference "beyond sampling error" is one whose Holm-adjusted p-value is below ``alpha``.
  Caveat: court-period shocks common to a regime's cases are not in these standard errors, so
  the test errs towards finding a difference.
* Cases filed after a court's fast-track team started (``concurrent``) are left out of both
  regimes, as the triage rollout leaves them out: that reform would otherwise be part of the
  "after" regime. What remains is still a before/after contrast within courts: anything else
  that changed in those courts between the regimes (calendar time) is in the difference too;
  the staggered starts spread the regimes over calendar time, they do not remove it.
* The population that changes: the mix of the cases reaching the triage desk and of those
  routed simple in each regime (:func:`regime_mix`: shares by claim band and by cause, the
  routed share), beside the causal change in the mix from the case-level staggered DiD of
  :mod:`.cases`.

The rollout design of the triage study is not split by regime: in the courts research offices
have (and in the demo), triage started before pre-suit mediation, so the after-mediation cells
have no untriaged comparison in the same regime; the triage rollout can instead be restricted to
cases filed before each court's mediation start by naming the start as a concurrent reform
(``concurrent``, :mod:`courtstudy.studies.triage.rollout`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

REGIMES: tuple[str, str] = ("before", "after")
REGIME_LABELS: dict[str, tuple[str, str]] = {"before": ("诉前调解开始前", "before pre-suit mediation"),
                                             "after": ("诉前调解开始后", "after pre-suit mediation started")}


def mediation_regime(frame: pd.DataFrame, starts: Mapping[str, pd.Timestamp]) -> pd.Series:
    """``"after"`` for cases filed on or after their court's mediation start, else ``"before"``
    (courts without a start: ``"before"``)."""
    start = pd.to_datetime(frame["court"].astype(str).map(lambda c: starts.get(c)))
    after = start.notna() & (pd.to_datetime(frame["filed_date"]) >= start)
    return pd.Series(np.where(after, "after", "before"), index=frame.index, dtype="string")


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN kept)."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok])]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p[i]))
        out[i] = running
    return out


@dataclass
class RegimeComparison:
    """Triage's like-for-like effect by mediation regime (module docstring).

    ``effects``: outcome, regime, estimate, std_error, ci_low, ci_high, n_treated, n_control,
    unit; ``differences``: outcome, difference (after - before), std_error, p_value, p_holm,
    differs; ``mix``: :func:`regime_mix`; ``courts``: the courts compared; ``left_out``: courts
    left out (no cases in one regime)."""

    effects: pd.DataFrame
    differences: pd.DataFrame
    mix: pd.DataFrame
    courts: list[str]
    left_out: list[str]
    alpha: float = 0.05
    n_cases: dict[str, int] = field(default_factory=dict)

    @property
    def any_difference(self) -> bool:
        return bool(self.differences["differs"].any()) if len(self.differences) else False

    def statements(self, lang: str = "zh", labels: Mapping[str, tuple[str, str]] | None = None) -> list[str]:
        """Sentences computed from the tables: the courts and cases compared, each outcome that
        differs beyond sampling error (or that none does), and the change in who is routed."""
        from courtstudy.core import text
        from courtstudy.studies.triage.sample import outcome_label

        labels = labels or {}
        zh = lang == "zh"

        def name(outcome: str) -> str:
            if outcome in labels:
                return labels[outcome][0 if zh else 1]
            return outcome_label(outcome, lang)

        if len(self.effects["regime"].unique()) != len(REGIMES):
            return [("没有法院在诉前调解开始前后都有足够的简案和繁案，无法分阶段比较。" if zh else
                     "No court has enough simple and complex cases both before and after its start of pre-suit "
                     "mediation to compare the regimes.")]
        out = []
        nb, na = self.n_cases.get("before", 0), self.n_cases.get("after", 0)
        out.append(f"比较 {len(self.courts)} 个在研究期内开始诉前调解的法院：开始前立案 {nb:,} 件、开始后立案 {na:,} 件，"
                   f"在每一段内分别作同类案件比较（双重稳健估计）。" if zh else
                   f"{len(self.courts)} courts that started pre-suit mediation within the study period are compared: "
                   f"{nb:,} cases filed before the start and {na:,} after, with the like-for-like comparison (AIPW) "
                   "run within each regime.")
        level = text.confidence_level(self.alpha)
        diff = self.differences
        differs = diff.loc[diff["differs"]]
        if len(diff) == 0:
            return out
        if len(differs) == 0:
            worst = diff.loc[diff["p_holm"].idxmin()]
            out.append(f"各项结果的分流效果在诉前调解开始前后的差异都在抽样误差之内（多重比较校正后最小 p = {worst['p_holm']:.3f}，"
                       f"{name(str(worst['outcome']))}）。" if zh else
                       f"For no outcome does triage's effect differ between the regimes beyond sampling error "
                       f"(smallest Holm-adjusted p = {worst['p_holm']:.3f}, {name(str(worst['outcome']))}).")
        for _, row in differs.iterrows():
            scale, unit_zh, unit_en = (100.0, "个百分点", " percentage points") if row["unit"] == "risk_difference" \
                else (1.0, "天", " days")
            d = row["difference"] * scale
            lo, hi = row["ci_low"] * scale, row["ci_high"] * scale
            out.append(f"{name(str(row['outcome']))}：开始后的分流效果比开始前{'大' if d > 0 else '小'} {abs(d):.1f}{unit_zh}"
                       f"（{level}区间 {lo:.1f} 至 {hi:.1f}，多重比较校正后 p = {row['p_holm']:.3f}），超出抽样误差。"
                       if zh else
                       f"{name(str(row['outcome']))}: triage's effect is {abs(d):.1f}{unit_en} "
                       f"{'larger' if d > 0 else 'smaller'} after the start than before ({level} interval "
                       f"{lo:.1f} to {hi:.1f}, Holm-adjusted p = {row['p_holm']:.3f}), beyond sampling error.")
        routed = self.mix.loc[self.mix["dimension"] == "routed"]
        bands = self.mix.loc[(self.mix["dimension"] == "claim_band") & (self.mix["level"] != "(missing)")]
        if len(routed) and len(bands):
            from courtstudy.studies.triage.labels import claim_band_label

            b, a = float(routed["before"].iloc[0]), float(routed["after"].iloc[0])
            moved = bands.loc[bands["change"].abs().idxmax()]
            band = claim_band_label(str(moved["level"]), lang)
            change = float(moved["change"]) * 100
            out.append(f"进入分流的案件构成：标的额为 {band}的案件占比由 {moved['before']:.1%} 变为 {moved['after']:.1%}"
                       f"（{'上升' if change >= 0 else '下降'} {abs(change):.1f} 个百分点，各标的额区间中变化最大）；"
                       f"分为简案的比例由 {b:.1%} 变为 {a:.1%}。" if zh else
                       f"Who reaches the triage desk: the share of cases with a claim of {band} went from "
                       f"{moved['before']:.1%} to {moved['after']:.1%} ({'up' if change >= 0 else 'down'} "
                       f"{abs(change):.1f} points, the largest change of any claim band); the share routed simple "
                       f"went from {b:.1%} to {a:.1%}.")
        return out

    def table(self, lang: str = "zh") -> pd.DataFrame:
        """Effects by regime and their difference, one block per outcome: ``outcome``,
        ``mediation_regime`` (labelled), ``estimate``, ``ci_low``, ``ci_high``, ``p_holm`` (on the
        difference rows), ``unit`` (canonical outcome and unit codes: the triage study's
        :func:`~courtstudy.studies.triage.labels.reader_table` labels and scales them)."""
        i = 0 if lang == "zh" else 1
        rows = []
        diffs = self.differences.set_index("outcome")
        for outcome in dict.fromkeys(self.effects["outcome"]):
            part = self.effects.loc[self.effects["outcome"] == outcome]
            for _, r in part.iterrows():
                rows.append({"outcome": outcome, "mediation_regime": REGIME_LABELS[r["regime"]][i],
                             "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                             "p_holm": np.nan, "unit": r["unit"]})
            if outcome in diffs.index:
                d = diffs.loc[outcome]
                rows.append({"outcome": outcome, "mediation_regime": ("差值（开始后减开始前）", "difference (after - before)")[i],
                             "estimate": d["difference"], "ci_low": d["ci_low"], "ci_high": d["ci_high"],
                             "p_holm": d["p_holm"], "unit": d["unit"]})
        return pd.DataFrame(rows, columns=["outcome", "mediation_regime", "estimate", "ci_low", "ci_high", "p_holm",
                                           "unit"])


def regime_mix(frame: pd.DataFrame, regime: pd.Series, routed: np.ndarray, top_causes: int = 5) -> pd.DataFrame:
    """Who reaches the triage desk in each regime: rows ``dimension`` ("routed", "claim_band",
    "claim_band_routed", "cause"), ``level``, ``before``, ``after`` (shares within the regime),
    ``change`` (after - before, share points). ``claim_band_routed``: bands among the cases
    routed simple; causes: the ``top_causes`` most frequent before, the rest pooled."""
    from courtstudy.studies.triage.heterogeneity import claim_band

    regime = regime.to_numpy()
    bands = claim_band(frame["claim_amount"]).to_numpy()
    causes = frame["cause"].astype("string").fillna("(missing)").to_numpy()
    top = pd.Series(causes[regime == "before"]).value_counts().index[:top_causes].tolist()
    causes = np.where(np.isin(causes, top), causes, "(other)")
    rows = []

    def shares(dimension: str, values: np.ndarray, keep: np.ndarray) -> None:
        levels = sorted(pd.unique(values[keep]))
        for level in levels:
            row = {"dimension": dimension, "level": str(level)}
            for r in REGIMES:
                m = keep & (regime == r)
                row[r] = float((values[m] == level).mean()) if m.any() else np.nan
            rows.append(row)

    everyone = np.ones(len(frame), dtype=bool)
    rows.append({"dimension": "routed", "level": "simple",
                 **{r: float(routed[regime == r].mean()) if (regime == r).any() else np.nan for r in REGIMES}})
    shares("claim_band", bands, everyone)
    shares("claim_band_routed", bands, routed.astype(bool))
    shares("cause", causes, everyone)
    out = pd.DataFrame(rows)
    out["change"] = out["after"] - out["before"]
    return out


def triage_by_mediation_regime(sample, starts: Mapping[str, pd.Timestamp], *, outcomes: Sequence[str] | None = None,
                               estimand: str = "ATT", alpha: float = 0.05, min_arm: int = 30,
                               concurrent: Mapping[str, pd.Timestamp] | None = None) -> RegimeComparison:
    """The like-for-like triage effect within each mediation regime and their difference
    (module docstring). ``sample``: the triage study's :class:`~courtstudy.studies.triage.AnalysisSample`;
    ``starts``: court -> mediation start; ``concurrent``: court -> start of another reform
    (a fast-track team): cases filed on or after it are left out of both regimes."""
    from courtstudy.studies.triage import estimate_effects

    frame = sample.frame
    regime = mediation_regime(frame, starts)
    eligible = np.ones(len(frame), dtype=bool)
    if concurrent:
        other = pd.to_datetime(frame["court"].astype(str).map(lambda c: concurrent.get(c)))
        eligible = ~(other.notna() & (pd.to_datetime(frame["filed_date"]) >= other)).to_numpy()
    court = frame["court"].astype(str)
    both = regime[eligible].groupby(court[eligible]).agg(lambda r: set(r) == set(REGIMES))
    courts = sorted(both.index[both])
    left_out = sorted(set(court) - set(courts))
    keep = court.isin(courts).to_numpy() & eligible
    names = [k for k, o in sample.outcomes.items() if o.kind != "duration"] if outcomes is None else list(outcomes)
    z = sps.norm.ppf(1 - alpha / 2)
    effect_rows = []
    n_cases = {}
    for r in REGIMES:
        mask = keep & (regime == r).to_numpy()
        n_cases[r] = int(mask.sum())
        t = sample.treatment[mask]
        if t.sum() < min_arm or (len(t) - t.sum()) < min_arm:
            continue
        res = estimate_effects(sample.subset(mask), names, methods=("aipw",), estimand=estimand).rows
        for _, row in res.iterrows():
            effect_rows.append({"outcome": row["outcome"], "regime": r, "estimate": row["estimate"],
                                "std_error": row["std_error"], "ci_low": row["estimate"] - z * row["std_error"],
                                "ci_high": row["estimate"] + z * row["std_error"], "n_treated": row["n_treated"],
                                "n_control": row["n_control"], "unit": row["unit"]})
    effects = pd.DataFrame(effect_rows, columns=["outcome", "regime", "estimate", "std_error", "ci_low", "ci_high",
                                                 "n_treated", "n_control", "unit"])
    wide = effects.pivot(index="outcome", columns="regime", values=["estimate", "std_error"]) if len(effects) else None
    diff_rows = []
    if wide is not None and all((k, r) in wide.columns for k in ("estimate", "std_error") for r in REGIMES):
        units = effects.drop_duplicates("outcome").set_index("outcome")["unit"]
        for outcome in [o for o in names if o in wide.index]:
            d = wide.loc[outcome, ("estimate", "after")] - wide.loc[outcome, ("estimate", "before")]
            se = float(np.hypot(wide.loc[outcome, ("std_error", "after")], wide.loc[outcome, ("std_error", "before")]))
            p = float(2 * sps.norm.sf(abs(d) / se)) if se > 0 else np.nan
            diff_rows.append({"outcome": outcome, "difference": float(d), "std_error": se,
                              "ci_low": float(d - z * se), "ci_high": float(d + z * se), "p_value": p,
                              "unit": units[outcome]})
    differences = pd.DataFrame(diff_rows, columns=["outcome", "difference", "std_error", "ci_low", "ci_high",
                                                   "p_value", "unit"])
    differences["p_holm"] = holm(differences["p_value"].to_numpy())
    differences["differs"] = differences["p_holm"] < alpha
    mix = regime_mix(frame.loc[keep].reset_index(drop=True), regime[keep].reset_index(drop=True),
                     sample.treatment[keep])
    return RegimeComparison(effects, differences, mix, courts, left_out, alpha, n_cases)
