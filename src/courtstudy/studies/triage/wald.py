"""The rollout design of the triage study: intention to treat, first stage and Wald-DiD.

On the rollout sample (:mod:`courtstudy.studies.triage.rollout`) and with the shared case-level
staggered difference-in-differences machinery (:mod:`courtstudy.studies.staggered`, imputation
estimator of Borusyak, Jaravel & Spiess; every untreated case of every court-month informs the
counterfactual):

* **ITT** (``rollout_itt``): the effect on an outcome of a court starting triage, averaged over
  the cases filed after the start (whatever track they got);
* **first stage** (``rollout_first_stage``): the same effect on ``routed`` (``track ==
  "simple"``), i.e. the change in the share of those cases routed simple;
* **Wald-DiD** (``rollout_wald``): ITT / first stage on the same cases, the effect of routing on
  the routed cases against a world with no triage (de Chaisemartin & D'Haultfœuille 2018). Its
  standard error accounts for both: the ratio's linearisation is the estimator applied to
  ``Y - ratio * routed`` divided by the first stage (joint linear weights of the two effects,
  :func:`courtstudy.studies.staggered.wald_ratio`), with a case-level variance and one adding
  court-month shocks; and a randomisation interval over start dates that inverts no-effect tests
  of ``Y - r0 * routed`` (Anderson-Rubin: valid whatever the strength of the first stage).
  Which one the headline uses (``inference``) is the one whose coverage
  docs/triage_montecarlo.md shows.

The Wald estimand: with one-sided take-up (no case is routed before its court starts), the ratio is
``sum D_i tau_i / sum D_i`` over the cases filed after the start, the average effect of routing
on the routed cases, *if* (1) outcomes of starting and not-yet-starting courts would have moved
in parallel (parallel trends), and (2) starting triage changes a case only by routing it: cases
left complex are unaffected (exclusion restriction). Neither assumption involves how the 分流员
chooses cases, which is what the like-for-like comparison needs.

**Appeals through small claims.** A routed case heard under small claims cannot be appealed
(一审终审). The appeal effect is split into that channel and the rest: ``Z_i = small_claims_i x
a(X_i)``, the appeals small claims rule out, with ``a(X)`` the probability that a routed case
closed under another procedure is appealed (logistic model on cause, claim amount and parties,
fitted on routed non-small-claims closings after the start; its disposition mix, triage's effect
on settlement included, is in it; its estimation noise is added to the standard errors by the
delta method); small-claims channel = ``-Wald(Z)`` = ``-E[(SC(routed) -
SC(no triage)) a(X)]`` per routed case, other channels = ``Wald(appealed + Z)`` (they add up to
the total). The split rests, beyond the design, on that appeal model: the cases moved into small
claims would have been appealed as often as routed cases with the same filing characteristics
heard under the other procedures (procedure given routing chosen on recorded characteristics).

**What can be tested** (:func:`run_rollout` puts them in ``diagnostics``):

* pre-trends: the imputation model's pre-period coefficients (BJS test 1) per outcome;
* composition: the rollout's "effect" on characteristics known at filing (claim amount,
  parties, cause shares) should be zero: triage must not change which cases are filed;
* the exclusion restriction, in part: cases that would be complex under any regime (predicted
  probability of being routed simple below ``always_complex_below``, from a routing model on
  recorded characteristics fitted after the starts) should show no effect beyond what the few of
  them that were routed carry: ``delta = ITT_g(Y - Wald * routed) / (1 - FS_g)``. The bound
  (:func:`courtstudy.studies.triage.headline.exclusion_bound`) then lets the cases left complex
  carry a direct effect as large as the test allows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.special import expit

from courtstudy.core import log, text
from courtstudy.studies.results import EffectResult, estimate_row
from courtstudy.studies.staggered import (
    StaggeredData,
    prepare_staggered_data,
    staggered_effects,
    wald_ratio,
)
from courtstudy.studies.triage.headline import exclusion_bound
from courtstudy.studies.triage.propensity import add_intercept, fit_propensity
from courtstudy.studies.triage.rollout import ROLES, RolloutSample
from courtstudy.studies.triage.sample import COVARIATE_LABELS, covariate_design, outcome_label

logger = logging.getLogger(__name__)

#: Inference of the headline interval: "court_month_t" (delta method, case + court-month
#: variance, parametric bootstrap-t critical value), "court_month" (the same variance, normal
#: critical value), "case" (delta method, case-level variance) or "randomization" (over start dates).
INFERENCES: tuple[str, ...] = ("case", "court_month", "court_month_t", "randomization")
#: The default headline inference (see docs/triage_montecarlo.md for its coverage).
HEADLINE_INFERENCE = "court_month_t"
#: Columns of the rollout's data known at filing, for the imputation model and the composition test.
FILING_COVARIATES: tuple[str, ...] = ("cause", "log_claim", "n_parties")
ALWAYS_COMPLEX_BELOW = 0.10
#: Parametric bootstrap draws of the court_month_t interval: its critical value varies between
#: bootstrap seeds by 2-4% at this many draws (sd 0.04-0.10 on two simulated court sets), twice
#: that at 500.
BOOTSTRAP_DRAWS = 1999
UNITS = {"binary": "risk_difference", "continuous": "days"}


@dataclass
class RolloutResult:
    """The rollout design on one rollout sample: ``result`` (tidy rows: ITT, first stage, Wald
    under each inference, the appeal split, event studies, the did_multiplegt cross-check) and
    ``diagnostics`` (pre-trends, composition, exclusion test and bounds, inference notes)."""

    sample: RolloutSample
    result: EffectResult
    inference: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    alpha: float = 0.05

    def tidy(self) -> pd.DataFrame:
        return self.result.tidy()

    def headline(self) -> pd.DataFrame:
        """The Wald row of each outcome under the headline inference."""
        rows = self.tidy()
        return rows[(rows["method"] == "rollout_wald") & (rows["inference"] == self.inference)
                    & (rows["term"] == "overall")].reset_index(drop=True)

    def used_cases(self, outcome: str) -> np.ndarray:
        """Mask over the sample's rows of the treated cases the estimate of ``outcome`` averages
        over (filed after the start, in a court and month the imputation model can impute)."""
        return self.diagnostics["used"][outcome]

    # --- reader-facing text ---------------------------------------------------------------
    def design_statement(self, lang: str = "zh") -> str:
        """What the design rests on: courts, start dates and the inference, from the data."""
        info = self.diagnostics["design"]
        how = INFERENCE_TEXT[self.inference][0 if lang == "zh" else 1]
        if lang == "zh":
            return (f"按实施时间比较依据 {info['starting']} 个在数据期内开始分流的法院（{info['cohorts']} 个不同的开始月份）"
                    f"和 {info['comparison']} 个对照法院（从未或数据期内尚未开始），共 {info['cases']:,} 件案件，"
                    f"其中开始后立案 {info['after']:,} 件。法院这么少时，按法院聚类的标准误不可靠；区间{how}。")
        return (f"The rollout comparison rests on {info['starting']} court(s) starting triage within the data "
                f"({info['cohorts']} distinct start months) and {info['comparison']} comparison court(s) (never or not "
                f"yet starting): {info['cases']:,} cases, {info['after']:,} filed after a start. With so few courts, "
                f"court-clustered standard errors are unreliable; the intervals {how}.")

    def findings(self, lang: str = "zh") -> list[str]:
        """One sentence per outcome: ITT, first stage and the effect on routed cases."""
        out = []
        rows = self.tidy().set_index(["outcome", "method", "inference", "term"])
        level = text.interval_label(self.alpha, lang)
        for r in self.headline().itertuples(index=False):
            s, zh, en = _scale(r.unit)
            itt = rows.loc[(r.outcome, "rollout_itt", inference_or_cm(self.inference), "overall")]
            fs = rows.loc[(r.outcome, "rollout_first_stage", "court_month", "overall")]
            label = outcome_label(r.outcome, lang)
            sure = r.ci_low > 0 or r.ci_high < 0
            if lang == "zh":
                out.append(f"{label}：法院开始分流后，全部案件平均{_dir_zh(itt['estimate'])} {abs(itt['estimate'] * s):.2f} {zh}"
                           f"（意向处理效应），分流为简案的比例提高 {fs['estimate'] * 100:.1f} 个百分点；折算到被分流的案件，"
                           f"分流使其{_dir_zh(r.estimate)} {abs(r.estimate * s):.2f} {zh}（{level} {r.ci_low * s:.2f} 至 "
                           f"{r.ci_high * s:.2f}）" + ("。" if sure else "，区间包含 0，不能排除没有影响。"))
            else:
                out.append(f"{label}: after a court started triage its cases moved by {itt['estimate'] * s:+.2f} {en} on "
                           f"average (intention to treat) while the share routed simple rose by {fs['estimate'] * 100:.1f} percentage "
                           f"points; per "
                           f"routed case, routing changed it by {r.estimate * s:+.2f} {en} ({level} {r.ci_low * s:.2f} to "
                           f"{r.ci_high * s:.2f})" + ("." if sure else "; the interval includes 0, so no effect cannot be "
                                                      "ruled out."))
        return out

    def appeal_split_statement(self, lang: str = "zh") -> str:
        """The appeal effect split into the small-claims channel and the rest (or why not)."""
        split = self.diagnostics.get("appeal_split")
        if not split:
            reason = self.diagnostics.get("appeal_split_skipped", {"zh": "", "en": ""})
            return text.pick(f"上诉效应未拆分：{reason['zh']}", f"The appeal effect is not split: {reason['en']}", lang)
        level = text.interval_label(self.alpha, lang)
        t, c, o = split["total"], split["small_claims_channel"], split["other_channels"]
        if lang == "zh":
            return (f"上诉：对被分流的案件，分流使上诉率变化 {t['estimate'] * 100:+.2f} 个百分点，其中小额诉讼一审终审"
                    f"（不能上诉）这一机械渠道 {c['estimate'] * 100:+.2f} 个百分点（{level} {c['ci_low'] * 100:.2f} 至 "
                    f"{c['ci_high'] * 100:.2f}），其余渠道 {o['estimate'] * 100:+.2f} 个百分点（{o['ci_low'] * 100:.2f} 至 "
                    f"{o['ci_high'] * 100:.2f}）。每分流一件简案，适用小额诉讼的案件增加 {split['small_claims_per_routed']:.2f} 件"
                    "；拆分另假设小额诉讼案件若适用其他程序，其上诉概率与立案信息相同的其他简案相同。")
        return (f"Appeals: per routed case, routing changed the appeal rate by {t['estimate'] * 100:+.2f} percentage points: "
                f"{c['estimate'] * 100:+.2f} through small claims' finality (no appeal; {level} {c['ci_low'] * 100:.2f} to "
                f"{c['ci_high'] * 100:.2f}) and {o['estimate'] * 100:+.2f} through everything else ({o['ci_low'] * 100:.2f} to "
                f"{o['ci_high'] * 100:.2f}). Each case routed simple added {split['small_claims_per_routed']:.2f} cases "
                "heard under small claims; the split also assumes a small-claims case would have been appealed under another procedure as "
                "often as routed cases with the same filing characteristics.")

    def assumption_statements(self, lang: str = "zh") -> list[str]:
        """The assumptions in plain words, each followed by what the data say about it."""
        out = []
        pre = self.diagnostics.get("pretrend", pd.DataFrame())
        if len(pre):
            bad = pre[pre["p_value"] < 0.05]
            names = [outcome_label(o, lang) for o in bad["outcome"]]
            if lang == "zh":
                out.append("平行趋势：如果不实施分流，开始分流的法院与对照法院的结果会同步变化。检验开始前各月的差异："
                           + (f"{'、'.join(names)}在开始前已有显著差异（p < 0.05），这些结果的估计需谨慎。" if len(bad)
                              else f"{len(pre)} 项结果开始前均无显著差异（最小 p = {pre['p_value'].min():.2f}）。"
                              "这只说明数据没有发现违背，不能证明假设成立。"))
            else:
                out.append("Parallel trends: without triage, starting and comparison courts would have moved alike. Test "
                           "of the months before the start: "
                           + (f"{', '.join(names)} already differed before the start (p < 0.05): read them with care."
                              if len(bad) else f"no outcome differs before the start (smallest p = "
                              f"{pre['p_value'].min():.2f}); the data show no violation, which does not prove the "
                              "assumption."))
        comp = self.diagnostics.get("composition", pd.DataFrame())
        if len(comp):
            bad = comp[comp["p_value"] < 0.05 / len(comp)]
            if lang == "zh":
                out.append("案件构成不变：开始分流不应改变起诉到法院的是哪些案件。" + (
                    f"开始后{'、'.join(bad['label_zh'])}发生了显著变化（经多重比较校正），案件构成可能改变。" if len(bad)
                    else f"立案时已知的 {len(comp)} 项特征（标的额、当事人数、主要案由占比）在开始前后均无显著变化。"))
            else:
                out.append("Stable case mix: starting triage should not change which cases are filed. " + (
                    f"After the start {', '.join(bad['label_en'])} changed significantly (multiple-testing corrected)."
                    if len(bad) else f"None of {len(comp)} characteristics known at filing (claim amount, parties, "
                    "main cause shares) changed significantly."))
        excl = self.diagnostics.get("exclusion", pd.DataFrame())
        if len(excl):
            grp = self.diagnostics["always_complex"]
            bad = excl[excl["p_value"] < 0.05]
            names = [outcome_label(o, lang) for o in bad["outcome"]]
            if lang == "zh":
                out.append(f"排除性约束：开始分流只通过把案件分为简案影响结果，留在繁案的案件不受影响。可部分检验：按立案信息"
                           f"几乎不会被分为简案的案件（{grp['cases']:,} 件，开始后实际分为简案的只有 {grp['routed_share']:.1%}）"
                           + (f"在{'、'.join(names)}上出现了显著变化，排除性约束可能不成立，见下面的界。" if len(bad)
                              else "在各项结果上均无显著变化。") + "下表给出允许留在繁案的案件也受影响（幅度不超过该检验所容许的范围）时，"
                           "对被分流案件效应的界。")
            else:
                out.append("Exclusion: starting triage acts only by routing cases simple; cases left complex are unaffected. "
                           f"Testable in part: cases that would be complex under any regime ({grp['cases']:,} cases whose "
                           f"filing characteristics make routing unlikely; {grp['routed_share']:.1%} of them were routed after "
                           "the start) " + (f"changed significantly in {', '.join(names)}: the restriction may fail, see the "
                                            "bounds." if len(bad) else "show no significant change in any outcome. ")
                           + "The table bounds the effect on routed cases when cases left complex may themselves be "
                             "affected by as much as that test allows.")
        return out

    def bound_statements(self, lang: str = "zh") -> list[str]:
        """Per outcome: the bound when cases left complex may be affected, and the direct effect
        on them that would explain the whole estimate away."""
        bounds = self.diagnostics.get("bounds", pd.DataFrame())
        out = []
        for r in bounds.itertuples(index=False):
            s, zh, en = _scale(r.unit)
            label = outcome_label(r.outcome, lang)
            if lang == "zh":
                out.append(f"{label}：若留在繁案的案件本身变化不超过 {r.delta * s:.2f} {zh}，被分流案件的效应在 "
                           f"{r.ci_low * s:.2f} 至 {r.ci_high * s:.2f} {zh} 之间；留在繁案的案件平均需变化 {r.breakdown * s:+.2f} {zh}，"
                           "才能把估计值完全解释掉。")
            else:
                out.append(f"{label}: if cases left complex moved by at most {r.delta * s:.2f} {en} themselves, the effect on "
                           f"routed cases lies between {r.ci_low * s:.2f} and {r.ci_high * s:.2f} {en}; cases left complex "
                           f"would have to move by {r.breakdown * s:+.2f} {en} on average to explain the estimate away.")
        return out

    def crosscheck_statements(self, lang: str = "zh") -> list[str]:
        """did_multiplegt against the headline, per outcome: whether the Wald estimate lies in
        did_multiplegt's interval (its interval is court-clustered: wide and, with few courts,
        of unproven coverage)."""
        rows = self.tidy()
        cc = rows[rows["method"] == "did_multiplegt"].set_index("outcome")
        out = []
        for r in self.headline().itertuples(index=False):
            if r.outcome not in cc.index:
                continue
            c = cc.loc[r.outcome]
            s, zh, en = _scale(r.unit)
            inside = c["ci_low"] <= r.estimate <= c["ci_high"]
            label = outcome_label(r.outcome, lang)
            out.append(text.pick(
                f"{label}：非二元处理的双重差分（以各院每月分为简案的比例为处理强度）估计为 {c['estimate'] * s:.2f} {zh}"
                f"（{c['ci_low'] * s:.2f} 至 {c['ci_high'] * s:.2f}），按实施时间比较的估计 {r.estimate * s:.2f} {zh}"
                + ("在此区间内。" if inside else "不在此区间内，两种估计不一致。"),
                f"{label}: difference-in-differences with a non-binary treatment (de Chaisemartin and "
                f"D'Haultfœuille; the monthly share routed simple as the treatment's intensity) gives "
                f"{c['estimate'] * s:.2f} {en} ({c['ci_low'] * s:.2f} to {c['ci_high'] * s:.2f}); the rollout estimate "
                f"{r.estimate * s:.2f} {en} is " + ("inside that interval." if inside else "outside it: the two disagree."),
                lang))
        return out

    def courts_table(self, lang: str = "zh") -> pd.DataFrame:
        """The courts of the design: role, start, cases before and after, share routed after."""
        c = self.sample.courts.copy()
        i = 0 if lang == "zh" else 1
        c["role"] = c["role"].map(lambda r: ROLES[r][i])
        c["start"] = c["start"].dt.strftime("%Y-%m-%d").fillna("—")
        c = c[["court", "role", "start", "before", "after", "routed_share_after"]]
        c.columns = (["法院", "角色", "开始分流日期", "开始前案件", "开始后案件", "开始后分为简案比例"] if lang == "zh"
                     else ["court", "role", "triage start", "cases before", "cases after", "share routed after"])
        return c

    def plot_event_study(self, outcome: str, ax=None, lang: str = "zh"):
        """The ITT by months since the start (pre-period coefficients left of the line) and the
        first stage on a second axis."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        es = self.diagnostics["event_study"].get(outcome)
        fs = self.diagnostics["event_study"].get(f"routed__{outcome}")
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        unit = UNITS.get(self.sample.outcomes[outcome].kind, "days")
        s = 100.0 if unit == "risk_difference" else 1.0
        z = sps.norm.ppf(1 - self.alpha / 2)
        ax.errorbar(es["event_time"], es["estimate"] * s, yerr=z * es["std_error"] * s, fmt="o", capsize=2,
                    color="#0173b2", label=text.pick("意向处理效应（左轴）", "intention to treat (left axis)", lang))
        ax.axhline(0, color="grey", lw=0.8, gid="baseline")
        ax.axvline(-0.5, color="grey", ls="--", lw=0.8, label=text.pick("开始分流", "start of triage", lang))
        ax.figure.suptitle(text.pick(f"{outcome_label(outcome, 'zh')}：开始分流前后各月的效果",
                                     f"{outcome_label(outcome, 'en')}: effect by month around the start of triage", lang))
        ax.set_xlabel(text.pick("距开始分流的月数", "months since the start of triage", lang))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # event time counts whole months
        # the title names the outcome (whose label may carry its own unit): the axis says only the unit
        ax.set_ylabel(text.pick(f"变化（{'百分点' if s == 100 else '天'}）",
                                f"Change ({'percentage points' if s == 100 else 'days'})", lang))
        if fs is not None and len(fs):
            ax2 = ax.twinx()
            ax2.grid(False)  # one grid, the left axis's: two unaligned grids read as clutter
            post = fs[fs["event_time"] >= 0]
            ax2.plot(post["event_time"], post["estimate"], color="#de8f05", lw=1.5,
                     label=text.pick("分为简案的比例（右轴）", "share routed simple (right axis)", lang))
            ax2.set_ylim(0, 1)
            ax2.set_ylabel(text.pick("分为简案的比例（0 至 1）", "Share routed simple (0 to 1)", lang))
            ax2.set_xlabel(ax.get_xlabel())
            lines = ax.get_legend_handles_labels()
            lines2 = ax2.get_legend_handles_labels()
            handles, labels = lines[0] + lines2[0], lines[1] + lines2[1]
        else:
            handles, labels = ax.get_legend_handles_labels()
        # below the axes, as in the fast-track figures: inside, it covered the earliest months' bars
        ax.legend(handles, labels, frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3)
        return ax


