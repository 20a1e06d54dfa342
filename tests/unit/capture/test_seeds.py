"""seed_everything: every generator reproduces after reseeding, and the record says so."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
import torch

import repro
from repro import InvalidInputError
from repro.capture.seeds import seed_everything


@pytest.fixture
def restore_determinism(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo global torch/env changes so other tests see the defaults."""
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    before = (
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    yield
    torch.use_deterministic_algorithms(before[0])
    torch.backends.cudnn.deterministic = before[1]
    torch.backends.cudnn.benchmark = before[2]


def _draws() -> tuple[float, float, list[float]]:
    return random.random(), float(np.random.rand()), torch.rand(3).tolist()


def test_every_generator_repeats(restore_determinism: None) -> None:
    seeds = seed_everything(1234)
    assert os.environ["PYTHONHASHSEED"] == "1234"
    first = _draws()
    seed_everything(1234)
    assert _draws() == first
    seed_everything(1235)
    assert _draws() != first
    assert seeds.python == seeds.numpy == seeds.torch == 1234
    assert seeds.cuda == (1234 if torch.cuda.is_available() else None)
    assert torch.are_deterministic_algorithms_enabled() is False


def test_child_processes_get_the_hash_seed(restore_determinism: None) -> None:
    seed_everything(7)
    code = "print(hash('repro'))"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout}
    runs.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
    assert len(runs) == 1


def test_deterministic_mode(restore_determinism: None) -> None:
    repro.seed_everything(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled() is True
    assert torch.backends.cudnn.deterministic is True
    assert torch.backends.cudnn.benchmark is False
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    env = repro.capture_environment()
    assert env.determinism is not None
    assert env.determinism.use_deterministic_algorithms is True
    assert env.determinism.cublas_workspace_config == ":4096:8"


def test_existing_cublas_setting_is_kept(
    restore_determinism: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    seed_everything(0, deterministic=True)
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "3", True])
def test_bad_seeds_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInputError, match=r"seed must be an integer"):
        seed_everything(bad)  # type: ignore[arg-type]
