"""Shared fixtures: one local Spark session for the tests marked ``spark``, a clean
``courtstudy`` logger after each test, and small zh editions of the synthetic court for the
report tests."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _release_warning_collectors():
    """Detach the warning collector a test's ``nb.setup`` attached, as the end of a kernel would:
    otherwise it keeps showing the package's warnings in every later test of the session."""
    yield
    from courtstudy.core import log

    package = logging.getLogger(log.ROOT)
    for handler in list(package.handlers):
        if isinstance(handler, log.WarningCollector):
            log.release(handler)


@pytest.fixture(scope="session")
def spark():
    """A local Spark session (local[2], bound to loopback), shared by every Spark test."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17: apt-get install openjdk-17-jre-headless")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("courtstudy-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def small_edition(tmp_path_factory):
    """Build a small zh edition (2023Q4) of the given notebooks from a 3% synthetic court
    exported with planted bad rows: ``small_edition(name, "01,02", params=TOML)`` -> its folder.
    The report tests each build the notebooks they read, the same way."""

    def build(name: str, notebooks: str, params: str | None = None) -> Path:
        from courtstudy.report.edition import run_edition
        from courtstudy.simulate import simulate_court
        from courtstudy.simulate.demo import courts_export
        from courtstudy.simulate.export import write_export

        folder = tmp_path_factory.mktemp(name)
        sim = simulate_court(scale=0.03)
        write_export(sim.cases, folder / "cases.csv", bad_row_share=0.005, seed=5)
        courts_export(sim.courts).to_csv(folder / "courts.csv", index=False, encoding="utf-8-sig")
        params_file = None
        if params:
            params_file = folder / "params.toml"
            params_file.write_text(params, encoding="utf-8")
        result = run_edition(name, data=str(folder / "cases.csv"), courts=str(folder / "courts.csv"),
                             period="2023Q4", lang="zh", notebooks=notebooks, params_file=params_file,
                             reports_folder=folder / "reports", progress_bar=False, log=lambda line: None)
        assert result.status == "complete", result.manifest["notebooks"]
        return result.path

    return build
