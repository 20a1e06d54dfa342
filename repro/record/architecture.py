"""Network architecture: recurrent layers, embeddings, output head, parameter counts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import NonNegInt, PosInt, Probability, Section

CellType = Literal["rnn_tanh", "rnn_relu", "lstm", "gru"]


class RecurrentLayer(Section):
    """One ``nn.RNN``/``nn.LSTM``/``nn.GRU`` module (which may stack ``num_layers`` layers)."""

    name: str = Field(description="Dotted module path inside the model, e.g. 'encoder.rnn'.")
    cell: CellType
    input_size: PosInt
    hidden_size: PosInt
    num_layers: PosInt = Field(1, description="Stacked layers inside this module.")
    bidirectional: bool = False
    proj_size: NonNegInt = Field(0, description="LSTM projection size; 0 = no projection.")
    dropout: Probability = Field(0.0, description="Dropout between stacked layers (torch's).")
    bias: bool = True
    batch_first: bool = False
    parameters: NonNegInt | None = Field(None, description="Parameters of this module.")

    @model_validator(mode="after")
    def _proj_only_on_lstm(self) -> RecurrentLayer:
        if self.proj_size and self.cell != "lstm":
            raise ValueError("proj_size is only defined for LSTM layers")
        if self.proj_size and self.proj_size >= self.hidden_size:
            raise ValueError("proj_size must be smaller than hidden_size")
        return self

    @property
    def output_size(self) -> int:
        """Features per time step this module emits."""
        per_direction = self.proj_size or self.hidden_size
        return per_direction * (2 if self.bidirectional else 1)


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
    recurrent_layers: list[RecurrentLayer] = Field(min_length=1)
    embeddings: list[Embedding] = Field(default_factory=list)
    output_head: OutputHead | None = Field(None, description="Absent = none found / not recorded.")
    tied_weights: list[TiedWeights] = Field(default_factory=list)
    total_parameters: NonNegInt | None = Field(
        None, description="Unique parameters (tied counted once)."
    )
    trainable_parameters: NonNegInt | None = None
