"""Runs that look native in MLflow, read back through a real `mlflow server`'s REST API: system
tags, the experiment kind, datasets as inputs, params as ``mlflow.log_params`` writes them, the
model cards as artifacts, and no progress bars when a run is read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.servers import MlflowServer

import repro

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def sqlite_server(
    _migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MlflowServer]:
    """A real `mlflow server` on 127.0.0.1 with a SQLite backend of its own."""
    base = tmp_path_factory.mktemp("native-server")
    shutil.copy(_migrated_sqlite, base / "mlflow.db")
    server = MlflowServer(
        f"sqlite:///{base / 'mlflow.db'}", base / "artifacts", base / "server.log", workers=1
    )
    server.start()
    yield server
    server.kill()


def rest(server: MlflowServer, endpoint: str, body: dict[str, Any] | None = None, **query: str):
    """GET (query) or POST (body) one MLflow REST endpoint; the decoded JSON answer."""
    url = f"{server.url}/api/2.0/mlflow/{endpoint}"
    if body is None:
        request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(query)}")
    else:
        request = urllib.request.Request(
            url, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def git_checkout(root: Path) -> str:
    """A git repository with one commit in ``root``; its commit hash."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e.org", *args],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    (root / "train.py").write_text("print('training')\n")
    git("add", "train.py")
    git("commit", "-qm", "first")
    return git("rev-parse", "HEAD")


@pytest.fixture(scope="module")
def tracked(
    sqlite_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """One run tracked the three-line way into experiment 'native' from a git checkout."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    work = tmp_path_factory.mktemp("native-work")
    commit = git_checkout(work)
    before = Path.cwd()
    os.chdir(work)
    try:
        torch.manual_seed(0)
        model = nn.Sequential()
        model.add_module("rnn", nn.LSTM(3, 8, batch_first=True))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # amsgrad=False
        loader = DataLoader(TensorDataset(torch.randn(16, 5, 3)), batch_size=8)
        with repro.track(
            model,
            optimizer,
            data=loader,
            experiment="native",
            name="native-run",
            tracking_uri=sqlite_server.url,
        ) as run:
            for step, (x,) in enumerate(loader):
                out, _ = model(x)
                loss = out.pow(2).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                run.log_metrics({"train/loss": loss.item()}, step=step)
            run.set_result("loss", loss.item(), split="validation", higher_is_better=False)
    finally:
        os.chdir(before)
    yield {"run": run, "commit": commit}


def test_run_carries_mlflows_system_tags(sqlite_server: MlflowServer, tracked: dict) -> None:
    run = tracked["run"]
    got = rest(sqlite_server, "runs/get", run_id=run.run_id)["run"]
    tags = {t["key"]: t["value"] for t in got["data"]["tags"]}
    import getpass

    assert got["info"]["status"] == "FINISHED"
    assert tags["mlflow.user"] == getpass.getuser() == got["info"]["user_id"]
    assert tags["mlflow.source.git.commit"] == tracked["commit"]
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"] == run.record.provenance.command[0] == sys.argv[0]
    assert tags["mlflow.runName"] == "native-run" == got["info"]["run_name"]


def test_experiment_repro_creates_opens_on_the_runs_table(
    sqlite_server: MlflowServer, tracked: dict
) -> None:
    got = rest(sqlite_server, "experiments/get-by-name", experiment_name="native")
    tags = {t["key"]: t["value"] for t in got["experiment"].get("tags", [])}
    assert tags["mlflow.experimentKind"] == "custom_model_development"


def test_datasets_are_run_inputs_with_repros_digest(
    sqlite_server: MlflowServer, tracked: dict
) -> None:
    run = tracked["run"]
    (dataset,) = run.record.data
    assert dataset.sha256 is not None
    got = rest(sqlite_server, "runs/get", run_id=run.run_id)["run"]
    (logged,) = got["inputs"]["dataset_inputs"]
    assert logged["dataset"]["name"] == dataset.name
    assert dataset.sha256.startswith(logged["dataset"]["digest"])
    assert len(logged["dataset"]["digest"]) == 36  # all of it MLflow's digest column holds
    assert json.loads(logged["dataset"]["profile"])["sha256"] == dataset.sha256
    context = {t["key"]: t["value"] for t in logged.get("tags", [])}
    assert context["mlflow.data.context"] == dataset.role


def test_params_filter_the_mlflow_way_and_the_record_keeps_types(
    sqlite_server: MlflowServer, tracked: dict
) -> None:
    run = tracked["run"]
    experiment = rest(sqlite_server, "experiments/get-by-name", experiment_name="native")
    ids = [experiment["experiment"]["experiment_id"]]
    found = rest(
        sqlite_server,
        "runs/search",
        {"experiment_ids": ids, "filter": "params.`training.optimizer.settings.amsgrad` = 'False'"},
    )
    assert [r["info"]["run_id"] for r in found["runs"]] == [run.run_id]
    none = rest(
        sqlite_server,
        "runs/search",
        {"experiment_ids": ids, "filter": "params.`training.optimizer.settings.amsgrad` = 'True'"},
    )
    assert not none.get("runs")
    params = {p["key"]: p["value"] for p in found["runs"][0]["data"]["params"]}
    assert params["training.optimizer.settings.lr"] == str(0.001)
    loaded = repro.load_run(run.run_id, tracking_uri=sqlite_server.url)
    assert loaded.training.optimizer.settings["amsgrad"] is False
    assert loaded == run.record


def test_both_model_cards_are_artifacts_when_the_run_ends(
    sqlite_server: MlflowServer, tracked: dict
) -> None:
    run = tracked["run"]
    listed = rest(sqlite_server, "artifacts/list", run_id=run.run_id, path="repro")
    paths = {f["path"] for f in listed["files"]}
    assert {"repro/model_card.md", "repro/model_card.html", "repro/record.json"} <= paths
    query = urllib.parse.urlencode({"run_id": run.run_id, "path": "repro/model_card.md"})
    with urllib.request.urlopen(f"{sqlite_server.url}/get-artifact?{query}", timeout=30) as got:
        card = got.read().decode()
    assert card == repro.render(run.record, "card-md")
    query = urllib.parse.urlencode({"run_id": run.run_id, "path": "repro/model_card.html"})
    with urllib.request.urlopen(f"{sqlite_server.url}/get-artifact?{query}", timeout=30) as got:
        html = got.read().decode()
    assert html.lstrip().lower().startswith("<!doctype html") and "native-run" in html
    # the training curves are drawn from the run's metric history
    assert "No metric history was given" not in html and "logged no metric history" not in html


def test_reading_a_run_draws_no_progress_bar(
    sqlite_server: MlflowServer, tracked: dict, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = sqlite_server.url
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, repro; print(repro.load_run(sys.argv[1]).run.name)",
            tracked["run"].run_id,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "native-run"
    assert "Downloading artifacts" not in done.stderr and "%|" not in done.stderr
