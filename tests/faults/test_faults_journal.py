"""Hostile and damaged journals: torn and NUL-filled lines, a stray second open, ill-typed
entries, empty and unreadable files, artifacts outside the journal directory, journals of other
servers and hosts, a server database restored from before the run. Each case states exactly
what is delivered (0 lost beyond what the damage destroyed, 0 duplicated) and the exit code.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from support.faults import remount, tmpfs

import repro
from repro.cli import main
from repro.record import RunRecord
from repro.tracking import journal as jr


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def _open(uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "t": "open",
        "v": jr.JOURNAL_VERSION,
        "local_id": jr.new_local_id(),
        "run_id": None,
        "uri": uri,
        "experiment": "hostile",
        "ts": jr.now_ms(),
        "record": RunRecord.model_validate({"run": {"name": "hostile"}}).to_dict(),
        "pid": 2**22 + 7,  # no such process
        "host": socket.gethostname(),
        "boot_id": None,
        "proc_start": None,
        "lock": True,
        **extra,
    }


def _m(i: int) -> dict[str, Any]:
    return {"t": "m", "i": i, "s": i, "ts": 1_700_000_000_000 + i, "v": {"x": float(i), "y": 1.0}}


def _lines(entries: list[dict[str, Any] | bytes]) -> bytes:
    return b"".join(e if isinstance(e, bytes) else jr.encode(e) for e in entries)


def write(directory: Path, opening: dict[str, Any], body: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{opening['local_id']}.jsonl"
    path.write_bytes(jr.encode(opening) + body)
    return path


def steps(uri: str, run_id: str, key: str = "x") -> list[int]:
    return sorted(m.step for m in MlflowClient(uri).get_metric_history(run_id, key))


@pytest.fixture
def journal(tracking_store: str, tmp_path: Path) -> Path:
    return tmp_path / ".repro" / "journal"


def test_torn_last_line_is_no_loss(tracking_store: str, journal: Path, capsys) -> None:
    opening = _open(tracking_store)
    torn = jr.encode(_m(50))[:20]  # the process died mid-write: that call never returned
    write(journal, opening, _lines([_m(i) for i in range(50)]) + torn)
    code, out, err = cli(capsys, "sync")
    assert code == 0, err
    assert f"synced      {opening['local_id']}" in out and "[killed] 100 metrics sent" in out
    run_id = out.split(" -> ")[1].split()[0]
    assert steps(tracking_store, run_id) == list(range(50))
    assert repro.sync().runs == []


def test_nul_block_is_reported_and_what_follows_it_recovered(
    tracking_store: str, journal: Path, capsys
) -> None:
    """A crash on a file system that lost unwritten data leaves NUL bytes where entries were."""
    opening = _open(tracking_store)
    lines = [jr.encode(_m(i)) for i in range(300)]
    lines[100:103] = [b"\0" * sum(len(x) for x in lines[100:103])]  # 100-102 overwritten
    lines[200] = b"\0" * 4096 + lines[200]  # a block before an entry written after it
    write(journal, opening, b"".join(lines))
    code, out, err = cli(capsys, "sync")
    assert code == 1
    assert "3 metric entries missing" in err
    assert "3 journaled entries could not be delivered" in err
    run_id = out.split(" -> ")[1].split()[0] if " -> " in out else err.split(" -> ")[1].split()[0]
    expected = [s for s in range(300) if s not in (100, 101, 102)]
    assert steps(tracking_store, run_id) == expected  # 297 delivered, 200 among them, once
    assert steps(tracking_store, run_id, "y") == expected
    code, out, _ = cli(capsys, "sync")
    assert code == 0 and "0 runs synced" in out  # reported once; the journal is retired


def test_a_second_open_line_does_not_restart_the_run(
    tracking_store: str, journal: Path, capsys
) -> None:
    opening = _open(tracking_store)
    body = [*map(_m, range(100)), _open(tracking_store), *map(_m, range(100, 200))]
    write(journal, opening, _lines(body))
    report = repro.sync()
    (run,) = report.runs
    assert run.outcome == "synced" and run.metrics_sent == 400
    assert run.undelivered == 1 and "1 unreadable or invalid journal line(s) skipped" in run.notes
    assert steps(tracking_store, run.run_id) == list(range(200))


ILL_TYPED: list[Any] = [
    {"t": "m", "i": "7", "s": 7, "ts": 1, "v": {"x": 1.0}},
    {"t": "m", "i": 300, "s": 2**63, "ts": 1, "v": {"x": 1.0}},  # step beyond int64
    {"t": "m", "i": 301, "s": 1, "ts": -5, "v": {"x": 1.0}},
    {"t": "m", "i": 302, "s": 1, "ts": 1, "v": {"bad|name": 1.0}},
    {"t": "m", "i": 303, "s": 1, "ts": 1, "v": {"x": "NaN-text"}},
    {"t": "m", "i": 304, "s": 1, "ts": 1, "v": {"x": 10**400}},
    {"t": "m", "i": 305, "s": 1, "ts": 1, "v": [1.0]},
    {"t": "ack", "upto": "all"},
    {"t": "artifact", "n": [], "src": "/etc/hostname"},
    {"t": "bind", "run_id": {"$ne": 1}},
    {"t": "close", "status": 1, "record": []},
    {"t": "who-knows"},
    [1, 2, 3],
    "a string",
]


def test_ill_typed_entries_are_skipped_and_reported(
    tracking_store: str, journal: Path, capsys
) -> None:
    opening = _open(tracking_store)
    body = b"".join(
        jr.encode(_m(i)) + (json.dumps(ILL_TYPED[i % len(ILL_TYPED)]).encode() + b"\n")
        for i in range(len(ILL_TYPED))
    ) + _lines([_m(i) for i in range(len(ILL_TYPED), 100)])
    write(journal, opening, body)
    code, out, err = cli(capsys, "sync")
    assert code == 1 and "Traceback" not in err and "internal error" not in err
    assert f"{len(ILL_TYPED)} unreadable or invalid journal line(s) skipped" in err
    run_id = err.split(" -> ")[1].split()[0]
    assert steps(tracking_store, run_id) == list(range(100))
    assert MlflowClient(tracking_store).get_run(run_id).info.status == "KILLED"
    code, out, _ = cli(capsys, "sync")
    assert code == 0 and "0 runs synced" in out


def test_empty_journal_is_retired_quietly(tracking_store: str, journal: Path, capsys) -> None:
    journal.mkdir(parents=True)
    empty = journal / f"{jr.new_local_id()}.jsonl"
    empty.touch()
    code, out, _ = cli(capsys, "sync")
    assert code == 0 and f"empty       {empty.stem}" in out
    assert (journal / jr.DONE_DIR / empty.name).exists() and not empty.exists()


def test_journal_without_a_readable_open_is_set_aside_once(
    tracking_store: str, journal: Path, capsys
) -> None:
    journal.mkdir(parents=True)
    garbage = journal / f"{jr.new_local_id()}.jsonl"
    garbage.write_bytes(b'{"t": "m", "i": 0}\n\x00\x00not json\n')
    code, _, err = cli(capsys, "sync")
    assert code == 1 and "not a repro journal" in err and jr.UNREADABLE_DIR in err
    assert (journal / jr.UNREADABLE_DIR / garbage.name).exists()
    code, out, _ = cli(capsys, "sync")
    assert code == 0 and "0 runs synced" in out


def test_artifacts_outside_the_journal_directory_are_never_uploaded(
    tracking_store: str, journal: Path, tmp_path: Path, capsys
) -> None:
    opening = _open(tracking_store)
    files = journal / f"{opening['local_id']}.files"
    (files / "0").mkdir(parents=True)
    (files / "0" / "ok.txt").write_text("kept for sync")
    (files / "1").mkdir()
    os.symlink("/etc/passwd", files / "1" / "passwd")  # a link out of the journal directory
    (files / "2").mkdir()
    (files / "2" / "dir").mkdir()
    os.symlink("/etc/hostname", files / "2" / "dir" / "hostname")
    entries = [
        *map(_m, range(10)),
        {"t": "artifact", "n": 0, "src": str(files / "0" / "ok.txt"), "dest": None},
        {"t": "artifact", "n": 1, "src": str(files / "1" / "passwd"), "dest": None},
        {"t": "artifact", "n": 2, "src": str(files / "2" / "dir"), "dest": "d"},
        {"t": "artifact", "n": 3, "src": "/etc/hostname", "dest": None},
        {"t": "artifact", "n": 4, "name": "model.pt", "dest": None},  # upload never finished
    ]
    write(journal, opening, _lines(entries))
    code, _, err = cli(capsys, "sync")
    assert code == 1
    assert "4 journaled entries could not be delivered" in err
    assert err.count("was not uploaded") == 3 and "model.pt was not kept for sync" in err
    run_id = err.split(" -> ")[1].split()[0]
    client = MlflowClient(tracking_store)
    uploaded = sorted(a.path for a in client.list_artifacts(run_id) if a.path != "repro")
    assert uploaded == ["ok.txt"]


class _Listener:
    """A TCP port that counts every connection made to it (an attacker's server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join(5)
        self.sock.close()


def test_journal_for_another_server_is_never_contacted(
    tracking_store: str, journal: Path, capsys, monkeypatch
) -> None:
    evil = _Listener()
    try:
        opening = _open(evil.url)
        files = journal / f"{opening['local_id']}.files" / "0"
        files.mkdir(parents=True)
        (files / "notes.txt").write_text("x")
        entries = [*map(_m, range(20)), {"t": "artifact", "n": 0, "src": str(files / "notes.txt")}]
        write(journal, opening, _lines(entries))
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "token-for-the-real-server")
        code, out, _ = cli(capsys, "sync")
        assert code == 0 and f"other-uri   {opening['local_id']}" in out
        assert evil.connections == 0
        code, out, err = cli(capsys, "sync", "--to", tracking_store)
        assert code == 0, err
        assert evil.connections == 0
    finally:
        evil.close()
    run_id = out.split(" -> ")[1].split()[0]
    assert steps(tracking_store, run_id) == list(range(20))
    code, out, _ = cli(capsys, "sync", "--to", tracking_store)
    assert code == 0 and "0 runs synced" in out
    assert steps(tracking_store, run_id) == list(range(20))


