"""track() on the embedded SQLite store: round trip, statuses, params/tags, limits, journal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from mlflow import MlflowClient

import repro
from repro.record import RunRecord

EXAMPLE = Path(__file__).parents[2] / "examples" / "records" / "lstm-adding.yaml"


def example() -> RunRecord:
    record = repro.load_record(EXAMPLE)
    record.results = []
    return record


def journal_entries(directory: Path) -> list[dict]:
    files = sorted(directory.glob("**/local-*.jsonl"))
    assert len(files) == 1, files
    return [json.loads(line) for line in files[0].read_text().splitlines()]


def test_round_trip_equal_record_and_metrics(tracking_store: str, tmp_path: Path) -> None:
    with repro.track(example(), experiment="adding", capture=False) as run:
        for step in range(50):
            run.log_metrics({"train/loss": 1.0 / (step + 1), "train/acc": step / 50}, step=step)
        run.set_result("mse", 0.0125, split="test", higher_is_better=False, n=1)
        artifact = tmp_path / "notes.txt"
        artifact.write_text("hello")
        run.log_artifact(artifact)

    assert run.record.run.status == "finished"
    assert run.record.run.ended is not None and run.record.run.started is not None
    assert run.record.metric("mse", "test").value == 0.0125
    loaded = repro.load_run(run.run_id)
    assert loaded == run.record

    client = MlflowClient(tracking_store)
    info = client.get_run(run.run_id)
    assert info.info.status == "FINISHED"
    history = client.get_metric_history(run.run_id, "train/loss")
    assert sorted(m.step for m in history) == list(range(50))
    assert info.data.metrics["results/test/mse"] == 0.0125
    assert "notes.txt" in [a.path for a in client.list_artifacts(run.run_id)]
    # delivered journals move to done/; nothing is left pending
    assert not list((tmp_path / ".repro" / "journal").glob("local-*.jsonl"))
    assert list((tmp_path / ".repro" / "journal" / "done").glob("local-*.jsonl"))


def test_params_and_tags_searchable(tracking_store: str) -> None:
    with repro.track(example(), experiment="adding", capture=False) as run:
        run.log_metrics({"loss": 1.0}, step=0)
    client = MlflowClient(tracking_store)
    exp = client.get_experiment_by_name("adding")
    found = client.search_runs(
        [exp.experiment_id],
        "params.`training.batch_size` = '64' and tags.`repro.cell_types` = 'lstm'",
    )
    assert [r.info.run_id for r in found] == [run.run_id]
    tags = found[0].data.tags
    assert tags["task"] == "adding"
    assert tags["mlflow.runName"] == "lstm-adding-seed0"
    params = found[0].data.params
    assert params["architecture.recurrent_layers.0.hidden_size"] == "128"
    assert json.loads(params["training.optimizer.settings.betas"]) == [0.9, 0.999]


def test_exception_marks_failed_and_propagates(tracking_store: str) -> None:
    with (
        pytest.raises(ZeroDivisionError),
        repro.track(example(), experiment="adding", capture=False) as run,
    ):
        run.log_metrics({"loss": 2.0}, step=0)
        _ = 1 / 0
    assert run.record.run.status == "failed"
    client = MlflowClient(tracking_store)
    assert client.get_run(run.run_id).info.status == "FAILED"
    assert repro.load_run(run.run_id).run.status == "failed"
    assert len(client.get_metric_history(run.run_id, "loss")) == 1


def test_sigterm_marks_killed_and_restores_handler(tracking_store: str) -> None:
    before = signal.getsignal(signal.SIGTERM)
    with (
        pytest.raises(SystemExit) as exited,
        repro.track(example(), experiment="adding", capture=False) as run,
    ):
        run.log_metrics({"loss": 3.0}, step=0)
        os.kill(os.getpid(), signal.SIGTERM)
    assert exited.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before
    assert MlflowClient(tracking_store).get_run(run.run_id).info.status == "KILLED"
    assert repro.load_run(run.run_id).run.status == "killed"


def test_long_values_are_left_out_not_truncated(tracking_store: str) -> None:
    record = example()
    record.training.optimizer.settings["schedule_notes"] = "x" * 7000
    record.run.tags["bad key?"] = "v"
    with repro.track(record, experiment="adding", capture=False) as run:
        pass
    data = MlflowClient(tracking_store).get_run(run.run_id).data
    key = "training.optimizer.settings.schedule_notes"
    assert key not in data.params
    assert "bad key?" not in data.tags
    assert key in data.tags["repro.omitted"] and "bad key?" in data.tags["repro.omitted"]
    assert repro.load_run(run.run_id).training.optimizer.settings["schedule_notes"] == "x" * 7000


def test_invalid_metric_name_rejected_at_call(tracking_store: str) -> None:
    with repro.track(example(), experiment="adding", capture=False) as run:
        with pytest.raises(ValueError, match="invalid metric name"):
            run.log_metrics({"bad|name": 1.0}, step=0)
        run.log_metrics({"ok": 1.0})
        run.log_metrics({"ok": 2.0})
    history = MlflowClient(tracking_store).get_metric_history(run.run_id, "ok")
    assert sorted((m.step, m.value) for m in history) == [(0, 1.0), (1, 2.0)]


def test_journal_holds_every_call_before_sending(tracking_store: str, tmp_path: Path) -> None:
    with repro.track(example(), experiment="adding", capture=False) as run:
        for step in range(5):
            run.log_metrics({"a": float(step), "b": -float(step)}, step=step * 10)
    entries = journal_entries(tmp_path / ".repro" / "journal")
    kinds = [e["t"] for e in entries]
    assert kinds[0] == "open" and kinds[-1] == "done" and "close" in kinds
    metrics = [e for e in entries if e["t"] == "m"]
    assert [(e["i"], e["s"], e["v"]) for e in metrics] == [
        (i, i * 10, {"a": float(i), "b": -float(i)}) for i in range(5)
    ]
    assert max(e["upto"] for e in entries if e["t"] == "ack") == 4
    opened = entries[0]
    assert opened["pid"] == os.getpid() and opened["uri"] == tracking_store
    close = next(e for e in entries if e["t"] == "close")
    assert RunRecord.model_validate(close["record"]) == run.record


def test_capture_adds_git_tags(tracking_store: str, tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "train.py").write_text("print('hi')\n")
    git("add", "train.py")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "c")
    (tmp_path / "train.py").write_text("print('changed')\n")
    record = example()
    record.environment = None
    record.provenance = None
    with repro.track(record, experiment="adding") as run:
        pass
    git_info = run.record.provenance.git
    assert git_info is not None and git_info.dirty
    tags = MlflowClient(tracking_store).get_run(run.run_id).data.tags
    assert tags["mlflow.source.git.commit"] == git_info.commit
    assert tags["repro.git.dirty"] == "true"
    assert tags["repro.git.diff_sha256"] == git_info.diff_sha256
    assert run.record.environment is not None
    assert tags["repro.env.python"] == run.record.environment.python


def test_honours_mlflow_tracking_uri(
    tracking_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other" / "store.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{other}")
    with repro.track(example(), experiment="adding", capture=False) as run:
        run.log_metrics({"loss": 1.0}, step=0)
    assert other.exists()
    assert MlflowClient(f"sqlite:///{other}").get_run(run.run_id).info.status == "FINISHED"
    assert repro.load_run(run.run_id) == run.record


def test_watch_and_clip_record_diagnostics(tracking_store: str) -> None:
    import torch

    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = torch.nn.LSTM(2, 8, batch_first=True)
            self.head = torch.nn.Linear(8, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    torch.manual_seed(0)
    model = Model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(4, 20, 2), torch.randn(4, 1)
    with repro.track(example(), experiment="adding", capture=False) as run:
        run.watch(model, every=5)
        for step in range(10):
            loss = ((model(x) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            norm = run.clip_grad_norm(model.parameters(), max_norm=0.1)
            opt.step()
            run.log_metrics({"loss": loss.item(), "grad_norm": norm}, step=step)
    diagnostics = run.record.diagnostics
    assert diagnostics is not None and diagnostics.gradient_flow
    assert diagnostics.clipping.steps == 10 and diagnostics.clipping.threshold == 0.1
    assert repro.load_run(run.run_id) == run.record
    metrics = MlflowClient(tracking_store).get_run(run.run_id).data.metrics
    assert any(key.startswith("grad_flow/") for key in metrics)


def test_sends_in_batches_and_accounts_its_own_cost(tracking_store: str) -> None:
    """Many steps reach MLflow in few log_batch calls, and run.cost reports repro's own time."""
    from repro.tracking import sender as sender_module

    calls: list[int] = []
    real = sender_module.send_metrics

    def counting(client, run_id, pairs, on_acked, **kw):  # type: ignore[no-untyped-def]
        calls.append(len(pairs))
        return real(client, run_id, pairs, on_acked, **kw)

    sender_module.send_metrics = counting
    try:
        with repro.track(RunRecord(run={"name": "cost"}), capture=False) as run:
            for step in range(400):
                run.log_metrics({"a": step, "b": 1.0, "c": 2.0}, step=step)
    finally:
        sender_module.send_metrics = real
    assert sum(calls) == 1200 and len(calls) <= 3  # 1000-metric trigger, then the final flush
    cost = run.cost
    assert cost.log_calls == 400
    assert cost.log_metrics_s > 0 and cost.sender_cpu_s > 0
    assert cost.total_s == cost.log_metrics_s + cost.sender_cpu_s
    history = MlflowClient(tracking_store).get_metric_history(run.run_id, "a")
    assert sorted(m.step for m in history) == list(range(400))
