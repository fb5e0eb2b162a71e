"""The first diversion in notebook 03: what the start of pre-suit mediation did, and triage by
mediation regime.

:func:`mediation_start_study` runs, on the cases in scope and the mediation register
(each court's start = its first record's date received,
:func:`courtstudy.studies.diversion.mediation_starts`):

* the effect of the start on civil first-instance filings (court x quarter panel,
  Callaway-Sant'Anna, not-yet-treated; interval by :data:`FILINGS_INFERENCE`);
* the effect on the filed cases (case-level imputation, :func:`courtstudy.studies.diversion.filed_case_effects`;
  interval by :data:`CASES_INFERENCE`);

and :func:`courtstudy.studies.diversion.triage_regimes.triage_by_mediation_regime` runs on the
triage study's sample. Every sentence here is written from the numbers in front of it, in zh or
en. Why these inferences: docs/diversion_montecarlo.md (with a dozen courts the
court-clustered standard error of the filings panel is too narrow; randomisation inference over
start dates does not need many courts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from courtstudy.core import text
from courtstudy.studies.fasttrack.labels import INFERENCE as _FASTTRACK_INFERENCE
from courtstudy.studies.triage.labels import INFERENCE_NAMES as _TRIAGE_INFERENCE

#: Interval of the filings effect: randomisation inference over start dates (the Monte Carlo:
#: the court-clustered interval under-covers with a dozen courts).
FILINGS_INFERENCE = "randomization"
#: Interval of the filed cases' effects: the staggered study's headline variance.
CASES_INFERENCE = "court_month"

OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "log_filed": ("民事一审新收案件数", "civil first-instance filings"),
    "log_claim": ("立案案件标的额（几何平均）", "claim amount of filed cases (geometric mean)"),
    "closed_within_180": ("立案后180天内结案", "closed within 180 days of filing"),
    "appealed": ("上诉", "appealed"),
}
#: How each effect is shown: "percent" = 100 (exp(x) - 1) of a log effect, "points" = 100 x.
SCALES: dict[str, str] = {"log_filed": "percent", "log_claim": "percent", "closed_within_180": "points",
                          "appealed": "points"}
UNITS: dict[str, tuple[str, str]] = {"percent": ("%（变化率）", "% (change)"),
                                     "points": ("百分点", "percentage points")}
#: How each interval was computed: the triage study's words for start dates and case-level
#: variance, the fast-track study's for clustering; court-quarter shocks are this study's own.
INFERENCE_LABELS: dict[str, tuple[str, str]] = {
    "randomization": _TRIAGE_INFERENCE["randomization"],
    "court_month": ("案件层面方差＋法院-季度共同冲击", "case-level variance plus court-quarter shocks"),
    "unit_cluster": _FASTTRACK_INFERENCE["unit_cluster"],
    "case": _TRIAGE_INFERENCE["case"],
}
WHY: dict[str, tuple[str, str]] = {
    "randomization": ("法院只有十几个时，按法院聚类的标准误偏窄（模拟检验中区间覆盖真值的比例低于名义水平），"
                      "因此新收案件数的区间改用随机化推断：把观察到的开始日期在各法院之间重新分配，看实际估计值是否异常；"
                      "它依据的假设是哪个法院先开始与其案件走势无关。",
                      "With a dozen courts the court-clustered standard error is too narrow (in the simulation check "
                      "its intervals cover the truth less often than stated), so the interval of the filings effect "
                      "comes from randomisation inference: the observed start dates are handed to the courts in every "
                      "other way and the actual estimate is compared with those; it assumes which court started first "
                      "is unrelated to its caseload's course."),
    "court_month": ("立案案件的效果用案件层面数据估计，区间计入案件抽样误差和法院-季度的共同冲击（速裁团队研究采用的方差）。",
                    "The filed cases' effects are estimated on the cases themselves, the interval counting the "
                    "cases' sampling noise and shocks common to a court-quarter (the fast-track study's variance)."),
}


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _scaled(value: float, scale: str) -> float:
    return float(100 * np.expm1(value)) if scale == "percent" else float(100 * value)


@dataclass
class MediationStartStudy:
    """What the section shows (module docstring). ``skipped``: (zh, en) why it did not run;
    ``effects``: outcome, estimate, ci_low, ci_high (in the reader's scale), unit (code),
    inference, n_cases; ``courts``: counts of starting, comparison and left-out courts."""

    starts: dict[str, pd.Timestamp] = field(default_factory=dict)
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    courts: dict[str, int] = field(default_factory=dict)
    periods: tuple[str, str] = ("", "")
    alpha: float = 0.05
    skipped: tuple[str, str] | None = None
    filings: object | None = None
    cases: object | None = None
    #: court -> fast-track team start (the concurrent reform whose cases are left out).
    concurrent: dict[str, pd.Timestamp] = field(default_factory=dict)

    def why_skipped(self, lang: str = "zh") -> str:
        if self.skipped is None:
            return ""
        return _t(lang, f"本节略去：{self.skipped[0]}。", f"This section is skipped: {self.skipped[1]}.")

    def table(self, lang: str = "zh") -> pd.DataFrame:
        """The effects with reader labels (canonical column names; the notebook's table labels them)."""
        out = self.effects.copy()
        out["outcome"] = [OUTCOME_LABELS[o][0 if lang == "zh" else 1] for o in out["outcome"]]
        out["unit"] = [UNITS[u][0 if lang == "zh" else 1] for u in out["unit"]]
        out["inference"] = [INFERENCE_LABELS[i][0 if lang == "zh" else 1] for i in out["inference"]]
        return out[["outcome", "estimate", "ci_low", "ci_high", "unit", "inference"]]

    def _effect_phrase(self, row: pd.Series, lang: str) -> str:
        unit = UNITS[row["unit"]][0 if lang == "zh" else 1]
        level = text.confidence_level(self.alpha)
        covers = row["ci_low"] <= 0 <= row["ci_high"]
        est = row["estimate"]
        if lang == "zh":
            sign = "增加" if est > 0 else "减少"
            unit_zh = "%" if row["unit"] == "percent" else "个百分点"
            verdict = "区间包含零，与没有变化相容" if covers else "区间不含零"
            return (f"{OUTCOME_LABELS[row['outcome']][0]}{sign} {abs(est):.1f}{unit_zh}"
                    f"（{level}区间 {row['ci_low']:.1f} 至 {row['ci_high']:.1f}，{verdict}）")
        verdict = "the interval includes zero: consistent with no change" if covers else "the interval excludes zero"
        unit = "%" if row["unit"] == "percent" else f" {unit}"
        return (f"{OUTCOME_LABELS[row['outcome']][1]} {'rose' if est > 0 else 'fell'} by {abs(est):.1f}{unit} "
                f"({level} interval {row['ci_low']:.1f} to {row['ci_high']:.1f}; {verdict})")

    def headline(self, lang: str = "zh") -> str:
        """The filings effect in one sentence (the section's headline)."""
        if self.skipped is not None or "outcome" not in self.effects.columns:
            return ""
        row = self.effects.loc[self.effects["outcome"] == "log_filed"]
        if not len(row):
            return ""
        phrase = self._effect_phrase(row.iloc[0], lang)
        n = self.courts.get("starting", 0)
        return _t(lang, f"开始诉前调解后，{phrase}；依据 {n} 个在数据期内开始诉前调解的法院。",
                  f"After a court started pre-suit mediation, {phrase}; from {n} courts that started within the data.")

    def statements(self, lang: str = "zh") -> list[str]:
        """The design in numbers, the filed cases' effects, which inference and why."""
        if self.skipped is not None:
            return [self.why_skipped(lang)]
        c = self.courts
        zh = (f"比较 {c.get('starting', 0)} 个在 {self.periods[0]} 至 {self.periods[1]} 间开始诉前调解的法院与同期尚未开始的法院"
              f"（其中 {c.get('comparison', 0)} 个法院在数据期内始终未开始）")
        en = (f"{c.get('starting', 0)} courts that started pre-suit mediation between {self.periods[0]} and "
              f"{self.periods[1]} are compared with courts that had not started yet ({c.get('comparison', 0)} of them "
              "never started within the data)")
        if c.get("always", 0):
            zh += f"；{c['always']} 个法院在数据开始前已开始，没有开始前的数据，未纳入比较"
            en += f"; {c['always']} courts started before the data begin and, with no before-period, are left out"
        out = [_t(lang, zh + "。", en + ".")]
        rows = self.effects.loc[self.effects["outcome"] != "log_filed"]
        if len(rows):
            phrases = [self._effect_phrase(r, lang) for _, r in rows.iterrows()]
            out.append(_t(lang, "立案案件的构成与结果：" + "；".join(phrases) + "。这些变化既包括谁进入法院的变化，也包括案件处理的变化，数据无法把两者分开。",
                          "The filed cases: " + "; ".join(phrases) + ". These changes mix who reaches court with "
                          "how filed cases are handled; the data cannot separate the two."))
        for key in dict.fromkeys([FILINGS_INFERENCE, CASES_INFERENCE]):
            out.append(_t(lang, *WHY[key]))
        return out


def _last_full_quarter(as_of: pd.Timestamp) -> pd.Period:
    q = pd.Period(as_of, "Q")
    return q if pd.Timestamp(as_of).normalize() >= q.end_time.normalize() else q - 1


def mediation_start_study(cases: pd.DataFrame, records: pd.DataFrame | None, as_of: pd.Timestamp, *,
                          courts: pd.DataFrame | None = None, alpha: float = 0.05, ri_draws: int = 999,
                          seed: int = 0, starts: Mapping[str, pd.Timestamp] | None = None) -> MediationStartStudy:
    """The mediation-start section's numbers (module docstring); skipped with the reason when
    there is no register, or no court starts within the data with a comparison court left.
    ``courts``: the courts table; its ``fast_track_start`` is a concurrent reform for the filed
    cases' outcomes (cases filed after a court's fast-track team started are left out; filings
    are not changed by how cases are handled and keep every quarter)."""
    from courtstudy.studies.diversion import (
        CASE_OUTCOMES,
        filed_case_effects,
        filings_randomization,
        mediation_start_effects,
        mediation_starts,
    )

    if records is None or len(records) == 0:
        return MediationStartStudy(skipped=("没有诉前调解登记表，无法知道各法院何时开始诉前调解",
                                            "there is no pre-suit mediation register, so when each court started is "
                                            "not known"))
    starts = dict(starts) if starts is not None else mediation_starts(records)
    civil = cases.loc[cases["type_code"].eq("民初").fillna(False)]
    # the last quarter both complete at the snapshot and holding filings (an export may end
    # before its snapshot date)
    end = min(_last_full_quarter(pd.Timestamp(as_of)), pd.Period(civil["filed_date"].max(), "Q"))
    first = pd.Period(civil["filed_date"].min(), "Q")
    names = sorted(civil["court"].dropna().astype(str).unique())
    started = {c: pd.Timestamp(starts[c]) for c in names if c in starts and pd.notna(starts[c])}
    always = [c for c, d in started.items() if pd.Period(d, "Q") <= first]
    starting = [c for c, d in started.items() if first < pd.Period(d, "Q") <= end]
    comparison = [c for c in names if c not in started or pd.Period(started[c], "Q") > end]
    latest = max((pd.Period(started[c], "Q") for c in starting), default=None)
    if not starting or (not comparison and latest is not None and latest >= end):
        return MediationStartStudy(starts=started, skipped=(
            "数据期内没有可比较的诉前调解开始时间差异（没有法院在数据期内开始，或开始后没有尚未开始的对照法院）",
            "the data hold no staggered start of pre-suit mediation to compare (no court started within the data, or "
            "none was left that had not started)"))
    panel_end = end.end_time.normalize()
    cs = mediation_start_effects(cases, started, outcomes=("log_filed",), end=panel_end)["log_filed"]
    tidy = cs.tidy()
    overall = tidy.loc[(tidy["aggregation"] == "simple") & (tidy["term"] == "overall")].iloc[0]
    ri = filings_randomization(cases, started, end=panel_end, draws=ri_draws, seed=seed, alpha=alpha)
    if FILINGS_INFERENCE == "randomization":
        lo, hi = ri.ci_low, ri.ci_high
    else:
        lo, hi = float(overall["ci_low"]), float(overall["ci_high"])
    rows = [{"outcome": "log_filed", "estimate": _scaled(float(overall["estimate"]), "percent"),
             "ci_low": _scaled(lo, "percent"), "ci_high": _scaled(hi, "percent"), "unit": "percent",
             "inference": FILINGS_INFERENCE, "estimate_raw": float(overall["estimate"]),
             "n_cases": int(civil.shape[0])}]
    concurrent = None
    if courts is not None and "fast_track_start" in courts.columns:
        firsts = courts.dropna(subset=["fast_track_start"]).groupby("court")["fast_track_start"].min()
        concurrent = {str(c): pd.Timestamp(d) for c, d in firsts.items()}
    filed = filed_case_effects(cases, started, as_of, end=str(end), randomization=False, alpha=alpha,
                               concurrent=concurrent)
    for outcome in CASE_OUTCOMES:
        eff = filed.effects[outcome]
        low, high, _ = eff.interval(CASES_INFERENCE, alpha=alpha)
        scale = SCALES[outcome]
        rows.append({"outcome": outcome, "estimate": _scaled(eff.estimate, scale), "ci_low": _scaled(low, scale),
                     "ci_high": _scaled(high, scale), "unit": scale, "inference": CASES_INFERENCE,
                     "estimate_raw": eff.estimate, "n_cases": eff.n_cases})
    counts = {"starting": len(starting), "comparison": len([c for c in comparison if c not in started]),
              "later": len([c for c in comparison if c in started]), "always": len(always)}
    periods = (str(min(pd.Period(started[c], "Q") for c in starting)), str(latest))
    return MediationStartStudy(starts=started, effects=pd.DataFrame(rows), courts=counts, periods=periods,
                               alpha=alpha, filings=ri, cases=filed, concurrent=concurrent or {})
