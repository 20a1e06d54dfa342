"""`repro runs` as a reader and a script see it: run ids whole at 80 and 120 columns on a
terminal, and `--json` for scripts."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import EXAMPLE

from repro.cli import main


def log_runs(count: int) -> None:
    for _ in range(count):
        with pytest.raises(SystemExit) as done:
            main(["log", str(EXAMPLE), "--experiment", "adding"])
        assert done.value.code == 0


def on_terminal(args: list[str], columns: int, cwd: Path) -> str:
    """The command's output as a terminal of ``columns`` columns shows it (a real pty)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "repro", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed its side
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=60)
    os.close(leader)
    assert process.returncode == 0, process.stderr.read().decode()
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_runs_json_lists_every_run(tracking_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    log_runs(2)
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["runs", "--experiment", "adding", "--json"])
    assert done.value.code == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 2
    assert set(listed[0]) == {
        "run_id",
        "name",
        "status",
        "cells",
        "main_metric",
        "check",
        "started",
    }
    assert all(len(run["run_id"]) == 32 for run in listed)
    assert listed[0]["name"] == "lstm-adding-seed0"


@pytest.mark.parametrize("columns", [80, 120])
def test_run_ids_are_never_wrapped(tracking_store: str, tmp_path: Path, columns: int) -> None:
    log_runs(2)
    screen = on_terminal(["runs", "--experiment", "adding"], columns, tmp_path)
    from mlflow import MlflowClient

    ids = [r.info.run_id for r in MlflowClient(tracking_store).search_runs(["1"])]
    assert len(ids) == 2
    for run_id in ids:
        assert any(run_id in line for line in screen.splitlines()), (run_id, screen)
