"""Time to render each CRediT format, next to the time to load the records it renders.

Side by side in one process: loading 1,000 records (``json.loads`` + RunRecord validation of
the example record, each with its own run name), then for every credit format the time to
render one run's statement (median of many single renders) and all 1,000 runs' statements.
Ratios are to loading the 1,000 records, so "0.8x" means rendering 1,000 statements costs
80% of what reading and validating them did. Repetitions alternate load and render, and each
figure is the median over repetitions.

    .venv/bin/python benchmarks/bench_render_credit.py [--runs 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from repro.files.records import read_data
from repro.record import RunRecord
from repro.rendering.api import render

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
    data = read_data(EXAMPLE)
    texts = []
    for i in range(runs):
        data["run"]["name"] = f"lstm-adding-seed{i}"
        texts.append(json.dumps(data))
    return texts


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    texts = record_texts(args.runs)
    records = [RunRecord.model_validate(json.loads(t)) for t in texts]
    for _, fmt, options in CASES:  # warm: template compilation, caches
        render(records[0], fmt, **options)

    load_times: list[float] = []
    one: dict[str, list[float]] = {label: [] for label, _, _ in CASES}
    many: dict[str, list[float]] = {label: [] for label, _, _ in CASES}
    for _ in range(args.repeats):
        load_times.append(timed(lambda: [RunRecord.model_validate(json.loads(t)) for t in texts]))
        for label, fmt, options in CASES:
            singles = [
                timed(lambda f=fmt, o=options: render(records[0], f, **o)) for _ in range(50)
            ]
            one[label].append(statistics.median(singles))
            many[label].append(timed(lambda f=fmt, o=options: [render(r, f, **o) for r in records]))

    load = statistics.median(load_times)
    print(f"records: {args.runs} x {EXAMPLE.name}, repeats: {args.repeats} (medians)")
    print(
        f"load + validate {args.runs} records: {load * 1e3:9.1f} ms "
        f"({load / args.runs * 1e6:.0f} us/record)"
    )
    print()
    header = (
        f"{'format':<20} {'1 run (ms)':>11} {f'{args.runs} runs (ms)':>15} "
        f"{'us/run':>8} {'vs load':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, _, _ in CASES:
        single = statistics.median(one[label])
        total = statistics.median(many[label])
        print(
            f"{label:<20} {single * 1e3:11.3f} {total * 1e3:15.1f} "
            f"{total / args.runs * 1e6:8.0f} {total / load:7.2f}x"
        )


if __name__ == "__main__":
    main()
