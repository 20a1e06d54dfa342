"""Capture where a run came from: the git state of its code and its (redacted) command line.

Git is asked through the ``git`` program with a timeout; when git is missing, the directory is
not a work tree, or HEAD has no commit yet, ``git`` is left absent rather than failing.

The diff digest (``diff_sha256``) is the SHA-256 of ``git diff HEAD --binary`` followed by, for
each untracked file git does not ignore (sorted), its path and the SHA-256 of its content
(files over :data:`UNTRACKED_CONTENT_LIMIT` bytes contribute path and size only). So it changes
when a tracked file is edited, and when a new source file appears. It is absent when clean.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from repro.capture.redact import redact_argv, redact_url
from repro.record import GitInfo, Provenance

log = logging.getLogger(__name__)

GIT_TIMEOUT_S = 10.0
UNTRACKED_CONTENT_LIMIT = 64 * 1024 * 1024


class _GitUnavailable(Exception):
    """git is missing, timed out, or the path is not in a work tree."""


def _git(cwd: Path, *args: str, ok_codes: tuple[int, ...] = (0,)) -> bytes | None:
    """stdout of one git command, ``None`` for an accepted non-zero exit code."""
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",  # never take index.lock: capture must not disturb a user
        "LC_ALL": "C",
    }
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _GitUnavailable(str(exc)) from exc
    if done.returncode == 0:
        return done.stdout
    if done.returncode in ok_codes:
        return None
    message = done.stderr.decode(errors="replace").strip()
    raise _GitUnavailable(f"git {' '.join(args)}: {message}")


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _diff_digest(root: Path, diff: bytes, untracked: list[str]) -> str | None:
    if not diff and not untracked:
        return None
    digest = hashlib.sha256(diff)
    for name in sorted(untracked):
        path = root / name
        try:
            size = path.stat().st_size
            content = _file_digest(path) if size <= UNTRACKED_CONTENT_LIMIT else f"size {size}"
        except OSError:  # vanished or unreadable between listing and reading
            content = "unreadable"
        digest.update(f"\0untracked {name} {content}\n".encode())
    return digest.hexdigest()


def capture_git(path: str | os.PathLike[str] = ".") -> GitInfo | None:
    """Commit, branch (absent when detached), origin URL without credentials, dirty flag and
    diff digest of the work tree holding ``path``; ``None`` when there is none to read."""
    try:
        cwd = Path(path).resolve()
        if cwd.is_file():
            cwd = cwd.parent
        top = _git(cwd, "rev-parse", "--show-toplevel")
        head = _git(cwd, "rev-parse", "--verify", "-q", "HEAD^{commit}", ok_codes=(1,))
        if not top or not head:
            return None
        root = Path(top.decode().strip())
        branch = _git(root, "symbolic-ref", "--short", "-q", "HEAD", ok_codes=(1,))
        remote = _git(root, "config", "--get", "remote.origin.url", ok_codes=(1,))
        diff = _git(root, "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff") or b""
        listed = _git(root, "ls-files", "--others", "--exclude-standard", "-z") or b""
        untracked = [name for name in listed.decode(errors="surrogateescape").split("\0") if name]
    except _GitUnavailable as exc:
        log.debug("provenance: no git information: %s", exc)
        return None
    return GitInfo(
        commit=head.decode().strip(),
        branch=branch.decode().strip() if branch else None,
        remote=redact_url(remote.decode().strip(), drop_userinfo=True) if remote else None,
        dirty=bool(diff or untracked),
        diff_sha256=_diff_digest(root, diff, untracked),
    )


def capture_provenance(
    path: str | os.PathLike[str] = ".", argv: Sequence[str] | None = None
) -> Provenance:
    """Git state of ``path``, the command line (``sys.argv`` unless ``argv`` is given) with
    secrets redacted, and the working directory."""
    command = list(sys.argv if argv is None else argv)
    try:
        cwd: str | None = os.getcwd()
    except OSError:  # the working directory was deleted
        cwd = None
    return Provenance(
        git=capture_git(path),
        command=redact_argv(command) if command else None,
        working_directory=cwd,
    )