INFERENCE_TEXT: dict[str, tuple[str, str]] = {
    "case": ("采用案件层面的方差（每件案件视为独立观测）", "use the case-level variance (cases as independent draws)"),
    "court_month": ("采用案件层面方差加上法院-月份共同冲击（由未实施的法院-月份估计）",
                    "add court-month shocks (estimated from untreated court-months) to the case-level variance"),
    "court_month_t": ("采用案件层面方差加上法院-月份共同冲击（由未实施的法院-月份估计），临界值由参数自助法模拟"
                      "（法院少时冲击方差估计不准，正态临界值不再适用）",
                      "add court-month shocks (estimated from untreated court-months) to the case-level variance, "
                      "with a critical value simulated by parametric bootstrap (with so few courts the shock variance "
                      "is itself uncertain, so 1.96 no longer applies)"),
    "randomization": ("来自对开始日期的随机化推断（把实际的开始日期在法院之间重新分配）",
                      "come from randomisation inference over start dates (the observed dates reassigned across courts)"),
}


def _scale(unit: str) -> tuple[float, str, str]:
    return (100.0, "个百分点", "percentage points") if unit == "risk_difference" else (1.0, "天", "days")


def _dir_zh(value: float) -> str:
    return "增加" if value > 0 else "减少"


def rollout_data(sample: RolloutSample, extra: dict[str, np.ndarray] | None = None,
                 covariates: Sequence[str] = FILING_COVARIATES) -> StaggeredData:
    """The rollout sample as :class:`~courtstudy.studies.staggered.StaggeredData` (monthly
    cells, every outcome, ``routed`` and ``extra`` columns; covariates known at filing)."""
    frame = sample.frame[["court", "filed_date"]].copy()
    for name, out in sample.outcomes.items():
        frame[name] = np.where(out.mask, out.values, np.nan)
    frame["routed"] = sample.routed
    for name, values in (extra or {}).items():
        frame[name] = values
    covs = []
    for c in covariates:
        if c == "log_claim" and "claim_amount" in sample.frame:
            frame["log_claim"] = np.log1p(pd.to_numeric(sample.frame["claim_amount"], errors="coerce").clip(lower=0))
            covs.append(c)
        elif c in sample.frame.columns:
            frame[c] = sample.frame[c]
            covs.append(c)
    starts = sample.courts.set_index("court")["start"]
    outcomes = [c for c in frame.columns if c not in ("court", "filed_date", *covs)]
    return prepare_staggered_data(frame, unit="court", time="filed_date", adoption=starts, outcomes=outcomes,
                                  covariates=covs, period="month")


