"""Minimal report notebooks for the edition tests: the parameters cell a report notebook has,
``nb.setup``, then the test's own code cells."""

from __future__ import annotations

from pathlib import Path

import nbformat

PARAMETERS = ['data = "demo"', 'courts = ""', 'period = "2023Q4"', 'as_of = ""', 'court_filter = ""',
              'lang = "zh"', 'audience = "internal"', 'output_dir = ""', "seed = 20240101", "min_cell = 10"]


def make_notebook(path: Path, *bodies: str, extra: tuple[str, ...] = ()) -> Path:
    """A report notebook at ``path``: the parameters cell (plus ``extra`` lines), nb.setup, then
    ``bodies`` as code cells."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    params = nbformat.v4.new_code_cell("\n".join([*PARAMETERS, *extra]))
    params.metadata["tags"] = ["parameters"]
    setup = nbformat.v4.new_code_cell(
        "from courtstudy.report import notebook as nb\nctx = nb.setup(**nb.parameters_from(globals()))")
    notebook.cells = [params, setup, *(nbformat.v4.new_code_cell(b) for b in bodies)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path
