"""Time to render each CRediT format, next to the time to load the records it renders, now
and at the commit before the render reshape (documents + one registry), side by side.

In each measuring process: loading 1,000 records (``json.loads`` + RunRecord validation of
the example record, each with its own run name), then for every credit format the time to
render one run's statement (median of many single renders) and all 1,000 runs' statements.
"vs load" is rendering 1,000 statements over reading and validating them; "now/before"
compares 1,000 renders with the earlier commit (``--against``, default the last commit before
the reshape; see benchmarks/_before.py). Processes alternate between the two trees and each
figure is the median over rounds of the medians over repetitions.

    .venv/bin/python benchmarks/bench_render_credit.py [--runs 1000] [--repeats 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _before import BEFORE_RESHAPE, side_by_side

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("text (elsevier)", "credit-text", {}),
    ("text (role-first)", "credit-text", {"style": "role-first"}),
    ("jats", "credit-jats", {}),
    ("jats --article", "credit-jats", {"article": True}),
    ("jsonld", "credit-jsonld", {}),
    ("csv", "credit-csv", {}),
    ("bibtex --biblatex", "credit-bibtex", {"biblatex": True}),
]


def record_texts(runs: int) -> list[str]:
    """``runs`` JSON record texts: the example record under distinct run names."""
    import repro

    data = repro.load_record(EXAMPLE).to_dict()
    texts = []
    for i in range(runs):
        data["run"]["name"] = f"lstm-adding-seed{i}"
        texts.append(json.dumps(data))
    return texts


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_measurement(runs: int, repeats: int) -> dict[str, float]:
    """Seconds per figure, public API only (``repro.render``), so any tree can run it."""
    from repro import render
    from repro.record import RunRecord

    texts = record_texts(runs)
    records = [RunRecord.model_validate(json.loads(t)) for t in texts]
    for _, fmt, options in CASES:  # warm: template compilation, caches
        render(records[0], fmt, **options)

    load_times: list[float] = []
    one: dict[str, list[float]] = {label: [] for label, _, _ in CASES}
    many: dict[str, list[float]] = {label: [] for label, _, _ in CASES}
    for _ in range(repeats):
        load_times.append(timed(lambda: [RunRecord.model_validate(json.loads(t)) for t in texts]))
        for label, fmt, options in CASES:
            singles = [
                timed(lambda f=fmt, o=options: render(records[0], f, **o)) for _ in range(50)
            ]
            one[label].append(statistics.median(singles))
            many[label].append(timed(lambda f=fmt, o=options: [render(r, f, **o) for r in records]))
    figures = {"load": statistics.median(load_times)}
    for label, _, _ in CASES:
        figures[f"one:{label}"] = statistics.median(one[label])
        figures[f"many:{label}"] = statistics.median(many[label])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", default=BEFORE_RESHAPE, help="earlier commit to compare")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(run_measurement(args.runs, args.repeats)))
        return

    script = Path(__file__)
    passed = ["--runs", str(args.runs), "--repeats", str(args.repeats)]
    now_rounds, before_rounds = side_by_side(script, passed, args.against, args.rounds)
    now = {k: statistics.median(r[k] for r in now_rounds) for k in now_rounds[0]}
    before = (
        {k: statistics.median(r[k] for r in before_rounds) for k in before_rounds[0]}
        if before_rounds
        else None
    )
    load = now["load"]
    against = f"before = {args.against}" if before else f"({args.against} not available)"
    print(
        f"records: {args.runs} x {EXAMPLE.name}, {args.rounds} rounds x {args.repeats} "
        f"repeats (medians); {against}"
    )
    print(
        f"load + validate {args.runs} records: {load * 1e3:9.1f} ms "
        f"({load / args.runs * 1e6:.0f} us/record)"
    )
    print()
    header = (
        f"{'format':<20} {'1 run (ms)':>11} {f'{args.runs} runs (ms)':>15} "
        f"{'before (ms)':>12} {'now/before':>11} {'vs load':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, _, _ in CASES:
        total = now[f"many:{label}"]
        was = before[f"many:{label}"] if before else float("nan")
        print(
            f"{label:<20} {now[f'one:{label}'] * 1e3:11.3f} {total * 1e3:15.1f} "
            f"{was * 1e3:12.1f} {total / was:11.2f} {total / load:7.2f}x"
        )


if __name__ == "__main__":
    main()