def _masked(data: StaggeredData, values: np.ndarray, like: str) -> np.ndarray:
    """``values`` (aligned with the data's cases) where outcome ``like`` is observed, else NaN."""
    return np.where(np.isfinite(data.outcomes[like]), values, np.nan)


def imputable_treated(sample: RolloutSample, mask: np.ndarray) -> np.ndarray:
    """Cases filed after their court's start whose court and month both have untreated cases
    among ``mask`` (the treated cases the imputation estimator can use)."""
    f = sample.frame
    started = sample.started
    untreated = mask & ~started
    courts_ok = set(f.loc[untreated, "court"])
    months_ok = set(f.loc[untreated, "month"])
    return mask & started & f["court"].isin(courts_ok).to_numpy() & f["month"].isin(months_ok).to_numpy()


@dataclass(frozen=True)
class _AppealModel:
    """The fitted appeal model: probability per case, its design (intercept first) and the
    coefficients' covariance (``hessian_inv / n``)."""

    probability: np.ndarray
    design: np.ndarray
    covariance: np.ndarray


def _appeal_model(sample: RolloutSample) -> tuple[_AppealModel | None, dict[str, str] | None]:
    """Probability that a routed case closed under a procedure other than small claims is
    appealed (whatever its disposition: triage's effect on settlement is in it), for every case
    of the sample, from cause, claim amount and parties (not the court: comparison courts route
    no case); or why it cannot be fitted."""
    if "appealed" not in sample.outcomes:
        return None, {"zh": "研究结果中没有上诉。", "en": "appeals are not among the outcomes."}
    if sample.frame["small_claims"].sum() == 0 or not sample.frame["appealable"].any():
        return None, {"zh": "数据中没有适用小额诉讼的案件或没有结案方式。",
                      "en": "no case is heard under small claims, or dispositions are missing."}
    out = sample.outcomes["appealed"]
    fit_rows = (out.mask & sample.started & (sample.routed == 1) & (sample.frame["small_claims"].to_numpy() == 0))
    if fit_rows.sum() < 200 or out.values[fit_rows].sum() < 20:
        return None, {"zh": "可用于估计上诉概率的被分流案件太少。",
                      "en": "too few routed appealable closings to model the appeal probability."}
    design, _ = covariate_design(sample.frame, [c for c in ("cause", "log_claim", "n_parties")
                                                if c in sample.frame.columns or c == "log_claim"])
    x = design.to_numpy(dtype=float)
    keep = x[fit_rows].max(axis=0) > x[fit_rows].min(axis=0)
    fit = fit_propensity(x[fit_rows][:, keep], out.values[fit_rows])
    design_all = add_intercept(x[:, keep])
    return _AppealModel(expit(design_all @ fit.coef), design_all, fit.hessian_inv / int(fit_rows.sum())), None


