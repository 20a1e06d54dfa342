"""Tracking stores that are missing, wrong or hung: read-only commands never create one, every
scheme fails with one line (exit 2), and a server that hangs mid-run makes the run's exit say
so and stop waiting, with every point delivered by the next sync.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
from pathlib import Path

import pytest
from support.faults import assert_every_step_once, repro_cli
from support.paths import EXAMPLE
from support.servers import MlflowServer

import repro
import repro.tracking.run as tracked
from repro.cli import main
from repro.record import RunRecord


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.mark.parametrize(
    "args",
    [["runs"], ["export", "a" * 32], ["card", "runs:/" + "b" * 32], ["check", "c" * 32]],
    ids=lambda a: a[0],
)
def test_read_only_commands_never_create_a_store(
    args: list[str], tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    code, out, err = cli(capsys, *args)
    assert (code, out) == (2, "")
    assert err == (
        f"repro: error: no MLflow tracking store at sqlite:///{tmp_path}/mlflow.db "
        f"({tmp_path}/mlflow.db does not exist; nothing has been logged there); pass "
        "--tracking-uri / MLFLOW_TRACKING_URI naming the store your runs are in\n"
    )
    for uri in (f"sqlite:///{tmp_path}/sub/dir/x.db", str(tmp_path / "mlruns")):
        code, _, err = cli(capsys, *args, "--tracking-uri", uri)
        assert code == 2 and "no MLflow tracking store at" in err
    assert list(tmp_path.iterdir()) == []


def test_wrong_stores_fail_with_one_line(tmp_path: Path, capsys) -> None:
    not_db = tmp_path / "notes.db"
    not_db.write_text("hello")
    read, write = ["runs"], ["log", str(EXAMPLE)]
    cases = [
        (
            "foo://x",
            [read, write],
            "foo://x: MLflow has no tracking store for the URI scheme 'foo'",
        ),
        (f"sqlite:///{tmp_path}", [read, write], f"({tmp_path} is a directory, not a SQLite"),
        (f"sqlite:///{not_db}", [read, write], f"({not_db} is not a SQLite database)"),
        (f"sqlite:///{not_db}/x.db", [write], f"({not_db} is not a directory)"),
        (f"sqlite:///{not_db}/x.db", [read], f"({not_db}/x.db does not exist; nothing has"),
    ]
    for uri, commands, message in cases:
        for command in commands:
            code, out, err = cli(capsys, *command, "--tracking-uri", uri)
            assert (code, out) == (2, ""), (uri, command, err)
            assert message in err and err.count("\n") == 1, (uri, err)
    assert not_db.read_text() == "hello"


def _stop(server: MlflowServer) -> None:
    os.killpg(server._process.pid, signal.SIGSTOP)  # type: ignore[union-attr]


def _resume(server: MlflowServer) -> None:
    os.killpg(server._process.pid, signal.SIGCONT)  # type: ignore[union-attr]


@pytest.mark.server
@pytest.mark.postgres
def test_a_hung_server(
    own_mlflow_server: MlflowServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server stops answering (SIGSTOP: connections are accepted, nothing comes back)."""
    server = own_mlflow_server
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tracked, "STALL_TIMEOUT_S", 3.0)  # 60 s by default
    monkeypatch.setattr(tracked, "NOTICE_AFTER_S", 1.0)  # 5 s by default
    caplog.set_level(logging.WARNING, logger="repro.tracking")
    journal = tmp_path / "journal"
    record = RunRecord.model_validate({"run": {"name": "hung"}})
    try:
        with repro.track(
            record, tracking_uri=server.url, journal_dir=journal, capture=False
        ) as run:
            for step in range(300):
                if step == 150:
                    _stop(server)
                run.log_metrics({"a": float(step), "b": step * 2.0, "c": -1.0}, step=step)
        messages = [r.getMessage() for r in caplog.records]
        waiting = [m for m in messages if "waiting for the tracking store" in m]
        assert len(waiting) == 1 and f"at {server.url} to accept" in waiting[0]
        assert any("metrics not all delivered" in m for m in messages), messages
        done = repro_cli("runs", "--tracking-uri", server.url, cwd=tmp_path, timeout=60)
        assert done.returncode == 2 and "no answer in time" in done.stderr
        assert done.stderr.count("\n") == 1
    finally:
        _resume(server)
    server.wait_healthy(120)  # the server catches up with what queued while it was stopped
    report = repro.sync(tracking_uri=server.url, journal_dir=journal)
    assert [(r.outcome, r.status) for r in report.runs] == [("synced", "finished")], report
    assert_every_step_once(server.url, run.run_id, range(300))
    again = repro.sync(tracking_uri=server.url, journal_dir=journal)
    assert again.runs == [] and again.metrics_sent == 0


def test_a_real_store_passes_the_checks(tracking_store: str, capsys) -> None:
    """The checks refuse what MLflow would refuse, nothing more: a real store lists fine."""
    db = tracking_store.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from experiments").fetchone()[0] >= 1
    code, out, err = cli(capsys, "runs")
    assert code == 0, err
    assert out.startswith("run_id\tname\tstatus")
