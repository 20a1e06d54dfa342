"""MLflow operations on one run: create it, log its params, store its final record, upload files.

Shared by the run context (:mod:`repro.tracking.run`), ``repro log`` and ``repro sync``; each
takes an open ``MlflowClient`` and a run id, so callers decide about retries and journaling.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro.record import RunRecord, RunStatus
from repro.tracking.flatten import (
    CHECK_PROFILE,
    RECORD_ARTIFACT,
    flatten_record,
    result_tags,
    valid_key,
)
from repro.tracking.store import get_or_create_experiment

if TYPE_CHECKING:
    from mlflow import MlflowClient

logger = logging.getLogger("repro.tracking")

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
    tags = {"mlflow.user": current_user(), **flat.tags}  # a user's own tag wins
    run = client.create_run(
        experiment_id,
        start_time=to_ms(record.run.started),
        tags=tags,
        run_name=record.run.name,
    )
    return str(run.info.run_id)


def attach_mlflow_run(
    client: MlflowClient, record: RunRecord, run_id: str, local_id: str | None
) -> str:
    """Write ``record`` into an MLflow run someone else created (Lightning's MLFlowLogger), so
    one training gives one run: its tags are added, while the run keeps its own name, user and
    source; returns the run id."""
    from mlflow.entities import RunTag

    client.get_run(run_id)  # exists (an unknown id is an error now, not at the end)
    kept = ("mlflow.runName", "mlflow.user", "mlflow.source.name", "mlflow.source.type")
    tags = {k: v for k, v in flatten_record(record, local_id).tags.items() if k not in kept}
    batch = [RunTag(k, v) for k, v in tags.items()]
    for start in range(0, len(batch), 100):
        client.log_batch(run_id, tags=batch[start : start + 100], synchronous=True)
    return run_id


def current_user() -> str:
    """The user name MLflow's own runs carry as ``mlflow.user`` (``getpass.getuser()``)."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name (a container's bare uid): MLflow's own fallback
        return "unknown"


def log_params(client: MlflowClient, run_id: str, record: RunRecord) -> None:
    """Log the record's params in batches of 100 (MLflow's limit), and its datasets as the
    run's MLflow inputs; same values may be re-logged."""
    from mlflow.entities import Param

    params = [Param(k, v) for k, v in flatten_record(record).params.items()]
    for start in range(0, len(params), 100):
        client.log_batch(run_id, params=params[start : start + 100], synchronous=True)
    inputs = dataset_inputs(record)
    if inputs:
        client.log_inputs(run_id, datasets=inputs)


MAX_DIGEST = 36  # MLflow's dataset digest column holds 36 characters


def dataset_inputs(record: RunRecord) -> list[Any]:
    """The record's datasets as MLflow dataset inputs, so the UI's Datasets column is filled:
    the digest is the start of repro's SHA-256 (all MLflow holds; the full digest and split
    digests are in the profile), the source its URL (``http``) or description (``code``), the
    context (``mlflow.data.context``) the dataset's role."""
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.entities import Dataset, DatasetInput, InputTag

    found = []
    for data in record.data:
        source = data.source or ""
        if source.startswith(("http://", "https://")):
            source_type, source_json = "http", json.dumps({"url": source})
        else:
            source_type = "code"
            source_json = json.dumps({"tags": {"description": source} if source else {}})
        profile = {
            key: value
            for key, value in (
                ("sha256", data.sha256),
                ("split_sha256", data.split_sha256 or None),
                ("splits", data.splits or None),
                ("version", data.version),
                ("license", data.license),
            )
            if value is not None
        }
        digest = data.sha256[:MAX_DIGEST] if data.sha256 else None
        if digest is None:  # MLflow's own fingerprint of the metadata, as MetaDataset makes it
            from mlflow.data.code_dataset_source import CodeDatasetSource

            digest = MetaDataset(CodeDatasetSource({"source": source}), name=data.name).digest
        entity = Dataset(
            name=data.name,
            digest=digest,
            source_type=source_type,
            source=source_json,
            profile=json.dumps(profile) if profile else None,
        )
        tags = [InputTag("mlflow.data.context", data.role)] if data.role else []
        found.append(DatasetInput(dataset=entity, tags=tags))
    return found


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
    final = {**record.run.tags, **result_tags(record, checks)}  # tags added while it ran too
    tags = [RunTag(k, v) for k, v in final.items() if valid_key(k) and len(v) <= 8000]
    if tags:
        client.log_batch(run_id, tags=tags, synchronous=True)
    client.log_text(run_id, record.to_json(), RECORD_ARTIFACT)
    log_cards(client, run_id, record)
    status = mlflow_status(record.run.status)
    if status == "RUNNING":
        return
    client.set_terminated(run_id, status=status, end_time=to_ms(record.run.ended))


CARD_ARTIFACTS = {"card-md": "repro/model_card.md", "card-html": "repro/model_card.html"}


def log_cards(client: MlflowClient, run_id: str, record: RunRecord) -> None:
    """Log the Markdown and HTML model cards (with the run's metric curves) as the artifacts
    ``repro/model_card.md`` and ``repro/model_card.html``; a card that cannot be made only
    warns, it never keeps a run from ending."""
    from repro.rendering.api import render
    from repro.tracking.history import history_of

    try:
        history = history_of(client, run_id)
    except Exception as exc:
        logger.warning("repro: run %s: metric history not read for the card: %s", run_id, exc)
        history = {}
    for name, path in CARD_ARTIFACTS.items():
        try:
            options = {"history": history} if name == "card-html" else {}
            client.log_text(run_id, render(record, name, **options), path)
        except Exception as exc:
            logger.warning("repro: run %s: %s not stored: %s", run_id, path, exc)


def upload_artifact(client: MlflowClient, run_id: str, src: Path, dest: str | None) -> None:
    """Upload a file or a directory's contents under ``dest``."""
    if src.is_dir():
        client.log_artifacts(run_id, str(src), dest)
    else:
        client.log_artifact(run_id, str(src), dest)
