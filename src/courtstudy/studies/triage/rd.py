"""Regression discontinuity at the small-claims threshold, with a test for bunching.

Claims up to the province-year threshold (:func:`courtstudy.core.limits.small_claims_thresholds`,
chosen by the court's ``province`` in the courts table and the filing year) must use the small
claims procedure. The running variable is the claim's distance to its own threshold in percent,
``r = 100 * (claim_amount - threshold) / threshold``, so that thresholds of different provinces
and years line up at 0; eligibility is r <= 0.

* :func:`rd_estimate` wraps ``rdrobust`` (Calonico, Cattaneo & Titiunik 2014): local-linear fit
  with a triangular kernel and the MSE-optimal bandwidth by default; the reported estimate and
  standard error are the conventional ones and the interval is the robust bias-corrected one
  (ci_method ``"rbc"``), as ``rdrobust`` prints them.
* :func:`density_test` wraps ``rddensity`` (Cattaneo, Jansson & Ma 2020): local-polynomial
  density estimates on each side of the cutoff and a jackknife t-test of equal densities. Claims
  pushed just below the threshold (to get the faster procedure) show up as a higher density on
  the left, which would make the sample on the two sides incomparable.
* :func:`small_claims_rd` puts them together on canonical cases, for each outcome of the sample
  (:func:`courtstudy.studies.triage.sample.build_sample`). ``design="fuzzy"`` (default) estimates the
  effect of the small-claims procedure itself for cases at the threshold (local average
  treatment effect): the jump in the outcome divided by the jump in the share of cases heard
  under small claims (``procedure == "small_claims"``), since eligible cases do not all use it.
  ``design="sharp"`` gives the effect of eligibility (intention to treat), reported as "below
  minus above" the threshold.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from courtstudy.core import text
from courtstudy.core.errors import CourtstudyError
from courtstudy.core.limits import small_claims_thresholds
from courtstudy.studies.results import EffectResult, estimate_row


def rd_estimate(y: np.ndarray, x: np.ndarray, cutoff: float = 0.0, *, outcome: str = "y",
                sign: float = 1.0, **kwargs) -> EffectResult:
    """``rdrobust(y, x, c=cutoff, **kwargs)`` as an :class:`EffectResult` (estimand "LATE").

    ``sign=-1`` reports left-minus-right instead of rdrobust's right-minus-left. The bandwidths,
    effective numbers of observations and the bias-corrected estimate are in ``diagnostics``.
    """
    from rdrobust import rdrobust

    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(y) & np.isfinite(x)
    with contextlib.redirect_stdout(io.StringIO()):
        fit = rdrobust(y[ok], x[ok], c=cutoff, **kwargs)
    coef = float(fit.coef.iloc[0, 0])
    se = float(fit.se.iloc[0, 0])
    lo, hi = (float(v) for v in fit.ci.iloc[2])
    if sign < 0:
        coef, lo, hi = -coef, -hi, -lo
    n_left, n_right = (int(v) for v in fit.N_h)
    robust_se = float(fit.se.iloc[2, 0])
    z = float(fit.coef.iloc[2, 0]) / robust_se
    from scipy import stats

    row = estimate_row(outcome=outcome, method="rdrobust", estimand="LATE", estimate=coef, std_error=se,
                       ci=(lo, hi), ci_method="rbc", p_value=float(2 * stats.norm.sf(abs(z))),
                       n_treated=n_left if sign < 0 else n_right, n_control=n_right if sign < 0 else n_left)
    diagnostics = {"h_left": float(fit.bws.iloc[0, 0]), "h_right": float(fit.bws.iloc[0, 1]),
                   "b_left": float(fit.bws.iloc[1, 0]), "b_right": float(fit.bws.iloc[1, 1]),
                   "n_h_left": n_left, "n_h_right": n_right,
                   "bias_corrected": sign * float(fit.coef.iloc[1, 0]), "robust_se": robust_se}
    return EffectResult(pd.DataFrame([row]), title={"zh": "断点回归", "en": "Regression discontinuity"},
                        diagnostics=diagnostics)


def density_test(x: np.ndarray, cutoff: float = 0.0) -> dict:
    """Cattaneo-Jansson-Ma density discontinuity test at ``cutoff``: densities on each side,
    bandwidths, jackknife t statistic and p-value (``rddensity``)."""
    from rddensity import rddensity

    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    with contextlib.redirect_stdout(io.StringIO()):
        fit = rddensity(x, c=cutoff)
    return {"t": float(fit.test["t_jk"]), "p_value": float(fit.test["p_jk"]),
            "density_left": float(fit.hat["left"]), "density_right": float(fit.hat["right"]),
            "h_left": float(fit.h["left"]), "h_right": float(fit.h["right"]),
            "n_left": int(np.sum(x < cutoff)), "n_right": int(np.sum(x >= cutoff))}


def running_variable(cases: pd.DataFrame, courts: pd.DataFrame, thresholds: pd.DataFrame | None = None) -> pd.Series:
    """Percent distance of each claim to its province-year threshold (NaN without a claim amount).

    Raises :class:`CourtstudyError` naming the province and years that have no threshold.
    """
    reason = rd_inputs_missing(cases, courts)
    if reason is not None:
        raise CourtstudyError(reason["en"])
    table = small_claims_thresholds() if thresholds is None else thresholds
    province = cases["court"].astype("string").map(_court_provinces(courts))
    year = cases["filed_date"].dt.year
    key = pd.DataFrame({"province": province.astype("string"), "year": year.astype("Int64")})
    lookup = table.assign(province=table["province"].astype("string"), year=table["year"].astype("Int64"))
    merged = key.merge(lookup[["province", "year", "threshold_yuan"]], on=["province", "year"], how="left")
    has_claim = cases["claim_amount"].notna().to_numpy()
    missing = merged["threshold_yuan"].isna().to_numpy() & has_claim
    if missing.any():
        combos = [f"{p} {y}" for p, y in key[missing].drop_duplicates().itertuples(index=False)]
        raise CourtstudyError("no small-claims threshold for province/year: " + ", ".join(combos[:10])
                              + " (add rows with courtstudy.core.limits.small_claims_thresholds(extra=...))")
    thr = merged["threshold_yuan"].to_numpy(dtype=float)
    return pd.Series(100 * (cases["claim_amount"].to_numpy(dtype=float) - thr) / thr, index=cases.index,
                     name="claim_distance_pct")


def _court_provinces(courts: pd.DataFrame) -> pd.Series:
    """Province of each court (the first non-missing value over its rows)."""
    frame = courts[["court", "province"]].astype({"court": "string", "province": "string"})
    return frame.dropna(subset=["province"]).drop_duplicates("court").set_index("court")["province"]


def rd_inputs_missing(cases: pd.DataFrame, courts: pd.DataFrame | None) -> dict[str, str] | None:
    """Why the threshold RD cannot run on these inputs (``{"zh": ..., "en": ...}``), or None.

    It needs the courts table's ``province`` (省份) for every court with cases (the threshold is
    provincial) and claim amounts."""
    if courts is None or "province" not in courts.columns or courts["province"].isna().all():
        return {"zh": "法院表中没有省份（省份列缺失或为空），无法确定各院适用的小额诉讼标准。",
                "en": "the courts table has no province (column missing or empty), so the small-claims "
                      "threshold of each court is unknown."}
    known = _court_provinces(courts)
    courts_with_cases = pd.Index(cases["court"].astype("string").dropna().unique())
    lacking = courts_with_cases.difference(known.index)
    if len(lacking):
        names = "、".join(map(str, lacking[:5]))
        return {"zh": f"法院表中缺少 {len(lacking)} 个法院的省份（如 {names}），无法确定其小额诉讼标准。",
                "en": f"the courts table lacks the province of {len(lacking)} court(s) (e.g. "
                      f"{', '.join(map(str, lacking[:5]))}), so their small-claims threshold is unknown."}
    if "claim_amount" not in cases.columns or cases["claim_amount"].notna().sum() == 0:
        return {"zh": "数据中没有标的额，无法做断点回归。", "en": "the data have no claim amounts."}
    return None


def take_up_near_threshold(cases: pd.DataFrame, distance: pd.Series, band_pct: float = 10.0) -> dict[str, float]:
    """Share of civil first-instance money claims heard under small claims within ``band_pct``
    percent below and above the threshold (closed or pending cases with a procedure), and the
    counts: how fuzzy the design is."""
    procedure = cases["procedure"].astype("string")
    civil = (cases["case_type"].astype("string").eq("civil") & cases["instance"].astype("string").eq("first")
             ).fillna(False) if {"case_type", "instance"} <= set(cases.columns) else pd.Series(True, index=cases.index)
    known = procedure.notna() & civil & distance.notna()
    below = known & (distance <= 0) & (distance >= -band_pct)
    above = known & (distance > 0) & (distance <= band_pct)
    used = procedure.eq("small_claims").fillna(False)
    return {"band_pct": float(band_pct), "n_below": int(below.sum()), "n_above": int(above.sum()),
            "share_below": float(used[below].mean()) if below.any() else np.nan,
            "share_above": float(used[above].mean()) if above.any() else np.nan}


def small_claims_rd(cases: pd.DataFrame, courts: pd.DataFrame, *,
                    outcomes: Sequence[str] = ("days_capped", "appealed", "mediation_withdrawal"),
                    thresholds: pd.DataFrame | None = None, as_of=None, horizon: int = 365,
                    window_pct: float = 100.0, design: str = "fuzzy", **rd_kwargs) -> EffectResult:
    """RD of each outcome at the small-claims threshold and the density test
    (``diagnostics["density"]``); see the module docstring for ``design``. Only claims within
    ``window_pct`` percent of the threshold are used (the bandwidth is chosen inside that window)."""
    if design not in ("fuzzy", "sharp"):
        raise ValueError(f"design must be 'fuzzy' or 'sharp', got {design!r}")
    from courtstudy.studies.triage.sample import build_sample

    distance = running_variable(cases, courts, thresholds)
    frame = cases.assign(_below=(distance <= 0).astype("boolean").where(distance.notna()),
                         _distance=distance)
    frame = frame.loc[frame["_distance"].abs() <= window_pct]
    if frame.empty:
        raise CourtstudyError(f"no claim within {window_pct}% of the small-claims threshold")
    take_up = take_up_near_threshold(cases, distance)
    sample = build_sample(frame, courts, treatment="_below", covariates=(), outcomes=outcomes, as_of=as_of,
                          horizon=horizon)
    x = frame.set_index("case_id").loc[sample.frame["case_id"], "_distance"].to_numpy(dtype=float)
    used = sample.frame["procedure"].astype("string").eq("small_claims").fillna(False).to_numpy(dtype=float)
    rows, diags = [], {}
    for name, out in sample.outcomes.items():
        mask = out.mask & np.isfinite(out.values)
        extra = dict(rd_kwargs)
        if design == "fuzzy":
            extra["fuzzy"] = used[mask]
        # Fuzzy: a ratio of two right-minus-left jumps, the effect of the procedure itself.
        res = rd_estimate(out.values[mask], x[mask], 0.0, outcome=name,
                          sign=1.0 if design == "fuzzy" else -1.0, **extra)
        if design == "fuzzy":
            res.rows["n_treated"], res.rows["n_control"] = res.diagnostics["n_h_left"], res.diagnostics["n_h_right"]
        row = res.rows.iloc[0].to_dict()
        row["unit"] = "risk_difference" if out.kind == "binary" else "days"
        rows.append(row)
        diags[name] = res.diagnostics
    density = density_test(x, 0.0)
    notes = {
        "zh": ["运行变量为标的额与本省当年小额诉讼标准的相对距离（%）；"
               + ("估计值为标准处适用小额诉讼程序本身的效果（模糊断点：结果跳跃 ÷ 适用比例跳跃）"
                  if design == "fuzzy" else "估计值为“标准以下减标准以上”（可适用小额诉讼的效果）")
               + "，置信区间为稳健偏差校正区间。",
               f"密度检验（Cattaneo-Jansson-Ma）：t = {density['t']:.2f}，p = {density['p_value']:.3f}；"
               "p 值小说明标的额在标准附近有堆积，断点估计不可信。"],
        "en": ["Running variable: claim amount relative to the province-year small-claims threshold (%); "
               + ("estimates are the effect of the small-claims procedure itself at the threshold (fuzzy RD: "
                  "jump in the outcome / jump in the share heard under small claims)"
                  if design == "fuzzy" else "estimates are below minus above the threshold (effect of eligibility)")
               + ", with robust bias-corrected intervals.",
               f"Density test (Cattaneo-Jansson-Ma): t = {density['t']:.2f}, p = {density['p_value']:.3f}; "
               "a small p-value means claims bunch at the threshold and the RD is not credible."],
    }
    return EffectResult(pd.DataFrame(rows), title={"zh": "小额诉讼标准断点回归", "en": "Small-claims threshold RD"},
                        notes=notes, diagnostics={"density": density, "fits": diags, "running_variable": x,
                                                  "design": design, "take_up": take_up})


def plot_density(x: np.ndarray, ax=None, lang: str = "zh", bins: int = 80, window: float = 50.0):
    """Histogram of the running variable near the threshold (bunching shows as a step at 0)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (np.abs(x) <= window)]
    label = "案件数" if lang == "zh" else "cases"
    _, _, bars = ax.hist(x, bins=np.linspace(-window, window, bins + 1), color="#0173b2", alpha=0.7, label=label)
    bars.set_label(label)  # the container too: the figure audit keys marks by it
    ax.axvline(0, color="#d55e00", lw=1, label="小额诉讼标准" if lang == "zh" else "small-claims threshold")
    ax.set_xlabel("标的额相对小额诉讼标准的距离（%）" if lang == "zh" else "Claim relative to small-claims threshold (%)")
    ax.set_ylabel("案件数（件）" if lang == "zh" else "Cases (count)")
    ax.set_title("小额诉讼标准两侧的案件分布" if lang == "zh" else "Claims on either side of the small-claims threshold")
    ax.legend(frameon=False)
    return ax


