"""The journal's disk fails: full at start, full mid-run (freed again or not), read-only, not
writable by the training user. Training never stops, the run ends with its real status, and
every point is counted: delivered exactly once, or reported lost with its number.

The disks are real: small tmpfs mounts (root only; CI runs as root), one remounted read-only,
and a training process run as uid 65534 against a root-owned directory.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient
from support.faults import (
    KEYS,
    assert_every_step_once,
    fill,
    require_program,
    require_root,
    tmpfs,
)
from support.servers import free_port

import repro
from repro.record import RunRecord
from repro.tracking import journal as jr

JOURNAL_WARNING = "cannot write the journal"


def _record() -> RunRecord:
    return RunRecord.model_validate({"run": {"name": "disk"}})


def _log(run: repro.tracking.run.TrackedRun, steps: range) -> None:
    for step in steps:
        run.log_metrics({"a": float(step), "b": step * 2.0, "c": -1.0}, step=step)


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


def test_disk_full_at_start_training_goes_on_and_mlflow_gets_every_point(
    tracking_store: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="repro.tracking")
    with tmpfs(tmp_path / "journal", "64k") as journal:
        fill(journal)
        with repro.track(_record(), journal_dir=journal, capture=False) as run:
            _log(run, range(500))
        assert run.online and not run.run_id.startswith("local-")
        assert sorted(p.name for p in journal.iterdir()) == ["filler"]  # no 0-byte journal
    assert_every_step_once(tracking_store, run.run_id, range(500))
    assert MlflowClient(tracking_store).get_run(run.run_id).info.status == "FINISHED"
    assert repro.load_run(run.run_id) == run.record
    assert len(_warnings(caplog, JOURNAL_WARNING)) == 1
    assert repro.sync(journal_dir=tmp_path / "journal").runs == []


def test_disk_full_mid_run_then_freed_the_journal_catches_up_whole(
    tracking_store: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="repro.tracking")
    with tmpfs(tmp_path / "journal", "256k") as journal:
        with repro.track(_record(), journal_dir=journal, capture=False) as run:
            _log(run, range(200))
            filler = fill(journal)
            _log(run, range(200, 400))
            filler.unlink()
            _log(run, range(400, 600))
        retired = journal / jr.DONE_DIR / f"{run.local_id}.jsonl"
        state = jr.read_journal(retired)
    assert_every_step_once(tracking_store, run.run_id, range(600))
    assert MlflowClient(tracking_store).get_run(run.run_id).info.status == "FINISHED"
    # every entry reached the journal in order once there was room: nothing torn, nothing lost
    assert [m["s"] for m in state.metrics] == list(range(600))
    assert (state.bad_lines, state.torn_tail, state.gaps, state.done) == (0, False, [], True)
    assert len(_warnings(caplog, JOURNAL_WARNING)) == 1
    assert len(_warnings(caplog, "writable again")) == 1


def _offline_run_on_a_full_disk(
    offline: str, journal: Path, *, free_before_the_end: bool
) -> tuple[repro.tracking.run.TrackedRun, Path]:
    """300 steps with no server; the disk fills after step 100 (and is freed after 300)."""
    with repro.track(_record(), tracking_uri=offline, journal_dir=journal, capture=False) as run:
        _log(run, range(100))
        filler = fill(journal)
        _log(run, range(100, 300))
        if free_before_the_end:
            filler.unlink()
    return run, filler


def test_offline_run_disk_full_until_the_end_reports_the_exact_loss(
    tracking_store: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No server and no disk: what could not be kept anywhere is counted, the rest delivered."""
    caplog.set_level(logging.WARNING, logger="repro.tracking")
    offline = f"http://127.0.0.1:{free_port()}"
    with tmpfs(tmp_path / "journal", "256k") as journal:
        run, filler = _offline_run_on_a_full_disk(offline, journal, free_before_the_end=False)
        # The journal's last page may still take a few entries after the disk is full.
        kept = [m["s"] for m in jr.read_journal(journal / f"{run.local_id}.jsonl").metrics]
        assert kept == list(range(len(kept))) and 100 <= len(kept) < 300
        lost = _warnings(caplog, "they are lost")
        assert len(lost) == 1 and f" {300 - len(kept) + 1} journal entries" in lost[0]  # + close
        filler.unlink()
        report = repro.sync(tracking_uri=offline, journal_dir=journal, to=tracking_store)
    assert [(r.outcome, r.status) for r in report.runs] == [("synced", "killed")], report
    run_id = report.runs[0].run_id
    assert_every_step_once(tracking_store, run_id, kept)
    assert MlflowClient(tracking_store).get_run(run_id).info.status == "KILLED"


