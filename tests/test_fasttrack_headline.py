"""The fast-track study's headline (issue 10): one preferred estimate per outcome, the design
note computed from the data, Honest DiD on the headline outcome's event study, and the minimum
detectable effect of the estimator actually used."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from courtstudy.simulate import simulate_court
from courtstudy.studies.fasttrack import headline as hl
from courtstudy.studies.fasttrack import run_fast_track_study

OUTCOMES = ("closed_90", "rmst")


@pytest.fixture(scope="module")
def study():
    sim = simulate_court(seed=21, scale=0.05, n_courts=6, n_never_fast_track=2,
                         one_court_per_cohort=True)
    return run_fast_track_study(sim.cases, sim.courts, as_of=sim.as_of, outcomes=OUTCOMES,
                                power_reps=0, ri_draws=199, twfe_compare=False)


def test_exactly_one_preferred_estimate_per_outcome_and_it_is_the_headline(study):
    t = study.tidy()
    assert t["preferred"].dtype == bool
    pref = t[t["preferred"]]
    assert sorted(pref["outcome"]) == sorted(OUTCOMES)
    for outcome, row in pref.set_index("outcome").iterrows():
        eff = study.headline[outcome]
        low, high, p = eff.interval(hl.HEADLINE_INFERENCE, study.alpha)
        assert row["term"] == "overall"
        assert row["inference"] == hl.HEADLINE_INFERENCE
        assert row["estimate"] == pytest.approx(eff.estimate)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
        assert row["p_value"] == pytest.approx(p)
    # comparisons stay in the table, never preferred
    others = t[~t["preferred"]]
    assert {"twfe", "callaway_santanna"} & set(others["method"]) or len(others) > 0
    assert study.preferred()["outcome"].tolist() == pref["outcome"].tolist()


def test_preferred_survives_the_csv_round_trip(study, tmp_path):
    path = tmp_path / "fast_track_effects.csv"
    study.tidy().to_csv(path, index=False)
    back = pd.read_csv(path)
    assert back.groupby("outcome")["preferred"].sum().to_dict() == {o: 1 for o in OUTCOMES}


def test_design_note_is_computed_from_the_courts(study):
    en, zh = study.design_note("en"), study.design_note("zh")
    cohorts = study.sample.data.cohort_table()
    n_never = int((cohorts["cohort"] < 0).sum())
    assert (len(cohorts), n_never) == (6, 2)
    assert "in 6 courts" in en and "on 4 different dates (one court per date)" in en
    assert f"and {n_never} did not" in en
    assert "6个法院" in zh and "每个日期只有1个法院" in zh
    # which inference it leans on, and the randomisation inference beside it
    assert "court-month" in en and "randomisation inference" in en
    assert "法院-月份" in zh and "随机化推断" in zh
    ratio = study.headline[OUTCOMES[0]].std_error("court_month") / study.headline[OUTCOMES[0]].std_error("case")
    assert f"{ratio:.1f} times the case-level one" in en


def test_minimum_detectable_effect_is_that_of_the_headline_estimator(study):
    for outcome in OUTCOMES:
        eff = study.headline[outcome]
        se = eff.std_error(hl.HEADLINE_INFERENCE)
        mde = eff.minimum_detectable_effect(hl.HEADLINE_INFERENCE, study.alpha)
        assert mde == pytest.approx((sps.norm.ppf(0.975) + sps.norm.ppf(0.8)) * se)
        assert mde > eff.minimum_detectable_effect("case", study.alpha) * 0.999
        shown = hl._fmt_effect(outcome, mde, "en", signed=False)
        assert shown in study.power_statement("en")
    row = study.headline_table("en").set_index("outcome")
    assert row.loc["rmst", "mde"] == pytest.approx(
        study.headline["rmst"].minimum_detectable_effect(hl.HEADLINE_INFERENCE, study.alpha))


def test_honest_did_on_the_headline_outcome(study):
    h = study.honest
    assert h is not None and h.outcome == "closed_90"
    lo, hi = h.original
    assert lo <= h.estimate <= hi
    assert hi - lo < 0.5  # a share: the event study is estimated, not blown up
    rm = h.relative_magnitude.sort_values("Mbar")
    assert len(rm) >= 3 and (rm["lb"] <= rm["ub"]).all()
    # more room for violations never narrows the robust interval
    assert (np.diff(rm["ub"] - rm["lb"]) >= -1e-6).all()
    assert np.isfinite(h.breakdown_mbar) or h.breakdown_mbar == np.inf
    import matplotlib.pyplot as plt

    figures = study.figures("en")
    try:
        assert study.figure_name("honest", "closed_90") in figures
    finally:
        for fig in figures.values():
            plt.close(fig)
    text = study.honest_statement("en")
    if lo <= 0 <= hi:
        assert "no finding for a violation to overturn" in text
    else:
        assert "Mbar" in text


def test_headline_sentence_states_its_inference_and_never_a_fixed_claim(study):
    for outcome in OUTCOMES:
        eff = study.headline[outcome]
        low, high, p = eff.interval(hl.HEADLINE_INFERENCE, study.alpha)
        text = hl.headline_sentence(outcome, eff, study.alpha, "en")
        assert hl._fmt_bound(outcome, low) in text and hl._fmt_bound(outcome, high) in text
        assert ("not significant" in text) == (p >= study.alpha)
    # what the tests rest on is said once, after the outcomes, not in each sentence
    sentences = study.headline_sentences("en")
    assert len(sentences) == len(study.headline) + 1
    assert "court-month" in sentences[-1]
    assert not any("court-month" in s for s in sentences[:-1])


def test_few_courts_caveat_is_said_once_and_names_where_randomisation_disagrees(study):
    effects = dict(study.headline)
    significant = [o for o, e in effects.items() if e.interval(hl.HEADLINE_INFERENCE, study.alpha)[2] < study.alpha]
    basis = hl.headline_basis(effects, study.alpha, "zh", n_courts=6)
    assert ("只有6个法院" in basis) == bool(significant)
    assert hl.headline_basis(effects, study.alpha, "zh", n_courts=40).count("只有") == 0
    for outcome in significant:
        ri = effects[outcome].randomization
        if ri is not None and np.isfinite(ri.p_value) and ri.p_value >= study.alpha:
            assert hl.outcome_label(outcome, "zh") in basis  # where randomisation disagrees
    nothing = {o: e for o, e in effects.items() if o not in significant}
    assert hl.few_courts_caveat(6, nothing, study.alpha, "zh") == ""


def test_few_courts_caveat_names_the_shorter_list():
    from types import SimpleNamespace

    def effect(p, ri_p):
        return SimpleNamespace(interval=lambda inference, alpha: (0.0, 1.0, p),
                               randomization=SimpleNamespace(p_value=ri_p))

    many = {o: effect(0.001, 0.01) for o in ("closed_90", "rmst", "appeal_rate", "mediation_withdrawal_rate")}
    many["closed_180"] = effect(0.001, 0.2)
    text = hl.few_courts_caveat(6, many, 0.05, "zh")
    assert "除180日内结案比例以外的各项同样显著" in text and "对180日内结案比例随机化推断不显著" in text
    assert "all but" in hl.few_courts_caveat(6, many, 0.05, "en")
    two = {"closed_90": effect(0.001, 0.01), "closed_180": effect(0.001, 0.2)}
    text = hl.few_courts_caveat(6, two, 0.05, "zh")
    assert "对90日内结案比例同样显著" in text and "对180日内结案比例随机化推断不显著" in text


def test_montecarlo_sentence_speaks_of_the_setting_nearest_the_users_courts(monkeypatch):
    ref = pd.DataFrame({"setting": ["4courts", "4courts", "6courts", "6courts", "12courts"],
                        "n_courts": [4, 4, 6, 6, 12], "scenario": ["shocks", "case_noise"] * 2 + ["shocks"],
                        "outcome": ["closed_90"] * 5, "reps": [300, 300, 500, 700, 550],
                        "coverage": [0.90, 0.94, 0.954, 0.962, 0.976],
                        "null_rejection": [0.10, 0.06, 0.045, 0.034, 0.024]})
    monkeypatch.setattr(hl, "montecarlo_reference", lambda: ref)
    six = hl._montecarlo_words("en", 7)
    assert "6 courts" in six and "95.4-96.2%" in six and "too narrow" not in six
    four = hl._montecarlo_words("zh", 5)  # a tie between 4 and 6: the fewer courts
    assert "4个法院" in four and "90.0%至94.0%" in four and "偏窄" in four
    assert "12 courts" in hl._montecarlo_words("en", 15)
