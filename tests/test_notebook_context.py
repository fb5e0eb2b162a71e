"""The notebook context (courtstudy.report.notebook) and the public-release rules (courtstudy.report.publish)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from courtstudy.report import notebook as nb  # noqa: E402
from courtstudy.report.publish import prepare_table  # noqa: E402
from courtstudy.simulate import simulate_court  # noqa: E402
from courtstudy.simulate.demo import courts_export  # noqa: E402
from courtstudy.simulate.export import write_export  # noqa: E402


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small synthetic export (about 6,000 cases) and its courts table."""
    folder = tmp_path_factory.mktemp("small")
    sim = simulate_court(scale=0.03)
    write_export(sim.cases, folder / "cases.csv", bad_row_share=0.005, seed=3)
    courts_export(sim.courts).to_csv(folder / "courts.csv", index=False, encoding="utf-8-sig")
    return {"cases": str(folder / "cases.csv"), "courts": str(folder / "courts.csv"), "sim": sim}


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("COURTSTUDY_PSEUDONYM_SALT", "test-salt")


@pytest.fixture()
def ctx(small, tmp_path):
    return nb.setup(data=small["cases"], courts=small["courts"], period="2023Q4",
                    output_dir=str(tmp_path / "out"), cache_dir=None)


def test_setup_loads_and_derives(ctx, small):
    sim = small["sim"]
    assert ctx.period.start == pd.Timestamp("2023-10-01") and ctx.period.end == pd.Timestamp("2023-12-31")
    acc = ctx.loaded.accounting()
    assert len(ctx.cases) == acc["accepted"] and acc["accepted"] + acc["quarantined"] == acc["rows_read"]
    # the as-of date is the latest date in the export: the simulator's snapshot date or earlier
    assert ctx.as_of <= sim.as_of and ctx.as_of >= sim.as_of - pd.Timedelta(days=7)
    assert ctx.court_names == sorted(sim.cases["court"].unique())
    assert ctx.courts is not None and set(ctx.courts["court"]) == set(sim.courts["court"])
    results = json.loads((ctx.output_dir / "results.json").read_text(encoding="utf-8"))
    assert results["loading"]["accepted"] == acc["accepted"]
    assert results["period"] == {"label": "2023Q4", "start": "2023-10-01", "end": "2023-12-31"}


def test_court_filter_and_explicit_as_of(small):
    one = sorted(small["sim"].cases["court"].unique())[0]
    ctx = nb.setup(data=small["cases"], courts=small["courts"], court_filter=f" {one} ",
                   as_of="2024-01-15", cache_dir=None, style=False)
    assert set(ctx.cases["court"]) == {one} and set(ctx.courts["court"]) == {one}
    assert ctx.as_of == pd.Timestamp("2024-01-15")
    assert ctx.output_dir is None


@pytest.mark.parametrize("kwargs, needle", [
    ({"lang": "fr"}, "lang"),
    ({"audience": "everyone"}, "audience"),
    ({"period": "2023Q5"}, "period"),
    ({"court_filter": "不存在的法院"}, "court_filter: 不存在的法院 not in the data"),
    ({"as_of": "yesterday"}, "as_of"),
    ({"min_cell": 0}, "min_cell"),
])
def test_bad_parameters_name_themselves(small, kwargs, needle):
    with pytest.raises(nb.ParameterError, match=needle):
        nb.setup(data=small["cases"], cache_dir=None, style=False, **kwargs)


def test_missing_data_file_is_named(tmp_path):
    with pytest.raises(nb.ParameterError, match="nothing.csv does not exist"):
        nb.setup(data=str(tmp_path / "nothing.csv"), style=False)


def test_text_follows_language(small):
    en = nb.setup(data=small["cases"], lang="en", cache_dir=None, style=False)
    assert en.text("结案率", "Disposition rate") == "Disposition rate"
    assert nb.setup(data=small["cases"], cache_dir=None, style=False).text("结案率", "x") == "结案率"


