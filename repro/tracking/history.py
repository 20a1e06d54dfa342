"""Metric histories and the model-card artifact of an MLflow run (the card's MLflow side).

Kept apart from rendering so ``repro.render`` never imports mlflow: the card command reads the
history here, passes it to the renderer as plain data, and logs the finished HTML back.
Store errors become the same exit-1/exit-2 errors as the rest of ``repro.tracking``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from repro.tracking.store import open_client, resolve_uri, translate

if TYPE_CHECKING:
    from mlflow import MlflowClient

CARD_ARTIFACT_PATH = "repro/model_card.html"
RESULTS_PREFIX = "results/"  # repro.tracking.flatten logs each record result under this


def metric_history(
    run_id: str,
    tracking_uri: str | None = None,
    exclude_prefixes: tuple[str, ...] = (RESULTS_PREFIX,),
) -> dict[str, list[tuple[int, float]]]:
    """Every metric the run logged, as name -> [(step, value)] ordered by step, then time.

    Skips ``results/...``: those are copies of the record's final results, not a history.
    """
    uri = resolve_uri(tracking_uri)
    client = open_client(uri)
    try:
        return history_of(client, run_id, exclude_prefixes)
    except Exception as exc:
        raise translate(exc, uri) from None


def history_of(
    client: MlflowClient, run_id: str, exclude_prefixes: tuple[str, ...] = (RESULTS_PREFIX,)
) -> dict[str, list[tuple[int, float]]]:
    """:func:`metric_history` through an open client (MLflow's errors propagate)."""
    history: dict[str, list[tuple[int, float]]] = {}
    names = sorted(client.get_run(run_id).data.metrics)
    for name in (n for n in names if not n.startswith(exclude_prefixes)):
        points = sorted(
            client.get_metric_history(run_id, name), key=lambda m: (m.step, m.timestamp)
        )
        history[name] = [(int(m.step), float(m.value)) for m in points]
    return history


def log_card_artifact(run_id: str, html: str, tracking_uri: str | None = None) -> str:
    """Store the HTML card on the run as ``repro/model_card.html`` (the MLflow UI shows it)."""
    uri = resolve_uri(tracking_uri)
    client = open_client(uri)
    try:
        client.log_text(run_id, html, CARD_ARTIFACT_PATH)
    except Exception as exc:
        raise translate(exc, uri) from None
    return CARD_ARTIFACT_PATH
