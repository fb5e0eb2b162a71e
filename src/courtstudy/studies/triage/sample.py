"""The analysis sample of the triage / fast-track study, built from canonical cases.

Who is in it (each step's drop count is kept in ``AnalysisSample.accounting``):

1. first-instance civil cases (``case_type``/``instance`` filters; either may be switched off);
2. filed in the chosen ``period`` (inclusive dates) and no later than ``as_of``;
3. of courts and dates where the treatment could happen: filed on or after the court's
   ``triage_start`` (treatment ``"triage"``) or ``fast_track_start`` (``"fast_track"``) from the
   courts table (the earliest non-empty date over the court's rows);
4. with a known treatment: ``track`` present for triage (a triage court leaving ``track`` empty
   is a data problem; those cases are counted, not silently kept as controls).

Treatment: ``"triage"`` = ``track == "simple"``; ``"fast_track"`` = ``team_type == "fast_track"``;
any other name is read as a boolean/0-1 column of the cases frame.

Covariates are things known at filing (:data:`DEFAULT_COVARIATES`). ``procedure`` is *not* one:
the procedure (simplified, small claims) is assigned with or after triage, so it is a consequence
of the treatment and adjusting for it would hide part of the effect (post-treatment bias). Claim
amount, which decides small-claims eligibility, is pre-treatment and enters as log(1 + yuan)
with its square and a missing-value indicator. Categorical covariates become 0/1 dummies with
the most frequent level as reference; a missing category is its own level.

Outcomes (each with the cases on which it is defined; ``as_of`` is the data's snapshot date):

* ``time_to_close`` - days from filing to closing, pending cases censored at ``as_of`` (duration);
* ``days_capped_<h>`` - min(days to close, h) for cases filed at least h days before ``as_of``,
  which is fully observed (the restricted mean time to closing of domain.md, estimated without
  censoring by a fixed-horizon cohort);
* ``closed_within_limit`` - closed on or before the statutory deadline
  (:func:`courtstudy.core.limits.deadlines`); known for closed cases and for pending cases already past
  their deadline at ``as_of``; unknown (left out) otherwise;
* ``appealed`` - among closings at least ``maturity_days`` (30) before ``as_of`` (domain.md's
  maturity rule: the appeal window and service delays have passed);
* ``reversal_remand`` - appeal result modified or remanded, among closings at least
  ``decided_days`` (180) before ``as_of`` (our convention: appeal window, transfer of the file and
  the 3-month second-instance limit have passed, so nearly every appeal is decided); an appeal
  still undecided counts as not reversed and the undecided share is reported;
* ``mediation_withdrawal`` - closed by mediation or withdrawal, among closed cases;
* any extra numeric or yes/no column named by the user, where not missing.

Closing-based outcomes are restricted to cases filed at least ``mature_days`` (default 365) before
``as_of`` so that fast and slow cases of the same cohorts are compared (otherwise treated cases,
which close sooner, would be over-represented among recent closings).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from courtstudy.core import categories
from courtstudy.core.errors import CourtstudyError
from courtstudy.core.limits import deadlines

logger = logging.getLogger(__name__)

DEFAULT_COVARIATES: tuple[str, ...] = ("cause", "log_claim", "n_parties", "court", "filing_month",
                                       "filing_year")
DEFAULT_OUTCOMES: tuple[str, ...] = ("time_to_close", "days_capped", "closed_within_limit",
                                     "appealed", "reversal_remand", "mediation_withdrawal")

#: zh / en labels and the kind of each built-in outcome.
OUTCOME_INFO: dict[str, tuple[str, str, str]] = {
    "time_to_close": ("结案时间（天，未结案件删失）", "time to closing (days, pending censored)", "duration"),
    "days_capped": ("限定期限内审理天数", "days to closing capped at the horizon", "continuous"),
    "closed_within_limit": ("审限内结案", "closed within the statutory limit", "binary"),
    "appealed": ("上诉", "appealed", "binary"),
    "reversal_remand": ("被改判或发回重审", "modified or remanded on appeal", "binary"),
    "mediation_withdrawal": ("调解或撤诉结案", "closed by mediation or withdrawal", "binary"),
}

COVARIATE_LABELS: dict[str, tuple[str, str]] = {
    "cause": ("案由", "cause"), "log_claim": ("标的额（对数）", "claim amount (log)"),
    "n_parties": ("当事人数", "number of parties"), "court": ("法院", "court"),
    "filing_month": ("立案月份", "filing month"), "filing_year": ("立案年度", "filing year"),
}

def covariate_label(name: str, lang: str = "zh") -> str:
    """Reader label of a covariate group (``"cause"``) or design column (``"cause[离婚纠纷]"``,
    ``"log_claim^2"``)."""
    base, _, level = name.partition("[")
    square = base.endswith("^2")
    base = base[:-2] if square else base
    zh, en = COVARIATE_LABELS.get(base, (base, base))
    text = zh if lang == "zh" else en
    if square:
        text += "（平方）" if lang == "zh" else " (squared)"
    if level:
        level = level.rstrip("]")
        if level == "missing":
            level = "缺失" if lang == "zh" else "missing"
        text += f"：{level}" if lang == "zh" else f": {level}"
    return text


_TREATMENTS = {"triage": ("track", "simple", "triage_start"),
               "fast_track": ("team_type", "fast_track", "fast_track_start")}


@dataclass
class OutcomeData:
    """One outcome on the sample: values (NaN where undefined), the defining mask, its kind
    ("binary", "continuous", "duration"), labels, and the event indicator for durations."""

    name: str
    kind: str
    values: np.ndarray
    mask: np.ndarray
    label_zh: str
    label_en: str
    event: np.ndarray | None = None

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class AnalysisSample:
    """Cases of the study with treatment, covariate design and outcomes aligned row by row."""

    frame: pd.DataFrame
    treatment: np.ndarray
    treatment_name: str
    design: pd.DataFrame
    covariate_groups: dict[str, list[str]]
    outcomes: dict[str, OutcomeData]
    as_of: pd.Timestamp
    horizon: int
    accounting: list[dict] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.frame)

    def subset(self, mask: np.ndarray) -> AnalysisSample:
        """The same sample restricted to ``mask`` (design columns constant in the subset are
        dropped so that the models stay identified)."""
        mask = np.asarray(mask, dtype=bool)
        design = self.design.loc[mask]
        keep = [c for c in design.columns if design[c].nunique() > 1]
        groups = {g: [c for c in cols if c in keep] for g, cols in self.covariate_groups.items()}
        outcomes = {k: OutcomeData(o.name, o.kind, o.values[mask], o.mask[mask], o.label_zh, o.label_en,
                                   None if o.event is None else o.event[mask])
                    for k, o in self.outcomes.items()}
        return AnalysisSample(self.frame.loc[mask].reset_index(drop=True), self.treatment[mask],
                              self.treatment_name, design[keep].reset_index(drop=True),
                              {g: c for g, c in groups.items() if c}, outcomes, self.as_of,
                              self.horizon, list(self.accounting), dict(self.notes))


def _court_starts(courts: pd.DataFrame, column: str) -> pd.Series:
    if "court" not in courts.columns or column not in courts.columns:
        raise CourtstudyError(f"courts table needs columns 'court' and '{column}' "
                              f"(has: {', '.join(map(str, courts.columns))})")
    starts = pd.to_datetime(courts[column])
    return starts.groupby(courts["court"].astype("string")).min()


def _dummies(values: pd.Series, name: str) -> pd.DataFrame:
    s = values.astype("string").fillna("(missing)")
    levels = s.value_counts().index.tolist()
    ref = levels[0]
    cols = {f"{name}[{lvl}]": (s == lvl).to_numpy(dtype=float) for lvl in sorted(levels) if lvl != ref}
    return pd.DataFrame(cols, index=values.index)


def _numeric(values: pd.Series, name: str, square: bool = False) -> pd.DataFrame:
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    missing = v.isna()
    filled = v.fillna(v.median() if missing.any() and not missing.all() else 0.0)
    out = {name: filled.to_numpy()}
    if square:
        centred = filled - filled.mean()
        out[f"{name}^2"] = (centred**2).to_numpy()
    if missing.any():
        out[f"{name}[missing]"] = missing.to_numpy(dtype=float)
    return pd.DataFrame(out, index=values.index)


def covariate_design(frame: pd.DataFrame, covariates: Sequence[str]) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The numeric design matrix (no intercept) and its column groups, one group per covariate."""
    parts = []
    groups: dict[str, list[str]] = {}
    for cov in covariates:
        if cov == "log_claim":
            part = _numeric(np.log1p(pd.to_numeric(frame["claim_amount"], errors="coerce").clip(lower=0)),
                            "log_claim", square=True)
        elif cov == "filing_month":
            part = _dummies(frame["filed_date"].dt.month.astype("string"), "filing_month")
        elif cov == "filing_year":
            part = _dummies(frame["filed_date"].dt.year.astype("string"), "filing_year")
        elif cov in frame.columns:
            col = frame[cov]
            if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
                part = _numeric(col.astype("Float64"), cov)
            else:
                part = _dummies(col, cov)
        else:
            raise CourtstudyError(f"covariate {cov!r} is neither a derived covariate "
                                  f"(log_claim, filing_month, filing_year) nor a column of the cases")
        part = part.loc[:, part.nunique() > 1]
        if part.shape[1]:
            parts.append(part)
            groups[cov] = list(part.columns)
    design = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    return design.reset_index(drop=True), groups


