"""Reading many runs' records from MLflow: paged, concurrent, cached by run id and end time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import repro
from repro.errors import InvalidInputError
from repro.record import RunRecord
from repro.tracking import bulk
from repro.tracking.bulk import Loaded, load_records
from repro.tracking.logfile import log_record

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"


def seed(index: int, cell: str = "lstm") -> RunRecord:
    record = repro.load_record(EXAMPLE)
    record.run.name = f"{cell}-seed{index}"
    record.run.experiment = "sweep"
    record.run.started = record.run.started.replace(second=index % 60)  # type: ignore[union-attr]
    record.architecture.recurrent_layers[0].cell = cell  # type: ignore[union-attr]
    record.training.seeds.torch = index  # type: ignore[union-attr]
    record.results[0].value = 0.002 + 0.0001 * index
    return record


@pytest.fixture
def sweep(tracking_store: str) -> list[str]:
    """6 logged runs (two cells x three seeds, pairs alike in start time) and one MLflow run
    repro did not log."""
    from mlflow import MlflowClient

    ids = [log_record(seed(i, cell)) for cell in ("lstm", "gru") for i in range(3)]
    client = MlflowClient(tracking_store)
    client.create_run(client.get_experiment_by_name("sweep").experiment_id, run_name="foreign")
    return ids


def test_pages_and_cache(
    sweep: list[str], tracking_store: str, tmp_path: Path, monkeypatch
) -> None:
    pages: list[int] = []
    listing = bulk._list_sql

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        for ref in listing(*args, **kwargs):
            pages.append(1)
            yield ref

    monkeypatch.setattr(bulk, "PAGE_SIZE", 2)  # 7 runs, start times tied in pairs: 4 pages
    monkeypatch.setattr(bulk, "_list_sql", spy)
    stats = Loaded()
    cold = list(load_records(["sweep"], cache_dir=tmp_path / "cache", stats=stats, progress=True))
    assert len(pages) == 7  # each run listed once across the pages
    assert len(cold) == 6 and len(stats.missing) == 1  # the foreign run is skipped, counted
    assert stats.cached == 0
    assert {r.run.name for r in cold} == {f"{c}-seed{i}" for c in ("lstm", "gru") for i in range(3)}
    again = Loaded()
    warm = list(load_records(["sweep"], cache_dir=tmp_path / "cache", stats=again))
    assert again.cached == 6 and [r.run.name for r in warm] == [r.run.name for r in cold]
    assert warm == cold


def test_a_changed_run_is_read_afresh(
    sweep: list[str], tracking_store: str, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    list(load_records(["sweep"], cache_dir=tmp_path))
    client = MlflowClient(tracking_store)
    changed = seed(0)
    changed.results[0].value = 0.5
    client.log_text(sweep[0], changed.to_json(), "repro/record.json")
    client.set_terminated(sweep[0], "FINISHED", end_time=4_102_444_800_000)  # a new end time
    stats = Loaded()
    records = {r.run.name: r for r in load_records(["sweep"], cache_dir=tmp_path, stats=stats)}
    assert records["lstm-seed0"].results[0].value == 0.5
    assert stats.cached == 5
    (entry,) = tmp_path.rglob(f"{sweep[0]}.json")  # the stale entry was replaced
    assert b"4102444800000" in entry.read_bytes().split(b"\n", 1)[0]


def test_search_runs_fallback_reads_the_same(sweep: list[str], tmp_path: Path, monkeypatch) -> None:
    fast = [r.run.name for r in load_records(["sweep"], use_cache=False)]
    monkeypatch.setattr(bulk, "_sql_store", lambda client: None)
    slow = [r.run.name for r in load_records(["sweep"], use_cache=False)]
    assert fast == slow and len(fast) == 6


def test_run_ids_in_order_and_errors(sweep: list[str], tracking_store: str) -> None:
    wanted = [sweep[2], sweep[0], sweep[4]]
    names = [r.run.name for r in load_records(run_ids=wanted, use_cache=False)]
    assert names == ["lstm-seed2", "lstm-seed0", "gru-seed1"]
    with pytest.raises(InvalidInputError, match="no experiment named 'nope'"):
        list(load_records(["nope"]))
    with pytest.raises(InvalidInputError):
        list(load_records(run_ids=["0" * 32]))


def test_report_cli_over_an_experiment(
    sweep: list[str], tracking_store: str, tmp_path: Path
) -> None:
    env = {"MLFLOW_TRACKING_URI": tracking_store, "REPRO_CACHE_DIR": str(tmp_path / "c")}
    import os

    done = subprocess.run(
        [sys.executable, "-m", "repro", "report", "--experiment", "sweep", "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines()[1:] if line.startswith("cell=")]
    assert {r.split(",")[0] for r in rows} == {"cell=gru", "cell=lstm"}
    assert ",3," in rows[0]  # three seeds per configuration
    assert "1 run(s) without a repro record left out" in done.stderr
    by_id = subprocess.run(
        [sys.executable, "-m", "repro", "report", *sweep[:3]],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert by_id.returncode == 0, by_id.stderr
    assert "| 3 |" in by_id.stdout


def test_a_broken_record_names_the_run_and_field(sweep: list[str], tracking_store: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_store)
    client.log_text(
        sweep[1], '{"run": {"name": "x"}, "training": {"batch_size": -1}}', "repro/record.json"
    )
    with pytest.raises(InvalidInputError, match=rf"runs:/{sweep[1]}/repro/record.json") as info:
        list(load_records(["sweep"], use_cache=False))
    assert "training.batch_size" in str(info.value)


@pytest.mark.server
@pytest.mark.postgres
def test_through_a_server_and_on_postgresql(mlflow_server, postgres_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Over HTTP: search_runs pages and artifact downloads (mlflow-artifacts:/); on the
    server's PostgreSQL database itself: the SQL listing lists the same runs."""
    import uuid

    from mlflow import MlflowClient

    experiment = f"bulk-{uuid.uuid4().hex[:8]}"
    ids = []
    for i in range(3):
        record = seed(i)
        record.run.experiment = experiment
        ids.append(log_record(record, tracking_uri=mlflow_server.url))
    stats = Loaded()
    names = [
        r.run.name
        for r in load_records([experiment], mlflow_server.url, cache_dir=tmp_path, stats=stats)
    ]
    assert sorted(names) == ["lstm-seed0", "lstm-seed1", "lstm-seed2"]
    again = Loaded()
    assert (
        len(list(load_records([experiment], mlflow_server.url, cache_dir=tmp_path, stats=again)))
        == 3
    )
    assert again.cached == 3
    direct = MlflowClient(postgres_db.uri)
    assert bulk._sql_store(direct) is not None
    experiment_id = direct.get_experiment_by_name(experiment).experiment_id
    listed = [ref.run_id for ref in bulk.list_runs(direct, [experiment_id])]
    searched = [ref.run_id for ref in bulk._list_search(direct, [experiment_id], 1000)]
    assert sorted(listed) == sorted(searched) == sorted(ids)
