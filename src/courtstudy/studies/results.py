"""One result type for every effect estimate (triage study, fast-track team study, references).

Modelled on statsmodels / pyfixest results: an estimator returns an :class:`EffectResult` whose
``tidy()`` has one row per estimate with the columns of :data:`TIDY_COLUMNS`, whose ``summary()``
is readable text in Chinese or English, and whose ``plot()`` draws a coefficient plot (or an
event-study plot when the rows carry ``event_time``). Several results combine with
:func:`combine` into one tidy table.

Confidence intervals are Wald intervals ``estimate ± z(1 - alpha/2) * std_error`` unless the
estimator supplies its own (a bootstrap or a robust bias-corrected interval), in which case the
estimator's interval is stored as given and the ``ci_method`` column says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

#: Columns of every tidy table, in order. ``event_time`` and ``group`` are empty where they do not
#: apply; ``aggregation`` is e.g. "simple", "dynamic", "group", "calendar", "att_gt" or "".
TIDY_COLUMNS: tuple[str, ...] = (
    "outcome",
    "method",
    "estimand",
    "aggregation",
    "group",
    "event_time",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n_treated",
    "n_control",
    "n",
    "ci_method",
)

ESTIMAND_LABELS: dict[str, tuple[str, str]] = {
    "ATT": ("处理组平均处理效应（ATT）", "average treatment effect on the treated (ATT)"),
    "ATE": ("平均处理效应（ATE）", "average treatment effect (ATE)"),
    "ATC": ("对照组平均处理效应（ATC）", "average treatment effect on the controls (ATC)"),
    "raw": ("未调整的原始差异", "unadjusted raw difference"),
    "HR": ("风险比（Cox 模型）", "hazard ratio (Cox model)"),
    "LATE": ("断点处局部平均处理效应", "local average treatment effect at the threshold"),
}


def wald_interval(estimate: float, std_error: float, alpha: float = 0.05) -> tuple[float, float, float]:
    """Return ``(ci_low, ci_high, p_value)`` of a normal-approximation (Wald) test of zero."""
    if not np.isfinite(std_error) or std_error <= 0:
        return (np.nan, np.nan, np.nan)
    z = stats.norm.ppf(1 - alpha / 2)
    p = 2 * stats.norm.sf(abs(estimate / std_error))
    return (estimate - z * std_error, estimate + z * std_error, float(p))


def estimate_row(
    *,
    outcome: str,
    method: str,
    estimand: str,
    estimate: float,
    std_error: float,
    n_treated: int | None = None,
    n_control: int | None = None,
    n: int | None = None,
    aggregation: str = "",
    group: Any = None,
    event_time: float | None = None,
    ci: tuple[float, float] | None = None,
    ci_method: str | None = None,
    p_value: float | None = None,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """One tidy row; the interval is Wald unless ``ci`` is given (then ``ci_method`` names it)."""
    low, high, p = wald_interval(float(estimate), float(std_error), alpha)
    if ci is not None:
        low, high = float(ci[0]), float(ci[1])
    if n is None and n_treated is not None and n_control is not None:
        n = int(n_treated) + int(n_control)
    return {
        "outcome": outcome,
        "method": method,
        "estimand": estimand,
        "aggregation": aggregation,
        "group": group,
        "event_time": event_time,
        "estimate": float(estimate),
        "std_error": float(std_error),
        "ci_low": low,
        "ci_high": high,
        "p_value": p if p_value is None else float(p_value),
        "n_treated": n_treated,
        "n_control": n_control,
        "n": n,
        "ci_method": ci_method or ("wald" if ci is None else "estimator"),
    }


def _tidy_frame(rows: Iterable[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy()
    for col in TIDY_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan if col not in {"outcome", "method", "estimand", "aggregation", "ci_method"} else ""
    frame = frame[list(TIDY_COLUMNS) + [c for c in frame.columns if c not in TIDY_COLUMNS]]
    for col in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "event_time"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in ("n_treated", "n_control", "n"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame.reset_index(drop=True)


@dataclass
class EffectResult:
    """Estimates of one study (one or many outcomes and methods) with what is needed to read them.

    Attributes
    ----------
    rows:
        Tidy estimates (see :data:`TIDY_COLUMNS`).
    title:
        What was estimated, in words (``{"zh": ..., "en": ...}`` or a plain string).
    notes:
        Caveats to print under the summary (``{"zh": [...], "en": [...]}``).
    diagnostics:
        Anything an econometrician would ask for (balance tables, overlap counts, pre-trend
        tests...), by name; DataFrames or scalars.
    """

    rows: pd.DataFrame
    title: dict[str, str] | str = ""
    notes: dict[str, list[str]] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    alpha: float = 0.05

    def __post_init__(self) -> None:
        self.rows = _tidy_frame(self.rows)

    @classmethod
    def from_rows(cls, rows: Sequence[dict[str, Any]], **kwargs: Any) -> EffectResult:
        return cls(pd.DataFrame(list(rows)), **kwargs)

    def tidy(self) -> pd.DataFrame:
        """One row per estimate: estimate, std_error, ci_low, ci_high, n_treated, n_control,
        estimand, method, outcome (and aggregation, group, event_time, p_value, n, ci_method)."""
        return self.rows.copy()

    def _title(self, lang: str) -> str:
        if isinstance(self.title, dict):
            return self.title.get(lang) or next(iter(self.title.values()), "")
        return self.title

    def summary(self, lang: str = "zh", digits: int = 4) -> str:
        """A readable table of the estimates with the estimand spelled out, then the notes."""
        rows = self.rows
        head = self._title(lang)
        level = int(round((1 - self.alpha) * 100))
        lines = [head] if head else []
        estimands = [e for e in rows["estimand"].dropna().unique() if e]
        for est in estimands:
            zh, en = ESTIMAND_LABELS.get(est, (est, est))
            lines.append(("估计对象：" if lang == "zh" else "Estimand: ") + (zh if lang == "zh" else en))
        cols = ["outcome", "method", "aggregation", "group", "event_time", "estimate", "std_error",
                "ci_low", "ci_high", "p_value", "n_treated", "n_control"]
        shown = rows[[c for c in cols if c in rows.columns and rows[c].notna().any()
                      and not (rows[c].astype(str) == "").all()]].copy()
        if lang == "zh":
            shown = shown.rename(columns={
                "outcome": "结果变量", "method": "方法", "aggregation": "汇总方式", "group": "组",
                "event_time": "相对时间", "estimate": "估计值", "std_error": "标准误",
                "ci_low": f"{level}%置信下限", "ci_high": f"{level}%置信上限", "p_value": "p值",
                "n_treated": "处理组样本", "n_control": "对照组样本"})
        with pd.option_context("display.width", 200, "display.max_columns", 30,
                               "display.float_format", lambda v: f"{v:.{digits}f}"):
            lines.append(shown.to_string(index=False))
        for note in self.notes.get(lang, []):
            lines.append(("注：" if lang == "zh" else "Note: ") + note)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary(lang="en")

    def plot(self, ax: Any = None, lang: str = "zh", outcome: str | None = None) -> Any:
        """Coefficient plot with confidence intervals; an event-study plot (reference period
        marked at -1) when the rows carry ``event_time``. Returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        rows = self.rows if outcome is None else self.rows[self.rows["outcome"] == outcome]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, max(2.5, 0.45 * len(rows) + 1)))
        if rows["event_time"].notna().any():
            ev = rows[rows["event_time"].notna()].sort_values("event_time")
            for method, part in ev.groupby("method", sort=False):
                ax.errorbar(part["event_time"], part["estimate"],
                            yerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]],
                            fmt="o-", capsize=3, label=str(method))
            ax.axhline(0, color="grey", lw=0.8)
            ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
            ax.set_xlabel("相对采用时间（期）" if lang == "zh" else "Periods relative to adoption")
            ax.set_ylabel("效应估计" if lang == "zh" else "Estimated effect")
            ax.legend(frameon=False)
        else:
            labels = (rows["outcome"].astype(str) + " · " + rows["method"].astype(str)).tolist()
            y = np.arange(len(rows))[::-1]
            ax.errorbar(rows["estimate"], y,
                        xerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                        fmt="o", capsize=3)
            ax.set_yticks(y, labels)
            ax.axvline(0, color="grey", lw=0.8)
            ax.set_xlabel("效应估计（95%置信区间）" if lang == "zh" else "Estimated effect (95% CI)")
        return ax


def combine(results: Iterable[EffectResult]) -> pd.DataFrame:
    """Concatenate the tidy tables of several results."""
    frames = [r.tidy() for r in results]
    return _tidy_frame(pd.concat(frames, ignore_index=True)) if frames else _tidy_frame([])
