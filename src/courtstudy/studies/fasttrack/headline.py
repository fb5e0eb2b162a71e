"""The headline of the fast-track study: case-level estimates, their inference, and the words.

The headline estimate of each outcome is the imputation estimator (Borusyak-Jaravel-Spiess) on
case-level records with covariates known at filing, and its interval uses the variance with
both the cases' own noise and the court-month component (:mod:`courtstudy.studies.staggered`).
Why this one (docs/fasttrack_montecarlo.md): in the settings research offices have (a handful
of courts, one per adoption date) its 95% intervals cover the true effect 93-97% of the time and
its test rejects in no more than 7% of worlds without an effect, with and without court-by-month
shocks; clustering by court does not (too few courts), case-level variances alone do not when
court-months share shocks, and Callaway-Sant'Anna with one base month per cohort is four times
noisier. Randomisation inference over adoption dates is reported beside it: exact for the test
of no effect if adoption dates were as good as random, without any model of the shocks, but its
interval (constant effects) is wide when effects grow after adoption.

Every sentence here is computed from the estimates in front of it (no claim is hard-coded), and
a result is called significant only together with the inference it rests on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from courtstudy.core.text import interval_label
from courtstudy.studies.fasttrack.panel import OUTCOMES, outcome_label
from courtstudy.studies.staggered import INFERENCE_LABELS, OutcomeEffects

#: The headline estimator and inference (docs/fasttrack_montecarlo.md).
HEADLINE_ESTIMATOR = "imputation"
HEADLINE_INFERENCE = "court_month"
#: Outcomes measured as shares (reported in percentage points in words).
SHARE_OUTCOMES = frozenset({"closed_90", "closed_180", "appeal_rate", "reversal_remand_rate",
                            "mediation_withdrawal_rate"})

#: Below this many courts, a test's "significant" rests on the model of the court-month shocks
#: more than on the number of courts (cluster-robust inference needs some 30-50 clusters;
#: Cameron & Miller 2015), and a headline that calls a result significant says so.
FEW_COURTS = 30

INFERENCE_WORDS: dict[str, tuple[str, str]] = {
    "case": ("仅计案件层面抽样误差的Wald检验", "a Wald test with case-level variance only"),
    "court_month": ("计入案件与法院-月份两层波动的Wald检验",
                    "a Wald test whose variance adds the court-month component to the cases' own noise"),
    "unit_cluster": ("按法院聚类的Wald检验", "a Wald test clustered by court"),
    "randomization": ("在法院间重新分配实施日期的随机化推断",
                      "randomisation inference over the adoption dates"),
    "wild_bootstrap": ("按法院的野蛮聚类自助法（Webb权重）", "the wild cluster bootstrap by court (Webb weights)"),
}


def _fmt_effect(outcome: str, value: float, lang: str, digits: int = 3, signed: bool = True) -> str:
    if outcome in SHARE_OUTCOMES:
        pp = 100 * value
        text = f"{pp:+.1f}" if signed else f"{pp:.1f}"
        return text + ("个百分点" if lang == "zh" else " percentage points")
    if outcome == "rmst":
        text = f"{value:+.1f}" if signed else f"{value:.1f}"
        return text + ("天" if lang == "zh" else " days")
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _fmt_bound(outcome: str, value: float) -> str:
    if outcome in SHARE_OUTCOMES:
        return f"{100 * value:.1f}"
    if outcome == "rmst":
        return f"{value:.1f}"
    return f"{value:.3f}"


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"={p:.3f}"


def few_courts_caveat(n_courts: int, effects: dict[str, OutcomeEffects], alpha: float,
                      lang: str = "zh", inference: str = HEADLINE_INFERENCE) -> str:
    """The caveat the significant headlines carry when they rest on fewer than
    :data:`FEW_COURTS` courts, said once for all of them: the significance leans on the model
    of the court-month shocks, and whether randomisation inference over the adoption dates
    agrees, outcome by outcome. ``""`` when nothing is significant."""
    significant = [o for o, e in effects.items() if e.interval(inference, alpha)[2] < alpha]
    if not significant:
        return ""
    agree, disagree = [], []
    for outcome in significant:
        ri = effects[outcome].randomization
        if ri is not None and np.isfinite(ri.p_value):
            (agree if ri.p_value < alpha else disagree).append(outcome_label(outcome, lang))
    # the shorter list is the one named: "all but X" reads better than six names
    most = len(agree) > 2 and len(agree) > len(disagree)
    zh = lang == "zh"
    agreed, disagreed = ("、" if zh else ", ").join(agree), ("、" if zh else ", ").join(disagree)
    text = (f"本研究只有{n_courts}个法院，上述“显著”依赖于对法院-月份共同波动的建模，不能像法院很多时那样直接当作定论"
            if zh else f"This study has only {n_courts} courts, so the significance above leans on the model of "
            "the shocks that court-months share and is not settled as it would be with many courts")
    which = ((f"对除{disagreed}以外的各项", f"all but {disagreed}") if most and disagree
             else ("对上述各项", "each of them") if most
             else (f"对{agreed}", agreed) if agree else None)
    if which:
        text += (f"；不依赖该模型的随机化推断{which[0]}同样显著" if zh
                 else f"; randomisation inference, which needs no such model, is significant too for {which[1]}")
    if disagree:
        text += (f"；对{disagreed}随机化推断不显著，应谨慎解读" if zh
                 else f"; it is not for {disagreed}: read those with care")
    return text + ("。" if zh else ".")


def headline_basis(effects: dict[str, OutcomeEffects], alpha: float, lang: str = "zh",
                   inference: str = HEADLINE_INFERENCE, n_courts: int | None = None) -> str:
    """What the headlines' intervals and tests rest on, said once after them: the inference,
    and on fewer than :data:`FEW_COURTS` courts with a significant result the few-courts caveat
    (:func:`few_courts_caveat`)."""
    wz, we = INFERENCE_WORDS[inference]
    level = interval_label(alpha, lang)
    text = (f"以上{level}与p值依据{wz}，括号中另列{INFERENCE_WORDS['randomization'][0]}的p值。" if lang == "zh"
            else f"The {level}s and p-values above come from {we}; the p-value of "
                 f"{INFERENCE_WORDS['randomization'][1]} is given beside them.")
    if n_courts is not None and n_courts < FEW_COURTS:
        caveat = few_courts_caveat(n_courts, effects, alpha, lang, inference)
        if caveat:
            text += caveat if lang == "zh" else " " + caveat
    return text


def headline_sentence(outcome: str, eff: OutcomeEffects, alpha: float, lang: str = "zh",
                      inference: str = HEADLINE_INFERENCE) -> str:
    """One outcome's headline in words: the estimate, its interval, whether the test is
    significant with its p-value and the randomisation-inference p-value beside it; when not
    significant, the smallest effect the design could have detected. What the test rests on
    (and the few-courts caveat) is said once for all outcomes: :func:`headline_basis`."""
    low, high, p = eff.interval(inference, alpha)
    name = outcome_label(outcome, lang)
    level = interval_label(alpha, lang)
    sig = bool(p < alpha)
    unit_zh = "个百分点" if outcome in SHARE_OUTCOMES else ("天" if outcome == "rmst" else "")
    unit_en = " percentage points" if outcome in SHARE_OUTCOMES else (" days" if outcome == "rmst" else "")
    ri = eff.randomization
    ri_p = ri.p_value if ri is not None and np.isfinite(ri.p_value) else None
    a_pct = f"{100 * alpha:g}%"
    mde = eff.minimum_detectable_effect(inference, alpha)
    if lang == "zh":
        text = (f"{name}：组建速裁团队后平均变化{_fmt_effect(outcome, eff.estimate, 'zh')}"
                f"（{level}{_fmt_bound(outcome, low)}至{_fmt_bound(outcome, high)}{unit_zh}），"
                + (f"在{a_pct}水平上显著" if sig else f"在{a_pct}水平上不显著")
                + f"（p{_p(p)}" + (f"；随机化推断p{_p(ri_p)}" if ri_p is not None else "") + "）。")
        if not sig:
            text += (f"能以80%把握发现的最小效果约为±{_fmt_effect(outcome, mde, 'zh', signed=False)}，"
                     "不显著不等于没有效果。")
        return text
    text = (f"{name[:1].upper()}{name[1:]}: after fast-track teams began, an average change of "
            f"{_fmt_effect(outcome, eff.estimate, 'en')} ({level} {_fmt_bound(outcome, low)} to "
            f"{_fmt_bound(outcome, high)}{unit_en}), "
            + (f"significant at the {a_pct} level" if sig else f"not significant at the {a_pct} level")
            + f" (p{_p(p)}" + (f"; randomisation inference p{_p(ri_p)}" if ri_p is not None else "") + ").")
    if not sig:
        text += (f" The smallest effect this design detects with 80% power is about "
                 f"±{_fmt_effect(outcome, mde, 'en', signed=False)}: not significant is not the same as no effect.")
    return text


def montecarlo_reference() -> pd.DataFrame | None:
    """The headline's coverage and no-effect rejection rates from the Monte Carlo
    (``benchmarks/fasttrack_montecarlo.py table`` writes them beside this module), or None."""
    from importlib import resources

    path = resources.files("courtstudy.studies.fasttrack") / "reference" / "montecarlo_headline.csv"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def _montecarlo_words(lang: str, n_courts: int | None = None) -> str:
    """What the Monte Carlo says of the headline interval, for the simulated setting nearest to
    the user's number of courts (``n_courts``; the fewer courts on a tie): coverage and
    no-effect rejection over its scenarios, with and without court-month shocks."""
    table = montecarlo_reference()
    if table is None or table.empty:
        return ""
    if n_courts is not None:
        counts = sorted({int(c) for c in table["n_courts"]})
        nearest = min(counts, key=lambda c: (abs(c - n_courts), c))
        table = table[table["n_courts"] == nearest]
    lo, hi = 100 * table["coverage"].min(), 100 * table["coverage"].max()
    rej = 100 * table["null_rejection"].max()
    courts = sorted({int(c) for c in table["n_courts"]})
    reps = int(table["reps"].min())
    short = lo < 93 or rej > 7
    if lang == "zh":
        text = (f"在蒙特卡洛模拟中（{'、'.join(map(str, courts))}个法院、每个组建日期一个法院，有无法院-月份冲击，"
                f"每种情形至少{reps}次；见软件包的模拟说明文档），这种区间覆盖真实效果的比例为{lo:.1f}%至{hi:.1f}%，"
                f"没有效果时检验的拒绝率不超过{rej:.1f}%。")
        if short:
            text += "法院这么少时，这一区间可能偏窄，应同时参考随机化推断。"
        return text
    text = (f"In the Monte Carlo ({' and '.join(map(str, courts))} courts, one per adoption date, with "
            f"and without court-month shocks, at least {reps} replications each; "
            f"see the package's Monte Carlo documentation) these intervals cover the true effect {lo:.1f}-{hi:.1f}% "
            f"of the time and the test rejects in at most {rej:.1f}% of worlds without an effect.")
    if short:
        text += " With so few courts the interval can be too narrow: read it beside randomisation inference."
    return text


def design_note(sample, headline: dict[str, OutcomeEffects], lang: str = "zh",
                inference: str = HEADLINE_INFERENCE) -> str:
    """How many courts, adoption dates and cases the study rests on, which inference the
    headline leans on and why, with this data's numbers."""
    data = sample.data
    cohorts = data.cohort_table()
    adopters = cohorts[cohorts["cohort"] >= 0]
    n_courts = data.n_units
    n_never = int((cohorts["cohort"] < 0).sum())
    n_dates = data.n_cohorts()
    per_date = adopters.groupby("cohort").size()
    one_each = bool(len(per_date) and per_date.max() == 1)
    first = next(iter(headline.values()), None)
    ri = first.randomization if first is not None else None
    n_assign = ri.n_assignments if ri is not None else 0
    exact = ri.exact if ri is not None else False
    first_outcome = next(iter(headline), "")
    if lang == "zh":
        text = (f"本研究依据{n_courts}个法院的{data.n_cases}件一审民事案件：{len(adopters)}个法院在观察期内组建速裁团队，"
                f"分{n_dates}个组建日期" + ("（每个日期只有1个法院）" if one_each else
                                         f"（每个日期{per_date.min()}至{per_date.max()}个法院）")
                + f"，{n_never}个法院未组建。")
        text += (f"法院这么少时，按法院聚类的标准误不可靠：每个组建日期至多{per_date.max() if len(per_date) else 0}个法院，"
                 "难以估计组建法院自身的波动，标准误往往偏小、时大时小。因此，效果用每一件案件估计（插补法：用每个法院"
                 "组建前的全部月份和未组建法院推算“如果没有速裁团队”的结果），")
        if inference == "court_month":
            text += ("置信区间和检验计入两层波动：案件本身的随机性，以及同一法院同一时期所有案件共同受到的冲击"
                     "（如法官调离、检查前的集中清结）和法院自身的缓慢变化，后者由未组建法院-月份的残差估计")
            if first is not None:
                ratio = first.std_error(inference) / max(first.std_error("case"), 1e-300)
                text += (f"；以{outcome_label(first_outcome, 'zh')}为例，计入后标准误是仅计案件抽样误差时的"
                         f"{ratio:.1f}倍")
            text += "。" + _montecarlo_words("zh", n_courts)
        if ri is not None:
            text += (f"另作随机化推断：把观察到的组建日期在法院之间重新分配（{'全部' if exact else '随机抽取'}"
                     f"{n_assign}种分配），若组建日期近乎随机，该检验不依赖任何冲击模型且精确。")
        return text
    text = (f"This study rests on {data.n_cases} first-instance civil cases in {n_courts} courts: "
            f"{len(adopters)} adopted fast-track teams within the window, on {n_dates} different dates"
            + (" (one court per date)" if one_each else
               f" ({per_date.min()} to {per_date.max()} courts per date)")
            + f", and {n_never} did not.")
    text += (f" With so few courts, standard errors clustered by court are unreliable: with at most "
             f"{per_date.max() if len(per_date) else 0} court(s) per adoption date there is little to "
             "measure an adopting court's own noise with, so they run small and unstable. The effect is "
             "therefore estimated from every case (the imputation estimator: each court's every "
             "pre-adoption month and the courts without teams predict what would have happened "
             "without them), ")
    if inference == "court_month":
        text += ("and its interval and test count two layers of noise: the cases' own, and what all cases "
                 "of one court share in a period (shocks such as a judge leaving or a clearance drive "
                 "before an inspection, and the court's own slow drift), estimated from the untreated "
                 "court-months' residuals")
        if first is not None:
            ratio = first.std_error(inference) / max(first.std_error("case"), 1e-300)
            text += (f"; for {outcome_label(first_outcome, 'en')} this makes the standard error "
                     f"{ratio:.1f} times the case-level one")
        text += ". " + _montecarlo_words("en", n_courts)
    if ri is not None:
        text += (f" Beside it, randomisation inference reassigns the observed adoption dates across the "
                 f"courts ({'all' if exact else 'a random sample of'} {n_assign} reassignments): if the dates "
                 "were as good as random, that test is exact and needs no model of the shocks.")
    return text


