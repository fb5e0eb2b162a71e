"""The fast-track team study (速裁团队) end to end: panel, Callaway-Sant'Anna, TWFE beside it,
pre-trend test, placebo, power and, for a court the user names, an interrupted time series.

:func:`run_fast_track_study` returns a :class:`FastTrackStudy` whose :meth:`~FastTrackStudy.tidy`
is the ``fast_track_effects`` table (one row per estimate) and whose :meth:`~FastTrackStudy.summary`
states the findings in Chinese or English for a court's leadership.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from courtstudy.core import log
from courtstudy.core.text import interval_label, language
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

#: Columns of the ``fast_track_effects`` table.
EFFECT_COLUMNS: tuple[str, ...] = ("outcome", "method", "control_group", "aggregation", "term",
                                   "group", "time", "event_time", "estimate", "std_error",
                                   "ci_low", "ci_high", "p_value", "n_treated", "n_control", "n")

logger = logging.getLogger(__name__)

_EVENT_WINDOW = {"month": (-12, 24), "quarter": (-4, 8)}
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
        for col in EFFECT_COLUMNS:
            if col not in table.columns:
                table[col] = np.nan
        table["control_group"] = table["control_group"].fillna("")
        return study_tidy(table)

    def figures(self, lang: str | None = None) -> dict[str, Any]:
        """The study's figures by name (``fasttrack_event_study_<outcome>``,
        ``fasttrack_cs_vs_twfe``, ``fasttrack_its_<outcome>``)."""
        lang = lang or self.lang or language()
        out = {self.figure_name("event_study", o): self.event_study_figure(o, lang) for o in self.cs}
        out[self.figure_name("cs_vs_twfe")] = self.comparison_figure(lang)
        out.update({self.figure_name("its", o): self.its_figure(o, lang) for o in self.its})
        return out

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
        """Findings in words for a court's leadership, outcome by outcome."""
        lines = [self.panel.describe(lang)]
        for _, r in self.overall(lang).iterrows():
            name = outcome_label(r["outcome"], lang)
            sig = r["cs_p_value"] < 0.05
            if lang == "zh":
                text = (f"{name}：组建速裁团队后平均变化{r['cs_estimate']:+.{digits}f}"
                        f"（{interval_label(self.alpha, 'zh')}{r['cs_ci_low']:.{digits}f}至{r['cs_ci_high']:.{digits}f}，"
                        + ("统计上显著" if sig else "统计上不显著") + "）")
                if np.isfinite(r["twfe_estimate"]):
                    text += f"；双向固定效应给出{r['twfe_estimate']:+.{digits}f}，可能有偏，仅供对照"
                if np.isfinite(r["pretrend_p_value"]):
                    text += (f"；组建前趋势检验p={r['pretrend_p_value']:.2f}"
                             + ("，组建前已有差异，需谨慎解读" if r["pretrend_p_value"] < 0.05 else ""))
                if np.isfinite(r["placebo_permutation_p"]):
                    text += (f"；安慰剂检验（置换）p={r['placebo_permutation_p']:.2f}"
                             + ("（安慰剂也显著，结论需谨慎）" if r["placebo_permutation_p"] < 0.05 else ""))
                if np.isfinite(r["mde"]) and not sig:
                    text += f"；本设计能可靠发现的最小效果约±{r['mde']:.{digits}f}，不显著不等于没有效果"
                text += "。"
            else:
                text = (f"{name}: after fast-track teams began, an average change of "
                        f"{r['cs_estimate']:+.{digits}f} ({interval_label(self.alpha, 'en')} {r['cs_ci_low']:.{digits}f} to "
                        f"{r['cs_ci_high']:.{digits}f}, " + ("significant" if sig else "not significant")
                        + ")")
                if np.isfinite(r["twfe_estimate"]):
                    text += f"; two-way fixed effects gives {r['twfe_estimate']:+.{digits}f}, which can be biased"
                if np.isfinite(r["pretrend_p_value"]):
                    text += (f"; pre-trend test p={r['pretrend_p_value']:.2f}"
                             + (" (courts already differed before adoption: read with care)"
                                if r["pretrend_p_value"] < 0.05 else ""))
                if np.isfinite(r["placebo_permutation_p"]):
                    text += (f"; placebo (permutation) p={r['placebo_permutation_p']:.2f}"
                             + (" (the placebo finds an effect too: read with care)"
                                if r["placebo_permutation_p"] < 0.05 else ""))
                if np.isfinite(r["mde"]) and not sig:
                    text += (f"; the smallest effect this design detects reliably is about "
                             f"±{r['mde']:.{digits}f}: not significant is not the same as no effect")
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
        """The minimum detectable effect of every outcome, in words."""
        return "\n".join(p.summary(lang) for p in self.power.values())

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
        """Event study of ``outcome``: Callaway-Sant'Anna by periods since adoption (reference
        period -1 marked), with the placebo's dynamic estimates when there are any."""
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

    def comparison_figure(self, lang: str = "zh") -> Any:
        """Callaway-Sant'Anna simple ATT beside TWFE, per outcome (intervals at ``alpha``)."""
        import matplotlib.pyplot as plt

        table = self.overall(lang)
        n_cols = min(4, len(table))
        n_rows = -(-len(table) // n_cols)
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.6 * n_cols, 2.8 * n_rows), squeeze=False)
        for ax in axes.flat[len(table):]:
            ax.set_visible(False)
        for ax, (_, r) in zip(axes.flat, table.iterrows(), strict=False):
            ax.errorbar([0], [r["cs_estimate"]], yerr=[[r["cs_estimate"] - r["cs_ci_low"]],
                                                        [r["cs_ci_high"] - r["cs_estimate"]]],
                        fmt="o", capsize=3, color="tab:blue")
            ax.errorbar([1], [r["twfe_estimate"]], yerr=[[r["twfe_estimate"] - r["twfe_ci_low"]],
                                                          [r["twfe_ci_high"] - r["twfe_estimate"]]],
                        fmt="s", capsize=3, color="tab:grey")
            ax.axhline(0, color="grey", lw=0.8)
            ax.set_xticks([0, 1], ["CS", "TWFE"])
            ax.set_xlim(-0.6, 1.6)
            ax.set_title(outcome_label(r["outcome"], lang), fontsize=9)
        fig.tight_layout()
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
    power_reps: int = 500,
    its_court: str | None = None,
    its_seasonality: str = "month",
    twfe_compare: bool = True,
    alpha: float = 0.05,
) -> FastTrackStudy:
    """Run the fast-track team study on canonical cases and the courts table.

    Builds the panel (:func:`~courtstudy.studies.fasttrack.panel.build_court_panel`), then per outcome:
    Callaway-Sant'Anna with ``control_group`` (and the other control group too when
    ``other_control_group`` and it is feasible: the never-treated comparison needs at least
    five never-treated courts), a universal base period so the event study has its reference at
    -1, event times limited to ``event_window`` (default -12..24 months / -4..8 quarters); TWFE
    beside it; the placebo with dates ``placebo_shift`` periods early (default 6 months / 2
    quarters); the minimum detectable effect from ``power_reps`` placebo adoptions (0 = skip); and
    the interrupted time series of ``its_court`` when given (``"auto"``: see
    :func:`pick_its_court`).
    """
    panel = build_court_panel(cases, courts, unit=unit, horizon_days=horizon_days, as_of=as_of,
                              outcomes=outcomes)
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
                          notes=notes, alpha=alpha)


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
