"""courtstudy: trial quality and efficiency indicators and causal studies of court reforms.

The public API is imported lazily so that ``import courtstudy`` stays fast.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

# A library adds no handler of its own: applications decide where records go (core.log).
logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "load_cases": "courtstudy.ingest.loading",
    "load_courts": "courtstudy.ingest.loading",
    "simulate_court": "courtstudy.simulate",
    "EffectResult": "courtstudy.studies.results",
    "StructuralError": "courtstudy.core.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'courtstudy' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