def build_sample(cases: pd.DataFrame, courts: pd.DataFrame | None, *, treatment: str = "triage",
                 covariates: Sequence[str] = DEFAULT_COVARIATES,
                 outcomes: Sequence[str] = DEFAULT_OUTCOMES, extra_outcomes: Sequence[str] = (),
                 as_of: str | pd.Timestamp | None = None, period: tuple | None = None,
                 court_filter: Sequence[str] | None = None, case_type: str | None = "civil",
                 instance: str | None = "first", horizon: int = 365, mature_days: int = 365,
                 maturity_days: int = 30, decided_days: int = 180) -> AnalysisSample:
    """Build the analysis sample (see the module docstring for every rule).

    ``as_of`` defaults to the latest date in the data (filing, closing or appeal dates).
    ``period`` = (start, end) filing dates, inclusive. ``horizon`` is the cap of ``days_capped``.
    """
    required = {"case_id", "court", "filed_date", "closed_date"}
    missing = required - set(cases.columns)
    if missing:
        raise CourtstudyError(f"cases frame lacks column(s) {', '.join(sorted(missing))}")
    accounting: list[dict] = [{"step": "cases", "kept": len(cases), "dropped": 0}]
    frame = cases

    def step(name: str, keep: pd.Series | np.ndarray) -> None:
        nonlocal frame
        keep = np.asarray(keep, dtype=bool)
        accounting.append({"step": name, "kept": int(keep.sum()), "dropped": int((~keep).sum())})
        logger.info("triage sample, %s: %d kept, %d dropped", name, int(keep.sum()),
                    int((~keep).sum()))
        frame = frame.loc[keep]

    if as_of is None:
        dates = [pd.to_datetime(cases[c]).max() for c in ("filed_date", "closed_date", "appeal_filed_date",
                                                          "appeal_closed_date") if c in cases]
        as_of = max(d for d in dates if pd.notna(d))
    as_of = pd.Timestamp(as_of)
    if case_type is not None:
        step(f"case_type == {case_type}", frame["case_type"].astype("string").eq(case_type).fillna(False))
    if instance is not None:
        step(f"instance == {instance}", frame["instance"].astype("string").eq(instance).fillna(False))
    if court_filter:
        step("court in filter", frame["court"].astype("string").isin(list(court_filter)).fillna(False))
    step("filed on or before as_of", (frame["filed_date"] <= as_of).fillna(False))
    if period is not None:
        start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1])
        step("filed in period", frame["filed_date"].between(start, end).fillna(False))

    if treatment in _TREATMENTS:
        column, value, start_col = _TREATMENTS[treatment]
        if courts is None:
            raise CourtstudyError(f"treatment {treatment!r} needs the courts table (column {start_col})")
        starts = _court_starts(courts, start_col)
        court_start = frame["court"].astype("string").map(starts)
        step(f"filed on/after the court's {start_col}",
             (frame["filed_date"] >= pd.to_datetime(court_start)).fillna(False))
        status = frame[column].astype("string")
        step(f"{column} known", status.notna().to_numpy())
        treated = frame[column].astype("string").eq(value).to_numpy(dtype=bool)
    else:
        if treatment not in frame.columns:
            raise CourtstudyError(f"treatment column {treatment!r} is not in the cases frame")
        col = frame[treatment]
        step(f"{treatment} known", col.notna().to_numpy())
        col = frame[treatment]
        values = pd.to_numeric(col.astype("Float64"), errors="coerce")
        if not values.isin([0, 1]).all():
            raise CourtstudyError(f"treatment column {treatment!r} must be yes/no or 0/1")
        treated = values.to_numpy(dtype=float) == 1
    frame = frame.reset_index(drop=True)
    if len(frame) == 0:
        raise CourtstudyError("no case is left in the analysis sample: check the period, courts and treatment")
    t = treated.astype(float)
    if t.sum() == 0 or t.sum() == len(t):
        raise CourtstudyError(f"the sample has {int(t.sum())} treated and {int(len(t) - t.sum())} "
                              "control cases: both arms are needed")

    design, groups = covariate_design(frame, covariates)
    outs: dict[str, OutcomeData] = {}
    filed = frame["filed_date"]
    closed = frame["closed_date"].where(frame["closed_date"] <= as_of)
    is_closed = closed.notna().to_numpy()
    days = (closed.fillna(as_of) - filed).dt.days.to_numpy(dtype=float)
    followup = (as_of - filed).dt.days.to_numpy(dtype=float)
    mature = followup >= mature_days
    for name in outcomes:
        if name == "days_capped":
            key = f"days_capped_{horizon}"
            zh, en, kind = OUTCOME_INFO[name]
            mask = followup >= horizon
            vals = np.where(mask, np.minimum(days, horizon), np.nan)
            outs[key] = OutcomeData(key, kind, vals, mask, f"{zh}（上限 {horizon} 天）",
                                    f"{en} ({horizon} days)")
            continue
        if name not in OUTCOME_INFO:
            raise CourtstudyError(f"unknown outcome {name!r}; built-in: {', '.join(OUTCOME_INFO)}")
        zh, en, kind = OUTCOME_INFO[name]
        event = None
        if name == "time_to_close":
            vals, mask, event = days, np.ones(len(frame), dtype=bool), is_closed.astype(float)
        elif name == "closed_within_limit":
            deadline = deadlines(frame)
            known = deadline.notna().to_numpy()
            past = (deadline < as_of).to_numpy(dtype=bool)
            within = (closed <= deadline).to_numpy(dtype=bool)
            mask = known & (is_closed | past) & mature
            vals = np.where(mask, within & is_closed, np.nan).astype(float)
        elif name in ("appealed", "reversal_remand"):
            wait = maturity_days if name == "appealed" else decided_days
            mask = is_closed & (closed <= as_of - pd.Timedelta(days=wait)).to_numpy(dtype=bool) & mature
            if name == "appealed":
                v = frame["appealed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
            else:
                v = frame["appeal_result"].astype("string").isin(categories.REVERSAL_REMAND).fillna(False).to_numpy(dtype=bool)
            vals = np.where(mask, v, np.nan).astype(float)
        else:  # mediation_withdrawal
            mask = is_closed & mature
            v = frame["disposition"].astype("string").isin(categories.MEDIATION_WITHDRAWAL).fillna(False).to_numpy(dtype=bool)
            vals = np.where(mask, v, np.nan).astype(float)
        outs[name] = OutcomeData(name, kind, vals.astype(float), mask, zh, en, event)
    for name in extra_outcomes:
        if name not in frame.columns:
            raise CourtstudyError(f"outcome column {name!r} is not in the cases frame")
        col = frame[name]
        v = pd.to_numeric(col.astype("Float64") if pd.api.types.is_bool_dtype(col) else col, errors="coerce")
        vals = v.astype("float64").to_numpy()
        mask = np.isfinite(vals)
        kind = "binary" if np.isin(vals[mask], (0.0, 1.0)).all() else "continuous"
        outs[name] = OutcomeData(name, kind, vals, mask, name, name)

    undecided = 0.0
    if "reversal_remand" in outs:
        appealed = frame["appealed"].astype("boolean").fillna(False).to_numpy(dtype=bool) & outs["reversal_remand"].mask
        if appealed.any():
            undecided = float(frame["appeal_result"].astype("string").isna().to_numpy()[appealed].mean())
    keep_cols = [c for c in ("case_id", "court", "cause", "filed_date", "closed_date", "claim_amount",
                             "procedure", "track", "team_type") if c in frame.columns]
    out_frame = frame[keep_cols].copy()
    out_frame["treated"] = t.astype(int)
    notes = {
        "zh": ["协变量为立案时已知的信息（案由、标的额对数、当事人数、法院、立案年月）；审理程序在分流时或分流后确定，"
               "属于处理的结果，不作为协变量。",
               f"上诉结果只统计截至数据日期前 {maturity_days} 天已结案件，改发结果只统计前 {decided_days} 天已结案件；"
               f"结案相关结果只统计立案满 {mature_days} 天的案件。这些上诉案件中二审结果未出的比例为 {undecided:.1%}。"],
        "en": ["Covariates are known at filing (cause, log claim amount, parties, court, filing year and month); "
               "the procedure is set with or after triage, so it is a consequence of the treatment and not adjusted for.",
               f"Appeals count closings at least {maturity_days} days before the as-of date, reversals closings at "
               f"least {decided_days} days before it; closing-based outcomes count cases filed at least "
               f"{mature_days} days before it. Share of those appeals still undecided: {undecided:.1%}."],
    }
    return AnalysisSample(out_frame, t, treatment, design, groups, outs, as_of, horizon, accounting, notes)
