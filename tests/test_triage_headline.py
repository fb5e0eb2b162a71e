"""Headline choice, design comparison and the exclusion bound of the triage study (hand-made rows)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.studies.results import study_tidy
from courtstudy.studies.triage.headline import (
    adjusted_agreement,
    agreement_statements,
    compare_designs,
    comparison_statements,
    exclusion_bound,
    mark_preferred,
)


def _rows() -> pd.DataFrame:
    rows = [
        ("appealed", "raw", -0.08, 0.003, None, ""), ("appealed", "aipw", -0.03, 0.004, None, ""),
        ("appealed", "rollout_itt", -0.008, 0.004, None, "overall"),
        ("appealed", "rollout_wald", -0.013, 0.006, None, "overall"),
        ("appealed", "rollout_wald", -0.02, 0.01, 2.0, "event"),                   # an event-time row
        ("appealed", "rollout_wald_channel", -0.009, 0.002, None, "small_claims_channel"),
        ("days_capped_365", "aipw", -28.0, 0.6, None, ""),
        ("days_capped_365", "rollout_wald", -13.0, 2.5, None, "overall"),
        ("days_capped_365", "rollout_wald", -13.0, 2.9, None, "overall"),        # another inference
        ("rmst_365", "ipw_km_rmst", -27.0, 0.7, None, ""),
    ]
    frame = pd.DataFrame(rows, columns=["outcome", "method", "estimate", "std_error", "event_time", "term"])
    frame["unit"] = np.where(frame["outcome"] == "appealed", "risk_difference", "days")
    frame["inference"] = np.where(frame["method"].str.startswith("rollout"), "court_month_t", "")
    frame.loc[8, "inference"] = "randomization"
    return study_tidy(frame)


def test_preferred_is_the_wald_aggregate_or_aipw_without_a_rollout():
    marked = mark_preferred(_rows(), has_rollout=True)
    chosen = marked[marked["preferred"]]
    assert sorted(chosen["outcome"]) == ["appealed", "days_capped_365"]
    assert set(chosen["method"]) == {"rollout_wald"} and chosen["event_time"].isna().all()
    assert (chosen["term"] == "overall").all() and (chosen["inference"] == "court_month_t").all()
    ri = mark_preferred(_rows(), has_rollout=True, inference="randomization")
    assert ri.loc[ri["preferred"], "std_error"].tolist() == [2.9]
    assert marked.set_index("method").loc["aipw", "rests_on"].iloc[0] == "selection_on_observables"
    fallback = mark_preferred(_rows(), has_rollout=False)
    assert set(fallback.loc[fallback["preferred"], "method"]) == {"aipw"}
    assert fallback["preferred"].sum() == 2


def test_designs_disagree_beyond_sampling_error_and_say_so():
    comp = compare_designs(mark_preferred(_rows(), True)).set_index("outcome")
    days = comp.loc["days_capped_365"]
    assert days["difference"] == pytest.approx(-15.0)
    assert days["difference_se"] == pytest.approx(np.hypot(0.6, 2.5))
    assert days["disagree"]
    appealed = comp.loc["appealed"]
    assert appealed["disagree"] == (abs(-0.03 + 0.013) > 1.959964 * np.hypot(0.004, 0.006))
    zh = comparison_statements(comp.reset_index(), "zh")
    assert "超出抽样误差" in zh[1] and "隐藏的选择" in zh[-1]
    en = comparison_statements(comp.reset_index(), "en")
    assert "-15.00 days" in en[1] and "hidden selection" in en[-1]
    agree = _rows().assign(estimate=lambda d: np.where(d["method"] == "aipw", -13.0, d["estimate"]))
    agree.loc[agree["outcome"] == "appealed", "estimate"] = -0.013
    text = comparison_statements(compare_designs(mark_preferred(agree, True)), "en")
    assert "agree within sampling error" in text[-1]


def test_adjusted_methods_agree_only_within_one_standard_error_and_sentences_follow():
    base = _rows()
    extra = study_tidy(pd.DataFrame({
        "outcome": ["appealed", "appealed", "days_capped_365", "days_capped_365"],
        "method": ["regression", "ipw", "regression", "ipw"], "estimate": [-0.032, -0.029, -28.3, -21.0],
        "std_error": [0.004, 0.004, 0.6, 0.7], "unit": ["risk_difference", "risk_difference", "days", "days"]}))
    rows = pd.concat([base, extra], ignore_index=True)
    agreement = adjusted_agreement(rows).set_index("outcome")
    assert agreement.loc["appealed", "spread"] == pytest.approx(0.003)
    assert agreement.loc["appealed", "agree"]                     # 0.003 < 0.004
    assert not agreement.loc["days_capped_365", "agree"]          # 7.3 days > 0.7
    assert "rmst_365" not in agreement.index                      # one adjusted method only
    comp = compare_designs(mark_preferred(rows, True))
    en = agreement_statements(agreement.reset_index(), comp, "en")
    assert "agree within one standard error on 1 of 2 outcomes" in en[0]
    assert "no evidence" in en[1]
    disagree_appeal = bool(comp.set_index("outcome").loc["appealed", "disagree"])
    assert disagree_appeal and len(en) == 3 and "On 1 of them" in en[2]
    all_agree = rows.copy()
    all_agree.loc[all_agree["method"].isin(["regression", "ipw"]) & (all_agree["outcome"] == "days_capped_365"),
                  "estimate"] = -28.1
    zh = agreement_statements(adjusted_agreement(all_agree), None, "zh")
    assert "全部 2 项结果" in zh[0] and len(zh) == 2
    assert agreement_statements(adjusted_agreement(base.iloc[:0]), None, "en") == []


def test_exclusion_bound_algebra():
    # ITT = FS tau + (1 - FS) delta: with FS = 0.6, tau = -10, delta = 2, ITT = -5.2 and the
    # Wald ratio ITT / FS = -8.667 is off by (1 - FS) / FS * delta.
    fs, tau, delta = 0.6, -10.0, 2.0
    wald = (fs * tau + (1 - fs) * delta) / fs
    bound = exclusion_bound(wald, (wald - 1, wald + 1), fs, abs(delta))
    assert bound["low"] == pytest.approx(tau)
    assert bound["low"] <= tau <= bound["high"]
    assert bound["breakdown"] == pytest.approx(wald * fs / (1 - fs))
