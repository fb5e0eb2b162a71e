"""The one indicator catalogue: the first diversion's indicators (诉前调解, 案-件比) asked for by
name from the engine and the CLI give exactly the values of diversion_indicators (whose values
are checked by hand in test_diversion_indicators.py), with clear errors for what is missing;
`courtstudy diversion demo` shows the numbers notebook 02 shows."""

from __future__ import annotations

import pandas as pd
import pytest
from test_diversion_indicators import AS_OF, _cases, _links, _mediation

from courtstudy.indicators import IndicatorEngine, compare, registry, wide
from courtstudy.indicators.definitions import INDICATOR_NAMES
from courtstudy.indicators.diversion import DIVERSION_INDICATORS, diversion_indicators

DIVERSION = [i.name for i in DIVERSION_INDICATORS]


@pytest.fixture(scope="module")
def engine():
    return IndicatorEngine(_cases(), as_of=AS_OF, mediation=_mediation(), links=_links())


def _direct(by, period, **options) -> pd.DataFrame:
    """diversion_indicators' own table, in the engine's dtypes, sorted as the engine sorts."""
    long = diversion_indicators(_mediation(), _cases(), _links(), by=by, period=period, as_of=AS_OF,
                                **options)
    return _normalised(long, by)


def _normalised(long: pd.DataFrame, by) -> pd.DataFrame:
    by = [by] if isinstance(by, str) else list(by)
    out = long.copy()
    for c in [*by, "period", "indicator"]:
        out[c] = out[c].astype("string")
    for c in ("period_start", "period_end"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[s]")
    order = {n: i for i, n in enumerate(registry.NAMES)}
    return (out.assign(_o=out["indicator"].map(order))
            .sort_values([*by, "period_start", "_o"], kind="stable", na_position="last")
            .drop(columns="_o").reset_index(drop=True))


@pytest.mark.parametrize(("by", "period", "options"), [
    ("court", "2023Q1", {}),
    ("court", ["2022Q1", "2023Q1"], {}),
    ("cause", "2023", {}),
    ((), "2023Q1", {}),
    ("court", "2023Q1", {"court_filter": ["甲"]}),
])
def test_engine_gives_the_direct_values(engine, by, period, options):
    via_engine = engine.compute(by=by, period=period, indicators=DIVERSION, **options)
    pd.testing.assert_frame_equal(via_engine, _direct(by, period, **options))


def test_mixed_query_keeps_each_catalogue_exact(engine):
    mixed = engine.compute(by="court", period="2023Q1", indicators=["closed", "诉前化解率", "case_case_ratio",
                                                                     "Disposition rate"])
    # 乙 has mediation records and no case: its rows are the register's only
    assert mixed.loc[mixed["court"] == "甲", "indicator"].tolist() == [
        "closed", "pre_suit_resolution_rate", "case_case_ratio", "disposition_rate"]
    assert mixed.loc[mixed["court"] == "乙", "indicator"].tolist() == ["pre_suit_resolution_rate"]
    cases_only = engine.compute(by="court", period="2023Q1", indicators=["closed", "disposition_rate"])
    pd.testing.assert_frame_equal(mixed.loc[mixed["indicator"].isin(["closed", "disposition_rate"])]
                                  .reset_index(drop=True), cases_only)
    direct = _direct("court", "2023Q1", indicators=["pre_suit_resolution_rate", "case_case_ratio"])
    pd.testing.assert_frame_equal(mixed.loc[~mixed["indicator"].isin(["closed", "disposition_rate"])]
                                  .reset_index(drop=True), direct)
    # one row per court and period in the wide table, the catalogue's columns in catalogue order
    table = wide(mixed, lang="zh").set_index("court")
    assert list(table.columns[1:5]) == ["结案", "结案率", "诉前化解率", "案-件比（1:x）"]
    assert table.loc["甲", "诉前化解率"] == pytest.approx(2 / 7)
    assert table.loc["乙", "诉前化解率"] == pytest.approx(1.0) and pd.isna(table.loc["乙", "结案"])


def test_default_selection_follows_the_records_given(engine):
    plain = IndicatorEngine(_cases(), as_of=AS_OF)
    assert plain.available() == INDICATOR_NAMES
    default = plain.compute(by="court", period="2023Q1")
    pd.testing.assert_frame_equal(default, plain.compute(by="court", period="2023Q1",
                                                         indicators=INDICATOR_NAMES))
    assert engine.available() == registry.NAMES
    register_only = IndicatorEngine(_cases(), as_of=AS_OF, mediation=_mediation())
    assert "mediation_success_rate" in register_only.available()
    assert "case_case_ratio" not in register_only.available()
    assert set(engine.compute(by="court", period="2023Q1")["indicator"]) == set(registry.NAMES)


def test_unknown_and_missing_inputs_are_named():
    plain = IndicatorEngine(_cases(), as_of=AS_OF)
    with pytest.raises(ValueError, match=r"unknown indicator\(s\) \['no_such_rate'\]"):
        plain.compute(indicators=["closed", "no_such_rate"])
    with pytest.raises(ValueError, match=r"pre_suit_resolution_rate \(诉前化解率\) need the mediation register.*"
                                         r"mediation="):
        plain.compute(period="2023Q1", indicators=["pre_suit_resolution_rate"])
    register_only = IndicatorEngine(_cases(), as_of=AS_OF, mediation=_mediation())
    with pytest.raises(ValueError, match=r"case_case_ratio \(案-件比（1:x）\) need the case links.*links="):
        register_only.compute(period="2023Q1", indicators=["case_case_ratio"])
    with pytest.raises(ValueError, match=r"grouped by \['court', 'cause'\] only, not \['team'\]"):
        register_only.compute(by=["court", "team"], period="2023Q1", indicators=["mediation_received"])
    # attach() gives the records later, to an engine built without them
    register_only.attach(links=_links())
    assert register_only.compute(period="2023Q1", by="court",
                                 indicators=["case_case_ratio"])["value"].tolist() == [7 / 4]


def test_related_cases_join_the_disputes_only():
    """Cases of other courts (an appeal, a first instance elsewhere) given as related cases are
    counted in 案-件比, never as direct filings of the register's 诉前化解率."""
    from courtstudy.core import schema

    related = schema.conform_cases(pd.DataFrame({
        "case_id": ["（2023）甲01民终2号", "（2023）丙民初1号"], "court": ["甲市中院", "丙"],
        "filed_date": pd.to_datetime(["2023-05-01", "2023-02-01"]), "type_code": ["民终", "民初"]}))
    links = pd.concat([_links(), pd.DataFrame({"case_id": ["（2023）甲01民终2号"], "linked_case_id": ["（2023）甲民初2号"],
                                                "link": ["original"]}).astype("string")], ignore_index=True)
    engine = IndicatorEngine(_cases(), as_of=AS_OF, mediation=_mediation(), links=links, related_cases=related)
    got = engine.compute(by="court", period="2023Q1", indicators=DIVERSION).set_index(["court", "indicator"])
    assert got.loc[("甲", "case_case_ratio"), "value"] == pytest.approx(8 / 4)     # + the appeal of 民初2
    assert got.loc[("甲", "pre_suit_resolution_rate"), "value"] == pytest.approx(2 / 7)
    assert ("丙", "pre_suit_resolution_rate") not in got.index and ("丙", "case_case_ratio") in got.index
    every = pd.concat([_cases(), related], ignore_index=True)
    disputes = [n for n in DIVERSION if "links" in registry.records_needed(n)]
    direct = _normalised(diversion_indicators(_mediation(), every, links, by="court", period="2023Q1", as_of=AS_OF,
                                              indicators=disputes), "court")
    pd.testing.assert_frame_equal(
        got.reset_index().loc[lambda f: f["indicator"].isin(disputes)].reset_index(drop=True)[direct.columns], direct)


def test_register_only_on_a_backend_table_and_a_clear_error_for_the_rest(tmp_path):
    """Cases that stay in the backend (here a Parquet file on DuckDB; Spark the same way): the
    register's own indicators are computed, those that count cases say they need the pandas path."""
    path = tmp_path / "cases.parquet"
    _cases().to_parquet(path)
    engine = IndicatorEngine(str(path), as_of=AS_OF, mediation=_mediation())
    got = engine.compute(by="court", period="2023Q1", indicators=["mediation_success_rate"])
    direct = _normalised(diversion_indicators(_mediation(), by="court", period="2023Q1", as_of=AS_OF,
                                              indicators=["mediation_success_rate"]), "court")
    pd.testing.assert_frame_equal(got, direct)
    with pytest.raises(ValueError, match="need the cases as a pandas DataFrame.*DuckDB/pandas path"):
        engine.compute(by="court", period="2023Q1", indicators=["pre_suit_resolution_rate"])


def test_court_filter_without_court_grouping():
    whole = diversion_indicators(_mediation(), _cases(), _links(), by=(), period="2023Q1", as_of=AS_OF,
                                 court_filter=["甲"]).set_index("indicator")["value"]
    by_court = diversion_indicators(_mediation(), _cases(), _links(), by="court", period="2023Q1",
                                    as_of=AS_OF).set_index(["court", "indicator"])["value"]
    # one court kept: its figures, whatever the grouping (案-件比 still counts the appeal at 甲市中院)
    assert whole.to_dict() == pytest.approx(by_court.loc["甲"].to_dict())


def test_one_query_function_takes_the_records():
    from courtstudy.indicators import indicators

    long = indicators(_cases(), by="court", period="2023Q1", as_of=AS_OF, mediation=_mediation(), links=_links())
    assert set(long["indicator"]) == set(registry.NAMES)
    got = long.loc[long["indicator"].isin(DIVERSION)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, _direct("court", "2023Q1"))


def test_compare_knows_every_direction():
    assert registry.BY_NAME["case_case_ratio"].better == "down"
    long = pd.concat([_direct("court", "2022Q1"), _direct("court", "2023Q1")], ignore_index=True)
    compared = compare(long).set_index(["court", "period", "indicator"])
    assert compared.loc[("乙", "2023Q1", "mediation_success_rate"), "better"] == "up"


def test_labels_and_names_are_one_name_space():
    assert registry.resolve(["诉前化解率", "Cases per dispute (1:x)", "结案率", "closed", "结案"]) == [
        "pre_suit_resolution_rate", "case_case_ratio", "disposition_rate", "closed"]
    table = registry.catalogue("en")
    assert list(table["name"]) == list(registry.NAMES)
    assert set(table.loc[table["catalogue"] == "diversion", "name"]) == set(DIVERSION)
    assert table.set_index("name").loc["case_case_ratio", "records"].startswith("case export, case links")


# ------------------------------------------------------------------------------ the commands
@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    from courtstudy.simulate.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("demo") / "demo", scale=0.02)


