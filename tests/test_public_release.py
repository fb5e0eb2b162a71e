"""Public editions cannot be worked back to the cells they suppress (issue 9).

The attacker here is written independently of courtstudy.report.publish: it reads only the
published table and what a reader of the edition knows besides it (the totals of each court,
each year and the whole table, which the edition's other tables print), and for every
suppressed cell asks a linear program for the smallest and the largest value consistent with
all of it. A cell whose range is a single value is recovered.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from courtstudy.report.publish import (
    COMPLEMENT,
    DisclosureLedger,
    mask_counts_in_text,
    prepare_table,
    protect_table,
    protect_value,
)

T = 10
MARK = f"<{T}"


def attack(published: pd.DataFrame, truth: pd.DataFrame, keys: list[str], counts: list[str],
           total_column: tuple[str, list[str]] | None = None) -> list[tuple[int, str, int]]:
    """(row, column, value) of every suppressed count cell a reader can work out exactly.

    Known to the reader: every published cell; the sum of each count column over every
    grouping of the key columns (all rows, each key alone, each pair of keys); the markers'
    meaning ("<10": 0..9; "x": any number >= 0); ``total_column`` = parts when a column is the
    sum of others."""
    hidden = [(r, c) for r in range(len(published)) for c in counts
              if isinstance(published[c].iloc[r], str)]
    if not hidden:
        return []
    index = {cell: k for k, cell in enumerate(hidden)}
    equations, rhs = [], []

    def equation(cells: list[tuple[int, str]], signs: list[int], total: float) -> None:
        row = np.zeros(len(hidden))
        known = 0.0
        for cell, sign in zip(cells, signs, strict=True):
            if cell in index:
                row[index[cell]] += sign
            else:
                known += sign * float(published[cell[1]].iloc[cell[0]])
        if row.any():
            equations.append(row)
            rhs.append(total - known)

    groupings = [list(g) for k in range(len(keys)) for g in itertools.combinations(keys, k)]
    for grouping in groupings:
        groups = truth.groupby(grouping if len(grouping) > 1 else grouping[0]).groups.values() \
            if grouping else [truth.index]
        for rows in groups:
            rows = list(rows)
            for c in counts:
                total = float(truth[c].iloc[rows].sum())
                if len(rows) >= 2 and not 1 <= total < T:  # a small total is suppressed wherever printed
                    equation([(r, c) for r in rows], [1] * len(rows), total)
    if total_column is not None:
        whole, parts = total_column
        for r in range(len(published)):
            equation([(r, c) for c in parts] + [(r, whole)], [1] * len(parts) + [-1], 0.0)
    bounds = [(0, T - 1) if published[c].iloc[r] == MARK else (0, None) for r, c in hidden]
    a, b = np.array(equations), np.array(rhs)
    found = []
    for k, (r, c) in enumerate(hidden):
        value = int(truth[c].iloc[r])
        if value == 0:
            continue  # "no case" identifies nobody
        objective = np.zeros(len(hidden))
        objective[k] = 1
        low = linprog(objective, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        assert low.status == 0 and high.status == 0, "the truth must be feasible"
        if abs(low.fun + high.fun) < 1e-6:
            found.append((r, c, value))
    return found


def grid(seed: int, courts: int = 6, years: int = 4, small_share: float = 0.2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for court, year in itertools.product(range(courts), range(2020, 2020 + years)):
        filed = int(rng.integers(1, 10)) if rng.random() < small_share else int(rng.integers(10, 200))
        closed = int(rng.integers(0, filed + 1))
        rows.append({"court": f"法院{court}", "year": year, "filed": filed, "closed": closed})
    return pd.DataFrame(rows)


def test_a_lone_small_cell_is_not_given_away_by_the_totals():
    # Without secondary suppression, 甲 = total (60) - 乙 (30) - 丙 (25) = 5.
    truth = pd.DataFrame({"court": ["甲", "乙", "丙"], "filed": [5, 30, 25]})
    published, release = prepare_table("t", truth, audience="public")
    assert published["filed"].tolist()[0] == MARK
    assert (published["filed"] == COMPLEMENT).sum() == 1        # one complement, the smallest >= 10
    assert published["filed"].tolist()[2] == COMPLEMENT
    assert attack(published, truth, ["court"], ["filed"]) == []
    assert release.cells_primary == 1 and release.cells_complementary == 1


@pytest.mark.parametrize("seed", range(8))
def test_no_suppressed_cell_of_a_court_by_year_table_is_recoverable(seed):
    truth = grid(seed)
    published, release = prepare_table("t", truth, audience="public", basis="filed")
    assert not release.withheld
    hidden = published[["filed", "closed"]].map(lambda v: isinstance(v, str)).to_numpy()
    assert hidden.any()
    assert attack(published, truth, ["court", "year"], ["filed", "closed"]) == []
    # and nothing shown differs from the truth
    shown = ~hidden
    assert (published[["filed", "closed"]].to_numpy()[shown].astype(float)
            == truth[["filed", "closed"]].to_numpy()[shown]).all()


def test_a_total_column_and_a_total_row_are_protected_too():
    truth = pd.DataFrame({"court": ["甲", "乙", "丙", "全部"],
                          "under_3m": [20, 3, 40, 63], "over_3m": [12, 30, 5, 47]})
    truth["pending"] = truth["under_3m"] + truth["over_3m"]
    published, _ = prepare_table("t", truth, audience="public", basis="pending")
    body = truth.iloc[:3]
    assert attack(published.iloc[:3].reset_index(drop=True), body, ["court"],
                  ["under_3m", "over_3m", "pending"], ("pending", ["under_3m", "over_3m"])) == []
    # the total row equals the sum of the others: with it the per-court margins are printed
    totals = published.iloc[3]
    for column in ("under_3m", "over_3m", "pending"):
        hidden_rows = [r for r in range(3) if isinstance(published[column].iloc[r], str)]
        assert len(hidden_rows) != 1 or isinstance(totals[column], str), column


def test_rates_of_a_row_with_a_hidden_count_are_hidden():
    truth = pd.DataFrame({"court": ["甲", "乙", "丙"], "caseload": [500, 300, 200],
                          "closed": [5, 200, 150], "disposition_rate": [0.01, 0.667, 0.75]})
    published, _ = prepare_table("t", truth, audience="public", basis="caseload")
    # closed 5 could be read back from 0.01 x 500: the rate goes with it
    assert published["closed"].iloc[0] == MARK and published["disposition_rate"].iloc[0] == COMPLEMENT


def test_the_edition_ledger_keeps_a_cell_hidden_in_every_table():
    ledger = DisclosureLedger()
    first = pd.DataFrame({"court": ["甲", "乙", "丙"], "closed": [4, 30, 50]})
    out1, _ = prepare_table("first", first, audience="public", ledger=ledger)
    complement = out1["court"][out1["closed"] == COMPLEMENT].tolist()
    assert complement == ["乙"]
    # a later table shows 乙's closed count beside something else: it stays hidden there
    second = pd.DataFrame({"court": ["甲", "乙", "丙"], "closed": [4, 30, 50], "filed": [40, 60, 70]})
    out2, _ = prepare_table("second", second, audience="public", ledger=ledger)
    assert out2.set_index("court").loc["乙", "closed"] == COMPLEMENT
    # a cell already published is never chosen as a complement later
    ledger2 = DisclosureLedger(published={c for c in ledger.published})
    third = pd.DataFrame({"court": ["甲", "乙", "丙", "丁"], "closed": [4, 30, 50, 45]})
    out3, _ = prepare_table("third", third, audience="public", ledger=ledger2)
    assert out3.set_index("court").loc["丙", "closed"] == 50


def test_the_ledger_is_shared_through_its_file(tmp_path, monkeypatch):
    path = tmp_path / "ledger.json"
    monkeypatch.setenv("COURTSTUDY_DISCLOSURE_LEDGER", str(path))
    ledger = DisclosureLedger.from_environment()
    prepare_table("a", pd.DataFrame({"court": ["甲", "乙", "丙"], "closed": [4, 30, 50]}),
                  audience="public", ledger=ledger)
    again = DisclosureLedger.from_environment()
    assert again.hidden == ledger.hidden and again.published == ledger.published and again.hidden


def test_a_table_that_cannot_be_protected_is_withheld_but_can_still_be_drawn_empty():
    # 甲's 3 cases are the only ones besides 乙's, and 乙's cell was published elsewhere.
    ledger = DisclosureLedger()
    prepare_table("before", pd.DataFrame({"court": ["乙"], "filed": [40]}), audience="public", ledger=ledger)
    protected = protect_table("t", pd.DataFrame({"court": ["甲", "乙"], "filed": [3, 40]}),
                              audience="public", ledger=ledger)
    assert protected.published is None and protected.release.withheld
    assert protected.numeric["filed"].isna().all()


def test_numbers_outside_tables_follow_the_same_rule():
    assert protect_value(3) == MARK and protect_value(0) == 0 and protect_value(12) == 12
    assert protect_value({"pending": 4, "years": [2023, 5]}) == {"pending": MARK, "years": [2023, MARK]}
    assert protect_value(True) is True and protect_value(2.5) == 2.5
    assert mask_counts_in_text("未结超过 12 个月的案件共 1 件，3 个月内结案 7件") == \
        "未结超过 12 个月的案件共 <10 件，3 个月内结案 <10件"
    assert mask_counts_in_text("1 cases have been pending; 1,234 cases closed; see line 5") == \
        "<10 cases have been pending; 1,234 cases closed; see line 5"
    assert mask_counts_in_text("第 5 行 2 rows") == "第 5 行 <10 rows"
