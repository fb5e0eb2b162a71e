"""The synthetic court's first diversion: records, links and derived cases, checked against the
loaders and against the simulator's own truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.core import categories
from courtstudy.indicators.diversion import diversion_indicators
from courtstudy.ingest.links import disputes, load_links
from courtstudy.ingest.mediation import load_mediation
from courtstudy.simulate.generator import simulate_court
from courtstudy.simulate.mediation import MediationSettings, simulate_mediation


@pytest.fixture(scope="module")
def court():
    return simulate_court(seed=7, scale=0.15, n_courts=6)


@pytest.fixture(scope="module")
def world(court):
    return simulate_mediation(court)


def test_deterministic_and_leaves_the_court_alone(court, world):
    before = court.cases.copy()
    again = simulate_mediation(court)
    pd.testing.assert_frame_equal(again.records, world.records)
    pd.testing.assert_frame_equal(again.links, world.links)
    pd.testing.assert_frame_equal(court.cases, before)
    other = simulate_mediation(court, MediationSettings(seed=8))
    assert not other.records["received_date"].equals(world.records["received_date"])


def test_staggered_schedule(world):
    starts = world.schedule["mediation_start"]
    assert starts.isna().sum() == 1                      # one court never starts
    assert starts.dropna().is_unique                     # one court per start date
    first = world.records.groupby("court")["received_date"].min()
    for court_name, start in zip(world.schedule["court"], starts, strict=True):
        if pd.isna(start):
            assert court_name not in first.index
        else:
            assert first[court_name] >= start


def test_records_and_links_load_cleanly(court, world, tmp_path):
    path = tmp_path / "诉前调解.csv"
    world.mediation_export().to_csv(path, index=False, encoding="utf-8-sig")
    loaded = load_mediation(path, snapshot=court.as_of)
    assert loaded.accounting()["balanced"] and len(loaded.quarantine) == 0
    assert len(loaded.field_issues) == 0
    pd.testing.assert_series_equal(loaded.records["mediation_id"], world.records["mediation_id"])
    every = world.all_cases()
    links = load_links(world.links_export(), cases=every, mediation=loaded.records)
    assert len(links.refused) == 0 and links.links["in_data"].all()
    assert set(links.field_issues["reason"]) <= {"link_order"} and len(links.field_issues) == 0
    assert len(links.links) == len(world.links)


def test_disputes_follow_the_generator(court, world):
    every = world.all_cases()
    table = disputes(every, world.links, world.records).set_index("record_id")
    appeals = world.links.loc[world.links["link"] == "original"]
    assert (table.loc[appeals["case_id"], "dispute_id"].to_numpy()
            == table.loc[appeals["linked_case_id"], "dispute_id"].to_numpy()).all()
    failed = world.records.dropna(subset=["filed_case_id"])
    # a failed mediation is the origin of the dispute of the case filed after it
    assert (table.loc[failed["filed_case_id"], "dispute_id"].to_numpy() == failed["mediation_id"].to_numpy()).all()


def test_factual_world_and_true_effect_on_filings(court, world):
    s = world.settings
    # factual cases = the court's cases minus the disputes resolved before filing
    removed = set(court.cases["case_id"]) - set(world.cases["case_id"])
    assert set(world.cases["case_id"]) <= set(court.cases["case_id"])
    resolved = world.records.loc[world.records["filed_case_id"].isna()]
    assert len(removed) == len(resolved)
    truth = world.filings_truth
    assert (truth["filed_counterfactual"] >= truth["filed_factual"]).all()
    never = world.schedule.loc[world.schedule["mediation_start"].isna(), "court"]
    assert (truth.loc[truth["court"].isin(never), "resolved_before_filing"] == 0).all()
    # the realised effect is near its expectation ln(1 - d (1 - failure)) (failure ~ failed_share)
    effect = world.truth.set_index("court")
    started = effect["mediation_start"].notna()
    expected = np.log(1 - effect["diversion_share"] * (1 - s.failed_share))
    assert np.abs(effect.loc[started, "effect_log_filings"] - expected[started]).max() < 0.08
    assert (effect.loc[~started, "effect_log_filings"] == 0).all()


def test_indicators_recover_the_diversion(court, world):
    every = world.all_cases()
    long = diversion_indicators(world.records, every, world.links, by="court", period="2022", as_of=court.as_of)
    rate = long.loc[long["indicator"] == "pre_suit_resolution_rate"].set_index("court")["value"]
    share = world.schedule.set_index("court")["diversion_share"]
    records = world.records.loc[world.records["received_date"].dt.year == 2022]
    success = records["result"].isin(categories.MEDIATION_RESOLVED).groupby(records["court"]).mean()
    # 诉前化解率 = resolved / (received + direct filings) = d x P(resolved | mediated) per dispute
    expected = share * success
    started = world.schedule.loc[world.schedule["mediation_start"] < pd.Timestamp("2022-01-01"), "court"]
    assert np.abs(rate[started] - expected[started]).max() < 0.04
    rate = long.loc[long["indicator"] == "mediation_success_rate"].set_index("court")["value"][started]
    assert np.abs(rate - success[started]).max() < 0.05
    ratio = long.loc[long["indicator"] == "case_case_ratio"].set_index("court")["value"]
    assert (ratio > 1).all() and (ratio < 2).all()
    assert set(categories.MEDIATION_RESULTS) >= set(world.records["result"].dropna())
