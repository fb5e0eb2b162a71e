"""Logging: one logger per module under ``courtstudy``, and warnings that reach the reader.

Every module logs through the standard library: ``logger = logging.getLogger(__name__)`` gives
``courtstudy.ingest.loading``, ``courtstudy.indicators.engine``, ``courtstudy.studies.triage
.propensity`` ... The package adds no handler of its own beyond a ``NullHandler`` (library
practice): an application, the command line or an edition decides where records go.

Warnings that change what a number means (a propensity fit that did not converge, filing
cohorts or courts left out of an estimate, rows quarantined) are logged at WARNING with
:func:`warn`, which carries a Chinese message beside the English one (``record.zh``) so that a
Chinese report can show it in Chinese. :class:`WarningCollector` gathers them; the notebook
context attaches one (:func:`collect`) so that each warning appears in the notebook where it
happened and is listed in ``results.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

ROOT = "courtstudy"


def warn(logger: logging.Logger, en: str, zh: str | None = None, *args) -> None:
    """Log a warning in English (``en % args``) with its Chinese wording attached."""
    logger.warning(en, *args, extra={"zh": (zh % args) if (zh and args) else zh})


@dataclass(frozen=True)
class LoggedWarning:
    """One warning as a reader sees it."""

    logger: str
    en: str
    zh: str | None

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" and self.zh else self.en


class WarningCollector(logging.Handler):
    """A handler that keeps the warnings of the ``courtstudy`` loggers (and passes each to
    ``on_warning`` as it arrives)."""

    def __init__(self, on_warning: Callable[[LoggedWarning], None] | None = None,
                 level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.warnings: list[LoggedWarning] = []
        self._on_warning = on_warning

    def emit(self, record: logging.LogRecord) -> None:
        item = LoggedWarning(record.name, record.getMessage(), getattr(record, "zh", None))
        self.warnings.append(item)
        if self._on_warning is not None:
            self._on_warning(item)

    def messages(self, lang: str = "zh") -> list[str]:
        return [w.text(lang) for w in self.warnings]


def collect(on_warning: Callable[[LoggedWarning], None] | None = None,
            level: int = logging.WARNING, propagate: bool = False) -> WarningCollector:
    """Attach a :class:`WarningCollector` to the ``courtstudy`` logger (replacing one attached
    before, so that re-running a notebook's setup cell does not show warnings twice).

    ``propagate=False`` keeps the package's records from the root logger's handlers while the
    collector shows them (libraries that call ``logging.basicConfig`` would otherwise print
    each warning a second time, to stderr, in the report); handlers attached to the
    ``courtstudy`` logger itself (an edition's log file) still get every record."""
    package = logging.getLogger(ROOT)
    for handler in list(package.handlers):
        if isinstance(handler, WarningCollector):
            package.removeHandler(handler)
    collector = WarningCollector(on_warning, level)
    package.addHandler(collector)
    package.propagate = propagate
    if package.getEffectiveLevel() > level:
        package.setLevel(level)
    return collector


def release(collector: WarningCollector) -> None:
    """Detach a collector (and let records reach the root logger again)."""
    package = logging.getLogger(ROOT)
    package.removeHandler(collector)
    package.propagate = True
