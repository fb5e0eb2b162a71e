"""The first diversion in the synthetic court: pre-suit mediation records, links and derived cases.

``simulate_mediation(court)`` takes a :class:`~courtstudy.simulate.generator.SyntheticCourt` as
the world without pre-suit mediation (the counterfactual) and returns the factual world with it,
as a separate object: the court itself is not changed (the demo data and every notebook number
stay as they are; mediation is an extra output the caller asks for):

* **factual cases**: the court's cases without the disputes that mediation resolved;
* **mediation records** (诉前调解, numbers （2021）示0102民诉前调12号) for each court from its own
  start of pre-suit mediation, staggered across courts (``start_offsets_months`` after the
  simulation's start: one court per quarter by default; the last ``n_never`` courts never
  start);
* **links**: the filed case of a failed mediation names its mediation record (诉前调解案号), an
  appeal names its first instance (原审案号), a retrial petition the case it attacks, a
  judicial confirmation (民特) the mediation record, an enforcement case (the court's 执 cases)
  the judgment or mediation it enforces (执行依据);
* **derived cases**: appeals (民终, at the city's intermediate court) for the first-instance
  cases recorded as appealed, with the recorded appeal dates; retrial petitions (民申, at the
  provincial high court) for the cases recorded with one; judicial confirmations (民特).

The model, per court ``c`` with start ``m_c`` and diversion share ``d_c`` (uniform in
``diversion_range``): every civil first-instance case of the court filed on or after ``m_c``
is a dispute that is sent to mediation first with probability ``d_c``. Mediation fails with
probability ``expit(logit(failed_share) + small_claim_tilt * clip(ln(claim / 50,000), -3, 3))``
(small claims settle more often) and the case is then filed as before, a few days after the
mediation ended; otherwise the dispute ends settled (调解成功), settled and judicially confirmed
(a 民特 case follows) or withdrawn, and the case is never filed. So the start of mediation
lowers a court's civil first-instance filings by ``ln(1 - d_c (1 - mean failure))`` in logs
(``truth``: the realised value per court; ``filings_truth``: filings per court and month in
both worlds) and shifts the mix of filed cases towards larger claims; parallel trends hold by
construction (the counterfactual is the court as simulated).
Not modelled this round: any effect of mediation on the durations or appeals of filed cases,
disputes that mediation draws in that would never have been filed, remands and retrials
granted (民再).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from courtstudy.core import categories, schema
from courtstudy.core.calendar import day_number, day_numbers
from courtstudy.simulate.calendar import NA_DAY, add_months, to_datetime

_STREAM = 101
#: Months after the simulation's start of each adopting court's start: one court per quarter.
DEFAULT_START_OFFSETS_MONTHS = tuple(range(6, 6 + 3 * 15, 3))
#: Appeal result -> disposition of the appeal case itself.
_APPEAL_DISPOSITION = {"affirmed": "judgment", "modified": "judgment", "remanded": "other",
                       "withdrawn": "withdrawal", "mediated": "mediation", "other": "other"}


@dataclass(frozen=True)
class MediationSettings:
    """Parameters of the first diversion (module docstring)."""

    seed: int = 20240101
    start_offsets_months: tuple[int, ...] = DEFAULT_START_OFFSETS_MONTHS
    n_never: int = 1
    diversion_range: tuple[float, float] = (0.35, 0.60)
    failed_share: float = 0.55
    #: Among the disputes mediation ends without filing: settled, confirmed, withdrawn.
    resolved_mix: tuple[float, float, float] = (0.60, 0.30, 0.10)
    #: Log-odds of failure per unit of ln(claim / 50,000) (clipped to +-3).
    small_claim_tilt: float = 0.4
    mean_days_success: float = 16.0
    mean_days_failed: float = 27.0
    #: Share of the court's enforcement cases whose basis is one of its own closed cases.
    enforcement_linked_share: float = 0.8


@dataclass(frozen=True, eq=False)
class MediationWorld:
    """What :func:`simulate_mediation` makes: ``cases`` (the court's cases in the factual world:
    without the disputes resolved before filing; the court's own cases are the counterfactual),
    ``records`` (canonical mediation frame),
    ``derived_cases`` (canonical cases: appeals, retrial petitions, confirmations), ``links``
    (``case_id``, ``linked_case_id``, ``link``), ``schedule`` (court, mediation_start,
    diversion_share), ``truth`` (per court) and ``filings_truth`` (per court and month)."""

    cases: pd.DataFrame
    records: pd.DataFrame
    derived_cases: pd.DataFrame
    links: pd.DataFrame
    schedule: pd.DataFrame
    truth: pd.DataFrame
    filings_truth: pd.DataFrame
    settings: MediationSettings

    def all_cases(self) -> pd.DataFrame:
        """The factual cases followed by the derived ones (one canonical frame)."""
        return pd.concat([self.cases, self.derived_cases], ignore_index=True)

    def mediation_export(self) -> pd.DataFrame:
        """The records as a court's mediation register: Chinese headers, Chinese results,
        ISO dates (what :func:`courtstudy.ingest.mediation.load_mediation` reads)."""
        out = {}
        for f in schema.MEDIATION_FIELDS:
            column = self.records[f.name]
            if f.dtype == schema.DATE_DTYPE:
                column = column.dt.strftime("%Y-%m-%d")
            elif f.vocabulary is not None:
                column = column.map(lambda code, v=f.vocabulary: schema.label(v, code), na_action="ignore")
            out[f.label_zh] = column.astype("string").fillna("")
        return pd.DataFrame(out)

    def links_export(self) -> pd.DataFrame:
        """The court's and the derived cases as an export holding only 案号, 立案日期 and the link
        columns (原审案号, 执行依据, 诉前调解案号), for :func:`courtstudy.ingest.links.load_links`."""
        every = self.all_cases()
        out = pd.DataFrame({"案号": every["case_id"].astype("string"),
                            "立案日期": every["filed_date"].dt.strftime("%Y-%m-%d")})
        columns = {"original": "原审案号", "enforcement_basis": "执行依据", "mediation": "诉前调解案号"}
        for link, header in columns.items():
            named = self.links.loc[self.links["link"] == link].drop_duplicates("case_id")
            out[header] = out["案号"].map(named.set_index("case_id")["linked_case_id"]).fillna("")
        return out


def _upper_court(name: str, code: str) -> tuple[str, str]:
    city = name.split("市", 1)[0] + "市" if "市" in name else name
    return f"{city}中级人民法院", code[:3]


def _numbered(year: np.ndarray, code: np.ndarray, type_code: str, order: np.ndarray) -> np.ndarray:
    """Case numbers （year）code+type+seq号, sequences by year and court in ``order``."""
    frame = pd.DataFrame({"year": year, "code": code, "order": order})
    seq = frame.sort_values("order", kind="stable").groupby(["year", "code"]).cumcount() + 1
    seq = seq.sort_index().to_numpy()
    return np.array([f"（{y}）{c}{type_code}{s}号" for y, c, s in zip(year, code, seq, strict=True)], dtype=object)


def _days(values: pd.Series) -> np.ndarray:
    return day_numbers(values)


def _years(days: np.ndarray) -> np.ndarray:
    return pd.DatetimeIndex(to_datetime(np.asarray(days, dtype=np.int64))).year.to_numpy()


def _dates(days: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """Day numbers to dates; NaT where ``known`` is False."""
    days = np.asarray(days, dtype=np.int64)
    return to_datetime(days if known is None else np.where(known, days, NA_DAY))


def simulate_mediation(court, settings: MediationSettings | None = None, *,
                       keep_court_cases: bool = False) -> MediationWorld:
    """Mediation records, links and derived cases for a synthetic court (module docstring).

    ``keep_court_cases=True``: the court's cases stay the factual world (every one is still
    filed), so the disputes mediation resolved are disputes it drew in that would not have been
    filed; the records, derived cases and links then agree with the court's own export (the
    demo data uses this: its ``cases.csv`` stays as it was) and ``truth`` shows no effect on
    filings. The records are the same in both worlds; appeals, retrial petitions and
    enforcement links are drawn from the factual cases, so they differ."""
    s = settings or MediationSettings()
    rng = np.random.default_rng(np.random.SeedSequence([int(s.seed), _STREAM]))
    cases = court.cases
    as_of = day_number(court.as_of)
    names = list(dict.fromkeys([*court.courts["court"].dropna(), *cases["court"].dropna()]))
    codes = cases.drop_duplicates("court").set_index("court")["court_code"]
    start_day = day_number(court.settings.start)
    n = len(names)
    adopting = max(n - s.n_never, 0)
    offsets = [s.start_offsets_months[i % len(s.start_offsets_months)] for i in range(adopting)]
    start = {name: (int(add_months(np.array([start_day]), np.array([offsets[i]]))[0]) if i < adopting else None)
             for i, name in enumerate(names)}
    share = dict(zip(names, rng.uniform(*s.diversion_range, size=n), strict=True))

    civil = cases["type_code"].eq("民初").fillna(False).to_numpy(dtype=bool)
    filed = _days(cases["filed_date"])
    court_of = cases["court"].to_numpy(dtype=object)
    start_of = np.array([start[c] if start[c] is not None else np.iinfo(np.int64).max for c in court_of],
                        dtype=np.int64)
    d = np.array([share[c] for c in court_of])
    amount = cases["claim_amount"].to_numpy(dtype="float64")
    # Smaller claims settle more often: failure odds rise with the claim (centred at 50,000 yuan).
    size = np.clip(np.log(np.where(np.isfinite(amount) & (amount > 0), amount, 50_000.0) / 50_000), -3, 3)
    fail_p = expit(logit(s.failed_share) + s.small_claim_tilt * size)

    # Each dispute the court's cases stand for arrives on its filing day; from the start it goes
    # to mediation first with probability d_c.
    lag = rng.integers(0, 4, size=len(cases))
    days_failed = np.minimum(rng.poisson(s.mean_days_failed, size=len(cases)) + 1, 60)
    days_ok = rng.poisson(s.mean_days_success, size=len(cases)) + 1
    diverted = civil & (filed >= start_of) & (rng.uniform(size=len(cases)) < d)
    failed = diverted & (rng.uniform(size=len(cases)) < fail_p)
    resolved = diverted & ~failed
    # A failed mediation ends, then the case is filed (a few days later): received before filing.
    received = np.where(failed, filed - lag - days_failed, filed - lag)
    received = np.maximum(received, np.where(diverted, start_of, received))
    closed = np.where(failed, np.maximum(filed - lag, received), received + days_ok)
    result_idx = rng.choice(3, size=len(cases), p=np.array(s.resolved_mix) / sum(s.resolved_mix))
    resolved_codes = [r for r in categories.MEDIATION_RESULTS if r not in categories.MEDIATION_FAILED]
    outcome = np.where(failed, categories.MEDIATION_RESULTS[categories.MEDIATION_RESULTS.index("failed")],
                       np.array(resolved_codes, dtype=object)[result_idx])
    source = np.flatnonzero(diverted)
    source = source[np.lexsort((source, received[source]))]
    rec_court = court_of[source]
    rec_received, rec_closed, rec_result = received[source], closed[source], outcome[source]
    rec_code = np.array([codes[c] for c in rec_court], dtype=object)
    rec_year = _years(rec_received)
    mediation_id = _numbered(rec_year, rec_code, "民诉前调", np.arange(len(source)))
    open_now = rec_closed > as_of
    closed_dates = _dates(rec_closed, ~open_now)
    mediators = np.array([f"特邀调解员{c[-2:]}-{i:02d}" for c, i in
                          zip(rec_code, rng.integers(1, 9, size=len(rec_code)), strict=True)], dtype=object)
    records = pd.DataFrame({
        "mediation_id": mediation_id, "court": rec_court, "cause": cases["cause"].to_numpy(dtype=object)[source],
        "claim_amount": amount[source], "received_date": _dates(rec_received), "closed_date": closed_dates,
        "result": np.where(open_now, None, rec_result),
        "confirmation_case_id": None,
        "filed_case_id": np.where(failed[source], cases["case_id"].to_numpy(dtype=object)[source], None),
        "mediator": mediators, "case_year": rec_year, "court_code": rec_code, "type_code": "民诉前调",
        "case_seq": [int(m.split("民诉前调")[1][:-1]) for m in mediation_id],
    })
    records.loc[open_now, "filed_case_id"] = None
    # The factual world: disputes resolved before filing are no longer filed cases.
    fact = cases.reset_index(drop=True) if keep_court_cases else cases.loc[~resolved].reset_index(drop=True)
    idx_failed = np.flatnonzero(failed[source])

    # 3. Judicial confirmations (民特) of confirmed agreements.
    conf = np.flatnonzero((records["result"] == "confirmed").to_numpy(dtype=bool))
    conf_filed = rec_closed[conf] + rng.integers(1, 10, size=len(conf))
    conf_closed = conf_filed + rng.integers(3, 16, size=len(conf))
    ok = conf_filed <= as_of
    conf, conf_filed, conf_closed = conf[ok], conf_filed[ok], conf_closed[ok]
    conf_year = _years(conf_filed)
    conf_ids = _numbered(conf_year, rec_code[conf], "民特", conf_filed)
    records.loc[conf, "confirmation_case_id"] = conf_ids
    records = records.sort_values(["received_date", "mediation_id"], kind="stable").reset_index(drop=True)
    records = pd.DataFrame({c: records[c].astype(schema.MEDIATION_DTYPES[c]) for c in schema.MEDIATION_COLUMNS})

    derived = [_derived_frame(conf_ids, rec_court[conf], rec_code[conf], conf_year,
                              records.set_index("mediation_id").loc[mediation_id[conf], "cause"].to_numpy(dtype=object),
                              conf_filed, np.where(conf_closed <= as_of, conf_closed, -1), "民特", None,
                              np.where(conf_closed <= as_of, "other", None))]
    links = [pd.DataFrame({"case_id": records.set_index("mediation_id").loc[mediation_id[idx_failed], "filed_case_id"]
                           .to_numpy(dtype=object), "linked_case_id": mediation_id[idx_failed], "link": "mediation"}),
             pd.DataFrame({"case_id": conf_ids, "linked_case_id": mediation_id[conf], "link": "confirmation"})]

    # 4. Appeals (民终) at the intermediate court, with the recorded appeal dates.
    cases = fact
    civil = cases["type_code"].eq("民初").fillna(False).to_numpy(dtype=bool)
    filed = _days(cases["filed_date"])
    court_of = cases["court"].to_numpy(dtype=object)
    appealed = np.flatnonzero(civil & cases["appeal_filed_date"].notna().to_numpy())
    upper = [_upper_court(c, codes[c]) for c in court_of[appealed]]
    a_filed = _days(cases["appeal_filed_date"])[appealed]
    a_closed = _days(cases["appeal_closed_date"])[appealed]
    a_year = _years(a_filed)
    a_code = np.array([u[1] for u in upper], dtype=object)
    a_ids = _numbered(a_year, a_code, "民终", a_filed)
    result = cases["appeal_result"].to_numpy(dtype=object)[appealed]
    a_disp = np.array([_APPEAL_DISPOSITION.get(r) if isinstance(r, str) else None for r in result], dtype=object)
    derived.append(_derived_frame(a_ids, np.array([u[0] for u in upper], dtype=object), a_code, a_year,
                                  cases["cause"].to_numpy(dtype=object)[appealed], a_filed,
                                  np.where(a_closed >= 0, a_closed, -1), "民终", "second", a_disp))
    links.append(pd.DataFrame({"case_id": a_ids, "linked_case_id": cases["case_id"].to_numpy(dtype=object)[appealed],
                               "link": "original"}))

    # 5. Retrial petitions (民申) at the high court, after the last decision.
    petition = np.flatnonzero(civil & cases["retrial_petition"].fillna(False).to_numpy(dtype=bool))
    appeal_case = dict(zip(cases["case_id"].to_numpy(dtype=object)[appealed], a_ids, strict=True))
    base_id = np.array([appeal_case.get(c, c) for c in cases["case_id"].to_numpy(dtype=object)[petition]], dtype=object)
    last = np.where(np.isin(petition, appealed), _days(cases["appeal_closed_date"])[petition],
                    _days(cases["closed_date"])[petition])
    p_filed = np.where(last >= 0, last, filed[petition]) + rng.integers(20, 180, size=len(petition))
    p_closed = p_filed + rng.integers(40, 150, size=len(petition))
    ok = p_filed <= as_of
    petition, base_id, p_filed, p_closed = petition[ok], base_id[ok], p_filed[ok], p_closed[ok]
    p_year = _years(p_filed)
    high = np.full(len(petition), "示", dtype=object)
    p_ids = _numbered(p_year, high, "民申", p_filed)
    derived.append(_derived_frame(p_ids, np.full(len(petition), "示范省高级人民法院", dtype=object), high, p_year,
                                  cases["cause"].to_numpy(dtype=object)[petition], p_filed,
                                  np.where(p_closed <= as_of, p_closed, -1), "民申", "retrial",
                                  np.where(p_closed <= as_of, "other", None)))
    links.append(pd.DataFrame({"case_id": p_ids, "linked_case_id": base_id, "link": "original"}))

    # 6. Enforcement: the court's 执 cases enforce one of its own earlier judgments or mediations.
    links.append(_enforcement_links(cases, rng, s.enforcement_linked_share))

    derived_cases = schema.conform_cases(pd.concat(derived, ignore_index=True))
    link_frame = pd.concat(links, ignore_index=True).astype("string")
    schedule = pd.DataFrame({"court": names,
                             "mediation_start": _dates(np.array([start[c] if start[c] is not None else NA_DAY
                                                                 for c in names], dtype=np.int64)),
                             "diversion_share": [share[c] for c in names]})
    schedule["mediation_start"] = schedule["mediation_start"].astype(schema.DATE_DTYPE)
    truth, filings_truth = _truth(court.cases, fact, schedule)
    return MediationWorld(fact, records, derived_cases, link_frame, schedule, truth, filings_truth, s)


def _derived_frame(ids, court, code, year, cause, filed, closed, type_code, instance, disposition) -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": ids, "court": court, "case_type": "civil", "instance": instance, "cause": cause,
        "filed_date": _dates(filed),
        "closed_date": _dates(closed, np.asarray(closed) >= 0),
        "disposition": disposition, "case_year": year, "court_code": code, "type_code": type_code,
        "case_seq": [int(str(i).split(type_code)[1][:-1]) for i in ids]})


def _enforcement_links(cases: pd.DataFrame, rng: np.random.Generator, share: float) -> pd.DataFrame:
    """Each 执 case names, with probability ``share``, a random civil first-instance case of the
    same court closed by judgment or mediation in the year before it was filed, each basis
    enforced at most once."""
    rows = []
    enforcement = cases["type_code"].eq("执").fillna(False).to_numpy(dtype=bool)
    basis = (cases["type_code"].eq("民初") & cases["disposition"].isin(categories.ENFORCEABLE)
             ).fillna(False).to_numpy(dtype=bool)
    filed = day_numbers(cases["filed_date"])
    closed = day_numbers(cases["closed_date"])
    ids = cases["case_id"].to_numpy(dtype=object)
    court = cases["court"].to_numpy(dtype=object)
    for name in pd.unique(court):
        pool = np.flatnonzero(basis & (court == name))
        pool = pool[np.argsort(closed[pool], kind="stable")]
        pool_closed = closed[pool]
        used = np.zeros(len(pool), dtype=bool)
        for e in np.flatnonzero(enforcement & (court == name)):
            if rng.uniform() >= share:
                continue
            lo, hi = np.searchsorted(pool_closed, [filed[e] - 365, filed[e]])
            free = np.flatnonzero(~used[lo:hi])
            if len(free) == 0:
                continue
            pick = lo + free[rng.integers(len(free))]
            used[pick] = True
            rows.append((ids[e], ids[pool[pick]], "enforcement_basis"))
    return pd.DataFrame(rows, columns=["case_id", "linked_case_id", "link"])


def _truth(counterfactual: pd.DataFrame, fact: pd.DataFrame, schedule: pd.DataFrame
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per court: the schedule and the realised effect on civil first-instance filings after the
    start (ln factual / counterfactual); per court and month: filings in both worlds."""
    def monthly(cases: pd.DataFrame, name: str) -> pd.Series:
        civil = cases.loc[cases["type_code"].eq("民初").fillna(False)]
        return civil.groupby([civil["court"], civil["filed_date"].dt.to_period("M")]).size().rename(name)

    out = pd.concat([monthly(fact, "filed_factual"), monthly(counterfactual, "filed_counterfactual")], axis=1)
    out = out.fillna(0).astype("int64")
    out.index.names = ["court", "month"]
    out = out.reset_index()
    out["resolved_before_filing"] = out["filed_counterfactual"] - out["filed_factual"]
    started = out.merge(schedule, on="court")
    started = started.loc[started["mediation_start"].notna()
                          & (started["month"].dt.start_time >= started["mediation_start"])]
    sums = started.groupby("court")[["filed_factual", "filed_counterfactual"]].sum()
    truth = schedule.copy()
    truth["effect_log_filings"] = truth["court"].map(np.log(sums["filed_factual"] / sums["filed_counterfactual"]))
    truth["effect_log_filings"] = truth["effect_log_filings"].fillna(0.0)
    return truth, out
