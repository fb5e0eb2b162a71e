"""write_export -> load_cases returns the canonical cases, and finds exactly the planted problems."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from courtstudy.core import schema
from courtstudy.ingest.loading import load_cases
from courtstudy.simulate.export import FIELD_PLANTS, QUARANTINE_PLANTS, write_export

COURTS = [("示范市第一人民法院", "蒙0291"), ("示范市第二人民法院", "蒙0292"), ("示范市中级人民法院", "蒙02")]
KINDS = [("民初", "civil", "first"), ("民终", "civil", "second"), ("执恢", "enforcement", None),
         ("刑初", "criminal", "first"), ("民再", "civil", "retrial")]
JUDGES = ["王䶮", "李𠀀", "张三", "赵丽"]   # the first two cannot be written in GBK


def make_cases(n: int = 300, seed: int = 1, judges: list[str] = JUDGES) -> pd.DataFrame:
    """Small canonical cases built by hand (independent of the simulator): consistent case
    numbers, pending cases, appeals after closing, amounts in whole yuan and in fen."""
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(COURTS), n)
    kind = rng.choice(len(KINDS), n, p=[0.6, 0.15, 0.1, 0.1, 0.05])
    filed = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    seq = np.arange(1, n + 1)
    pending = rng.random(n) < 0.2
    closed = pd.Series(filed + pd.to_timedelta(rng.integers(0, 400, n), unit="D")).mask(pending)
    appealed = pd.array(np.where(pending, None, rng.random(n) < 0.2), dtype="boolean")
    appeal_filed = (closed + pd.to_timedelta(rng.integers(1, 15, n), unit="D")).where(appealed.fillna(False))
    appeal_closed = (appeal_filed + pd.to_timedelta(rng.integers(20, 90, n), unit="D")).where(rng.random(n) < 0.7)
    amount = pd.Series(np.round(rng.lognormal(10, 1.2, n), 2)).mask(rng.random(n) < 0.1)
    amount = amount.where(rng.random(n) < 0.5, (amount / 100).round() * 100)

    def vocab(name: str) -> pd.Series:
        return pd.Series(rng.choice(list(schema.VOCABULARIES[name]), n), dtype="string")

    frame = pd.DataFrame({
        "case_id": [f"（{f.year}）{COURTS[w][1]}{KINDS[k][0]}{s}号" for f, w, k, s in zip(filed, which, kind, seq, strict=True)],
        "court": [COURTS[w][0] for w in which],
        "case_type": [KINDS[k][1] for k in kind], "instance": [KINDS[k][2] for k in kind],
        "cause": rng.choice(["民间借贷纠纷", "买卖合同纠纷", "离婚纠纷"], n),
        "procedure": vocab("procedure"), "track": vocab("track").mask(rng.random(n) < 0.3),
        "team": rng.choice(["速裁一组", "民一庭"], n), "team_type": vocab("team_type"),
        "judge": rng.choice(judges, n), "filed_date": filed, "closed_date": closed,
        "disposition": vocab("disposition").mask(pending), "claim_amount": amount,
        "n_parties": pd.array(rng.integers(2, 6, n), dtype="Int64"),
        "extension_days": pd.array(rng.integers(0, 3, n) * 30, dtype="Int64"),
        # deducted days never exceed the case's own length (the loader reports those)
        "suspended_days": pd.array(np.minimum(np.where(rng.random(n) < 0.9, 0, rng.integers(1, 60, n)),
                                              (closed - filed).dt.days.fillna(60).to_numpy()).astype(int),
                                   dtype="Int64"),
        "appealed": appealed, "appeal_filed_date": appeal_filed,
        "appeal_result": vocab("appeal_result").where(appeal_closed.notna().to_numpy()),
        "appeal_closed_date": appeal_closed,
        "retrial_petition": pd.array(np.where(pending, None, rng.random(n) < 0.03), dtype="boolean"),
        "case_year": pd.array(filed.year, dtype="Int64"), "court_code": [COURTS[w][1] for w in which],
        "type_code": [KINDS[k][0] for k in kind], "case_seq": pd.array(seq, dtype="Int64"),
    })
    return schema.conform_cases(frame)


def found_problems(loaded) -> pd.DataFrame:
    both = pd.concat([loaded.quarantine, loaded.field_issues])[["row", "case_id", "column", "reason"]]
    return both.astype({"row": "int64", "case_id": "string", "column": "string", "reason": "string"}) \
        .sort_values(["row", "reason"]).reset_index(drop=True)


def assert_round_trip(cases: pd.DataFrame, planted: pd.DataFrame, loaded) -> None:
    """Planted problems found exactly; every other row equals its canonical case, column by column."""
    acc = loaded.accounting()
    assert acc["balanced"] and acc["accepted"] + acc["quarantined"] == acc["rows_read"]
    added = planted["reason"].isin(["duplicate_row", "conflicting_duplicate"]).sum()
    assert acc["rows_read"] == len(cases) + added
    pd.testing.assert_frame_equal(found_problems(loaded), planted[["row", "case_id", "column", "reason"]])
    clean = ~np.isin(loaded.source_rows, planted["row"].to_numpy())
    got = loaded.cases.loc[clean].set_index("case_id").sort_index()
    damaged = (~planted["reason"].isin(["duplicate_row", "conflicting_duplicate"])).sum()
    assert len(got) == len(cases) - damaged
    expected = cases.set_index("case_id").loc[got.index]
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("fmt, encoding, headers", [
    ("csv", "gb18030", "zh"), ("csv", "utf-8-sig", "en"), ("csv", "utf-8", "canonical"),
    ("xlsx", "gb18030", "zh"), ("parquet", "gb18030", "zh"),
])
def test_round_trip_with_planted_problems(tmp_path, fmt, encoding, headers):
    cases = make_cases(300)
    path = tmp_path / f"export.{fmt}"
    planted = write_export(cases, path, fmt=fmt, encoding=encoding, headers=headers, bad_row_share=0.08, seed=3)
    assert set(planted["reason"]) == set(QUARANTINE_PLANTS) | set(FIELD_PLANTS)
    assert_round_trip(cases, planted, load_cases(path))


def test_gbk_export_round_trip_and_rare_characters(tmp_path):
    cases = make_cases(200, judges=["张三", "赵丽"])
    planted = write_export(cases, tmp_path / "gbk.csv", encoding="gbk", bad_row_share=0.1, seed=9)
    loaded = load_cases(tmp_path / "gbk.csv")
    assert loaded.encoding == "gb18030"       # GBK bytes are decoded by the GB18030 superset
    assert_round_trip(cases, planted, loaded)
    with pytest.raises(ValueError, match="gb18030"):
        write_export(make_cases(50), tmp_path / "rare.csv", encoding="gbk")


def test_clean_export_loads_unchanged(tmp_path):
    cases = make_cases(150, seed=4)
    planted = write_export(cases, tmp_path / "clean.csv", seed=4)
    assert planted.empty
    loaded = load_cases(tmp_path / "clean.csv")
    assert loaded.quarantine.empty and loaded.field_issues.empty
    pd.testing.assert_frame_equal(loaded.cases, cases)


def test_export_looks_real(tmp_path):
    cases = make_cases(400, seed=2)
    write_export(cases, tmp_path / "e.csv", seed=2)
    raw = pd.read_csv(tmp_path / "e.csv", encoding="gb18030", dtype=str, keep_default_na=False)
    text = "\n".join(raw.astype(str).agg(" ".join, axis=1))
    for needle in ("年", "/", "万", "(", "（", "按撤诉处理"):
        assert needle in text, needle
    headers = set(raw.columns)
    assert headers <= {h for f in schema.CASE_FIELDS for h in f.headers}
    filed = next(c for c in raw.columns if c in ("立案日期", "收案日期"))
    assert raw[filed].str.fullmatch(r"\d{5}").any()        # Excel serial numbers in some rows
    assert raw[filed].str.fullmatch(r"\d{8}").any()


def test_deterministic_for_a_seed(tmp_path):
    cases = make_cases(200)
    a = write_export(cases, tmp_path / "a.csv", bad_row_share=0.05, seed=11)
    b = write_export(cases, tmp_path / "b.csv", bad_row_share=0.05, seed=11)
    c = write_export(cases, tmp_path / "c.csv", bad_row_share=0.05, seed=12)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    pd.testing.assert_frame_equal(a, b)
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()
    assert not a.equals(c)


def test_simulated_court_round_trip(tmp_path):
    from courtstudy.simulate import simulate_court

    sim = simulate_court(scale=0.02)
    path = tmp_path / "sim.csv"
    planted = write_export(sim.cases, path, encoding="gb18030", bad_row_share=0.02, seed=20240101)
    loaded = load_cases(path, courts=sim.courts)
    # The simulator itself closes a few cases (early mediation) before their deducted days are
    # over; the loader must report exactly those, besides the planted problems.
    cases = schema.conform_cases(sim.cases)
    length = (cases["closed_date"] - cases["filed_date"]).dt.days
    inconsistent = set(cases.loc[(cases["suspended_days"] > length).fillna(False), "case_id"])
    own = loaded.field_issues["reason"] == "suspended_exceeds_duration"
    assert set(loaded.field_issues.loc[own, "case_id"]) <= inconsistent
    not_planted = ~loaded.field_issues["row"].isin(planted["row"])
    assert set(loaded.field_issues.loc[own & not_planted, "case_id"]) == inconsistent - set(planted["case_id"])
    loaded.field_issues = loaded.field_issues.loc[~own].reset_index(drop=True)
    fixed = loaded.cases["case_id"].isin(inconsistent)
    loaded.cases.loc[fixed, "suspended_days"] = cases.set_index("case_id").loc[
        loaded.cases.loc[fixed, "case_id"], "suspended_days"].to_numpy()
    assert_round_trip(cases, planted, loaded)
    pd.testing.assert_frame_equal(loaded.courts, sim.courts.reset_index(drop=True))
    assert not (loaded.field_issues["reason"] == "unknown_court").any()


@pytest.mark.parametrize("style", ["iso", "zh", "serial", "compact"])
def test_single_date_style(tmp_path, style):
    cases = make_cases(60, seed=6)
    write_export(cases, tmp_path / "s.csv", date_styles=style, seed=6)
    raw = pd.read_csv(tmp_path / "s.csv", encoding="gb18030", dtype=str, keep_default_na=False)
    filed = raw[next(c for c in raw.columns if c in ("立案日期", "收案日期"))]
    pattern = {"iso": r"\d{4}-\d{2}-\d{2}", "zh": r"\d{4}年\d{1,2}月\d{1,2}日", "serial": r"\d{5}",
               "compact": r"\d{8}"}[style]
    assert filed.str.fullmatch(pattern).all()
    pd.testing.assert_frame_equal(load_cases(tmp_path / "s.csv").cases, cases)


@pytest.mark.parametrize("kwargs", [{"fmt": "xls"}, {"headers": "fr"}, {"date_styles": "roman"},
                                    {"bad_row_share": 1.5}])
def test_bad_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        write_export(make_cases(10), tmp_path / "x.csv", **kwargs)


def test_canonical_frame_loads_unchanged():
    # A canonical frame (typed columns, English field names, derived columns) is itself a valid input.
    cases = make_cases(120, seed=8)
    loaded = load_cases(cases)
    assert loaded.unmapped_columns == [] and loaded.quarantine.empty and loaded.field_issues.empty
    pd.testing.assert_frame_equal(loaded.cases, cases)
