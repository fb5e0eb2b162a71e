"""The engine's one preparation (an Ibis expression run by the backend) against an independent
pandas oracle written from domain.md, case by case and fact by fact; the prepared-table path and
a second backend (polars) against the default one."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from test_indicators import AS_OF, COURTS, _random_cases, fixture_cases

from courtstudy.core import limits as limits_module
from courtstudy.core.limits import statutory_limits
from courtstudy.indicators import IndicatorEngine, prepare_cases
from courtstudy.indicators.engine import FACTS, PENDING_AGES

T = pd.Timestamp
NEVER_DAY, NEVER_MONTH = 10_000_000, 1_000_000


def _edge_cases() -> pd.DataFrame:
    cases = pd.concat([fixture_cases(), _random_cases(400, seed=4)], ignore_index=True)
    late = cases.index[-40:]
    cases.loc[late, "filed_date"] = T("2021-12-31")       # pre-2022 simplified rules
    cases.loc[late, "closed_date"] = T("2022-03-31")
    cases.loc[cases.index[:3], "instance"] = pd.NA        # missing instance = first
    cases.loc[cases.index[3:8], "case_type"] = "criminal"  # no civil limit
    cases.loc[cases.index[8], "case_type"] = pd.NA
    cases.loc[cases.index[9:12], "procedure"] = pd.NA
    cases.loc[cases.index[12:15], "extension_days"] = pd.NA
    cases.loc[cases.index[15:18], "appealed"] = pd.NA
    cases.loc[cases.index[20:30], "team"] = pd.NA
    return cases


def _every_day() -> pd.DataFrame:
    """A filing on every day from 1999-12-01 to 2025-03-31 (month ends, leap days)."""
    filed = pd.Series(pd.date_range("1999-12-01", "2025-03-31", freq="D"))
    rng = np.random.default_rng(8)
    closed = filed + pd.to_timedelta(rng.integers(0, 500, len(filed)), unit="D")
    frame = pd.DataFrame({"case_id": [f"d{i}" for i in range(len(filed))], "court": "甲",
                          "case_type": "civil", "instance": "first",
                          "procedure": rng.choice(["ordinary", "simplified", "small_claims"],
                                                  len(filed)),
                          "filed_date": filed, "closed_date": closed.where(rng.random(len(filed))
                                                                          < 0.9),
                          "extension_days": np.where(rng.random(len(filed)) < .2, 31, 0),
                          "suspended_days": np.where(rng.random(len(filed)) < .2, 10, 0)})
    from courtstudy.core.schema import conform_cases
    return conform_cases(frame)


def _days(dates: pd.Series) -> np.ndarray:
    return (pd.to_datetime(dates) - T("1970-01-01")).dt.days.to_numpy()


def _months(dates: pd.Series) -> np.ndarray:
    d = pd.to_datetime(dates)
    return (d.dt.year * 12 + d.dt.month - 1).to_numpy()


def _oracle(cases: pd.DataFrame, as_of, limits=None) -> pd.DataFrame:
    """Every prepared column, from domain.md with plain pandas (not the engine's code)."""
    a = T(as_of)
    c = cases[cases["filed_date"] <= a].reset_index(drop=True)

    def col(name, default):
        return c[name] if name in c else pd.Series(default, index=c.index)

    closed_date = c["closed_date"].where(c["closed_date"] <= a)
    closed = closed_date.notna()
    deadline = limits_module.deadlines(c, limits)
    afd = col("appeal_filed_date", pd.NaT)
    appealed = closed & np.where(afd.notna(), afd <= a,
                                 col("appealed", False).astype("boolean").fillna(False))
    result = col("appeal_result", None).astype("string")
    acd = col("appeal_closed_date", pd.NaT)
    decided = appealed & result.notna().to_numpy() & (acd.isna() | (acd <= a)).to_numpy()
    retrial = closed & col("retrial_petition", False).astype("boolean").fillna(False)
    disposition = col("disposition", None).astype("string")
    procedure = col("procedure", None).astype("string")
    fic = closed & (col("instance", None).astype("string") == "first").fillna(False) \
        & (col("case_type", None).astype("string") == "civil").fillna(False)
    has_limit = closed & deadline.notna()
    ext = pd.to_numeric(col("extension_days", 0)).fillna(0)
    susp = pd.to_numeric(col("suspended_days", 0)).fillna(0)
    out = pd.DataFrame({
        "id": c["case_id"],
        "fd": _days(c["filed_date"]), "fm": _months(c["filed_date"]),
        "cd": np.where(closed, _days(closed_date.fillna(a)), NEVER_DAY),
        "cm": np.where(closed, _months(closed_date.fillna(a)), NEVER_MONTH),
        "trial": np.where(closed, (closed_date - c["filed_date"]).dt.days - susp, 0.0),
        "is_closed": closed, "has_limit": has_limit,
        "within": has_limit & (closed_date <= deadline),
        "extended": closed & (ext > 0),
        "mediation": closed & (disposition == "mediation").fillna(False),
        "med_wd": closed & disposition.isin(["mediation", "withdrawal"]).fillna(False),
        "fic": fic,
        "simp": fic & procedure.isin(["simplified", "small_claims"]).fillna(False),
        "sc": fic & (procedure == "small_claims").fillna(False),
        "appealed": appealed, "accepted": closed & ~appealed & ~retrial,
        "revrem": decided & result.isin(["modified", "remanded"]).fillna(False).to_numpy(),
        "decided": decided, "undecided": appealed & ~decided,
        "mature": closed & (closed_date <= a - pd.Timedelta(days=30)),
    })
    for m in PENDING_AGES:
        start = c["filed_date"] + pd.DateOffset(months=m) + pd.Timedelta(days=1)
        out[f"a{m}d"], out[f"a{m}m"] = _days(start), _months(start)
    return out


def _prepared(cases: pd.DataFrame, as_of, limits=None) -> pd.DataFrame:
    ids = cases.assign(judge=cases["case_id"])  # a group column that identifies each case
    table = prepare_cases(ids, as_of, limits=limits, group_columns=["judge"]).to_pandas()
    return table.rename(columns={"judge": "id"})


CASE_SETS = {
    "fixture": (fixture_cases, AS_OF),
    "random": (lambda: _random_cases(3000, seed=3), "2023-06-30"),
    "edge": (_edge_cases, AS_OF),
    "edge_without_columns": (lambda: _edge_cases().drop(
        columns=["case_type", "instance", "appeal_filed_date", "team"]), AS_OF),
    "every_day": (_every_day, AS_OF),
}


@pytest.mark.parametrize("name", list(CASE_SETS))
def test_preparation_equals_independent_oracle(name):
    make, as_of = CASE_SETS[name]
    cases = make()
    want = _oracle(cases, as_of).set_index("id").sort_index()
    got = _prepared(cases, as_of).set_index("id").sort_index()
    assert len(want) > 10 and list(got.index) == list(want.index)
    assert {f.name for f in FACTS} <= set(want.columns)
    for column in want.columns:
        np.testing.assert_array_equal(got[column].to_numpy(dtype="float64"),
                                      want[column].to_numpy(dtype="float64"), err_msg=column)
    varying = [f.name for f in FACTS if want[f.name].nunique() == 2]
    if name in ("edge", "random"):  # each fact set somewhere and unset somewhere: can fail
        assert len(varying) == len(FACTS), {f.name for f in FACTS} - set(varying)


def test_preparation_with_extra_limits():
    extra = pd.DataFrame({"case_type": ["civil", "civil"], "procedure": ["ordinary", "simplified"],
                          "instance": ["first", "first"], "valid_from": ["2023-01-01",
                                                                         "2020-01-01"],
                          "valid_to": ["2023-12-31", None], "limit_months": [1, 2],
                          "limit_days": [5, 0], "max_extension_months": [0, 0],
                          "source": ["test", "test"]})
    table = statutory_limits(extra=extra)
    cases = _edge_cases()
    got = _prepared(cases, AS_OF, table).set_index("id").sort_index()
    want = _oracle(cases, AS_OF, table).set_index("id").sort_index()
    assert not want["within"].equals(_oracle(cases, AS_OF).set_index("id").sort_index()["within"])
    np.testing.assert_array_equal(got["within"].to_numpy(dtype=bool), want["within"].to_numpy())


def test_prepared_table_path_and_polars_equal_default_engine():
    cases = _edge_cases()
    duck = IndicatorEngine(cases, courts=COURTS, as_of=AS_OF)
    portable = IndicatorEngine(ibis.memtable(prepare_cases(cases, AS_OF)), courts=COURTS,
                               as_of=AS_OF)
    polars = IndicatorEngine(cases.drop(columns=["case_type", "instance"]), courts=COURTS,
                             as_of=AS_OF, backend="polars")
    duck_without = IndicatorEngine(cases.drop(columns=["case_type", "instance"]), courts=COURTS,
                                   as_of=AS_OF)
    for kwargs in (dict(by=["court", "team"], period="month", start="2021-01-01", end=AS_OF),
                   dict(by="procedure", period=["2022-02-01~2022-05-15", "2023"]),
                   dict(by=[], period="quarter", start="2022-01-01", end=AS_OF,
                        court_filter=["乙"])):
        pd.testing.assert_frame_equal(duck.compute(**kwargs), portable.compute(**kwargs))
        pd.testing.assert_frame_equal(duck_without.compute(**kwargs), polars.compute(**kwargs),
                                      check_exact=False, rtol=1e-12)
