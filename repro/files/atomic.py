"""Atomic file writes: a reader sees the old file or the whole new one, never half.

Only regular files are replaced. A symbolic link is followed and its target replaced (the link
stays a link). A character device (``/dev/null``, ``/dev/stdout``, a terminal) or a FIFO with a
reader is written through, as the user meant; a directory, a block device, a socket or a FIFO
nobody reads is refused. The temporary file beside the target is removed when the write fails,
is interrupted (Ctrl-C) or the process gets SIGTERM/SIGHUP during it (the signal then takes its
usual course); only SIGKILL can leave one behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from repro.errors import UsageError

_CLEANUP_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s
)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class _Interrupted(BaseException):
    """A cleanup signal arrived during a write; re-delivered once the temp file is gone."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_clean_up() -> Iterator[None]:
    """While active (main thread only), SIGTERM/SIGHUP unwind the write so its temp file is
    removed; the signal is then delivered again under the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise _Interrupted(signum)

    for signum in _CLEANUP_SIGNALS:
        handler = signal.getsignal(signum)
        if handler is signal.SIG_IGN or handler is None:
            continue
        previous[signum] = handler
        signal.signal(signum, interrupt)
    try:
        yield
    except _Interrupted as exc:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        previous.clear()
        os.kill(os.getpid(), exc.signum)  # the usual course: default action or user's handler
        raise UsageError(f"not written: interrupted by signal {exc.signum}") from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _target(path: Path) -> tuple[Path, os.stat_result | None]:
    """The file a write to ``path`` means (a symlink's target) and its status, if it exists.
    The status follows links the kernel's way, so ``/dev/stdout`` is the pipe it leads to."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror}") from None
    return (Path(os.path.realpath(path)) if path.is_symlink() else path), info


def _write_through(path: Path, info: os.stat_result, payload: bytes) -> Path:
    """Write into an existing character device or FIFO (never replacing it)."""
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    if stat.S_ISFIFO(info.st_mode):
        flags |= os.O_NONBLOCK  # never block waiting for a reader
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise UsageError(
                f"{path}: is a FIFO that no process is reading; start the reader first"
            ) from None
        raise UsageError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        if flags & os.O_NONBLOCK:
            os.set_blocking(fd, True)
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror}") from None
    finally:
        os.close(fd)
    return path


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write to a temporary file beside the target, fsync, then rename over it.

    The file gets the mode a plain ``open`` would give (an existing file's mode is kept), not
    the 0600 of a temporary file. See the module docstring for links and special files.
    """
    asked = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if not isinstance(payload, bytes):
        raise TypeError(f"write_atomic takes str or bytes, not {type(data).__name__}")
    target, info = _target(asked)
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode):
            return _write_through(asked, info, payload)
        kind = (
            "a directory"
            if stat.S_ISDIR(info.st_mode)
            else "a block device"
            if stat.S_ISBLK(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "not a regular file"
        )
        raise UsageError(f"{asked}: is {kind}; refusing to write over it")
    if target != asked and not target.parent.is_dir():
        raise UsageError(f"{asked}: is a link to {target}, whose directory does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _signals_clean_up():
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            mode = info.st_mode & 0o7777 if info is not None else 0o666 & ~_umask()
            os.chmod(tmp, mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return asked
