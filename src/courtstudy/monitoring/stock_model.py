"""The case-level projection of the rest of a year: the pending stock closes by age, new
filings follow the court's own seasonal ratio, and the year-to-year variation is measured.

For a projection made on day ``d`` of year ``Y`` and each *pool* (a court, whose history gives
the rates; the groups projected, e.g. its teams or judges, share them), the *analog days*
``d_y`` are the same calendar day in each of the previous ``history_years`` complete years
``y`` (the Spring Festival, the summer and the December push then fall the same way).

Filings for the rest of the year (seasonality and trend)::

    r_y = log(filed in (d_y, e_y] / filed in [s_y, d_y])          (each analog year)
    log lambda ~ N(log filed_ytd + median_y r_y,  1/filed_ytd + tau_F^2 (1 + 1/n) + vbar/n)
    filed_rest ~ Poisson(lambda)

The year-to-date filings carry the level (this year's growth); the ratio carries the season.
The median over the years keeps one abnormal spring (2020) from setting the season.
``tau_F^2`` is the between-year variance of ``r_y`` net of its Poisson noise ``v = 1/a + 1/b``,
pooled over every pool of the data (method of moments; few courts and few years each).

Closings of the pending stock (cases close by age): in each cell (case class x age band of
:mod:`courtstudy.monitoring.caseflow`, and within it the part that would be over 12 or 18
months old at year end) the share of the analog stocks that closed by ``e_y``, pooled over the
analog years and shrunk towards the court's share of the whole cell and the office's
(``(closed + m p_parent) / (n + m)``, ``m`` = :data:`SHRINK_CASES`; see :func:`_shrunk_shares`),
and drawn from its beta posterior ``Beta(p (n + m), (1 - p) (n + m))`` so that a share
resting on few old cases carries its uncertainty::

    stock closings in a cell and part ~ Binomial(n, expit(logit p_draw + delta_S))

``delta_S`` is the year's shift of the court's closing speed: the logit shift that makes the
cells' expected closings equal the observed ones in each analog year, whose between-year
variance net of binomial noise is ``tau_S^2`` (pooled as above); a projection draws
``delta_S ~ N(0, tau_S^2 (1 + 1/n))``. The stock's long-pending parts (over 18 / 12 months at
year end if still pending) are drawn separately within each cell, so 长期未结 follows.

Closings of the new filings: the share ``q`` of the analog years' rest-of-year filings closed
by ``e_y``, with its own year shift ``delta_N`` (variance ``tau_N^2``), drawn with the same
standard normal as ``delta_S`` (a slow year is slow for old and new cases alike)::

    new closings ~ Binomial(filed_rest, expit(logit q + delta_N))

The ``1 + 1/n`` factors add the error of estimating a mean from ``n`` years. With fewer than
two analog years in every pool no ``tau`` can be estimated: they are then 0 and the result says
the intervals are too narrow.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from courtstudy.core import log
from courtstudy.core.calendar import add_months_to
from courtstudy.monitoring.caseflow import N_CELLS, CaseFlow, Window, day_number

logger = logging.getLogger(__name__)

#: Prior weight (in cases) of the office-wide share of a cell when shrinking a court's share.
SHRINK_CASES = 10.0
#: Days before the origin whose closings measure this year's closing speed.
RECENT_DAYS = 91
#: Closing shares are kept inside (EPS, 1 - EPS) before taking logits.
EPS = 1e-4


@dataclass
class StockDraws:
    """Monte Carlo draws of the rest of the year, one row per unit (group), one column per draw."""

    filed_rest: np.ndarray
    stock_closed: np.ndarray
    new_closed: np.ndarray
    over_12m: np.ndarray          # pending at year end and over 12 months (incl. over 18)
    over_18m: np.ndarray
    history_years: list[int]
    tau: dict[str, float]
    notes: list[tuple[str, str]] = field(default_factory=list)
    rates: pd.DataFrame | None = None   # per pool: filing ratio, stock and new closing shares


def analog_day(day: pd.Timestamp, year: int) -> pd.Timestamp:
    """The same calendar day in ``year`` (28 February for 29 February)."""
    day = pd.Timestamp(day)
    return add_months_to(day, 12 * (year - day.year))


def _pool_sum(values: np.ndarray, pool_of: np.ndarray, n_pools: int) -> np.ndarray:
    out = np.zeros((n_pools, *values.shape[1:]), dtype=values.dtype)
    np.add.at(out, pool_of, values)
    return out


def _tau_squared(estimates: list[np.ndarray], noise: list[np.ndarray]) -> tuple[float, int]:
    """Between-year variance pooled over pools: ``estimates`` and ``noise`` (sampling
    variances) are lists over years of arrays over pools (NaN where a year is unusable).
    Method of moments: sum of squared deviations from each pool's mean, minus the sampling
    part, over the degrees of freedom. Returns (tau^2 >= 0, degrees of freedom)."""
    if not estimates:
        return 0.0, 0
    est = np.vstack(estimates)
    var = np.vstack(noise)
    ok = np.isfinite(est) & np.isfinite(var)
    n = ok.sum(axis=0)
    use = n >= 2
    if not use.any():
        return 0.0, 0
    est, var, ok, n = est[:, use], var[:, use], ok[:, use], n[use]
    mean = np.where(ok, est, 0).sum(axis=0) / n
    squares = np.where(ok, (est - mean) ** 2, 0).sum()
    sampling = (np.where(ok, var, 0).sum(axis=0) * (1 - 1 / n)).sum()
    df = int((n - 1).sum())
    return max(0.0, float((squares - sampling) / df)), df


def _logit_shift(n: np.ndarray, p: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pool: the shift ``delta`` with sum_cells n expit(logit p + delta) = observed (Newton),
    and its binomial sampling variance 1 / sum n p (1 - p). ``n``, ``p``: (pools, cells)."""
    lp = logit(np.clip(p, EPS, 1 - EPS))
    total = n.sum(axis=1)
    obs = np.clip(observed, 0.5, np.maximum(total - 0.5, 0.5))
    delta = np.zeros(len(total))
    for _ in range(30):
        q = expit(lp + delta[:, None])
        f = (n * q).sum(axis=1) - obs
        slope = (n * q * (1 - q)).sum(axis=1)
        step = np.divide(f, slope, out=np.zeros_like(f), where=slope > 0)
        delta = np.clip(delta - step, -6, 6)
        if np.all(np.abs(step) < 1e-10):
            break
    q = expit(lp + delta[:, None])
    info = (n * q * (1 - q)).sum(axis=1)
    var = np.divide(1.0, info, out=np.full(len(info), np.nan), where=info > 0)
    delta[total == 0] = np.nan
    return delta, var


