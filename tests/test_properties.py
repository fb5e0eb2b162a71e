"""Property-based tests (hypothesis): exports with random planted faults, written by hand here
(independently of courtstudy.simulate.export), in random encodings and line ends.

For every generated export: rows read = accepted + quarantined (and = the data rows written);
every accepted value equals the value written; every row that should be quarantined is, for
its reason; and no cell of the files the loader writes (or of a workbook of the accepted
cases) is a formula. Kept to a few seconds: a bounded number of examples and rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courtstudy.core.tabular_output import needs_neutralising, write_xlsx
from courtstudy.ingest.loading import load_cases

HEADER = ["案号", "法院", "承办法官", "案由", "立案日期", "结案日期", "标的额"]
FAULTS = ("none", "trailing_delimiter", "extra_cell", "missing_cell", "formula_text", "future_closed",
          "huge_amount", "quoted_newline", "stray_quote", "missing_case_id", "duplicate", "blank_line")
SNAPSHOT = dt.date(2024, 12, 31)
FORMULAS = ("=1+1", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "=HYPERLINK(\"x\")")
NAMES = ("甲法院", "乙法院", "示范市城东区人民法院", "丙法院（派出法庭）")
JUDGES = ("张三", "李四", "王䶮", "O'Neil")
CAUSES = ("民间借贷纠纷", "买卖合同纠纷", "离婚纠纷", "a, b")


def quote(cell: str) -> str:
    """RFC 4180: quote a cell holding a delimiter, a quote or a line break."""
    if any(ch in cell for ch in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


row_strategy = st.fixed_dictionaries({
    "fault": st.sampled_from(FAULTS),
    "court": st.sampled_from(NAMES),
    "judge": st.sampled_from(JUDGES),
    "cause": st.sampled_from(CAUSES),
    "formula": st.sampled_from(FORMULAS),
    "filed": st.dates(dt.date(2019, 1, 1), dt.date(2024, 6, 30)),
    "days": st.one_of(st.none(), st.integers(0, 400)),
    "amount": st.one_of(st.none(), st.integers(0, 10**9)),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row_strategy, min_size=1, max_size=25),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
       newline=st.sampled_from(["\n", "\r\n"]))
def test_generated_exports_lose_nothing_and_shift_nothing(rows, encoding, newline):
    lines = [",".join(HEADER)]
    expected: dict[str, dict] = {}          # case id -> values of a row that must be accepted
    quarantined: list[str] = []             # reasons of the rows that must be quarantined
    future_issues = out_of_range = 0
    data_rows = 0
    previous: str | None = None
    for i, row in enumerate(rows, 1):
        fault = row["fault"]
        case_id = f"（2022）蒙0291民初{i}号"
        closed = row["filed"] + dt.timedelta(days=row["days"]) if row["days"] is not None else None
        cells = {"案号": case_id, "法院": row["court"], "承办法官": row["judge"], "案由": row["cause"],
                 "立案日期": row["filed"].isoformat(), "结案日期": closed.isoformat() if closed else "",
                 "标的额": str(row["amount"]) if row["amount"] is not None else ""}
        value = {"court": row["court"], "judge": row["judge"], "cause": row["cause"],
                 "filed": pd.Timestamp(row["filed"]), "closed": pd.Timestamp(closed) if closed else pd.NaT,
                 "amount": float(row["amount"]) if row["amount"] is not None else None}
        text = None
        if closed is not None and closed > SNAPSHOT and fault != "future_closed":
            value["closed"] = pd.NaT                     # a closing after the snapshot is reported
            future_issues += fault not in ("extra_cell", "missing_cell", "missing_case_id")
        if fault == "formula_text":
            cells["法院"] = cells["承办法官"] = cells["案由"] = row["formula"]
            value.update(court=row["formula"], judge=row["formula"], cause=row["formula"])
        elif fault == "future_closed":
            cells["结案日期"] = "2099-01-01"
            value["closed"] = pd.NaT
            future_issues += 1
        elif fault == "huge_amount":
            cells["标的额"] = "1e400"
            value["amount"] = None
            out_of_range += 1
        elif fault == "quoted_newline":
            cells["案由"] = f"第一行{newline}第二行"
            value["cause"] = cells["案由"]
        elif fault == "stray_quote":
            cells["案由"] = '他说"你好"纠纷'
            value["cause"] = cells["案由"]
            text = ",".join(quote(cells[h]) if h != "案由" else cells[h] for h in HEADER)
        elif fault == "missing_case_id":
            cells["案号"] = ""
        if text is None:
            text = ",".join(quote(cells[h]) for h in HEADER)
        if fault == "trailing_delimiter":
            text += ","
        elif fault == "extra_cell":
            text += ",多余"
        elif fault == "missing_cell":
            text = text.rsplit(",", 1)[0]
        elif fault == "duplicate" and previous is not None:
            lines.append(previous)
            data_rows += 1
            quarantined.append("duplicate_row")
        lines.append(text)
        data_rows += 1
        if fault == "blank_line":
            lines.append("")
        if fault in ("extra_cell", "missing_cell"):
            quarantined.append({"extra_cell": "malformed_row", "missing_cell": "short_row"}[fault])
        elif fault == "missing_case_id":
            quarantined.append("missing_case_id")
        else:
            expected[case_id] = value
            previous = text
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        path.write_bytes(newline.join(lines).encode(encoding) + newline.encode())
        loaded = load_cases(path, snapshot=SNAPSHOT)
        acc = loaded.accounting()
        # nothing lost
        assert acc["balanced"] and acc["rows_read"] == data_rows, acc
        assert sorted(loaded.quarantine["reason"]) == sorted(quarantined)
        reasons = loaded.field_issues["reason"].value_counts()
        assert reasons.get("future_date", 0) == future_issues
        assert reasons.get("out_of_range", 0) == out_of_range
        # nothing shifted
        cases = loaded.cases.set_index("case_id")
        assert set(cases.index) == set(expected)
        for case_id, value in expected.items():
            got = cases.loc[case_id]
            assert (got["court"], got["judge"], got["cause"]) == (value["court"], value["judge"], value["cause"])
            assert got["filed_date"] == value["filed"]
            assert (pd.isna(got["closed_date"]) and pd.isna(value["closed"])) or got["closed_date"] == value["closed"]
            assert (pd.isna(got["claim_amount"]) and value["amount"] is None) or got["claim_amount"] == value["amount"]
        # no formula in what is written
        written = loaded.write(Path(tmp) / "out")
        for name in ("quarantine", "field_issues"):
            text = written[name].read_bytes().decode("utf-8-sig")
            for cell in (c for r in csv.reader(io.StringIO(text, newline="")) for c in r):
                assert not needs_neutralising(cell), cell
        write_xlsx(loaded.cases, Path(tmp) / "cases.xlsx")
        book = openpyxl.load_workbook(Path(tmp) / "cases.xlsx")
        assert all(c.data_type != "f" for ws in book.worksheets for r in ws.iter_rows() for c in r)
