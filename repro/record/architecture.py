"""Network architecture: recurrent layers and cells, other significant modules, embeddings,
output head, tied weights and parameter counts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .base import NonNegInt, PosInt, Probability, Section

CellType = Literal["rnn_tanh", "rnn_relu", "lstm", "gru", "custom"]
BUILT_IN_CELLS: frozenset[str] = frozenset({"rnn_tanh", "rnn_relu", "lstm", "gru"})


class RecurrentLayer(Section):
    """One recurrent module: an ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (which may stack
    ``num_layers`` layers), a step-wise ``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell``, or a
    hand-written cell (``cell: custom``, named and described by the user)."""

    name: str = Field(description="Dotted module path inside the model, e.g. 'encoder.rnn'.")
    cell: CellType = Field(
        description="The recurrence: a torch built-in, or 'custom' for a hand-written cell "
        "(see description); never a built-in type the module is not."
    )
    kind: Literal["layer", "cell"] = Field(
        "layer",
        description="'layer': runs a whole sequence per call (nn.LSTM); 'cell': one time step "
        "per call, looped by the model's own code (nn.LSTMCell, most hand-written cells).",
    )
    module_class: str | None = Field(
        None, description="Qualified class of the module, e.g. 'torch.nn.modules.rnn.LSTMCell'."
    )
    description: str | None = Field(
        None, description="What a custom cell computes, in the user's words (and its citation)."
    )
    input_size: PosInt | None = Field(None, description="Required for built-in cells.")
    hidden_size: PosInt | None = Field(None, description="Required for built-in cells.")
    num_layers: PosInt = Field(1, description="Stacked layers inside this module.")
    bidirectional: bool = False
    proj_size: NonNegInt = Field(0, description="LSTM projection size; 0 = no projection.")
    dropout: Probability = Field(0.0, description="Dropout between stacked layers (torch's).")
    bias: bool | None = Field(None, description="Bias terms; absent = not recorded.")
    batch_first: bool | None = Field(
        None, description="Batch-major input; absent for cells (it does not apply) or not recorded."
    )
    parameters: NonNegInt | None = Field(None, description="Parameters of this module.")

    @model_validator(mode="after")
    def _consistent(self) -> RecurrentLayer:
        if self.cell in BUILT_IN_CELLS and (self.input_size is None or self.hidden_size is None):
            raise ValueError(f"a built-in {self.cell} layer needs input_size and hidden_size")
        if self.proj_size and self.cell != "lstm":
            raise ValueError("proj_size is only defined for LSTM layers")
        if self.proj_size and self.hidden_size is not None and self.proj_size >= self.hidden_size:
            raise ValueError("proj_size must be smaller than hidden_size")
        if self.kind == "cell" and self.batch_first is not None:
            raise ValueError("batch_first does not apply to a cell (kind: cell); leave it out")
        return self

    @property
    def output_size(self) -> int | None:
        """Features per time step this module emits (None when the hidden size is unknown)."""
        per_direction = self.proj_size or self.hidden_size
        if per_direction is None:
            return None
        return per_direction * (2 if self.bidirectional else 1)


class ModuleSummary(Section):
    """A significant module besides recurrent layers and embeddings: attention, Transformer
    layers and stacks, convolutions, linear layers. Its parts are not listed separately."""

    name: str = Field(description="Dotted module path inside the model.")
    kind: str = Field(description="Module class, e.g. 'TransformerEncoder', 'Conv1d', 'Linear'.")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Constructor settings read back from the module."
    )
    parameters: NonNegInt | None = Field(None, description="Unique parameters of this module.")


class Embedding(Section):
    """An ``nn.Embedding`` feeding the recurrent stack."""

    name: str
    num_embeddings: PosInt
    embedding_dim: PosInt
    padding_idx: int | None = None
    parameters: NonNegInt | None = None


class OutputHead(Section):
    """The final projection (usually ``nn.Linear``) from hidden state to outputs."""

    name: str
    kind: str = Field(description="Module class, e.g. 'Linear'.")
    in_features: PosInt
    out_features: PosInt
    bias: bool = True
    parameters: NonNegInt | None = None


class TiedWeights(Section):
    """Parameters that share one tensor (e.g. embedding and decoder weights)."""

    parameters: list[str] = Field(min_length=2, description="Dotted parameter names sharing data.")


class Architecture(Section):
    """The model's structure as captured from the module tree (or written by hand)."""

    model_class: str = Field(description="Qualified class name of the top-level module.")
    recurrent_layers: list[RecurrentLayer] = Field(
        default_factory=list,
        description="Every recurrent module in registration order; empty = the model has none "
        "(a Transformer, CNN or MLP: see modules).",
    )
    modules: list[ModuleSummary] = Field(
        default_factory=list,
        description="Other significant modules (attention, Transformer layers, convolutions, "
        "linear layers) in registration order.",
    )
    embeddings: list[Embedding] = Field(default_factory=list)
    output_head: OutputHead | None = Field(None, description="Absent = none found / not recorded.")
    tied_weights: list[TiedWeights] = Field(default_factory=list)
    total_parameters: NonNegInt | None = Field(
        None, description="Unique parameters (tied counted once), as sum(p.numel()) over them."
    )
    trainable_parameters: NonNegInt | None = Field(
        None, description="Unique parameters with requires_grad."
    )
