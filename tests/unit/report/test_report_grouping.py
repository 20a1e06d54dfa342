"""Grouping runs into configurations: the key holds choices, labels tell groups apart,
``--group-by`` takes both path spellings and refuses paths that do not exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import repro
from repro.errors import InvalidInputError, UsageError
from repro.record import Metric, RunRecord
from repro.report.aggregate import aggregate
from repro.report.fields import check_path, normalize_path
from repro.report.grouping import (
    NOT_CONFIGURATION,
    config_fingerprint,
    distinct_labels,
)

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"


def captured(cell: str, seed: int, hidden: int = 16, forget_bias: float | None = None) -> RunRecord:
    """A record whose architecture and initialisation are captured from a real torch module
    built under ``seed`` (PyTorch's default initialisation unless ``forget_bias`` is set)."""
    import torch
    from torch import nn

    from repro.capture import capture_initialisation

    torch.manual_seed(seed)
    module = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](3, hidden, batch_first=True)
    if forget_bias is not None:
        with torch.no_grad():
            for name, param in module.named_parameters():
                if name.startswith("bias"):
                    param.zero_()
                    param[hidden : 2 * hidden] = forget_bias / 2
    model = nn.Sequential()
    model.add_module("rnn", module)
    data = repro.load_record(EXAMPLE).to_dict()
    data["architecture"] = repro.capture_architecture(model).model_dump(mode="json")
    data["training"]["initialisation"] = capture_initialisation(model).model_dump(mode="json")
    data["training"]["seeds"] = {"torch": seed}
    data["run"]["name"] = f"{cell}-seed{seed}"
    data["results"] = [
        {"name": "mse", "value": 0.01 * (seed + 1), "split": "test", "higher_is_better": False}
    ]
    return RunRecord.model_validate(data)


def test_lstm_seeds_under_default_initialisation_form_one_group() -> None:
    runs = [captured("lstm", seed) for seed in (0, 1, 2)]
    biases = {r.training.initialisation.forget_gate_bias for r in runs}  # type: ignore[union-attr]
    assert len(biases) == 3  # measured per seed: it differs...
    (group,) = aggregate(runs).groups  # ...and still the seeds are one configuration
    assert group.cells[("mse", "test")].n == 3
    gru = [captured("gru", seed) for seed in (0, 1, 2)]
    assert [g.cells[("mse", "test")].n for g in aggregate(runs + gru).groups] == [3, 3]


def test_a_forget_gate_bias_the_user_set_is_part_of_the_configuration() -> None:
    default = captured("lstm", 0)
    set_one = [captured("lstm", seed, forget_bias=2.0) for seed in (0, 1)]
    assert config_fingerprint(set_one[0]) == config_fingerprint(set_one[1])
    assert config_fingerprint(default) != config_fingerprint(set_one[0])


def test_excluded_fields_exist_in_the_schema() -> None:
    for path in NOT_CONFIGURATION:
        assert check_path(path) == path  # the rule stays in step with the schema


def variant(index: int, **changes: object) -> RunRecord:
    data = repro.load_record(EXAMPLE).to_dict()
    data["run"]["name"] = f"run-{index}"
    training, layer = data["training"], data["architecture"]["recurrent_layers"][0]
    for key, value in changes.items():
        if key == "optimizer":
            training["optimizer"]["name"] = value
        elif key == "lr":
            training["optimizer"]["settings"]["lr"] = value
        elif key in ("cell", "hidden_size"):
            layer[key] = value
        elif key == "batch_size":
            training["batch_size"] = value
    data["results"] = [Metric(name="mse", value=0.1, split="test").model_dump()]
    return RunRecord.model_validate(data)


def test_six_groups_get_six_distinct_labels() -> None:
    configs = [
        {"cell": "lstm", "optimizer": "SGD", "lr": 0.1},
        {"cell": "lstm", "optimizer": "AdamW", "lr": 0.001},
        {"cell": "gru", "optimizer": "AdamW", "lr": 0.001},
        {"cell": "gru", "optimizer": "SGD", "lr": 0.1},
        {"cell": "lstm", "optimizer": "AdamW", "lr": 0.003},
        {"cell": "lstm", "optimizer": "AdamW", "lr": 0.001, "hidden_size": 256},
    ]
    runs = [variant(i * 10 + s, **c) for i, c in enumerate(configs) for s in range(2)]
    labels = [g.label for g in aggregate(runs).groups]
    assert len(labels) == 6 and len(set(labels)) == 6
    # the fewest fields that tell them apart, in schema order (architecture before training)
    assert labels[0] == "cell=lstm, hidden_size=128, lr=0.1"  # SGD goes with lr=0.1 here
    assert labels[5] == "cell=lstm, hidden_size=256, lr=0.001"


