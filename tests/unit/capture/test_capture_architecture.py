"""capture_architecture on real torch models: layers, heads, embeddings, tying and counts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import repro
from repro import InvalidInputError, RunRecord
from repro.capture.architecture import capture_architecture


def _unique_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(3, 8), nn.Tanh())
        self.rnn = nn.GRU(8, 16, num_layers=2, batch_first=True, dropout=0.25)


class Nested(nn.Module):
    """Recurrent layer two levels down, input projection before it, head after it."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleDict({"enc": Encoder()})
        self.head = nn.Sequential(nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 2))


class BiProjected(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 12, num_layers=2, bidirectional=True, proj_size=6)
        self.out = nn.Linear(12, 3)


class TiedLM(nn.Module):
    """Language model with decoder weight tied to the embedding (Press & Wolf 2017)."""

    def __init__(self, vocab: int = 50, dim: int = 10) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=0)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.decoder = nn.Linear(dim, vocab)
        self.decoder.weight = self.embedding.weight


class Several(nn.Module):
    """Encoder/decoder with three recurrent modules of different kinds, one frozen."""

    def __init__(self) -> None:
        super().__init__()
        self.enc_tanh = nn.RNN(4, 7)
        self.enc_relu = nn.RNN(7, 7, nonlinearity="relu", bias=False)
        self.dec = nn.LSTM(7, 9, batch_first=True)
        self.proj = nn.Linear(9, 1)
        for p in self.enc_tanh.parameters():
            p.requires_grad_(False)


def test_nested_model_layers_head_and_counts() -> None:
    model = Nested()
    arch = capture_architecture(model)
    assert arch.model_class == f"{__name__}.Nested"
    [layer] = arch.recurrent_layers
    assert layer.name == "blocks.enc.rnn"
    assert (layer.cell, layer.input_size, layer.hidden_size, layer.num_layers) == ("gru", 8, 16, 2)
    assert layer.batch_first is True
    assert layer.dropout == 0.25
    assert layer.parameters == _unique_count(model.blocks["enc"].rnn)
    # the input projection (registered before the GRU) is not the head; the last Linear is
    assert arch.output_head is not None
    assert (arch.output_head.name, arch.output_head.in_features) == ("head.2", 4)
    assert arch.output_head.out_features == 2
    assert arch.total_parameters == _unique_count(model)
    assert arch.trainable_parameters == arch.total_parameters


def test_bidirectional_projected_lstm() -> None:
    model = BiProjected()
    arch = capture_architecture(model)
    [layer] = arch.recurrent_layers
    assert layer.cell == "lstm"
    assert layer.bidirectional is True
    assert layer.proj_size == 6
    assert layer.num_layers == 2
    assert layer.output_size == 12
    assert layer.parameters == _unique_count(model.lstm)
    assert arch.total_parameters == _unique_count(model)
    assert arch.output_head is not None and arch.output_head.name == "out"


def test_gru_with_embedding_and_tied_weights() -> None:
    model = TiedLM()
    arch = capture_architecture(model)
    [embedding] = arch.embeddings
    assert (embedding.name, embedding.num_embeddings, embedding.embedding_dim) == (
        "embedding",
        50,
        10,
    )
    assert embedding.padding_idx == 0
    assert [t.parameters for t in arch.tied_weights] == [["embedding.weight", "decoder.weight"]]
    # the tied matrix counts once, as torch's own parameters() does
    assert arch.total_parameters == _unique_count(model)
    assert arch.total_parameters == 50 * 10 + model.rnn.weight_ih_l0.numel() * 2 + 2 * 30 + 50
    assert arch.output_head is not None and arch.output_head.name == "decoder"


