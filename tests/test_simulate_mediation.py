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
    every = world.all_cases(court.cases)
    links = load_links(world.links_export(court.cases), cases=every, mediation=loaded.records)
    assert len(links.refused) == 0 and links.links["in_data"].all()
    assert set(links.field_issues["reason"]) <= {"link_order"} and len(links.field_issues) == 0
    assert len(links.links) == len(world.links)


def test_disputes_follow_the_generator(court, world):
    every = world.all_cases(court.cases)
    table = disputes(every, world.links, world.records).set_index("record_id")
    appeals = world.links.loc[world.links["link"] == "original"]
    assert (table.loc[appeals["case_id"], "dispute_id"].to_numpy()
            == table.loc[appeals["linked_case_id"], "dispute_id"].to_numpy()).all()
    failed = world.records.dropna(subset=["filed_case_id"])
    # a failed mediation is the origin of the dispute of the case filed after it
    assert (table.loc[failed["filed_case_id"], "dispute_id"].to_numpy() == failed["mediation_id"].to_numpy()).all()


def test_true_effect_on_filings(world):
    truth = world.filings_truth.merge(world.schedule, on="court")
    started = truth.loc[truth["mediation_start"].notna()
                        & (truth["month"].dt.start_time >= truth["mediation_start"] + pd.DateOffset(months=1))]
    sums = started.groupby("court")[["filed_factual", "filed_counterfactual"]].sum()
    expected = world.truth.set_index("court")["effect_log_filings"]
    realised = np.log(sums["filed_factual"] / sums["filed_counterfactual"])
    # ~1,500-4,000 filings per court after its start: Poisson noise of the log ratio ~0.02
    assert np.abs(realised - expected[realised.index]).max() < 0.06
    never = world.schedule.loc[world.schedule["mediation_start"].isna(), "court"]
    assert (truth.loc[truth["court"].isin(never), "resolved_before_filing"] == 0).all()


def test_indicators_recover_the_diversion(court, world):
    s = world.settings
    every = world.all_cases(court.cases)
    long = diversion_indicators(world.records, every, world.links, by="court", period="2022", as_of=court.as_of)
    rate = long.loc[long["indicator"] == "pre_suit_resolution_rate"].set_index("court")["value"]
    share = world.schedule.set_index("court")["diversion_share"]
    resolved_share = 1 - s.resolved_mix[2] / sum(s.resolved_mix)   # withdrawn disputes are not resolved
    expected = share * (1 - s.failed_share) * resolved_share
    started = world.schedule.loc[world.schedule["mediation_start"] < pd.Timestamp("2022-01-01"), "court"]
    assert np.abs(rate[started] - expected[started]).max() < 0.04
    success = long.loc[long["indicator"] == "mediation_success_rate"].set_index("court")["value"][started]
    assert np.abs(success - (1 - s.failed_share) * resolved_share).max() < 0.05
    ratio = long.loc[long["indicator"] == "case_case_ratio"].set_index("court")["value"]
    assert (ratio > 1).all() and (ratio < 2).all()
    assert set(categories.MEDIATION_RESULTS) >= set(world.records["result"].dropna())
