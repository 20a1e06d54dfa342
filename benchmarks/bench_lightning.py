"""What repro's Lightning callback costs a training step: a Lightning step with
``ReproCallback`` next to the same step without it, side by side in one process.

The model is the tracking benchmark's CPU LSTM (hidden 128, sequence 100, batch 64, Adam,
``gradient_clip_val=1.0``, one ``self.log`` a step, ``log_every_n_steps=1``). Each repetition
runs both modes in a shuffled order, each a fresh ``Trainer.fit`` of ``--steps`` steps; a
callback of the benchmark's own times every step from one batch end to the next, and the first
``--warmup`` steps of each fit are left out. With repro, each step also goes through repro's
logger (journal + background sender to an embedded SQLite store) and the pre-clip norm is read
before Lightning clips. Reported: the median step of each mode and their ratio, in wall time
and in CPU time (the training thread's, with one torch thread, plus repro's sender thread spread
over the steps: steadier than wall time on a shared machine), per repetition, and the median of
the repetitions' paired ratios.
Starting and ending the run are not steps (see bench_track_start.py).

    .venv/bin/python benchmarks/bench_lightning.py [--steps 60] [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import random
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from repro.integrations.lightning import ReproCallback

BATCH, SEQ, INPUT, HIDDEN = 64, 100, 8, 128


class Model(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(INPUT, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        self.log("train/loss", loss)
        return loss

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=1e-3)


class StepClock(pl.Callback):
    """Wall time and the training thread's CPU time from one training batch's end to the
    next's (with one torch thread, the step's compute runs on that thread)."""

    def __init__(self) -> None:
        self.ends: list[tuple[float, float]] = []

    def on_train_batch_end(self, *args: Any) -> None:
        self.ends.append((time.perf_counter(), time.thread_time()))

    def steps(self, warmup: int, which: int = 0) -> list[float]:
        marks = [end[which] for end in self.ends]
        return [b - a for a, b in itertools.pairwise(marks)][warmup:]


class TimedCallback(ReproCallback):
    """ReproCallback timing its own per-step work: reading the pre-clip norm and taking each
    ``self.log`` batch (journal append, queue for the sender)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_s = 0.0

    def on_before_optimizer_step(self, *args: Any) -> None:
        began = time.perf_counter()
        super().on_before_optimizer_step(*args)
        self.own_s += time.perf_counter() - began

    def _on_metrics(self, *args: Any) -> None:
        began = time.perf_counter()
        super()._on_metrics(*args)
        self.own_s += time.perf_counter() - began


def fit(loader: DataLoader, steps: int, root: Path, callback: Any) -> StepClock:
    """One ``Trainer.fit`` of ``steps`` steps, timed by a :class:`StepClock`."""
    clock = StepClock()
    callbacks = [clock] if callback is None else [callback, clock]
    trainer = pl.Trainer(
        max_steps=steps,
        accelerator="cpu",
        devices=1,
        gradient_clip_val=1.0,
        log_every_n_steps=1,
        logger=False,
        callbacks=callbacks,
        default_root_dir=str(root),
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    torch.manual_seed(0)
    trainer.fit(Model(), loader)
    return clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="steps per fit")
    parser.add_argument("--warmup", type=int, default=10, help="steps of each fit left out")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions of both modes")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    work = Path(tempfile.mkdtemp(prefix="repro-bench-lightning-"))
    uri = f"sqlite:///{work / 'mlflow.db'}"
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH * args.steps, SEQ, INPUT, generator=generator)
    loader = DataLoader(TensorDataset(x, x[:, -1, :1]), batch_size=BATCH, shuffle=True)
    fit(loader, args.warmup + 2, work / "warm", None)  # imports and first-call costs
    fit(loader, args.warmup + 2, work / "warm", ReproCallback("warm", tracking_uri=uri))
    modes = ("lightning", "lightning+repro")
    walls: dict[str, list[float]] = {m: [] for m in modes}
    cpus: dict[str, list[float]] = {m: [] for m in modes}
    own: list[float] = []  # repro's own time a step: hooks + sender CPU
    hooks: list[float] = []  # ... of which in the training thread
    for repeat in range(args.repeats):
        order = list(modes)
        random.shuffle(order)
        for mode in order:
            callback = (
                TimedCallback("bench", tracking_uri=uri, journal_dir=str(work / "journal"))
                if mode == "lightning+repro"
                else None
            )
            clock = fit(loader, args.steps, work / mode, callback)
            cpu = clock.steps(args.warmup, which=1)
            if callback is not None:  # the background sender's CPU, spread over the steps
                sender = callback.run.cost.sender_cpu_s / max(1, args.steps)
                cpu = [c + sender for c in cpu]
                own.append(callback.own_s / max(1, args.steps) + sender)
                hooks.append(callback.own_s / max(1, args.steps))
            walls[mode].append(statistics.median(clock.steps(args.warmup)))
            cpus[mode].append(statistics.median(cpu))
        print(
            f"repeat {repeat + 1}: wall {walls['lightning'][-1] * 1e3:.2f} -> "
            f"{walls['lightning+repro'][-1] * 1e3:.2f} ms, CPU {cpus['lightning'][-1] * 1e3:.2f}"
            f" -> {cpus['lightning+repro'][-1] * 1e3:.2f} ms a step"
        )

    def summary(kind: str, values: dict[str, list[float]]) -> str:
        bare = statistics.median(values["lightning"])
        tracked = statistics.median(values["lightning+repro"])
        pairs = zip(values["lightning"], values["lightning+repro"], strict=True)
        ratios = [t / b for b, t in pairs]
        return (
            f"{kind}: {bare * 1e3:.2f} ms bare, {tracked * 1e3:.2f} ms with ReproCallback; "
            f"ratio {statistics.median(ratios):.3f} (median of the repetitions' paired ratios, "
            f"range {min(ratios):.3f}-{max(ratios):.3f})"
        )

    print(
        f"Lightning step, LSTM hidden {HIDDEN}, seq {SEQ}, batch {BATCH}, CPU, "
        f"{torch.get_num_threads()} torch thread(s), {args.repeats} x {args.steps} steps a mode "
        f"(medians of repetition medians)"
    )
    print("  " + summary("wall", walls))
    print("  " + summary("training-thread CPU + sender CPU", cpus))
    mine = statistics.median(own)
    print(
        f"  repro's own work a step, measured directly (its hooks + sender CPU): "
        f"{mine * 1e3:.3f} ms = {100 * mine / statistics.median(cpus['lightning']):.2f} % "
        f"of a bare step's CPU time ({statistics.median(hooks) * 1e3:.3f} ms of it in the "
        "training thread, the rest the sender thread's)"
    )


if __name__ == "__main__":
    main()
