"""Per-notebook parameter files of an edition (``courtstudy edition NAME --params FILE``).

A report notebook has the standard parameters of every notebook (data, period, lang ...: given
on the command line, the same for all) and its own (notebook 03: the treatment, the estimand,
the outcomes ...; notebook 04: the period unit, the control group ...). One TOML file sets the
latter, one table per notebook, the way cal-itp's portfolio runner keeps one parameter set per
notebook::

    # edition-2023Q4.toml
    ["03_triage_effects"]          # or ["03"]
    treatment = "fast_track"
    estimand = "ATT"
    outcomes = "duration_days,appealed"
    horizon = 365

    ["04_fast_track_teams"]
    period_unit = "quarter"
    control_group = "nevertreated"

Checked before anything is built (:func:`read_notebook_parameters`): the file must be TOML
(``tomllib``); each table must name a notebook of the edition (its number or its full name),
at most once; each key must be a parameter of that notebook's ``parameters`` cell
(``papermill.inspect_notebook``), not one of the standard parameters; each value must have the
type of the parameter's default (text, whole number, number, true/false; a whole number where
a number is expected is fine) and be a JSON scalar, as papermill requires. The values and the
file's SHA-256 go into the edition's manifest.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from courtstudy.core.errors import CourtstudyError
from courtstudy.core.paths import file_sha256

#: Parameters every report notebook has; they come from the command line, for all notebooks.
STANDARD = ("data", "courts", "period", "as_of", "court_filter", "lang", "audience", "output_dir",
            "seed", "min_cell")


class ParameterFileError(CourtstudyError):
    """A parameter file that cannot be used (names the file, the table, the key, what was expected)."""


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The parameters of a notebook's ``parameters`` cell and their default values."""
    import papermill as pm

    found = pm.inspect_notebook(str(path))
    out: dict[str, Any] = {}
    for name, spec in found.items():
        try:
            out[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            out[name] = spec["default"]
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "whole number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _fits(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    return isinstance(value, str | int | float | bool)


def read_notebook_parameters(path: str | Path, notebooks: Sequence[Path]
                             ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """({notebook stem: {parameter: value}}, {"file": name, "sha256": ...}) of a parameter
    file for the ``notebooks`` of an edition; :class:`ParameterFileError` on any problem."""
    path = Path(path).expanduser()
    where = f"--params {path}"
    if not path.is_file():
        raise ParameterFileError(f"{where}: 文件不存在 / file not found")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterFileError(f"{where}: 不是有效的 TOML（{exc}）/ not valid TOML ({exc})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterFileError(f"{where}: 无法读取 / cannot be read ({exc})") from exc
    by_key = {}
    for nb in notebooks:
        by_key[nb.stem] = nb
        by_key.setdefault(nb.name[:2], nb)
    names = ", ".join(nb.stem for nb in notebooks)
    out: dict[str, dict[str, Any]] = {}
    for table, values in data.items():
        if not isinstance(values, dict):
            raise ParameterFileError(
                f"{where}: “{table}” 应是一个表（[03_triage_effects] 这样的标题下列出参数）/ "
                f"'{table}' must be a table: parameters go under a header such as [03_triage_effects]")
        notebook = by_key.get(str(table))
        if notebook is None:
            raise ParameterFileError(f"{where}: [{table}] 不是本版本的报告 / is not a notebook of this "
                                     f"edition; the notebooks are {names}")
        if notebook.stem in out:
            raise ParameterFileError(f"{where}: [{table}] 重复设置了 {notebook.stem} / sets "
                                     f"{notebook.stem} a second time")
        defaults = notebook_parameters(notebook)
        own = sorted(k for k in defaults if k not in STANDARD)
        checked: dict[str, Any] = {}
        for key, value in values.items():
            if key in STANDARD:
                raise ParameterFileError(
                    f"{where}: [{table}] {key}: 这是所有报告共用的参数，请在命令行给出 / is a parameter of "
                    f"every notebook: give it on the command line (--{key.replace('_', '-')})")
            if key not in defaults:
                raise ParameterFileError(
                    f"{where}: [{table}] {key}: {notebook.stem} 没有这个参数 / is not a parameter of "
                    f"{notebook.stem}; its own parameters are {', '.join(own) or '(none)'}")
            if isinstance(value, list | dict) or not _fits(value, defaults[key]):
                raise ParameterFileError(
                    f"{where}: [{table}] {key}: 需要{_kind(defaults[key])}，如 {defaults[key]!r} / "
                    f"expected a {_kind(defaults[key])} such as {defaults[key]!r}, got {value!r}")
            checked[key] = float(value) if isinstance(defaults[key], float) else value
        out[notebook.stem] = checked
    return out, {"file": path.name, "sha256": file_sha256(path)}
