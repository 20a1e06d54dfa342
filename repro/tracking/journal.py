"""The local append-only journal: every metric and record update of a run, written before sending.

One JSON-lines file per run, ``<journal_dir>/<local_id>.jsonl`` (default ``./.repro/journal/``).
Entries, one per line, each a JSON object whose ``t`` says what it is:

``open``      the run's creation: local id, tracking URI, experiment, initial record, and the
              owner process (pid, host, boot id, process start time) so a later sync can tell a
              dead owner from a live one
``bind``      the MLflow run id the local id maps to (once the run exists in MLflow)
``setup``     params, tags and the initial record artifact are in MLflow
``m``         one ``log_metrics`` call: ``i`` (entry index, 0, 1, 2, ...), ``s`` step,
              ``ts`` timestamp in ms, ``v`` {key: value}
``ack``       every ``m`` entry with ``i <= upto`` is in MLflow
``result``    one ``set_result`` (a record ``Metric``)
``artifact``  a file to upload: ``n`` (artifact index), ``src`` (path), ``dest`` (artifact dir)
``artifact_ack``  artifact ``n`` is in MLflow
``close``     the run ended: status, end time and the final record
``done``      the final record and status are in MLflow; nothing is left to send

Flush policy: each append is one buffered ``write`` followed by ``flush``, so an entry is in
the operating system's page cache when ``log_metrics`` returns and survives SIGKILL of the
process. ``fsync`` (which survives power loss too) runs from the background sender at most every
``FSYNC_INTERVAL_S`` seconds while entries arrive, and always on ``close``; a training step never
waits for the disk. A line torn by a crash mid-write is skipped when the journal is read.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

JOURNAL_VERSION = 1
FSYNC_INTERVAL_S = 2.0
LOCAL_ID_PREFIX = "local-"
DONE_DIR = "done"
DEFAULT_JOURNAL_DIR = Path(".repro") / "journal"


def default_journal_dir() -> Path:
    """``$REPRO_JOURNAL_DIR`` if set, else ``./.repro/journal`` under the working directory."""
    return Path(os.environ.get("REPRO_JOURNAL_DIR") or DEFAULT_JOURNAL_DIR).absolute()


def new_local_id() -> str:
    """A fresh local run id, ``local-<32 hex>``; it names the journal file."""
    return LOCAL_ID_PREFIX + uuid.uuid4().hex


def now_ms() -> int:
    """Wall-clock time in milliseconds, MLflow's timestamp unit."""
    return time.time_ns() // 1_000_000


# ------------------------------------------------------------------------ process identity


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def process_start_ticks(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot (Linux ``/proc``), None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime); fields after the parenthesised command name start at field 3.
    return int(stat.rsplit(")", 1)[1].split()[19])


def owner_identity() -> dict[str, Any]:
    """Who owns a journal: pid, host, boot id and process start time of this process."""
    pid = os.getpid()
    return {
        "pid": pid,
        "host": socket.gethostname(),
        "boot_id": _boot_id(),
        "proc_start": process_start_ticks(pid),
    }


def owner_alive(open_entry: dict[str, Any]) -> bool | None:
    """Whether the process that wrote ``open_entry`` still runs: True, False, or None when it
    ran on another host (we cannot tell from here)."""
    if open_entry.get("host") != socket.gethostname():
        return None
    boot = open_entry.get("boot_id")
    if boot is not None and boot != _boot_id():
        return False  # the machine rebooted since
    pid = int(open_entry.get("pid", -1))
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    recorded = open_entry.get("proc_start")
    if recorded is not None and sys.platform.startswith("linux"):
        return process_start_ticks(pid) == recorded  # a reused pid has another start time
    return True


# ------------------------------------------------------------------------------ writing


