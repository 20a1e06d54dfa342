"""repro log / runs / export / sync: output, exit codes and messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.servers import free_port

import repro
from repro.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "records" / "lstm-adding.yaml"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_log_then_export_round_trip(tracking_store: str, tmp_path: Path, capsys) -> None:
    code, out, err = cli(capsys, "log", str(EXAMPLE), "--experiment", "adding")
    assert code == 0, err
    run_id = out.strip()
    assert len(run_id) == 32
    code, out, _ = cli(capsys, "export", run_id, "-o", str(tmp_path / "back.yaml"))
    assert code == 0 and out == ""
    assert repro.load_record(tmp_path / "back.yaml") == repro.load_record(EXAMPLE)
    code, out, _ = cli(capsys, "export", f"runs:/{run_id}", "--format", "json")
    assert code == 0
    assert repro.RunRecord.model_validate_json(out) == repro.load_record(EXAMPLE)


def test_runs_lists_key_fields(tracking_store: str, capsys) -> None:
    for _ in range(3):
        assert cli(capsys, "log", str(EXAMPLE), "--experiment", "adding")[0] == 0
    code, out, _ = cli(capsys, "runs", "--experiment", "adding")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split("\t") == [
        "run_id",
        "name",
        "status",
        "cells",
        "main_metric",
        "check",
        "started",
    ]
    assert len(lines) == 4
    fields = lines[1].split("\t")
    assert fields[1:4] == ["lstm-adding-seed0", "FINISHED", "lstm"]
    assert fields[4].startswith("test/")
    assert fields[5] == "passed (0 errors, 2 warnings)"  # the example lacks spread over seeds
    code, out, _ = cli(capsys, "runs", "--experiment", "adding", "--max", "2")
    assert len(out.splitlines()) == 3


def test_runs_pages_through_many_runs(tracking_store: str, capsys, monkeypatch) -> None:
    from mlflow import MlflowClient

    import repro.tracking.listing as listing

    client = MlflowClient(tracking_store)
    experiment = client.create_experiment("many")
    for _ in range(25):
        client.create_run(experiment)
    monkeypatch.setattr(listing, "PAGE_SIZE", 10)  # three pages
    pages: list[int] = []
    rows = list(listing.iter_runs("many", on_page=pages.append))
    assert pages == [10, 10, 5]
    assert len({row.run_id for row in rows}) == 25


def test_unknown_run_and_missing_record_exit_1(tracking_store: str, capsys) -> None:
    code, _, err = cli(capsys, "export", "0" * 32)
    assert code == 1 and "0" * 32 in err and "Traceback" not in err
    from mlflow import MlflowClient

    client = MlflowClient(tracking_store)
    bare = client.create_run(client.create_experiment("bare")).info.run_id
    code, _, err = cli(capsys, "export", bare)
    assert code == 1 and "repro/record.json" in err and bare in err


def test_bad_files_name_the_file(tracking_store: str, tmp_path: Path, capsys) -> None:
    code, _, err = cli(capsys, "log", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("run: {name: x}\ntraining: {batch_size: -1}\n")
    code, _, err = cli(capsys, "log", str(broken))
    assert code == 1 and "broken.yaml" in err and "batch_size" in err
    code, _, err = cli(capsys, "export", "not-a-run")
    assert code == 2 and "not-a-run" in err


def test_unreachable_server_exit_2_names_uri(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    uri = f"http://127.0.0.1:{free_port()}"
    for args in (
        ["log", str(EXAMPLE)],
        ["runs"],
        ["export", "a" * 32],
    ):
        code, _, err = cli(capsys, *args, "--tracking-uri", uri)
        assert code == 2, args
        assert uri in err and "Traceback" not in err


def test_sync_command_reports_and_exits(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "sync")
    assert code == 0 and "0 runs synced" in out
    uri = f"http://127.0.0.1:{free_port()}"
    record = repro.RunRecord.model_validate({"run": {"name": "offline"}})
    with repro.track(record, tracking_uri=uri, capture=False) as run:
        run.log_metrics({"loss": 1.0}, step=0)
    code, out, _ = cli(capsys, "sync")  # pointed at the default store: not this journal's
    assert code == 0 and f"other-uri   {run.run_id}" in out and uri in out
    code, _, err = cli(capsys, "sync", "--tracking-uri", uri)
    assert code == 2 and uri in err and run.run_id in err


def test_console_script_never_prints_traceback(tmp_path: Path) -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    done = subprocess.run(
        [sys.executable, "-m", "repro", "export", "b" * 32, "--tracking-uri", uri],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("repro: error:") and "Traceback" not in done.stderr
