"""Indicators against hand-computed values, identities, statsmodels, a second backend, as-of
invariance and pseudonyms. Expected numbers in the fixture tests were worked out by hand from
the cases below (dates, limits and day counts in the comments), not by the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.core.schema import conform_cases
from courtstudy.indicators import (
    INDICATOR_NAMES,
    IndicatorEngine,
    catalogue,
    compare,
    headline,
    indicators,
    wide,
)
from courtstudy.report.pseudonym import pseudonym_map, pseudonymise

AS_OF = "2024-03-31"
T = pd.Timestamp
NaT = pd.NaT


def _case(case_id, filed, closed, procedure="ordinary", disposition="judgment", court="甲",
          instance="first", extension=0, suspended=0, appealed=False, appeal_filed=NaT,
          appeal_result=None, appeal_closed=NaT, retrial=False, judge="张三"):
    return dict(case_id=case_id, court=court, case_type="civil", instance=instance,
                procedure=procedure, filed_date=T(filed), closed_date=T(closed) if closed else NaT,
                disposition=disposition if closed else None, extension_days=extension,
                suspended_days=suspended, appealed=appealed,
                appeal_filed_date=T(appeal_filed) if appeal_filed is not NaT else NaT,
                appeal_result=appeal_result,
                appeal_closed_date=T(appeal_closed) if appeal_closed is not NaT else NaT,
                retrial_petition=retrial, judge=judge, claim_amount=10000.0)


def fixture_cases() -> pd.DataFrame:
    rows = [
        # deadline 2023-08-31 + 6 months = 2024-02-29 (month end, leap year): closed on it -> within
        _case("c01", "2023-08-31", "2024-02-29"),                                   # 182 days
        # same deadline, closed a day later -> outside; appeal filed, not decided at as_of
        _case("c02", "2023-08-31", "2024-03-01", appealed=True, appeal_filed="2024-03-10"),  # 183
        # closed on the first day of Q1: carried over and closed in Q1
        _case("c03", "2023-12-31", "2024-01-01", "simplified", "mediation"),         # 1 day
        # filed on the first day, closed on the last day of Q1 (= as_of): immature
        _case("c04", "2024-01-01", "2024-03-31", "simplified", "withdrawal"),        # 90 days
        _case("c05", "2023-06-15", None, extension=180),                            # pending
        _case("c06", "2022-12-15", None),                     # pending > 12 months at 2024-03-31
        _case("c07", "2020-03-30", None),                     # pending > 36 months
        _case("c08", "2023-03-31", None),                     # exactly 12 months: not over
        # small claims, 2 months (2022 rule); retrial petition -> not accepted
        _case("c09", "2024-02-10", "2024-02-20", "small_claims", retrial=True),      # 10 days
        # closed after as_of: pending at as_of
        _case("c10", "2023-11-01", "2024-05-10"),
        # 20 suspended days; appeal decided before as_of: modified
        _case("c11", "2023-10-09", "2024-01-31", suspended=20, appealed=True,
              appeal_filed="2024-02-10", appeal_result="modified", appeal_closed="2024-03-20"),  # 114
        # extended 60 days: deadline 2023-11-10 + 60 = 2024-01-09 < closing; appeal decided after as_of
        _case("c12", "2023-05-10", "2024-02-15", extension=60, appealed=True,
              appeal_filed="2024-03-01", appeal_result="affirmed", appeal_closed="2024-04-15"),  # 281
        # second instance: 3 months -> 2024-06-05; not first-instance civil
        _case("c13", "2024-03-05", "2024-03-25", instance="second"),                 # 20 days
        # closed before Q1: not in its caseload
        _case("c14", "2023-12-20", "2023-12-29", "simplified"),
        # filed after as_of: not yet known
        _case("c15", "2024-04-02", None),
        # no procedure: no statutory limit; mediation
        _case("c16", "2024-01-15", "2024-03-10", None, "mediation", judge="李四"),   # 55 days
        _case("b01", "2024-01-10", "2024-01-20", "simplified", court="乙", judge="王五"),
        _case("b02", "2023-02-28", None, court="乙", judge="王五"),  # +12 months = 2024-02-28
    ]
    return conform_cases(pd.DataFrame(rows))


COURTS = pd.DataFrame({"court": ["甲", "乙", "甲"], "year": [2024, 2024, 2023],
                       "judges": [3, 5, 4]})


def _values(long: pd.DataFrame, **where) -> dict[str, float]:
    rows = long
    for k, v in where.items():
        rows = rows[rows[k] == v]
    return dict(zip(rows["indicator"], rows["value"], strict=True))


@pytest.fixture(scope="module")
def engine() -> IndicatorEngine:
    return IndicatorEngine(fixture_cases(), courts=COURTS, as_of=AS_OF)


@pytest.fixture(scope="module")
def quarter(engine) -> pd.DataFrame:
    return engine.compute(by="court", period="2024Q1")


EXPECTED_Q1_JIA = {
    "filed": 4, "carried_over": 10, "caseload": 14, "closed": 9, "pending": 5,
    "disposition_rate": 9 / 14, "clearance_rate": 9 / 4,
    "disposition_time": 91 * 5 / 9,
    "mean_days": (182 + 183 + 1 + 90 + 10 + 114 + 281 + 20 + 55) / 9,
    "mean_trial_days": (936 - 20) / 9,
    "median_days": 90,
    "km_median_days": 55,                      # S: 10->.75, 20->.5, 55->.25 (first S < .5)
    "rmst_days": 10 + 10 * .75 + 35 * .5 + 35 * .25,
    "within_limit_rate": 6 / 8,                # c01 c03 c04 c09 c11 c13 of 8 with a limit
    "extension_rate": 1 / 9, "mediation_rate": 2 / 9, "mediation_withdrawal_rate": 3 / 9,
    "simplified_rate": 3 / 8, "small_claims_rate": 1 / 8,
    "appeal_rate": 3 / 9, "acceptance_rate": 5 / 9, "reversal_remand_rate": 1 / 9,
    "reversal_remand_share_of_appeals": 1.0, "appeals_undecided_share": 2 / 3,
    "mature_closed": 6,                        # closed on or before 2024-03-01
    "per_judge_closed": 9 / 3,
    "pending_over_12m": 2, "pending_over_12m_share": 2 / 5, "pending_over_18m": 1,
    "pending_over_36m": 1, "carryover_clearance": 5 / 10,
}


def test_every_indicator_by_hand_quarter(quarter):
    # The list of indicators is the catalogue's: a new entry fails here until its hand-computed
    # value is added to EXPECTED_Q1_JIA.
    assert set(EXPECTED_Q1_JIA) == set(INDICATOR_NAMES)
    got = _values(quarter, court="甲", period="2024Q1")
    assert set(got) == set(EXPECTED_Q1_JIA)
    for name, expected in EXPECTED_Q1_JIA.items():
        assert got[name] == pytest.approx(expected, rel=1e-12, abs=1e-12), name


def test_second_court_and_flags(quarter):
    got = _values(quarter, court="乙", period="2024Q1")
    assert (got["filed"], got["carried_over"], got["closed"], got["pending"]) == (1, 1, 1, 1)
    assert got["pending_over_12m"] == 1          # 2023-02-28 + 12 months < 2024-03-31
    assert got["per_judge_closed"] == pytest.approx(1 / 5)
    jia = quarter[(quarter["court"] == "甲")].set_index("indicator")
    assert jia.loc["appeal_rate", "immature"] and jia.loc["acceptance_rate", "immature"]
    assert not jia.loc["mean_days", "immature"]
    assert not quarter["incomplete"].any()
    assert jia.loc["within_limit_rate", "numerator"] == 6
    assert jia.loc["within_limit_rate", "denominator"] == 8


def test_month_with_leap_day(engine):
    long = engine.compute(by="court", period="month", start="2024-01-01", end="2024-03-31")
    got = _values(long, court="甲", period="2024-02")
    assert (got["filed"], got["carried_over"], got["caseload"], got["closed"], got["pending"]) \
        == (1, 10, 11, 3, 8)
    assert got["disposition_time"] == pytest.approx(29 * 8 / 3)
    assert got["mean_days"] == pytest.approx((182 + 10 + 281) / 3)
    assert got["pending_over_12m"] == 2
    assert got["carryover_clearance"] == pytest.approx(2 / 10)
    assert got["mature_closed"] == 3
    assert list(long["period"].unique()) == ["2024-01", "2024-02", "2024-03"]


def test_custom_period_and_overall(engine):
    long = engine.compute(by=[], period="2024-02-01~2024-02-29", court_filter=["甲"])
    got = _values(long)
    assert (got["filed"], got["carried_over"], got["closed"]) == (1, 10, 3)
    assert (got["pending_over_12m"], got["pending_over_36m"]) == (2, 1)
    assert got["per_judge_closed"] == pytest.approx(3 / 3)
    assert long["period"].iloc[0] == "2024-02-01~2024-02-29"


def test_filed_after_as_of_left_out(engine):
    assert engine.filed_after_as_of == 1


def test_identities_on_random_courts():
    cases = _random_cases(3000, seed=3)
    long = IndicatorEngine(cases, as_of="2023-12-31").compute(
        by=["court", "procedure"], period="month", start="2021-01-01", end="2023-12-31")
    w = wide(long)
    assert len(w) > 100
    np.testing.assert_array_equal(w["caseload"], w["carried_over"] + w["filed"])
    np.testing.assert_array_equal(w["pending"], w["caseload"] - w["closed"])
    # carried over into a month = pending at the end of the month before
    w = w.sort_values(["court", "procedure", "period"])
    prev = w.groupby(["court", "procedure"])["pending"].shift(1)
    ok = prev.notna()
    np.testing.assert_array_equal(w.loc[ok, "carried_over"], prev[ok])
    # brute force for one group-month from the definitions
    c = cases[(cases["court"] == "乙") & (cases["procedure"] == "ordinary")]
    start, end = T("2022-07-01"), T("2022-07-31")
    closed = c["closed_date"]
    row = w[(w["court"] == "乙") & (w["procedure"] == "ordinary") & (w["period"] == "2022-07")]
    assert row["filed"].item() == c["filed_date"].between(start, end).sum()
    assert row["carried_over"].item() == ((c["filed_date"] < start)
                                          & (closed.isna() | (closed >= start))).sum()
    pend = (c["filed_date"] <= end) & (closed.isna() | (closed > end))
    assert row["pending"].item() == pend.sum()
    over = pend & (c["filed_date"] + pd.DateOffset(months=12) < end)
    assert row["pending_over_12m"].item() == over.sum()
    durations = (closed - c["filed_date"]).dt.days[closed.between(start, end)]
    assert row["median_days"].item() == pytest.approx(durations.median())


def _random_cases(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    filed = T("2020-01-01") + pd.to_timedelta(rng.integers(0, 1400, n), unit="D")
    closed = filed + pd.to_timedelta(rng.gamma(1.3, 90, n).astype(int), unit="D")
    appealed = rng.random(n) < 0.15
    appeal_filed = closed + pd.to_timedelta(rng.integers(5, 40, n), unit="D")
    appeal_closed = appeal_filed + pd.to_timedelta(rng.integers(30, 200, n), unit="D")
    frame = pd.DataFrame({
        "case_id": [f"r{i}" for i in range(n)], "court": rng.choice(["甲", "乙", "丙"], n),
        "case_type": "civil", "instance": "first",
        "procedure": rng.choice(["ordinary", "simplified", "small_claims"], n),
        "team": rng.choice(["t1", "t2", None], n),
        "filed_date": filed, "closed_date": closed,
        "disposition": rng.choice(["judgment", "mediation", "withdrawal"], n),
        "extension_days": np.where(rng.random(n) < .1, 30, 0),
        "suspended_days": np.where(rng.random(n) < .1, 15, 0),
        "appealed": appealed, "appeal_filed_date": appeal_filed.where(appealed),
        "appeal_result": np.where(appealed, rng.choice(["affirmed", "modified", "remanded"], n),
                                  None),
        "appeal_closed_date": appeal_closed.where(appealed),
        "retrial_petition": rng.random(n) < .02, "claim_amount": 1.0,
    })
    return conform_cases(frame)


def _truncate(cases: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """What an export taken at ``as_of`` would have shown (independent of the engine)."""
    a = T(as_of)
    out = cases[cases["filed_date"] <= a].copy()
    late = out["closed_date"] > a
    out.loc[late, ["closed_date"]] = NaT
    out.loc[late, "disposition"] = pd.NA
    late_appeal = out["appeal_filed_date"] > a
    out.loc[late_appeal | late, "appealed"] = False
    out.loc[late_appeal | late, "appeal_filed_date"] = NaT
    undecided = (out["appeal_closed_date"] > a) | late_appeal | late
    out.loc[undecided, "appeal_result"] = pd.NA
    out.loc[undecided, "appeal_closed_date"] = NaT
    return out


def test_as_of_invariance():
    newer = _random_cases(2500, seed=5)
    old = _truncate(newer, "2022-09-30")
    kwargs = dict(by="court", period="quarter", start="2021-01-01", end="2022-09-30")
    from_old = IndicatorEngine(old, as_of="2022-09-30").compute(**kwargs)
    from_new = IndicatorEngine(newer, as_of="2022-09-30").compute(**kwargs)
    pd.testing.assert_frame_equal(from_old, from_new)
    # a newer as-of date changes nothing about stocks, flows and durations of past periods
    later = IndicatorEngine(newer, as_of="2023-12-31").compute(**kwargs)
    stable = ["filed", "carried_over", "caseload", "closed", "pending", "mean_days",
              "median_days", "within_limit_rate", "pending_over_12m", "carryover_clearance"]
    a = from_old[from_old["indicator"].isin(stable)].reset_index(drop=True)
    b = later[later["indicator"].isin(stable)].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.drop(columns=["immature"]), b.drop(columns=["immature"]))


def test_km_matches_statsmodels():
    from statsmodels.duration.survfunc import SurvfuncRight

    cases = _random_cases(1500, seed=11)
    as_of = T("2023-06-30")
    long = indicators(cases, by="court", period="half", start="2022-01-01", end="2023-06-30",
                      as_of=as_of, horizon=200)
    checked = 0
    for (court, label), rows in long.groupby(["court", "period"]):
        got = dict(zip(rows["indicator"], rows["value"], strict=True))
        start, end = rows["period_start"].iloc[0], rows["period_end"].iloc[0]
        c = cases[(cases["court"] == court) & cases["filed_date"].between(start, end)]
        event = c["closed_date"].notna() & (c["closed_date"] <= as_of)
        time = (c["closed_date"].where(event, as_of) - c["filed_date"]).dt.days
        sf = SurvfuncRight(time.to_numpy(float), event.to_numpy(int))
        median = sf.quantile(0.5)
        assert (np.isnan(median) and np.isnan(got["km_median_days"])) or \
            got["km_median_days"] == median, (court, label)
        t_ev, s_ev = sf.surv_times, sf.surv_prob
        grid = np.concatenate([[0.0], np.minimum(t_ev, 200), [200.0]])
        heights = np.concatenate([[1.0], s_ev])
        rmst = float(np.sum(heights * np.diff(grid)))
        assert got["rmst_days"] == pytest.approx(rmst, rel=1e-10), (court, label)
        checked += 1
    assert checked == 9


def test_polars_backend_identical():
    cases = _random_cases(2000, seed=7)
    kwargs = dict(by=["court", "team"], period="quarter", start="2021-01-01", end="2023-12-31")
    duck = IndicatorEngine(cases, as_of="2023-12-31").compute(**kwargs)
    engine = IndicatorEngine(cases, as_of="2023-12-31", backend="polars")
    polars = engine.compute(**kwargs)
    # the queries ran on polars: the prepared table is registered there, and only there
    assert engine.con.name == "polars" and engine.table.get_name() in engine.con.list_tables()
    pd.testing.assert_frame_equal(duck, polars, check_exact=False, rtol=1e-12)
    assert duck["team"].isna().any()  # missing team is a group of its own, not dropped
    custom = dict(by="court", period=["2021-02-01~2021-05-15", "2022-01-01~2022-12-31"])
    pd.testing.assert_frame_equal(
        IndicatorEngine(cases, as_of="2023-12-31").compute(**custom),
        IndicatorEngine(cases, as_of="2023-12-31", backend="polars").compute(**custom),
        check_exact=False, rtol=1e-12)


def test_engine_registers_once_and_reuses(engine):
    table = engine.table
    a = engine.compute(by="court", period="2024Q1")
    b = engine.compute(by="judge", period="2024Q1")
    assert set(b["judge"]) == {"张三", "李四", "王五"}
    assert a["value"].notna().any()
    assert engine.table is table


def test_compare_yoy_and_headline():
    cases = _random_cases(3000, seed=2)
    long = indicators(cases, by="court", period=["2022Q2", "2023Q2"], as_of="2023-12-31")
    comp = compare(long, kind="yoy")
    row = comp[(comp["court"] == "甲") & (comp["period"] == "2023Q2")].set_index("indicator")
    prev = long[(long["court"] == "甲") & (long["period"] == "2022Q2")].set_index("indicator")
    assert row.loc["closed", "previous_value"] == prev.loc["closed", "value"]
    change = row.loc["mean_days", "value"] - prev.loc["mean_days", "value"]
    assert row.loc["mean_days", "change"] == pytest.approx(change)
    assert row.loc["mean_days", "good"] == (change < 0)          # better: down
    assert pd.isna(row.loc["filed", "good"])                     # neutral count
    text = headline(comp[(comp["court"] == "甲") & (comp["period"] == "2023Q2")])
    good = int(row["good"].fillna(False).sum())
    assert f"{good}项向好" in text and "升" in text


def test_compare_marks_immature_not_comparable(engine):
    long = engine.compute(by="court", period=["2023-03", "2024-03"])
    comp = compare(long, kind="yoy")
    jia = comp[(comp["court"] == "甲") & (comp["period"] == "2024-03")].set_index("indicator")
    assert not jia.loc["appeal_rate", "comparable"] and pd.isna(jia.loc["appeal_rate", "good"])


def test_pop_shift():
    from courtstudy.core.periods import parse_period
    assert parse_period("2024Q1").shift("pop").label == "2023Q4"
    assert parse_period("2024-03").shift("yoy").label == "2023-03"


def test_pseudonyms(monkeypatch):
    # Without a salt argument the installation's secret salt is used (never an alphabetical code
    # that anyone holding the roster could reverse); see tests/test_pseudonym.py.
    monkeypatch.setenv("COURTSTUDY_PSEUDONYM_SALT", "s1")
    mapping = pseudonym_map(["王五", "张三", "李四", "张三"])
    assert mapping == pseudonym_map(["王五", "张三", "李四"], salt="s1")
    salted = pseudonym_map(["张三", "李四"], salt="s1")
    assert salted["张三"] == pseudonym_map(["张三", "赵六"], salt="s1")["张三"]
    assert salted["张三"] != pseudonym_map(["张三"], salt="s2")["张三"]
    assert salted["张三"].startswith("法官") and len(salted["张三"]) == 8
    frame = pd.DataFrame({"judge": pd.array(["张三", None], dtype="string")})
    out = pseudonymise(frame)
    assert out["judge"].iloc[0] == salted["张三"] and pd.isna(out["judge"].iloc[1])


def test_compute_pseudonymises_judges(engine):
    long = pseudonymise(engine.compute(by="judge", period="2024Q1"), columns=("judge",), salt="k")
    assert not set(long["judge"]) & {"张三", "李四", "王五"}
    assert all(j.startswith("法官") for j in long["judge"])


def test_catalogue_and_wide_labels(quarter):
    cat = catalogue("zh")
    assert cat["formula"].str.len().min() > 5
    assert {"up", "down"} <= set(cat["better"].dropna())
    zh = wide(quarter, lang="zh")
    assert list(zh.columns[:2]) == ["court", "period"]
    assert "结案率" in zh.columns and "服判息诉率" in zh.columns
    en = wide(quarter, lang=None)
    assert "disposition_rate" in en.columns and len(en) == 2


def test_bad_input_named():
    cases = fixture_cases()
    cases.loc[0, "closed_date"] = T("2023-01-01")
    with pytest.raises(ValueError, match="c01"):
        IndicatorEngine(cases, as_of=AS_OF)
    with pytest.raises(ValueError, match="cannot group by"):
        IndicatorEngine(fixture_cases(), as_of=AS_OF).compute(by="colour")


@pytest.fixture(scope="module")
def synthetic():
    simulate = pytest.importorskip("courtstudy.simulate")
    early = simulate.simulate_court(scale=0.05, as_of="2024-03-31")
    late = simulate.simulate_court(scale=0.05, as_of="2024-12-31")
    return early, late


def test_identities_on_synthetic_court(synthetic):
    sim, _ = synthetic
    long = IndicatorEngine(sim.cases, courts=sim.courts, as_of=sim.as_of).compute(
        by=["court", "team_type"], period="month", start="2019-01-01", end="2024-03-31")
    w = wide(long)
    np.testing.assert_array_equal(w["caseload"], w["carried_over"] + w["filed"])
    np.testing.assert_array_equal(w["pending"], w["caseload"] - w["closed"])
    assert (w["pending_over_12m"] <= w["pending"]).all()
    assert (w["pending_over_36m"] <= w["pending_over_18m"]).all()
    assert w["filed"].sum() == len(sim.cases)  # every case filed in the range is counted once
    by_court = wide(IndicatorEngine(sim.cases, courts=sim.courts, as_of=sim.as_of).compute(
        by="court", period="year", start="2019-01-01", end="2023-12-31"))
    assert by_court["per_judge_closed"].notna().all()


def test_as_of_invariance_synthetic(synthetic):
    early, late = synthetic
    assert late.cases["closed_date"].notna().sum() > early.cases["closed_date"].notna().sum()
    kwargs = dict(by="court", period="quarter", start="2020-01-01", end="2024-03-31")
    a = IndicatorEngine(early.cases, as_of=early.as_of).compute(**kwargs)
    b = IndicatorEngine(late.cases, as_of=early.as_of).compute(**kwargs)
    observable = ["filed", "carried_over", "caseload", "closed", "pending", "mean_days",
                  "median_days", "mean_trial_days", "km_median_days", "rmst_days",
                  "mediation_withdrawal_rate", "pending_over_12m", "carryover_clearance",
                  "appeal_rate", "reversal_remand_share_of_appeals"]
    a = a[a["indicator"].isin(observable)].reset_index(drop=True)
    b = b[b["indicator"].isin(observable)].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_deadlines_agree_with_limits_module():
    """The engine's within-limit facts follow core.limits.deadlines case by case (the engine
    resolves the same rules inside the backend)."""
    from courtstudy.core import limits
    from courtstudy.indicators import prepare_cases

    cases = pd.concat([fixture_cases(), _random_cases(500, seed=4)], ignore_index=True)
    cases.loc[cases.index[-50:], "filed_date"] = T("2021-12-31")  # pre-2022 simplified rules
    cases.loc[cases.index[-50:], "closed_date"] = T("2022-03-31")
    cases.loc[cases.index[:3], "instance"] = pd.NA  # missing instance = first instance
    cases.loc[cases.index[3:8], "case_type"] = "criminal"  # no civil limit
    cases.loc[cases.index[8], "case_type"] = pd.NA
    cases["judge"] = cases["case_id"]  # a group column that identifies each case
    as_of = T("2024-12-31")
    prepared = prepare_cases(cases, as_of, group_columns=["judge"]).to_pandas().set_index("judge")
    deadline = limits.deadlines(cases).set_axis(cases["case_id"])
    closed = cases.set_index("case_id")["closed_date"]
    closed = closed.where(closed <= as_of)
    known = cases.set_index("case_id")["filed_date"] <= as_of
    expected_limit = (closed.notna() & deadline.notna())[known]
    expected_within = (expected_limit & (closed <= deadline))[known]
    assert expected_limit.sum() > 300 and (~expected_limit & closed.notna()).sum() >= 3
    got = prepared.loc[expected_limit.index]
    np.testing.assert_array_equal(got["has_limit"].to_numpy(), expected_limit.to_numpy())
    np.testing.assert_array_equal(got["within"].to_numpy(), expected_within.to_numpy())


def test_prepared_ibis_table_gives_same_numbers(quarter):
    import ibis

    from courtstudy.indicators import prepare_cases

    prepared = prepare_cases(fixture_cases(), AS_OF)
    engine = IndicatorEngine(ibis.memtable(prepared), courts=COURTS, as_of=AS_OF)
    pd.testing.assert_frame_equal(engine.compute(by="court", period="2024Q1"), quarter)


def test_catalogue_doc_is_derived_from_the_catalogue():
    from pathlib import Path

    from courtstudy.indicators.definitions import catalogue_markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"
    assert doc.read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/indicators.md is stale: run courtstudy.indicators.definitions.write_catalogue_doc()")
    for name in INDICATOR_NAMES:
        assert f"| `{name}` |" in catalogue_markdown()
