"""The same estimates within subgroups: by cause, by court, by claim-amount band.

Each subgroup is analysed as its own sample: the propensity and outcome models are refitted on
its cases (covariates constant within the subgroup drop out), so a subgroup estimate is the
estimand restricted to that subgroup (e.g. the ATT among treated cases of that cause). Subgroups
with fewer than ``min_arm`` treated or control cases are skipped and listed in
``diagnostics["skipped"]``; the rows carry the subgroup in ``group`` and the dimension in
``aggregation`` ("cause", "court", "claim_band").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from courtstudy.core import text
from courtstudy.core.errors import CourtstudyError
from courtstudy.studies.results import EffectResult
from courtstudy.studies.triage.estimators import METHODS
from courtstudy.studies.triage.sample import AnalysisSample
from courtstudy.studies.triage.study import estimate_effects

#: Claim-amount bands in yuan (left-closed): a convention of ours, recorded in docs/assumptions.md.
CLAIM_BANDS: tuple[float, ...] = (0, 10_000, 50_000, 200_000, np.inf)


def claim_band(amount: pd.Series, edges: Sequence[float] = CLAIM_BANDS) -> pd.Series:
    """Band labels such as ``"[10000, 50000)"``; ``"(missing)"`` when no amount."""
    labels = [f"[{edges[i]:.0f}, {edges[i + 1]:.0f})" if np.isfinite(edges[i + 1]) else f">= {edges[i]:.0f}"
              for i in range(len(edges) - 1)]
    cut = pd.cut(pd.to_numeric(amount, errors="coerce"), bins=list(edges), labels=labels, right=False)
    return cut.astype("string").fillna("(missing)")


def heterogeneity(sample: AnalysisSample, by: Sequence[str] = ("cause", "court", "claim_band"), *,
                  outcomes: Sequence[str] | None = None, methods: Sequence[str] = ("raw", "aipw"),
                  estimand: str = "ATT", min_arm: int = 30) -> EffectResult:
    """Estimates of ``methods`` for each subgroup of each dimension in ``by``."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {METHODS}")
    parts, skipped = [], []
    for dim in by:
        if dim == "claim_band":
            labels = claim_band(sample.frame["claim_amount"])
        elif dim in sample.frame.columns:
            labels = sample.frame[dim].astype("string").fillna("(missing)")
        else:
            raise CourtstudyError(f"cannot split by {dim!r}: not a column of the sample")
        for level in sorted(labels.unique()):
            mask = (labels == level).to_numpy()
            t = sample.treatment[mask]
            if t.sum() < min_arm or (len(t) - t.sum()) < min_arm:
                skipped.append({"dimension": dim, "group": level, "n_treated": int(t.sum()),
                                "n_control": int(len(t) - t.sum())})
                continue
            sub = sample.subset(mask)
            try:
                res = estimate_effects(sub, outcomes, methods=methods, estimand=estimand, group=level)
            except (ValueError, np.linalg.LinAlgError) as exc:
                skipped.append({"dimension": dim, "group": level, "n_treated": int(t.sum()),
                                "n_control": int(len(t) - t.sum()), "reason": str(exc)})
                continue
            parts.append(res.rows.assign(aggregation=dim))
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return EffectResult(rows, title={"zh": "分组效应", "en": "Effects by subgroup"},
                        diagnostics={"skipped": pd.DataFrame(skipped)})


def plot_heterogeneity(result: EffectResult, outcome: str, dimension: str, *, method: str = "aipw",
                       lang: str = "zh", overall: float | None = None, scale: float = 1.0):
    """Forest plot of one outcome's subgroup estimates along one dimension (``scale`` = 100 shows
    risk differences in percentage points); ``overall`` draws the pooled estimate."""
    import matplotlib.pyplot as plt

    alpha = result.alpha
    rows = result.tidy()
    rows = rows[(rows["outcome"] == outcome) & (rows["aggregation"] == dimension) & (rows["method"] == method)]
    rows = rows.sort_values("estimate")
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.35 * len(rows) + 1)))
    y = np.arange(len(rows))
    est = rows["estimate"].to_numpy() * scale
    ax.errorbar(est, y, xerr=[est - rows["ci_low"].to_numpy() * scale, rows["ci_high"].to_numpy() * scale - est],
                fmt="o", capsize=3, label=text.pick("分组估计及置信区间", "subgroup estimate and interval", lang))
    from courtstudy.studies.triage.labels import AGGREGATION_NAMES, group_label
    from courtstudy.studies.triage.sample import outcome_label

    ax.set_yticks(y, [group_label(g, dimension, lang) for g in rows["group"].astype(str)])
    ax.axvline(0, color="grey", lw=0.8, gid="baseline")
    dim = AGGREGATION_NAMES.get(dimension, (dimension, dimension))
    ax.set_ylabel(text.pick("分组", "Group", lang))
    ax.set_title(text.pick(f"{outcome_label(outcome, 'zh')}：{dim[0]}分组估计",
                           f"{outcome_label(outcome, 'en')}: estimates {dim[1]}", lang))
    if overall is not None:
        ax.axvline(overall * scale, color="#d55e00", ls="--", lw=1,
                   label="总体估计" if lang == "zh" else "overall estimate")
    ax.legend(frameon=False)
    unit = text.pick("天", "days", lang) if scale == 1.0 and outcome.startswith("days") else \
        text.pick("百分点", "percentage points", lang) if scale == 100 else ""
    ax.set_xlabel(text.pick(f"效应估计（{unit + '，' if unit else ''}{text.confidence_level(alpha)} 置信区间）",
                            f"Estimated effect ({unit + ', ' if unit else ''}{text.interval_label(alpha, 'en')})", lang))
    fig.tight_layout()
    return fig
