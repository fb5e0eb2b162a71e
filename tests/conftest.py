"""Shared fixtures: one local Spark session for the tests marked ``spark``, and a clean
``courtstudy`` logger after each test."""

from __future__ import annotations

import logging
import os
import shutil

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