def test_cli_lists_the_catalogue(capsys):
    from courtstudy.cli import main

    assert main(["indicators", "--list", "--lang", "en"]) == 0
    listed = capsys.readouterr().out
    for name in registry.NAMES:
        assert f"\n{name}," in listed
    assert main(["indicators", "demo", "--indicators", "结案率,no_such_rate"]) == 2
    assert "no_such_rate" in capsys.readouterr().err
    assert main(["indicators", "demo", "--links", "cases", "--indicators", "case_case_ratio"]) == 2
    assert "DATA must be an export file" in capsys.readouterr().err


def test_cli_indicators_and_diversion_give_the_same_figures(small_demo, tmp_path):
    from courtstudy.cli import main

    files = small_demo
    common = ["--period", "2022", "--by", "court", "--as-of", "2024-03-31", "--lang", "en",
              "--links", str(files.case_links), "--related-cases", str(files.related_cases)]
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert main(["indicators", str(files.cases), "--mediation", str(files.mediation), *common,
                 "--out", str(one)]) == 0
    assert main(["diversion", str(files.mediation), "--cases", str(files.cases), *common, "--out", str(two)]) == 0
    both = pd.read_csv(one, encoding="utf-8-sig").set_index("Court")
    alone = pd.read_csv(two, encoding="utf-8-sig").set_index("Court")
    labels = [i.label("en") for i in DIVERSION_INDICATORS]
    assert set(labels) <= set(both.columns) and "Closed" in both.columns
    pd.testing.assert_frame_equal(both.loc[alone.index, labels], alone[labels])


