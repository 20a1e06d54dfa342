"""Gradient flow agrees with theory and with a hand-unrolled reference.

Small models at initialisation (hidden 64, sequence length 100, loss on the last step), read 50
steps back: a tanh RNN and a default LSTM vanish, an LSTM whose forget gate starts open (bias 3)
keeps the signal, and a tanh RNN whose recurrent weights are scaled by 8 explodes; the
equivalent nn.RNNCell / nn.LSTMCell loops give the same curves and verdicts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

from repro.diagnostics import GradientFlowMonitor
from repro.record import FlowSummary, GradientFlow

HIDDEN, LENGTH, INPUT, BATCH = 64, 100, 8, 16


class WholeSequence(nn.Module):
    """nn.RNN/LSTM/GRU over the sequence, a linear read-out of the last step."""

    def __init__(self, rnn: nn.RNNBase) -> None:
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class CellLoop(nn.Module):
    """The same network as a loop over a cell (nn.*Cell or a hand-written one)."""

    def __init__(self, cell: nn.Module) -> None:
        super().__init__()
        self.cell = cell
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = None
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
        return self.head(state[0] if isinstance(state, tuple) else state)


class HandLSTMCell(nn.Module):
    """An LSTM cell written out gate by gate (what a user's custom cell looks like)."""

    def __init__(self, lstm: nn.LSTM) -> None:
        super().__init__()
        self.w_ih = nn.Parameter(lstm.weight_ih_l0.detach().clone())
        self.w_hh = nn.Parameter(lstm.weight_hh_l0.detach().clone())
        self.b = nn.Parameter((lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().clone())

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if state is None:
            zeros = x.new_zeros(x.shape[0], HIDDEN)
            state = (zeros, zeros)
        h, c = state
        i, f, g, o = (x @ self.w_ih.T + h @ self.w_hh.T + self.b).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


def tanh_rnn(scale: float = 1.0) -> nn.RNN:
    rnn = nn.RNN(INPUT, HIDDEN, batch_first=True)
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(scale)
    return rnn


def lstm(forget_bias: float | None = None) -> nn.LSTM:
    module = nn.LSTM(INPUT, HIDDEN, batch_first=True)
    if forget_bias is not None:
        with torch.no_grad():  # gate order i, f, g, o: the effective bias is b_if + b_hf
            module.bias_ih_l0[HIDDEN : 2 * HIDDEN].fill_(forget_bias)
            module.bias_hh_l0[HIDDEN : 2 * HIDDEN].fill_(0.0)
    return module


def as_cell(rnn: nn.RNNBase) -> nn.RNNCellBase:
    """The nn.*Cell with ``rnn``'s weights."""
    if isinstance(rnn, nn.LSTM):
        cell: nn.RNNCellBase = nn.LSTMCell(INPUT, HIDDEN)
    elif isinstance(rnn, nn.GRU):
        cell = nn.GRUCell(INPUT, HIDDEN)
    else:
        cell = nn.RNNCell(INPUT, HIDDEN, nonlinearity=rnn.nonlinearity)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(rnn, f"{name}_l0"))
    return cell.to(rnn.weight_ih_l0.dtype)


def inputs(dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(BATCH, LENGTH, INPUT, generator=torch.Generator().manual_seed(1)).to(dtype)


def measure(model: nn.Module, x: torch.Tensor, **watch: object) -> GradientFlow:
    """One training step's snapshot (loss on the last step), at initialisation."""
    with GradientFlowMonitor(model, every=1, max_timesteps=LENGTH, **watch) as monitor:  # type: ignore[arg-type]
        target = torch.ones(x.shape[0], 1, dtype=x.dtype)
        nn.functional.mse_loss(model(x), target).backward()
        (snapshot,) = monitor.snapshots
    return snapshot


CASES: dict[str, tuple[Callable[[], nn.RNNBase], str]] = {
    "tanh RNN": (tanh_rnn, "vanishing"),
    "LSTM (default init)": (lstm, "vanishing"),
    "LSTM (forget bias 3)": (lambda: lstm(forget_bias=3.0), "stable"),
    "tanh RNN (W_hh x 8)": (lambda: tanh_rnn(scale=8.0), "exploding"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_verdicts_agree_with_theory_for_modules_and_cell_loops(case: str) -> None:
    make, verdict = CASES[case]
    torch.manual_seed(0)
    rnn = make()
    x = inputs()
    whole_model, loop_model = WholeSequence(rnn), CellLoop(as_cell(rnn))
    loop_model.head.load_state_dict(whole_model.head.state_dict())
    whole, loop = measure(whole_model, x), measure(loop_model, x)
    for snapshot in (whole, loop):
        summary = snapshot.summary
        assert isinstance(summary, FlowSummary)
        assert (summary.length, summary.distance) == (LENGTH, 50)
        assert (summary.vanishing_below, summary.exploding_above) == (1e-3, 1e3)
        assert summary.verdict == verdict, (case, snapshot.time_axis, summary)
        print(
            f"{case:<22} {snapshot.module:<8} ratio 50 steps back "
            f"{summary.ratio if summary.ratio is not None else float('inf'):.2e}, rate/step "
            f"{summary.rate_per_step:.3f}, horizon {summary.horizon}"
        )
        if case in ("tanh RNN", "LSTM (default init)"):
            assert summary.ratio is not None and 0 < summary.ratio < 1e-8
            assert summary.rate_per_step is not None and summary.rate_per_step < 0.8
            assert summary.horizon is not None and summary.horizon < 20
        elif case == "LSTM (forget bias 3)":
            assert summary.ratio is not None and summary.ratio > 1e-2
            assert summary.horizon is None  # never below 1% within the 100 steps
        else:
            assert summary.ratio is None or summary.ratio > 1e3
            assert summary.rate_per_step is not None and summary.rate_per_step > 1
    assert (whole.module, whole.time_axis, loop.module, loop.time_axis) == (
        type(rnn).__name__,
        "sequence",
        type(rnn).__name__ + "Cell",
        "calls",
    )
    finite = [t for t in whole.timesteps if t in loop.timesteps]
    np.testing.assert_allclose(
        [loop.grad_norms[loop.timesteps.index(t)] for t in finite],
        [whole.grad_norms[whole.timesteps.index(t)] for t in finite],
        rtol=1e-3,
    )


def unrolled_reference(rnn: nn.LSTM, head: nn.Linear, x: torch.Tensor) -> list[float]:
    """||dL/dx_t|| (batch mean) from an LSTM written out by hand, one leaf per time step."""
    steps = [x[:, t].clone().requires_grad_(True) for t in range(x.shape[1])]
    h = c = x.new_zeros(x.shape[0], HIDDEN)
    w_ih, w_hh = rnn.weight_ih_l0.detach(), rnn.weight_hh_l0.detach()
    bias = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach()
    for x_t in steps:
        i, f, g, o = (x_t @ w_ih.T + h @ w_hh.T + bias).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
    target = torch.ones(x.shape[0], 1, dtype=x.dtype)
    loss = nn.functional.mse_loss(nn.functional.linear(h, head.weight, head.bias), target)
    return [g.norm(dim=-1).mean().item() for g in torch.autograd.grad(loss, steps)]


def test_the_probe_matches_a_hand_unrolled_lstm_for_every_way_of_writing_it() -> None:
    torch.manual_seed(2)
    rnn = lstm(forget_bias=1.0).double()
    x = inputs(torch.float64)
    whole = WholeSequence(rnn).double()
    reference = unrolled_reference(rnn, whole.head, x)
    cell_loop, hand_loop = CellLoop(as_cell(rnn)).double(), CellLoop(HandLSTMCell(rnn)).double()
    for model in (cell_loop, hand_loop):
        model.head.load_state_dict(whole.head.state_dict())
    curves = {
        "nn.LSTM": measure(whole, x),
        "nn.LSTMCell loop": measure(cell_loop, x),
        "hand-written cell (object)": measure(hand_loop, x, modules=[hand_loop.cell]),
        "hand-written cell (name)": measure(hand_loop, x, modules=["cell"]),
        "hand-written cell (class)": measure(hand_loop, x, modules=[HandLSTMCell]),
    }
    for how, snapshot in curves.items():
        assert snapshot.timesteps == list(range(LENGTH)), how
        np.testing.assert_allclose(snapshot.grad_norms, reference, rtol=1e-9, err_msg=how)
    assert curves["hand-written cell (name)"].module == "HandLSTMCell"
    assert reference[0] / reference[-1] < 1e-3  # the reference itself shows the decay


def test_gru_and_its_cell_loop_draw_the_same_curve() -> None:
    torch.manual_seed(3)
    gru = nn.GRU(INPUT, HIDDEN, batch_first=True)
    x = inputs()
    whole = WholeSequence(gru)
    loop = CellLoop(as_cell(gru))
    loop.head.load_state_dict(whole.head.state_dict())
    a, b = measure(whole, x), measure(loop, x)
    np.testing.assert_allclose(a.grad_norms, b.grad_norms, rtol=1e-3)
    assert a.summary is not None and b.summary is not None
    assert a.summary.verdict == b.summary.verdict
    assert a.summary.horizon == b.summary.horizon
