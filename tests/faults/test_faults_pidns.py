"""A `repro sync` side-car in another PID namespace beside a live run (as in one pod with two
containers): the journal's pid means another process there, so only the writer's lock can tell
that the run lives. Sync must leave it alone while it lives, deliver it exactly once when it
dies, and keep delivering entries that arrive after a journal was retired anyway.

The namespaces are real (``unshare --pid --fork --mount-proc``, root only; CI runs as root).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient
from support.faults import (
    KEYS,
    assert_every_step_once,
    require_program,
    require_root,
    start_trainer,
)
from support.servers import free_port

import repro
from repro.tracking import journal as jr


def sidecar_sync(journal: Path, uri: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``repro sync`` as PID 1 of a fresh PID namespace with its own /proc."""
    require_root("unshare --pid")
    unshare = require_program("unshare", "util-linux")
    script = f'echo "pid $$"; exec "{sys.executable}" -m repro sync --journal-dir "{journal}"'
    done = subprocess.run(
        [unshare, "--pid", "--fork", "--mount-proc", "sh", "-c", script],
        cwd=cwd,
        env={**os.environ, "MLFLOW_TRACKING_URI": uri},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.stderr.startswith("unshare:"):
        pytest.fail(f"unshare failed: {done.stderr.strip()}")
    assert done.stdout.splitlines()[0] == "pid 1", done.stdout  # really another namespace
    return done


def _ids(trainer: subprocess.Popen[str]) -> tuple[str, str]:
    assert trainer.stdout is not None
    line = trainer.stdout.readline().split()
    assert len(line) == 2, trainer.stderr.read() if trainer.stderr else line
    return line[0], line[1]


def _wait_for(trainer: subprocess.Popen[str], word: str) -> None:
    assert trainer.stdout is not None
    for line in trainer.stdout:
        if line.startswith(word):
            return
    raise AssertionError(f"the trainer ended before {word!r}: {trainer.stderr.read()}")  # type: ignore[union-attr]


def test_sidecar_in_another_pid_namespace_leaves_a_live_run_alone(
    tracking_store: str, tmp_path: Path
) -> None:
    journal = tmp_path / ".repro" / "journal"
    trainer = start_trainer(
        tmp_path, {"MLFLOW_TRACKING_URI": tracking_store, "STEPS": "4000", "PAUSE": "0.002"}
    )
    try:
        run_id, local_id = _ids(trainer)
        during = []  # side-car runs that began and ended while the trainer was running
        while trainer.poll() is None and len(during) < 3:
            done = sidecar_sync(journal, tracking_store, tmp_path)
            assert done.returncode == 0, done.stderr
            assert "killed" not in done.stdout, done.stdout
            if trainer.poll() is None:
                during.append(done)
        assert during, "the trainer finished before a side-car could run beside it"
        for done in during:
            assert f"live        {local_id}" in done.stdout, done.stdout
            assert "0 runs synced" in done.stdout
        assert trainer.wait(timeout=300) == 0, trainer.stderr.read()  # type: ignore[union-attr]
    finally:
        if trainer.poll() is None:
            trainer.kill()
    assert_every_step_once(tracking_store, run_id, range(4000))  # 12,000 points, each once
    assert MlflowClient(tracking_store).get_run(run_id).info.status == "FINISHED"
    assert (journal / jr.DONE_DIR / f"{local_id}.jsonl").exists()
    after = sidecar_sync(journal, tracking_store, tmp_path)
    assert after.returncode == 0 and "0 runs synced" in after.stdout
    assert_every_step_once(tracking_store, run_id, range(4000))


def test_sidecar_delivers_a_killed_run_exactly_once(tracking_store: str, tmp_path: Path) -> None:
    journal = tmp_path / ".repro" / "journal"
    trainer = start_trainer(
        tmp_path, {"MLFLOW_TRACKING_URI": tracking_store, "STEPS": "2000", "HANG": "1"}
    )
    try:
        run_id, local_id = _ids(trainer)
        _wait_for(trainer, "hanging")
        live = sidecar_sync(journal, tracking_store, tmp_path)
        assert f"live        {local_id}" in live.stdout, live.stdout
    finally:
        trainer.send_signal(signal.SIGKILL)
        trainer.wait(timeout=60)
    done = sidecar_sync(journal, tracking_store, tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"synced      {local_id} -> {run_id} [killed]" in done.stdout, done.stdout
    assert_every_step_once(tracking_store, run_id, range(2000))
    assert MlflowClient(tracking_store).get_run(run_id).info.status == "KILLED"


def test_entries_arriving_after_a_retirement_are_delivered(
    tracking_store: str, tmp_path: Path
) -> None:
    """The journal of a live run is moved to done/ (by hand, or by an older sync that judged
    the run dead); the run goes on writing there. The next sync takes it up again."""
    journal = tmp_path / ".repro" / "journal"
    offline = f"http://127.0.0.1:{free_port()}"
    trainer = start_trainer(
        tmp_path,
        {"MLFLOW_TRACKING_URI": offline, "STEPS": "3000", "PAUSE": "0.0005", "SIGNAL_AT": "500"},
    )
    try:
        _, local_id = _ids(trainer)
        _wait_for(trainer, "reached")
        jr.retire(journal / f"{local_id}.jsonl")  # while the trainer writes on
        assert trainer.wait(timeout=300) == 0, trainer.stderr.read()  # type: ignore[union-attr]
    finally:
        if trainer.poll() is None:
            trainer.kill()
    assert not (journal / f"{local_id}.jsonl").exists()
    report = repro.sync(tracking_uri=offline, journal_dir=journal, to=tracking_store)
    assert [(r.local_id, r.outcome, r.status) for r in report.runs] == [
        (local_id, "synced", "finished")
    ], report
    assert report.metrics_sent == 3000 * len(KEYS)
    assert_every_step_once(tracking_store, report.runs[0].run_id, range(3000))
    again = repro.sync(journal_dir=journal, to=tracking_store)
    assert again.runs == [] and again.metrics_sent == 0