def test_diversion_demo_reads_the_demo_files_as_notebook_02(small_demo, tmp_path, monkeypatch):
    """`courtstudy diversion demo` and notebook 02's sections (report.diversion with data=demo)
    read the same files the same way: the same figures."""
    import courtstudy.simulate.demo as demo
    from courtstudy.cli import main
    from courtstudy.core.periods import parse_period
    from courtstudy.indicators import default_as_of
    from courtstudy.report import diversion as dv
    from courtstudy.report.notebook import load_data

    monkeypatch.setattr(demo, "ensure_demo", lambda force=False, directory=None: small_demo)
    loaded = load_data("demo", "")
    as_of = default_as_of(loaded.cases)
    inputs = dv.load_inputs(data="demo", cases=loaded.cases, all_cases=loaded.cases, as_of=as_of)
    period = parse_period("2023Q4")
    overall, by_court = dv.mediation_tables(inputs, period, as_of, "en")
    out = tmp_path / "demo.csv"
    assert main(["diversion", "demo", "--period", "2023Q4", "--by", "court", "--lang", "en", "--out", str(out)]) == 0
    cli = pd.read_csv(out, encoding="utf-8-sig").set_index("Court")
    for name in ("mediation_received", "mediation_success_rate", "pre_suit_resolution_rate", "mediation_median_days"):
        label = registry.BY_NAME[name].label("en")
        notebook = by_court.set_index("court")[name]
        assert cli.loc[notebook.index, label].to_numpy() == pytest.approx(notebook.to_numpy(), abs=1e-12, nan_ok=True), name
    total = tmp_path / "total.csv"
    assert main(["diversion", "demo", "--period", "2023Q4", "--by", "", "--lang", "en", "--out", str(total)]) == 0
    row = pd.read_csv(total, encoding="utf-8-sig").iloc[0]
    for name, value in zip(overall["indicator"], overall["current"], strict=True):
        assert row[registry.BY_NAME[name].label("en")] == pytest.approx(value, abs=1e-12, nan_ok=True), name
    # 案-件比 of the cohort notebook 02 shows
    cohort = dv.ratio_cohort(as_of)
    ratio = dv.ratio_table(inputs, cohort, as_of).set_index("court")
    assert main(["diversion", "demo", "--period", cohort.label, "--by", "court", "--lang", "en",
                 "--out", str(out)]) == 0
    cli = pd.read_csv(out, encoding="utf-8-sig").set_index("Court")
    courts = ratio.index.dropna()
    assert len(courts) > 0
    assert cli.loc[courts, "Cases per dispute (1:x)"].to_numpy() == pytest.approx(
        ratio.loc[courts, "case_case_ratio"].to_numpy(), abs=1e-12)


@pytest.mark.spark
def test_register_indicators_on_spark_and_a_clear_error_for_the_rest(spark):
    """On Spark the cases stay in the backend: the register's own indicators are computed (the
    same table as diversion_indicators'), those that count cases say they need the pandas path."""
    engine = IndicatorEngine(spark.createDataFrame(_cases().astype({"filed_date": "datetime64[ns]"})
                                                   [["case_id", "court", "filed_date", "type_code"]]),
                             as_of=AS_OF, connection=spark, mediation=_mediation())
    got = engine.compute(by="court", period="2023Q1", indicators=["mediation_received", "mediation_mean_days"])
    direct = _normalised(diversion_indicators(_mediation(), by="court", period="2023Q1", as_of=AS_OF,
                                              indicators=["mediation_received", "mediation_mean_days"]), "court")
    pd.testing.assert_frame_equal(got, direct)
    with pytest.raises(ValueError, match="pandas DataFrame.*DuckDB/pandas path.*pyspark"):
        engine.compute(by="court", period="2023Q1", indicators=["case_case_ratio"])
