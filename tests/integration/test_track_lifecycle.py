"""How a tracked run ends and continues: caught interrupts, SIGTERM and ``resume=``, and
checkpoints that never hold repro objects."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from mlflow import MlflowClient
from torch import nn

import repro
from repro.record import RunRecord


def test_caught_keyboard_interrupt_finishes(tracking_store: str) -> None:
    with repro.track(RunRecord(run={"name": "ctrl-c"}), capture=False) as run:
        run.log_metrics({"loss": 1.0}, step=0)
        try:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C during training ...
            time.sleep(5)  # the handler interrupts the sleep
        except KeyboardInterrupt:
            pass  # ... which the script catches, then goes on to its test evaluation
        run.set_result("mse", 0.5, split="test")
    assert run.record.run.status == "finished"
    assert MlflowClient(tracking_store).get_run(run.run_id).info.status == "FINISHED"
    assert repro.load_run(run.run_id).metric("mse", "test").value == 0.5


def test_interrupt_leaving_the_block_kills(tracking_store: str) -> None:
    with (
        pytest.raises(KeyboardInterrupt),
        repro.track(RunRecord(run={"name": "ctrl-c"}), capture=False) as run,
    ):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    assert MlflowClient(tracking_store).get_run(run.run_id).info.status == "KILLED"


PREEMPTED = """
import sys, time
from pathlib import Path

import torch
from torch import nn

import repro

checkpoint = Path("checkpoint.pt")
torch.manual_seed(0)
model = nn.LSTM(2, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
start, run_id = 0, None
if checkpoint.exists():  # a restarted job: what the checkpoint holds is plain tensors and ids
    state = torch.load(checkpoint, weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    start, run_id = state["step"] + 1, state["run_id"]
x = torch.randn(5, 8, 2)
with repro.track(model, optimizer, experiment="preempted", resume=run_id) as run:
    for step in range(start, 30):
        out, _ = model(x)
        loss = out.pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.log_metrics({"loss": loss.item(), "seen": float(step)}, step=step)
        run.log_metrics({"auto": float(step)})
        if step % 5 == 4:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
            torch.save({**state, "step": step, "run_id": run.run_id}, checkpoint)
        if run_id is None and step == 17:
            print("preempt me", flush=True)
            time.sleep(120)
print("done", run.run_id, flush=True)
"""


@pytest.mark.slow
def test_sigterm_then_resume_logs_every_step_exactly_once(
    tracking_store: str, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(PREEMPTED))
    first = subprocess.Popen(
        [sys.executable, str(script)], cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "preempt me"
    first.send_signal(signal.SIGTERM)  # the cluster preempts the job
    assert first.wait(timeout=120) == 128 + signal.SIGTERM
    client = MlflowClient(tracking_store)
    [killed] = client.search_runs([client.get_experiment_by_name("preempted").experiment_id])
    assert killed.info.status == "KILLED"

    second = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout.split()[-1] == killed.info.run_id  # the same MLflow run continued

    run_id = killed.info.run_id
    assert client.get_run(run_id).info.status == "FINISHED"
    for key in ("loss", "seen"):
        steps = sorted(m.step for m in client.get_metric_history(run_id, key))
        assert steps == list(range(30)), key  # 15-17 were logged by both attempts: kept once
    seen = {m.step: m.value for m in client.get_metric_history(run_id, "seen")}
    assert all(value == step for step, value in seen.items())
    auto = sorted(m.step for m in client.get_metric_history(run_id, "auto"))
    # without step= (the second call of each step: index 1, 3, ... 35) the resumed attempt
    # carries on after the highest step the run reached: no step comes twice
    assert auto[:18] == list(range(1, 36, 2)) and min(auto[18:]) >= 36
    assert len(auto) == len(set(auto)) == 18 + 15
    record = repro.load_run(run_id)
    assert record.run.status == "finished" and len(record.run.resumed) == 1
    assert record.training.observed.optimizer_steps == 18 + 15  # both attempts' steps
    assert record.provenance.wall_time_s is not None


def test_checkpoints_hold_no_repro_objects(tracking_store: str, tmp_path: Path) -> None:
    model = nn.Sequential(nn.Embedding(10, 4), nn.Dropout(0.1), nn.GRU(4, 4))
    optimizer = torch.optim.Adam(model.parameters())
    loader = torch.utils.data.DataLoader(torch.randint(0, 10, (8, 3)), batch_size=4)
    iter_before = torch.utils.data.DataLoader.__iter__
    with repro.track(model, optimizer, data=loader) as run:
        for batch in loader:
            out, _ = model(batch)
            out.sum().backward()
            run.clip_grad_norm(model.parameters(), 1.0)
            optimizer.step()
            run.log_metrics({"x": 1.0})
            for blob in (pickle.dumps(model), pickle.dumps(optimizer), pickle.dumps(loader)):
                assert b"repro" not in blob
        torch.save({"model": model, "optimizer": optimizer.state_dict()}, tmp_path / "c.pt")
        torch.load(tmp_path / "c.pt", weights_only=False)
    # every global hook is gone again, and the DataLoader class is as it was
    from torch.nn.modules import module as module_hooks
    from torch.optim import optimizer as optimizer_hooks

    assert not module_hooks._global_forward_hooks
    assert not module_hooks._global_forward_pre_hooks
    assert not optimizer_hooks._global_optimizer_post_hooks
    assert torch.utils.data.DataLoader.__iter__ is iter_before
    assert run.record.training.observed.epochs == 1


def test_resume_by_local_id_continues_the_same_run(tracking_store: str) -> None:
    record = RunRecord(run={"name": "resumable"})
    with repro.track(record, experiment="resume", capture=False) as first:
        for step in range(3):
            first.log_metrics({"loss": 1.0 / (step + 1)})
    with repro.track(record, experiment="resume", capture=False, resume=first.local_id) as again:
        assert again.run_id == first.run_id
        again.log_metrics({"loss": 9.0}, step=1)  # logged by the first attempt: dropped
        again.log_metrics({"loss": 0.1})  # carries on after step 2
    history = MlflowClient(tracking_store).get_metric_history(first.run_id, "loss")
    assert sorted((m.step, m.value) for m in history) == [(0, 1.0), (1, 0.5), (2, 1 / 3), (4, 0.1)]
    loaded = repro.load_run(first.run_id)
    assert loaded.run.started == first.record.run.started and len(loaded.run.resumed) == 1
    with (
        pytest.raises(repro.InvalidInputError, match="no journal of that run"),
        repro.track(record, capture=False, resume="local-0123"),
    ):
        pass


def test_resume_with_the_store_down_trains_on_as_a_new_offline_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.servers import free_port

    monkeypatch.chdir(tmp_path)
    uri = f"http://127.0.0.1:{free_port()}"
    record = RunRecord(run={"name": "resumable"})
    with repro.track(record, tracking_uri=uri, capture=False, resume="0123abcd") as run:
        run.log_metrics({"loss": 1.0})
    assert not run.online and run.record.run.status == "finished"
    assert run.record.run.tags["repro.resumed_from"] == "0123abcd"
    assert "could not resume run 0123abcd" in run.record.warnings[0].message
