"""Odd values at the call: steps outside MLflow's 64-bit range, non-numbers, bad names, and text
that cannot be written as UTF-8 (undecodable bytes in ``sys.argv``, lone surrogates in fields).
A bad value is a clear error to the caller and never reaches the journal; odd text is escaped,
recorded and reported, never a crash at start.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient
from support.faults import journal_lines

import repro
from repro.cli import main
from repro.record import RunRecord
from repro.tracking import journal as jr

INT64 = 2**63


def _record(**run: object) -> RunRecord:
    return RunRecord.model_validate({"run": {"name": "values", **run}})


@pytest.mark.parametrize(
    ("metrics", "step", "error", "message"),
    [
        ({"loss": 1.0}, INT64, ValueError, "outside MLflow's range for steps"),
        ({"loss": 1.0}, -INT64 - 1, ValueError, "outside MLflow's range for steps"),
        ({"loss": 1.0}, 1.5, TypeError, "step must be an integer, got 1.5"),
        ({"loss": 1.0}, True, TypeError, "step must be an integer, not True"),
        ({"loss": 1.0}, "3", TypeError, "step must be an integer, got '3'"),
        ({"loss": "0.5"}, 0, TypeError, "metric 'loss': '0.5' is text, not a number"),
        ({"loss": 10**400}, 0, ValueError, "too large for a 64-bit float"),
        ({"loss": [1.0, 2.0]}, 0, TypeError, "metric 'loss': list value is not a number"),
        ({"bad|name": 1.0}, 0, ValueError, "invalid metric name 'bad|name'"),
        ({"../escape": 1.0}, 0, ValueError, "invalid metric name '../escape'"),
        ({"x" * 251: 1.0}, 0, ValueError, "invalid metric name"),
        ({7: 1.0}, 0, ValueError, "invalid metric name 7"),
    ],
)
def test_bad_values_are_refused_at_the_call_and_never_journaled(
    tracking_store: str, tmp_path: Path, metrics: dict, step: object, error: type, message: str
) -> None:
    with repro.track(_record(), capture=False) as run:
        run.log_metrics({"loss": 0.25}, step=0)
        with pytest.raises(error) as raised:
            run.log_metrics(metrics, step=step)  # type: ignore[arg-type]
        assert message in str(raised.value)
        run.log_metrics({"loss": 0.5}, step=1)
    done = tmp_path / ".repro" / "journal" / jr.DONE_DIR / f"{run.local_id}.jsonl"
    logged = [e for e in journal_lines(done) if e["t"] == "m"]
    assert [(e["i"], e["s"], e["v"]) for e in logged] == [
        (0, 0, {"loss": 0.25}),
        (1, 1, {"loss": 0.5}),
    ]
    history = MlflowClient(tracking_store).get_metric_history(run.run_id, "loss")
    assert sorted((m.step, m.value) for m in history) == [(0, 0.25), (1, 0.5)]
    assert repro.sync().runs == []


def test_extreme_but_valid_values_reach_mlflow(tracking_store: str) -> None:
    import numpy as np
    import torch

    with repro.track(_record(), capture=False) as run:
        run.log_metrics({"v": 1.0}, step=INT64 - 1)
        run.log_metrics({"v": 2.0}, step=-INT64)
        run.log_metrics({"v": float("nan")}, step=np.int64(5))
        run.log_metrics({"v": float("inf")}, step=torch.tensor(6))
        run.log_metrics({"v": torch.tensor(0.5)}, step=7.0)
        run.log_metrics({"v": np.float32(0.25), "w": 2**60}, step=8)
    history = MlflowClient(tracking_store).get_metric_history(run.run_id, "v")
    got = {m.step: m.value for m in history}
    assert got[INT64 - 1] == 1.0 and got[-INT64] == 2.0 and math.isnan(got[5])
    assert got[6] > 1e308 and got[7] == 0.5 and got[8] == 0.25
    assert MlflowClient(tracking_store).get_run(run.run_id).info.status == "FINISHED"


TRAINER = """
import sys
import repro
from repro.record import RunRecord
record = RunRecord.model_validate({"run": {"name": "bytes", "description": sys.argv[2]}})
record.run.tags["note"] = "lone \\ud800 surrogate"
with repro.track(record, experiment="bytes") as run:
    run.log_metrics({"loss": 1.0}, step=0)
print(run.run_id)
"""


def test_undecodable_argv_and_lone_surrogates_never_crash_the_run(
    tracking_store: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", TRAINER, b"/data/caf\xe9/train.csv", b"caf\xe9 \xff"],
        cwd=tmp_path,
        env={**os.environ, "MLFLOW_TRACKING_URI": tracking_store},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    warned = [line for line in done.stderr.splitlines() if "cannot be written as UTF-8" in line]
    assert len(warned) == 1, done.stderr
    assert "provenance.command[1]" in warned[0] and "run.tags.note" in warned[0]
    run_id = done.stdout.split()[-1]
    assert MlflowClient(tracking_store).get_run(run_id).info.status == "FINISHED"
    record = repro.load_run(run_id)
    assert record.provenance.command[1:] == ["/data/caf\\xe9/train.csv", "caf\\xe9 \\xff"]
    assert record.run.description == "caf\\xe9 \\xff"
    assert record.run.tags["note"] == "lone \\ud800 surrogate"
    journal = next((tmp_path / ".repro" / "journal" / jr.DONE_DIR).glob("*.jsonl"))
    journal.read_bytes().decode("utf-8")  # valid UTF-8 throughout
    opened = json.loads(journal.read_bytes().splitlines()[0])
    assert opened["record"]["provenance"]["command"][1] == "/data/caf\\xe9/train.csv"


def test_a_journal_line_with_a_lone_surrogate_round_trips() -> None:
    line = jr.encode({"t": "result", "metric": {"name": "caf\udce9"}})
    assert line.decode("utf-8") == '{"t":"result","metric":{"name":"caf\\udce9"}}\n'
    assert json.loads(line)["metric"]["name"] == "caf\udce9"


def test_step_beyond_range_never_blocks_later_syncs(
    tracking_store: str, tmp_path: Path, capsys
) -> None:
    """The earlier failure: a step of 2**63 was accepted and every later sync exited 2."""
    from support.servers import free_port

    offline = f"http://127.0.0.1:{free_port()}"
    with repro.track(_record(), tracking_uri=offline, capture=False) as run:
        run.log_metrics({"loss": 1.0}, step=0)
        with pytest.raises(ValueError):
            run.log_metrics({"loss": 2.0}, step=INT64)
    with pytest.raises(SystemExit) as exited:
        main(["sync", "--tracking-uri", offline, "--to", tracking_store])
    out, err = capsys.readouterr()
    assert exited.value.code == 0, err
    assert f"synced      {run.local_id}" in out and "1 metrics sent" in out
