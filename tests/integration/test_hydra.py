"""Hydra/OmegaConf with repro: a config composed with overrides lands in the record resolved,
with its overrides, as ``config.*`` params and as the ``repro/config.yaml`` artifact; a Hydra
multirun gives one run per job, tagged with the sweep."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

import repro

TRAIN = """\
defaults:
  - model: lstm
  - _self_
optim:
  name: adam
  lr: 0.001
  amsgrad: false
run_name: ${model.cell}-h${model.hidden}
db_url: postgresql://me:s3cret@db.example.org/runs
"""
MODEL = "cell: lstm\nhidden: 8\nlayers: 1\n"


def config_dir(root: Path) -> Path:
    conf = root / "conf"
    (conf / "model").mkdir(parents=True)
    (conf / "train.yaml").write_text(TRAIN)
    (conf / "model" / "lstm.yaml").write_text(MODEL)
    return conf


def test_composed_config_lands_in_the_record_with_its_overrides(
    tracking_store: str, tmp_path: Path
) -> None:
    from hydra import compose, initialize_config_dir

    conf = config_dir(tmp_path)
    overrides = ["model.hidden=16", "optim.lr=0.01", "+seed=3"]
    with initialize_config_dir(config_dir=str(conf), version_base=None):
        cfg = compose("train", overrides=overrides, return_hydra_config=True)
    record = repro.RunRecord(run={"name": "hydra"})
    with repro.track(record, experiment="hydra", config=cfg, capture=False) as run:
        run.log_metrics({"loss": 0.5}, step=0)

    config = repro.load_run(run.run_id).config
    assert config == run.record.config
    assert config.source == "hydra" and config.overrides == overrides
    assert "hydra" not in config.values  # Hydra's own node is not the user's configuration
    assert config.values["run_name"] == "lstm-h16"  # resolved
    assert config.values["model"] == {"cell": "lstm", "hidden": 16, "layers": 1}
    assert config.values["optim"]["lr"] == 0.01 and config.values["seed"] == 3
    assert "s3cret" not in str(config.values)  # the password in a URL is masked
    client = MlflowClient(tracking_store)
    data = client.get_run(run.run_id).data
    assert data.params["config.model.hidden"] == "16"
    assert data.params["config.optim.amsgrad"] == "False"  # as mlflow.log_params writes it
    assert data.tags["repro.config.overrides"] == " ".join(overrides)
    local = client.download_artifacts(run.run_id, "repro/config.yaml", str(tmp_path / "dl"))
    assert yaml.safe_load(Path(local).read_text()) == config.values


APP = """\
import hydra
import repro


@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg):
    record = repro.RunRecord(run={"name": f"job-h{cfg.model.hidden}"})
    with repro.track(record, experiment="sweep", config=cfg, capture=False) as run:
        run.log_metrics({"loss": 1.0 / cfg.model.hidden}, step=0)


main()
"""


@pytest.mark.slow
def test_multirun_gives_one_run_per_job_tagged_with_the_sweep(
    tracking_store: str, tmp_path: Path
) -> None:
    config_dir(tmp_path)
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    sweep = tmp_path / "multirun"
    done = subprocess.run(
        [sys.executable, "app.py", "-m", "model.hidden=4,8", f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path,
        env={**os.environ, "MLFLOW_TRACKING_URI": tracking_store},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    client = MlflowClient(tracking_store)
    experiment = client.get_experiment_by_name("sweep")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2 and {r.info.status for r in runs} == {"FINISHED"}
    by_job = {r.data.tags["hydra.job.num"]: r for r in runs}
    assert set(by_job) == {"0", "1"}
    assert {r.data.tags["hydra.sweep"] for r in runs} == {str(sweep)}
    for job, hidden in (("0", 4), ("1", 8)):
        config = repro.load_run(by_job[job].info.run_id).config
        assert config.overrides == [f"model.hidden={hidden}"]
        assert config.sweep.job == int(job) and config.sweep.dir == str(sweep)
        assert config.job == "app"
