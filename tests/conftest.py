"""Shared fixtures."""

from __future__ import annotations

import logging

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