def _appeal_model_variance(data: StaggeredData, model: _AppealModel, small_claims: np.ndarray, column: str,
                           first_stage: float) -> float:
    """Variance the estimated appeal model adds to a Wald ratio whose numerator contains
    ``small_claims x a(X)`` (delta method: the gradient of ``sum_i v_i SC_i a(X_i) / FS`` in the
    model's coefficients, ``v`` the imputation estimator's linear weights of the cases; the
    model's noise and the case-level noise of the ratio are treated as independent)."""
    from courtstudy.studies.staggered import case_weights

    order = _order(data)
    v = case_weights(data, column)["overall"].to_numpy()
    p = model.probability[order]
    grad = (v * small_claims[order] * p * (1 - p)) @ model.design[order] / first_stage
    return float(grad @ model.covariance @ grad)


def _routing_score(sample: RolloutSample) -> np.ndarray:
    """Predicted probability of being routed simple from characteristics known at filing (not the
    court: comparison courts never route), fitted on the cases filed after the starts."""
    design, _ = covariate_design(sample.frame, [c for c in ("cause", "log_claim", "n_parties")
                                                if c in sample.frame.columns or c == "log_claim"])
    x = design.to_numpy(dtype=float)
    rows = sample.started
    keep = x[rows].max(axis=0) > x[rows].min(axis=0)
    fit = fit_propensity(x[rows][:, keep], sample.routed[rows])
    return expit(add_intercept(x[:, keep]) @ fit.coef)


