"""Time to render the model cards and hyperparameter tables of one run, next to loading it.

Side by side in one process: loading the example record from YAML (parse + RunRecord
validation), then rendering card-md, card-html with both plots (a 2,000-step metric history
of four series and five gradient-flow snapshots), card-html without plots, hparams-latex and
hparams-md. The first render of each format is reported apart ("first", which includes
compiling templates and, for card-html, importing matplotlib); the rest are medians over
repetitions. Ratios are to the median load time.

    .venv/bin/python benchmarks/bench_render_cards.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from repro.files.records import load_record
from repro.record import Diagnostics, GradientFlow, RunRecord
from repro.rendering.api import render

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"


def history(steps: int = 2000) -> dict[str, list[tuple[int, float]]]:
    """Four series as a training loop logs them: per-step loss and LR, validation every 100."""
    loss = [(s, 0.17 * math.exp(-s / 300) + 0.002) for s in range(steps)]
    val = [(s, 0.17 * math.exp(-s / 320) + 0.0025) for s in range(0, steps, 100)]
    lr = [(s, 1e-5 + 0.5 * 1e-3 * (1 + math.cos(math.pi * s / steps))) for s in range(steps)]
    return {"train/loss": loss, "val/loss": val, "val/mse": val, "lr": lr}


def with_flow(record: RunRecord) -> RunRecord:
    """The record plus five gradient-flow snapshots of 100 time steps."""
    snapshots = [
        GradientFlow(
            step=500 * i,
            layer="rnn",
            timesteps=list(range(100)),
            grad_norms=[math.exp(-(99 - t) / (6 + 4 * i)) for t in range(100)],
        )
        for i in range(5)
    ]
    out = record.model_copy(deep=True)
    out.diagnostics = Diagnostics(gradient_flow=snapshots)
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    load_s, record = timed(lambda: load_record(EXAMPLE))
    flow_record, hist = with_flow(record), history()
    cases: list[tuple[str, Callable[[], str]]] = [
        ("card-md", lambda: render(record, "card-md")),
        ("card-html (no plots)", lambda: render(record, "card-html")),
        ("card-html (2 plots)", lambda: render(flow_record, "card-html", history=hist)),
        ("hparams-latex", lambda: render(record, "hparams-latex")),
        ("hparams-md", lambda: render(record, "hparams-md")),
    ]
    first: dict[str, float] = {}
    sizes: dict[str, int] = {}
    for name, fn in cases:
        first[name], text = timed(fn)
        sizes[name] = len(text.encode("utf-8"))
    loads: list[float] = [load_s]
    samples: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(args.repeats):
        loads.append(timed(lambda: load_record(EXAMPLE))[0])
        for name, fn in cases:
            samples[name].append(timed(fn)[0])
    load = statistics.median(loads)

    print(f"example record: {EXAMPLE.relative_to(ROOT)}; {args.repeats} repetitions, medians")
    print(f"{'step':<22}{'first ms':>10}{'median ms':>11}{'x load':>9}{'output':>11}")
    print(f"{'load record (YAML)':<22}{load_s * 1e3:>10.2f}{load * 1e3:>11.2f}{1.0:>9.1f}{'':>11}")
    for name, _ in cases:
        median = statistics.median(samples[name])
        print(
            f"{name:<22}{first[name] * 1e3:>10.2f}{median * 1e3:>11.2f}"
            f"{median / load:>9.1f}{sizes[name] / 1024:>9.1f} KiB"
        )


if __name__ == "__main__":
    main()
