"""Five model shapes from public RNN programs, each trained tiny on CPU with ``repro.track`` added
in at most three lines (integration/shapes/*.py); every record is truthful, round-trips MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from support.programs import run_program, without_repro

import repro
from repro.record import RunRecord

SHAPES = Path(__file__).parent / "shapes"


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each program runs as in a process of its own: no seed_everything of an earlier test."""
    monkeypatch.setattr("repro.capture.seeds._last", None)


def unique_count(model: Any, trainable: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable)


def train(name: str) -> tuple[dict[str, Any], RunRecord]:
    """Run the plain program, then the tracked one; the tracked globals and the record
    loaded back from MLflow (equal to the run's own)."""
    source = (SHAPES / f"{name}.py").read_text()
    plain, added = without_repro(source)
    assert added <= 3, f"{name}: repro takes {added} added lines"
    assert "repro" not in plain
    run_program(plain, name)  # the user's program, as it was before repro
    tracked = run_program(source, name)
    run = tracked["run"]
    assert run.online and run.record.run.status == "finished"
    loaded = repro.load_run(run.run_id)
    assert loaded == run.record
    model = next(v for k, v in tracked.items() if k in ("model", "seq"))
    arch = loaded.architecture
    assert arch is not None
    assert arch.total_parameters == unique_count(model)
    assert arch.trainable_parameters == unique_count(model, trainable=True)
    return tracked, loaded


def test_word_language_model_lstm_tied_sgd_steplr(tracking_store: str) -> None:
    tracked, record = train("word_lm")
    arch, training = record.architecture, record.training
    [lstm] = arch.recurrent_layers
    assert (lstm.cell, lstm.kind, lstm.num_layers, lstm.dropout) == ("lstm", "layer", 2, 0.5)
    assert (lstm.input_size, lstm.hidden_size, lstm.batch_first) == (16, 16, False)
    assert [(e.name, e.num_embeddings) for e in arch.embeddings] == [("encoder", 40)]
    assert [t.parameters for t in arch.tied_weights] == [["encoder.weight", "decoder.weight"]]
    assert arch.output_head.name == "decoder"
    assert arch.total_parameters == 40 * 16 + lstm.parameters + 40  # the tied matrix once

    assert training.optimizer.name == "SGD" and training.optimizer.settings["lr"] == 20.0
    assert training.lr_schedule.name == "StepLR"
    assert training.lr_schedule.settings == {"step_size": 1, "gamma": 0.25}
    assert training.lr_schedule.interval == "epoch"  # observed: one scheduler step an epoch
    clip = training.gradient_clipping
    assert (clip.kind, clip.threshold, clip.norm_type) == ("norm", 0.25, 2.0)
    assert record.diagnostics.clipping.threshold == 0.25
    assert training.precision == "fp32" and training.parameter_dtypes == {"float32": 5032}
    assert (training.loss, training.tbptt_length, training.epochs) == ("CrossEntropyLoss", 6, 2)
    assert training.seeds.torch == 1111  # torch.manual_seed in the program
    assert training.initialisation.scheme == "custom"  # init_weights moved the embedding
    assert "encoder.weight" in training.initialisation.details["not_default"]

    # one nn.Dropout, applied to the embedding output and to the LSTM output
    dropout = training.dropout
    assert (dropout.input, dropout.between_layers, dropout.output) == (0.5, 0.5, 0.5)
    [drop] = dropout.modules
    assert drop.name == "drop" and drop.p == 0.5
    assert [(p.placement, p.after, p.before) for p in drop.positions] == [
        ("input", "encoder", "rnn"),
        ("output", "rnn", "decoder"),
    ]

    observed = training.observed
    steps = 2 * len(range(0, tracked["train_data"].size(0) - 1, 6))
    assert observed.optimizer_steps == steps and observed.scheduler_steps == 2
    assert observed.final_lr == 20.0 * 0.25**2
    [dataset] = record.data
    assert dataset.splits == {"train": 320, "valid": 80} and dataset.role == "train+eval"
    assert dataset.sequence_length is None  # a token stream has no sequences of its own
    assert set(dataset.split_sha256) == {"train", "valid"}

    # the learning rate each step applied is logged beside the user's metrics
    client = MlflowClient(tracking_store)
    history = client.get_metric_history(record_id(tracked), "optimizer/lr")
    lrs = sorted((m.step, m.value) for m in history)
    assert lrs[0] == (0, 20.0) and lrs[-1] == (steps - 1, 5.0)
    losses = client.get_metric_history(record_id(tracked), "train/loss")
    assert sorted(m.step for m in losses) == list(range(steps))


def record_id(tracked: dict[str, Any]) -> str:
    return str(tracked["run"].run_id)