def _signed(interval: tuple[float, float], sign: float) -> tuple[float, float]:
    """``interval`` of ``sign * estimate`` (the ends swap when the sign flips)."""
    lo, hi = sign * interval[0], sign * interval[1]
    return (lo, hi) if lo <= hi else (hi, lo)


def _ratio_rows(data: StaggeredData, outcome: str, numerator: str, denominator: str, *, unit: str,
                method: str, term: str, randomization: bool, ri_draws: int, seed: int, alpha: float,
                sign: float = 1.0, inferences: tuple[str, ...] = INFERENCES) -> tuple[list[dict], Any]:
    ratio = wald_ratio(data, numerator, denominator, randomization=randomization, ri_draws=ri_draws, seed=seed,
                       alpha=alpha, bootstrap_draws=BOOTSTRAP_DRAWS if "court_month_t" in inferences else 0)
    n_tr = int(np.isfinite(data.outcomes[numerator])[data.treated()].sum())
    n_all = int(np.isfinite(data.outcomes[numerator]).sum())
    rows = []
    for inference in inferences:
        if inference == "randomization":
            if not randomization:
                continue
            ci = _signed(ratio.ci_ri, sign)
            se = (ci[1] - ci[0]) / (2 * sps.norm.ppf(1 - alpha / 2))
            row = estimate_row(outcome=outcome, method=method, estimand="routed_cases", estimate=sign * ratio.estimate,
                               std_error=se, ci=ci, ci_method="randomization inference over start dates (Anderson-Rubin)",
                               p_value=ratio.p_value_ri, n_treated=n_tr, n_control=n_all - n_tr, alpha=alpha)
        elif inference == "court_month_t":
            ci = _signed(ratio.interval("court_month_t"), sign)
            how = (f"parametric bootstrap-t critical value {ratio.t_critical:.3f} ({ratio.t_draws} draws)"
                   if ratio.t_draws else "normal critical value (no court-month shock detected)")
            row = estimate_row(outcome=outcome, method=method, estimand="routed_cases", estimate=sign * ratio.estimate,
                               std_error=ratio.std_errors["court_month"], ci=ci, p_value=ratio.p_value_t,
                               ci_method=f"delta method, court-month variance, {how}",
                               n_treated=n_tr, n_control=n_all - n_tr, alpha=alpha)
        else:
            se = ratio.std_errors[inference]
            row = estimate_row(outcome=outcome, method=method, estimand="routed_cases", estimate=sign * ratio.estimate,
                               std_error=se, ci_method=f"delta method, {inference.replace('_', '-')} variance",
                               n_treated=n_tr, n_control=n_all - n_tr, alpha=alpha)
        row.update(term=term, inference=inference, unit=unit, aggregation="simple")
        rows.append(row)
    return rows, ratio


