"""The analysis sample: who is in it and how each outcome is defined, on a hand-made frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.core.errors import CourtstudyError
from courtstudy.core.schema import conform_cases
from courtstudy.studies.triage.sample import build_sample

AS_OF = "2024-03-31"


def _cases() -> pd.DataFrame:
    d = pd.DataFrame([
        # id, court, filed, closed, track, procedure, disposition, claim, appealed, result
        ("a1", "甲", "2022-01-10", "2022-02-20", "simple", "simplified", "mediation", 1000.0, False, None),
        ("a2", "甲", "2022-03-01", "2022-12-01", "complex", "ordinary", "judgment", 90000.0, True, "remanded"),
        ("a3", "甲", "2023-01-01", None, "complex", "ordinary", None, 50000.0, None, None),  # pending, past deadline
        ("a4", "甲", "2024-02-01", None, "simple", "simplified", None, None, None, None),  # pending, not due yet
        ("a5", "甲", "2020-05-01", "2020-06-01", None, "simplified", "judgment", 500.0, False, None),  # before triage
        ("a6", "乙", "2022-06-01", "2024-03-15", "simple", "simplified", "judgment", 3000.0, True, "affirmed"),
        ("a7", "乙", "2021-06-01", "2021-07-01", "complex", "ordinary", "withdrawal", 8000.0, False, None),
        ("a8", "乙", "2022-07-01", "2022-09-01", None, "ordinary", "judgment", 100.0, False, None),  # track missing
        ("a9", "乙", "2022-07-01", "2022-09-01", "simple", "ordinary", "judgment", 100.0, False, None),  # criminal
    ], columns=["case_id", "court", "filed_date", "closed_date", "track", "procedure", "disposition",
                "claim_amount", "appealed", "appeal_result"])
    d["case_type"] = ["civil"] * 8 + ["criminal"]
    d["instance"] = "first"
    d["n_parties"] = 2
    d["cause"] = ["借贷", "借贷", "买卖", "买卖", "借贷", "借贷", "买卖", "借贷", "借贷"]
    d["filed_date"] = pd.to_datetime(d["filed_date"])
    d["closed_date"] = pd.to_datetime(d["closed_date"])
    d["appealed"] = d["appealed"].astype("boolean")
    return conform_cases(d)


def _courts() -> pd.DataFrame:
    return pd.DataFrame({"court": ["甲", "乙"], "year": [2022, 2022], "judges": [5, 5],
                         "triage_start": pd.to_datetime(["2021-01-01", "2021-01-01"]),
                         "fast_track_start": pd.to_datetime([None, "2022-01-01"])})


def test_sample_membership_and_accounting():
    s = build_sample(_cases(), _courts(), as_of=AS_OF, mature_days=365, covariates=("cause", "court"))
    assert list(s.frame["case_id"]) == ["a1", "a2", "a3", "a4", "a6", "a7"]
    acc = pd.DataFrame(s.accounting).set_index("step")
    assert acc.loc["case_type == civil", "dropped"] == 1
    assert acc.loc["filed on/after the court's triage_start", "dropped"] == 1
    assert acc.loc["track known", "dropped"] == 1
    np.testing.assert_array_equal(s.treatment, [1, 0, 0, 1, 1, 0])
    assert s.covariate_groups == {"cause": ["cause[买卖]"], "court": ["court[乙]"]}


def test_outcome_definitions():
    s = build_sample(_cases(), _courts(), as_of=AS_OF, mature_days=365, horizon=365,
                     covariates=("cause",))
    o = s.outcomes
    ttc = o["time_to_close"]
    # a3 pending since 2023-01-01: censored at 455 days; a4 at 59 days.
    np.testing.assert_allclose(ttc.values, [41, 275, 455, 59, 653, 30])
    np.testing.assert_array_equal(ttc.event, [1, 1, 0, 0, 1, 1])
    capped = o["days_capped_365"]
    # a4 filed less than 365 days before as_of: undefined.
    np.testing.assert_array_equal(capped.mask, [True, True, True, False, True, True])
    np.testing.assert_allclose(capped.values[capped.mask], [41, 275, 365, 365, 30])
    within = o["closed_within_limit"]
    # a1 simplified 3 months: in; a2 ordinary 6 months from 2022-03-01 (deadline 2022-09-01): out;
    # a3 pending past its deadline: out; a4 too recent; a6 out; a7 in.
    np.testing.assert_array_equal(within.mask, [True, True, True, False, True, True])
    np.testing.assert_allclose(within.values[within.mask], [1, 0, 0, 0, 1])
    appealed = o["appealed"]
    # a6 closed 2024-03-15, within 30 days of as_of: immature.
    np.testing.assert_array_equal(appealed.mask, [True, True, False, False, False, True])
    np.testing.assert_allclose(appealed.values[appealed.mask], [0, 1, 0])
    np.testing.assert_allclose(o["reversal_remand"].values[appealed.mask], [0, 1, 0])
    med = o["mediation_withdrawal"]
    np.testing.assert_array_equal(med.mask, [True, True, False, False, True, True])
    np.testing.assert_allclose(med.values[med.mask], [1, 0, 0, 1])


def test_fast_track_treatment_uses_fast_track_start():
    cases = _cases()
    cases["team_type"] = pd.array(["standard", "standard", "fast_track", "standard", "fast_track",
                                   "fast_track", "standard", "standard", "standard"], dtype="string")
    s = build_sample(cases, _courts(), treatment="fast_track", as_of=AS_OF, covariates=("cause",))
    # Only court 乙 ever started (2022-01-01): a6, a8 (a7 filed before the start, a9 criminal).
    assert list(s.frame["case_id"]) == ["a6", "a8"]
    np.testing.assert_array_equal(s.treatment, [1, 0])


def test_bad_input_is_named():
    with pytest.raises(CourtstudyError, match="courts table"):
        build_sample(_cases(), None, as_of=AS_OF)
    with pytest.raises(CourtstudyError, match="covariate 'judge_mood'"):
        build_sample(_cases(), _courts(), as_of=AS_OF, covariates=("judge_mood",))
    with pytest.raises(CourtstudyError, match="lacks column"):
        build_sample(_cases().drop(columns=["filed_date"]), _courts(), as_of=AS_OF)
