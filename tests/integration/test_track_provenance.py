"""Provenance that does not lie: what repro and MLflow write never makes a tree dirty, and a
dirty run stores its diff (credentials redacted) so it can be rebuilt."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mlflow import MlflowClient
from torch import nn

import repro


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def tracked_run() -> repro.TrackedRun:
    model = nn.GRU(2, 3)
    with repro.track(model, name="provenance") as run:
        run.log_metrics({"loss": 1.0}, step=0)
    return run


def diff_artifact(store: str, run_id: str, tmp_path: Path) -> str:
    local = MlflowClient(store).download_artifacts(run_id, "repro/git.diff", str(tmp_path))
    return Path(local).read_text()


def test_default_store_and_journal_never_count_as_dirty(
    tracking_store: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # a fresh repository whose .gitignore knows nothing of repro or MLflow
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".gitignore").write_text("__pycache__/\n")
    (tmp_path / "train.py").write_text("print('train')\n")
    git(tmp_path, "add", ".gitignore", "train.py")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "c")

    for _ in range(2):  # the second run finds the store, its lock, the journal and artifacts
        run = tracked_run()
        info = run.record.provenance.git
        assert info is not None and info.dirty is False, git(tmp_path, "status", "--short")
        assert info.diff_sha256 is None and info.diff_artifact is None
    untracked = git(tmp_path, "status", "--short", "--untracked-files=all")
    assert "mlflow.db" in untracked and ".repro/" in untracked  # they are there, and ignored

    # a real edit is dirty, and the diff itself is stored with the run
    (tmp_path / "train.py").write_text("print('train, changed')\n")
    run = tracked_run()
    info = run.record.provenance.git
    assert info.dirty is True and info.diff_artifact == "repro/git.diff"
    outside = tmp_path_factory.mktemp("artifacts")
    text = diff_artifact(tracking_store, run.run_id, outside / "first")
    assert "+print('train, changed')" in text and "mlflow.db" not in text
    (outside / "patch.diff").write_text(text)
    git(tmp_path, "apply", "--check", "-R", str(outside / "patch.diff"))  # exactly the change
    assert MlflowClient(tracking_store).get_run(run.run_id).data.tags["repro.git.dirty"] == "true"

    # a new source file is part of the diff too, with credentials in it masked
    (tmp_path / "config.py").write_text("URL = 'https://bob:hunter2@data.example.org/x'\n")
    run = tracked_run()
    text = diff_artifact(tracking_store, run.run_id, outside / "second")
    assert "config.py" in text and "hunter2" not in text and "***" in text
    assert run.record.provenance.git.diff_omitted == []