def test_stacked_lstm_cells_float64_lbfgs(tracking_store: str) -> None:
    _, record = train("sine_cells")
    arch, training = record.architecture, record.training
    cells = [(c.name, c.cell, c.kind, c.input_size, c.hidden_size) for c in arch.recurrent_layers]
    assert cells == [("lstm1", "lstm", "cell", 1, 16), ("lstm2", "lstm", "cell", 16, 16)]
    assert all(c.batch_first is None for c in arch.recurrent_layers)  # not a cell's setting
    assert arch.output_head.name == "linear"
    assert training.precision == "fp64"
    assert training.parameter_dtypes == {"float64": arch.total_parameters}
    assert training.optimizer.name == "LBFGS"
    assert training.optimizer.settings["lr"] == 0.8 and training.optimizer.settings["max_iter"] == 4
    assert training.observed.optimizer_steps == 3
    assert training.lr_schedule is None and training.gradient_clipping is None
    assert training.seeds.torch == 0
    assert training.initialisation.scheme == "pytorch-default"
    assert training.dropout.modules == []
    assert record.warnings == []
    [dataset] = record.data
    assert dataset.splits == {"train": 7} and dataset.sequence_length.max == 39


def test_packed_bidirectional_gru_with_padding_idx(tracking_store: str) -> None:
    tracked, record = train("packed_gru")
    arch, training = record.architecture, record.training
    [gru] = arch.recurrent_layers
    assert (gru.cell, gru.bidirectional, gru.batch_first) == ("gru", True, True)
    assert gru.hidden_size == 12
    assert arch.embeddings[0].padding_idx == 0
    assert arch.output_head.name == "out" and arch.output_head.in_features == 24
    assert training.batch_size == 8  # from the DataLoader
    assert training.seeds.dataloader == 7  # the loader's own generator
    assert training.seeds.torch == 3
    assert training.epochs == 3 and training.observed.epochs == 3  # full passes over the loader
    assert training.observed.optimizer_steps == 3 * 5
    [dataset] = record.data
    assert dataset.name == "Sentences" and dataset.splits == {"train": 40}
    assert dataset.packed is True  # the GRU received a PackedSequence
    lengths = [len(item[0]) for item in tracked["loader"].dataset.items]
    assert dataset.sequence_length.min == min(lengths)
    assert dataset.sequence_length.max == max(lengths)
    assert dataset.sequence_length.mean == pytest.approx(sum(lengths) / len(lengths))
    assert dataset.sha256 is not None


def test_hand_written_cell_is_custom_never_a_built_in(tracking_store: str) -> None:
    tracked, record = train("custom_cell")
    arch, training = record.architecture, record.training
    [cell] = arch.recurrent_layers
    assert (cell.name, cell.cell, cell.kind) == ("cell", "custom", "cell")
    assert cell.description == "minimal gated unit (Zhou et al. 2016)"
    assert cell.module_class == "custom_cell.MGUCell"
    assert (cell.input_size, cell.hidden_size) == (2, 16)
    assert cell.parameters == unique_count(tracked["model"].cell)
    assert [m.name for m in arch.modules] == ["head"]  # the cell's gates are its own parts
    clip = training.gradient_clipping
    assert (clip.kind, clip.threshold, clip.norm_type) == ("value", 0.5, None)
    assert record.diagnostics.clipping.steps == 20
    assert training.batch_size == 16 and training.observed.optimizer_steps == 20
    assert record.warnings == []

    card = repro.render(record, "card-md")
    assert "custom cell (minimal gated unit (Zhou et al. 2016))" in card
    for built_in in ("GRU", "LSTM", "Elman"):
        assert built_in not in card.split("## Training details")[0]
    assert repro.render(record, "card-html")  # renders


def test_transformer_with_no_recurrent_layer(tracking_store: str) -> None:
    tracked, record = train("transformer")
    arch, training = record.architecture, record.training
    assert arch.recurrent_layers == []
    encoder = next(m for m in arch.modules if m.kind == "TransformerEncoder")
    assert encoder.name == "transformer_encoder"
    settings = encoder.settings
    assert (settings["num_layers"], settings["d_model"], settings["nhead"]) == (2, 16, 2)
    assert (settings["dim_feedforward"], settings["dropout"]) == (32, 0.2)
    assert encoder.parameters == unique_count(tracked["model"].transformer_encoder)
    assert [m.name for m in arch.modules] == ["transformer_encoder", "decoder"]
    assert arch.output_head.name == "decoder"
    assert training.optimizer.name == "AdamW"
    assert training.lr_schedule.name == "LambdaLR"
    assert training.lr_schedule.interval == "step"  # stepped with every optimizer step
    assert training.observed.optimizer_steps == training.observed.scheduler_steps == 8
    [drop] = training.dropout.modules  # the encoder layers' own dropout is in their settings
    assert drop.name == "pos_encoder.dropout"
    assert [(p.placement, p.after, p.before) for p in drop.positions] == [
        ("other", "encoder", "transformer_encoder")
    ]
    assert record.data[0].splits == {"train": 200}

    card = repro.render(record, "card-md")
    assert "no recurrent layer (TransformerEncoder, Linear)" in card
    assert "tags:\n- rnn\n- pytorch" in card  # no cell-type tag invented
