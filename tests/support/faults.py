"""Real faults for tests/faults/test_faults_*.py: small tmpfs mounts, read-only mounts, PID
namespaces, processes killed mid-run, and helpers that count what reached MLflow.

Each facility is the real thing (``mount -t tmpfs``, ``unshare --pid``, ``tmux``); when one is
missing the test that needs it fails with what to install or run, never skips: CI runs these as
root on the same kind of machine (see .ci/run).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def require_root(what: str) -> None:
    """Fail (not skip) when the test is not root: the fault needs a root-only facility."""
    if os.geteuid() != 0:
        pytest.fail(f"{what} needs root (CI runs the suite as root); run the tests as root")


def require_program(name: str, package: str) -> str:
    """The path of ``name``; fail with the package to install when it is missing."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is missing; install it (apt-get install {package}); .ci/run does")
    return found


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "256k", *, read_only: bool = False) -> Iterator[Path]:
    """A real tmpfs of ``size`` mounted on ``path`` for the duration of the block."""
    require_root("mounting a tmpfs")
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0777" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs on {path}: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def remount(path: Path, options: str) -> None:
    """Remount a tmpfs made by :func:`tmpfs` (e.g. ``ro`` or ``rw``)."""
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def fill(directory: Path) -> Path:
    """Fill the file system holding ``directory`` to the last byte; returns the filler file."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for size in (65536, 4096, 512, 64, 1):
            block = b"\0" * size
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, block)
    finally:
        os.close(fd)
    assert_full(directory)
    return filler


def assert_full(directory: Path) -> None:
    probe = directory / ".probe"
    try:
        with probe.open("wb") as handle:
            handle.write(b"x" * 8192)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        return
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    raise AssertionError(f"{directory} is not full")


def points(uri: str, run_id: str, key: str) -> list[tuple[int, float]]:
    """(step, value) of every point MLflow holds for ``key``, sorted (duplicates kept)."""
    from mlflow import MlflowClient

    return sorted((m.step, m.value) for m in MlflowClient(uri).get_metric_history(run_id, key))


def journal_lines(path: Path) -> list[dict[str, Any]]:
    """The parseable entries of a journal file."""
    out = []
    for line in path.read_bytes().splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                out.append(entry)
    return out


def repro_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120):
    """Run the console script ``python -m repro`` as a user would; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "repro", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


TRAINER = textwrap.dedent(
    """
    import os, sys, time
    import repro
    from repro.record import RunRecord

    steps = int(os.environ["STEPS"])
    pause = float(os.environ.get("PAUSE", "0"))
    record = RunRecord.model_validate({"run": {"name": "trainer"}})
    with repro.track(record, experiment="faults", capture=False) as run:
        print(run.run_id, run.local_id, flush=True)
        for step in range(steps):
            run.log_metrics({"a": float(step), "b": step * 2.0, "c": -1.0}, step=step)
            if step == int(os.environ.get("SIGNAL_AT", "-1")):
                print("reached", step, flush=True)
            if pause:
                time.sleep(pause)
        if os.environ.get("HANG"):
            print("hanging", flush=True)
            while True:
                time.sleep(1)
    print("done", flush=True)
    """
)
KEYS = ("a", "b", "c")


def start_trainer(cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """A training process logging STEPS steps of three metrics ``a``, ``b``, ``c``."""
    return subprocess.Popen(
        [sys.executable, "-c", TRAINER],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_every_step_once(uri: str, run_id: str, steps: range | list[int]) -> None:
    """Each of the trainer's keys holds exactly one point per step, with its value."""
    expected = list(steps)
    for key in KEYS:
        got = points(uri, run_id, key)
        assert [s for s, _ in got] == expected, (
            f"{key}: {len(got)} points for {len(expected)} steps; "
            f"missing {sorted(set(expected) - {s for s, _ in got})[:10]}"
        )
        value = {"a": float, "b": lambda s: s * 2.0, "c": lambda s: -1.0}[key]
        assert all(v == value(s) for s, v in got), key
