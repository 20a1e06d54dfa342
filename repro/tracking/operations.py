"""MLflow operations on one run: create it, log its params, store its final record, upload files.

Shared by the run context (:mod:`repro.tracking.run`), ``repro log`` and ``repro sync``; each
takes an open ``MlflowClient`` and a run id, so callers decide about retries and journaling.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from repro.record import RunRecord, RunStatus
from repro.tracking.flatten import CHECK_PROFILE, RECORD_ARTIFACT, flatten_record, result_tags
from repro.tracking.store import get_or_create_experiment

if TYPE_CHECKING:
    from mlflow import MlflowClient

DEFAULT_EXPERIMENT = "Default"
_MLFLOW_STATUS = {
    RunStatus.FINISHED: "FINISHED",
    RunStatus.FAILED: "FAILED",
    RunStatus.KILLED: "KILLED",
    RunStatus.RUNNING: "RUNNING",
    RunStatus.PLANNED: "SCHEDULED",
}


def mlflow_status(status: RunStatus | str | None) -> str:
    """MLflow's name for a record status (unknown counts as FINISHED: the run happened)."""
    return _MLFLOW_STATUS.get(RunStatus(status), "FINISHED") if status else "FINISHED"


def to_ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def create_mlflow_run(
    client: MlflowClient, record: RunRecord, experiment: str, local_id: str | None
) -> str:
    """Create the MLflow run for ``record`` (start time, name, tags, params) and return its id;
    a run already created for ``local_id`` (e.g. by an interrupted sync) is reused."""
    experiment_id = get_or_create_experiment(client, experiment)
    if local_id:
        found = client.search_runs(
            [experiment_id], filter_string=f"tags.`repro.local_id` = '{local_id}'", max_results=1
        )
        if found:
            return str(found[0].info.run_id)
    flat = flatten_record(record, local_id)
    run = client.create_run(
        experiment_id,
        start_time=to_ms(record.run.started),
        tags=flat.tags,
        run_name=record.run.name,
    )
    return str(run.info.run_id)


def log_params(client: MlflowClient, run_id: str, record: RunRecord) -> None:
    """Log the record's params in batches of 100 (MLflow's limit); same values may be re-logged."""
    from mlflow.entities import Param

    params = [Param(k, v) for k, v in flatten_record(record).params.items()]
    for start in range(0, len(params), 100):
        client.log_batch(run_id, params=params[start : start + 100], synchronous=True)


def check_status(record: RunRecord, profile: str = CHECK_PROFILE) -> str:
    """``passed``/``failed`` against ``profile``, with counts: the ``repro runs`` check column."""
    from repro.checks import check

    report = check(record, profile)
    verdict = "passed" if report.passed else "failed"
    return f"{verdict} ({len(report.errors)} errors, {len(report.warnings)} warnings)"


def store_final(
    client: MlflowClient, run_id: str, record: RunRecord, check_profile: str = CHECK_PROFILE
) -> None:
    """Store the final record artifact, its main-metric tag and its verdict against
    ``check_profile``, then set the terminal status and end time."""
    from mlflow.entities import RunTag

    checks = {check_profile: check_status(record, check_profile)}
    tags = [RunTag(k, v) for k, v in result_tags(record, checks).items()]
    if tags:
        client.log_batch(run_id, tags=tags, synchronous=True)
    client.log_text(run_id, record.to_json(), RECORD_ARTIFACT)
    status = mlflow_status(record.run.status)
    if status == "RUNNING":
        return
    client.set_terminated(run_id, status=status, end_time=to_ms(record.run.ended))


def upload_artifact(client: MlflowClient, run_id: str, src: Path, dest: str | None) -> None:
    """Upload a file or a directory's contents under ``dest``."""
    if src.is_dir():
        client.log_artifacts(run_id, str(src), dest)
    else:
        client.log_artifact(run_id, str(src), dest)
