"""``repro.sync``: replay what journals hold but MLflow lacks, exactly once, and end dead runs.

For every pending journal (``<journal_dir>/local-*.jsonl``) whose run is not live, sync
creates the MLflow run if it never reached the store (found again by its ``repro.local_id``
tag if an earlier sync was interrupted), logs params, sends unacknowledged metrics, uploads
waiting artifacts, stores the final record and sets the status. A run whose owner process died
(pid, host, boot id and process start time in the journal) without closing is marked KILLED
with the time of its last journal entry as end time.

Exactly once: a metric entry acknowledged in the journal is never resent; for the others, sync
first reads the run's metric history and skips every point already there with the same
(key, step, timestamp, value) — MLflow's own identity of a metric row — so a batch delivered
just before a crash, but never acknowledged, is not duplicated. Running sync twice adds nothing.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro.errors import ReproError
from repro.files.records import validate_data
from repro.record import Metric, RunRecord, RunStatus
from repro.tracking import journal as jr
from repro.tracking.flatten import RECORD_ARTIFACT
from repro.tracking.operations import (
    create_mlflow_run,
    from_ms,
    log_params,
    store_final,
    upload_artifact,
)
from repro.tracking.sender import send_metrics, to_mlflow_metrics
from repro.tracking.store import StoreUnavailable, normalize_uri, open_client, translate

if TYPE_CHECKING:
    from mlflow import MlflowClient

logger = logging.getLogger("repro.tracking")


@dataclass
class RunSync:
    """What sync did with one journal. ``outcome``: synced, live, other-host, other-uri, busy,
    unreachable or error."""

    local_id: str
    journal: Path
    outcome: str
    run_id: str | None = None
    tracking_uri: str | None = None
    status: str | None = None
    metrics_sent: int = 0
    metrics_present: int = 0
    artifacts_sent: int = 0
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
        return [r for r in self.runs if r.outcome in ("unreachable", "error")]

    @property
    def metrics_sent(self) -> int:
        return sum(r.metrics_sent for r in self.runs)


def _value_key(value: float) -> float | str:
    """A metric value as MLflow stores it (NaN flagged, infinities as +-max float)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return math.copysign(sys.float_info.max, value)
    return float(value)


class _Replay:
    """Sync of one journal, appending bind/setup/ack/close/done entries as it goes."""

    def __init__(self, state: jr.JournalState, client: MlflowClient, result: RunSync) -> None:
        self.state = state
        self.client = client
        self.result = result
        self.path = state.path

    def note(self, entry: dict[str, Any]) -> None:
        jr.append_entries(self.path, [{**entry, "ts": jr.now_ms(), "by": "sync"}])

    def run(self) -> None:
        state = self.state
        opened = validate_data(state.open["record"], RunRecord, f"{self.path}: open record")
        run_id = state.run_id
        if run_id is None:
            run_id = create_mlflow_run(
                self.client, opened, str(state.open["experiment"]), state.local_id
            )
            self.note({"t": "bind", "run_id": run_id})
        self.result.run_id = run_id
        if not state.setup_done:
            log_params(self.client, run_id, opened)
            if state.close is None:
                self.client.log_text(run_id, opened.to_json(), RECORD_ARTIFACT)
            self.note({"t": "setup"})
        self.replay_metrics(run_id)
        self.replay_artifacts(run_id)
        final = self.final_record(opened)
        store_final(self.client, run_id, final)
        self.result.status = str(final.run.status)
        self.note({"t": "done"})

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
        for artifact in self.state.unsent_artifacts():
            src = Path(artifact["src"])
            if not src.exists():
                message = f"artifact {src} is gone and was not uploaded"
                self.result.message = message
                logger.warning("repro: run %s: %s", run_id, message)
                self.note({"t": "artifact_ack", "n": artifact["n"], "lost": True})
                continue
            upload_artifact(self.client, run_id, src, artifact.get("dest"))
            self.note({"t": "artifact_ack", "n": artifact["n"]})
            self.result.artifacts_sent += 1

    def final_record(self, opened: RunRecord) -> RunRecord:
        """The closed run's record, or, for a run whose process died, the opened record with
        its journaled results, status KILLED and the last journal time as end time."""
        close = self.state.close
        if close is not None:
            return validate_data(close["record"], RunRecord, f"{self.path}: close record")
        record = opened.model_copy(deep=True)
        for data in self.state.results:
            metric = Metric.model_validate(data)
            kept = [m for m in record.results if (m.name, m.split) != (metric.name, metric.split)]
            record.results = [*kept, metric]
        record.run.status = RunStatus.KILLED
        record.run.ended = from_ms(self.state.last_ts)
        self.note({"t": "close", "status": "killed", "record": record.to_dict()})
        return record


def _sync_one(
    path: Path, wanted: str | None, clients: dict[str, MlflowClient | StoreUnavailable]
) -> RunSync:
    local_id = path.name.removesuffix(".jsonl")
    try:
        state = jr.read_journal(path)
    except (OSError, jr.JournalError) as exc:
        return RunSync(local_id, path, "error", message=str(exc))
    result = RunSync(local_id, path, "synced", run_id=state.run_id, tracking_uri=state.tracking_uri)
    if state.done:
        jr.retire(path)
        result.outcome, result.message = "synced", "already complete"
        return result
    if wanted is not None and normalize_uri(state.tracking_uri) != wanted:
        result.outcome = "other-uri"
        result.message = f"journaled for {state.tracking_uri}"
        return result
    if state.close is None:
        alive = jr.owner_alive(state.open)
        if alive or alive is None:
            result.outcome = "live" if alive else "other-host"
            result.message = f"process {state.open.get('pid')} on {state.open.get('host')}"
            return result
    uri = state.tracking_uri
    if uri not in clients:
        try:
            clients[uri] = open_client(uri)
        except StoreUnavailable as exc:
            clients[uri] = exc
    client = clients[uri]
    if isinstance(client, StoreUnavailable):
        result.outcome, result.message = "unreachable", str(client)
        return result
    try:
        _Replay(state, client, result).run()
    except Exception as exc:
        error = translate(exc, uri) if not isinstance(exc, ReproError) else exc
        result.outcome = "unreachable" if isinstance(error, StoreUnavailable) else "error"
        result.message = str(error)
        return result
    jr.retire(path)
    return result


def sync(tracking_uri: str | None = None, journal_dir: str | Path | None = None) -> SyncReport:
    """Replay every pending journal into MLflow exactly once and end runs whose process died.

    Each journal goes to the tracking URI it was recorded for; with ``tracking_uri`` only the
    journals recorded for that URI are synced (others are reported as ``other-uri``).
    """
    directory = Path(journal_dir).absolute() if journal_dir else jr.default_journal_dir()
    wanted = None
    if tracking_uri:
        from repro.tracking.store import resolve_uri

        wanted = resolve_uri(tracking_uri)
    report = SyncReport(journal_dir=directory)
    clients: dict[str, MlflowClient | StoreUnavailable] = {}
    for path in jr.journal_files(directory):
        lock = path.with_name(path.name.removesuffix(".jsonl") + ".lock")
        with jr.exclusive(lock, blocking=False) as acquired:
            if not acquired:
                report.runs.append(
                    RunSync(path.stem, path, "busy", message="another sync holds it")
                )
                continue
            if not path.exists():  # retired by a sync that just finished
                continue
            report.runs.append(_sync_one(path, wanted, clients))
        with contextlib.suppress(OSError):
            if not path.exists():
                lock.unlink()
    return report
