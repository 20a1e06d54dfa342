"""``repro.sync``: replay what journals hold but MLflow lacks, exactly once, and end dead runs.

Sync is pointed at one tracking store (``tracking_uri``, else ``MLFLOW_TRACKING_URI``, else
MLflow's default) and delivers the pending journals (``<journal_dir>/local-*.jsonl``) recorded
for that store; ``to`` delivers them to another store instead. A journal names its store
without credentials, and sync never contacts a store the user did not point it at, so a journal
planted in the directory cannot send the user's credentials or files anywhere.

For each journal whose writer is gone, sync creates the MLflow run if it never reached the
store (found again by its ``repro.local_id`` tag if an earlier sync was interrupted), logs
params, sends unacknowledged metrics, uploads waiting artifacts (only copies kept under
``<journal_dir>/<local_id>.files/``), stores the final record and sets the status. A run whose
writer died without closing is marked KILLED with the time of its last journal entry as end
time, unless MLflow already holds a final status for it.

Writer gone: the writer holds an exclusive lock on its journal for its whole life
(:mod:`repro.tracking.journal`); sync works on a journal only once it can take that lock, so a
live run in another PID namespace or container is never mistaken for a dead one. Journals of
writers without locks fall back to pid, host, boot id and process start time. A journal of
another host that never closed is left alone unless ``force``. A journal moved to ``done/``
that gains entries afterwards (by a writer still running, e.g. retired by hand or an older
sync) is taken up again.

Exactly once: a metric entry acknowledged in the journal is never resent; for the others, sync
first reads the run's metric history and skips every point already there with the same
(key, step, timestamp, value) — MLflow's own identity of a metric row — so a batch delivered
just before a crash, but never acknowledged, is not duplicated. Running sync twice adds nothing.

What cannot be delivered is reported, never silently dropped: unreadable or ill-typed journal
lines, entries the writer could not keep (``gap``), artifacts that are gone or lie outside the
journal directory, a run missing on the server (``force`` recreates it from the journal).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro.errors import ReproError
from repro.files.records import validate_data
from repro.record import Metric, RunRecord, RunStatus
from repro.tracking import journal as jr
from repro.tracking._strings import clean
from repro.tracking.flatten import RECORD_ARTIFACT
from repro.tracking.operations import (
    create_mlflow_run,
    from_ms,
    log_params,
    store_final,
    upload_artifact,
)
from repro.tracking.sender import send_metrics, to_mlflow_metrics
from repro.tracking.store import (
    StoreUnavailable,
    is_not_found,
    open_client,
    public_uri,
    resolve_uri,
    same_store,
    scrub,
    translate,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

logger = logging.getLogger("repro.tracking")
CHECKED_MARKER = ".checked"
TERMINAL = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed"}


@dataclass
class RunSync:
    """What sync did with one journal. ``outcome``: synced, empty, live, other-host, other-uri,
    busy, missing, unreachable or error."""

    local_id: str
    journal: Path
    outcome: str
    run_id: str | None = None
    tracking_uri: str | None = None
    status: str | None = None
    metrics_sent: int = 0
    metrics_present: int = 0
    artifacts_sent: int = 0
    undelivered: int = 0  # entries/artifacts that could not be delivered (see ``notes``)
    notes: list[str] = field(default_factory=list)
    message: str | None = None


@dataclass
class SyncReport:
    """The outcome of one ``sync`` over a journal directory."""

    journal_dir: Path
    runs: list[RunSync] = field(default_factory=list)

    @property
    def synced(self) -> list[RunSync]:
        return [r for r in self.runs if r.outcome == "synced"]

    @property
    def failed(self) -> list[RunSync]:
        return [r for r in self.runs if r.outcome in ("unreachable", "error", "missing")]

    @property
    def undelivered(self) -> int:
        """Entries and artifacts found but not deliverable, over all journals."""
        return sum(r.undelivered for r in self.runs)

    @property
    def metrics_sent(self) -> int:
        return sum(r.metrics_sent for r in self.runs)


class _Missing(ReproError):
    """The journal's MLflow run is not in the store (a restored or replaced database)."""


