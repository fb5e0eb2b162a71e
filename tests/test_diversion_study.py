"""The start of pre-suit mediation and what reaches the court, on the synthetic court's truth."""

from __future__ import annotations

import numpy as np
import pytest

from courtstudy.simulate.generator import simulate_court
from courtstudy.simulate.mediation import simulate_mediation
from courtstudy.studies.diversion import filings_panel, mediation_start_effects, mediation_starts


def _overall(result) -> tuple[float, float]:
    tidy = result.tidy()
    row = tidy.loc[(tidy["aggregation"] == "simple") & (tidy["term"] == "overall")].iloc[0]
    return float(row["estimate"]), float(row["std_error"])


@pytest.fixture(scope="module")
def worlds():
    court = simulate_court(seed=7, scale=0.15, n_courts=12)
    world = simulate_mediation(court)
    starts = dict(zip(world.schedule["court"], world.schedule["mediation_start"], strict=True))
    return court, world, starts


def test_panel(worlds):
    court, world, starts = worlds
    panel = filings_panel(world.cases, starts, freq="half", end="2023-12-31")
    assert panel.groupby("court").size().eq(10).all()              # 2019H1 .. 2023H2
    assert (panel["filed"] > 0).all()
    cohorts = panel.drop_duplicates("court").set_index("court")["cohort"]
    assert (cohorts == 0).sum() == 1 and cohorts.max() == 7        # last start 2022-01: 2022H1
    # starts read from the register are the first records, no earlier than the true starts
    first = mediation_starts(world.records)
    assert all(first[c] >= starts[c] for c in first)


def test_effect_on_filings_is_the_truth_plus_the_base_worlds_trend(worlds):
    """CS with no covariates is linear in the outcome, so the estimate on the factual world
    minus the same estimate on the world without mediation (the court as simulated) is exactly
    the true effect on the treated court-periods. The second estimate is not zero: the synthetic
    courts grow at their own rates, so parallel trends in filings do not hold exactly."""
    court, world, starts = worlds
    options = {"freq": "half", "end": "2023-12-31", "outcomes": ("log_filed",)}  # claims: case level below
    factual = mediation_start_effects(world.cases, starts, **options)
    without = mediation_start_effects(court.cases, starts, **options)
    pf = filings_panel(world.cases, starts, freq="half", end="2023-12-31")
    pc = filings_panel(court.cases, starts, freq="half", end="2023-12-31")
    treated = (pf["cohort"] > 0) & (pf["t"] >= pf["cohort"]) & ~pf["always_treated"]
    for outcome in options["outcomes"]:
        truth = float((pf.loc[treated, outcome] - pc.loc[treated, outcome]).mean())
        est, se = _overall(factual[outcome])
        base, _ = _overall(without[outcome])
        assert est - base == pytest.approx(truth, abs=1e-6), outcome
    truth_filings = float((pf.loc[treated, "log_filed"] - pc.loc[treated, "log_filed"]).mean())
    assert truth_filings < -0.15                                   # mediation takes a fifth of filings away
    est, se = _overall(factual["log_filed"])
    assert est < 0 and np.isfinite(se)


def _case_truth(world_cases, court_cases, starts, as_of, outcome: str) -> float:
    """Average over the filed cases of treated court-quarters of (factual cell mean - cell mean
    without mediation): the imputation estimand on the synthetic court's two worlds."""
    import pandas as pd

    from courtstudy.studies.diversion.cases import filed_case_sample

    means = []
    for cases in (world_cases, court_cases):
        sample = filed_case_sample(cases, as_of)
        quarter = sample["filed_date"].dt.to_period("Q")
        start = sample["court"].map(starts)
        treated = (start.notna() & (quarter.dt.end_time >= start) & (quarter <= pd.Period("2023Q4"))
                   & (start > pd.Timestamp("2019-03-31")))
        means.append(sample.loc[treated].groupby([sample["court"], quarter])[outcome].agg(["mean", "count"]))
    factual, without = means
    diff = (factual["mean"] - without["mean"]).dropna()
    weight = factual.loc[diff.index, "count"]
    return float((diff * weight).sum() / weight.sum())


def test_effect_on_filed_cases_against_the_truth(worlds):
    from courtstudy.studies.diversion.cases import CASE_OUTCOMES, filed_case_effects

    court, world, starts = worlds
    factual = filed_case_effects(world.cases, starts, court.as_of, end="2023Q4").tidy()
    without = filed_case_effects(court.cases, starts, court.as_of, end="2023Q4").tidy()

    def overall(tidy, outcome):
        row = tidy.loc[(tidy["outcome"] == outcome) & (tidy["term"] == "overall")
                       & (tidy["inference"] == "court_month")].iloc[0]
        return float(row["estimate"]), float(row["std_error"])

    for outcome in CASE_OUTCOMES:
        truth = _case_truth(world.cases, court.cases, starts, court.as_of, outcome)
        est, se = overall(factual, outcome)
        base, _ = overall(without, outcome)
        assert abs(est - truth) < 2.5 * se, outcome
        # nearly linear: the no-mediation world's estimate is the design's own error
        assert est - base == pytest.approx(truth, abs=0.01), outcome
    assert _case_truth(world.cases, court.cases, starts, court.as_of, "log_claim") > 0.05  # larger claims remain
