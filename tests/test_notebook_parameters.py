"""Every report notebook's parameters cell is what papermill and the edition runner expect."""

import ast
import json
from pathlib import Path

import papermill as pm
import pytest

from courtstudy.report.notebook import PARAMETERS

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _parameter_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]


def test_the_report_notebooks_exist():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameters_cell_that_papermill_parses_whole(path):
    cells = _parameter_cells(path)
    assert len(cells) == 1, "papermill needs exactly one cell tagged 'parameters'"
    assigned = [t.id for node in ast.parse(cells[0]).body if isinstance(node, ast.Assign)
                for t in node.targets]
    # papermill's parser drops lines it cannot read (e.g. '=' inside a comment) and then warns
    # "Passed unknown parameter" at every scheduled run: every assignment must be seen.
    assert list(pm.inspect_notebook(str(path))) == assigned


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_common_parameters_with_json_scalar_defaults(path):
    namespace: dict = {}
    exec(_parameter_cells(path)[0], namespace)  # noqa: S102 - our own notebook's literal defaults
    from courtstudy.core.periods import parse_period
    from courtstudy.report.cadence import notebook_periods

    serves = notebook_periods(path)
    for name, default in PARAMETERS.items():
        assert name in namespace, f"{path.name} lacks the common parameter {name!r}"
        if name == "period" and "quarter" not in serves:
            # a bulletin notebook (days, weeks) defaults to a period it serves
            assert parse_period(namespace[name]).freq in serves, path.name
            continue
        assert namespace[name] == default, f"{path.name}: {name} default differs from nb.PARAMETERS"
    for name, value in namespace.items():
        if not name.startswith("__"):
            assert isinstance(value, str | int | float | bool), f"{name} is not a JSON scalar"