def test_offline_run_disk_full_then_freed_loses_nothing(
    tracking_store: str, tmp_path: Path
) -> None:
    offline = f"http://127.0.0.1:{free_port()}"
    with tmpfs(tmp_path / "journal", "256k") as journal:
        run, _ = _offline_run_on_a_full_disk(offline, journal, free_before_the_end=True)
        report = repro.sync(journal_dir=journal, to=tracking_store)
        again = repro.sync(journal_dir=journal, to=tracking_store)
    assert [(r.outcome, r.status) for r in report.runs] == [("synced", "finished")], report
    assert report.metrics_sent == 300 * len(KEYS) and report.undelivered == 0
    assert again.runs == []
    assert_every_step_once(tracking_store, report.runs[0].run_id, range(300))
    assert repro.load_run(report.runs[0].run_id) == run.record


def test_read_only_journal_directory(
    tracking_store: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="repro.tracking")
    with tmpfs(tmp_path / "journal", "256k", read_only=True) as journal:
        with repro.track(_record(), journal_dir=journal, capture=False) as run:
            _log(run, range(300))
        assert list(journal.iterdir()) == []
    warned = _warnings(caplog, JOURNAL_WARNING)
    assert len(warned) == 1 and "Read-only file system" in warned[0]
    assert_every_step_once(tracking_store, run.run_id, range(300))
    assert MlflowClient(tracking_store).get_run(run.run_id).info.status == "FINISHED"


UNPRIVILEGED = """
import repro
from repro.record import RunRecord
with repro.track(RunRecord.model_validate({"run": {"name": "nobody"}}), experiment="nobody",
                 capture=False) as run:
    for step in range(300):
        run.log_metrics({"a": float(step), "b": step * 2.0, "c": -1.0}, step=step)
print(run.run_id)
"""


def test_journal_directory_the_training_user_cannot_write(
    tracking_store: str, tmp_path: Path
) -> None:
    """EACCES, as for a job whose working directory belongs to someone else: the directory is
    another user's (0755) and the trainer runs without CAP_DAC_OVERRIDE (``setpriv``), so the
    kernel's permission check applies to it as to any user."""
    require_root("owning a directory as another user")
    setpriv = require_program("setpriv", "util-linux")
    closed = tmp_path / "journal"
    closed.mkdir(mode=0o755)
    os.chown(closed, 65534, 65534)
    done = subprocess.run(
        [
            setpriv,
            "--bounding-set",
            "-dac_override,-dac_read_search,-fowner",
            "--",
            sys.executable,
            "-c",
            UNPRIVILEGED,
        ],
        cwd=tmp_path,
        env={**os.environ, "MLFLOW_TRACKING_URI": tracking_store, "REPRO_JOURNAL_DIR": str(closed)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    warned = [line for line in done.stderr.splitlines() if JOURNAL_WARNING in line]
    assert len(warned) == 1 and "Permission denied" in warned[0], done.stderr
    run_id = done.stdout.split()[-1]
    assert_every_step_once(tracking_store, run_id, range(300))
    assert MlflowClient(tracking_store).get_run(run_id).info.status == "FINISHED"
    assert list(closed.iterdir()) == []
