"""``track(..., resume=RUN_ID)``: continue an interrupted run (a preempted cluster job) as the
same MLflow run, so that every step of every metric ends up in it exactly once.

Before the new attempt logs anything, what the earlier attempts left unsent in their journals is
synced (their processes are gone), then the run's metric history is read: for each key, the
highest step already in MLflow. The new attempt drops any point at or below that step (a script
that restarts from its last checkpoint logs a few steps again; their first values stay), and
``log_metrics`` without ``step=`` carries on after the highest step. The stored record of the
earlier attempt is the base of the new one: its start time, observed counts and wall time carry
over, and the time of each resumption is added to ``run.resumed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from repro.errors import InvalidInputError
from repro.record import RunRecord
from repro.tracking import journal as jr

if TYPE_CHECKING:
    from mlflow import MlflowClient


@dataclass
class ResumePoint:
    """Where an interrupted run stands in MLflow."""

    run_id: str
    record: RunRecord
    logged_upto: dict[str, int] = field(default_factory=dict)

    @property
    def next_step(self) -> int:
        """The step after the highest one any metric reached."""
        return max(self.logged_upto.values(), default=-1) + 1


def _pending_for(run_id: str, journal_dir: Path) -> bool:
    """Whether a journal of an earlier attempt of ``run_id`` still waits to be synced."""
    for path in jr.journal_files(journal_dir):
        try:
            state = jr.read_journal(path)
        except (OSError, jr.JournalError):
            continue
        if state.local_id == run_id or state.run_id == run_id:
            return True
    return False


def _bound_run_id(run_id: str, journal_dir: Path) -> str:
    """The MLflow run id a local id (``local-...``) reached, syncing it first if needed."""
    path = jr.find_journal(journal_dir, run_id)
    if path is None:
        raise InvalidInputError(f"resume={run_id!r}: no journal of that run in {journal_dir}")
    state = jr.read_journal(path)
    if state.run_id is None:
        raise InvalidInputError(
            f"resume={run_id!r}: that run never reached the tracking store; run `repro sync` "
            "once the store is reachable, then resume it by the MLflow run id sync prints"
        )
    return state.run_id


def prepare_resume(
    client: MlflowClient, run_id: str, tracking_uri: str, journal_dir: Path
) -> ResumePoint:
    """Sync the earlier attempts' journals, then read the run's record and metric history."""
    from repro.tracking.load import load_run
    from repro.tracking.store import translate

    if run_id.startswith(jr.LOCAL_ID_PREFIX):
        if _pending_for(run_id, journal_dir):
            from repro.tracking.sync import sync

            sync(tracking_uri, journal_dir)
        run_id = _bound_run_id(run_id, journal_dir)
    elif _pending_for(run_id, journal_dir):
        from repro.tracking.sync import sync

        sync(tracking_uri, journal_dir)
    try:
        run = client.get_run(run_id)
    except Exception as exc:
        raise translate(exc, tracking_uri) from None
    record = load_run(run_id, tracking_uri=tracking_uri, journal_dir=journal_dir)
    upto: dict[str, int] = {}
    for key in run.data.metrics:
        history = client.get_metric_history(run_id, key)
        if history:
            upto[key] = max(int(point.step) for point in history)
    return ResumePoint(run_id=run_id, record=record, logged_upto=upto)


def continue_record(previous: RunRecord, current: RunRecord) -> RunRecord:
    """The record of a resumed attempt: the earlier record, running again, with this attempt's
    new warnings; observed counts move to the session (see ``CaptureSession.previous``)."""
    record = previous.model_copy(deep=True)
    record.run.status = current.run.status
    record.run.ended = None
    if current.run.started is not None:
        record.run.resumed = [*record.run.resumed, current.run.started]
    if record.architecture is None:
        record.architecture = current.architecture
    if record.training is None:
        record.training = current.training
    elif record.training.observed is not None:
        record.training.observed = None
    known = {(w.path, w.message) for w in record.warnings}
    record.warnings = [
        *record.warnings,
        *(w for w in current.warnings if (w.path, w.message) not in known),
    ]
    return record
