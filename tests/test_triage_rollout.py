"""The rollout design of the triage study on the synthetic court's triage scenario: the Wald-DiD
recovers the effect on routed cases where like-for-like estimators fail, the pieces add up, the
headline falls back when there is no rollout, and a breach of the exclusion restriction shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.simulate import simulate_court, triage_scenario
from courtstudy.studies.triage import run_triage_study
from courtstudy.studies.triage.rollout import build_rollout_sample
from courtstudy.studies.triage.truth import rollout_truth
from courtstudy.studies.triage.wald import run_rollout

SEED = 11


@pytest.fixture(scope="module")
def hidden():
    sim = simulate_court(seed=SEED, scale=0.15, **triage_scenario(hidden=True, courts="few"))
    study = run_triage_study(sim.cases, sim.courts, as_of=sim.as_of, cox=False, sensitivity=False,
                             crosscheck=True, ri_draws=99)
    return sim, study


def test_wald_recovers_the_effect_on_routed_cases_where_aipw_does_not(hidden):
    sim, study = hidden
    res = study.rollout
    truth = rollout_truth(res.sample, sim.latent, used=res.diagnostics["used"]).query("component == 'total'")
    head = study.headline().merge(truth[["outcome", "truth"]], on="outcome")
    assert len(head) == 5 and set(head["method"]) == {"rollout_wald"}
    assert set(head["rests_on"]) == {"parallel_trends_and_exclusion"}
    days = head.set_index("outcome").loc["days_capped_365"]
    assert abs(days["estimate"] - days["truth"]) < 2.5 * days["std_error"]
    assert days["ci_high"] < 0
    # Like-for-like on the very same routed cases is far off (hidden complexity drives routing and
    # duration), by many of its own standard errors; the comparison sentences follow the test.
    comp = study.comparison().set_index("outcome").loc["days_capped_365"]
    assert comp["like_for_like_method"] == "aipw_same_cases"
    assert comp["like_for_like"] < days["truth"] - 4 * comp["like_for_like_se"]
    sentence = study.comparison_statements("en")[list(study.comparison()["outcome"]).index("days_capped_365")]
    assert ("more than sampling error" in sentence) == bool(comp["disagree"])


def test_ratio_and_split_add_up(hidden):
    _, study = hidden
    rows = study.rollout.tidy()
    overall = rows[rows["term"] == "overall"]

    def pick(method, outcome="appealed", inference="case", term="overall"):
        r = rows[(rows["method"] == method) & (rows["outcome"] == outcome) & (rows["inference"] == inference)
                 & (rows["term"] == term)]
        return float(r["estimate"].iloc[0])

    itt, fs, wald = pick("rollout_itt"), pick("rollout_first_stage"), pick("rollout_wald")
    assert wald == pytest.approx(itt / fs, rel=1e-9)
    channel = pick("rollout_wald_channel", term="small_claims_channel")
    other = pick("rollout_wald_channel", term="other_channels")
    assert channel + other == pytest.approx(wald, abs=1e-10)
    assert channel < 0  # small claims are final: routing more cases there removes appeals
    # Every inference gives the same point estimate; the randomisation interval is its own.
    w = overall[(overall["method"] == "rollout_wald") & (overall["outcome"] == "appealed")]
    assert set(w["inference"]) == {"case", "court_month", "court_month_t", "randomization"}
    assert w["estimate"].nunique() == 1
    # the headline keeps the court-month standard error and widens or narrows only its critical value
    by = w.set_index("inference")
    ratio = study.rollout.diagnostics["ratios"]["appealed"]
    assert by.loc["court_month_t", "std_error"] == by.loc["court_month", "std_error"]
    half = (by.loc["court_month_t", "ci_high"] - by.loc["court_month_t", "ci_low"]) / 2
    assert half == pytest.approx(ratio.t_critical * by.loc["court_month", "std_error"], rel=1e-12)
    assert study.rollout.inference == "court_month_t"
    headline = study.rollout.headline()
    assert (headline["inference"] == "court_month_t").all() and len(headline) == 5
    assert set(rows.loc[rows["method"] == "did_multiplegt", "outcome"]) == set(study.rollout.sample.outcomes)


def test_assumption_checks_and_reader_text(hidden):
    _, study = hidden
    d = study.rollout.diagnostics
    assert set(d["pretrend"]["outcome"]) == set(study.rollout.sample.outcomes)
    assert (d["composition"]["p_value"] > 0.01).all()   # triage does not change who files
    assert d["always_complex"]["routed_share"] < 0.15
    assert len(d["exclusion"]) == 5 and len(d["bounds"]) == 5
    b = d["bounds"].set_index("outcome").loc["days_capped_365"]
    assert b["ci_low"] < b["wald"] < b["ci_high"]
    zh = study.rollout.assumption_statements("zh")
    assert zh[0].startswith("平行趋势") and "排除性约束" in zh[-1]
    assert "个在数据期内开始分流的法院" in study.rollout.design_statement("zh")
    assert "一审终审" in study.rollout.appeal_split_statement("zh")
    tidy = study.tidy()
    assert tidy.groupby("outcome")["preferred"].sum().max() == 1


def test_truth_split_adds_up(hidden):
    sim, study = hidden
    t = rollout_truth(study.rollout.sample, sim.latent).pivot(index="outcome", columns="component", values="truth")
    np.testing.assert_allclose(t["procedure_channel"] + t["other"], t["total"], atol=1e-12)
    assert t.loc["appealed", "procedure_channel"] < 0 and t.loc["mediation_withdrawal", "procedure_channel"] == 0


def test_no_rollout_falls_back_to_like_for_like(caplog):
    sim = simulate_court(seed=SEED, scale=0.05, **triage_scenario(hidden=False, courts="few"))
    courts = sim.courts.assign(triage_start=pd.Timestamp("2018-01-01"))
    with caplog.at_level("WARNING", logger="courtstudy"):
        study = run_triage_study(sim.cases, courts, as_of=sim.as_of, cox=False, sensitivity=False,
                                 outcomes=("days_capped", "appealed"))
    assert any("selection on observables" in r.getMessage() and r.zh for r in caplog.records)
    assert study.rollout is None and study.no_rollout["code"] == "no_rollout"
    head = study.headline()
    assert set(head["method"]) == {"aipw"} and set(head["rests_on"]) == {"selection_on_observables"}
    assert "selection" in study.headline_statements("en")[-1]
    assert "没有可比较的按实施时间估计" in study.comparison_statements("zh")[0]


def test_a_breach_of_the_exclusion_restriction_is_bounded():
    sim = simulate_court(seed=SEED, scale=0.4, **triage_scenario(hidden=False, courts="few",
                                                                 exclusion_violation=0.6))
    sample = build_rollout_sample(sim.cases, sim.courts, as_of=sim.as_of, outcomes=("days_capped",))
    res = run_rollout(sample, randomization=False, crosscheck=False)
    truth = rollout_truth(sample, sim.latent, used=res.diagnostics["used"]).query("component == 'total'")
    t = float(truth["truth"].iloc[0])
    head = res.headline().iloc[0]
    # Cases left complex slow down, so the Wald ratio overstates the duration effect's size the
    # other way: its interval misses the truth ...
    assert not head["ci_low"] <= t <= head["ci_high"]
    # ... the cases that would be complex anyway show the breach ...
    excl = res.diagnostics["exclusion"].iloc[0]
    assert excl["delta"] > 0 and excl["p_value"] < 0.05
    # ... and the bound that lets cases left complex move as much as that test allows covers it.
    bound = res.diagnostics["bounds"].iloc[0]
    assert bound["ci_low"] <= t <= bound["ci_high"]


def test_pretrend_test_is_sane_when_courts_start_soon_after_the_data_begin():
    # The demo's courts start triage 2-5 months after the data begin: every pre-period lies in
    # the lead window, which used to make the leads absorb each court's level.
    sim = simulate_court(seed=SEED, scale=0.15)
    sample = build_rollout_sample(sim.cases, sim.courts, as_of=sim.as_of, outcomes=("days_capped", "appealed"))
    res = run_rollout(sample, randomization=False, crosscheck=False, tests=False)
    pre = res.diagnostics["pretrend"]
    assert (pre["p_value"] > 0.001).all() and (pre["df"] >= 1).all()
    leads = res.diagnostics["event_study"]["days_capped_365"].query("kind == 'lead'")
    assert leads["estimate"].abs().max() < 4 * leads["std_error"].max()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_event_study_figure_counts_whole_months_with_one_grid(hidden, lang):
    """Publication details a reader notices: month ticks are whole months, the y axis states the
    unit only (the title names the outcome, whose label may carry a unit of its own), and only
    the left axis draws a grid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, study = hidden
    ax = study.rollout.plot_event_study("days_capped_365", lang=lang)
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ax.get_ylabel() == ("变化（天）" if lang == "zh" else "Change (days)")
    twin = [a for a in ax.figure.axes if a is not ax]
    assert len(twin) == 1 and not any(line.get_visible() for line in twin[0].get_ygridlines())
    plt.close(ax.figure)