def test_internal_table_is_saved_as_csv_and_sheet(ctx):
    frame = pd.DataFrame({"court": ["甲", "乙"], "judge": ["张三", "李四"], "closed": [3, 40],
                          "rate": [0.5, 0.25]})
    assert ctx.table("closed_by_judge", frame, title_zh="结案", title_en="Closed", labels=False) is None
    pd.testing.assert_frame_equal(ctx.tables["closed_by_judge"], frame)
    raw = (ctx.output_dir / "tables" / "closed_by_judge.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    back = pd.read_csv(ctx.output_dir / "tables" / "closed_by_judge.csv", encoding="utf-8-sig")
    assert back.to_dict("list") == frame.to_dict("list")
    book = load_workbook(ctx.output_dir / "tables.xlsx")
    assert book.sheetnames == ["目录", "结案"]  # the contents first, sheets named by title
    sheet = book["结案"]
    rows = list(sheet.iter_rows(min_row=2, max_row=4, max_col=4, values_only=True))
    assert rows == [("court", "judge", "closed", "rate"), ("甲", "张三", 3, 0.5), ("乙", "李四", 40, 0.25)]
    assert sheet.freeze_panes == "A3" and sheet["C3"].number_format == "#,##0"
    with pytest.raises(ValueError, match="used twice"):
        ctx.table("closed_by_judge", frame)
    with pytest.raises(ValueError, match="ASCII"):
        ctx.table("按法官", frame)
    ctx.table("labelled", frame.assign(rate=[0.5, None]), kinds={"rate": "percent"})
    header = (ctx.output_dir / "tables" / "labelled.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "法院,承办法官,结案（件）,rate"
    book = load_workbook(ctx.output_dir / "tables.xlsx")
    assert book.sheetnames == ["目录", "结案", "labelled"]
    assert book["labelled"]["D3"].number_format == "0.00%" and book["labelled"]["D4"].value is None
    contents = [r for r in book["目录"].iter_rows(min_row=3, values_only=True)]
    assert [r[0] for r in contents] == ["结案", "labelled"] and [r[3] for r in contents] == [2, 2]


def test_public_rules_by_hand():
    frame = pd.DataFrame({
        "court": ["甲", "甲", "乙", "乙"],
        "judge": ["张三", "李四", "王五", "赵六"],
        "year": [2023, 2023, 2023, 2023],
        "caseload": [25, 8, 40, 0],
        "pending_over_18m": [3, 0, 12, 0],
        "disposition_rate": [0.8, 0.5, 0.9, np.nan],
    })
    out, release = prepare_table("t", frame, audience="public", threshold=10, basis="caseload",
                                 salt="s")
    # row 2 rests on 8 cases: every figure hidden; row 1: the count 3 hidden; zeros stay.
    # Court 甲's caseload is published elsewhere as a total (25 + 8 = 33), so row 1's 25 is
    # hidden too ("x", secondary suppression), and with it the rate of that row.
    assert out["caseload"].tolist() == ["x", "<10", 40, 0]
    assert out["pending_over_18m"].tolist() == ["<10", "<10", 12, 0]
    assert out["disposition_rate"].tolist()[:3] == ["x", "<10", 0.9]
    assert out["year"].tolist() == [2023] * 4  # keys are never suppressed
    assert release.rows_suppressed == 1 and release.cells_suppressed == 6
    assert release.cells_primary == 2 and release.cells_complementary == 1
    assert not set(out["judge"]) & set(frame["judge"])
    assert out["judge"].str.startswith("法官").all() and out["judge"].nunique() == 4
    assert release.pseudonymised == ["judge"]
    # the same names get the same pseudonyms with the same salt
    again, _ = prepare_table("t2", frame, audience="public", salt="s")
    assert again["judge"].tolist() == out["judge"].tolist()
    # internal: untouched
    same, rel = prepare_table("t", frame, audience="internal")
    assert same is frame and rel.cells_suppressed == 0


def test_public_default_basis_is_every_count():
    frame = pd.DataFrame({"court": ["甲", "乙"], "filed": [30, 30], "closed": [4, 20],
                          "mean_days": [50.0, 60.0]})
    out, release = prepare_table("t", frame, audience="public")
    # the row rests on 4 closed cases: every figure hidden; its 30 filed is no small count, so it
    # is marked "x" (hidden), not "<10" (which would misstate it)
    assert out.loc[0].tolist() == ["甲", "x", "<10", "<10"]
    # with two courts, the totals (60 filed, 24 closed) would give row 0 back: row 1 is hidden too
    assert out.loc[1].tolist() == ["乙", "x", "x", "x"]
    wide = pd.concat([frame, pd.DataFrame({"court": ["丙"], "filed": [50], "closed": [30],
                                           "mean_days": [40.0]})], ignore_index=True)
    out, release = prepare_table("t", wide, audience="public")
    # in each column the complement is the smallest cell of at least 10 (乙's 30 filed and 20
    # closed); the figures of a row with a hidden count are hidden with it
    assert out["closed"].tolist() == ["<10", "x", 30]
    assert out["filed"].tolist() == ["x", "x", 50]
    assert out["mean_days"].tolist() == ["<10", "x", 40.0]


def test_public_table_in_context(small, tmp_path):
    ctx = nb.setup(data=small["cases"], audience="public", output_dir=str(tmp_path / "pub"),
                   cache_dir=None, style=False)
    cases = ctx.cases.head(30)[["case_id", "court", "judge", "filed_date"]]
    ctx.table("long_pending", cases)  # case list: withheld
    ctx.table("listed", cases.drop(columns="case_id"), case_level=True)
    assert ctx.tables["long_pending"] is None and ctx.tables["listed"] is None
    assert not (tmp_path / "pub" / "tables" / "long_pending.csv").exists()
    by_judge = ctx.cases.groupby("judge").size().rename("cases").reset_index()
    ctx.table("by_judge", by_judge, labels=False)
    shown = ctx.tables["by_judge"]
    text = (tmp_path / "pub" / "tables" / "by_judge.csv").read_text(encoding="utf-8-sig")
    assert not any(name in text for name in small["sim"].cases["judge"].dropna().unique())
    numbers = pd.to_numeric(shown["cases"], errors="coerce")
    assert not ((numbers >= 1) & (numbers < 10)).any()
    log = json.loads((tmp_path / "pub" / "publication.json").read_text(encoding="utf-8"))
    assert [t["withheld"] for t in log["tables"]] == [True, True, False]
    assert log["tables"][2]["pseudonymised"] == ["judge"]
    assert log["tables"][2]["cells_suppressed"] == int(((by_judge["cases"] >= 1) & (by_judge["cases"] < 10)).sum())


def test_figure_and_record(ctx):
    fig, ax = plt.subplots()
    ax.set_title("结案数")
    ax.plot([1, 2, 3])
    ctx.figure("trend", fig)
    png = (ctx.output_dir / "figures" / "trend.png").read_bytes()
    assert png.startswith(b"\x89PNG") and not plt.get_fignums()
    ctx.record("closed", np.int64(12))
    ctx.record("rate", np.float64("nan"))
    ctx.record("when", pd.Timestamp("2023-12-31"))
    ctx.record("frame", pd.DataFrame({"a": [1, 2]}))
    results = json.loads((ctx.output_dir / "results.json").read_text(encoding="utf-8"))["results"]
    assert results == {"closed": 12, "rate": None, "when": "2023-12-31", "frame": [{"a": 1}, {"a": 2}]}


def test_load_cache_hits_and_invalidates(small, tmp_path):
    cache = tmp_path / "cache"
    first = nb.load_data(small["cases"], small["courts"], cache_dir=cache)
    files = list(cache.glob("loaded-*.pickle"))
    assert len(files) == 1
    second = nb.load_data(small["cases"], small["courts"], cache_dir=cache)
    pd.testing.assert_frame_equal(first.cases, second.cases)
    pd.testing.assert_frame_equal(first.quarantine, second.quarantine)
    assert second.sha256 == first.sha256
    # another courts file: another key, and the stale entry is replaced
    other = tmp_path / "courts.csv"
    pd.read_csv(small["courts"], encoding="utf-8-sig").head(3).to_csv(other, index=False, encoding="utf-8-sig")
    nb.load_data(small["cases"], str(other), cache_dir=cache)
    assert [p.name for p in cache.glob("loaded-*.pickle")] != [files[0].name]


def test_parameters_from_namespace():
    namespace = {"data": "x.csv", "period": "2023", "unrelated": 1}
    assert nb.parameters_from(namespace) == {"data": "x.csv", "period": "2023"}
