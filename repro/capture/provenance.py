"""Capture where a run came from: the git state of its code and its (redacted) command line.

Git is asked through the ``git`` program with a timeout; when git is missing, the directory is
not a work tree, or HEAD has no commit yet, ``git`` is left absent rather than failing.

The files repro and MLflow's default store write (``mlflow.db`` and its lock and journal files,
``mlruns/``, ``mlartifacts/``, ``.repro/``, and the store and journal a run names) never count:
they are excluded from every git query (:func:`repro_written_paths`), so a repository whose
``.gitignore`` knows nothing of repro stays clean.

The diff digest (``diff_sha256``) is the SHA-256 of ``git diff HEAD --binary`` followed by, for
each untracked file git does not ignore (sorted), its path and the SHA-256 of its content
(files over :data:`UNTRACKED_CONTENT_LIMIT` bytes contribute path and size only). So it changes
when a tracked file is edited, and when a new source file appears. It is absent when clean.
The diff itself (:func:`capture_git_diff`: the tracked changes, then each untracked file as a
new-file patch, credentials redacted, at most :data:`DIFF_ARTIFACT_LIMIT` bytes) is what
``repro.track`` stores as the run artifact ``repro/git.diff``, so a dirty run can be rebuilt
with ``git apply``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from repro.capture.redact import redact_argv, redact_text, redact_url
from repro.record import GitInfo, Provenance

log = logging.getLogger(__name__)

GIT_TIMEOUT_S = 10.0
UNTRACKED_CONTENT_LIMIT = 64 * 1024 * 1024
DIFF_ARTIFACT = "repro/git.diff"
DIFF_ARTIFACT_LIMIT = 4 * 1024 * 1024
MAX_UNTRACKED_PATCHES = 1000
# What MLflow's default store and repro write in the working directory.
_WRITTEN_NAMES = ("mlflow.db", "mlruns", "mlartifacts", ".repro")
_SQLITE_SIDE_FILES = (".lock", "-journal", "-wal", "-shm")


def _sqlite_files(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + suffix) for suffix in _SQLITE_SIDE_FILES)]


def _store_paths(uri: str | None) -> list[Path]:
    """Local files of a tracking URI: a SQLite database (and its side files) or a file store."""
    if not uri:
        return []
    if uri.startswith("sqlite:///"):
        raw = unquote(uri[len("sqlite:///") :].split("?", 1)[0])
        return _sqlite_files(Path(raw)) if raw and raw != ":memory:" else []
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return [Path(unquote(parts.path))]
    if not parts.scheme and uri:
        return [Path(uri)]
    return []


def repro_written_paths(
    tracking_uri: str | None = None, journal_dir: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Absolute paths repro and MLflow write that must not make a work tree dirty: the default
    store and artifacts in the working directory, ``.repro/``, ``$REPRO_JOURNAL_DIR``, and the
    tracking store (``tracking_uri``, else ``$MLFLOW_TRACKING_URI``) and ``journal_dir``."""
    cwd = Path.cwd()
    paths = [*_sqlite_files(cwd / "mlflow.db"), *(cwd / name for name in _WRITTEN_NAMES[1:])]
    paths += _store_paths(tracking_uri or os.environ.get("MLFLOW_TRACKING_URI"))
    for directory in (journal_dir, os.environ.get("REPRO_JOURNAL_DIR")):
        if directory:
            paths.append(Path(directory))
    return list(dict.fromkeys(p.absolute() for p in paths))


def _pathspecs(root: Path, exclude: Iterable[Path]) -> list[str]:
    """``-- :(top) :(exclude,top,literal)<path>...`` for the excluded paths inside ``root``."""
    specs = [":(top)"]
    real_root = root.resolve()
    for path in exclude:
        try:
            relative = path.resolve().relative_to(real_root)
        except (OSError, ValueError):
            continue
        if str(relative) != ".":
            specs.append(f":(exclude,top,literal){relative.as_posix()}")
    return ["--", *specs]


class _GitUnavailable(Exception):
    """git is missing, timed out, or the path is not in a work tree."""


def _git(
    cwd: Path, *args: str, ok_codes: tuple[int, ...] = (0,), keep: bool = False
) -> bytes | None:
    """stdout of one git command; for an accepted non-zero exit code ``None``, or its stdout
    with ``keep`` (``git diff --no-index`` exits 1 when it found a difference)."""
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
        return done.stdout if keep else None
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


@dataclass
class _Tree:
    """What git says about a work tree (excluded paths left out)."""

    root: Path
    info: GitInfo
    diff: bytes
    untracked: list[str]
    specs: list[str]


def _read_tree(path: str | os.PathLike[str], exclude: Iterable[Path] | None) -> _Tree | None:
    cwd = Path(path).resolve()
    if cwd.is_file():
        cwd = cwd.parent
    top = _git(cwd, "rev-parse", "--show-toplevel")
    head = _git(cwd, "rev-parse", "--verify", "-q", "HEAD^{commit}", ok_codes=(1,))
    if not top or not head:
        return None
    root = Path(top.decode().strip())
    specs = _pathspecs(root, repro_written_paths() if exclude is None else exclude)
    branch = _git(root, "symbolic-ref", "--short", "-q", "HEAD", ok_codes=(1,))
    remote = _git(root, "config", "--get", "remote.origin.url", ok_codes=(1,))
    diff = _git(root, "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", *specs) or b""
    listed = _git(root, "ls-files", "--others", "--exclude-standard", "-z", *specs) or b""
    untracked = [name for name in listed.decode(errors="surrogateescape").split("\0") if name]
    info = GitInfo(
        commit=head.decode().strip(),
        branch=branch.decode().strip() if branch else None,
        remote=redact_url(remote.decode().strip(), drop_userinfo=True) if remote else None,
        dirty=bool(diff or untracked),
        diff_sha256=_diff_digest(root, diff, untracked),
    )
    return _Tree(root, info, diff, untracked, specs)


