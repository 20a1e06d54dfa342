"""Nothing lost: unreachable store, SIGKILL, unacknowledged batches, concurrent first use."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from mlflow import MlflowClient
from support.servers import MlflowServer, free_port

import repro
from repro.record import RunRecord, RunStatus
from repro.tracking import journal as jr

KEYS = ("train/loss", "train/acc", "lr")


def small_record(name: str = "lstm-seed0") -> RunRecord:
    return RunRecord.model_validate(
        {
            "run": {"name": name, "tags": {"task": "adding"}},
            "architecture": {
                "model_class": "M",
                "recurrent_layers": [
                    {"name": "rnn", "cell": "lstm", "input_size": 2, "hidden_size": 8}
                ],
            },
            "training": {"batch_size": 4},
        }
    )


def points(client: MlflowClient, run_id: str, key: str) -> list[tuple[int, float]]:
    return sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))


def test_unreachable_server_then_sync_exactly_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    with repro.track(small_record(), experiment="offline", tracking_uri=uri, capture=False) as run:
        for step in range(300):
            run.log_metrics({k: step * 0.5 for k in KEYS}, step=step)
        run.set_result("mse", 0.25, split="test")
        (tmp_path / "model.txt").write_text("weights")
        run.log_artifact(tmp_path / "model.txt")
    assert run.run_id.startswith("local-") and not run.online
    assert run.record.run.status == "finished"
    state = jr.read_journal(tmp_path / ".repro" / "journal" / f"{run.run_id}.jsonl")
    assert len(state.metrics) == 301 and state.acked_upto == -1  # 300 steps + the result

    server = MlflowServer(
        f"sqlite:///{tmp_path / 'server.db'}",
        tmp_path / "artifacts",
        tmp_path / "server.log",
        port=port,
        workers=1,
    )
    with server:
        report = repro.sync(tracking_uri=uri)
        assert [r.outcome for r in report.runs] == ["synced"], report
        run_id = report.runs[0].run_id
        assert report.metrics_sent == 301 * 1 + 300 * 2
        client = MlflowClient(uri)
        for key in KEYS:
            assert points(client, run_id, key) == [(s, s * 0.5) for s in range(300)]
        again = repro.sync(tracking_uri=uri)
        assert again.runs == [] and again.metrics_sent == 0
        for key in KEYS:
            assert len(client.get_metric_history(run_id, key)) == 300
        info = client.get_run(run_id)
        assert info.info.status == "FINISHED"
        assert info.data.tags["repro.local_id"] == run.run_id
        assert "model.txt" in [a.path for a in client.list_artifacts(run_id)]
        assert repro.load_run(run_id, tracking_uri=uri) == run.record
        assert repro.load_run(run.run_id, tracking_uri=uri) == run.record  # local id resolves


TRAINER = textwrap.dedent(
    """
    import sys, time
    import repro
    from repro.record import RunRecord
    record = RunRecord.model_validate({"run": {"name": "victim"}})
    with repro.track(record, experiment="kill", capture=False) as run:
        for step in range(400):
            run.log_metrics({"a": float(step), "b": step * 2.0}, step=step)
        run.set_result("acc", 0.5)
        print(run.run_id, flush=True)
        while True:
            time.sleep(1)
    """
)


def test_sigkill_then_sync_recovers_and_marks_killed(tracking_store: str, tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", TRAINER],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "MLFLOW_TRACKING_URI": tracking_store},
    )
    try:
        run_id = child.stdout.readline().strip()
        assert run_id, "the trainer exited before logging"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    client = MlflowClient(tracking_store)
    assert client.get_run(run_id).info.status == "RUNNING"

    report = repro.sync()
    assert [(r.outcome, r.run_id, r.status) for r in report.runs] == [("synced", run_id, "killed")]
    assert points(client, run_id, "a") == [(s, float(s)) for s in range(400)]
    assert points(client, run_id, "b") == [(s, s * 2.0) for s in range(400)]
    run = client.get_run(run_id)
    assert run.info.status == "KILLED" and run.info.end_time is not None
    record = repro.load_run(run_id)
    assert record.run.status == RunStatus.KILLED and record.run.ended is not None
    assert record.metric("acc").value == 0.5
    assert repro.sync().runs == []
    assert len(client.get_metric_history(run_id, "a")) == 400


def test_sent_but_unacknowledged_batches_are_not_duplicated(
    tracking_store: str, tmp_path: Path
) -> None:
    with repro.track(small_record(), experiment="acks", capture=False) as run:
        for step in range(120):
            run.log_metrics({"x": float(step), "y": 1.0}, step=step)
    journal_dir = tmp_path / ".repro" / "journal"
    done = journal_dir / "done" / f"{run.local_id}.jsonl"
    # As after a crash between log_batch and the ack: drop acks and the end of the run.
    kept = [
        line
        for line in done.read_text().splitlines()
        if json.loads(line)["t"] not in ("ack", "done")
    ]
    (journal_dir / done.name).write_text("\n".join(kept) + "\n")
    done.unlink()

    report = repro.sync()
    assert [r.outcome for r in report.runs] == ["synced"]
    assert report.runs[0].metrics_sent == 0 and report.runs[0].metrics_present == 240
    client = MlflowClient(tracking_store)
    assert points(client, run.run_id, "x") == [(s, float(s)) for s in range(120)]
    assert len(client.get_metric_history(run.run_id, "y")) == 120
    assert repro.load_run(run.run_id) == run.record


WORKER = textwrap.dedent(
    """
    import sys
    import repro
    from repro.record import RunRecord
    record = RunRecord.model_validate({"run": {"name": sys.argv[1]}})
    with repro.track(record, experiment="race", capture=False) as run:
        for step in range(20):
            run.log_metrics({"loss": 1.0 / (step + 1)}, step=step)
    print(run.run_id, run.online)
    """
)


def test_concurrent_first_use_of_sqlite_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'fresh' / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, f"w{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(4)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in outputs]
    run_ids = [out.split()[0] for out, _ in outputs]
    assert all(out.split()[1] == "True" for out, _ in outputs), outputs
    client = MlflowClient(uri)
    for run_id in run_ids:
        assert client.get_run(run_id).info.status == "FINISHED"
        assert len(client.get_metric_history(run_id, "loss")) == 20
    assert not list((tmp_path / ".repro" / "journal").glob("local-*.jsonl"))
