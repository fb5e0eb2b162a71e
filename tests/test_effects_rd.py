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


def test_take_up_shows_a_fuzzy_design_and_statements_use_percentage_points(clean):
    from courtstudy.studies.triage.rd import rd_statements, rd_table

    res = small_claims_rd(clean.cases, clean.courts, as_of=clean.as_of, outcomes=("appealed",))
    take = res.diagnostics["take_up"]
    # Eligible claims do not all use small claims; claims above the threshold cannot.
    assert 0.2 < take["share_below"] < 0.95 and take["share_above"] == 0.0
    text = rd_statements(res, "en")
    assert f"{take['share_below']:.0%} were heard under small claims" in text[0]
    appealed = res.tidy().iloc[0]
    assert f"{abs(appealed['estimate']) * 100:.1f} percentage points" in text[2]
    table = rd_table(res, "zh")
    assert table["估计值"].iloc[0] == pytest.approx(appealed["estimate"] * 100)
    assert table.columns[3] == "95%置信下限（稳健）"
    assert table.iloc[0, 5] == appealed["n_treated"] and table.iloc[0, 6] == appealed["n_control"]


def test_rd_table_headers_read_as_the_other_tables_of_their_language():
    """The table is shown with its headers as they are (notebook 03 passes ``labels=False``):
    English headers are capitalised words with units, Chinese ones are Chinese (issue 12)."""
    from courtstudy.report.language import foreign_words
    from courtstudy.studies.triage.rd import rd_table_headers

    en = rd_table_headers(0.05, "en")
    assert en == ["Outcome", "Unit", "Estimate", "95% CI low (robust)", "95% CI high (robust)",
                  "Below the threshold, in the bandwidth (cases)", "Above the threshold, in the bandwidth (cases)"]
    assert all(h[:1].isupper() or h[:1].isdigit() for h in en)
    zh = rd_table_headers(0.1, "zh")
    assert zh[:4] == ["结果变量", "单位", "估计值", "90%置信下限（稳健）"] and zh[5].endswith("（件）")
    assert not foreign_words(" ".join(zh), "zh")


def test_rd_says_why_it_cannot_run(clean):
    from courtstudy.studies.triage.rd import rd_inputs_missing

    assert rd_inputs_missing(clean.cases, clean.courts) is None
    no_column = rd_inputs_missing(clean.cases, clean.courts.drop(columns=["province"]))
    empty = rd_inputs_missing(clean.cases, clean.courts.assign(province=pd.NA))
    assert no_column == empty and "省份" in no_column["zh"]
    one_court = clean.courts["court"].iloc[0]
    partly = clean.courts.assign(province=clean.courts["province"].where(clean.courts["court"] != one_court))
    assert one_court in rd_inputs_missing(clean.cases, partly)["en"]
    with pytest.raises(CourtstudyError, match="province"):
        small_claims_rd(clean.cases, clean.courts.assign(province=pd.NA))