def run_rollout(sample: RolloutSample, *, inference: str = HEADLINE_INFERENCE, randomization: bool = True,
                ri_draws: int = 999, seed: int = 0, event_window: tuple[int, int] = (-12, 24),
                covariates: bool = True, crosscheck: bool = True, tests: bool = True,
                always_complex_below: float = ALWAYS_COMPLEX_BELOW, alpha: float = 0.05) -> RolloutResult:
    """ITT, first stage and Wald-DiD of every outcome of ``sample`` with the appeal split, the
    assumption tests and bounds, and the did_multiplegt cross-check (module docstring).

    ``inference``: the headline interval (:data:`INFERENCES`). ``randomization``: compute the
    randomisation intervals (all reassignments of the start dates up to 5,040, else ``ri_draws``
    seeded draws). ``covariates``: adjust the imputation model for cause, claim amount and
    parties. ``tests``: the composition and exclusion tests. ``crosscheck``: did_multiplegt."""
    if inference not in INFERENCES:
        raise ValueError(f"inference must be one of {INFERENCES}, got {inference!r}")
    if inference == "randomization" and not randomization:
        raise ValueError("inference='randomization' needs randomization=True")
    names = [k for k, o in sample.outcomes.items() if o.kind != "duration"]
    extra: dict[str, np.ndarray] = {}
    appeal_model, skipped = _appeal_model(sample)
    p_appeal = None if appeal_model is None else appeal_model.probability
    if p_appeal is not None:
        appeal = sample.outcomes["appealed"]
        lost = sample.frame["small_claims"].to_numpy() * p_appeal
        extra["appeals_ruled_out"] = np.where(appeal.mask, lost, np.nan)
        extra["appealed_plus_ruled_out"] = np.where(appeal.mask, appeal.values + lost, np.nan)
    data = rollout_data(sample, extra, FILING_COVARIATES if covariates else ())
    routed_cols = {f"routed__{o}": _masked(data, data.outcomes["routed"], o) for o in names}
    data = data.with_outcomes(routed_cols)
    effects = staggered_effects(data, [*names, *routed_cols], covariates=covariates, randomization=False,
                                event_window=event_window, alpha=alpha)
    rows: list[dict] = []
    used, event_study, pretrend, ratios = {}, {}, [], {}
    for name in names:
        unit = UNITS[sample.outcomes[name].kind]
        for method, col in (("rollout_itt", name), ("rollout_first_stage", f"routed__{name}")):
            eff = effects.effects[col]
            for inf in ("case", "court_month"):
                lo, hi, p = eff.interval(inf, alpha)
                row = estimate_row(outcome=name, method=method, estimand="ITT" if method == "rollout_itt" else
                                   "first_stage", estimate=eff.estimate, std_error=eff.std_error(inf), ci=(lo, hi),
                                   ci_method=f"wald, {inf.replace('_', '-')} variance", p_value=p,
                                   n_treated=eff.n_treated_cases, n_control=eff.n_cases - eff.n_treated_cases,
                                   alpha=alpha)
                row.update(term="overall", inference=inf, unit=unit if method == "rollout_itt" else "share",
                           aggregation="simple")
                rows.append(row)
            es = eff.event_study("court_month")
            event_study[col] = es
            if method == "rollout_itt":
                for e in es.itertuples(index=False):
                    row = estimate_row(outcome=name, method=method, estimand="ITT", estimate=e.estimate,
                                       std_error=e.std_error, event_time=float(e.event_time),
                                       ci_method="wald, court-month variance", alpha=alpha)
                    row.update(term=e.kind, inference="court_month", unit=unit, aggregation="dynamic")
                    rows.append(row)
                pt = eff.pretrend
                pretrend.append({"outcome": name, "stat": pt["stat"], "df": pt["df"], "p_value": pt["p_value"],
                                 "months": len(pt["event_times"])})
        ratio_rows, ratios[name] = _ratio_rows(data, name, name, f"routed__{name}", unit=unit, method="rollout_wald",
                                    term="overall", randomization=randomization, ri_draws=ri_draws, seed=seed,
                                    alpha=alpha)
        rows += ratio_rows
        used[name] = imputable_treated(sample, sample.outcomes[name].mask & np.isfinite(sample.outcomes[name].values))
    diagnostics: dict[str, Any] = {"used": used, "event_study": event_study,
                                   "pretrend": pd.DataFrame(pretrend), "effects": effects, "ratios": ratios}
    if p_appeal is not None:
        split_rows = []
        for col, term, sign in (("appeals_ruled_out", "small_claims_channel", -1.0),
                                ("appealed_plus_ruled_out", "other_channels", 1.0)):
            data = data.with_outcomes({f"routed__{col}": _masked(data, data.outcomes["routed"], col)})
            # the split adds the appeal model's variance, so its intervals stay normal-based
            r, ratio = _ratio_rows(data, "appealed", col, f"routed__{col}", unit="risk_difference",
                                   method="rollout_wald_channel", term=term, randomization=False, ri_draws=ri_draws,
                                   seed=seed, alpha=alpha, sign=sign, inferences=("case", "court_month"))
            extra = _appeal_model_variance(data, appeal_model, sample.frame["small_claims"].to_numpy(dtype=float),
                                           col, ratio.denominator_effect)
            z = sps.norm.ppf(1 - alpha / 2)
            for row in r:
                row["std_error"] = float(np.sqrt(row["std_error"] ** 2 + extra))
                row["ci_low"], row["ci_high"] = row["estimate"] - z * row["std_error"], row["estimate"] + z * row["std_error"]
                row["p_value"] = float(2 * sps.norm.sf(abs(row["estimate"]) / row["std_error"]))
                row["ci_method"] += " + appeal-model variance"
            split_rows += r
        rows += split_rows
        sc = wald_ratio(data.with_outcomes({"small_claims": sample.frame["small_claims"].to_numpy()[_order(data)]}),
                        "small_claims", "routed", randomization=False, bootstrap_draws=0)
        chosen = inference_or_cm(inference)
        parts = {r["term"]: r for r in split_rows if r["inference"] == chosen}
        parts["total"] = next(r for r in rows if r["outcome"] == "appealed" and r["method"] == "rollout_wald"
                              and r["inference"] == chosen)
        diagnostics["appeal_split"] = {**parts, "small_claims_per_routed": sc.estimate}
    else:
        diagnostics["appeal_split_skipped"] = skipped
    result = EffectResult(pd.DataFrame(rows), title={"zh": "按实施时间比较（意向处理、第一阶段、Wald）",
                                                     "en": "Rollout design (ITT, first stage, Wald)"},
                          notes=sample.notes, alpha=alpha)
    out = RolloutResult(sample, result, inference, diagnostics, alpha)
    info = {"starting": len(sample.starting_courts), "comparison": len(sample.comparison_courts),
            "cohorts": int(sample.courts.loc[sample.courts["role"] == "starts", "cohort"].nunique()),
            "cases": sample.n, "after": int(sample.started.sum())}
    diagnostics["design"] = info
    if tests:
        _assumption_tests(out, data, always_complex_below)
    _warn_assumptions(out)
    if crosscheck:
        from courtstudy.studies.triage.fuzzy_did import did_multiplegt_rows

        cc_rows, cc_diag = did_multiplegt_rows(sample, names)
        diagnostics["did_multiplegt"] = cc_diag
        if cc_rows:
            out.result = EffectResult(pd.concat([out.result.rows, pd.DataFrame(cc_rows)], ignore_index=True),
                                      title=out.result.title, notes=out.result.notes, alpha=alpha)
    return out


