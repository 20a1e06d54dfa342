"""Seed every random source of a PyTorch run in one call, and record what was seeded."""

from __future__ import annotations

import os
import random

from repro.errors import InvalidInputError
from repro.record import Seeds

# cuBLAS needs a fixed workspace for deterministic results on CUDA >= 10.2.
CUBLAS_WORKSPACE_CONFIG = ":4096:8"
_MAX_SEED = 2**32 - 1  # numpy's limit; torch accepts more, but one seed must fit all
_last: Seeds | None = None  # what the latest seed_everything seeded (repro.track records it)


def last_seeds() -> Seeds | None:
    """A copy of the seeds the latest :func:`seed_everything` set in this process, or None."""
    return None if _last is None else _last.model_copy(deep=True)


def seed_everything(seed: int, deterministic: bool = False) -> Seeds:
    """Seed Python's ``random``, numpy (when installed), torch's CPU and CUDA generators, and
    set ``PYTHONHASHSEED`` for child processes (this interpreter's hashing is fixed at start).

    With ``deterministic=True`` also turn on ``torch.use_deterministic_algorithms``, set cuDNN
    to deterministic without benchmarking, and set ``CUBLAS_WORKSPACE_CONFIG`` to
    ``:4096:8`` unless already set. Returns the :class:`Seeds` record of the sources seeded,
    which ``repro.track`` records.
    """
    global _last
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
        raise InvalidInputError(
            f"seed_everything: seed must be an integer in [0, 2**32 - 1], got {seed!r}."
        )
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    seeds = Seeds(python=seed)
    try:
        import numpy as np
    except ImportError:
        pass
    else:
        np.random.seed(seed)
        seeds.numpy = seed
    try:
        import torch
    except ImportError:
        if deterministic:
            raise InvalidInputError(
                "seed_everything: deterministic=True needs torch, which is not installed."
            ) from None
        _last = seeds.model_copy()
        return seeds
    torch.manual_seed(seed)  # seeds the CPU generator and every CUDA device's
    seeds.torch = seed
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
        seeds.cuda = seed
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE_CONFIG)
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    _last = seeds.model_copy()
    return seeds
