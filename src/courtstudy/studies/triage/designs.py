"""The two designs of the triage study side by side: when the rollout design can run, and the
like-for-like estimate on the very cases the rollout estimate averages over.

:func:`rollout_design` builds the rollout sample and runs the Wald-DiD
(:mod:`courtstudy.studies.triage.wald`) when the data hold a rollout to exploit, and otherwise
says why not (every court triaging throughout the data, no courts table with start dates,
another treatment than triage): the study then falls back to the like-for-like headline,
flagged as resting on selection on observables (:mod:`courtstudy.studies.triage.headline`).

:func:`like_for_like_on_rollout_cases` runs AIPW on the cases of the like-for-like sample that
the rollout estimate of each outcome uses (filed after their court's start, in courts and
months the rollout can impute), so the comparison of the two designs is of the same effect on
the same routed cases (method ``aipw_same_cases``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from courtstudy.core import log
from courtstudy.core.errors import CourtstudyError
from courtstudy.studies.results import EffectResult
from courtstudy.studies.triage.rollout import ROLLOUT_OUTCOMES, build_rollout_sample
from courtstudy.studies.triage.sample import AnalysisSample
from courtstudy.studies.triage.wald import HEADLINE_INFERENCE, RolloutResult, run_rollout

logger = logging.getLogger(__name__)

NO_ROLLOUT_REASONS: dict[str, tuple[str, str]] = {
    "treatment": ("按实施时间比较只用于繁简分流（速裁团队见速裁团队报告）。",
                  "the rollout design is run for triage (fast-track teams have their own study)."),
    "courts": ("没有法院表或法院表中没有繁简分流实施日期。", "there is no courts table with triage start dates."),
    "no_rollout": ("数据期内没有可利用的分流实施时间差异：各院在数据开始前已实施分流，或开始后没有尚未实施的对照法院。",
                   "the data hold no rollout to exploit: every court triaged before the data begin, or no court was "
                   "left that had not started."),
    "off": ("未要求按实施时间比较（参数 rollout）。", "the rollout design was not requested (parameter rollout)."),
    "no_routing": ("开始分流后立案的案件中没有记录为简案的，无法计算第一阶段。",
                   "no case filed after a start is recorded as routed simple, so there is no first stage."),
}


def rollout_design(cases: pd.DataFrame, courts: pd.DataFrame | None, *, treatment: str = "triage",
                   outcomes: Sequence[str] = ROLLOUT_OUTCOMES, extra_outcomes: Sequence[str] = (),
                   as_of=None, period: tuple | None = None, court_filter: Sequence[str] | None = None,
                   horizon: int = 365, mature_days: int = 365, maturity_days: int = 30, decided_days: int = 180,
                   concurrent: Sequence[str] = ("fast_track_start",), inference: str = HEADLINE_INFERENCE,
                   randomization: bool = True, ri_draws: int = 999, seed: int = 0, crosscheck: bool = True,
                   tests: bool = True, alpha: float = 0.05) -> tuple[RolloutResult | None, dict[str, str] | None]:
    """The rollout design's result, or ``None`` and why it did not run (``{"zh", "en", "code"}``)."""
    def reason(code: str) -> dict[str, str]:
        zh, en = NO_ROLLOUT_REASONS[code]
        if code in ("courts", "no_rollout", "no_routing"):
            log.warn(logger, f"no rollout design: {en} The headline rests on selection on observables.",
                     f"无法按实施时间比较：{zh}结论只能依据可观测选择假设。")
        return {"code": code, "zh": zh, "en": en}

    if treatment != "triage":
        return None, reason("treatment")
    if courts is None or "triage_start" not in courts.columns or courts["triage_start"].isna().all():
        return None, reason("courts")
    wanted = [o if not o.startswith("days_capped") else "days_capped" for o in outcomes if o != "time_to_close"]
    try:
        sample = build_rollout_sample(cases, courts, outcomes=wanted, extra_outcomes=extra_outcomes, as_of=as_of,
                                      period=period, court_filter=court_filter, horizon=horizon,
                                      mature_days=mature_days, maturity_days=maturity_days,
                                      decided_days=decided_days, concurrent=concurrent)
    except CourtstudyError:
        return None, reason("no_rollout")
    if not sample.has_rollout:
        return None, reason("no_rollout")
    if sample.routed[sample.started].sum() < 10:
        return None, reason("no_routing")
    return run_rollout(sample, inference=inference, randomization=randomization, ri_draws=ri_draws, seed=seed,
                       crosscheck=crosscheck, tests=tests, alpha=alpha), None


def like_for_like_on_rollout_cases(sample: AnalysisSample, rollout: RolloutResult, estimand: str = "ATT"
                                   ) -> EffectResult:
    """AIPW of each rollout outcome on the like-for-like cases the rollout estimates use
    (method ``aipw_same_cases``): the cases filed after their court's start in courts and months
    the rollout can impute, each outcome on those of its cases (one subset, so the propensity
    fits of the outcomes share their warm start)."""
    from courtstudy.studies.triage.study import estimate_effects

    ids = sample.frame["case_id"].astype("string")
    mask = ids.isin(set(pd.Series(used_case_ids(rollout)).astype("string"))).to_numpy()
    outcomes = [o for o in rollout.sample.outcomes if o in sample.outcomes]
    if mask.sum() < 50 or sample.treatment[mask].sum() < 10 or (1 - sample.treatment[mask]).sum() < 10 or not outcomes:
        return EffectResult(pd.DataFrame())
    part = estimate_effects(sample.subset(mask), outcomes=outcomes, methods=("aipw",), estimand=estimand)
    return EffectResult(part.rows.assign(method="aipw_same_cases"),
                        title={"zh": "同类案件比较（双重稳健，与按实施时间比较相同的案件）",
                               "en": "Like-for-like (AIPW) on the rollout's cases"})


def used_case_ids(rollout: RolloutResult) -> np.ndarray:
    """Case numbers of the treated cases any rollout estimate uses."""
    mask = np.zeros(rollout.sample.n, dtype=bool)
    for outcome in rollout.sample.outcomes:
        mask |= rollout.used_cases(outcome)
    return rollout.sample.frame.loc[mask, "case_id"].to_numpy()
