"""One writer process of the server load test: logs RUNS runs of STEPS steps x 3 metrics.

    python tests/integration/load_worker.py TRACKING_URI EXPERIMENT WORKER RUNS STEPS

Runs from its working directory, so journals go to the default ./.repro/journal shared by all
workers, as when a team member starts several seeds from one project. Prints one JSON line:
the worker index, the MLflow run ids it made and its wall time.
"""

from __future__ import annotations

import json
import math
import sys
import time

import repro

KEYS = ("train/loss", "train/grad_norm", "train/lr")


def main(argv: list[str]) -> None:
    uri, experiment, worker, runs, steps = (
        argv[0],
        argv[1],
        int(argv[2]),
        int(argv[3]),
        int(argv[4]),
    )
    started = time.perf_counter()
    run_ids: list[str] = []
    for index in range(runs):
        record = repro.RunRecord(
            run={"name": f"load-w{worker}-r{index}", "tags": {"worker": str(worker)}}
        )
        with repro.track(record, experiment=experiment, tracking_uri=uri, capture=False) as run:
            for step in range(steps):
                run.log_metrics(
                    {
                        KEYS[0]: math.exp(-step / 300) + worker,
                        KEYS[1]: float(index),
                        KEYS[2]: 1e-3 * (step + 1),
                    },
                    step=step,
                )
        run_ids.append(run.run_id)
    print(
        json.dumps({"worker": worker, "run_ids": run_ids, "seconds": time.perf_counter() - started})
    )


if __name__ == "__main__":
    main(sys.argv[1:])
