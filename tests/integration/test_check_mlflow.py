"""repro check on MLflow runs: annotations without file= (a run is no repository path), results
judged against the run's metric history, and --experiment as a group."""

from __future__ import annotations

import pytest
from support.checks import group_data

import repro
from repro.cli import main
from repro.record import RunRecord


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def tracked(data: dict, uri: str, metrics: dict[str, float]) -> str:
    with repro.track(RunRecord.model_validate(data), experiment="paper", tracking_uri=uri) as run:
        run.log_metrics(metrics, step=0)
    return run.run_id


def test_mlflow_runs_checked_as_a_group_with_their_history(tracking_store: str, capsys) -> None:
    datas = group_data(2)
    ids = [tracked(d, tracking_store, {"val/mse": 0.1, "val/accuracy": 0.9}) for d in datas]
    sources = [f"runs:/{i}" for i in ids]
    code, out, err = cli(capsys, "check", *sources, "--group", "--profile", "minimal",
                         "--tracking-uri", tracking_store)  # fmt: skip
    assert code == 0, out + err

    bad = group_data(1)[0]
    bad["results"].append({"name": "bleu", "value": 30.0, "split": "test"})
    bad["provenance"]["git"]["dirty"] = True
    run = f"runs:/{tracked(bad, tracking_store, {'val/mse': 0.1})}"
    code, out, _ = cli(capsys, "check", run, "--profile", "minimal", "--format", "github",
                       "--tracking-uri", tracking_store)  # fmt: skip
    assert code == 1
    commands = out.splitlines()[:-1]
    assert commands and all("file=" not in c for c in commands)
    titles = {c.split("title=")[1].split("::")[0] for c in commands}
    # bleu was never logged, accuracy neither (only val/mse was), and the tree was dirty
    assert titles == {"repro consistency.results-logged", "repro consistency.clean-tree"}
    assert sum("results-logged" in c for c in commands) == 2

    code, out, err = cli(capsys, "check", "--experiment", "paper", "--profile",
                         "ml-reproducibility", "--tracking-uri", tracking_store)  # fmt: skip
    assert code == 0, out + err
    assert "experiment paper: mse (test): n=3" in out
