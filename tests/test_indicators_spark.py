"""The indicator engine on a local Spark session (Ibis's PySpark backend) and on partitioned
Parquet datasets: the same numbers as the embedded DuckDB, with no formula rewritten.

Marker ``spark``. The reduced set (hand-computed fixtures, random courts with missing groups,
Parquet datasets on both backends) runs on every test run, on one shared session; the full
set (the demo court, month by month) runs when ``COURTSTUDY_SPARK_FULL=1`` (README, "Spark").
Skipped with a reason when pyspark or Java is missing."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest
from test_indicators import (  # the hand-computed fixtures, shared with the DuckDB tests
    AS_OF,
    COURTS,
    EXPECTED_Q1_JIA,
    _random_cases,
    _values,
    fixture_cases,
)

from courtstudy.indicators import IndicatorEngine

pytestmark = pytest.mark.spark
full = pytest.mark.skipif(os.environ.get("COURTSTUDY_SPARK_FULL") != "1",
                          reason="full Spark set: set COURTSTUDY_SPARK_FULL=1")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=False, rtol=1e-12)


def write_dataset(cases: pd.DataFrame, folder, by: str = "court") -> str:
    """Cases as a hive-partitioned Parquet dataset (``by=value/part-0.parquet``), the layout
    ``courtstudy validate FOLDER`` writes; the partition column stays in the files too."""
    for value, part in cases.groupby(by, dropna=False):
        sub = folder / f"{by}={value}"
        sub.mkdir(parents=True, exist_ok=True)
        part.to_parquet(sub / "part-0.parquet", index=False)
    return str(folder)


@pytest.fixture(scope="module")
def duck_quarter() -> pd.DataFrame:
    return IndicatorEngine(fixture_cases(), courts=COURTS, as_of=AS_OF).compute(
        by="court", period="2024Q1")


def test_fixtures_by_hand_on_spark(spark, duck_quarter):
    engine = IndicatorEngine(fixture_cases(), courts=COURTS, as_of=AS_OF, connection=spark)
    assert engine.con.name == "pyspark"
    long = engine.compute(by="court", period="2024Q1")
    got = _values(long, court="甲")
    for name, want in EXPECTED_Q1_JIA.items():
        assert got[name] == pytest.approx(want, rel=1e-12), name
    _same(duck_quarter, long)


@full
def test_fixtures_by_month_and_judge_on_spark(spark):
    engine = IndicatorEngine(fixture_cases(), courts=COURTS, as_of=AS_OF, connection=spark)
    kwargs = dict(by=["court", "judge"], period="month", start="2023-10-01", end="2024-03-31")
    _same(IndicatorEngine(fixture_cases(), courts=COURTS, as_of=AS_OF).compute(**kwargs),
          engine.compute(**kwargs))


@full
def test_random_courts_identical_on_spark(spark):
    cases = _random_cases(2000, seed=7)
    kwargs = dict(by=["court", "team"], period="quarter", start="2021-01-01", end="2023-12-31")
    duck = IndicatorEngine(cases, as_of="2023-12-31").compute(**kwargs)
    engine = IndicatorEngine(cases, as_of="2023-12-31", connection=spark)
    _same(duck, engine.compute(**kwargs))
    assert duck["team"].isna().any()  # missing team is a group of its own on both
    custom = dict(by="court", period=["2021-02-01~2021-05-15", "2022-01-01~2022-12-31"])
    _same(IndicatorEngine(cases, as_of="2023-12-31").compute(**custom), engine.compute(**custom))


def test_partitioned_parquet_on_duckdb(tmp_path, duck_quarter):
    """DuckDB reads the dataset in place (Spark reads it in the CLI test below)."""
    cases = fixture_cases()
    cases["court"] = cases["court"].map({"甲": "甲", "乙": "0202"}).astype("string")
    path = write_dataset(cases, tmp_path / "cases")
    courts = COURTS.assign(court=COURTS["court"].replace("乙", "0202"))
    duck = IndicatorEngine(path, courts=courts, as_of=AS_OF)
    assert duck.filed_after_as_of == 1  # c15, counted by the backend's profiling pass
    want = duck_quarter.assign(court=duck_quarter["court"].replace("乙", "0202"))
    # a partition named like a number stays text
    _same(want.sort_values("court", kind="stable"), duck.compute(by="court", period="2024Q1"))


@full
def test_spark_dataframe_and_default_as_of(spark, tmp_path, duck_quarter):
    path = write_dataset(fixture_cases(), tmp_path / "cases")
    # a Spark DataFrame (a table of the cluster) gives the same numbers
    frame = spark.read.parquet(path)
    _same(duck_quarter, IndicatorEngine(frame, courts=COURTS, as_of=AS_OF, connection=spark)
          .compute(by="court", period="2024Q1"))
    # the default as-of date is derived by the backend, as from a frame
    random = _random_cases(1500, seed=3)
    path = write_dataset(random, tmp_path / "random")
    kwargs = dict(by=["court", "procedure"], period="quarter", start="2021-01-01")
    want = IndicatorEngine(random).compute(**kwargs)
    for engine in (IndicatorEngine(path), IndicatorEngine(path, connection=spark)):
        assert engine.as_of == IndicatorEngine(random).as_of
        _same(want, engine.compute(**kwargs))
    shutil.rmtree(tmp_path)


def test_bad_rows_named_by_the_backend(spark, tmp_path):
    cases = fixture_cases()
    cases.loc[0, "closed_date"] = pd.Timestamp("2020-01-01")
    path = write_dataset(cases, tmp_path / "bad")
    with pytest.raises(ValueError, match="c01"):
        IndicatorEngine(path, as_of=AS_OF, connection=spark)


@full
def test_demo_court_identical_on_spark(spark):
    from courtstudy.ingest.loading import load_cases
    from courtstudy.simulate.demo import ensure_demo

    files = ensure_demo()
    loaded = load_cases(files.cases, courts=files.courts)
    for kwargs in (dict(by=["court", "team_type"], period="month"),
                   dict(by=["court", "judge"], period="quarter"),
                   dict(by=[], period="year")):
        duck = IndicatorEngine(loaded.cases, courts=loaded.courts).compute(**kwargs)
        spark_ = IndicatorEngine(loaded.cases, courts=loaded.courts, connection=spark)
        _same(duck, spark_.compute(**kwargs))


def _cli(argv: list[str]) -> int:
    import argparse

    from courtstudy.commands.indicators import register

    parser = argparse.ArgumentParser(prog="courtstudy")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


def test_cli_dataset_folder_duckdb_and_spark(spark, tmp_path):
    """``courtstudy indicators FOLDER [--engine spark]`` reads the dataset in place and writes
    the same table as from the export file."""
    cases = fixture_cases()
    cases["court"] = cases["court"].map({"甲": "甲", "乙": "0202"}).astype("string")
    cases.to_parquet(tmp_path / "cases.parquet")
    folder = write_dataset(cases, tmp_path / "dataset")
    common = ["--period", "quarter", "--as-of", AS_OF, "--from", "2023-07-01", "--to", AS_OF,
              "--lang", "en"]
    outs = {}
    for name, argv in (("file", [str(tmp_path / "cases.parquet")]), ("duckdb", [folder]),
                       ("spark", [folder, "--engine", "spark"])):
        outs[name] = tmp_path / f"{name}.csv"
        assert _cli(["indicators", *argv, *common, "--out", str(outs[name])]) == 0
    want = pd.read_csv(outs["file"])
    for name in ("duckdb", "spark"):
        _same(want, pd.read_csv(outs[name]))


def test_subset_without_survival_gives_the_same_figures(duck_quarter):
    """Without a survival figure the survival table (the result that grows with the data on a
    cluster) is not computed; the other figures are unchanged."""
    names = ["closed", "mean_days", "within_limit_rate", "pending_over_12m"]
    engine = IndicatorEngine(fixture_cases(), courts=COURTS, as_of=AS_OF)
    got = engine.compute(by="court", period="2024Q1", indicators=names)
    want = duck_quarter[duck_quarter["indicator"].isin(names)]
    _same(want, got)
