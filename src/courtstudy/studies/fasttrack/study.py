"""The fast-track team study (速裁团队) end to end.

Headline (:mod:`.headline`): each outcome's effect estimated from the case-level records
(:mod:`.cases`) by the imputation estimator with covariates known at filing, its interval from
the variance with the court-month component, randomisation inference over adoption dates and
the wild cluster bootstrap beside it, the pre-trend test, Honest DiD sensitivity
(Rambachan-Roth) for the headline outcome's event study, and the minimum detectable effect of
this estimator on the user's courts. Comparisons: Callaway-Sant'Anna on the same cases, and on
the court-month panel (the figures people read) with TWFE, the placebo and, for a court the user
names, an interrupted time series.

:func:`run_fast_track_study` returns a :class:`FastTrackStudy` whose :meth:`~FastTrackStudy.tidy`
is the ``fast_track_effects`` table (one row per estimate, ``preferred`` true on the headline
estimate of each outcome) and whose :meth:`~FastTrackStudy.summary` states the findings in
Chinese or English for a court's leadership.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from courtstudy.core import log
from courtstudy.core.text import interval_label, language
from courtstudy.studies.fasttrack import headline as hl
from courtstudy.studies.fasttrack.cases import (
    CASE_OUTCOMES,
    COVARIATES,
    CaseSample,
    build_case_sample,
)
from courtstudy.studies.fasttrack.did import MIN_NEVER_TREATED, callaway_santanna
from courtstudy.studies.fasttrack.its import interrupted_time_series
from courtstudy.studies.fasttrack.panel import (
    OUTCOMES,
    CourtPanel,
    build_court_panel,
    outcome_label,
)
from courtstudy.studies.fasttrack.placebo import placebo_test
from courtstudy.studies.fasttrack.power import PowerResult, minimum_detectable_effect
from courtstudy.studies.fasttrack.twfe import twfe
from courtstudy.studies.results import EffectResult, StudyResults, combine, study_tidy
from courtstudy.studies.staggered import HonestResult, OutcomeEffects, honest_did, staggered_effects

#: Columns of the ``fast_track_effects`` table.
EFFECT_COLUMNS: tuple[str, ...] = ("outcome", "method", "control_group", "aggregation", "term",
                                   "group", "time", "event_time", "estimate", "std_error",
                                   "ci_low", "ci_high", "p_value", "n_treated", "n_control", "n")

logger = logging.getLogger(__name__)

_EVENT_WINDOW = {"month": (-12, 24), "quarter": (-4, 8)}
#: Outcomes the case-level Callaway-Sant'Anna comparison runs on by default (it costs seconds
#: per outcome group; the headline runs on every outcome).
CS_CASE_OUTCOMES: tuple[str, ...] = ("closed_90", "closed_180", "rmst")
#: Outcome whose event study gets the Honest DiD sensitivity analysis, first present wins.
HONEST_OUTCOMES: tuple[str, ...] = ("closed_90", "closed_180", "rmst")
_PLACEBO_SHIFT = {"month": 6, "quarter": 2}


@dataclass(repr=False)
class FastTrackStudy(StudyResults):
    """Everything the fast-track study estimated; ``tidy()`` is the ``fast_track_effects`` table."""

    panel: CourtPanel
    control_group: str
    cs: dict[str, EffectResult]
    cs_other: dict[str, EffectResult]
    twfe: dict[str, EffectResult]
    placebo: dict[str, EffectResult]
    power: dict[str, PowerResult]
    its: dict[str, EffectResult]
    its_court: str | None
    notes: dict[str, list[str]] = field(default_factory=dict)
    alpha: float = 0.05
    lang: str | None = None
    sample: CaseSample | None = None
    headline: dict[str, OutcomeEffects] = field(default_factory=dict)
    cases_cs: dict[str, OutcomeEffects] = field(default_factory=dict)
    honest: HonestResult | None = None
    headline_inference: str = hl.HEADLINE_INFERENCE
    tidy_case_rows: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)

    study = "fasttrack"

    def results(self) -> list[EffectResult]:
        return [*self.cs.values(), *self.cs_other.values(), *self.twfe.values(),
                *self.placebo.values(), *self.its.values()]

    def tidy(self, att_gt: bool = False) -> pd.DataFrame:
        """``fast_track_effects``: one row per estimate (group-time cells only if ``att_gt``),
        with the study contract's columns first (:data:`courtstudy.studies.results.STUDY_COLUMNS`;
        :data:`EFFECT_COLUMNS` are among them)."""
        results = self.results()
        if att_gt:
            cells = [EffectResult(r.diagnostics["att_gt"]) for r in results if "att_gt" in r.diagnostics]
            results = results + cells
        table = combine(results)
        if self.tidy_case_rows is not None and len(self.tidy_case_rows):
            table = pd.concat([self.tidy_case_rows, table], ignore_index=True)
        for col in EFFECT_COLUMNS:
            if col not in table.columns:
                table[col] = np.nan
        table["control_group"] = table["control_group"].fillna("")
        if "preferred" not in table.columns:
            table["preferred"] = False
        table["preferred"] = table["preferred"].fillna(False).astype(bool)
        return study_tidy(table)

    def preferred(self) -> pd.DataFrame:
        """The ``preferred`` rows of :meth:`tidy`: the one headline estimate per outcome."""
        t = self.tidy()
        return t[t["preferred"]].reset_index(drop=True)

    def headline_table(self, lang: str | None = None) -> pd.DataFrame:
        """Per outcome: the headline estimate and interval, the other inference methods, the
        pre-trend test, the minimum detectable effect, the case-level Callaway-Sant'Anna."""
        return hl.headline_table(self.headline, self.cases_cs, self.alpha, lang or self.lang or language(),
                                 self.headline_inference)

    def design_note(self, lang: str | None = None) -> str:
        """How many courts and adoption dates the study rests on and which inference it uses."""
        if self.sample is None:
            return ""
        return hl.design_note(self.sample, self.headline, lang or self.lang or language(),
                              self.headline_inference)

    def headline_sentences(self, lang: str | None = None) -> list[str]:
        """Each outcome's headline in words (:func:`.headline.headline_sentence`), then once
        what they rest on, with the few-courts caveat when a result is significant on fewer
        than :data:`.headline.FEW_COURTS` courts (:func:`.headline.headline_basis`)."""
        lang = lang or self.lang or language()
        if not self.headline:
            return []
        n_courts = self.sample.data.n_units if self.sample is not None else None
        return [*(hl.headline_sentence(o, e, self.alpha, lang, self.headline_inference)
                  for o, e in self.headline.items()),
                hl.headline_basis(self.headline, self.alpha, lang, self.headline_inference, n_courts)]

    def pretrend_sentence(self, lang: str | None = None) -> str:
        """Whether the pre-adoption coefficients of the headline estimator look flat, per
        outcome, from the joint pre-trend test (p < alpha: courts already differed before)."""
        lang = lang or self.lang or language()
        flat, differ, untested = [], [], []
        for outcome, eff in self.headline.items():
            p = eff.pretrend.get("p_value", np.nan)
            name = outcome_label(outcome, lang)
            if not np.isfinite(p):
                untested.append(name)
            elif p < self.alpha:
                differ.append(f"{name}（p={p:.3f}）" if lang == "zh" else f"{name} (p={p:.3f})")
            else:
                flat.append(f"{name}（p={p:.3f}）" if lang == "zh" else f"{name} (p={p:.3f})")
        level = f"{100 * self.alpha:g}%"
        parts = []
        if lang == "zh":
            if flat:
                parts.append(f"事前系数联合检验在{level}水平上未发现组建前已有差异：" + "、".join(flat)
                             + "（未发现不等于证明不存在，见下文敏感性分析）。")
            if differ:
                parts.append(f"以下指标组建前已有差异（事前系数联合检验在{level}水平上显著），"
                             "其效果估计可能混入了原有趋势，需谨慎解读：" + "、".join(differ) + "。")
            if untested:
                parts.append("以下指标没有足够的组建前期间做事前趋势检验：" + "、".join(untested) + "。")
            return "".join(parts)
        if flat:
            parts.append(f"The joint pre-trend test finds no difference before adoption at the {level} "
                         "level for " + ", ".join(flat) + " (not finding one does not prove there is "
                         "none: see the sensitivity analysis below).")
        if differ:
            parts.append(f"Courts already differed before adoption (joint pre-trend test significant at "
                         f"the {level} level) for " + ", ".join(differ) + ": their estimates may carry "
                         "the earlier trend; read them with care.")
        if untested:
            parts.append("Too few pre-adoption periods for a pre-trend test: " + ", ".join(untested) + ".")
        return " ".join(parts)

    def its_intro(self, lang: str | None = None) -> str:
        """Which court the interrupted time series is about (or that there is none)."""
        lang = lang or self.lang or language()
        if not self.its:
            return ("本次未做单院中断时间序列（未指定法院，或所指定的法院在面板期内未组建速裁团队）。" if lang == "zh"
                    else "No interrupted time series this time (no court named, or the court named did "
                         "not adopt within the panel).")
        return f"法院：{self.its_court}。" if lang == "zh" else f"Court: {self.its_court}."

    def figures(self, lang: str | None = None) -> dict[str, Any]:
        """The study's figures by name (``fasttrack_event_study_<outcome>``,
        ``fasttrack_cs_vs_twfe``, ``fasttrack_its_<outcome>``)."""
        lang = lang or self.lang or language()
        outcomes = list(self.headline) or list(self.cs)
        out = {self.figure_name("event_study", o): self.event_study_figure(o, lang) for o in outcomes}
        out[self.figure_name("cs_vs_twfe")] = self.comparison_figure(lang)
        if self.honest is not None:
            out[self.figure_name("honest", self.honest.outcome)] = self.honest_figure(lang)
        out.update({self.figure_name("its", o): self.its_figure(o, lang) for o in self.its})
        return out

    def honest_figure(self, lang: str | None = None) -> Any:
        """Honest DiD: robust intervals of the average post-adoption effect against the size of
        the violation of parallel trends allowed."""
        if self.honest is None:
            raise ValueError("no Honest DiD analysis in this study (honest=False, or too few periods)")
        lang = lang or self.lang or language()
        # on the outcome's own scale, as the statement beside it (shares as differences of shares)
        share = self.honest.outcome in hl.SHARE_OUTCOMES
        _, unit_zh, unit_en = hl.effect_unit(self.honest.outcome)
        unit_zh, unit_en = ("比例之差", "difference of shares") if share else (unit_zh, unit_en)
        name = outcome_label(self.honest.outcome, lang)
        label = f"{name}的组建后平均变化（{unit_zh}）" if lang == "zh" else f"Average change in {name} ({unit_en})"
        return self.honest.figure(lang, label=label)

    def honest_statement(self, lang: str | None = None) -> str:
        """What the Honest DiD sensitivity analysis found, or that it was not done."""
        lang = lang or self.lang or language()
        if self.honest is None:
            return ("未做Honest DiD敏感性分析（组建前后的期间不足，或未要求；见文末说明）。" if lang == "zh"
                    else "No Honest DiD sensitivity analysis (too few periods around adoption, or not "
                         "requested; see the notes at the end).")
        head = (f"{outcome_label(self.honest.outcome, lang)}（Callaway-Sant'Anna事件研究，案件层面）："
                if lang == "zh" else
                f"{outcome_label(self.honest.outcome, lang)} (Callaway-Sant'Anna event study, case level): ")
        return head + self.honest.describe(lang)

    def overall(self, lang: str = "zh") -> pd.DataFrame:
        """Per outcome: CS simple ATT, TWFE, placebo, pre-trend p-value and MDE side by side."""
        rows = []
        for outcome, cs in self.cs.items():
            t = cs.tidy()
            simple = t[(t["aggregation"] == "simple") & (t["term"] == "overall")].iloc[0]
            tw = self.twfe[outcome].tidy().iloc[0] if outcome in self.twfe else None
            pl = self.placebo.get(outcome)
            pl_row = None
            if pl is not None:
                pt = pl.tidy()
                pl_row = pt[(pt["aggregation"] == "simple") & (pt["term"] == "overall")].iloc[0]
            pw = self.power.get(outcome)
            rows.append({
                "outcome": outcome,
                "label": outcome_label(outcome, lang),
                "cs_estimate": simple["estimate"], "cs_ci_low": simple["ci_low"],
                "cs_ci_high": simple["ci_high"], "cs_p_value": simple["p_value"],
                "twfe_estimate": tw["estimate"] if tw is not None else np.nan,
                "twfe_ci_low": tw["ci_low"] if tw is not None else np.nan,
                "twfe_ci_high": tw["ci_high"] if tw is not None else np.nan,
                "twfe_negative_weights": (self.twfe[outcome].diagnostics["n_negative_weights"]
                                          if tw is not None else np.nan),
                "pretrend_p_value": cs.diagnostics["pretrend"]["p_value"],
                "placebo_estimate": pl_row["estimate"] if pl_row is not None else np.nan,
                "placebo_p_value": pl_row["p_value"] if pl_row is not None else np.nan,
                "placebo_permutation_p": (pl.diagnostics["permutation_p_value"]
                                          if pl is not None else np.nan),
                "mde": pw.mde if pw is not None else np.nan,
            })
        return pd.DataFrame(rows)

    def summary(self, lang: str = "zh", digits: int = 3) -> str:
        """Findings in words for a court's leadership: the design and the inference it rests on,
        the headline of every outcome, then the comparisons (court-month panel, TWFE)."""
        lines = [self.panel.describe(lang)]
        if self.headline:
            lines.append(self.design_note(lang))
            lines.extend(self.headline_sentences(lang))
            if self.honest is not None:
                lines.append(self.honest_statement(lang))
        lines.append("对照（法院-月面板）：" if lang == "zh" else "Comparisons (court-month panel):")
        for _, r in self.overall(lang).iterrows():
            name = outcome_label(r["outcome"], lang)
            sig = r["cs_p_value"] < self.alpha
            if lang == "zh":
                text = (f"{name}：面板Callaway-Sant'Anna估计{r['cs_estimate']:+.{digits}f}"
                        f"（{interval_label(self.alpha, 'zh')}{r['cs_ci_low']:.{digits}f}至{r['cs_ci_high']:.{digits}f}，"
                        "按法院聚类的影响函数标准误，" + ("p<" if sig else "p≥") + f"{self.alpha:g}）")
                if np.isfinite(r["twfe_estimate"]):
                    text += f"；双向固定效应给出{r['twfe_estimate']:+.{digits}f}，可能有偏，仅供对照"
                if np.isfinite(r["placebo_permutation_p"]):
                    text += (f"；安慰剂检验（置换）p={r['placebo_permutation_p']:.2f}"
                             + ("（安慰剂也显著，结论需谨慎）" if r["placebo_permutation_p"] < self.alpha else ""))
                text += "。"
            else:
                text = (f"{name}: court-month panel Callaway-Sant'Anna {r['cs_estimate']:+.{digits}f} "
                        f"({interval_label(self.alpha, 'en')} {r['cs_ci_low']:.{digits}f} to "
                        f"{r['cs_ci_high']:.{digits}f}, influence functions clustered by court, p "
                        + ("<" if sig else ">=") + f" {self.alpha:g})")
                if np.isfinite(r["twfe_estimate"]):
                    text += f"; two-way fixed effects gives {r['twfe_estimate']:+.{digits}f}, which can be biased"
                if np.isfinite(r["placebo_permutation_p"]):
                    text += (f"; placebo (permutation) p={r['placebo_permutation_p']:.2f}"
                             + (" (the placebo finds an effect too: read with care)"
                                if r["placebo_permutation_p"] < self.alpha else ""))
                text += "."
            lines.append(text)
        lines.extend(self._its_lines(lang, digits))
        lines.extend(self.notes.get(lang, []))
        return "\n".join(lines)

    def twfe_explanation(self, lang: str = "zh") -> str:
        """Why the two-way fixed-effects number can mislead here, with this panel's weights."""
        if not self.twfe:
            return ""
        first = next(iter(self.twfe.values()))
        n_neg = first.diagnostics["n_negative_weights"]
        n_cells = len(first.diagnostics["weights"])
        neg_sum = first.diagnostics["negative_weight_sum"]
        if lang == "zh":
            return (f"为什么不直接用双向固定效应（TWFE）回归：各法院组建速裁团队的时间不同，TWFE 会把已经组建团队的法院"
                    f"当作后组建法院的“对照组”。当效果随组建时间增长时，这种比较会把一部分效果减掉："
                    f"本面板{n_cells}个已组建的法院-期间中，有{n_neg}个在 TWFE 中的权重为负（合计{neg_sum:.2f}）。"
                    f"Callaway-Sant'Anna 方法只用尚未组建或从未组建团队的法院作对照，不存在这一问题。")
        return (f"Why not a plain two-way fixed-effects (TWFE) regression: courts adopted at different "
                f"times, and TWFE uses courts that already have teams as 'controls' for later adopters. "
                f"When effects grow after adoption this subtracts part of the effect: of the {n_cells} "
                f"treated court-periods in this panel, {n_neg} get a negative TWFE weight (sum "
                f"{neg_sum:.2f}). Callaway-Sant'Anna compares only with courts not yet (or never) "
                f"treated, and so avoids it.")

    def power_statement(self, lang: str = "zh") -> str:
        """The minimum detectable effect of every outcome for the estimator and inference the
        headline uses, on these courts, dates and caseloads, in words (and the court-month
        panel's simulated ones when they were computed, ``power_reps > 0``)."""
        lines = []
        level = int(round(self.alpha * 100))
        for outcome, eff in self.headline.items():
            mde = eff.minimum_detectable_effect(self.headline_inference, self.alpha)
            name = outcome_label(outcome, lang)
            shown = hl._fmt_effect(outcome, mde, lang, signed=False)
            if lang == "zh":
                lines.append(f"{name}：按本研究的法院、组建日期和案件量，主结果所用估计方法在{level}%显著性水平下"
                             f"以80%把握能发现的最小效果约为±{shown}；小于此幅度的真实效果很可能得到“不显著”的结果。")
            else:
                lines.append(f"{name}: on these courts, adoption dates and caseloads, the headline "
                             f"estimator detects an effect of about ±{shown} with 80% power at the "
                             f"{level}% level; smaller true effects would likely come out 'not significant'.")
        lines.extend(p.summary(lang) for p in self.power.values())
        return "\n".join(lines)

    def _its_lines(self, lang: str, digits: int) -> list[str]:
        if not self.its:
            return []
        head = (f"中断时间序列（{self.its_court}，无对照法院，证据较弱）："
                if lang == "zh" else
                f"Interrupted time series ({self.its_court}, no comparison courts, weaker evidence):")
        lines = [head]
        for outcome, res in self.its.items():
            t = res.tidy().set_index("term")
            level = t.loc["level_change"]
            slope = t.loc["slope_change"]
            name = outcome_label(outcome, lang)
            if lang == "zh":
                lines.append(f"  {name}：组建时水平变化{level['estimate']:+.{digits}f}"
                             f"（p={level['p_value']:.2f}），此后每期趋势变化{slope['estimate']:+.{digits}f}"
                             f"（p={slope['p_value']:.2f}）。")
            else:
                lines.append(f"  {name}: level change at adoption {level['estimate']:+.{digits}f} "
                             f"(p={level['p_value']:.2f}), slope change per period "
                             f"{slope['estimate']:+.{digits}f} (p={slope['p_value']:.2f}).")
        return lines

    def event_study_figure(self, outcome: str, lang: str = "zh") -> Any:
        """Event study of ``outcome``: the headline estimator's (case level) when there is one,
        else the court-month panel's Callaway-Sant'Anna."""
        if outcome in self.headline:
            return hl.event_study_figure(outcome, self.headline[outcome], self.alpha, lang,
                                         self.headline_inference, unit=self.panel.unit)
        return self.panel_event_study_figure(outcome, lang)

    def panel_event_study_figure(self, outcome: str, lang: str = "zh") -> Any:
        """Event study of ``outcome`` on the court-month panel: Callaway-Sant'Anna by periods
        since adoption (reference period -1 marked)."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4))
        cs = self.cs[outcome].tidy()
        ev = cs[(cs["aggregation"] == "dynamic") & (cs["term"] == "event")].sort_values("event_time")
        ax.errorbar(ev["event_time"], ev["estimate"],
                    yerr=[ev["estimate"] - ev["ci_low"], ev["ci_high"] - ev["estimate"]],
                    fmt="o-", capsize=2, ms=3, label="Callaway-Sant'Anna")
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(-1, color="tab:red", ls=":", lw=1,
                   label="参照期 (-1)" if lang == "zh" else "reference period (-1)")
        ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
        ax.set_xlabel(("组建速裁团队后的" + ("月" if self.panel.unit == "month" else "季度") + "数")
                      if lang == "zh" else f"{self.panel.unit.capitalize()}s since adoption")
        ax.set_ylabel(outcome_label(outcome, lang))
        pre = self.cs[outcome].diagnostics["pretrend"]
        if np.isfinite(pre["p_value"]):
            ax.set_title(("事前趋势联合检验 p=" if lang == "zh" else "joint pre-trend test p=")
                         + f"{pre['p_value']:.3f}", fontsize=9)
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig

    def comparison(self, outcome: str, lang: str | None = None) -> pd.DataFrame:
        """The headline beside the comparisons (case-level CS, panel CS, TWFE) for one outcome."""
        lang = lang or self.lang or language()
        return hl.comparison_table(outcome, self.headline[outcome], self.cases_cs.get(outcome),
                                   self.cs.get(outcome), self.twfe.get(outcome), self.alpha, lang)

    def comparison_figure(self, lang: str = "zh") -> Any:
        """Per outcome, the headline (case-level imputation) beside case-level
        Callaway-Sant'Anna, the court-month panel's Callaway-Sant'Anna and TWFE, with intervals
        in the unit of the report's words; one key for the methods under the panels."""
        import matplotlib.pyplot as plt

        zh = lang == "zh"
        outcomes = list(self.headline) or list(self.cs)
        n_cols = min(4, max(len(outcomes), 1))
        n_rows = -(-len(outcomes) // n_cols)
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.4 * n_cols + 0.6, 2.9 * n_rows + 0.9), squeeze=False)
        for ax in axes.flat[len(outcomes):]:
            ax.set_visible(False)
        markers = ["o", "s", "^", "D"]
        colors = ["tab:blue", "tab:grey", "tab:olive", "tab:red"]
        handles: dict[str, Any] = {}
        for ax, outcome in zip(axes.flat, outcomes, strict=False):
            table = self.comparison(outcome, lang) if outcome in self.headline else pd.DataFrame([])
            factor, unit_zh, unit_en = hl.effect_unit(outcome)
            for i, (_, r) in enumerate(table.iterrows()):
                est, lo, hi = factor * r["estimate"], factor * r["ci_low"], factor * r["ci_high"]
                handles[r["method"]] = ax.errorbar([i], [est], yerr=[[est - lo], [hi - est]], fmt=markers[i % 4],
                                                   capsize=3, color=colors[i % 4], label=r["method"])
            ax.axhline(0, color="grey", lw=0.8, gid="baseline")
            ax.set_xticks([])
            ax.set_xlim(-0.6, max(len(table), 1) - 0.4)
            ax.set_xlabel("方法（见图例）" if zh else "method (see key)", fontsize=8)
            ax.set_ylabel(f"变化（{unit_zh}）" if zh else f"change ({unit_en})", fontsize=8)
            ax.set_title(outcome_label(outcome, lang), fontsize=9)
        level = interval_label(self.alpha, lang)
        fig.suptitle(f"主结果与其他方法的比较（点估计及{level}）" if zh
                     else f"The headline beside the other methods (estimates with {level})", fontsize=10)
        if handles:
            fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=2, frameon=False, fontsize=8)
        fig.tight_layout(rect=(0, 0.1 if handles else 0, 1, 1))
        return fig

    def its_figure(self, outcome: str, lang: str = "zh") -> Any:
        """The named court's series with the segmented-regression fit and the adoption period."""
        import matplotlib.pyplot as plt

        res = self.its[outcome]
        zh = lang == "zh"
        data = self.panel.data[self.panel.data["court"] == self.its_court].sort_values("t")
        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.plot(data["t"], data[outcome], "o", ms=3, color="tab:grey",
                label="各期实际值" if zh else "observed, each period")
        fitted = res.diagnostics["fitted"]
        ax.plot(fitted.index, fitted.to_numpy(), "-", color="tab:blue",
                label="分段回归拟合值" if zh else "segmented-regression fit")
        ax.axvline(res.diagnostics["adoption"] - 0.5, color="tab:red", ls="--", lw=1,
                   label="组建速裁团队" if zh else "fast-track team adopted")
        ticks = data[data["period"].str.endswith(("-01", "Q1"))]
        ax.set_xticks(ticks["t"].to_numpy(), ticks["period"].astype(str).str[:4].tolist())
        ax.set_xlabel("年份" if zh else "Year")
        units = {"rmst": ("天", "days"), "log_duration": ("对数天数", "log days"),
                 "per_judge_closed": ("件", "cases")}
        unit = units.get(outcome, ("比例", "share"))[0 if zh else 1]
        label = outcome_label(outcome, lang)
        ax.set_ylabel(f"{label}（{unit}）" if zh else f"{label} ({unit})")
        ax.set_title(f"{self.its_court}：{label}的中断时间序列" if zh
                     else f"{self.its_court}: {label}, interrupted time series", fontsize=10)
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


