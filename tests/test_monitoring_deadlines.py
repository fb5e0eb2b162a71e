"""Deadline watch, the cases as known on a day, and the weekly/daily bulletin, against
hand-computed fixtures (issue 14)."""

from __future__ import annotations

import pandas as pd
import pytest

from courtstudy.core import schema
from courtstudy.monitoring import as_known_at
from courtstudy.monitoring.bulletin import bulletin
from courtstudy.monitoring.deadlines import deadline_status, deadline_watch

T = pd.Timestamp


def frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    out["court"] = out["court"].fillna("A") if "court" in out else "A"
    out["case_type"] = out["case_type"].fillna("civil") if "case_type" in out else "civil"
    out["instance"] = "first"
    for c in ("filed_date", "closed_date"):
        out[c] = pd.to_datetime(out[c])
    return schema.conform_cases(out)


WATCH = frame([
    # simplified 2023: 3 months -> 2023-04-10, + 5 deducted days -> 2023-04-15
    dict(case_id="s23", procedure="simplified", filed_date="2023-01-10", closed_date=None,
         suspended_days=5, team="T1", judge="J1"),
    # ordinary: 2022-08-31 + 6 months = 2023-02-28 (clipped): overdue by 41 days on 2023-04-10
    dict(case_id="o22", procedure="ordinary", filed_date="2022-08-31", closed_date=None, team="T1", judge="J1"),
    # small claims 2023: 2 months -> 2023-04-01, + 30 days extended -> 2023-05-01: 21 days left
    dict(case_id="sc23", procedure="small_claims", filed_date="2023-02-01", closed_date=None,
         extension_days=30, team="T2", judge="J2"),
    # simplified filed 2021: old rule, no extension; 3 months -> 2022-03-20: overdue, cannot extend
    dict(case_id="s21", procedure="simplified", filed_date="2021-12-20", closed_date=None, team="T2", judge="J2"),
    # ordinary due in 12 days: 2022-10-22 + 6 months = 2023-04-22
    dict(case_id="o12", procedure="ordinary", filed_date="2022-10-22", closed_date=None, team="T2", judge="J2"),
    # enforcement: no limit in the table
    dict(case_id="e1", procedure=None, case_type="enforcement", filed_date="2023-01-01", closed_date=None,
         team="T3", judge="J3"),
    # closed before the day: not pending
    dict(case_id="c1", procedure="ordinary", filed_date="2023-01-01", closed_date="2023-03-01", team="T1", judge="J1"),
    # closed after the day: pending on it (2023-01-05 + 3 months = 2023-04-05: overdue 5)
    dict(case_id="c2", procedure="simplified", filed_date="2023-01-05", closed_date="2023-05-01", team="T1", judge="J1"),
])
DAY = T("2023-04-10")


def test_deadlines_and_status_by_hand():
    s = deadline_status(WATCH, DAY).set_index("case_id")
    assert set(s.index) == {"s23", "o22", "sc23", "s21", "o12", "e1", "c2"}
    expected = {"s23": ("2023-04-15", 5, "due_7"), "o22": ("2023-02-28", -41, "overdue"),
                "sc23": ("2023-05-01", 21, "due_30"), "s21": ("2022-03-20", -386, "overdue"),
                "o12": ("2023-04-22", 12, "due_15"), "c2": ("2023-04-05", -5, "overdue")}
    for case, (deadline, days, status) in expected.items():
        assert s.at[case, "deadline"] == T(deadline), case
        assert s.at[case, "days_left"] == days, case
        assert s.at[case, "status"] == status, case
    assert pd.isna(s.at["e1", "deadline"]) and s.at["e1", "status"] == "no_limit"
    # Extension room: a 2023 simplified case may get one month; the small-claims case used
    # its month (2023-04-01 -> 05-01 is 30 days); a 2021 simplified case none; an overdue
    # case no longer.
    assert s.at["s23", "can_extend"] and s.at["o12", "can_extend"]
    assert not s.at["sc23", "can_extend"]
    assert not s.at["s21", "can_extend"] and not s.at["o22", "can_extend"]


def test_watch_counts_are_cumulative():
    w = deadline_watch(WATCH, DAY, by=["team"])
    t = w.summary.set_index("team")
    assert t.loc["T1"].to_dict() == {"pending": 3, "with_limit": 3, "overdue": 2, "within_7": 1,
                                     "within_15": 1, "within_30": 1, "no_limit": 0}
    assert t.loc["T2"].to_dict() == {"pending": 3, "with_limit": 3, "overdue": 1, "within_7": 0,
                                     "within_15": 1, "within_30": 2, "no_limit": 0}
    assert t.loc["T3", "no_limit"] == 1
    # The list: overdue and due within 30 days, most overdue first.
    assert list(w.cases["case_id"]) == ["s21", "o22", "c2", "s23", "o12", "sc23"]


