"""The first diversion in the synthetic court: pre-suit mediation records, links and derived cases.

``simulate_mediation(court)`` adds to a :class:`~courtstudy.simulate.generator.SyntheticCourt`,
without changing one of its cases (the demo data and every notebook number stay as they are;
mediation is an extra output the caller asks for):

* **mediation records** (诉前调解, numbers （2021）示0102民诉前调12号) for each court from its own
  start of pre-suit mediation, staggered across courts (``start_offsets_months`` after the
  simulation's start, cycled; the last ``n_never`` courts never start);
* **links**: the filed case of a failed mediation names its mediation record (诉前调解案号), an
  appeal names its first instance (原审案号), a retrial petition the case it attacks, a
  judicial confirmation (民特) the mediation record, an enforcement case (the court's existing
  执 cases) the judgment or mediation it enforces (执行依据);
* **derived cases**: appeals (民终, at the city's intermediate court) for the first-instance
  cases recorded as appealed, with the recorded appeal dates; retrial petitions (民申, at the
  provincial high court) for the cases recorded with one; judicial confirmations (民特).

The model, per court ``c`` with start ``m_c``, diversion share ``d_c`` (drawn uniformly in
``diversion_range``) and failure share ``f``: from ``m_c`` a dispute that would have been filed
as a civil first-instance case is sent to mediation with probability ``d_c``; mediation fails
with probability ``f`` and the dispute is then filed (转立案); otherwise it ends settled (调解成功),
settled and judicially confirmed, or withdrawn, and is never filed. The court's simulated filed
cases are the factual world, so

* a filed case after ``m_c`` came through failed mediation with probability
  ``q_c = d_c f / ((1 - d_c) + d_c f)``;
* each filed case after ``m_c`` stands beside ``Poisson(λ_c)`` disputes resolved before filing,
  ``λ_c = d_c (1 - f) / ((1 - d_c) + d_c f)``;
* without pre-suit mediation (the counterfactual) every one of those disputes would have been
  filed: the true effect of the start on the court's civil first-instance filings is
  ``ln((1 - d_c) + d_c f)`` in logs, and realised counterfactual filings are the factual filings
  plus the resolved and withdrawn records (``truth`` per court, ``filings_truth`` per court and
  month).

Disputes that settle are smaller: a resolved record borrows the cause and claim amount of one
of the court's filed cases drawn with weights ``(amount / 50,000) ** -small_claim_tilt``, so the
start also changes the mix of what reaches the triage desk (larger claims), a known effect too.
Not modelled this round: any effect of mediation on the durations or appeals of filed cases,
remands and retrials granted (民再).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from courtstudy.core import categories, schema
from courtstudy.core.calendar import day_number, day_numbers
from courtstudy.simulate.calendar import NA_DAY, add_months, to_datetime

_STREAM = 101
DEFAULT_START_OFFSETS_MONTHS = (-6, 6, 12, 18, 24, 30)
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
    small_claim_tilt: float = 0.4
    mean_days_success: float = 16.0
    mean_days_failed: float = 27.0
    #: Share of the court's enforcement cases whose basis is one of its own closed cases.
    enforcement_linked_share: float = 0.8


@dataclass(frozen=True, eq=False)
class MediationWorld:
    """What :func:`simulate_mediation` adds: ``records`` (canonical mediation frame),
    ``derived_cases`` (canonical cases: appeals, retrial petitions, confirmations), ``links``
    (``case_id``, ``linked_case_id``, ``link``), ``schedule`` (court, mediation_start,
    diversion_share), ``truth`` (per court) and ``filings_truth`` (per court and month)."""

    records: pd.DataFrame
    derived_cases: pd.DataFrame
    links: pd.DataFrame
    schedule: pd.DataFrame
    truth: pd.DataFrame
    filings_truth: pd.DataFrame
    settings: MediationSettings

    def all_cases(self, cases: pd.DataFrame) -> pd.DataFrame:
        """The court's cases followed by the derived ones (one canonical frame)."""
        return pd.concat([cases, self.derived_cases], ignore_index=True)

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

    def links_export(self, cases: pd.DataFrame) -> pd.DataFrame:
        """The court's and the derived cases as an export holding only 案号, 立案日期 and the link
        columns (原审案号, 执行依据, 诉前调解案号), for :func:`courtstudy.ingest.links.load_links`."""
        every = self.all_cases(cases)
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


