"""Many writers at once: 8 processes x 20 runs x 1,000 steps x 3 metrics into one server.

Every run must exist and finish, and every metric must hold exactly one point per step,
with nothing left behind in the writers' shared journal directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.servers import MlflowServer

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.slow]

WORKER = Path(__file__).with_name("load_worker.py")
PROCESSES, RUNS, STEPS = 8, 20, 1000
KEYS = ("train/loss", "train/grad_norm", "train/lr")
WORKER_TIMEOUT_S = 1800


def test_eight_concurrent_writers_lose_and_duplicate_nothing(
    own_mlflow_server: MlflowServer, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    server = own_mlflow_server
    project = tmp_path / "project"  # one working directory: the writers share its journal
    project.mkdir()
    env = {
        k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "REPRO_JOURNAL_DIR")
    }
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), server.url, "load", str(w), str(RUNS), str(STEPS)],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(PROCESSES)
    ]
    outputs = [worker.communicate(timeout=WORKER_TIMEOUT_S) for worker in workers]
    elapsed = time.perf_counter() - started
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, f"writer exited {worker.returncode}:\n{err[-3000:]}"
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    print(
        f"\n{PROCESSES} writers x {RUNS} runs x {STEPS} steps x {len(KEYS)} metrics: "
        f"{elapsed:.1f} s wall; slowest writer {max(r['seconds'] for r in reports):.1f} s"
    )

    journal = project / ".repro" / "journal"
    pending = sorted(p.name for p in journal.glob("local-*.jsonl"))
    said = [
        line
        for _, err in outputs
        for line in err.splitlines()
        if "repro:" in line and "waiting for" not in line
    ]
    assert not pending, f"{len(pending)} runs were not fully delivered live: {pending[:5]}\n" + (
        "\n".join(said[:10])
    )

    client = MlflowClient(server.url)
    experiment = client.get_experiment_by_name("load")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    logged = {run_id for r in reports for run_id in r["run_ids"]}
    assert len(logged) == PROCESSES * RUNS
    assert {r.info.run_id for r in runs} == logged
    assert {r.info.status for r in runs} == {"FINISHED"}

    def check(run_id: str) -> list[str]:
        problems = []
        for key in KEYS:
            steps = sorted(m.step for m in client.get_metric_history(run_id, key))
            if steps != list(range(STEPS)):
                extra = len(steps) - len(set(steps))
                problems.append(f"{run_id} {key}: {len(steps)} points, {extra} duplicated steps")
        return problems

    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for found in pool.map(check, sorted(logged)) for p in found]
    assert not problems, "\n".join(problems[:20])
    print(f"verified in {time.perf_counter() - started - elapsed:.1f} s")
