"""`repro report` over thousands of MLflow runs, next to MLflow's own `search_runs`.

Creates an embedded MLflow store (SQLite + local artifacts) of N runs once, as repro logs them
(flattened params and tags, result metrics, the `repro/record.json` artifact, a finished
status), and keeps it in benchmarks/.cache/ (git-ignored) for later invocations. Then, each in
a fresh interpreter so every figure pays the same start-up, it measures side by side:

  search_runs    MlflowClient.search_runs over the experiment, page by page (1000 a page):
                 MLflow's own way of fetching the same runs (the baseline)
  report-cold    repro report --experiment NAME with an empty record cache
  report-cached  the same command again, the cache now filled

and prints wall time, peak resident memory, and each as a ratio to search_runs. Targets: cold
at most 1.5x, cached well under 1x. Each mode runs --repeats times (median reported; a cold run
always starts from an empty cache).

    .venv/bin/python benchmarks/bench_report.py [--runs 10000] [--repeats 3] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
EXPERIMENT = "bench-report"
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"
CELLS = ("lstm", "gru", "rnn_tanh")
LEARNING_RATES = (3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
HIDDEN = (64, 128)

BASELINE = """
import sys
from mlflow import MlflowClient
client = MlflowClient(sys.argv[1])
ids = [client.get_experiment_by_name(sys.argv[2]).experiment_id]
runs, token = 0, None
while True:
    page = client.search_runs(ids, max_results=1000, page_token=token)
    runs += len(page)
    token = page.token
    if not token:
        break