def headline_table(headline: dict[str, OutcomeEffects], cases_cs: dict[str, OutcomeEffects],
                   alpha: float, lang: str = "zh", inference: str = HEADLINE_INFERENCE) -> pd.DataFrame:
    """Per outcome: the headline estimate with its interval and p-value, the other inference
    methods' p-values and intervals, the pre-trend test, the minimum detectable effect, and the
    case-level Callaway-Sant'Anna estimate beside it."""
    rows = []
    for outcome, eff in headline.items():
        low, high, p = eff.interval(inference, alpha)
        row: dict[str, Any] = {
            "outcome": outcome, "label": outcome_label(outcome, lang), "estimate": eff.estimate,
            "ci_low": low, "ci_high": high, "p_value": p, "inference": INFERENCE_LABELS[inference]}
        for other in ("case", "unit_cluster", "randomization", "wild_bootstrap"):
            lo, hi, pv = eff.interval(other, alpha)
            row[f"{other}_ci_low"], row[f"{other}_ci_high"], row[f"{other}_p"] = lo, hi, pv
        row["pretrend_p"] = eff.pretrend["p_value"]
        row["mde"] = eff.minimum_detectable_effect(inference, alpha)
        cs = cases_cs.get(outcome)
        if cs is not None:
            lo, hi, pv = cs.interval(inference, alpha)
            row.update(cs_estimate=cs.estimate, cs_ci_low=lo, cs_ci_high=hi, cs_p=pv)
        rows.append(row)
    return pd.DataFrame(rows)


