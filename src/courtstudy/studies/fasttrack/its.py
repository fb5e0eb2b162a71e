"""Interrupted time series (segmented regression) for one court with no comparison courts.

    Y_t = b0 + b1 * t + b2 * post_t + b3 * (t - t0) * post_t + seasonal terms + e_t

``t0`` is the adoption period, ``post_t = 1{t >= t0}``: ``b2`` is the level change at adoption and
``b3`` the change in slope per period; the effect ``k`` periods after adoption is
``b2 + b3 * k``. Seasonality (``seasonality=``): ``"month"`` month-of-year (or quarter-of-year)
dummies; ``"festival"`` a dummy for the month holding the Spring Festival (春节, dates below) and
one for December (year-end closing push, 年底结案冲刺); ``"none"``. Standard errors are
Newey-West (HAC, Bartlett kernel) with ``maxlags`` defaulting to ``floor(4 (T/100)^(2/9))``
(Newey & West 1994), via statsmodels. Without comparison courts, anything else that changed at
``t0`` is read as the team's effect: the design is weaker than difference-in-differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from courtstudy.studies.results import EffectResult, estimate_row

#: Spring Festival (农历正月初一) dates.
SPRING_FESTIVAL: dict[int, str] = {
    2010: "2010-02-14", 2011: "2011-02-03", 2012: "2012-01-23", 2013: "2013-02-10",
    2014: "2014-01-31", 2015: "2015-02-19", 2016: "2016-02-08", 2017: "2017-01-28",
    2018: "2018-02-16", 2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12",
    2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29",
    2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13",
    2030: "2030-02-03",
}


def default_maxlags(n_periods: int) -> int:
    """Newey-West (1994) rule of thumb ``floor(4 (T/100)^(2/9))``."""
    return int(np.floor(4 * (n_periods / 100) ** (2 / 9)))


def _seasonal_dummies(period_start: pd.Series, seasonality: str, unit: str) -> pd.DataFrame:
    start = pd.to_datetime(period_start).reset_index(drop=True)
    if seasonality == "none":
        return pd.DataFrame(index=start.index)
    if seasonality == "month":
        key = start.dt.month if unit == "month" else start.dt.quarter
        prefix = "month" if unit == "month" else "quarter"
        dummies = pd.get_dummies(key, prefix=prefix, drop_first=True, dtype=float)
        return dummies
    if seasonality == "festival":
        years = sorted(set(start.dt.year))
        missing = [y for y in years if y not in SPRING_FESTIVAL]
        if missing:
            raise ValueError(f"no Spring Festival date for {missing}; extend its.SPRING_FESTIVAL")
        festival = [pd.Period(SPRING_FESTIVAL[y], "M" if unit == "month" else "Q") for y in years]
        freq = "M" if unit == "month" else "Q"
        periods = start.dt.to_period(freq)
        return pd.DataFrame({
            "spring_festival": periods.isin(festival).astype(float),
            "december": (start.dt.month == 12).astype(float) if unit == "month"
            else (start.dt.quarter == 4).astype(float),
        })
    raise ValueError(f"seasonality must be 'month', 'festival' or 'none', got {seasonality!r}")


def interrupted_time_series(
    series: pd.DataFrame,
    outcome: str,
    *,
    adoption: int | str,
    time: str = "t",
    period_start: str = "period_start",
    unit: str = "month",
    seasonality: str = "month",
    maxlags: int | None = None,
    effect_at: tuple[int, ...] = (0, 6, 12),
    court: str = "",
    alpha: float = 0.05,
) -> EffectResult:
    """Segmented regression of one court's series (formula and HAC errors in the module doc).

    ``series`` has one row per period with ``time`` (consecutive integers), ``period_start``
    (dates, for the seasonal terms) and ``outcome``. ``adoption`` is the ``time`` value of the
    adoption period, or the label in a ``period`` column. Rows: ``level_change`` (b2),
    ``slope_change`` (b3) and ``effect_k`` = b2 + b3 k for k in ``effect_at`` (``event_time`` k).
    """
    import statsmodels.api as sm

    frame = series.sort_values(time).reset_index(drop=True)
    if isinstance(adoption, str):
        if "period" not in frame or not (frame["period"] == adoption).any():
            raise ValueError(f"adoption period {adoption!r} not in the series' period column")
        adoption = int(frame.loc[frame["period"] == adoption, time].iloc[0])
    y = pd.to_numeric(frame[outcome], errors="coerce").astype(float)
    if y.isna().any():
        first_bad = frame.loc[y.isna(), time].iloc[0]
        raise ValueError(f"{court or 'series'}: outcome {outcome!r} is empty at {time}={first_bad}; "
                         "an interrupted time series needs every period")
    t = frame[time].astype(float)
    post = (t >= adoption).astype(float)
    n_pre, n_post = int((post == 0).sum()), int(post.sum())
    if n_pre < 3 or n_post < 2:
        raise ValueError(f"{court or 'series'}: need at least 3 periods before and 2 after adoption "
                         f"(have {n_pre} and {n_post})")
    design = pd.DataFrame({"const": 1.0, "trend": t - t.iloc[0], "level_change": post,
                           "slope_change": (t - adoption) * post})
    design = pd.concat([design, _seasonal_dummies(frame[period_start], seasonality, unit)], axis=1)
    lags = default_maxlags(len(frame)) if maxlags is None else int(maxlags)
    fit = sm.OLS(y.to_numpy(), design).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    params, cov = fit.params, fit.cov_params()
    rows = []
    for name in ("level_change", "slope_change"):
        row = estimate_row(outcome=outcome, method="its", estimand="ATT", aggregation=name,
                           estimate=params[name], std_error=float(np.sqrt(cov.loc[name, name])),
                           n_treated=n_post, n_control=n_pre, alpha=alpha,
                           ci_method="wald (Newey-West HAC)")
        row.update(term=name, court=court)
        rows.append(row)
    for k in effect_at:
        if k > n_post - 1:
            continue
        grad = np.zeros(len(params))
        grad[list(params.index).index("level_change")] = 1.0
        grad[list(params.index).index("slope_change")] = float(k)
        est = float(grad @ params.to_numpy())
        se = float(np.sqrt(grad @ cov.to_numpy() @ grad))
        row = estimate_row(outcome=outcome, method="its", estimand="ATT", aggregation="dynamic",
                           event_time=float(k), estimate=est, std_error=se, n_treated=n_post,
                           n_control=n_pre, alpha=alpha, ci_method="wald (Newey-West HAC)")
        row.update(term="event", court=court)
        rows.append(row)
    notes = {
        "zh": [f"中断时间序列：{court}，事前{n_pre}期、事后{n_post}期；Newey-West标准误（滞后{lags}期）。"
               "无对照法院，同期其他变化都会被算作速裁团队的效果，证据弱于双重差分。"],
        "en": [f"Interrupted time series: {court}, {n_pre} periods before and {n_post} after; "
               f"Newey-West errors ({lags} lags). With no comparison courts, anything else that "
               "changed at adoption is read as the team's effect: weaker than difference-in-differences."],
    }
    return EffectResult(pd.DataFrame(rows),
                        title={"zh": f"中断时间序列：{court} {outcome}",
                               "en": f"Interrupted time series: {court} {outcome}"},
                        notes=notes,
                        diagnostics={"fit": fit, "maxlags": lags, "adoption": adoption,
                                     "fitted": pd.Series(np.asarray(fit.fittedvalues),
                                                         index=frame[time].to_numpy())},
                        alpha=alpha)
