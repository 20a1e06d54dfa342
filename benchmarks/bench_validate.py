"""Wall time of `repro validate` next to the cost of importing pydantic and torch.

Each command runs as a fresh process, so interpreter start-up and imports are included, as a
user or CI job sees them. A repetition runs every command once, in a shuffled order, so drift
on a shared machine hits all alike; the figure is the median over repetitions, and the ratio
is validate / `import pydantic` (the floor any Pydantic-based validator pays).

    .venv/bin/python benchmarks/bench_validate.py [--repeats 9] [--record FILE]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RECORD = ROOT / "examples" / "records" / "lstm-adding.yaml"
PYDANTIC = 'python -c "import pydantic"'
TORCH = 'python -c "import torch"'


def _commands(record: Path) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "python (bare start-up)": [python, "-c", "pass"],
        PYDANTIC: [python, "-c", "import pydantic"],
        f"repro validate {record.name}": [python, "-m", "repro", "validate", str(record)],
        TORCH: [python, "-c", "import torch"],
    }


def _time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"bench_validate: {' '.join(argv)} exited {done.returncode}:\n"
            + done.stderr.decode(errors="replace")
        )
    return elapsed


def main() -> None:
    """Measure, then print one table of medians and the validate/pydantic ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--record", type=Path, default=DEFAULT_RECORD)
    args = parser.parse_args()

    commands = _commands(args.record.resolve())
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the file cache once, untimed
        _time_once(argv)
    for _ in range(args.repeats):
        order = list(commands)
        random.shuffle(order)
        for name in order:
            times[name].append(_time_once(commands[name]))

    medians = {name: statistics.median(values) for name, values in times.items()}
    pydantic_s = medians[PYDANTIC]
    validate_name = next(name for name in commands if name.startswith("repro validate"))

    table = Table(title=f"Process wall time, median of {args.repeats} (shuffled order)")
    table.add_column("command")
    table.add_column("median s", justify="right")
    table.add_column("min s", justify="right")
    table.add_column("x import pydantic", justify="right")
    for name, median in medians.items():
        table.add_row(
            name, f"{median:.3f}", f"{min(times[name]):.3f}", f"{median / pydantic_s:.2f}"
        )
    console = Console()
    console.print(table)
    validate_s = medians[validate_name]
    console.print(
        f"validate / import pydantic = {validate_s / pydantic_s:.2f}; "
        f"validate / import torch = {validate_s / medians[TORCH]:.2f}"
    )


if __name__ == "__main__":
    main()
