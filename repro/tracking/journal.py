"""The local append-only journal: every metric and record update of a run, written before sending.

One JSON-lines file per run, ``<journal_dir>/<local_id>.jsonl`` (default ``./.repro/journal/``).
Entries, one per line, each a JSON object whose ``t`` says what it is:

``open``      the run's creation: local id, tracking URI (without credentials), experiment,
              initial record, the owner process (pid, host, boot id, process start time) and
              ``lock``: whether the writer holds the journal's lock (see below)
``bind``      the MLflow run id the local id maps to (once the run exists in MLflow)
``setup``     params, tags and the initial record artifact are in MLflow
``m``         one ``log_metrics`` call: ``i`` (entry index, 0, 1, 2, ...), ``s`` step,
              ``ts`` timestamp in ms, ``v`` {key: value}
``ack``       every ``m`` entry with ``i <= upto`` is in MLflow
``result``    one ``set_result`` (a record ``Metric``)
``artifact``  a file to upload: ``n`` (artifact index), ``src`` (a copy under the journal
              directory, or none while an upload is in flight), ``name``, ``dest`` (artifact dir)
``artifact_ack``  artifact ``n`` is in MLflow
``close``     the run ended: status, end time and the final record
``done``      the final record and status are in MLflow; nothing is left to send
``gap``       ``entries`` entries the writer could neither write nor keep (disk full too long)
``target``    delivery starts over at ``uri`` (``repro sync --to``, or a run recreated after
              the server lost it); earlier binds and acks no longer count

Writer lifetime: the writer holds an exclusive ``flock`` on its journal from creation to close
(the file appears under its final name only once locked and holding its ``open`` entry). The
lock dies with the process, whatever PID namespace or container it ran in, so ``repro sync``
treats a journal as live exactly while the lock is held; pid checks are only the fallback for
file systems without locks.

Flush policy: each append is one ``write`` to a file opened with ``O_APPEND``, so an entry is in
the operating system's page cache when ``log_metrics`` returns and survives SIGKILL of the
process. ``fsync`` (which survives power loss too) runs from the background sender at most every
``FSYNC_INTERVAL_S`` seconds while entries arrive, and always on ``close``; a training step never
waits for the disk.

Write failures (disk full, a read-only or unwritable directory) never reach the caller: entries
wait in memory (up to ``MAX_BACKLOG_BYTES``) and are written, in order, once the journal can be
written again; what did not fit is recorded as a ``gap``. A write cut short is truncated away,
so the file never holds half an entry of a live writer; a line torn by a crash is skipped when
the journal is read (:mod:`repro.tracking._journal_reader`).
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fcntl
import json
import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from repro.tracking._journal_reader import JournalError, JournalState, read_journal

__all__ = [
    "DONE_DIR",
    "JournalError",
    "JournalState",
    "JournalWriter",
    "read_journal",
]

JOURNAL_VERSION = 2  # 2: the ``lock`` field, ``gap`` and ``target`` entries (1 still reads)
FSYNC_INTERVAL_S = 2.0
RETRY_S = 2.0  # how often a failed journal is tried again
MAX_BACKLOG_BYTES = 64 * 1024 * 1024
LOCAL_ID_PREFIX = "local-"
DONE_DIR = "done"
UNREADABLE_DIR = "unreadable"
DEFAULT_JOURNAL_DIR = Path(".repro") / "journal"
logger = logging.getLogger("repro.tracking")


def default_journal_dir() -> Path:
    """``$REPRO_JOURNAL_DIR`` if set, else ``./.repro/journal`` under the working directory."""
    return Path(os.environ.get("REPRO_JOURNAL_DIR") or DEFAULT_JOURNAL_DIR).absolute()


def new_local_id() -> str:
    """A fresh local run id, ``local-<32 hex>``; it names the journal file."""
    return LOCAL_ID_PREFIX + uuid.uuid4().hex


def now_ms() -> int:
    """Wall-clock time in milliseconds, MLflow's timestamp unit."""
    return time.time_ns() // 1_000_000


