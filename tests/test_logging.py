"""Logging: a logger per module under ``courtstudy``; warnings that change what a number means
reach the log (with a Chinese wording) and the notebook (through the notebook context)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from courtstudy.core import log


@pytest.fixture(autouse=True)
def _records_reach_caplog():
    """A notebook context elsewhere in the session may have stopped propagation (core.log)."""
    package = logging.getLogger("courtstudy")
    before = package.propagate
    package.propagate = True
    yield
    package.propagate = before


def test_modules_log_under_courtstudy():
    from courtstudy.indicators import engine
    from courtstudy.ingest import loading
    from courtstudy.studies.fasttrack import study as fasttrack
    from courtstudy.studies.triage import propensity, sample

    for module in (engine, loading, propensity, sample, fasttrack):
        assert module.logger.name == module.__name__
        assert module.logger.name.startswith("courtstudy.")


def test_propensity_that_does_not_converge_is_a_warning(caplog):
    from courtstudy.studies.triage.propensity import fit_propensity

    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3))
    t = (x[:, 0] + rng.normal(size=500) > 0).astype(float)
    with caplog.at_level(logging.WARNING, logger="courtstudy"):
        fit = fit_propensity(x, t, max_iter=1)
    assert not fit.converged
    record = next(r for r in caplog.records if r.name == "courtstudy.studies.triage.propensity")
    assert "did not converge" in record.getMessage() and "未收敛" in record.zh
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="courtstudy"):
        assert fit_propensity(x, t).converged
    assert not caplog.records


def test_collector_passes_warnings_in_both_languages():
    seen = []
    collector = log.collect(seen.append)
    try:
        log.warn(logging.getLogger("courtstudy.test"), "%d cohorts dropped", "剔除了 %d 个批次", 3)
        logging.getLogger("courtstudy.test").info("not a warning")
    finally:
        log.release(collector)
    assert collector.messages("zh") == ["剔除了 3 个批次"]
    assert collector.messages("en") == ["3 cohorts dropped"] and len(seen) == 1


def test_notebook_context_shows_and_records_warnings(tmp_path, monkeypatch, capsys):
    from courtstudy.report import notebook as nb
    from courtstudy.simulate import simulate_court
    from courtstudy.simulate.demo import courts_export
    from courtstudy.simulate.export import write_export

    monkeypatch.setenv("COURTSTUDY_PSEUDONYM_SALT", "test-salt")
    sim = simulate_court(scale=0.01)
    write_export(sim.cases, tmp_path / "cases.csv", bad_row_share=0.0, seed=3)
    courts_export(sim.courts).to_csv(tmp_path / "courts.csv", index=False, encoding="utf-8-sig")
    shown = []
    monkeypatch.setattr(nb, "_display_markdown", shown.append)
    monkeypatch.setattr(nb, "_in_kernel", lambda: True)
    ctx = nb.setup(data=str(tmp_path / "cases.csv"), courts=str(tmp_path / "courts.csv"),
                   output_dir=str(tmp_path / "out"), cache_dir=None, style=False)
    log.warn(logging.getLogger("courtstudy.studies.triage.propensity"),
             "propensity fit did not converge", "倾向得分模型未收敛")
    assert shown == ["**注意**：倾向得分模型未收敛"]  # the colon outside the bold (CommonMark)
    results = json.loads((ctx.output_dir / "results.json").read_text(encoding="utf-8"))
    assert results["warnings"] == ["倾向得分模型未收敛"]
    log.release(ctx.log)


@pytest.mark.parametrize("share, warned", [(0.0, False), (0.2, True)])
def test_loader_warns_when_many_rows_are_quarantined(tmp_path, caplog, share, warned):
    from courtstudy.ingest.loading import load_cases
    from courtstudy.simulate import simulate_court
    from courtstudy.simulate.export import write_export

    sim = simulate_court(scale=0.005)
    write_export(sim.cases, tmp_path / "cases.csv", bad_row_share=share, seed=3)
    with caplog.at_level(logging.INFO, logger="courtstudy"):
        load_cases(tmp_path / "cases.csv")
    levels = [r.levelno for r in caplog.records if r.name == "courtstudy.ingest.loading"]
    assert logging.INFO in levels
    assert (logging.WARNING in levels) == warned


def test_notebook_context_warnings_outside_a_kernel_go_to_stderr_and_stop_at_close(tmp_path, capsys):
    """A script (or a command run later in the same process) keeps stdout for its own output."""
    from courtstudy.report import notebook as nb
    from courtstudy.simulate import simulate_court
    from courtstudy.simulate.export import write_export

    write_export(simulate_court(scale=0.01).cases, tmp_path / "cases.csv", bad_row_share=0.0, seed=3)
    propensity = logging.getLogger("courtstudy.studies.triage.propensity")
    with nb.setup(data=str(tmp_path / "cases.csv"), cache_dir=None, style=False, lang="en") as ctx:
        capsys.readouterr()
        log.warn(propensity, "propensity fit did not converge", "倾向得分模型未收敛")
        printed = capsys.readouterr()
        assert printed.out == ""
        assert "Warning: propensity fit did not converge" in printed.err
    assert ctx.log not in logging.getLogger("courtstudy").handlers
    log.warn(propensity, "after close", "关闭之后")
    assert "after close" not in capsys.readouterr().out
    assert ctx.log.messages("en") == ["propensity fit did not converge"]
