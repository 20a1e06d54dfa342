"""What track() takes from the user (keywords, record=) and what it observes while running:
stated beats captured, disagreements are warnings, bad facts are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from torch import nn

import repro
from repro import InvalidInputError
from repro.record import RunRecord

CONTRIBUTORS = Path(__file__).parents[2] / "examples" / "records" / "contributors.yaml"


def stepper() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.2), nn.Linear(4, 1))


def train(model: nn.Module, optimizer: torch.optim.Optimizer, steps: int = 3) -> None:
    for _ in range(steps):
        loss = model(torch.randn(4, 3)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_stated_fp32_for_float64_parameters_is_kept_with_a_warning(tracking_store: str) -> None:
    model = nn.LSTMCell(3, 4).double()
    with repro.track(model, precision="fp32") as run:
        pass
    record = repro.load_run(run.run_id)
    assert record.training.precision == "fp32"  # what the user states wins ...
    [warning] = record.warnings  # ... and the record says what was seen instead
    assert (warning.path, warning.stated, warning.observed) == (
        "training.precision",
        "fp32",
        "fp64",
    )
    assert "observed 'fp64'" in warning.message


def test_keywords_record_file_and_capture_merge(tracking_store: str, tmp_path: Path) -> None:
    partial = tmp_path / "partial.yaml"
    partial.write_text(
        yaml.safe_dump(
            {
                "run": {"name": "from-file", "tags": {"task": "toy"}},
                "training": {"batch_size": 8, "optimizer": {"settings": {"note": "as in paper"}}},
                "card": {"license": "mit"},
            }
        )
    )
    model = stepper()
    for layer in (model[0], model[2]):
        nn.init.orthogonal_(layer.weight)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss = nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)
    with repro.track(
        model,
        optimizer,
        record=partial,
        name="from-keyword",  # a keyword beats record=
        loss=loss,
        init="orthogonal",
        contributors=CONTRIBUTORS,
        card={"summary": "A toy."},
        max_steps=3,
    ) as run:
        train(model, optimizer)
    record = repro.load_run(run.run_id)
    assert record.run.name == "from-keyword" and record.run.tags == {"task": "toy"}
    training = record.training
    assert training.batch_size == 8 and training.max_steps == 3
    assert training.optimizer.settings["momentum"] == 0.9  # captured
    assert training.optimizer.settings["note"] == "as in paper"  # stated, merged in
    assert training.loss == "CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)"
    assert training.initialisation.scheme == "orthogonal"  # the capture saw "custom": agreed
    assert record.card.license == "mit" and record.card.summary == "A toy."
    assert [c.family_name for c in record.contributors][:2] == ["Carberry", "García-López"]
    assert training.observed.optimizer_steps == 3 and training.observed.final_lr == 0.1
    assert training.dropout.modules[0].positions[0].placement == "other"
    assert record.warnings == []


def test_bad_facts_are_clear_errors(tracking_store: str) -> None:
    model = stepper()
    with pytest.raises(InvalidInputError, match=r"unknown keyword 'batchsize'.*batch_size"):
        repro.track(model, batchsize=3)
    with pytest.raises(InvalidInputError, match=r"training\.batch_size"):
        repro.track(model, batch_size=0)
    with pytest.raises(InvalidInputError, match=r"cells: 'rnn' names no module"):
        repro.track(model, cells={"rnn": "my cell"})
    with pytest.raises(InvalidInputError, match=r"only apply when tracking a model"):
        repro.track(RunRecord(run={"name": "r"}), batch_size=3)
    with pytest.raises(InvalidInputError, match=r"expected a torch\.nn\.Module or a RunRecord"):
        repro.track("model.pt")


def test_cells_by_class_with_sizes_and_a_look_alike_warning() -> None:
    class Cell(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hidden_size = 6
            self.gate = nn.Linear(8, 6)

    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = Cell(), Cell()

    from repro.capture.architecture import describe_architecture

    named = describe_architecture(Two(), cells={Cell: {"description": "gated", "input_size": 2}})
    layers = [
        (c.name, c.cell, c.input_size, c.hidden_size) for c in named.architecture.recurrent_layers
    ]
    assert layers == [("a", "custom", 2, 6), ("b", "custom", 2, 6)]
    assert named.warnings == []
    unnamed = describe_architecture(Two())
    assert unnamed.architecture.recurrent_layers == []
    assert "'a', 'b'" in unnamed.warnings[0].message and "cells=" in unnamed.warnings[0].message


def test_autocast_seen_in_training_sets_amp_precision(tracking_store: str) -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with repro.track(model, optimizer) as run:
        for _ in range(2):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = model(torch.randn(4, 3)).float().pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    training = run.record.training
    assert training.precision == "amp-bf16"
    assert training.observed.autocast == ["bfloat16"]


def test_epochs_from_run_epoch_and_scheduler_interval(tracking_store: str) -> None:
    model = stepper()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    groups = torch.optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.5}], lr=0.1
    )
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    with repro.track(model, optimizer, scheduler=scheduler) as run:
        for _ in range(2):
            train(model, optimizer, steps=2)
            scheduler.step()
            run.epoch()
    training = run.record.training
    assert training.epochs == 2 and training.observed.epochs == 2
    assert training.lr_schedule.interval == "epoch"
    assert training.observed.final_lr == pytest.approx(1e-2 * 0.25)
    with repro.track(model, groups) as run:
        train(model, groups, steps=1)
        run.log_metrics({"loss": 1.0}, step=0)
    observed = run.record.training.observed
    assert observed.final_lr_groups == [0.1, 0.5]
    from mlflow import MlflowClient

    metrics = MlflowClient(tracking_store).get_run(run.run_id).data.metrics
    assert metrics["optimizer/lr"] == 0.1 and metrics["optimizer/lr/group1"] == 0.5


def test_imported_packages_and_device_hours(tracking_store: str) -> None:
    with repro.track(stepper()) as run:
        import rdflib  # noqa: F401  (a distribution the training script imports late)
    env = run.record.environment
    assert "rdflib" in env.packages and "torch" in env.packages and "numpy" in env.packages
    prov = run.record.provenance
    assert prov.device_hours == pytest.approx(prov.wall_time_s / 3600)


def test_emissions_measured_offline_when_a_country_is_configured(tracking_store: str) -> None:
    model = stepper()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with repro.track(model, optimizer, country="DEU") as run:
        train(model, optimizer)
    emissions = run.record.provenance.emissions
    assert emissions.measured is True and emissions.country == "DEU"
    assert emissions.energy_kwh is not None and emissions.energy_kwh >= 0
    assert emissions.co2_eq_kg is not None and emissions.tool.startswith("codecarbon")
    assert not list(Path.cwd().glob("emissions*.csv"))  # codecarbon wrote no file

    with repro.track(stepper()) as run:
        pass
    emissions = run.record.provenance.emissions
    assert emissions.measured is False and "no country configured" in emissions.reason


def test_a_1_0_layer_without_bias_or_batch_first_keeps_their_old_meaning() -> None:
    layer = {"name": "rnn", "cell": "gru", "input_size": 2, "hidden_size": 3}
    old = {
        "schema_version": "1.0",
        "run": {"name": "old"},
        "architecture": {"model_class": "M", "recurrent_layers": [layer]},
    }
    record = RunRecord.model_validate(old)
    assert "bias" not in layer  # the caller's dict is left as it was
    [loaded] = record.architecture.recurrent_layers
    assert (loaded.bias, loaded.batch_first, loaded.kind) == (True, False, "layer")
    # in 2.0 the same keys left out mean "not recorded"
    new = RunRecord.model_validate({**old, "schema_version": "2.0"})
    assert new.architecture.recurrent_layers[0].bias is None
    fixture = Path(__file__).parents[1] / "data" / "records-1.0" / "lstm-adding.yaml"
    assert repro.load_record(fixture).architecture.recurrent_layers[0].batch_first is True


def test_runs_of_one_configuration_group_across_seeds(tracking_store: str) -> None:
    from repro.report.grouping import config_fingerprint

    records = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Embedding(20, 8), nn.LSTM(8, 8))
        nn.init.uniform_(model[0].weight, -0.1, 0.1)  # a custom init: its values vary by seed
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        with repro.track(model, optimizer, batch_size=2) as run:
            for _ in range(seed + 1):  # what the run did may differ too
                out, _ = model(torch.randint(0, 20, (3, 2)))
                out.sum().backward()
                optimizer.step()
        records.append(run.record)
    assert records[0].training.initialisation.details["not_default"] == ["0.weight"]
    assert records[0].training.observed != records[1].training.observed
    assert config_fingerprint(records[0]) == config_fingerprint(records[1])
