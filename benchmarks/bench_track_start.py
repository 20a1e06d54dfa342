"""What starting a tracked run costs, capture included, next to one training step of the README's
LSTM and to ``mlflow.start_run`` + ``log_params`` of the same facts.

The README's training-loop program is run up to its ``with`` line, so the model, optimizer,
scheduler and loader are exactly the README's. Then, side by side in one process, each
repetition measures in a shuffled order:

  step         one training step of that model (forward, backward, clipping, Adam, schedule),
               the median over a pass of the loader
  track-start  ``repro.track(model, optimizer, scheduler=..., data=loader)`` until the first
               line inside its ``with`` block: capture (architecture, optimizer, schedule,
               initialisation test, precision, dropout, seeds, the data's digest and lengths),
               environment, git (a dirty work tree, so the diff artifact is written too), the
               MLflow run, its params and tags and the record artifact, and the observer
  capture      the capture alone (``CaptureSession``: the part of track-start before the
               environment, git and MLflow)
  track-end    leaving the ``with`` block with nothing logged (observations, imported
               packages, final record, status) - reported beside, not in the ratio
  mlflow       ``mlflow.start_run()`` + ``mlflow.log_params`` + ``mlflow.set_tags`` of the same
               params and tags repro logs (``end_run`` not counted)

Each mode gets a fresh run in one SQLite store (created before timing) in a temporary git
repository. The first tracked start in a process also imports capture's and MLflow's modules;
it is reported separately as the cold start. Ratios are of medians over the repetitions.

    .venv/bin/python benchmarks/bench_track_start.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def readme_setup() -> str:
    """The README's training-loop program up to its ``with repro.track`` line."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Three lines in a training loop", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert code is not None, "README: no training-loop block"
    return code.group(1).split("\nwith repro.track(", 1)[0]


def git_repository(path: Path) -> None:
    """A repository with a commit and an uncommitted edit (a dirty run stores its diff)."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)

    git("init", "-q")
    (path / "train.py").write_text("print('train')\n" * 50)
    git("add", "train.py")
    git("-c", "user.name=b", "-c", "user.email=b@example.org", "commit", "-qm", "c")
    (path / "train.py").write_text("print('train, edited')\n" * 50)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="repro-bench-start-"))
    git_repository(work)
    os.chdir(work)
    uri = f"sqlite:///{work / 'mlflow.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = uri

    import mlflow
    import torch
    from mlflow import MlflowClient
    from torch import nn

    torch.set_num_threads(1)
    mlflow.set_tracking_uri(uri)
    MlflowClient(uri).search_experiments(max_results=1)  # create the schema before timing
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(readme_setup(), "<README>", "exec"), namespace)
    model, optimizer = namespace["model"], namespace["optimizer"]
    scheduler, loader = namespace["scheduler"], namespace["loader"]

    import repro
    from repro.capture.session import CaptureSession
    from repro.tracking.flatten import flatten_record

    def step_times() -> list[float]:
        times = []
        for x, y in loader:
            began = time.perf_counter()
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            scheduler.step()
            times.append(time.perf_counter() - began)
        return times

    ends: list[float] = []
    facts: dict[str, Any] = {}

    def track_start() -> float:
        began = time.perf_counter()
        with repro.track(
            model, optimizer, scheduler=scheduler, data=loader, experiment="bench"
        ) as run:
            started = time.perf_counter() - began
            facts["record"] = run.record.model_copy(deep=True)
            ended = time.perf_counter()
        ends.append(time.perf_counter() - ended)
        return started

    def mlflow_start() -> float:
        flat = flatten_record(facts["record"])
        mlflow.set_experiment("bench-mlflow")
        began = time.perf_counter()
        mlflow.start_run()
        mlflow.log_params(flat.params)
        mlflow.set_tags(flat.tags)
        took = time.perf_counter() - began
        mlflow.end_run()
        return took

    def capture() -> float:
        began = time.perf_counter()
        CaptureSession(model, optimizer, scheduler=scheduler, data=loader)
        return time.perf_counter() - began

    cold = track_start()  # imports capture, codecarbon and MLflow's run machinery once
    mlflow_start()
    modes: dict[str, Callable[[], float]] = {
        "step": lambda: statistics.median(step_times()),
        "track-start": track_start,
        "capture": capture,
        "mlflow": mlflow_start,
    }
    measured: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(args.repeats):
        order = list(modes)
        random.shuffle(order)
        for mode in order:
            measured[mode].append(modes[mode]())
    median = {mode: statistics.median(values) for mode, values in measured.items()}
    record = facts["record"]
    flat = flatten_record(record)
    print(f"README LSTM, {len(loader)} batches of {loader.batch_size}; torch threads 1")
    print(f"{len(flat.params)} params, {len(flat.tags)} tags; {args.repeats} repetitions\n")
    print(f"{'mode':<14}{'median':>12}{'min':>12}{'max':>12}")
    for mode, values in measured.items():
        print(
            f"{mode:<14}{median[mode] * 1e3:>10.1f}ms{min(values) * 1e3:>10.1f}ms"
            f"{max(values) * 1e3:>10.1f}ms"
        )
    end = statistics.median(ends[1:] or ends)
    print(f"{'track-end':<14}{end * 1e3:>10.1f}ms  (leaving the with block, not in the ratios)")
    print(f"{'cold start':<14}{cold * 1e3:>10.1f}ms  (the first track() in the process)\n")
    print(
        f"track-start = {median['track-start'] / median['step']:.1f} training steps of the "
        f"README's LSTM"
    )
    print(
        f"track-start = {median['track-start'] / median['mlflow']:.1f} x mlflow.start_run + "
        "log_params + set_tags of the same facts"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