def _value_key(value: float) -> float | str:
    """A metric value as MLflow stores it (NaN flagged, infinities as +-max float)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return math.copysign(sys.float_info.max, value)
    return float(value)


def _record(data: Any, source: str) -> RunRecord:
    """A journaled record, with text MLflow cannot store made encodable."""
    cleaned, _ = clean(data)
    return validate_data(cleaned, RunRecord, source)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):
        return False
    return True


def _confined(src: Path, root: Path) -> bool:
    """Whether ``src`` and, for a directory, everything it holds lies under ``root``."""
    if not _inside(src, root):
        return False
    if src.is_dir():
        for dirpath, dirnames, filenames in os.walk(src):
            for name in [*dirnames, *filenames]:
                if not _inside(Path(dirpath) / name, root):
                    return False
    return True


class _Replay:
    """Sync of one journal, appending bind/setup/ack/close/done entries as it goes."""

    def __init__(
        self, state: jr.JournalState, client: MlflowClient, result: RunSync, force: bool
    ) -> None:
        self.state = state
        self.client = client
        self.result = result
        self.force = force
        self.path = state.path
        self.mlflow_status: str | None = None

    def note(self, entry: dict[str, Any]) -> None:
        full = {**entry, "ts": jr.now_ms(), "by": "sync"}
        jr.append_entries(self.path, [full])
        if entry["t"] == "target":
            self.state.apply(full)

    def run(self) -> None:
        state = self.state
        opened = _record(state.open["record"], f"{self.path}: open record")
        run_id = state.run_id
        if run_id is not None and not self.exists(run_id):
            if not self.force:
                raise _Missing(
                    f"run {run_id} is not in {public_uri(state.tracking_uri)} (was the server's "
                    "database restored from an older backup?); `repro sync --force` recreates "
                    "it from the journal"
                )
            self.note({"t": "target", "uri": state.tracking_uri, "why": f"{run_id} missing"})
            self.result.notes.append(f"run {run_id} was missing; recreated")
            run_id = None
        if run_id is None:
            run_id = create_mlflow_run(
                self.client, opened, str(state.open["experiment"]), state.local_id
            )
            self.note({"t": "bind", "run_id": run_id})
            self.mlflow_status = None
        self.result.run_id = run_id
        if not state.setup_done:
            log_params(self.client, run_id, opened)
            if state.close is None:
                self.client.log_text(run_id, opened.to_json(), RECORD_ARTIFACT)
            self.note({"t": "setup"})
        self.replay_metrics(run_id)
        self.replay_artifacts(run_id)
        if state.close is None and self.mlflow_status in TERMINAL:
            # The writer ended the run in MLflow but could not journal it (e.g. disk full).
            self.result.status = TERMINAL[self.mlflow_status]
        else:
            final = self.final_record(opened)
            store_final(self.client, run_id, final)
            self.result.status = str(final.run.status)
        self.note({"t": "done"})

    def exists(self, run_id: str) -> bool:
        try:
            found = self.client.get_run(run_id)
        except Exception as exc:
            if is_not_found(exc):
                return False
            raise
        if found.info.lifecycle_stage == "deleted":
            return False
        self.mlflow_status = str(found.info.status)
        return True

    def replay_metrics(self, run_id: str) -> None:
        unsent = self.state.unsent_metrics()
        if not unsent:
            return
        keys = {key for entry in unsent for key in entry["v"]}
        present: set[tuple[str, int, int, float | str]] = set()
        for key in sorted(keys):
            for point in self.client.get_metric_history(run_id, key):
                present.add((key, point.step, point.timestamp, _value_key(point.value)))
        missing: list[tuple[int, int, int, dict[str, float]]] = []
        for entry in unsent:
            values = {
                k: float(v)
                for k, v in entry["v"].items()
                if (k, entry["s"], entry["ts"], _value_key(float(v))) not in present
            }
            self.result.metrics_present += len(entry["v"]) - len(values)
            if values:
                missing.append((entry["i"], entry["s"], entry["ts"], values))
        pairs = to_mlflow_metrics(missing)
        send_metrics(self.client, run_id, pairs, lambda upto: self.note({"t": "ack", "upto": upto}))
        self.result.metrics_sent += len(pairs)
        self.note({"t": "ack", "upto": unsent[-1]["i"]})

    def replay_artifacts(self, run_id: str) -> None:
        root = self.path.parent / f"{self.state.local_id}.files"
        for artifact in self.state.unsent_artifacts():
            name = artifact.get("name") or "artifact"
            src = artifact.get("src")
            reason = None
            if src is None:
                reason = f"artifact {name} was not kept for sync (its upload did not finish)"
            elif not Path(src).exists():
                reason = f"artifact {src} is gone and was not uploaded"
            elif not _confined(Path(src), root):
                reason = f"artifact {src} lies outside {root} and was not uploaded"
            if reason is not None:
                self.result.undelivered += 1
                self.result.notes.append(reason)
                logger.warning("repro: run %s: %s", run_id, reason)
                self.note({"t": "artifact_ack", "n": artifact["n"], "lost": True})
                continue
            upload_artifact(self.client, run_id, Path(src), artifact.get("dest"))
            self.note({"t": "artifact_ack", "n": artifact["n"]})
            self.result.artifacts_sent += 1

    def final_record(self, opened: RunRecord) -> RunRecord:
        """The closed run's record, or, for a run whose process died, the opened record with
        its journaled results, status KILLED and the last journal time as end time."""
        close = self.state.close
        if close is not None:
            return _record(close["record"], f"{self.path}: close record")
        record = opened.model_copy(deep=True)
        for data in self.state.results:
            try:
                metric = Metric.model_validate(clean(data)[0])
            except ValueError:
                self.result.undelivered += 1
                self.result.notes.append("an unreadable result was skipped")
                continue
            kept = [m for m in record.results if (m.name, m.split) != (metric.name, metric.split)]
            record.results = [*kept, metric]
        record.run.status = RunStatus.KILLED
        record.run.ended = from_ms(self.state.last_ts)
        self.note({"t": "close", "status": "killed", "record": record.to_dict()})
        return record


@dataclass
class _Options:
    target: str  # the store whose journals are synced (with the user's credentials); "" all
    to: str | None
    force: bool
    clients: dict[str, MlflowClient | StoreUnavailable] = field(default_factory=dict)

    def client(self, uri: str) -> MlflowClient | StoreUnavailable:
        if uri not in self.clients:
            try:
                self.clients[uri] = open_client(uri, create=True)
            except StoreUnavailable as exc:
                self.clients[uri] = exc
            except ReproError as exc:
                self.clients[uri] = StoreUnavailable(str(exc))
        return self.clients[uri]


def _reading_problems(state: jr.JournalState, result: RunSync) -> None:
    """Note what the journal could not give (each also counts as undelivered)."""
    missing = state.missing_entries()
    if missing:
        result.notes.append(f"{missing} metric entr{'y' if missing == 1 else 'ies'} missing")
    if state.bad_lines:
        result.notes.append(f"{state.bad_lines} unreadable or invalid journal line(s) skipped")
    result.undelivered += max(missing, state.bad_lines)
    if state.gaps:
        lost = state.lost_entries()
        result.notes.append(f"{lost} entries were never journaled (the disk was full)")
        result.undelivered += max(0, lost - missing)
    if state.duplicates:
        result.notes.append(f"{state.duplicates} duplicated entries sent once")


def _writer_gone(state: jr.JournalState, locked: bool | None, force: bool) -> str | None:
    """None when the writer is gone, else the outcome that leaves the journal alone."""
    if locked is False:
        return "live"
    if state.close is not None and (locked is True or not state.writer_locked):
        return None
    import socket

    same_host = state.open.get("host") == socket.gethostname()
    if locked is True and state.writer_locked:
        return None if same_host or force else "other-host"
    alive = jr.owner_alive(state.open)
    if alive:
        return "live"
    if alive is None and not force:
        return "other-host"
    return None


def _unreadable(path: Path, locked: bool | None, exc: Exception, result: RunSync) -> RunSync:
    if locked is False:
        result.outcome, result.message = "live", "being written"
        return result
    try:
        empty = path.stat().st_size == 0
    except OSError:
        empty = False
    if empty:
        jr.retire(path)
        result.outcome, result.message = "empty", "nothing was journaled; moved to done/"
        return result
    moved = jr.retire(path, jr.UNREADABLE_DIR)
    result.outcome = "error"
    result.message = f"{exc}; moved to {moved}"
    return result


def _sync_one(path: Path, options: _Options, fd: int) -> RunSync:
    local_id = path.name.removesuffix(".jsonl")
    result = RunSync(local_id, path, "synced")
    locked = jr.try_lock(fd)
    try:
        state = jr.read_journal(path)
    except (OSError, jr.JournalError) as exc:
        return _unreadable(path, locked, exc, result)
    result.run_id, result.tracking_uri = state.run_id, state.tracking_uri
    if state.done:
        if locked is not False:
            jr.retire(path)
        result.outcome, result.message = "synced", "already complete"
        return result
    destination = options.to or options.target
    if options.target and not same_store(state.tracking_uri, options.target):
        result.outcome = "other-uri"
        result.message = f"journaled for {state.tracking_uri}"
        return result
    waiting = _writer_gone(state, locked, options.force)
    if waiting is not None:
        result.outcome = waiting
        pid, host = state.open.get("pid"), state.open.get("host")
        result.message = f"process {pid} on {host}"
        if waiting == "other-host":
            result.message += (
                f"; run `repro sync` there, or `repro sync --force` if {host} is gone for good"
            )
        return result
    client = options.client(destination)
    if isinstance(client, StoreUnavailable):
        result.outcome, result.message = "unreachable", str(client)
        return result
    replay = _Replay(state, client, result, options.force)
    if not same_store(state.tracking_uri, destination):
        replay.note({"t": "target", "uri": public_uri(destination)})
        result.notes.append(f"delivered to {public_uri(destination)} instead")
        result.run_id = None
    _reading_problems(state, result)
    try:
        replay.run()
    except _Missing as exc:
        result.outcome, result.message = "missing", str(exc)
        return result
    except Exception as exc:
        error = translate(exc, destination) if not isinstance(exc, ReproError) else exc
        result.outcome = "unreachable" if isinstance(error, StoreUnavailable) else "error"
        result.message = scrub(str(error), destination)
        return result
    result.tracking_uri = public_uri(destination)
    jr.retire(path)
    return result


def _ends_delivered(path: Path) -> bool:
    """Whether a journal in ``done/`` still ends with its ``done`` entry (or holds nothing)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 65536))
            tail = handle.read()
    except OSError:
        return True
    lines = [line for line in tail.split(b"\n") if line.strip().strip(b"\x00")]
    if not lines:
        return True
    return b'"t":"done"' in lines[-1]