def capture_git(
    path: str | os.PathLike[str] = ".", *, exclude: Iterable[Path] | None = None
) -> GitInfo | None:
    """Commit, branch (absent when detached), origin URL without credentials, dirty flag and
    diff digest of the work tree holding ``path``; ``None`` when there is none to read.
    ``exclude`` lists paths that never count (default: :func:`repro_written_paths`)."""
    try:
        tree = _read_tree(path, exclude)
    except _GitUnavailable as exc:
        log.debug("provenance: no git information: %s", exc)
        return None
    return None if tree is None else tree.info


@dataclass
class GitDiff:
    """The uncommitted changes as one patch, and the files that did not fit under the cap."""

    text: bytes
    omitted: list[str] = field(default_factory=list)


def _sections(diff: bytes) -> list[tuple[str, bytes]]:
    """A ``git diff`` split into (path, section) per file."""
    out: list[tuple[str, bytes]] = []
    for chunk in diff.split(b"\ndiff --git "):
        if not chunk:
            continue
        section = chunk if chunk.startswith(b"diff --git ") else b"diff --git " + chunk
        if not section.endswith(b"\n"):
            section += b"\n"
        header = section.split(b"\n", 1)[0].decode(errors="replace")
        name = header.rsplit(" b/", 1)[-1] if " b/" in header else header
        out.append((name, section))
    return out


def _redacted(section: bytes) -> bytes:
    text = section.decode("utf-8", errors="surrogateescape")
    return redact_text(text).encode("utf-8", errors="surrogateescape")


def _build_diff(tree: _Tree, limit: int) -> GitDiff:
    kept: list[bytes] = []
    omitted: list[str] = []
    size = 0

    def add(name: str, section: bytes | None) -> None:
        nonlocal size
        if section is None or size + len(section) > limit:
            omitted.append(name)
            return
        kept.append(section)
        size += len(section)

    for name, section in _sections(tree.diff):
        add(name, _redacted(section))
    for number, name in enumerate(sorted(tree.untracked)):
        file = tree.root / name
        try:
            too_big = number >= MAX_UNTRACKED_PATCHES or file.stat().st_size > limit - size
        except OSError:
            too_big = True
        if too_big:
            add(name, None)
            continue
        patch = _git(
            tree.root,
            "diff",
            "--no-index",
            "--binary",
            "--no-color",
            "--",
            "/dev/null",
            name,
            ok_codes=(1,),
            keep=True,
        )
        add(name, _redacted(patch) if patch else None)
    return GitDiff(b"".join(kept), omitted)


def capture_git_diff(
    path: str | os.PathLike[str] = ".",
    *,
    exclude: Iterable[Path] | None = None,
    limit: int = DIFF_ARTIFACT_LIMIT,
) -> tuple[GitInfo | None, GitDiff | None]:
    """:func:`capture_git` and the uncommitted diff itself (None when clean or no git): the
    changes to tracked files, then every untracked file git does not ignore as a new-file
    patch, with credentials redacted (:func:`repro.capture.redact.redact_text`). Whole files
    that would take it past ``limit`` bytes are left out and named in ``GitDiff.omitted``."""
    try:
        tree = _read_tree(path, exclude)
        if tree is None:
            return None, None
        if not tree.info.dirty:
            return tree.info, None
        return tree.info, _build_diff(tree, limit)
    except _GitUnavailable as exc:
        log.debug("provenance: no git information: %s", exc)
        return None, None


def capture_provenance(
    path: str | os.PathLike[str] = ".",
    argv: Sequence[str] | None = None,
    *,
    exclude: Iterable[Path] | None = None,
    git: bool = True,
) -> Provenance:
    """Git state of ``path`` (``exclude``: see :func:`capture_git`; ``git=False`` leaves it to
    the caller), the command line (``sys.argv`` unless ``argv`` is given) with secrets
    redacted, and the working directory."""
    command = list(sys.argv if argv is None else argv)
    try:
        cwd: str | None = os.getcwd()
    except OSError:  # the working directory was deleted
        cwd = None
    return Provenance(
        git=capture_git(path, exclude=exclude) if git else None,
        command=redact_argv(command) if command else None,
        working_directory=cwd,
    )


def capture_run_provenance(
    tracking_uri: str | None = None, journal_dir: str | os.PathLike[str] | None = None
) -> tuple[Provenance, GitDiff | None]:
    """What ``repro.track`` records of a run's provenance, and the diff for its artifact.

    Git is read in the working directory, else (a script run from outside its repository) in
    the directory of the ``__main__`` script; the store at ``tracking_uri``, the journal in
    ``journal_dir`` and everything else repro and MLflow write never count as changes."""
    exclude = repro_written_paths(tracking_uri, journal_dir)
    provenance = capture_provenance(git=False)
    info, diff = capture_git_diff(exclude=exclude)
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    if info is None and script:
        info, diff = capture_git_diff(Path(script).parent, exclude=exclude)
    if info is not None and diff is not None:
        info.diff_artifact = DIFF_ARTIFACT
        info.diff_omitted = diff.omitted
    provenance.git = info
    return provenance, diff