def test_a_run_of_another_host_needs_force(tracking_store: str, journal: Path, capsys) -> None:
    opening = _open(tracking_store, host="node-gone-42", lock=False)
    write(journal, opening, _lines([_m(i) for i in range(30)]))
    code, out, _ = cli(capsys, "sync")
    assert code == 0 and f"other-host  {opening['local_id']}" in out and "--force" in out
    code, out, err = cli(capsys, "sync", "--force")
    assert code == 0, err
    assert "[killed] 60 metrics sent" in out
    run_id = out.split(" -> ")[1].split()[0]
    assert steps(tracking_store, run_id) == list(range(30))


def test_a_server_database_restored_from_before_the_run(
    tracking_store: str, journal: Path, tmp_path: Path, capsys
) -> None:
    db = Path(tracking_store.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.db"
    shutil.copy(db, backup)  # the nightly backup, taken before the run
    record = RunRecord.model_validate({"run": {"name": "restored"}})
    with repro.track(record, experiment="hostile", capture=False) as run:
        for step in range(100):
            run.log_metrics({"x": float(step), "y": 1.0}, step=step)
    done = journal / jr.DONE_DIR / f"{run.local_id}.jsonl"
    kept = [line for line in done.read_bytes().splitlines(True) if b'"t":"done"' not in line]
    (journal / done.name).write_bytes(b"".join(kept))  # as if the final sync had not happened
    done.unlink()
    shutil.copy(backup, db)  # the server's database is restored: the run is gone

    code, _, err = cli(capsys, "sync")
    assert code == 1
    assert f"missing     {run.local_id} -> {run.run_id}" in err and "--force" in err
    code, out, err = cli(capsys, "sync", "--force")
    assert code == 0, err
    assert f"run {run.run_id} was missing; recreated" in out and "[finished]" in out
    new_id = out.split(" -> ")[1].split()[0]
    assert new_id != run.run_id
    assert steps(tracking_store, new_id) == list(range(100))
    assert steps(tracking_store, new_id, "y") == list(range(100))
    assert repro.load_run(new_id) == run.record
    code, out, _ = cli(capsys, "sync")
    assert code == 0 and "0 runs synced" in out


def test_duplicated_lines_are_sent_once(tracking_store: str, journal: Path) -> None:
    opening = _open(tracking_store)
    body = [*map(_m, range(60)), *map(_m, range(20, 40)), *map(_m, range(60, 80))]
    write(journal, opening, _lines(body))
    (run,) = repro.sync().runs
    assert run.outcome == "synced" and run.undelivered == 0
    assert "20 duplicated entries sent once" in run.notes
    assert steps(tracking_store, run.run_id) == list(range(80))


def test_a_live_writer_holding_its_lock_is_left_alone(tracking_store: str, journal: Path) -> None:
    """Whatever its pid says (here: no such process), a journal whose lock is held lives."""
    opening = _open(tracking_store)
    writer = jr.JournalWriter(journal / f"{opening['local_id']}.jsonl", opening)
    try:
        for i in range(5):
            writer.append(_m(i))
        (run,) = repro.sync().runs
        assert run.outcome == "live"
    finally:
        writer.close()
    (run,) = repro.sync().runs
    assert run.outcome == "synced" and run.metrics_sent == 10


def test_sync_in_a_journal_directory_it_may_not_write(
    tracking_store: str, tmp_path: Path, capsys
) -> None:
    """A side-car with a read-only view of the journals says so per journal, never crashes."""
    with tmpfs(tmp_path / "ro", "256k") as journal:
        opening = _open(tracking_store)
        write(journal, opening, _lines([_m(i) for i in range(5)]))
        remount(journal, "ro")
        code, _, err = cli(capsys, "sync", "--journal-dir", str(journal))
        assert code == 1 and "internal error" not in err
        assert (
            f"error       {opening['local_id']} (cannot sync it here: Read-only file system)" in err
        )
        remount(journal, "rw")
        code, out, err = cli(capsys, "sync", "--journal-dir", str(journal))
        assert code == 0 and "[killed] 10 metrics sent" in out, err