def _taken_up_again(directory: Path) -> list[str]:
    """Move journals in ``done/`` that gained entries since they were retired back to pending;
    only journals changed since the previous sync began are looked at."""
    done = directory / jr.DONE_DIR
    if not done.is_dir():
        return []
    marker = done / CHECKED_MARKER
    try:
        since = marker.stat().st_mtime_ns
    except OSError:
        since = 0
    began = time.time_ns()
    moved = []
    for path in done.glob(f"{jr.LOCAL_ID_PREFIX}*.jsonl"):
        try:
            if path.stat().st_mtime_ns < since:
                continue
        except OSError:
            continue
        target = directory / path.name
        if not _ends_delivered(path) and not target.exists():
            with contextlib.suppress(OSError):
                os.replace(path, target)
                moved.append(path.name)
    with contextlib.suppress(OSError):
        marker.touch()
        os.utime(marker, ns=(began, began))
    return moved


def _take(path: Path, options: _Options) -> RunSync | None:
    """Sync one pending journal under the per-journal sync lock (None: retired meanwhile)."""
    lock = path.with_name(path.name.removesuffix(".jsonl") + ".lock")
    with jr.exclusive(lock, blocking=False) as acquired:
        if not acquired:
            return RunSync(path.stem, path, "busy", message="another sync holds it")
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:  # retired by a sync that just finished
            return None
        try:
            return _sync_one(path, options, fd)
        finally:
            os.close(fd)
            with contextlib.suppress(OSError):
                if not path.exists():
                    lock.unlink()


