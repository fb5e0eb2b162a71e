"""Notebook 03's section on the first diversion (report.diversion_study) on the synthetic court."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from courtstudy.report import diversion_study as ds
from courtstudy.simulate.generator import simulate_court
from courtstudy.simulate.mediation import simulate_mediation


@pytest.fixture(scope="module")
def worlds():
    court = simulate_court(seed=7, scale=0.15, n_courts=12)
    return court, simulate_mediation(court)


def test_section_without_a_register_says_why():
    study = ds.mediation_start_study(pd.DataFrame({"type_code": [], "filed_date": [], "court": []}), None,
                                     pd.Timestamp("2024-03-31"))
    assert study.skipped is not None and study.why_skipped("zh").startswith("本节略去")
    assert study.statements("en") == [study.why_skipped("en")] and study.headline("zh") == ""


def test_section_on_the_synthetic_court(worlds):
    court, world = worlds
    study = ds.mediation_start_study(world.cases, world.records, court.as_of, courts=court.courts, ri_draws=99)
    assert study.skipped is None
    effects = study.effects.set_index("outcome")
    assert list(effects.index) == ["log_filed", "log_claim", "closed_within_180", "appealed"]
    filings = effects.loc["log_filed"]
    # mediation takes disputes away: filings fall, the interval (randomisation inference) is below 0
    assert filings["inference"] == "randomization" and filings["ci_high"] < 0 < filings["ci_low"] + 100
    assert filings["estimate"] == pytest.approx(100 * np.expm1(filings["estimate_raw"]))
    assert effects.loc["log_claim", "estimate"] > 0                                   # larger claims remain
    assert study.courts["starting"] + study.courts["comparison"] + study.courts["always"] == 12
    # the fast-track teams' cases are left out of the filed cases' estimates
    assert study.concurrent and effects.loc["appealed", "n_cases"] < (world.cases["type_code"] == "民初").sum()
    zh = " ".join([study.headline("zh"), *study.statements("zh")])
    assert not re.search(r"[A-Za-z]{2,}", zh.replace("nan", "NAN_MARK")) and "NAN_MARK" not in zh
    table = study.table("en")
    assert list(table.columns) == ["outcome", "estimate", "ci_low", "ci_high", "unit", "inference"]


def test_concurrent_reform_cases_are_left_out(worlds):
    from courtstudy.studies.diversion import filed_case_data

    court, world = worlds
    starts = dict(zip(world.schedule["court"], world.schedule["mediation_start"], strict=True))
    all_cases = filed_case_data(world.cases, starts, court.as_of, end="2023Q4")
    first = sorted(starts)[0]
    cut = pd.Timestamp("2021-01-01")
    fewer = filed_case_data(world.cases, starts, court.as_of, end="2023Q4", concurrent={first: cut})
    civil = world.cases.loc[world.cases["type_code"].eq("民初")]
    dropped = int(((civil["court"] == first) & (civil["filed_date"] >= cut)
                   & (civil["filed_date"] <= pd.Period("2023Q4").end_time)).sum())
    assert all_cases.n_cases - fewer.n_cases == dropped > 0
    assert any(str(dropped) in note for note in fewer.notes["en"])
