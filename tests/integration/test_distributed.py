"""torch.distributed with repro: two CPU processes under a gloo process group, each running the
same training script with ``repro.track``, give one run (rank 0's) with world size 2, the
backend and each rank's device; rank 1's run is quiet and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient
from support.servers import free_port

import repro

pytestmark = pytest.mark.slow

SCRIPT = """\
import json, sys
import torch
import torch.distributed as dist
from torch import nn
import repro

dist.init_process_group("gloo")
torch.manual_seed(0)
model = nn.parallel.DistributedDataParallel(nn.LSTM(2, 4, batch_first=True))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
with repro.track(model, optimizer, experiment="ddp", name="ddp-job") as run:
    for step in range(3):
        out, _ = model(torch.randn(2, 3, 2))
        loss = out.pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        run.clip_grad_norm(model.parameters(), 1.0)
        optimizer.step()
        run.log_metrics({"train/loss": loss.item()}, step=step)
print(json.dumps({"rank": dist.get_rank(), "run_id": run.run_id, "kind": type(run).__name__}))
dist.destroy_process_group()
"""


def test_two_gloo_ranks_give_one_run_with_world_size_two(
    tracking_store: str, tmp_path: Path
) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    port = free_port()
    processes = []
    for rank in (0, 1):
        env = {
            **os.environ,
            "MLFLOW_TRACKING_URI": tracking_store,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "RANK": str(rank),
            "WORLD_SIZE": "2",
            "OMP_NUM_THREADS": "1",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "train.py"],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    zero, one = sorted(outputs, key=lambda o: o["rank"])
    assert zero["kind"] == "TrackedRun" and one == {"rank": 1, "run_id": None, "kind": "QuietRun"}

    client = MlflowClient(tracking_store)
    experiment = client.get_experiment_by_name("ddp")
    runs = client.search_runs([experiment.experiment_id])
    assert [r.info.run_id for r in runs] == [zero["run_id"]]
    assert runs[0].info.status == "FINISHED"
    record = repro.load_run(zero["run_id"])
    group = record.environment.distributed
    assert (group.world_size, group.backend, group.rank) == (2, "gloo", 0)
    assert group.devices == ["cpu", "cpu"]
    assert record.architecture.recurrent_layers[0].hidden_size == 4  # DDP unwrapped
    assert record.training.gradient_clipping.threshold == 1.0
    history = client.get_metric_history(zero["run_id"], "train/loss")
    assert sorted(m.step for m in history) == [0, 1, 2]
    journals = list((tmp_path / ".repro" / "journal").rglob("*.jsonl"))
    assert len(journals) == 1  # rank 1 wrote no journal either