def sync(
    tracking_uri: str | None = None,
    journal_dir: str | Path | None = None,
    *,
    to: str | None = None,
    force: bool = False,
) -> SyncReport:
    """Replay the pending journals recorded for ``tracking_uri`` (default: the URI MLflow would
    use) into MLflow exactly once, and end runs whose process died.

    ``to`` delivers the journals (those of ``tracking_uri`` when given, else all) to another
    store. ``force`` also ends runs of other hosts that never closed and recreates runs the
    server lost. See the module docstring.
    """
    directory = Path(journal_dir).absolute() if journal_dir else jr.default_journal_dir()
    options = _Options(target=resolve_uri(tracking_uri), to=None, force=force)
    if to:
        options.to = resolve_uri(to)
        if not tracking_uri:
            options.target = ""
    report = SyncReport(journal_dir=directory)
    reopened = _taken_up_again(directory)
    for name in reopened:
        logger.warning("repro: journal %s gained entries after it was retired; syncing it", name)
    for path in jr.journal_files(directory):
        try:
            done = _take(path, options)
        except OSError as exc:  # a journal directory sync may not write (read-only, foreign)
            done = RunSync(
                path.stem, path, "error", message=f"cannot sync it here: {exc.strerror or exc}"
            )
        if done is not None:
            report.runs.append(done)
    return report