def test_several_recurrent_modules_cells_and_trainable_count() -> None:
    model = Several()
    arch = capture_architecture(model)
    cells = [(layer.name, layer.cell, layer.bias) for layer in arch.recurrent_layers]
    assert cells == [
        ("enc_tanh", "rnn_tanh", True),
        ("enc_relu", "rnn_relu", False),
        ("dec", "lstm", True),
    ]
    assert arch.total_parameters == _unique_count(model)
    frozen = _unique_count(model.enc_tanh)
    assert arch.trainable_parameters == arch.total_parameters - frozen
    assert sum(layer.parameters or 0 for layer in arch.recurrent_layers) + 10 == (
        arch.total_parameters
    )


def test_recurrent_cells_are_layers() -> None:
    class Stepper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = nn.LSTMCell(3, 5)
            self.readout = nn.Linear(5, 1)

    arch = capture_architecture(Stepper())
    [layer] = arch.recurrent_layers
    assert (layer.name, layer.cell, layer.num_layers, layer.hidden_size) == ("cell", "lstm", 1, 5)
    assert layer.kind == "cell" and layer.batch_first is None  # batch_first does not apply
    assert arch.output_head is not None and arch.output_head.name == "readout"


def test_bare_lstm_and_shared_module_registered_twice() -> None:
    shared = nn.GRU(2, 3)
    model = nn.ModuleDict({"a": shared, "b": shared})
    arch = capture_architecture(model)
    assert [layer.name for layer in arch.recurrent_layers] == ["a"]
    assert arch.total_parameters == _unique_count(shared)
    assert len(arch.tied_weights) == len(list(shared.parameters()))
    assert arch.output_head is None

    bare = capture_architecture(nn.LSTM(2, 4))
    assert bare.recurrent_layers[0].name == ""
    assert bare.model_class == "torch.nn.modules.rnn.LSTM"


# torch.compile imports torch.jit, whose own deprecation notices are not ours to fix
@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_wrapped_models_are_unwrapped() -> None:
    model = TiedLM()
    expected = capture_architecture(model)
    assert capture_architecture(nn.DataParallel(model)) == expected
    compiled = torch.compile(model)  # compiles lazily; wrapping alone does no work
    assert capture_architecture(compiled) == expected


def test_explicit_head_and_bad_head() -> None:
    model = Nested()
    arch = capture_architecture(model, head="blocks.enc.inner.0")
    assert arch.output_head is not None and arch.output_head.in_features == 3
    with pytest.raises(InvalidInputError, match=r"head='head\.1' names no nn\.Linear"):
        capture_architecture(model, head="head.1")


def test_model_without_recurrent_layer_records_its_modules() -> None:
    model = nn.Sequential(nn.Conv1d(3, 8, 5, padding=2), nn.ReLU(), nn.Linear(8, 2))
    arch = capture_architecture(model)
    assert arch.recurrent_layers == []
    assert [(m.name, m.kind) for m in arch.modules] == [("0", "Conv1d"), ("2", "Linear")]
    assert arch.modules[0].settings["kernel_size"] == [5]
    assert arch.modules[0].parameters == _unique_count(model[0])
    assert arch.output_head is not None and arch.output_head.name == "2"
    assert arch.total_parameters == _unique_count(model)
    with pytest.raises(InvalidInputError, match=r"expected a torch\.nn\.Module"):
        capture_architecture("not a model")  # type: ignore[arg-type]


def test_lazy_parameters_leave_counts_absent_with_a_warning() -> None:
    from repro.capture.architecture import describe_architecture

    model = nn.Sequential(nn.LazyLinear(4), nn.GRU(4, 4))
    captured = describe_architecture(model)
    assert captured.architecture.total_parameters is None
    assert captured.architecture.recurrent_layers[0].cell == "gru"
    assert any("lazy module" in w.message for w in captured.warnings)
    model(torch.randn(2, 3, 5))  # one forward pass initialises it
    assert capture_architecture(model).total_parameters == _unique_count(model)


def test_captured_architecture_fits_a_record_and_round_trips() -> None:
    arch = repro.capture_architecture(BiProjected())
    record = RunRecord(run={"name": "bi"}, architecture=arch)
    again = RunRecord.model_validate_json(record.to_json())
    assert again.architecture == arch
