"""repro against a real `mlflow server` with PostgreSQL: round trip, search, artifacts on disk."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from support.servers import MlflowServer

import repro
from repro import RunRecord

pytestmark = [pytest.mark.server, pytest.mark.postgres]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "records" / "lstm-adding.yaml"


def _with_batch_size(record: RunRecord, batch_size: int) -> RunRecord:
    data = record.to_dict()
    data["training"]["batch_size"] = batch_size
    return RunRecord.model_validate(data)


def _experiment() -> str:
    return f"server-{uuid.uuid4().hex[:8]}"


def test_round_trip_through_server_and_postgres(
    mlflow_server: MlflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    record = repro.load_record(EXAMPLE)
    with repro.track(
        record, experiment=_experiment(), tracking_uri=mlflow_server.url, journal_dir=tmp_path
    ) as run:
        for step in range(50):
            run.log_metrics({"train/loss": 1.0 / (step + 1), "train/acc": step / 50}, step=step)
        run.set_result("mse", 0.0042, split="test")

    loaded = repro.load_run(run.run_id, tracking_uri=mlflow_server.url)
    assert loaded == run.record
    assert loaded.metric("mse", split="test") is not None
    assert loaded.metric("mse", split="test").value == pytest.approx(0.0042)

    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server.url)
    mlflow_run = client.get_run(run.run_id)
    assert mlflow_run.info.status == "FINISHED"
    history = client.get_metric_history(run.run_id, "train/loss")
    assert sorted(m.step for m in history) == list(range(50))


def test_search_runs_filters_on_flattened_params(
    mlflow_server: MlflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    from mlflow import MlflowClient

    experiment = _experiment()
    base = repro.load_record(EXAMPLE)
    run_ids = {}
    for batch_size in (32, 64):
        record = _with_batch_size(base, batch_size)
        with repro.track(
            record,
            experiment=experiment,
            tracking_uri=mlflow_server.url,
            journal_dir=tmp_path,
            capture=False,
        ) as run:
            run.log_metrics({"train/loss": 0.5}, step=0)
        run_ids[batch_size] = run.run_id

    client = MlflowClient(mlflow_server.url)
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    found = client.search_runs([experiment_id], filter_string="params.`training.batch_size` = '64'")
    assert [r.info.run_id for r in found] == [run_ids[64]]
    found = client.search_runs(
        [experiment_id], filter_string="params.`architecture.recurrent_layers.0.cell` = 'lstm'"
    )
    assert {r.info.run_id for r in found} == set(run_ids.values())


def test_artifacts_land_in_the_artifacts_destination(
    mlflow_server: MlflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    from mlflow import MlflowClient

    attachment = tmp_path / "confusion.csv"
    attachment.write_text("label,predicted,count\n0,0,41\n0,1,3\n")
    record = repro.load_record(EXAMPLE)
    with repro.track(
        record,
        experiment=_experiment(),
        tracking_uri=mlflow_server.url,
        journal_dir=tmp_path / "journal",
        capture=False,
    ) as run:
        run.log_metrics({"train/loss": 0.25}, step=0)
        run.log_artifact(attachment)

    experiment_id = MlflowClient(mlflow_server.url).get_run(run.run_id).info.experiment_id
    run_dir = mlflow_server.artifacts_destination / experiment_id / run.run_id / "artifacts"
    stored = sorted(p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file())
    assert "confusion.csv" in stored, stored
    assert (run_dir / "confusion.csv").read_bytes() == attachment.read_bytes()

    record_files = [run_dir / name for name in stored if name.endswith("record.json")]
    assert record_files, f"no record JSON among the run's artifacts: {stored}"
    on_disk = RunRecord.model_validate_json(record_files[0].read_text())
    assert on_disk == run.record