def _reader_scale(unit: str) -> tuple[float, str, str]:
    """Multiplier and zh/en unit of an RD row (binary outcomes in percentage points)."""
    return (100.0, "个百分点", "percentage points") if unit == "risk_difference" else (1.0, "天", "days")


def rd_table(rd: EffectResult, lang: str = "zh") -> pd.DataFrame:
    """The RD estimates in reader units (percentage points for yes/no outcomes, days), with the
    robust bias-corrected interval and the cases within the bandwidth on each side."""
    from courtstudy.studies.triage.sample import outcome_label

    rows = []
    for r in rd.tidy().itertuples(index=False):
        scale, zh, en = _reader_scale(getattr(r, "unit", "days"))
        rows.append({"outcome": outcome_label(r.outcome, lang), "unit": zh if lang == "zh" else en,
                     "estimate": r.estimate * scale, "ci_low": r.ci_low * scale, "ci_high": r.ci_high * scale,
                     "below": r.n_treated, "above": r.n_control})
    table = pd.DataFrame(rows, columns=["outcome", "unit", "estimate", "ci_low", "ci_high", "below", "above"])
    table[["below", "above"]] = table[["below", "above"]].astype("Int64")
    table.columns = rd_table_headers(rd.alpha, lang)
    return table


def rd_table_headers(alpha: float = 0.05, lang: str = "zh") -> list[str]:
    """Headers of :func:`rd_table` in ``lang`` (the report shows them as they are): the shared
    column labels (结果变量 / Outcome ...), the robust interval's ends at ``alpha`` and the cases
    within the bandwidth on each side of the threshold with their unit (件 / cases)."""
    low, high = text.interval_bounds(alpha, lang)
    robust = text.pick("（稳健）", " (robust)", lang)
    cases = text.unit_label("cases", lang)
    sides = [text.column_label(side, lang) for side in ("cases_below_threshold", "cases_above_threshold")]
    return [*(text.column_label(c, lang) for c in ("outcome", "unit", "estimate")), low + robust, high + robust,
            *(text.pick(f"{side}（{cases}）", f"{side} ({cases})", lang) for side in sides)]