class JournalWriter:
    """Appends entries to one run's journal; safe to call from the training and sender threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self._dirty = False
        self._last_fsync = time.monotonic()

    def append(self, entry: dict[str, Any]) -> None:
        """Write one entry and flush it to the OS (no fsync: see the module docstring)."""
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self._lock:
            if self._file is None:
                raise RuntimeError(f"journal {self.path} is closed")
            self._file.write(line)
            self._file.flush()
            self._dirty = True

    def fsync_if_due(self, interval: float = FSYNC_INTERVAL_S) -> None:
        """fsync when entries arrived and ``interval`` seconds passed since the last fsync."""
        if self._dirty and time.monotonic() - self._last_fsync >= interval:
            self.fsync()

    def fsync(self) -> None:
        """Force written entries to disk."""
        with self._lock:
            if self._file is None:
                return
            self._dirty = False
            fd = self._file.fileno()
        with contextlib.suppress(OSError):
            os.fsync(fd)
        self._last_fsync = time.monotonic()

    def close(self) -> None:
        """fsync and close; later appends raise."""
        self.fsync()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def append_entries(path: Path, entries: list[dict[str, Any]]) -> None:
    """Append entries to an existing journal (used by sync), fsync'd; a torn last line is ended
    first so the new entries start on a line of their own."""
    with path.open("a+b") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")
        for entry in entries:
            handle.write((json.dumps(entry, separators=(",", ":")) + "\n").encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def exclusive(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """An ``fcntl.flock`` on ``path`` (created if missing); False if non-blocking and taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------------------------ reading


@dataclass
class JournalState:
    """What a journal says about its run, folded from its entries in order."""

    path: Path
    open: dict[str, Any]
    run_id: str | None = None
    setup_done: bool = False
    metrics: list[dict[str, Any]] = field(default_factory=list)
    acked_upto: int = -1
    results: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    artifacts_acked: set[int] = field(default_factory=set)
    close: dict[str, Any] | None = None
    done: bool = False
    last_ts: int = 0
    bad_lines: int = 0

    @property
    def local_id(self) -> str:
        return str(self.open["local_id"])

    @property
    def tracking_uri(self) -> str:
        return str(self.open["uri"])

    def unsent_metrics(self) -> list[dict[str, Any]]:
        """Metric entries not acknowledged as in MLflow."""
        return [m for m in self.metrics if m["i"] > self.acked_upto]

    def unsent_artifacts(self) -> list[dict[str, Any]]:
        """Artifact entries not acknowledged as in MLflow."""
        return [a for n, a in sorted(self.artifacts.items()) if n not in self.artifacts_acked]


class JournalError(ValueError):
    """A journal file that cannot be used (no ``open`` entry)."""


def read_journal(path: Path) -> JournalState:
    """Parse a journal; torn or unparsable lines are counted and skipped."""
    state: JournalState | None = None
    bad = 0
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if not isinstance(entry, dict):
                bad += 1
                continue
            kind = entry.get("t")
            if kind == "open":
                state = JournalState(path=path, open=entry, run_id=entry.get("run_id"))
                state.last_ts = int(entry.get("ts", 0))
                continue
            if state is None:
                bad += 1
                continue
            state.last_ts = max(state.last_ts, int(entry.get("ts", 0)))
            if kind == "m":
                state.metrics.append(entry)
            elif kind == "ack":
                state.acked_upto = max(state.acked_upto, int(entry["upto"]))
            elif kind == "bind":
                state.run_id = entry["run_id"]
            elif kind == "setup":
                state.setup_done = True
            elif kind == "result":
                state.results.append(entry["metric"])
            elif kind == "artifact":
                state.artifacts[int(entry["n"])] = entry
            elif kind == "artifact_ack":
                state.artifacts_acked.add(int(entry["n"]))
            elif kind == "close":
                state.close = entry
            elif kind == "done":
                state.done = True
            else:
                bad += 1
    if state is None:
        raise JournalError(f"{path}: not a repro journal (no 'open' entry)")
    state.bad_lines = bad
    return state


def journal_files(journal_dir: Path) -> list[Path]:
    """Journals still pending in ``journal_dir`` (finished ones live in ``done/``)."""
    if not journal_dir.is_dir():
        return []
    return sorted(journal_dir.glob(f"{LOCAL_ID_PREFIX}*.jsonl"))


def find_journal(journal_dir: Path, local_id: str) -> Path | None:
    """The journal of ``local_id``, pending or done."""
    for candidate in (
        journal_dir / f"{local_id}.jsonl",
        journal_dir / DONE_DIR / f"{local_id}.jsonl",
    ):
        if candidate.exists():
            return candidate
    return None


def retire(path: Path) -> Path:
    """Move a fully delivered journal to ``done/`` so syncs skip it; returns the new path."""
    target = path.parent / DONE_DIR / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    return target
