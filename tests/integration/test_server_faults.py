"""Nothing logged is lost when the tracking server dies: kill, restart, sync, count every point.

The server is a real `mlflow server` on PostgreSQL, killed with SIGKILL (its whole process
group) in the middle of a training loop and started again on the same port and database.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from support.servers import MlflowServer, free_port, postgres_database

import repro
from repro import RunRecord

pytestmark = [pytest.mark.server, pytest.mark.postgres]

STEPS = 1000
KILL_AT = 300
RESTART_AT = 600
STEP_SECONDS = 0.002  # a stand-in for compute, so the sender ships batches while we train


def _metrics(step: int) -> dict[str, float]:
    return {"train/loss": 1.0 / (step + 1), "train/grad_norm": step * 0.5, "train/lr": 1e-3}


def _assert_every_point_once(uri: str, run_id: str) -> None:
    """Each key has exactly one point per step 0..STEPS-1, with the value logged at that step."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    for key in _metrics(0):
        history = client.get_metric_history(run_id, key)
        steps = sorted(m.step for m in history)
        duplicated = sorted({s for s in steps if steps.count(s) > 1}) if len(steps) != STEPS else []
        assert steps == list(range(STEPS)), (
            f"{key}: {len(history)} points for {STEPS} steps; "
            f"missing {sorted(set(range(STEPS)) - set(steps))[:20]}, duplicated {duplicated[:20]}"
        )
        for point in history:
            assert point.value == pytest.approx(_metrics(point.step)[key])


def _record() -> RunRecord:
    return RunRecord(run={"name": f"fault-{uuid.uuid4().hex[:6]}", "tags": {"suite": "faults"}})


@pytest.mark.parametrize("restart", ["during-training", "after-the-run"])
def test_server_killed_mid_training_loses_and_duplicates_nothing(
    own_mlflow_server: MlflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restart: str
) -> None:
    monkeypatch.chdir(tmp_path)
    from mlflow import MlflowClient

    server = own_mlflow_server
    journal = tmp_path / "journal"
    port_before = server.port
    with repro.track(
        _record(), experiment="faults", tracking_uri=server.url, journal_dir=journal, capture=False
    ) as run:
        for step in range(STEPS):
            if step == KILL_AT:
                server.kill()
                assert not server.healthy()
            if step == RESTART_AT and restart == "during-training":
                server.restart()  # blocks the loop like a long step while the server boots
            run.log_metrics(_metrics(step), step=step)
            time.sleep(STEP_SECONDS)
    if restart == "after-the-run":
        server.restart()
    assert server.port == port_before and server.starts == 2

    report = repro.sync(tracking_uri=server.url, journal_dir=journal)
    assert not report.failed, report
    _assert_every_point_once(server.url, run.run_id)
    assert MlflowClient(server.url).get_run(run.run_id).info.status == "FINISHED"

    # A second sync has nothing left to send and must not add a single point.
    again = repro.sync(tracking_uri=server.url, journal_dir=journal)
    assert again.metrics_sent == 0 and not again.failed, again
    _assert_every_point_once(server.url, run.run_id)
    assert repro.load_run(run.run_id, tracking_uri=server.url) == run.record


def test_unreachable_server_training_completes_and_sync_delivers_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    from mlflow import MlflowClient

    port = free_port()
    uri = f"http://127.0.0.1:{port}"  # nothing listens here yet
    journal = tmp_path / "journal"
    record = _record()
    with repro.track(
        record, experiment="offline", tracking_uri=uri, journal_dir=journal, capture=False
    ) as run:
        for step in range(STEPS):
            run.log_metrics(_metrics(step), step=step)
        run.set_result("mse", 0.125, split="test")

    with postgres_database() as db:
        server = MlflowServer(db.uri, tmp_path / "artifacts", tmp_path / "server.log", port=port)
        with server:
            report = repro.sync(tracking_uri=uri, journal_dir=journal)
            assert [r.local_id for r in report.synced] == [run.run_id], report
            again = repro.sync(tracking_uri=uri, journal_dir=journal)
            assert again.metrics_sent == 0 and not again.failed, again

            client = MlflowClient(uri)
            experiment = client.get_experiment_by_name("offline")
            assert experiment is not None, "sync did not create the run's experiment"
            runs = client.search_runs([experiment.experiment_id])
            assert len(runs) == 1, [r.info.run_id for r in runs]
            mlflow_run = runs[0]
            assert mlflow_run.info.status == "FINISHED"
            _assert_every_point_once(uri, mlflow_run.info.run_id)

            assert run.run_id.startswith("local-")  # the store was down when the run began
            loaded = repro.load_run(mlflow_run.info.run_id, tracking_uri=uri)
            assert loaded == run.record
            assert loaded.run.name == record.run.name
            assert loaded.metric("mse", split="test").value == pytest.approx(0.125)
            via_local_id = repro.load_run(run.run_id, tracking_uri=uri, journal_dir=journal)
            assert via_local_id == run.record