class _FilingBase:
    """The seasonal ratio of filings after the analog day to a base (the year to date, or the
    365 days up to the day), per pool: its median over the analog years, the between-year
    variance net of Poisson noise (``v = 1/base + 1/rest``), and the predictive distribution of
    ``log(rest)`` for a unit with a given base::

        log rest ~ N(log base + median r,  1/base + tau^2 (1 + 1/n) + vbar / n)
    """

    def __init__(self, bases: list[np.ndarray], rests: list[np.ndarray], n_pools: int) -> None:
        ratio, noise = [], []
        for a, b in zip(bases, rests, strict=True):
            a, b = a.astype(float), b.astype(float)
            ok = (a > 0) & (b > 0)
            safe_a, safe_b = np.where(ok, a, 1), np.where(ok, b, 1)
            ratio.append(np.where(ok, np.log(safe_b / safe_a), np.nan))
            noise.append(np.where(ok, 1 / safe_a + 1 / safe_b, np.nan))
        self.tau, self.df = _tau_squared(ratio, noise)
        self.ratio = ratio
        if ratio:
            r, v = np.vstack(ratio), np.vstack(noise)
            self.n_years = np.isfinite(r).sum(axis=0)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                self.centre = np.nanmedian(r, axis=0)
                self.noise = np.nanmean(v, axis=0)
        else:
            self.n_years = np.zeros(n_pools, dtype=int)
            self.centre = np.full(n_pools, np.nan)
            self.noise = np.full(n_pools, np.nan)

    def predict(self, base: np.ndarray, pool_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, variance) of log(rest) per unit; NaN mean where the unit's pool has no year
        (or the base is zero: then no filings are projected)."""
        n = self.n_years[pool_of].astype(float)
        ok = (n > 0) & (base > 0)
        centre = np.where(ok, np.log(np.where(base > 0, base, 1)) + np.nan_to_num(self.centre[pool_of]),
                          np.nan)
        var = 1 / np.maximum(base, 1) + self.tau * (1 + 1 / np.maximum(n, 1)) \
            + np.nan_to_num(self.noise[pool_of]) / np.maximum(n, 1)
        return centre, var

    def correlation(self, other: _FilingBase) -> float:
        """Pooled correlation of the two bases' ratios across years (deviations from each
        pool's mean over the years both have), clipped to [0, 1]."""
        if not self.ratio or len(self.ratio) != len(other.ratio):
            return 1.0
        a, b = np.vstack(self.ratio), np.vstack(other.ratio)
        both = np.isfinite(a) & np.isfinite(b)
        n = both.sum(axis=0)
        keep = n >= 2
        if not keep.any():
            return 1.0
        a, b, both, n = a[:, keep], b[:, keep], both[:, keep], n[keep]
        da = np.where(both, a - np.where(both, a, 0).sum(axis=0) / n, 0)
        db = np.where(both, b - np.where(both, b, 0).sum(axis=0) / n, 0)
        den = np.sqrt((da ** 2).sum() * (db ** 2).sum())
        return float(np.clip((da * db).sum() / den, 0, 1)) if den > 0 else 1.0