def test_as_known_at_rewinds_closings_extensions_and_deductions():
    cases = frame([
        dict(case_id="x", procedure="simplified", filed_date="2023-01-10", closed_date="2023-05-20",
             extension_days=31, suspended_days=40, disposition="judgment"),
        dict(case_id="y", procedure="simplified", filed_date="2023-01-10", closed_date="2023-03-01",
             extension_days=0, suspended_days=10, disposition="mediation"),
        dict(case_id="z", procedure="ordinary", filed_date="2023-04-01", closed_date=None),
    ])
    # On 2023-03-15 x is pending, its base deadline (2023-04-10 + 15 deducted days so far) is
    # ahead, so its extension is not yet on record; its deduction counts 64 days at most.
    early = as_known_at(cases, "2023-03-15").set_index("case_id")
    assert set(early.index) == {"x", "y"}
    assert pd.isna(early.at["x", "closed_date"]) and pd.isna(early.at["x", "disposition"])
    assert early.at["x", "extension_days"] == 0 and early.at["x", "suspended_days"] == 40
    assert early.at["y", "disposition"] == "mediation" and early.at["y", "suspended_days"] == 10
    # On 2023-05-25 (after the base deadline 2023-05-20) the extension is known.
    late = as_known_at(cases, "2023-05-01").set_index("case_id")
    assert late.at["x", "extension_days"] == 0       # base deadline 2023-04-10 + 40 = 05-20
    later = as_known_at(cases, "2023-05-20").set_index("case_id")
    assert later.at["x", "extension_days"] == 31


BULLETIN = frame([
    # filed in the week of 2023-W47 (Mon 2023-11-20 .. Sun 11-26)
    dict(case_id="n1", procedure="ordinary", filed_date="2023-11-20", closed_date=None),
    dict(case_id="n2", procedure="simplified", filed_date="2023-11-26", closed_date="2023-11-26"),
    # filed the week before, closed in the week
    dict(case_id="p1", procedure="simplified", filed_date="2023-11-14", closed_date="2023-11-21"),
    # over 12 months at the previous end (filed 2022-11-10), closed in the week: left
    dict(case_id="l1", procedure="ordinary", filed_date="2022-11-10", closed_date="2023-11-22"),
    # crosses 12 months during the week (2022-11-22 + 12 months = 2023-11-22 < 11-26): entered
    dict(case_id="e1", procedure="ordinary", filed_date="2022-11-22", closed_date=None),
    # over 18 months throughout (filed 2022-01-03)
    dict(case_id="o1", procedure="ordinary", filed_date="2022-01-03", closed_date=None),
    # closed after the week: pending at its end
    dict(case_id="f1", procedure="ordinary", filed_date="2023-10-01", closed_date="2023-12-05"),
])


def test_week_bulletin_by_hand():
    b = bulletin(BULLETIN, "2023-W47", as_of="2024-01-31", by="court")
    row = b.table.set_index("court").loc["A"]
    assert b.previous.label == "2023-W46" and b.as_of == T("2023-11-26")
    assert row["filed"] == 2 and row["closed"] == 3            # n1, n2; n2, p1, l1
    assert row["pending"] == 4                                  # n1, e1, o1, f1
    assert row["pending_previous"] == 5                         # p1, l1, e1, o1, f1
    assert row["pending_change"] == -1
    assert (row["over_12m"], row["over_12m_previous"], row["over_12m_entered"], row["over_12m_left"]) == (2, 2, 1, 1)
    assert (row["over_18m"], row["over_18m_previous"], row["over_18m_entered"], row["over_18m_left"]) == (1, 1, 0, 0)
    # Deadlines at the end of the week: o1 and e1 overdue; f1 (2023-10-01 + 6 months) later.
    assert row["overdue"] == 2
    assert b.totals["filed"] == 2
    assert "2023-W47" in b.headline("zh") and "2 filed" in b.headline("en")


def test_day_bulletin_and_engine_agree():
    from courtstudy.indicators import IndicatorEngine

    b = bulletin(BULLETIN, "2023-11-22", as_of="2024-01-31", by=[])
    assert b.previous.label == "2023-11-21"
    assert int(b.totals["closed"]) == 1 and int(b.totals["filed"]) == 0
    engine = IndicatorEngine(BULLETIN, as_of="2023-11-22")
    long = engine.compute(by=[], period="2023-11-22", indicators=["pending", "pending_over_12m", "pending_over_18m"])
    values = long.set_index("indicator")["value"]
    assert b.totals["pending"] == values["pending"]
    assert b.totals["over_12m"] == values["pending_over_12m"]
    assert b.totals["over_18m"] == values["pending_over_18m"]


@pytest.mark.parametrize("period", ["2023-W47", "2023-11-22"])
def test_bulletin_on_a_small_court_matches_the_engine(period):
    from courtstudy.indicators import IndicatorEngine
    from courtstudy.simulate import simulate_court

    sim = simulate_court(seed=3, scale=0.05, n_courts=3)
    b = bulletin(sim.cases, period, as_of=sim.as_of, by="court")
    engine = IndicatorEngine(sim.cases, as_of=b.as_of)
    long = engine.compute(by="court", period=period, indicators=["filed", "closed", "pending", "pending_over_18m"])
    wide = long.pivot(index="court", columns="indicator", values="value")
    t = b.table.set_index("court")
    for ours, theirs in (("filed", "filed"), ("closed", "closed"), ("pending", "pending"), ("over_18m", "pending_over_18m")):
        pd.testing.assert_series_equal(t[ours].astype(float), wide[theirs].reindex(t.index).astype(float),
                                       check_names=False)
    assert (t["over_12m"] == t["over_12m_previous"] + t["over_12m_entered"] - t["over_12m_left"]).all()