print(runs)
"""


def _record(index: int, count: int) -> object:
    """Run ``index`` of a sweep: 30 configurations (cell x lr x hidden), seeds within each."""
    import repro
    from repro.record import Diagnostics, GradientFlow, Metric

    configs = [(c, lr, h) for c in CELLS for lr in LEARNING_RATES for h in HIDDEN]
    cell, lr, hidden = configs[index % len(configs)]
    seed = index // len(configs)
    rng = random.Random(index)
    data = repro.load_record(EXAMPLE).to_dict()
    data["run"].update(name=f"{cell}-lr{lr}-h{hidden}-seed{seed}", experiment=EXPERIMENT)
    data["run"]["tags"] = {"cell": cell, "seed": str(seed)}
    layer = data["architecture"]["recurrent_layers"][0]
    layer.update(cell=cell, hidden_size=hidden)
    layer.pop("parameters", None)
    data["architecture"].pop("total_parameters", None)
    data["architecture"].pop("trainable_parameters", None)
    data["architecture"]["output_head"].update(in_features=hidden)
    data["architecture"]["output_head"].pop("parameters", None)
    data["training"]["optimizer"]["settings"]["lr"] = lr
    data["training"]["seeds"] = {"python": seed, "numpy": seed, "torch": seed}
    if cell != "lstm":
        data["training"]["initialisation"] = {"scheme": "pytorch-default"}
    data["provenance"]["command"] = ["python", "train.py", "--cell", cell, "--seed", str(seed)]
    record = repro.RunRecord.model_validate(data)
    quality = {"lstm": 0.002, "gru": 0.003, "rnn_tanh": 0.02}[cell] * (1 + abs(lr - 1e-3) * 50)
    record.results = [
        Metric(name="mse", split="test", value=quality * rng.uniform(0.8, 1.2),
               higher_is_better=False),
        Metric(name="accuracy", split="test", value=1 - quality * rng.uniform(5, 8),
               higher_is_better=True),
    ]  # fmt: skip
    record.diagnostics = Diagnostics(
        gradient_flow=[
            GradientFlow(
                step=step,
                layer="rnn",
                timesteps=list(range(0, 100, 4)),
                grad_norms=[rng.uniform(1e-4, 1e-2) * (t + 1) for t in range(25)],
                ratio_first_last=rng.uniform(1e-3, 1e-1),
            )
            for step in (0, 500, 1000, 1500)
        ]
    )
    return record


def build_store(directory: Path, runs: int) -> str:
    """Create the store of ``runs`` runs (once; ``complete.json`` marks a finished build)."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    from repro.tracking.flatten import CHECK_PROFILE, RECORD_ARTIFACT, flatten_record, result_tags
    from repro.tracking.operations import check_status, to_ms

    uri = f"sqlite:///{directory / 'mlflow.db'}"
    marker = directory / "complete.json"
    if marker.exists() and json.loads(marker.read_text())["runs"] == runs:
        return uri
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    client = MlflowClient(uri)
    experiment = client.create_experiment(
        EXPERIMENT, artifact_location=(directory / "mlruns").as_uri()
    )
    began = time.perf_counter()
    for index in range(runs):
        record = _record(index, runs)
        flat = flatten_record(record)
        checks = {CHECK_PROFILE: check_status(record)}
        tags = {**flat.tags, **result_tags(record, checks)}
        start = to_ms(record.run.started) or 0
        run = client.create_run(
            experiment, start_time=start + index, run_name=record.run.name, tags=tags
        )
        params = [Param(k, v) for k, v in flat.params.items()]
        metrics = [
            Metric(f"results/{m.split}/{m.name}", m.value, start + index, 0) for m in record.results
        ]
        for first in range(0, max(len(params), 1), 100):
            client.log_batch(
                run.info.run_id,
                params=params[first : first + 100],
                metrics=metrics if first == 0 else [],
                synchronous=True,
            )
        # the local artifact store is a folder: write the record where log_text would put it
        target = Path(run.info.artifact_uri.removeprefix("file://")) / RECORD_ARTIFACT
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(record.to_json(), encoding="utf-8")
        client.set_terminated(run.info.run_id, "FINISHED", end_time=start + index + 60_000)
        if (index + 1) % 1000 == 0:
            rate = (index + 1) / (time.perf_counter() - began)
            print(f"  created {index + 1}/{runs} runs ({rate:.0f}/s)", file=sys.stderr)
    marker.write_text(json.dumps({"runs": runs}))
    return uri


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MiB, stdout) of one child process (``wait4`` gives the
    child's own peak, not the maximum over every child so far)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=ROOT, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}):\n{err.read()}")
        return wall, usage.ru_maxrss / 1024, out.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="Recreate the cached store.")
    args = parser.parse_args()

    directory = CACHE / f"report-{args.runs}"
    if args.rebuild:
        shutil.rmtree(directory, ignore_errors=True)
    began = time.perf_counter()
    uri = build_store(directory, args.runs)
    print(f"store: {args.runs} runs in {directory} ({time.perf_counter() - began:.1f} s to ready)")

    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    report = [sys.executable, "-m", "repro", "report", "--experiment", EXPERIMENT,
              "--tracking-uri", uri]  # fmt: skip
    results: dict[str, list[tuple[float, float]]] = {"search_runs": [], "cold": [], "cached": []}
    table = ""
    with tempfile.TemporaryDirectory(prefix="bench-report-cache-") as tmp:
        for repeat in range(args.repeats):
            wall, rss, out = measure([sys.executable, "-c", BASELINE, uri, EXPERIMENT], env)
            assert int(out) == args.runs, out
            results["search_runs"].append((wall, rss))
            cache = Path(tmp) / f"cache-{repeat}"
            run_env = {**env, "REPRO_CACHE_DIR": str(cache)}
            wall, rss, table = measure(report, run_env)
            results["cold"].append((wall, rss))
            wall, rss, again = measure(report, run_env)
            assert again == table, "the cached report differs from the cold one"
            results["cached"].append((wall, rss))

    base_wall = statistics.median(w for w, _ in results["search_runs"])
    base_rss = statistics.median(r for _, r in results["search_runs"])
    print(f"\n{args.runs} runs, median of {args.repeats} (each a fresh process, start-up included)")
    print(f"{'mode':<14} {'wall s':>8} {'x search_runs':>14} {'peak MiB':>9} {'x memory':>9}")
    targets = {"search_runs": "", "cold": "target <= 1.5x", "cached": "target well under 1x"}
    for mode, rows in results.items():
        wall = statistics.median(w for w, _ in rows)
        rss = statistics.median(r for _, r in rows)
        name = {"cold": "report-cold", "cached": "report-cached"}.get(mode, mode)
        print(
            f"{name:<14} {wall:>8.2f} {wall / base_wall:>13.2f}x {rss:>9.0f} "
            f"{rss / base_rss:>8.2f}x  {targets[mode]}"
        )
    groups = sum(1 for line in table.splitlines()[2:] if line.startswith("| "))
    print(f"\nthe report: {groups} groups of seeds; first rows:")
    print("\n".join(table.splitlines()[:4]))


if __name__ == "__main__":
    main()
