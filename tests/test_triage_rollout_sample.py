"""The rollout sample of the triage study: who is in it, court roles, cells and routing, on a
hand-made frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.core.errors import CourtstudyError
from courtstudy.core.schema import conform_cases
from courtstudy.studies.triage.rollout import build_rollout_sample

AS_OF = "2024-03-31"


def _cases() -> pd.DataFrame:
    rows = [
        # id, court, filed, closed, track, procedure, disposition
        ("a1", "甲", "2021-01-10", "2021-02-20", None, "simplified", "judgment"),       # before start
        ("a2", "甲", "2021-06-10", "2021-08-01", "simple", "small_claims", "judgment"),  # after
        ("a3", "甲", "2021-07-10", "2021-12-01", "complex", "ordinary", "mediation"),    # after
        ("a4", "甲", "2022-03-01", "2022-05-01", "simple", "simplified", "judgment"),    # after fast-track start
        ("b1", "乙", "2021-02-01", "2021-03-01", None, "simplified", "withdrawal"),     # never
        ("b2", "乙", "2021-08-01", "2021-09-01", None, "ordinary", "judgment"),
        ("c1", "丙", "2021-03-05", "2021-04-01", "simple", "small_claims", "judgment"),  # always triaging
        ("d1", "丁", "2021-05-03", "2021-06-01", None, "simplified", "judgment"),       # starts after the data
        ("e1", "戊", "2021-04-20", "2021-05-01", None, "simplified", "judgment"),       # start month, mid-month start
        ("e2", "戊", "2021-05-20", None, "simple", "simplified", None),                 # after, pending
        ("e3", "戊", "2021-03-20", "2021-04-10", None, "simplified", "judgment"),
    ]
    d = pd.DataFrame(rows, columns=["case_id", "court", "filed_date", "closed_date", "track", "procedure",
                                    "disposition"])
    d["case_type"] = "civil"
    d["instance"] = "first"
    d["n_parties"] = 2
    d["cause"] = "借贷"
    d["claim_amount"] = 10000.0
    d["appealed"] = pd.array([False] * len(d), dtype="boolean")
    d["filed_date"] = pd.to_datetime(d["filed_date"])
    d["closed_date"] = pd.to_datetime(d["closed_date"])
    return conform_cases(d)


def _courts() -> pd.DataFrame:
    return pd.DataFrame({"court": ["甲", "乙", "丙", "丁", "戊"], "year": 2021, "judges": 5,
                         "triage_start": pd.to_datetime(["2021-06-01", None, "2020-01-01", "2030-01-01", "2021-04-15"]),
                         "fast_track_start": pd.to_datetime(["2022-01-01", None, None, None, None])})


def test_roles_cells_and_accounting():
    s = build_rollout_sample(_cases(), _courts(), as_of=AS_OF, covariates=("cause",))
    roles = s.courts.set_index("court")["role"].to_dict()
    assert roles == {"甲": "starts", "乙": "never", "丁": "later", "戊": "starts"}
    assert list(s.frame["case_id"]) == ["a1", "a2", "a3", "b1", "b2", "d1", "e2", "e3"]
    acc = pd.DataFrame(s.accounting).set_index("step")
    assert acc.loc["filed before the court's fast_track_start (concurrent reform)", "dropped"] == 1   # a4
    assert acc.loc["not filed in a month triage started mid-month", "dropped"] == 1                 # e1
    assert acc.loc["court triaging before the data begin (no before-period)", "dropped"] == 1       # c1
    f = s.frame.set_index("case_id")
    # A mid-month start counts from the next month; a start on the 1st from its own month.
    assert f.loc["e2", "cohort"] == 2021 * 12 + 4 and f.loc["a2", "cohort"] == 2021 * 12 + 5
    np.testing.assert_array_equal(s.started, [False, True, True, False, False, False, True, False])
    np.testing.assert_array_equal(s.routed, [0, 1, 0, 0, 0, 0, 1, 0])
    assert f.loc["a2", "small_claims"] == 1 and bool(f.loc["a3", "appealable"]) is False
    assert s.has_rollout and sorted(s.starting_courts) == ["戊", "甲"] and s.comparison_courts == ["丁", "乙"]
    assert "time_to_close" not in s.outcomes and "days_capped_365" in s.outcomes


def test_concurrent_reform_can_be_kept_and_no_rollout_is_detected():
    s = build_rollout_sample(_cases(), _courts(), as_of=AS_OF, covariates=("cause",), concurrent=())
    assert "a4" in set(s.frame["case_id"])
    only_started = _courts().assign(triage_start=pd.Timestamp("2019-01-01"))
    with pytest.raises(CourtstudyError, match="before the data begin"):
        build_rollout_sample(_cases(), only_started, as_of=AS_OF, covariates=("cause",))
    never = build_rollout_sample(_cases(), _courts().assign(triage_start=pd.NaT), as_of=AS_OF, covariates=("cause",))
    assert not never.has_rollout
    with pytest.raises(CourtstudyError, match="triage_start"):
        build_rollout_sample(_cases(), _courts().drop(columns=["triage_start"]), as_of=AS_OF)
