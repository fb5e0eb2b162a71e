"""One result type for every effect estimate (triage study, fast-track team study, references).

Modelled on statsmodels / pyfixest results: an estimator returns an :class:`EffectResult` whose
``tidy()`` has one row per estimate with the columns of :data:`TIDY_COLUMNS`, whose ``summary()``
is readable text in Chinese or English, and whose ``plot()`` draws a coefficient plot (or an
event-study plot when the rows carry ``event_time``). Several results combine with
:func:`combine` into one tidy table.

Confidence intervals are Wald intervals ``estimate ± z(1 - alpha/2) * std_error`` unless the
estimator supplies its own (a bootstrap or a robust bias-corrected interval), in which case the
estimator's interval is stored as given and the ``ci_method`` column says so.

**The study contract.** Both studies (triage, fast-track teams) return an object that follows
:class:`StudyResults`:

* ``tidy()`` has the columns of :data:`STUDY_COLUMNS` in that order (estimand included; columns
  that do not apply are empty), then any study-specific columns (:func:`study_tidy` conforms a
  frame); ``preferred`` marks the one estimate per outcome a headline states;
* figures are named ``<study>_<figure>[_<outcome>]`` by :func:`figure_name` (ASCII, at most 28
  characters, the notebook context's rule) and returned by ``figures(lang)`` as a dict;
* interval labels come from ``alpha`` (:func:`courtstudy.core.text.interval_label`: "95%置信区间",
  "90% CI" ...), never a literal "95%";
* ``repr()`` is ``summary()`` in the object's ``lang`` (default: the package's current language,
  :func:`courtstudy.core.text.set_language`, which a notebook context sets from its parameter).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from courtstudy.core import text

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

#: Columns of every study's ``tidy()`` (the study contract): the tidy columns, then ``term`` and
#: ``time`` (which aggregate or cell a row is), ``control_group``, ``unit`` (``days``,
#: ``risk_difference``, ``hazard_ratio`` ...) and ``preferred`` (the headline estimate of its outcome).
STUDY_COLUMNS: tuple[str, ...] = (*TIDY_COLUMNS, "term", "time", "control_group", "unit",
                                  "preferred")
_TEXT_COLUMNS = frozenset({"outcome", "method", "estimand", "aggregation", "ci_method", "term",
                           "control_group", "unit"})
#: Longest figure name (the notebook context's rule: an Excel sheet name with a "NN_" prefix).
FIGURE_NAME_LENGTH = 28

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
    return _conform(rows, TIDY_COLUMNS)


def _conform(rows: Iterable[dict[str, Any]] | pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy()
    for col in columns:
        if col not in frame.columns:
            frame[col] = ("" if col in _TEXT_COLUMNS else False if col == "preferred" else np.nan)
    frame = frame[list(columns) + [c for c in frame.columns if c not in columns]]
    for col in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "event_time"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in ("n_treated", "n_control", "n"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    if "preferred" in frame.columns:
        frame["preferred"] = frame["preferred"].fillna(False).astype(bool)
    return frame.reset_index(drop=True)


def study_tidy(rows: Iterable[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """A study's tidy table with the columns of :data:`STUDY_COLUMNS` first, in order (missing
    ones empty, ``preferred`` False), then the study's own columns."""
    return _conform(rows, STUDY_COLUMNS)


def figure_name(study: str, figure: str, outcome: str | None = None) -> str:
    """The name of a study's figure: ``<study>_<figure>[_<outcome>]`` (``triage_methods``,
    ``fasttrack_event_study_closed_90``). Names longer than :data:`FIGURE_NAME_LENGTH` keep
    their start and end with a short hash of the full name, so they stay unique and stable."""
    name = "_".join(p for p in (study, figure, outcome) if p)
    if len(name) <= FIGURE_NAME_LENGTH:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return f"{name[:FIGURE_NAME_LENGTH - 7]}_{digest}"


class StudyResults:
    """What both studies' result objects share (the study contract, see the module docstring).

    Subclasses set :attr:`study` (``"triage"``, ``"fasttrack"``), implement ``tidy()`` and
    ``summary(lang)``, and may implement ``figures(lang)``; ``alpha`` and ``lang`` are read
    from the instance when it has them."""

    study: str = ""

    def tidy(self) -> pd.DataFrame:  # pragma: no cover - every study implements it
        raise NotImplementedError

    def summary(self, lang: str = "zh") -> str:  # pragma: no cover
        raise NotImplementedError

    def figures(self, lang: str | None = None) -> dict[str, Any]:
        """Every figure of the study by its :func:`figure_name` (none unless overridden)."""
        return {}

    def figure_name(self, figure: str, outcome: str | None = None) -> str:
        return figure_name(self.study, figure, outcome)

    def interval_labels(self, lang: str | None = None) -> tuple[str, str]:
        """Labels of ``ci_low`` and ``ci_high`` for this result's ``alpha``."""
        return text.interval_bounds(getattr(self, "alpha", 0.05), lang)

    def __repr__(self) -> str:
        return self.summary(lang=getattr(self, "lang", None) or text.language())


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
    #: Language of ``repr()``; None: the package's current language (core.text.language()).
    lang: str | None = None

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
        low_label, high_label = text.interval_bounds(self.alpha, lang)
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
                "ci_low": low_label, "ci_high": high_label, "p_value": "p值",
                "n_treated": "处理组样本", "n_control": "对照组样本"})
        with pd.option_context("display.width", 200, "display.max_columns", 30,
                               "display.float_format", lambda v: f"{v:.{digits}f}"):
            lines.append(shown.to_string(index=False))
        for note in self.notes.get(lang, []):
            lines.append(("注：" if lang == "zh" else "Note: ") + note)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary(lang=self.lang or text.language())

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
            ax.set_xlabel(text.pick(f"效应估计（{text.interval_label(self.alpha, 'zh')}）",
                                    f"Estimated effect ({text.interval_label(self.alpha, 'en')})", lang))
        return ax


def combine(results: Iterable[EffectResult]) -> pd.DataFrame:
    """Concatenate the tidy tables of several results."""
    frames = [r.tidy() for r in results]
    return _tidy_frame(pd.concat(frames, ignore_index=True)) if frames else _tidy_frame([])
