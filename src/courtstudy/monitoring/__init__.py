"""The office's running questions: will we make the year, which deadlines are close, which
extensions and deductions are irregular.

* :func:`project_year_end` (:mod:`~courtstudy.monitoring.projection`): year-end 结案率, 结收比,
  未结, 长期未结 with prediction intervals, the probability of reaching a target and the
  closings per judge per week it needs; backtested in :mod:`~courtstudy.monitoring.backtest`.
* :func:`as_known_at` (:mod:`~courtstudy.monitoring.snapshot`): the cases as an export of an
  earlier day would have shown them.
"""

from __future__ import annotations

from courtstudy.monitoring.backtest import backtest_projections, coverage_table
from courtstudy.monitoring.projection import (
    PROJECTED,
    Target,
    YearEndProjection,
    parse_targets,
    project_year_end,
)
from courtstudy.monitoring.snapshot import as_known_at

__all__ = ["PROJECTED", "Target", "YearEndProjection", "as_known_at", "backtest_projections",
           "coverage_table", "parse_targets", "project_year_end"]
