"""Published results reproduced offline with courtstudy's own estimators (domain.md section 5).

Tolerances: point estimates to 1e-3 absolute or better; analytic standard errors to 1e-3
relative; a published interval printed with two decimals is matched to 0.005.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from courtstudy.studies.triage import estimators as est
from courtstudy.studies.triage.propensity import fit_propensity
from courtstudy.studies.triage.rd import rd_estimate
from courtstudy.studies.triage.survival import cox_model

DATA = Path(__file__).parent / "data"


def _nhefs_design(d: pd.DataFrame) -> np.ndarray:
    """Hernan & Robins, What If, Program 12.2: sex, race, age, age^2, education (categorical),
    smokeintensity and its square, smokeyrs and its square, exercise (cat), active (cat),
    wt71 and its square."""
    x = pd.DataFrame({"sex": d["sex"], "race": d["race"], "age": d["age"], "age2": d["age"] ** 2,
                      "si": d["smokeintensity"], "si2": d["smokeintensity"] ** 2,
                      "sy": d["smokeyrs"], "sy2": d["smokeyrs"] ** 2, "wt71": d["wt71"], "wt712": d["wt71"] ** 2})
    for col in ("education", "exercise", "active"):
        x = x.join(pd.get_dummies(d[col].astype(int), prefix=col, drop_first=True))
    return x.astype(float).to_numpy()


def test_nhefs_ipw_program_12_2():
    nhefs = pytest.importorskip("causaldata").nhefs_complete.load_pandas().data
    assert len(nhefs) == 1566
    x = _nhefs_design(nhefs)
    t = nhefs["qsmk"].to_numpy(float)
    y = nhefs["wt82_71"].to_numpy(float)
    ps = fit_propensity(x, t)
    assert ps.converged
    r = est.ipw(y, t, ps, estimand="ATE", variance="robust")
    low, high = r.estimate - 1.959964 * r.std_error, r.estimate + 1.959964 * r.std_error
    # Published: 3.44 kg (95% CI 2.41 to 4.47). R geeglm prints 3.4405 (robust SE 0.5255).
    assert r.estimate == pytest.approx(3.4405, abs=1e-3)
    assert round(low, 2) == pytest.approx(2.41, abs=0.005)
    assert round(high, 2) == pytest.approx(4.47, abs=0.005)
    # Accounting for the estimated propensity can only shrink the variance of this Hajek ATE here.
    r_if = est.ipw(y, t, ps, estimand="ATE", variance="influence")
    assert r_if.estimate == r.estimate
    assert r_if.std_error < r.std_error


def test_nsw_experimental_and_cps_naive():
    cd = pytest.importorskip("causaldata")
    nsw = cd.nsw_mixtape.load_pandas().data
    cps = cd.cps_mixtape.load_pandas().data
    exp = est.raw_difference(nsw["re78"].to_numpy(float), nsw["treat"].to_numpy(float))
    assert exp.estimate == pytest.approx(1794.34, abs=1e-2)
    treated = nsw[nsw["treat"] == 1]
    y = np.r_[treated["re78"].to_numpy(float), cps["re78"].to_numpy(float)]
    t = np.r_[np.ones(len(treated)), np.zeros(len(cps))]
    naive = est.raw_difference(y, t)
    assert naive.estimate == pytest.approx(-8497.5, abs=0.05)


def test_rossi_cox_efron():
    rossi = pd.read_csv(DATA / "rossi.csv", encoding="utf-8")
    assert rossi.shape == (432, 9)
    covs = rossi[["fin", "age", "race", "wexp", "mar", "paro", "prio"]]
    res = cox_model(rossi["week"].to_numpy(), rossi["arrest"].to_numpy(), covs, treatment="fin")
    coefs = res.diagnostics["coefficients"].set_index("term")
    # Fox & Weisberg: fin -0.37942 (se 0.19138); LR test 33.27 on 7 df.
    assert coefs.loc["fin", "coef"] == pytest.approx(-0.37942, abs=1e-5)
    assert coefs.loc["fin", "std_error"] == pytest.approx(0.19138, rel=1e-3)
    assert coefs.loc["prio", "coef"] == pytest.approx(0.09150, abs=1e-4)
    assert res.diagnostics["lr_test"]["statistic"] == pytest.approx(33.27, abs=5e-3)
    assert res.diagnostics["lr_test"]["df"] == 7
    row = res.tidy().iloc[0]
    assert row["estimand"] == "HR"
    assert row["estimate"] == pytest.approx(np.exp(-0.37942), abs=1e-4)


def test_rdrobust_senate():
    import rdrobust

    senate = pd.read_csv(Path(rdrobust.__file__).parent / "data" / "rdrobust_RDsenate.csv", encoding="utf-8")
    res = rd_estimate(senate["vote"].to_numpy(), senate["margin"].to_numpy(), outcome="vote")
    row = res.tidy().iloc[0]
    # rdrobust(vote, margin): 7.414 (SE 1.459), robust CI [4.094, 10.919], h = 17.754.
    assert row["estimate"] == pytest.approx(7.414, abs=1e-3)
    assert row["std_error"] == pytest.approx(1.459, rel=1e-3)
    assert row["ci_low"] == pytest.approx(4.094, abs=1e-3)
    assert row["ci_high"] == pytest.approx(10.919, abs=1e-3)
    assert row["ci_method"] == "rbc"
    assert res.diagnostics["h_left"] == pytest.approx(17.754, abs=1e-3)
    assert row["estimand"] == "LATE"
