"""Regression discontinuity at the small-claims threshold on the synthetic court."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.core.errors import CourtstudyError
from courtstudy.simulate import simulate_court
from courtstudy.studies.triage.rd import density_test, running_variable, small_claims_rd

SEED = 20240101
SCALE = 0.1


@pytest.fixture(scope="module")
def clean():
    return simulate_court(seed=SEED, scale=SCALE)


def test_running_variable_uses_province_year_threshold(clean):
    cases = clean.cases.head(50).copy()
    distance = running_variable(cases, clean.courts)
    # 示范省 2022 threshold is 40,000 yuan: a 30,000-yuan claim filed in 2022 is 25% below.
    probe = cases.iloc[:1].assign(claim_amount=30000.0, filed_date=pd.Timestamp("2022-05-01"))
    assert running_variable(probe, clean.courts).iloc[0] == pytest.approx(-25.0)
    assert distance.notna().sum() == cases["claim_amount"].notna().sum()
    with pytest.raises(CourtstudyError, match="province"):
        running_variable(cases, clean.courts.drop(columns=["province"]))
    far = cases.iloc[:1].assign(filed_date=pd.Timestamp("2031-01-01"), claim_amount=1.0)
    with pytest.raises(CourtstudyError, match="2031"):
        running_variable(far, clean.courts)


def test_fuzzy_rd_recovers_small_claims_effect_on_appeals(clean):
    res = small_claims_rd(clean.cases, clean.courts, as_of=clean.as_of, outcomes=("appealed", "days_capped"))
    rows = res.tidy().set_index("outcome")
    truth = clean.truth.query("study == 'small_claims' and estimand == 'LATE'").set_index("outcome")["value"]
    appealed = rows.loc["appealed"]
    assert appealed["estimand"] == "LATE" and appealed["ci_method"] == "rbc"
    # Small-claims judgments are final: appeals drop at the threshold.
    assert appealed["ci_low"] <= truth["appealed"] <= appealed["ci_high"]
    assert appealed["estimate"] < 0
    days = rows.loc["days_capped_365"]
    assert days["ci_low"] <= truth["rmst_365"] <= days["ci_high"]
    # No bunching was simulated: the density test does not reject.
    assert res.diagnostics["density"]["p_value"] > 0.05


def test_density_test_detects_bunching():
    sim = simulate_court(seed=SEED, scale=SCALE, bunching=0.5)
    x = running_variable(sim.cases, sim.courts).to_numpy()
    result = density_test(x[np.abs(x) <= 100])
    assert result["density_left"] > result["density_right"]
    assert result["p_value"] < 0.001