def effect_unit(outcome: str) -> tuple[float, str, str]:
    """(factor, zh unit, en unit) that puts an effect on ``outcome`` in the unit the report's
    words use: shares in percentage points (x100), RMST in days, closings per judge in cases,
    mean log days as they are."""
    if outcome in SHARE_OUTCOMES:
        return 100.0, "百分点", "percentage points"
    if outcome == "rmst":
        return 1.0, "天", "days"
    if outcome == "per_judge_closed":
        return 1.0, "件", "cases"
    return 1.0, "对数天数", "log days"


def event_study_figure(outcome: str, eff: OutcomeEffects, alpha: float, lang: str = "zh",
                       inference: str = HEADLINE_INFERENCE, unit: str = "month") -> Any:
    """The headline estimator's event study: effects by periods since adoption (imputation)
    and the pre-adoption coefficients of the pre-trend test, with intervals, in the unit of the
    report's words (percentage points for shares)."""
    import matplotlib.pyplot as plt
    from scipy import stats as sps

    zh = lang == "zh"
    es = eff.event_study(inference)
    z = sps.norm.ppf(1 - alpha / 2)
    factor, unit_zh, unit_en = effect_unit(outcome)
    level = interval_label(alpha, lang)
    fig, ax = plt.subplots(figsize=(8, 4))
    for kind, color, label in (("lead", "tab:grey", f"组建前（事前趋势检验）及{level}" if zh
                                else f"before adoption (pre-trend test), {level}"),
                               ("event", "tab:blue", f"组建后（插补法）及{level}" if zh
                                else f"after adoption (imputation), {level}")):
        part = es[es["kind"] == kind]
        if part.empty:
            continue
        ax.errorbar(part["event_time"], factor * part["estimate"], yerr=z * factor * part["std_error"],
                    fmt="o", ms=3, capsize=2, color=color, label=label)
    ax.axhline(0, color="grey", lw=0.8, gid="baseline")
    ax.axvline(-0.5, color="grey", ls="--", lw=0.8, label="组建速裁团队" if zh else "fast-track team adopted")
    periods = ("月" if unit == "month" else "季度") if zh else ("Months" if unit == "month" else "Quarters")
    ax.set_xlabel(f"组建速裁团队后的{periods}数" if zh else f"{periods} since adoption")
    name = outcome_label(outcome, lang)
    # the title names the outcome; a y label repeating it runs past the axis on long names
    ax.set_ylabel(f"变化（{unit_zh}）" if zh else f"Change ({unit_en})")
    p = eff.pretrend.get("p_value", np.nan)
    title = f"{name}：组建前后的变化" if zh else f"{name[:1].upper()}{name[1:]}: change around adoption"
    if np.isfinite(p):
        title += (f"（事前系数联合检验 p={p:.3f}）" if zh else f" (joint pre-trend test p={p:.3f})")
    ax.set_title(title, fontsize=10)
    # below the axes: inside, the key covers estimates wherever the data leave no empty corner
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    fig.tight_layout()
    return fig


