"""Optuna with repro: a random-sampler study of 8 trials, one pruned and one failing, gives 8 runs
with the right states, each record describing the search, and `repro report` lays the search out
as an expected-maximum (budget) table from those runs."""

from __future__ import annotations

import json
from typing import Any

import optuna
import pytest

import repro

pytestmark = pytest.mark.slow

PRUNED, FAILING = 2, 5


def objective(trial: optuna.Trial) -> float:
    import torch
    from torch import nn

    from repro.integrations.optuna import track_trial

    lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
    hidden = trial.suggest_categorical("hidden", [4, 8])
    torch.manual_seed(trial.number)
    model = nn.LSTM(2, hidden, batch_first=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.randn(4, 3, 2)
    with track_trial(trial, model, optimizer, objective="validation/loss", capture=False) as run:
        for step in range(3):
            out, _ = model(x)
            loss = out.pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.log_metrics({"train/loss": loss.item()}, step=step)
            trial.report(loss.item(), step)
            if trial.number == PRUNED and step == 1:
                raise optuna.TrialPruned()
        if trial.number == FAILING:
            raise RuntimeError("diverged")
        return loss.item()


@pytest.fixture
def study(tracking_store: str) -> optuna.Study:
    from repro.integrations.optuna import StudyCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="lstm-search", sampler=optuna.samplers.RandomSampler(seed=0)
    )
    study.optimize(objective, n_trials=8, callbacks=[StudyCallback()], catch=(RuntimeError,))
    return study


def test_each_trial_is_a_run_with_its_state_and_the_report_lays_out_the_search(
    study: optuna.Study, tracking_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_store)
    experiment = client.get_experiment_by_name("lstm-search")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 8
    by_trial = {int(r.data.tags["optuna.trial"]): r for r in runs}
    assert sorted(by_trial) == list(range(8))
    for number, frozen in enumerate(study.trials):
        run = by_trial[number]
        record = repro.load_run(run.info.run_id)
        search = record.training.hyperparameter_search
        expected = {PRUNED: "pruned", FAILING: "failed"}.get(number, "complete")
        assert search.trial_state == expected == run.data.tags["optuna.state"]
        assert run.info.status == {"pruned": "KILLED", "failed": "FAILED"}.get(expected, "FINISHED")
        assert (search.study, search.trial, search.sampler) == (
            "lstm-search",
            number,
            "RandomSampler",
        )
        assert search.method == "random" and search.objective == "validation/loss"
        assert search.space == {"hidden": [4, 8], "lr": {"low": 1e-3, "high": 1e-1, "log": True}}
        assert search.trials == number + 1  # the trials so far
        assert search.selected == frozen.params
        assert record.run.name == f"lstm-search-{number}"
        assert run.data.params["training.hyperparameter_search.selected.lr"] == str(
            frozen.params["lr"]
        )
        result = record.metric("loss", "validation")
        if expected == "complete":
            assert result.value == pytest.approx(frozen.value)
            assert result.higher_is_better is False  # the study minimises
        else:
            assert result is None
    # and from those runs `repro report` lays out the search: one study is one budget curve,
    # though each trial recorded the trials run so far
    from repro.cli import main

    with pytest.raises(SystemExit) as exited:
        main(
            [
                "report",
                "--experiment",
                "lstm-search",
                "--table",
                "expected-max",
                "--format",
                "csv",
            ]
        )
    out, err = capsys.readouterr()
    assert exited.value.code in (0, None), err
    rows = [line.split(",") for line in out.strip().splitlines()]
    header, body = rows[0], rows[1:]
    assert len(body) == 8, out  # n = 1..8: every trial counts, pruned and failed included
    best = min(t.value for t in study.trials if t.value is not None)
    last = dict(zip(header, body[-1], strict=True))
    values: dict[str, Any] = {k: v for k, v in last.items() if v}
    assert any(_close(v, best) for v in values.values()), (
        f"best of all 8 trials ({best}) not in the n=8 row: {json.dumps(last)}"
    )


def _close(text: str, value: float) -> bool:
    try:
        return abs(float(text) - value) <= 1e-6 * max(1.0, abs(value))
    except ValueError:
        return False
