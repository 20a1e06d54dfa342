"""Time for `repro runs` to give up on an unreachable tracking store, scheme by scheme, next to
the same command against a store that answers.

Each command runs as a fresh process (interpreter start-up and imports included, as a user or
CI job sees them), once per repetition in a shuffled order; the figure is the median. The table
also shows the exit code and how many lines the command wrote to stderr (one is the goal: no
retry chatter, no credentials). The "hung" server is a TCP socket that accepts connections and
never answers, as a stopped or deadlocked server does.

    .venv/bin/python benchmarks/bench_unreachable.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hung_server() -> str:
    """A port that accepts connections and never answers them."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            conn, _ = sock.accept()
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return f"http://user:pw@127.0.0.1:{sock.getsockname()[1]}"


def _postgres_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


def _stores(work: Path) -> dict[str, str]:
    from mlflow import MlflowClient

    store = work / "mlflow.db"
    MlflowClient(f"sqlite:///{store}").search_experiments(max_results=1)
    stores = {
        "sqlite store that answers (baseline)": f"sqlite:///{store}",
        "http: connection refused": f"http://user:pw@127.0.0.1:{_free_port()}",
        "http: server accepts, never answers": _hung_server(),
        "postgresql: connection refused": (
            f"postgresql+psycopg://mlflow:pw@127.0.0.1:{_free_port()}/mlflow"
        ),
        "sqlite: path is a directory": f"sqlite:///{work}",
        "unknown scheme": "foo://store",
    }
    if _postgres_up():
        stores["postgresql: no such database"] = (
            "postgresql+psycopg://postgres:pw@127.0.0.1:5432/no_such_database"
        )
    return stores


def _run(uri: str, cwd: Path) -> tuple[float, int, int]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "repro", "runs", "--tracking-uri", uri],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    elapsed = time.perf_counter() - start
    return elapsed, done.returncode, len(done.stderr.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="repro-bench-") as tmp:
        work = Path(tmp)
        stores = _stores(work)
        times: dict[str, list[float]] = {name: [] for name in stores}
        codes: dict[str, tuple[int, int]] = {}
        for _ in range(args.repeats):
            order = list(stores)
            random.shuffle(order)
            for name in order:
                elapsed, code, lines = _run(stores[name], work)
                times[name].append(elapsed)
                codes[name] = (code, lines)
    baseline = statistics.median(times["sqlite store that answers (baseline)"])
    table = Table(title=f"repro runs --tracking-uri ... (median of {args.repeats})")
    for column in ("store", "seconds", "x baseline", "exit", "stderr lines"):
        table.add_column(column, justify="left" if column == "store" else "right")
    for name, values in times.items():
        median = statistics.median(values)
        code, lines = codes[name]
        table.add_row(name, f"{median:.2f}", f"{median / baseline:.1f}", str(code), str(lines))
    Console().print(table)


if __name__ == "__main__":
    main()