def comparison_table(outcome: str, headline: OutcomeEffects, cases_cs: OutcomeEffects | None,
                     panel_cs, twfe, alpha: float, lang: str = "zh") -> pd.DataFrame:
    """The headline beside the comparisons for one outcome (estimate and interval each)."""
    rows = []

    def add(name_zh: str, name_en: str, est: float, lo: float, hi: float) -> None:
        rows.append({"method": name_zh if lang == "zh" else name_en, "estimate": est,
                     "ci_low": lo, "ci_high": hi})

    lo, hi, _ = headline.interval(HEADLINE_INFERENCE, alpha)
    add("插补法（案件层面，主结果）", "imputation, case level (headline)", headline.estimate, lo, hi)
    if cases_cs is not None:
        lo, hi, _ = cases_cs.interval(HEADLINE_INFERENCE, alpha)
        add("Callaway-Sant'Anna（案件层面）", "Callaway-Sant'Anna, case level", cases_cs.estimate, lo, hi)
    if panel_cs is not None:
        t = panel_cs.tidy()
        r = t[(t["aggregation"] == "simple") & (t["term"] == "overall")].iloc[0]
        add("Callaway-Sant'Anna（法院-月面板）", "Callaway-Sant'Anna, court-month panel",
            r["estimate"], r["ci_low"], r["ci_high"])
    if twfe is not None:
        r = twfe.tidy().iloc[0]
        add("双向固定效应（法院-月面板，可能有偏）", "TWFE, court-month panel (can be biased)",
            r["estimate"], r["ci_low"], r["ci_high"])
    return pd.DataFrame(rows)


__all__ = ["HEADLINE_ESTIMATOR", "HEADLINE_INFERENCE", "OUTCOMES", "comparison_table",
           "design_note", "event_study_figure", "headline_basis", "headline_sentence", "headline_table"]
