"""Time to render the model cards and hyperparameter tables of one run, next to loading it, now
and at the commit before the render reshape (documents + one registry), side by side.

In each measuring process: loading the example record from YAML (parse + RunRecord
validation), then rendering card-md, card-html with both plots (a 2,000-step metric history
of four series and five gradient-flow snapshots), card-html without plots, hparams-latex and
hparams-md. The first render of each format is reported apart ("first", which includes
compiling templates and, for card-html, importing matplotlib); the rest are medians over
repetitions. Processes alternate between the current tree and the earlier commit
(``--against``, default the last commit before the reshape; see benchmarks/_before.py), and
each figure is the median over rounds. Ratios: now / before, and median render / record load.

    .venv/bin/python benchmarks/bench_render_cards.py [--repeats 7] [--rounds 3] [--against REV]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _before import BEFORE_RESHAPE, side_by_side

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"
CASES = ("card-md", "card-html (no plots)", "card-html (2 plots)", "hparams-latex", "hparams-md")


def history(steps: int = 2000) -> dict[str, list[tuple[int, float]]]:
    """Four series as a training loop logs them: per-step loss and LR, validation every 100."""
    loss = [(s, 0.17 * math.exp(-s / 300) + 0.002) for s in range(steps)]
    val = [(s, 0.17 * math.exp(-s / 320) + 0.0025) for s in range(0, steps, 100)]
    lr = [(s, 1e-5 + 0.5 * 1e-3 * (1 + math.cos(math.pi * s / steps))) for s in range(steps)]
    return {"train/loss": loss, "val/loss": val, "val/mse": val, "lr": lr}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def run_measurement(repeats: int) -> dict[str, dict[str, float]]:
    """Figures (seconds, bytes) of this process's repro: public API only, so any tree runs it."""
    import repro
    from repro.record import Diagnostics, GradientFlow

    load_s, record = timed(lambda: repro.load_record(EXAMPLE))
    flow = record.model_copy(deep=True)
    flow.diagnostics = Diagnostics(
        gradient_flow=[
            GradientFlow(
                step=500 * i,
                layer="rnn",
                timesteps=list(range(100)),
                grad_norms=[math.exp(-(99 - t) / (6 + 4 * i)) for t in range(100)],
            )
            for i in range(5)
        ]
    )
    hist = history()
    cases: dict[str, Callable[[], str]] = {
        "card-md": lambda: repro.render(record, "card-md"),
        "card-html (no plots)": lambda: repro.render(record, "card-html"),
        "card-html (2 plots)": lambda: repro.render(flow, "card-html", history=hist),
        "hparams-latex": lambda: repro.render(record, "hparams-latex"),
        "hparams-md": lambda: repro.render(record, "hparams-md"),
    }
    figures: dict[str, dict[str, float]] = {}
    for name, fn in cases.items():
        first, text = timed(fn)
        figures[name] = {"first": first, "bytes": len(text.encode("utf-8"))}
    loads = [load_s]
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        loads.append(timed(lambda: repro.load_record(EXAMPLE))[0])
        for name, fn in cases.items():
            samples[name].append(timed(fn)[0])
    for name in cases:
        figures[name]["median"] = statistics.median(samples[name])
    figures["load record (YAML)"] = {"first": load_s, "median": statistics.median(loads)}
    return figures


def combine(rounds: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        name: {key: statistics.median(r[name][key] for r in rounds) for key in rounds[0][name]}
        for name in rounds[0]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", default=BEFORE_RESHAPE, help="earlier commit to compare")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(run_measurement(args.repeats)))
        return

    script, passed = Path(__file__), ["--repeats", str(args.repeats)]
    now_rounds, before_rounds = side_by_side(script, passed, args.against, args.rounds)
    now = combine(now_rounds)
    before = combine(before_rounds) if before_rounds else None
    load = now["load record (YAML)"]["median"]

    against = f"before = {args.against}" if before else f"({args.against} not available)"
    print(
        f"example record: {EXAMPLE.relative_to(ROOT)}; {args.rounds} rounds x {args.repeats} "
        f"repetitions, medians; {against}"
    )
    print(f"{'':<22}{'first render (ms)':>24}{'median render (ms)':>32}")
    print(
        f"{'step':<22}{'before':>8}{'now':>8}{'ratio':>8}{'before':>9}{'now':>8}{'ratio':>8}"
        f"{'x load':>8}{'output':>11}"
    )
    for name in ("load record (YAML)", *CASES):
        row = now[name]
        was = before[name] if before else {"first": math.nan, "median": math.nan}
        size = f"{row['bytes'] / 1024:>9.1f} KiB" if "bytes" in row else ""
        print(
            f"{name:<22}{was['first'] * 1e3:>8.1f}{row['first'] * 1e3:>8.1f}"
            f"{row['first'] / was['first']:>8.2f}{was['median'] * 1e3:>9.2f}"
            f"{row['median'] * 1e3:>8.2f}{row['median'] / was['median']:>8.2f}"
            f"{row['median'] / load:>8.1f}{size:>11}"
        )


if __name__ == "__main__":
    main()