def test_labels_use_the_fewest_fields_and_stay_distinct() -> None:
    # five configurations that differ in lr only, plus fields alike in all: one field suffices
    fields = {f"k{i}": {"a.x": 1, "a.y": "same", "b.lr": lr} for i, lr in enumerate([1, 2, 3])}
    assert distinct_labels(fields) == {"k0": "lr=1", "k1": "lr=2", "k2": "lr=3"}
    # two fields together tell four groups apart where neither does alone
    grid = {f"g{a}{b}": {"a.x": a, "b.y": b} for a in (0, 1) for b in (0, 1)}
    assert distinct_labels(grid)["g01"] == "x=0, y=1"
    # values that print alike are numbered, never merged
    clash = {"p": {"a.v": 1}, "q": {"a.v": "1"}}
    assert distinct_labels(clash) == {"p": "v=1 (1)", "q": "v=1 (2)"}
    # the same leaf name in two places is told apart by its parent
    layers = {
        "p": {"r[0].cell": "lstm", "r[1].cell": "gru"},
        "q": {"r[0].cell": "gru", "r[1].cell": "lstm"},
        "s": {"r[0].cell": "lstm", "r[1].cell": "lstm"},
    }
    assert distinct_labels(layers)["p"] == "r[0].cell=lstm, r[1].cell=gru"


def test_group_by_takes_both_spellings() -> None:
    runs = [variant(i, cell=c, lr=lr) for i, (c, lr) in enumerate(
        [("lstm", 1e-3), ("lstm", 3e-3), ("gru", 1e-3), ("gru", 3e-3)]
    )]  # fmt: skip
    dotted = aggregate(runs, group_by=["architecture.recurrent_layers.0.cell"])
    bracket = aggregate(runs, group_by=["architecture.recurrent_layers[0].cell"])
    assert [g.label for g in dotted.groups] == [g.label for g in bracket.groups]
    assert [g.label for g in dotted.groups] == ["cell=lstm", "cell=gru"]
    assert [len(g.runs) for g in dotted.groups] == [2, 2]
    assert normalize_path("a.b.0.c.*") == "a.b[0].c[*]"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("architecture.recurent_layers.0.cell", "did you mean 'recurrent_layers'"),
        ("architecture.recurrent_layers.cell", "is a list: name an item"),
        ("training.batch_size.value", "single value"),
        ("traning.optimizer.name", "did you mean 'training'"),
    ],
)
def test_a_path_the_schema_lacks_is_a_usage_error(path: str, expected: str) -> None:
    with pytest.raises(UsageError, match=expected):
        aggregate([variant(0)], group_by=[path])


def test_a_path_no_run_records_is_an_input_error() -> None:
    with pytest.raises(InvalidInputError, match="none of the 2 runs records"):
        aggregate([variant(0), variant(1)], group_by=["architecture.recurrent_layers.1.cell"])


def test_group_by_typo_on_the_command_line_exits_2(tmp_path: Path) -> None:
    files = []
    for i in range(2):
        files.append(
            str(repro.save_record(variant(i, cell="gru" if i else "lstm"), tmp_path / f"r{i}.yaml"))
        )
    run = lambda *extra: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "repro", "report", *files, *extra],
        capture_output=True,
        text=True,
        timeout=60,
    )
    typo = run("--group-by", "architecture.recurrent_layers.0.cel")
    assert typo.returncode == 2, typo.stderr
    assert "no field 'cel'; did you mean 'cell'?" in typo.stderr
    assert "Traceback" not in typo.stderr
    absent = run("--group-by", "architecture.recurrent_layers.3.cell")
    assert absent.returncode == 1 and "none of the 2 runs records" in absent.stderr
    good = run("--group-by", "architecture.recurrent_layers.0.cell")
    assert good.returncode == 0, good.stderr
    assert "| cell=lstm | 1 |" in good.stdout and "| cell=gru | 1 |" in good.stdout
