"""repro: typed records of RNN training runs, tracked in MLflow, rendered for papers.

Heavy parts (torch, mlflow, matplotlib) load only when the name that needs them is used, so
``import repro`` and the ``validate``/``check`` commands stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from repro.errors import InvalidInputError, ReproError, UsageError
from repro.files.records import load_contributors, load_record, save_record
from repro.record import SCHEMA_VERSION, Contributor, Contributors, RunRecord

__version__ = "0.1.0"

# public name -> module that defines it (imported on first use)
_LAZY = {
    "capture_architecture": "repro.capture.architecture",
    "capture_environment": "repro.capture.environment",
    "capture_provenance": "repro.capture.provenance",
    "seed_everything": "repro.capture.seeds",
    "track": "repro.tracking.run",
    "TrackedRun": "repro.tracking.run",
    "load_run": "repro.tracking.load",
    "sync": "repro.tracking.sync",
    "render": "repro.rendering.api",
    "FORMATS": "repro.rendering.api",
    "check": "repro.checks.engine",
}

__all__ = [
    "SCHEMA_VERSION",
    "Contributor",
    "Contributors",
    "InvalidInputError",
    "ReproError",
    "RunRecord",
    "UsageError",
    "__version__",
    "load_contributors",
    "load_record",
    "save_record",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'repro' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
