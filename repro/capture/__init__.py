"""Capture from a live PyTorch process: architecture, training settings, data, environment, git,
seeds, and what a run does while it trains (:mod:`repro.capture.session` puts them together for
``repro.track``).

Nothing here imports torch at package import time; each module imports it only where needed,
and :mod:`repro.capture.redact` never does.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it (imported on first use, so torch loads only when needed)
_LAZY = {
    "capture_architecture": "repro.capture.architecture",
    "describe_architecture": "repro.capture.architecture",
    "capture_config": "repro.capture.config",
    "capture_data": "repro.capture.data",
    "capture_distributed": "repro.capture.distributed",
    "capture_dropout": "repro.capture.regularisation",
    "check_default_init": "repro.capture.initialisation",
    "observed_precision": "repro.capture.precision",
    "parameter_dtypes": "repro.capture.precision",
    "imported_packages": "repro.capture.environment",
    "capture_git_diff": "repro.capture.provenance",
    "repro_written_paths": "repro.capture.provenance",
    "last_seeds": "repro.capture.seeds",
    "CaptureSession": "repro.capture.session",
    "Observer": "repro.capture.observer",
    "EmissionsMeter": "repro.capture.emissions",
    "capture_optimizer": "repro.capture.training",
    "capture_lr_schedule": "repro.capture.training",
    "capture_initialisation": "repro.capture.training",
    "capture_dataset": "repro.capture.training",
    "dataset_sha256": "repro.capture.training",
    "capture_environment": "repro.capture.environment",
    "capture_provenance": "repro.capture.provenance",
    "capture_git": "repro.capture.provenance",
    "seed_everything": "repro.capture.seeds",
    "redact_argv": "repro.capture.redact",
    "redact_url": "repro.capture.redact",
    "redact_value": "repro.capture.redact",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'repro.capture' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