def run_fast_track_study(
    cases: pd.DataFrame,
    courts: pd.DataFrame,
    *,
    unit: str = "month",
    outcomes: Sequence[str] | None = None,
    horizon_days: int = 180,
    as_of: str | pd.Timestamp | None = None,
    control_group: str = "notyettreated",
    other_control_group: bool = True,
    event_window: tuple[int, int] | None = None,
    bootstrap: bool = False,
    biters: int = 999,
    seed: int = 20240101,
    placebo_shift: int | None = None,
    power_reps: int = 0,
    its_court: str | None = None,
    its_seasonality: str = "month",
    twfe_compare: bool = True,
    alpha: float = 0.05,
    case_level: bool = True,
    covariates: Sequence[str] = COVARIATES,
    randomization: bool = True,
    ri_draws: int = 999,
    wild_bootstrap: bool = True,
    cs_outcomes: Sequence[str] = CS_CASE_OUTCOMES,
    honest: bool = True,
    honest_outcome: str | None = None,
    cs_covariates: bool = False,
) -> FastTrackStudy:
    """Run the fast-track team study on canonical cases and the courts table.

    Headline (``case_level=True``): the case-level sample (:func:`.cases.build_case_sample`,
    ``covariates`` known at filing), the imputation estimator on every case-level outcome with
    case-level, court-month and by-court variances, randomisation inference over adoption dates
    (``ri_draws`` when there are too many reassignments to enumerate) and the wild cluster
    bootstrap (``wild_bootstrap``); Callaway-Sant'Anna on the same cases for ``cs_outcomes``
    (without covariates unless ``cs_covariates``: the doubly robust variant's propensity model
    separates in small court-months, and the variant without covariates is the one whose
    coverage the Monte Carlo measures in every replication);
    Honest DiD on ``honest_outcome``'s case-level Callaway-Sant'Anna event study (default: the
    first of closed_90, closed_180, rmst studied). Then the court-month panel comparisons:

    Builds the panel (:func:`~courtstudy.studies.fasttrack.panel.build_court_panel`), then per outcome:
    Callaway-Sant'Anna with ``control_group`` (and the other control group too when
    ``other_control_group`` and it is feasible: the never-treated comparison needs at least
    five never-treated courts), a universal base period so the event study has its reference at
    -1, event times limited to ``event_window`` (default -12..24 months / -4..8 quarters); TWFE
    beside it; the placebo with dates ``placebo_shift`` periods early (default 6 months / 2
    quarters); the panel's minimum detectable effect from ``power_reps`` placebo adoptions (0, the
    default, skips it: the headline's own MDE is in :meth:`FastTrackStudy.power_statement`); and
    the interrupted time series of ``its_court`` when given (``"auto"``: see
    :func:`pick_its_court`).
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    panel = build_court_panel(cases, courts, unit=unit, horizon_days=horizon_days, as_of=as_of,
                              outcomes=outcomes)
    timings["court-month panel"] = time.perf_counter() - clock
    if its_court == "auto":
        its_court = pick_its_court(panel)
    if its_court and its_court not in panel.courts:
        raise ValueError(f"its_court {its_court!r} is not in the data; courts: "
                         + ", ".join(panel.courts))
    data = panel.data
    labels = {i + 1: p for i, p in enumerate(panel.periods)}
    min_e, max_e = event_window or _EVENT_WINDOW[unit]
    shift = placebo_shift or _PLACEBO_SHIFT[unit]
    notes: dict[str, list[str]] = {"zh": list(panel.notes.get("zh", [])),
                                   "en": list(panel.notes.get("en", []))}
    other = "nevertreated" if control_group == "notyettreated" else "notyettreated"
    n_never = int(((panel.cohorts()["cohort"] == 0)).sum())
    run_other = other_control_group and (other == "notyettreated" or n_never >= MIN_NEVER_TREATED)
    if other_control_group and not run_other:
        notes["zh"].append(f"从未组建速裁团队的法院只有{n_never}个（少于{MIN_NEVER_TREATED}个），"
                           "不单独以其为对照组估计。")
        notes["en"].append(f"Only {n_never} never-treated courts (fewer than {MIN_NEVER_TREATED}): "
                           "no separate never-treated comparison.")
    n_design_notes = len(notes["en"])  # notes on the design; those after it are failures
    case_parts = _case_level(cases, courts, panel, unit=unit, horizon_days=horizon_days,
                             covariates=covariates, randomization=randomization,
                             ri_draws=ri_draws, wild_bootstrap=wild_bootstrap,
                             cs_outcomes=cs_outcomes, cs_covariates=cs_covariates,
                             honest=honest, honest_outcome=honest_outcome,
                             event_window=(min_e, max_e), seed=seed, alpha=alpha,
                             timings=timings, notes=notes) if case_level else {}
    clock = time.perf_counter()
    cs, cs_other, tw, plac, pw, its = {}, {}, {}, {}, {}, {}
    common = dict(base_period="universal", min_event_time=min_e, max_event_time=max_e,
                  bootstrap=bootstrap, biters=biters, seed=seed, alpha=alpha, time_labels=labels)
    for outcome in panel.outcomes:
        if not data[outcome].notna().any():
            notes["zh"].append(f"{outcome_label(outcome, 'zh')}：数据中没有可用值，未估计。")
            notes["en"].append(f"{outcome_label(outcome, 'en')}: no usable values, not estimated.")
            continue
        cs[outcome] = callaway_santanna(data, outcome, control_group=control_group, **common)
        if run_other:
            cs_other[outcome] = callaway_santanna(data, outcome, control_group=other, **common)
        if twfe_compare:
            tw[outcome] = twfe(data, outcome, alpha=alpha)
        try:
            plac[outcome] = placebo_test(data, outcome, shift=shift, control_group="notyettreated",
                                         alpha=alpha, time_labels=labels, seed=seed)
        except ValueError as exc:
            notes["zh"].append(f"{outcome_label(outcome, 'zh')}：安慰剂检验无法进行（{exc}）。")
            notes["en"].append(f"{outcome_label(outcome, 'en')}: no placebo test ({exc}).")
        if power_reps:
            try:
                pw[outcome] = minimum_detectable_effect(data, outcome, reps=power_reps, seed=seed,
                                                        alpha=alpha)
            except ValueError as exc:
                notes["zh"].append(f"{outcome_label(outcome, 'zh')}：无法计算最小可检测效果（{exc}）。")
                notes["en"].append(f"{outcome_label(outcome, 'en')}: no minimum detectable effect ({exc}).")
        if its_court:
            try:
                its[outcome] = _its_for_court(panel, outcome, its_court, its_seasonality, alpha)
            except ValueError as exc:
                notes["zh"].append(f"{outcome_label(outcome, 'zh')}：无法做中断时间序列（{exc}）。")
                notes["en"].append(f"{outcome_label(outcome, 'en')}: no interrupted time series ({exc}).")
    timings["court-month panel comparisons"] = time.perf_counter() - clock
    # Notes on the design are logged; outcomes not estimated and checks that could not run
    # are warnings: they reach the log and the notebook, not only the notes.
    for i, (zh, en) in enumerate(zip(notes["zh"], notes["en"], strict=True)):
        if i < n_design_notes:
            logger.info(en)
        else:
            log.warn(logger, en, zh)
    if panel.always_treated:
        log.warn(logger, "courts with fast-track teams before the panel starts are left out: %s",
                 "面板开始前已组建速裁团队的法院未纳入比较：%s", "、".join(panel.always_treated))
    logger.info("fast-track study: %d recent filing cohorts (%d cases) dropped for a follow-up "
                "shorter than %d days", panel.n_dropped_periods, panel.n_dropped_cases,
                panel.horizon_days)
    return FastTrackStudy(panel=panel, control_group=control_group, cs=cs, cs_other=cs_other,
                          twfe=tw, placebo=plac, power=pw, its=its, its_court=its_court,
                          notes=notes, alpha=alpha, timings=timings, **case_parts)


def _case_level(cases: pd.DataFrame, courts: pd.DataFrame, panel: CourtPanel, *, unit: str,
                horizon_days: int, covariates: Sequence[str], randomization: bool, ri_draws: int,
                wild_bootstrap: bool, cs_outcomes: Sequence[str], cs_covariates: bool, honest: bool,
                honest_outcome: str | None, event_window: tuple[int, int], seed: int,
                alpha: float, timings: dict[str, float], notes: dict[str, list[str]]
                ) -> dict[str, Any]:
    """The headline part of the study (module docstring): sample, estimates, inference,
    Honest DiD, and the tidy rows with ``preferred`` set."""
    outcomes = [o for o in panel.outcomes if o in CASE_OUTCOMES]
    if not outcomes:
        return {}
    clock = time.perf_counter()
    sample = build_case_sample(cases, courts, unit=unit, horizon_days=horizon_days,
                               as_of=panel.as_of, outcomes=outcomes, covariates=covariates)
    timings["case-level sample"] = time.perf_counter() - clock
    data = sample.data
    usable = [o for o in outcomes if np.isfinite(data.outcomes[o]).any()]
    clock = time.perf_counter()
    main = staggered_effects(data, usable, estimator=hl.HEADLINE_ESTIMATOR, event_window=event_window,
                             randomization=randomization, ri_draws=ri_draws, seed=seed,
                             wild_bootstrap=wild_bootstrap, alpha=alpha,
                             headline=hl.HEADLINE_INFERENCE)
    timings["headline (imputation, inference)"] = time.perf_counter() - clock
    clock = time.perf_counter()
    cs_list = [o for o in usable if o in tuple(cs_outcomes)]
    comparison = (staggered_effects(data, cs_list, estimator="callaway_santanna",
                                    covariates=cs_covariates, event_window=event_window,
                                    randomization=False, alpha=alpha,
                                    base_period="universal") if cs_list else None)
    timings["case-level Callaway-Sant'Anna"] = time.perf_counter() - clock
    honest_res = None
    if honest and comparison is not None:
        target = honest_outcome or next((o for o in HONEST_OUTCOMES if o in comparison.effects), None)
        if target is not None and target not in comparison.effects:
            raise ValueError(f"honest_outcome {target!r} is not among the case-level "
                             f"Callaway-Sant'Anna outcomes {list(comparison.effects)}")
        if target is not None:
            clock = time.perf_counter()
            eff = comparison.effects[target]
            try:
                honest_res = honest_did(target, eff.names, eff.estimates,
                                        eff.covariances[hl.HEADLINE_INFERENCE],
                                        bin_size=3 if unit == "month" else 1, alpha=alpha)
            except ValueError as exc:
                notes["zh"].append(f"未做Honest DiD敏感性分析（{exc}）。")
                notes["en"].append(f"No Honest DiD sensitivity analysis ({exc}).")
            timings["Honest DiD"] = time.perf_counter() - clock
    rows = main.tidy()
    rows["preferred"] = (rows["term"] == "overall") & (rows["inference"] == hl.HEADLINE_INFERENCE)
    if comparison is not None:
        rows = pd.concat([rows, comparison.tidy().assign(preferred=False)], ignore_index=True)
    rows["time"] = None
    rows["group"] = None
    rows["unit"] = rows["outcome"].map(
        lambda o: "share" if o in hl.SHARE_OUTCOMES else ("days" if o == "rmst" else "log_days"))
    return {"sample": sample, "headline": main.effects,
            "cases_cs": comparison.effects if comparison is not None else {},
            "honest": honest_res, "tidy_case_rows": rows}


def pick_its_court(panel: CourtPanel) -> str | None:
    """A court for the interrupted time series when the user names none: the adopting court
    with the longest post-adoption series (earliest cohort; ties by name), or None."""
    cohorts = panel.cohorts()
    adopters = cohorts[(cohorts["cohort"] > 1)].sort_values(["cohort", "court"])
    return None if adopters.empty else str(adopters["court"].iloc[0])


def _its_for_court(panel: CourtPanel, outcome: str, court: str, seasonality: str,
                   alpha: float) -> EffectResult:
    series = panel.data[panel.data["court"] == court]
    if series.empty:
        raise ValueError(f"its_court {court!r} is not in the panel; courts: {', '.join(panel.courts)}")
    adoption = int(series["cohort"].iloc[0])
    if adoption == 0:
        raise ValueError(f"its_court {court!r} did not adopt fast-track teams within the panel")
    series = series.dropna(subset=[outcome])
    return interrupted_time_series(series, outcome, adoption=adoption, unit=panel.unit,
                                   seasonality=seasonality, court=court, alpha=alpha)


__all__ = ["EFFECT_COLUMNS", "OUTCOMES", "FastTrackStudy", "pick_its_court", "run_fast_track_study"]
