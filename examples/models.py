"""A small sequence regressor with a choice of recurrent cell: RNN (tanh), LSTM or GRU."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Cell = Literal["rnn", "lstm", "gru"]
CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceRegressor(nn.Module):
    """Reads a whole sequence with a recurrent module and regresses one value from its last
    hidden state (the adding problem's set-up)."""

    def __init__(
        self,
        cell: Cell = "lstm",
        input_size: int = 2,
        hidden_size: int = 32,
        num_layers: int = 1,
        forget_gate_bias: float | None = None,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
        self.cell = cell
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)
        if forget_gate_bias is not None:
            self.set_forget_gate_bias(forget_gate_bias)

    def set_forget_gate_bias(self, value: float) -> None:
        """Make the effective LSTM forget-gate bias (b_if + b_hf) equal ``value`` in every layer
        (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1.0)."""
        if not isinstance(self.rnn, nn.LSTM):
            raise ValueError("only an LSTM has a forget gate")
        hidden = self.rnn.hidden_size
        with torch.no_grad():
            for layer in range(self.rnn.num_layers):  # gate order: input, forget, cell, output
                getattr(self.rnn, f"bias_ih_l{layer}")[hidden : 2 * hidden].fill_(value)
                getattr(self.rnn, f"bias_hh_l{layer}")[hidden : 2 * hidden].fill_(0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(-1)
