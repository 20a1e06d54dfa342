"""Wall time of `repro check` on 1 and on 1,000 record files, as ratios to the floor of any
pydantic program (a process that imports pydantic and defines one model).

Each command runs as a fresh process (start-up and imports included, as a CI job sees them).
A repetition runs every command once in a shuffled order, so drift on a shared machine hits
all alike; figures are medians over repetitions. The 1,000 files are copies of the example
record under distinct names, in a temporary directory.

    .venv/bin/python benchmarks/bench_check.py [--repeats 7] [--files 1000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "examples" / "records" / "lstm-adding.yaml"
FLOOR = "pydantic floor (import pydantic, define one model)"
FLOOR_CODE = "import pydantic\nclass M(pydantic.BaseModel):\n    x: int\nM(x=1)\n"


def _time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: the check ran and found warnings under --strict
        raise SystemExit(f"bench_check: {' '.join(argv)} exited {done.returncode}:\n"
                         + done.stderr.decode(errors="replace"))  # fmt: skip
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    python = sys.executable
    folder = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        many = []
        for i in range(args.files):
            many.append(str(shutil.copy(RECORD, folder / f"run-{i:04d}.yaml")))
        commands = {
            FLOOR: [python, "-c", FLOOR_CODE],
            "repro check (1 file)": [python, "-m", "repro", "check", str(RECORD)],
            "repro check (1 file, junit)": [
                python,
                "-m",
                "repro",
                "check",
                str(RECORD),
                "--format",
                "junit",
            ],
            f"repro check ({args.files} files)": [python, "-m", "repro", "check", *many],
            f"repro check ({args.files} files, --group)": [
                python,
                "-m",
                "repro",
                "check",
                *many,
                "--group",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for argv in commands.values():  # warm the file cache once, untimed
            _time_once(argv)
        for _ in range(args.repeats):
            order = list(commands)
            random.shuffle(order)
            for name in order:
                times[name].append(_time_once(commands[name]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians[FLOOR]
    table = Table(title=f"Process wall time, median of {args.repeats} (shuffled order)")
    for column, justify in (("command", "left"), ("median s", "right"), ("x floor", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for name, median in medians.items():
        table.add_row(name, f"{median:.3f}", f"{median / floor:.2f}")
    console = Console()
    console.print(table)
    one = medians["repro check (1 file)"] / floor
    console.print(f"1 file: {one:.2f}x the pydantic floor (target: within 1.5x)")


if __name__ == "__main__":
    main()