class _Speed:
    """This year's closing speed carried to the rest of the year, by credibility.

    For each analog year: the *signal* (logit shift of the closings in the weeks before the
    analog day against those weeks' pooled shares) and the *target* (logit shift of the rest
    of the year against its pooled shares), each with its binomial sampling variance. Then::

        tau_signal^2   = between-year variance of the signal (net of sampling noise)
        tau_residual^2 = between-year variance of target - signal (net of both noises)
        k              = tau_signal^2 / (tau_signal^2 + sampling variance of this year's signal)
        shift          ~ N(k * signal_now, (1 - k) tau_signal^2 + tau_residual^2 (1 + 1/n))

    ``k`` is the Bühlmann credibility of this year's own evidence: a court whose cases have
    closed faster than in past years so far is projected faster, in proportion to how much
    of that difference is more than noise."""

    def __init__(self) -> None:
        self.signal: list[np.ndarray] = []
        self.signal_var: list[np.ndarray] = []
        self.residual: list[np.ndarray] = []
        self.residual_var: list[np.ndarray] = []
        self.tau_signal = 0.0
        self.tau_residual = 0.0

    def add(self, signal: tuple[np.ndarray, np.ndarray], target: tuple[np.ndarray, np.ndarray]) -> None:
        self.signal.append(signal[0])
        self.signal_var.append(signal[1])
        self.residual.append(target[0] - signal[0])
        self.residual_var.append(target[1] + signal[1])

    def predict(self, now: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
        """(centre, variance, degrees of freedom) of this year's shift, per pool."""
        self.tau_signal, df_signal = _tau_squared(self.signal, self.signal_var)
        self.tau_residual, df_residual = _tau_squared(self.residual, self.residual_var)
        signal = np.nan_to_num(now[0])
        noise = np.nan_to_num(now[1], nan=np.inf)
        k = np.zeros(len(signal))
        if self.tau_signal > 0:
            k = np.where(np.isfinite(noise), self.tau_signal / (self.tau_signal + noise), 0.0)
        n = np.maximum(np.isfinite(np.vstack(self.residual)).sum(axis=0), 1) if self.residual \
            else np.ones(len(signal))
        var = (1 - k) * self.tau_signal + self.tau_residual * (1 + 1 / n)
        return k * signal, var, min(df_signal, df_residual)


def _shrunk_shares(n: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """Closing shares per (pool, cell, part) shrunk towards the pool's cell (all parts), which
    is shrunk towards the office's cell and part, which is shrunk towards the office's cell,
    then the office overall: ``(closed + m * parent) / (n + m)`` at each step."""
    m = SHRINK_CASES
    overall = closed.sum() / max(n.sum(), 1)
    office_cell = (closed.sum(axis=(0, 2)) + m * overall) / (n.sum(axis=(0, 2)) + m)
    office_part = (closed.sum(axis=0) + m * office_cell[:, None]) / (n.sum(axis=0) + m)
    pool_cell = (closed.sum(axis=2) + m * office_cell[None, :]) / (n.sum(axis=2) + m)
    # A pool's part leans on its own cell, moved by the office's part-to-cell contrast.
    contrast = np.divide(office_part, office_cell[:, None], out=np.ones_like(office_part),
                         where=office_cell[:, None] > 0)
    parent = np.clip(pool_cell[:, :, None] * contrast[None], 0, 1)
    return np.clip((closed + m * parent) / (n + m), EPS, 1 - EPS), n + m


def project_stock(flow: CaseFlow, origin: pd.Timestamp, pool_of: np.ndarray, n_pools: int,
                  *, history_years: int = 3, n_draws: int = 4000,
                  rng: np.random.Generator | None = None) -> tuple[Window, StockDraws]:
    """Draws of the rest of ``origin``'s year for every unit of ``flow`` (see the module
    docstring). ``pool_of[unit]`` is the pool (court) whose history gives the unit's rates.
    Returns the current :class:`~courtstudy.monitoring.caseflow.Window` and the draws."""
    rng = np.random.default_rng(0) if rng is None else rng
    origin = pd.Timestamp(origin).normalize()
    year = origin.year
    now = flow.window(day_number(origin), year)
    notes: list[tuple[str, str]] = []
    years = [y for y in range(year - history_years, year) if flow.year_covered(y)]
    if not years:
        raise ValueError(f"no complete year of history before {year}: a projection needs at "
                         "least one past year of the court's own filings and closings")
    past = [flow.window(day_number(analog_day(origin, y)), y) for y in years]

    def pooled(values: np.ndarray) -> np.ndarray:
        return _pool_sum(values, pool_of, n_pools)

    # --- filings: the seasonal ratio of each pool and year, on two bases -----------------
    base_ytd = _FilingBase([pooled(w.filed_ytd) for w in past], [pooled(w.filed_rest) for w in past],
                           n_pools)
    # A year whose 365 days before the analog day are not all in the data has no trailing base.
    base_trailing = _FilingBase([pooled(w.filed_trailing) * flow.covers(w.day - 364) for w in past],
                                [pooled(w.filed_rest) for w in past], n_pools)
    df_f = base_ytd.df
    n_ratio = base_ytd.n_years

    # --- stock: closing share by cell and long-pending part, pooled over years, shrunk to
    # the cell (all parts), then to the office -------------------------------------------
    n_parts = np.zeros((n_pools, N_CELLS, 3))
    c_parts = np.zeros((n_pools, N_CELLS, 3))
    for w in past:
        n_parts += pooled(w.stock)
        c_parts += pooled(w.stock_closed)
    p_cell, n_eff = _shrunk_shares(n_parts, c_parts)
    # --- new filings: share closed by year end -------------------------------------------
    new_n = sum(pooled(w.filed_rest) for w in past).astype(float)
    new_c = sum(pooled(w.new_closed) for w in past).astype(float)
    q_office = new_c.sum() / max(new_n.sum(), 1)
    q = (new_c + SHRINK_CASES * q_office) / (new_n + SHRINK_CASES)

    # --- this year's closing speed so far, and how well it carries to the rest of the year --
    # The stock of RECENT_DAYS ago and its closings by the origin, against the same weeks of
    # the analog years: the logit shift of each pool and year.
    def recent(at: pd.Timestamp, y: int) -> Window:
        d1 = day_number(at)
        d0 = d1 - RECENT_DAYS
        return flow.window(d0, (at - pd.Timedelta(days=RECENT_DAYS)).year, until=d1)

    recent_past = [recent(analog_day(origin, y), y) for y in years]
    recent_now = recent(origin, year)
    rn = sum(pooled(w.stock) for w in recent_past).astype(float)
    rc = sum(pooled(w.stock_closed) for w in recent_past).astype(float)
    p_recent = _shrunk_shares(rn, rc)[0].reshape(n_pools, -1)

    def shift(w: Window, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _logit_shift(pooled(w.stock).reshape(n_pools, -1).astype(float), p,
                            pooled(w.stock_closed).sum(axis=(1, 2)).astype(float))

    # The filings of RECENT_DAYS ago and how many closed by the origin: this year's speed on
    # fresh cases, against the same weeks of the analog years.
    fn = sum(pooled(w.filed_rest) for w in recent_past).astype(float)
    fc = sum(pooled(w.new_closed) for w in recent_past).astype(float)
    q_recent = ((fc + SHRINK_CASES * fc.sum() / max(fn.sum(), 1)) / (fn + SHRINK_CASES))[:, None]

    def fresh(w: Window, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _logit_shift(pooled(w.filed_rest).astype(float)[:, None], share,
                            pooled(w.new_closed).astype(float))

    p_flat = p_cell.reshape(n_pools, -1)
    stock_speed = _Speed()
    new_speed = _Speed()
    for w, wr in zip(past, recent_past, strict=True):
        stock_speed.add(signal=shift(wr, p_recent), target=shift(w, p_flat))
        new_speed.add(signal=fresh(wr, q_recent), target=fresh(w, q[:, None]))
    centre_s, var_s, df_s = stock_speed.predict(shift(recent_now, p_recent))
    centre_n, var_n, df_n = new_speed.predict(fresh(recent_now, q_recent))
    if min(df_f, df_s, df_n) == 0:
        notes.append(("历史年份不足两年，无法估计年度间波动，预测区间偏窄。",
                      "Fewer than two past years: the year-to-year variation cannot be "
                      "estimated and the intervals are too narrow."))
        log.warn(logger, "year-end projection from %s: fewer than two past years, the intervals "
                 "are too narrow", "%s 的年底预测：历史年份不足两年，无法估计年度间波动，预测区间偏窄",
                 origin.date())

    # --- draws per unit ------------------------------------------------------------------
    m_a, v_a = base_ytd.predict(now.filed_ytd.astype(float), pool_of)
    # The trailing base is used only where its between-year variance could be estimated
    # (two or more years): with one year its intervals would be far too narrow.
    if base_trailing.df > 0 and flow.covers(now.day - 364):
        m_b, v_b = base_trailing.predict(now.filed_trailing.astype(float), pool_of)
        use_b = np.isfinite(m_b) & (base_trailing.n_years[pool_of] > 0)
        use_a = np.isfinite(m_a)
        both = use_a & use_b
        # Minimum-variance combination of two correlated estimates (the same future filings,
        # overlapping bases): rho from the analog years.
        rho = base_ytd.correlation(base_trailing)
        vb = np.where(use_b, v_b, 1.0)
        cov = rho * np.sqrt(v_a * vb)
        denominator = v_a + vb - 2 * cov
        w_opt = np.clip(np.divide(vb - cov, denominator, out=np.full_like(v_a, 0.5),
                                  where=denominator > 1e-12), 0, 1)
        w_a = np.where(both, w_opt, use_a.astype(float))
        centre = np.where(use_a | use_b, w_a * np.nan_to_num(m_a) + (1 - w_a) * np.nan_to_num(m_b),
                          np.nan)
        spread = w_a ** 2 * v_a + (1 - w_a) ** 2 * vb + 2 * w_a * (1 - w_a) * cov
    else:
        centre, spread = m_a, v_a
    log_lam = centre[:, None] + np.sqrt(spread)[:, None] * rng.standard_normal((flow.n_units, n_draws))
    lam = np.where(np.isfinite(centre)[:, None], np.exp(log_lam), 0.0)
    filed_rest = rng.poisson(lam)

    z = rng.standard_normal((flow.n_units, n_draws))
    delta_s = centre_s[pool_of][:, None] + z * np.sqrt(var_s[pool_of])[:, None]
    delta_n = centre_n[pool_of][:, None] + z * np.sqrt(var_n[pool_of])[:, None]
    # Each cell's share is uncertain (few old cases): drawn from its beta posterior, whose
    # prior is the shrinkage target with weight SHRINK_CASES.
    alpha = (p_cell * n_eff)[pool_of]                             # (units, cells, parts)
    beta = ((1 - p_cell) * n_eff)[pool_of]
    stock_closed = np.zeros((flow.n_units, n_draws), dtype=np.int64)
    over12 = np.zeros_like(stock_closed)
    over18 = np.zeros_like(stock_closed)
    units, cells = np.nonzero(now.stock.sum(axis=2))
    for unit, cell in zip(units, cells, strict=True):
        for part in range(3):
            k = int(now.stock[unit, cell, part])
            if k == 0:
                continue
            share = rng.beta(alpha[unit, cell, part], beta[unit, cell, part], size=n_draws)
            share = np.clip(share, EPS, 1 - EPS)
            closed = rng.binomial(k, expit(logit(share) + delta_s[unit]))
            stock_closed[unit] += closed
            if part >= 1:
                over12[unit] += k - closed
            if part == 2:
                over18[unit] += k - closed
    lq = logit(np.clip(q, EPS, 1 - EPS))[pool_of][:, None]
    new_closed = rng.binomial(filed_rest, expit(lq + delta_n))

    rates = pd.DataFrame({
        "pool": np.arange(n_pools), "years": n_ratio,
        "rest_to_ytd_filing_ratio": np.exp(base_ytd.centre),
        "rest_to_trailing_filing_ratio": np.exp(base_trailing.centre),
        "stock_closing_share": c_parts.sum(axis=(1, 2)) / np.maximum(n_parts.sum(axis=(1, 2)), 1),
        "new_closing_share": q, "stock_speed_shift": centre_s, "new_speed_shift": centre_n})
    draws = StockDraws(filed_rest=filed_rest, stock_closed=stock_closed, new_closed=new_closed,
                       over_12m=over12, over_18m=over18, history_years=years,
                       tau={"filing_ratio_ytd": base_ytd.tau ** 0.5,
                            "filing_ratio_trailing": base_trailing.tau ** 0.5,
                            "stock_speed": stock_speed.tau_signal ** 0.5,
                            "stock_closing": stock_speed.tau_residual ** 0.5,
                            "new_speed": new_speed.tau_signal ** 0.5,
                            "new_closing": new_speed.tau_residual ** 0.5},
                       notes=notes, rates=rates)
    return now, draws