def rd_statements(rd: EffectResult, lang: str = "zh") -> list[str]:
    """Sentences computed from the RD: how fuzzy the design is (take-up on each side), whether
    claims bunch below the threshold, and each effect in reader units with its interval."""
    from courtstudy.studies.triage.sample import outcome_label

    take = rd.diagnostics["take_up"]
    density = rd.diagnostics["density"]
    out = []
    band = f"{take['band_pct']:.0f}%"
    if lang == "zh":
        out.append(f"标的额在标准以下 {band} 以内的案件中，{take['share_below']:.0%} 适用了小额诉讼程序"
                   f"（{take['n_below']:,} 件），标准以上 {band} 以内的为 {take['share_above']:.0%}"
                   f"（{take['n_above']:,} 件）。标准以下的案件并非都适用小额诉讼，因此这是模糊断点："
                   "结果在标准处的跳跃除以适用比例的跳跃，才是小额诉讼程序本身对标准附近案件的效果。")
    else:
        out.append(f"Of the claims up to {band} below the threshold, {take['share_below']:.0%} were heard under small "
                   f"claims ({take['n_below']:,} cases); of those up to {band} above it, {take['share_above']:.0%} "
                   f"({take['n_above']:,}). Not every eligible claim uses small claims, so the design is fuzzy: the jump "
                   "in the outcome divided by the jump in the share heard under small claims is the effect of the "
                   "procedure itself for cases at the threshold.")
    bunched = density["p_value"] < 0.05
    out.append(("**标准以下出现案件堆积（密度检验 p = {p:.3f}），断点估计不可信。**" if bunched
                else "密度检验未发现标准以下的案件堆积（p = {p:.3f}）。").format(p=density["p_value"]) if lang == "zh"
               else ("**Claims bunch below the threshold (density test p = {p:.3f}): the RD is not credible.**"
                     if bunched else "The density test finds no bunching below the threshold (p = {p:.3f}).").format(
                   p=density["p_value"]))
    for r in rd.tidy().itertuples(index=False):
        scale, zh, en = _reader_scale(getattr(r, "unit", "days"))
        est, lo, hi = r.estimate * scale, r.ci_low * scale, r.ci_high * scale
        sure = lo > 0 or hi < 0
        label = outcome_label(r.outcome, lang)
        if lang == "zh":
            out.append(f"{label}：在标准处适用小额诉讼使其{'增加' if est > 0 else '减少'} {abs(est):.1f} {zh}"
                       f"（稳健{text.interval_label(rd.alpha, 'zh')} {lo:.1f} 至 {hi:.1f}）"
                       + ("。" if sure else "，区间包含 0。"))
        else:
            out.append(f"{label}: small claims at the threshold {'raised' if est > 0 else 'lowered'} it by "
                       f"{abs(est):.1f} {en} (robust {text.interval_label(rd.alpha, 'en')} {lo:.1f} to {hi:.1f})"
                       + ("." if sure else "; the interval includes 0."))
    return out