def encode(entry: dict[str, Any]) -> bytes:
    """One journal line. Never raises for text: a lone surrogate is written as its JSON escape
    (``\\udce9``), which reads back as the same string."""
    text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    return (text + "\n").encode("utf-8", "backslashreplace")


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
        # Field 22 (starttime); fields after the parenthesised command name start at field 3.
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


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
    """For journals written without a lock: whether the process that wrote ``open_entry``
    still runs: True, False, or None when it ran on another host (we cannot tell from here).
    A pid means another process in another PID namespace, so this is only a fallback."""
    if open_entry.get("host") != socket.gethostname():
        return None
    boot = open_entry.get("boot_id")
    if boot is not None and boot != _boot_id():
        return False  # the machine rebooted since
    pid = open_entry.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except OverflowError:
        return False
    recorded = open_entry.get("proc_start")
    if recorded is not None and sys.platform.startswith("linux"):
        return process_start_ticks(pid) == recorded  # a reused pid has another start time
    return True


# ------------------------------------------------------------------------------ locks


def try_lock(fd: int) -> bool | None:
    """Take an exclusive ``flock`` on ``fd`` without waiting: True when taken, False when another
    process holds it, None when the file system offers no locks."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        return None
    return True


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


# ------------------------------------------------------------------------------ writing


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - a regular file never returns 0 for len > 0
            raise OSError(errno.EIO, "short write")
        view = view[written:]


def _describe(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


class JournalWriter:
    """Appends entries to one run's journal, holding its lock; safe to call from the training
    and sender threads, and never raises for a disk problem (see the module docstring)."""

    def __init__(self, path: Path, opening: dict[str, Any]) -> None:
        self.path = path
        self.locked = False
        self.problem: str | None = None  # why the journal cannot be written right now
        self.ever_failed = False
        self.dropped = 0  # entries neither written nor kept (backlog full)
        self._opening = dict(opening)
        self._fd: int | None = None
        self._size = 0
        self._backlog: collections.deque[bytes] = collections.deque()
        self._backlog_bytes = 0
        self._lock = threading.Lock()
        self._dirty = False
        self._last_fsync = time.monotonic()
        self._retry_at = 0.0
        self._closed = False
        with self._lock:
            self._create()

    # -- state ---------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """Whether every entry so far is in the journal file."""
        return self._fd is not None and not self._backlog and not self.dropped

    @property
    def exists(self) -> bool:
        return self._fd is not None

    @property
    def backlog(self) -> int:
        """Entries waiting in memory for the journal to become writable."""
        return len(self._backlog)

    # -- writing -------------------------------------------------------------------------

    def append(self, entry: dict[str, Any]) -> bool:
        """Write one entry (see the module docstring); True when it is in the journal file."""
        line = encode(entry)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"journal {self.path} is closed")
            if self._fd is not None and not self._backlog:
                try:
                    self._write(line)
                    return True
                except OSError as exc:
                    self._failed(exc)
            self._keep(line)
            if time.monotonic() >= self._retry_at:
                self._resume()
            return self._fd is not None and not self._backlog

    def fsync_if_due(self, interval: float = FSYNC_INTERVAL_S) -> None:
        """fsync when entries arrived and ``interval`` seconds passed since the last fsync;
        retry a failed journal when due (the sender thread calls this, off the training loop)."""
        if (self._backlog or self._fd is None) and time.monotonic() >= self._retry_at:
            with self._lock:
                if not self._closed:
                    self._resume()
        if self._dirty and time.monotonic() - self._last_fsync >= interval:
            self.fsync()

    def fsync(self) -> None:
        """Force written entries to disk."""
        with self._lock:
            if self._fd is None:
                return
            self._dirty = False
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
        self._last_fsync = time.monotonic()

    def retire(self) -> Path | None:
        """Move the (fully delivered) journal to ``done/`` while still holding its lock."""
        with self._lock:
            if self._fd is None:
                return None
            try:
                return retire(self.path)
            except OSError as exc:
                logger.warning("repro: could not retire journal %s: %s", self.path, exc)
                return None

    def discard(self) -> None:
        """Close and delete the journal (a run that could not start)."""
        with self._lock:
            self._closed = True
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    self.path.unlink()
                os.close(self._fd)
                self._fd = None

    def close(self) -> bool:
        """Write what waits (one last try), fsync and close, releasing the lock; later appends
        raise. True when every entry reached the journal file."""
        with self._lock:
            if self._closed:
                return self.healthy
            if self._backlog or self._fd is None:
                self._resume()
        self.fsync()
        with self._lock:
            ok = self.healthy
            self._closed = True
            if self._fd is not None:
                os.close(self._fd)  # releases the flock
                self._fd = None
            return ok

    # -- internals (called with self._lock held) -----------------------------------------

    def _create(self) -> None:
        """Create the journal under a hidden name, lock it, write ``open``, then give it its
        name, so no reader ever sees it unlocked or empty."""
        hidden = self.path.with_name(f".{self.path.name}.new")
        fd = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o666)
            locked = try_lock(fd) is True
            line = encode({**self._opening, "lock": locked})
            _write_all(fd, line)
            os.rename(hidden, self.path)
        except OSError as exc:
            if fd is not None:
                os.close(fd)
                with contextlib.suppress(OSError):
                    hidden.unlink()
            self._failed(exc)
            return
        self._fd, self._size, self.locked = fd, len(line), locked
        self._dirty = True

    def _write(self, line: bytes) -> None:
        assert self._fd is not None
        try:
            _write_all(self._fd, line)
        except OSError:
            if self._size >= 0:
                try:  # cut a partial line away: the entry will be written whole later
                    os.ftruncate(self._fd, self._size)
                except OSError:
                    self._size = -1  # unknown from now on; the reader skips a torn line
            raise
        if self._size >= 0:
            self._size += len(line)
        self._dirty = True

    def _keep(self, line: bytes) -> None:
        if self._backlog_bytes + len(line) > MAX_BACKLOG_BYTES:
            self.dropped += 1
            return
        self._backlog.append(line)
        self._backlog_bytes += len(line)

    def _failed(self, exc: OSError) -> None:
        first = not self.ever_failed
        self.ever_failed = True
        self.problem = _describe(exc)
        self._retry_at = time.monotonic() + RETRY_S
        if first:
            logger.warning(
                "repro: cannot write the journal %s (%s); training goes on: entries are kept "
                "in memory and sent to MLflow directly, and written to the journal as soon as "
                "it can be written again",
                self.path,
                self.problem,
            )

    def _resume(self) -> None:
        """Try to create the journal or write what waits, in order."""
        self._retry_at = time.monotonic() + RETRY_S
        if self._fd is None:
            self._create()
            if self._fd is None:
                return
        while self._backlog:
            line = self._backlog[0]
            try:
                self._write(line)
            except OSError as exc:
                self.problem = _describe(exc)
                return
            self._backlog.popleft()
            self._backlog_bytes -= len(line)
        if self.dropped:
            gap = encode({"t": "gap", "entries": self.dropped, "ts": now_ms()})
            try:
                self._write(gap)
            except OSError:
                return
            self.dropped = 0
        if self.problem is not None:
            logger.warning("repro: the journal %s is writable again; caught up", self.path)
            self.problem = None


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
            handle.write(encode(entry))
        handle.flush()
        os.fsync(handle.fileno())


# ------------------------------------------------------------------------------ places


def journal_files(journal_dir: Path) -> list[Path]:
    """Journals still pending in ``journal_dir`` (finished ones live in ``done/``)."""
    if not journal_dir.is_dir():
        return []
    return sorted(p for p in journal_dir.glob(f"{LOCAL_ID_PREFIX}*.jsonl") if p.is_file())


def find_journal(journal_dir: Path, local_id: str) -> Path | None:
    """The journal of ``local_id``, pending or done."""
    for candidate in (
        journal_dir / f"{local_id}.jsonl",
        journal_dir / DONE_DIR / f"{local_id}.jsonl",
    ):
        if candidate.exists():
            return candidate
    return None


def retire(path: Path, folder: str = DONE_DIR) -> Path:
    """Move a journal to ``done/`` (or another folder beside it) so syncs skip it."""
    target = path.parent / folder / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    return target
