"""Cross-check of the rollout estimate with de Chaisemartin & D'Haultfœuille's estimator for
non-binary treatments (moderndid 0.2.0 ``did_multiplegt``, the Python port of R/Stata
``did_multiplegt_dyn``).

The treatment of a court in a filing month is the *share of its cases routed simple* (0 before
it starts triage, 55-70% after, moving a little from month to month): a fuzzy, non-binary,
non-absorbing intensity. ``did_multiplegt`` compares, horizon by horizon after each court's first
change of that share, the court's outcome with courts whose share has not changed yet (the
never- and not-yet-starting courts), and divides by the change in the share. Its "average total
effect per unit of treatment" is, with no lagged effects of routing (a case is routed once, at
filing), the effect of routing a case simple: the same target as the Wald-DiD of
:mod:`courtstudy.studies.triage.wald`, from a different estimator.

It works on the court-by-month panel (cell means weighted by cases), so its standard error is
clustered by court: with a handful of courts it is imprecise and its coverage unproven here.
It is a cross-check, never the headline.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd

from courtstudy.studies.results import estimate_row
from courtstudy.studies.triage.rollout import RolloutSample


def court_month_panel(sample: RolloutSample, outcome: str) -> pd.DataFrame:
    """Per court and filing month of the cases of ``outcome``: the mean outcome ``y``, the share
    routed simple ``d`` and the number of cases ``n`` (integer court ``g`` and month ``t`` ids)."""
    out = sample.outcomes[outcome]
    mask = out.mask & np.isfinite(out.values)
    frame = pd.DataFrame({"court": sample.frame["court"].to_numpy()[mask],
                          "t": sample.frame["month"].to_numpy()[mask],
                          "y": out.values[mask], "d": sample.routed[mask]})
    panel = frame.groupby(["court", "t"], sort=True).agg(y=("y", "mean"), d=("d", "mean"),
                                                         n=("y", "size")).reset_index()
    panel["g"] = panel["court"].astype("category").cat.codes.astype(int)
    panel["t"] = panel["t"] - panel["t"].min() + 1
    return panel


def did_multiplegt_rows(sample: RolloutSample, outcomes: list[str] | None = None, *, effects: int = 12,
                        placebo: int = 3) -> tuple[list[dict], dict[str, dict]]:
    """One tidy row per outcome (method ``did_multiplegt``, estimand ``per_routed_case``): the
    average total effect per unit of the routed share, with ``did_multiplegt``'s analytic
    standard error (clustered by court); and per outcome the placebo joint test."""
    from moderndid import did_multiplegt

    rows, diagnostics = [], {}
    for name in outcomes or [k for k, o in sample.outcomes.items() if o.kind != "duration"]:
        panel = court_month_panel(sample, name)
        switching = panel.groupby("g")["d"].max() > 0
        horizon = int(panel.loc[panel["d"] > 0].groupby("g")["t"].agg(lambda t: t.max() - t.min() + 1).min()) \
            if switching.any() else 0
        if horizon < 1 or switching.all():
            continue
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            res = did_multiplegt(panel, yname="y", tname="t", idname="g", dname="d", weightsname="n",
                                 effects=min(effects, horizon), placebo=placebo)
        ate = res.ate
        row = estimate_row(outcome=name, method="did_multiplegt", estimand="per_routed_case",
                           estimate=float(ate.estimate), std_error=float(ate.std_error),
                           ci=(float(ate.ci_lower), float(ate.ci_upper)), ci_method="court_clustered",
                           n=int(panel["n"].sum()))
        row.update(unit="risk_difference" if sample.outcomes[name].kind == "binary" else "days",
                   aggregation="average_total_effect")
        rows.append(row)
        joint = res.placebo_joint_test
        diagnostics[name] = {"horizons": min(effects, horizon), "courts": int(panel["g"].nunique()),
                             "switchers": int(switching.sum()),
                             "placebo_joint_p": float(joint["p_value"]) if isinstance(joint, dict) and "p_value" in joint
                             else (float(getattr(joint, "p_value", np.nan)) if joint is not None else np.nan)}
    return rows, diagnostics
