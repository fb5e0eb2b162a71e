"""Kaplan-Meier median and restricted mean time to closing, per filing cohort.

A cohort is the set of cases filed in one period (and group). Time is ``(closed_date or as_of) -
filed_date`` in days; the event is "closed on or before as_of", so pending cases are censored at
the as-of date. The estimator, the median rule (first closing time with S < 0.5, as statsmodels
and SAS) and the RMST are the package's one implementation, :mod:`courtstudy.core.survival`;
:func:`km_table` is its many-cohorts summary under the name the indicators engine uses.
"""

from __future__ import annotations

from courtstudy.core.survival import cohort_summary as km_table

__all__ = ["km_table"]