def _warn_assumptions(out: RolloutResult) -> None:
    """Log (and so show in a notebook) the failed checks of the design's assumptions."""
    d = out.diagnostics
    pre = d.get("pretrend", pd.DataFrame())
    if len(pre) and (pre["p_value"] < 0.05).any():
        names = ", ".join(pre.loc[pre["p_value"] < 0.05, "outcome"])
        log.warn(logger, "rollout: outcomes differ between starting and comparison courts before the start "
                 "(pre-trend test p < 0.05): %s", "按实施时间比较：开始前各月已有显著差异（p < 0.05）的结果：%s", names)
    comp = d.get("composition", pd.DataFrame())
    if len(comp) and (comp["p_value"] < 0.05 / len(comp)).any():
        log.warn(logger, "rollout: the case mix changed when triage started: %s",
                 "按实施时间比较：开始分流后案件构成发生显著变化：%s",
                 ", ".join(comp.loc[comp["p_value"] < 0.05 / len(comp), "characteristic"]))
    excl = d.get("exclusion", pd.DataFrame())
    if len(excl) and (excl["p_value"] < 0.05).any():
        log.warn(logger, "rollout: cases that would be complex anyway changed after the start (exclusion "
                 "restriction in doubt): %s", "按实施时间比较：几乎不会被分为简案的案件在开始后发生显著变化，"
                 "排除性约束存疑：%s", ", ".join(excl.loc[excl["p_value"] < 0.05, "outcome"]))


