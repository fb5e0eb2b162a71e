"""The layout's rules, checked on the source: layers import only downwards, and each domain
rule (category sets, calendar-month arithmetic) is written once, in core/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from courtstudy.core.schema import VOCABULARIES

SRC = Path(__file__).resolve().parents[1] / "src" / "courtstudy"
#: The layers, lowest first: a module may import its own layer and the ones before it.
LAYERS = ("core", "ingest", "indicators", "studies", "monitoring", "simulate", "report", "commands", "cli")


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        yield name, path, ast.parse(path.read_text(encoding="utf-8"))


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "courtstudy" else None


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_every_module_belongs_to_a_layer():
    for name, _, _ in _modules():
        assert name == "courtstudy" or _layer(name) in LAYERS, name


def test_layers_import_only_downwards():
    wrong = []
    for name, _, tree in _modules():
        mine = _layer(name)
        if mine is None:
            continue
        for target in _imports(tree):
            theirs = _layer(target)
            # the package root only holds the version and lazy exports
            if theirs is not None and LAYERS.index(theirs) > LAYERS.index(mine):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_core_imports_nothing_above_it():
    for name, _, tree in _modules():
        if _layer(name) == "core":
            assert all(_layer(t) in (None, "core") for t in _imports(tree)), name


#: Codes of each vocabulary: a literal set of two or more codes of one vocabulary outside
#: core/ is a category set written again (use courtstudy.core.categories).
_CODES = {v: set(codes) for v, codes in VOCABULARIES.items()}


def _literal_code_sets(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Set | ast.List | ast.Tuple):
            values = [e.value for e in node.elts
                      if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(values) < 2 or len(values) != len(node.elts):
                continue
            for vocabulary, codes in _CODES.items():
                if set(values) <= codes:
                    yield node.lineno, vocabulary, tuple(values)


def test_no_category_set_outside_core():
    found = [f"{path.relative_to(SRC)}:{line} {vocab} {values}"
             for name, path, tree in _modules() if _layer(name) != "core"
             for line, vocab, values in _literal_code_sets(tree)]
    assert not found, "category sets written outside core/categories.py:\n" + "\n".join(found)


#: Month arithmetic: month indexes, adding calendar months, month ends.
_MONTH_ARITHMETIC = re.compile(
    r"\*\s*12\s*\+|//\s*12\b|%\s*12\b|datetime64\[[MY]\]|MonthEnd|MonthBegin|"
    r"DateOffset\((months|years)|relativedelta")


def _month_arithmetic(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0]
        if _MONTH_ARITHMETIC.search(code) and not code.strip().startswith(('"', "'", "``")):
            yield number, line.strip()


def test_month_arithmetic_only_in_core_calendar():
    found = [f"{path.relative_to(SRC)}:{n} {line}" for name, path, _ in _modules()
             if path != SRC / "core" / "calendar.py" for n, line in _month_arithmetic(path)]
    assert not found, "calendar-month arithmetic outside core/calendar.py:\n" + "\n".join(found)


@pytest.mark.parametrize("snippet, caught", [
    ('x = frame["disposition"].isin(["mediation", "withdrawal"])', True),
    ('REV = {"modified", "remanded"}', True),
    ('names = ("court", "team")', False),
])
def test_the_category_scan_can_fail(snippet, caught):
    assert bool(list(_literal_code_sets(ast.parse(snippet)))) == caught


def test_the_month_scan_can_fail(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("total = year * 12 + month - 1\nend = d + pd.offsets.MonthEnd(0)\nok = 3\n",
                    encoding="utf-8")
    assert [n for n, _ in _month_arithmetic(path)] == [1, 2]


def _label_entries(tree: ast.AST):
    """Dictionary entries ``"code": ("中文", "English")`` written as literals."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (isinstance(key, ast.Constant) and isinstance(key.value, str)
                        and isinstance(value, ast.Tuple) and len(value.elts) == 2
                        and all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                                for e in value.elts)):
                    yield key.lineno, (key.value, value.elts[0].value, value.elts[1].value)


def test_no_label_written_twice():
    """A code given the same zh/en label in two places is one label kept twice: the next
    change of wording would miss one of them (take it from where it is defined)."""
    places: dict[tuple[str, str, str], list[str]] = {}
    for _, path, tree in _modules():
        for line, entry in _label_entries(tree):
            places.setdefault(entry, []).append(f"{path.relative_to(SRC)}:{line}")
    twice = [f"{code} {zh}/{en}: {', '.join(where)}" for (code, zh, en), where in places.items()
             if len(where) > 1]
    assert not twice, "labels written more than once:\n" + "\n".join(twice)


def test_the_label_scan_can_fail():
    tree = ast.parse('A = {"days": ("天", "days"), "n": ("件", "cases")}\n'
                     'def f():\n    return {"days": ("天", "days"), "x": UNITS["days"]}\n')
    entries = [entry for _, entry in _label_entries(tree)]
    assert entries.count(("days", "天", "days")) == 2 and len(entries) == 3


#: Pieces of logic that have one home: a definition of any of these names elsewhere is the
#: logic written again (use the one named here).
ONE_HOME: dict[str, str] = {
    "add_months": "core/calendar.py",
    "add_calendar_months": "core/calendar.py",
    "adoption_dates": "studies/fasttrack/panel.py",
    "case_outcomes": "studies/fasttrack/panel.py",
    "in_study_scope": "studies/fasttrack/panel.py",
    "pre_adoption_window": "studies/fasttrack/placebo.py",
    "check_run_parameters": "report/notebook.py",
}


def test_shared_logic_is_defined_once():
    defined: dict[str, list[str]] = {}
    for _, path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in ONE_HOME:
                defined.setdefault(node.name, []).append(str(path.relative_to(SRC)))
    assert {name: places for name, places in defined.items()} == \
        {name: [home] for name, home in ONE_HOME.items()}


def test_readme_and_architecture_doc_match_the_tree():
    root = SRC.parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    architecture = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.name for p in SRC.iterdir()
                      if p.is_dir() and (p / "__init__.py").exists() or p.name == "commands")
    assert set(packages) == {layer for layer in LAYERS if layer != "cli"}
    for name in packages:
        assert f"  {name}/" in layout, f"README layout lacks {name}/"
        assert f"**{name}/**" in architecture, f"docs/architecture.md lacks a paragraph on {name}/"
    for module in sorted((SRC / "core").glob("*.py")):
        if module.name != "__init__.py":
            assert f"`{module.name}`" in architecture or module.stem in architecture, module.name


def test_ci_runs_the_readme_test_command_and_fails_with_it(tmp_path):
    """.ci/run must run the README's test command verbatim, and a failure anywhere in that
    chain must fail CI (``set -e`` alone ignores a failed install inside an && list)."""
    import subprocess

    root = SRC.parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if line.startswith("python3 -m venv .venv") and "pytest" in line)
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert command in ci
    line = next(i for i, text in enumerate(ci.splitlines()) if command in text)
    guard = ci.splitlines()[line + 1].strip()
    assert guard.startswith("|| {") and "exit" in guard
    # the same shell construct with a failing first step stops the script with its status
    script = tmp_path / "run"
    script.write_text("set -euo pipefail\nfalse && true \\\n    " + guard + "\necho reached\n", encoding="utf-8")
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    assert done.returncode != 0 and "reached" not in done.stdout
