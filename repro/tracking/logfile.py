"""Log a finished record (e.g. a record file) as an MLflow run, as it is: ``repro log FILE``.

Unlike ``track()`` nothing runs here, so there is no journal: the run is created with the
record's own start/end times and status, its params, tags and results, and the record artifact,
synchronously; an unreachable store is an error (exit 2).
"""

from __future__ import annotations

import math

from repro.record import RunRecord
from repro.tracking.flatten import result_metric_key
from repro.tracking.operations import (
    DEFAULT_EXPERIMENT,
    create_mlflow_run,
    log_params,
    store_final,
    to_ms,
)
from repro.tracking.store import open_client, resolve_uri, translate


def log_record(
    record: RunRecord, experiment: str | None = None, tracking_uri: str | None = None
) -> str:
    """Create an MLflow run holding ``record`` and return its run id."""
    from mlflow.entities import Metric

    uri = resolve_uri(tracking_uri)
    client = open_client(uri, create=True)
    name = experiment or record.run.experiment or DEFAULT_EXPERIMENT
    try:
        run_id = create_mlflow_run(client, record, name, None)
        log_params(client, run_id, record)
        when = to_ms(record.run.ended or record.run.started) or 0
        metrics = []
        for result in record.results:
            key = result_metric_key(result.name, result.split)
            if key is not None and math.isfinite(result.value):
                metrics.append(Metric(key, result.value, when, result.step or 0))
        if metrics:
            client.log_batch(run_id, metrics=metrics, synchronous=True)
        store_final(client, run_id, record)
    except Exception as exc:
        raise translate(exc, uri) from None
    return run_id