def simulate_mediation(court, settings: MediationSettings | None = None) -> MediationWorld:
    """Mediation records, links and derived cases for a synthetic court (module docstring)."""
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
    f = s.failed_share

    civil = cases["type_code"].eq("民初").fillna(False).to_numpy(dtype=bool)
    filed = _days(cases["filed_date"])
    court_of = cases["court"].to_numpy(dtype=object)
    start_of = np.array([start[c] if start[c] is not None else np.iinfo(np.int64).max for c in court_of],
                        dtype=np.int64)
    d = np.array([share[c] for c in court_of])
    q = d * f / ((1 - d) + d * f)
    lam = d * (1 - f) / ((1 - d) + d * f)
    after = civil & (filed >= start_of)

    # 1. Filed cases that came through failed mediation.
    u = rng.uniform(size=len(cases))
    days_failed = np.minimum(rng.poisson(s.mean_days_failed, size=len(cases)) + 1, 60)
    received_failed = filed - days_failed - rng.integers(0, 4, size=len(cases))
    via = after & (u < q) & (received_failed >= start_of)
    idx_failed = np.flatnonzero(via)

    # 2. Disputes resolved before filing: beside each filed case after the start.
    k = rng.poisson(np.where(after, lam, 0.0))
    owner = np.repeat(np.arange(len(cases)), k)
    amount = cases["claim_amount"].to_numpy(dtype="float64")
    weight = np.where(np.isfinite(amount) & (amount > 0), (np.maximum(amount, 1.0) / 50_000) ** -s.small_claim_tilt, 1.0)
    donors = np.empty(len(owner), dtype=np.int64)
    for name in names:
        pool = np.flatnonzero(after & (court_of == name))
        mine = np.flatnonzero(court_of[owner] == name)
        if len(mine) == 0:
            continue
        p = weight[pool] / weight[pool].sum()
        donors[mine] = rng.choice(pool, size=len(mine), p=p)
    result_idx = rng.choice(3, size=len(owner), p=np.array(s.resolved_mix) / sum(s.resolved_mix))
    resolved_codes = [r for r in categories.MEDIATION_RESULTS if r not in categories.MEDIATION_FAILED]
    results = np.array(resolved_codes, dtype=object)[result_idx]
    days_ok = rng.poisson(s.mean_days_success, size=len(owner)) + 1
    received_ok = np.maximum(filed[owner] - rng.integers(0, 20, size=len(owner)) - days_ok, start_of[owner])
    closed_ok = received_ok + days_ok
    keep = received_ok <= as_of
    owner, donors, results, received_ok, closed_ok = (a[keep] for a in (owner, donors, results, received_ok, closed_ok))

    rec_court = np.concatenate([court_of[idx_failed], court_of[owner]])
    rec_received = np.concatenate([received_failed[idx_failed], received_ok])
    rec_closed = np.concatenate([filed[idx_failed] - rng.integers(0, 4, size=len(idx_failed)), closed_ok])
    rec_closed = np.maximum(rec_closed, rec_received)
    rec_result = np.concatenate([np.full(len(idx_failed), "failed", dtype=object), results])
    source = np.concatenate([idx_failed, donors])
    rec_code = np.array([codes[c] for c in rec_court], dtype=object)
    rec_year = _years(rec_received)
    order = np.lexsort((np.arange(len(rec_received)), rec_received))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    mediation_id = _numbered(rec_year, rec_code, "民诉前调", rank)
    open_now = rec_closed > as_of
    closed_dates = _dates(rec_closed, ~open_now)
    mediators = np.array([f"特邀调解员{c[-2:]}-{i:02d}" for c, i in
                          zip(rec_code, rng.integers(1, 9, size=len(rec_code)), strict=True)], dtype=object)
    records = pd.DataFrame({
        "mediation_id": mediation_id, "court": rec_court, "cause": cases["cause"].to_numpy(dtype=object)[source],
        "claim_amount": amount[source], "received_date": _dates(rec_received), "closed_date": closed_dates,
        "result": np.where(open_now, None, rec_result),
        "confirmation_case_id": None,
        "filed_case_id": np.concatenate([cases["case_id"].to_numpy(dtype=object)[idx_failed],
                                         np.full(len(owner), None, dtype=object)]),
        "mediator": mediators, "case_year": rec_year, "court_code": rec_code, "type_code": "民诉前调",
        "case_seq": [int(m.split("民诉前调")[1][:-1]) for m in mediation_id],
    })
    records.loc[open_now, "filed_case_id"] = None

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
    links = [pd.DataFrame({"case_id": cases["case_id"].to_numpy(dtype=object)[idx_failed],
                           "linked_case_id": mediation_id[: len(idx_failed)], "link": "mediation"}),
             pd.DataFrame({"case_id": conf_ids, "linked_case_id": mediation_id[conf], "link": "confirmation"})]

    # 4. Appeals (民终) at the intermediate court, with the recorded appeal dates.
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
    truth, filings_truth = _truth(cases, records, schedule, f, civil)
    return MediationWorld(records, derived_cases, link_frame, schedule, truth, filings_truth, s)


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


def _truth(cases, records, schedule, f, civil) -> tuple[pd.DataFrame, pd.DataFrame]:
    truth = schedule.copy()
    d = truth["diversion_share"]
    truth["failed_share"] = f
    truth["effect_log_filings"] = np.where(truth["mediation_start"].notna(), np.log((1 - d) + d * f), 0.0)
    month = cases.loc[civil, "filed_date"].dt.to_period("M")
    factual = cases.loc[civil].groupby([cases.loc[civil, "court"], month]).size().rename("filed_factual")
    diverted = records.loc[~records["result"].isin(categories.MEDIATION_FAILED) & records["result"].notna()]
    # A resolved record stands for a dispute that would have been filed in the month it was received.
    extra = diverted.groupby([diverted["court"], diverted["received_date"].dt.to_period("M")]).size()
    out = pd.concat([factual, extra.rename("resolved_before_filing")], axis=1).fillna(0).astype("int64")
    out.index.names = ["court", "month"]
    out["filed_counterfactual"] = out["filed_factual"] + out["resolved_before_filing"]
    return truth, out.reset_index()