def inference_or_cm(inference: str) -> str:
    """The delta-method inference closest to ``inference`` (channel rows have no randomisation)."""
    return inference if inference in ("case", "court_month") else "court_month"


def _order(data: StaggeredData) -> np.ndarray:
    """Positions in the sample (0..n-1) of the data's cases, in the data's order."""
    return np.asarray(data.case_index, dtype=np.int64)


#: The covariates the composition test compares, labelled as the sample labels them.
COMPOSITION_LABELS = {name: COVARIATE_LABELS[name] for name in ("log_claim", "n_parties")}


def _assumption_tests(out: RolloutResult, data: StaggeredData, threshold: float) -> None:
    """Composition test, exclusion partial test and bounds, into ``out.diagnostics``."""
    sample, alpha = out.sample, out.alpha
    order = _order(data)
    comp_cols: dict[str, np.ndarray] = {}
    labels: dict[str, tuple[str, str]] = {}
    if "claim_amount" in sample.frame:
        comp_cols["log_claim"] = np.log1p(pd.to_numeric(sample.frame["claim_amount"], errors="coerce")
                                          .clip(lower=0)).to_numpy(dtype=float)
        labels["log_claim"] = COMPOSITION_LABELS["log_claim"]
    if "n_parties" in sample.frame:
        comp_cols["n_parties"] = pd.to_numeric(sample.frame["n_parties"], errors="coerce").to_numpy(dtype=float)
        labels["n_parties"] = COMPOSITION_LABELS["n_parties"]
    if "cause" in sample.frame:
        for cause in sample.frame["cause"].astype("string").value_counts().index[:3]:
            key = f"cause_share__{cause}"
            comp_cols[key] = sample.frame["cause"].astype("string").eq(cause).fillna(False).to_numpy(dtype=float)
            labels[key] = (f"{cause}占比", f"share of {cause}")
    rows = []
    if comp_cols:
        d = data.with_outcomes({k: v[order] for k, v in comp_cols.items()})
        eff = staggered_effects(d, list(comp_cols), covariates=False, randomization=False, event_window=(0, 0))
        for k, e in eff.effects.items():
            lo, hi, p = e.interval("court_month", alpha)
            rows.append({"characteristic": k, "label_zh": labels[k][0], "label_en": labels[k][1],
                         "estimate": e.estimate, "std_error": e.std_error("court_month"), "ci_low": lo,
                         "ci_high": hi, "p_value": p})
    out.diagnostics["composition"] = pd.DataFrame(rows)

    score = _routing_score(sample)
    group = score < threshold
    started = sample.started
    out.diagnostics["always_complex"] = {
        "threshold": threshold, "cases": int(group.sum()), "before": int((group & ~started).sum()),
        "after": int((group & started).sum()),
        "routed_share": float(sample.routed[group & started].mean()) if (group & started).any() else np.nan}
    excl, bounds = [], []
    headline = out.headline().set_index("outcome")
    rows_all = out.tidy()
    enough = (group & ~started).sum() >= 30 and (group & started).sum() >= 30
    for name in headline.index:
        h = headline.loc[name]
        fs = rows_all[(rows_all["outcome"] == name) & (rows_all["method"] == "rollout_first_stage")
                      & (rows_all["inference"] == "court_month")]["estimate"].iloc[0]
        delta_hi = np.nan
        if enough:
            y = data.outcomes[name]
            d_case = data.outcomes["routed"]
            g = group[order]
            adj = np.where(g & np.isfinite(y), y - h["estimate"] * d_case, np.nan)
            dg = np.where(g & np.isfinite(y), d_case, np.nan)
            if np.isfinite(adj).sum() > 60:
                dd = data.with_outcomes({"__adj__": adj, "__dg__": dg})
                try:
                    eff = staggered_effects(dd, ["__adj__", "__dg__"], covariates=False, randomization=False,
                                            event_window=(0, 0))
                except ValueError:
                    eff = None
                if eff is not None:
                    e, f = eff.effects["__adj__"], eff.effects["__dg__"]
                    scale = 1.0 / max(1 - f.estimate, 1e-6)
                    lo, hi, p = e.interval("court_month", alpha)
                    excl.append({"outcome": name, "unit": h["unit"], "first_stage_group": f.estimate,
                                 "delta": e.estimate * scale, "std_error": e.std_error("court_month") * scale,
                                 "ci_low": lo * scale, "ci_high": hi * scale, "p_value": p,
                                 "cases": int(np.isfinite(adj).sum())})
                    delta_hi = max(abs(lo), abs(hi)) * scale
        if np.isfinite(delta_hi):
            b = exclusion_bound(h["estimate"], (h["ci_low"], h["ci_high"]), fs, delta_hi)
            bounds.append({"outcome": name, "unit": h["unit"], "wald": h["estimate"], "first_stage": fs, **b})
    out.diagnostics["exclusion"] = pd.DataFrame(excl)
    out.diagnostics["bounds"] = pd.DataFrame(bounds)
