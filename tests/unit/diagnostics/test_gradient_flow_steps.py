"""What a gradient-flow step is, which calls are read, and that training is left untouched."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from repro.diagnostics import GradientFlowMonitor, _taps
from repro.record import GradientFlow

HIDDEN = 12


class Regressor(nn.Module):
    def __init__(self, rnn: nn.Module | None = None, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.rnn = rnn or nn.LSTM(3, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class CellRegressor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(3, HIDDEN)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = None
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
        return self.head(state[0])


def data(seed: int = 0, length: int = 15) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(6, length, 3, generator=g), torch.randn(6, 1, generator=g)


def steps_of(monitor: GradientFlowMonitor, layer: str = "rnn") -> list[int]:
    return [s.step for s in monitor.snapshots if s.layer == layer]


def test_lbfgs_closure_calls_within_one_step_are_one_step() -> None:
    torch.manual_seed(0)
    model = Regressor()
    optimizer = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=40, history_size=5)
    x, y = data()
    calls = 0

    def closure() -> torch.Tensor:
        nonlocal calls
        calls += 1
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    with GradientFlowMonitor(model, every=2) as monitor:
        for _ in range(5):
            optimizer.step(closure)
    assert calls > 5 * 2  # LBFGS evaluated the closure many times per step
    assert steps_of(monitor) == [0, 2, 4]
    assert monitor.optimizer_steps == 5 and monitor.training_forwards == calls
    assert monitor.step_unit == "optimizer_step"
    forwards = [s.forward for s in monitor.snapshots]
    assert forwards[0] == 0 and forwards[1] > 2  # a step's first closure call is the one read
    assert monitor.watch_info().step_unit == "optimizer_step"


def test_without_an_optimizer_step_training_forwards_count_as_steps() -> None:
    torch.manual_seed(1)
    model = Regressor()
    x, y = data()
    with GradientFlowMonitor(model, every=3) as monitor:
        for _ in range(7):
            model.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            with torch.no_grad():  # a hand-written SGD update: no optimizer to count
                for p in model.parameters():
                    p -= 0.1 * p.grad
            model.eval()
            with torch.no_grad():
                model(x)  # evaluation is not a training forward
            model.train()
    assert steps_of(monitor) == [0, 3, 6]
    assert monitor.step_unit == "training_forward"
    info = monitor.watch_info()
    assert (info.step_unit, info.optimizer_steps, info.training_forwards) == (
        "training_forward",
        0,
        7,
    )


def test_gradient_accumulation_reads_the_first_micro_batch_of_a_sampled_step() -> None:
    torch.manual_seed(2)
    model = Regressor()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    other = torch.optim.SGD([nn.Parameter(torch.zeros(2))], lr=0.1)  # holds none of the model's
    with GradientFlowMonitor(model, every=2) as monitor:
        for step in range(5):
            for micro in range(3):
                x, y = data(seed=10 * step + micro)
                nn.functional.mse_loss(model(x), y).backward()
                other.step()  # steps of an optimizer over other parameters are not counted
            optimizer.step()
            optimizer.zero_grad()
    assert steps_of(monitor) == [0, 2, 4]
    assert [s.forward for s in monitor.snapshots] == [0, 6, 12]
    assert monitor.optimizer_steps == 5 and monitor.training_forwards == 15


def train(model: nn.Module, monitor: bool, steps: int = 9) -> list[list[torch.Tensor]]:
    """Adam on a fixed stream of batches; the parameters after every step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = []
    watch = GradientFlowMonitor(model, every=4) if monitor else None
    for step in range(steps):
        x, y = data(seed=step)
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append([p.detach().clone() for p in model.parameters()])
    if watch is not None:
        watch.detach()
        assert [s.step for s in watch.snapshots] == [0, 4, 8]
    return history


@pytest.mark.parametrize("make", [Regressor, CellRegressor], ids=["nn.LSTM", "nn.LSTMCell loop"])
def test_training_is_bit_identical_with_and_without_the_probe(
    make: Callable[[], nn.Module],
) -> None:
    torch.manual_seed(3)
    plain = make()
    watched = copy.deepcopy(plain)
    for step, (a, b) in enumerate(zip(train(plain, False), train(watched, True), strict=True)):
        for p, q in zip(a, b, strict=True):
            assert torch.equal(p, q), f"parameters differ after step {step}"


def split_reference(
    bi: nn.LSTM, x: torch.Tensor, y: torch.Tensor
) -> tuple[list[float], list[float], torch.Tensor]:
    """Per-direction input-gradient norms from two unidirectional LSTMs with the bidirectional
    one's weights, the backward one run on the reversed sequence."""
    directions = []
    for suffix in ("", "_reverse"):
        uni = nn.LSTM(3, HIDDEN, batch_first=True)
        with torch.no_grad():
            for name, p in uni.named_parameters():
                p.copy_(getattr(bi, name + suffix))
        directions.append(uni)
    xf, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_f, _ = directions[0](xf)
    out_b, (h_b, _) = directions[1](xb.flip(1))
    out = torch.cat([out_f, out_b.flip(1)], dim=-1)
    loss = nn.functional.mse_loss(out[:, -1].sum(-1, keepdim=True) + h_b[0].sum(-1)[:, None], y)
    loss.backward()
    assert xf.grad is not None and xb.grad is not None
    shares = xf.grad.norm(dim=-1).mean(0).tolist(), xb.grad.norm(dim=-1).mean(0).tolist()
    return *shares, xf.grad + xb.grad


def test_a_bidirectional_layer_gives_one_curve_per_direction() -> None:
    torch.manual_seed(4)
    bi = nn.LSTM(3, HIDDEN, batch_first=True, bidirectional=True)
    x, y = data(length=20)
    forward_ref, backward_ref, total = split_reference(bi, x, y)
    x_in = x.clone().requires_grad_()
    with GradientFlowMonitor(bi, every=1, max_timesteps=64) as monitor:
        out, (h_n, _) = bi(x_in)
        loss = nn.functional.mse_loss(out[:, -1].sum(-1, keepdim=True) + h_n[1].sum(-1)[:, None], y)
        loss.backward()
    forward, backward = monitor.snapshots
    assert (forward.direction, backward.direction) == ("forward", "backward")
    np.testing.assert_allclose(forward.grad_norms, forward_ref, rtol=1e-4)
    np.testing.assert_allclose(backward.grad_norms, backward_ref, rtol=1e-4)
    # the input's own gradient is the sum of the shares: the training graph was not touched
    assert x_in.grad is not None
    torch.testing.assert_close(x_in.grad, total)
    assert forward.summary is not None and backward.summary is not None
    # each direction is read from its own last step: t = T-1 forwards, t = 0 backwards
    assert forward.summary.ratio == pytest.approx(forward_ref[0] / forward_ref[19])
    assert backward.summary.ratio == pytest.approx(backward_ref[19] / backward_ref[0])
    layers = {(f.layer, f.direction): f for f in monitor.layer_summaries()}
    assert set(layers) == {("lstm", "forward"), ("lstm", "backward")}


@pytest.mark.parametrize("how", ["stacked", "packed"])
def test_an_unsplittable_bidirectional_layer_is_recorded_as_both(how: str) -> None:
    torch.manual_seed(5)
    layers = 2 if how == "stacked" else 1
    gru = nn.GRU(3, HIDDEN, num_layers=layers, batch_first=True, bidirectional=True)
    x = torch.randn(3, 9, 3, requires_grad=True)
    with GradientFlowMonitor(gru, every=1) as monitor:
        source = x if how == "stacked" else pack_padded_sequence(x, [9, 6, 4], batch_first=True)
        _, h_n = gru(source)
        h_n.sum().backward()
    (snapshot,) = monitor.snapshots
    assert snapshot.direction == "both"
    assert x.grad is not None
    if how == "stacked":
        expected = x.grad.norm(dim=-1).mean(0)
        np.testing.assert_allclose(snapshot.grad_norms, expected.tolist(), rtol=1e-5)


def test_a_decoder_feeding_an_lstm_one_step_at_a_time_is_read_like_a_cell() -> None:
    torch.manual_seed(6)

    class Decoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(3, HIDDEN)
            self.out = nn.Linear(HIDDEN, 3)

        def forward(self, start: torch.Tensor, steps: int) -> torch.Tensor:
            token, state = start, None
            for _ in range(steps):
                h, state = self.rnn(token, state)
                token = self.out(h)
            return token

    model = Decoder()
    with GradientFlowMonitor(model, every=1) as monitor:
        model(torch.randn(1, 4, 3), steps=11).sum().backward()
    (snapshot,) = monitor.snapshots
    assert (snapshot.time_axis, snapshot.length) == ("calls", 11)
    assert snapshot.summary is not None and snapshot.summary.distance == 10


@pytest.mark.filterwarnings("ignore:gradient flow. no snapshot recorded")
def test_an_input_passed_by_keyword_is_counted_as_unmeasured() -> None:
    class ByKeyword(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(3, HIDDEN)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.rnn(input=x)[0][-1]

    model = ByKeyword()
    with (
        pytest.warns(RuntimeWarning, match="'rnn' not measured on a sampled call.*keyword"),
        GradientFlowMonitor(model, every=1) as monitor,
    ):
        model(torch.randn(5, 2, 3)).sum().backward()
    assert monitor.snapshots == []
    assert monitor.watch_info().unmeasured_calls == 1


@pytest.mark.parametrize("part", ["call_norm", "step_norms", "split_by_direction", "tap"])
def test_a_probe_failure_warns_and_training_carries_on(
    part: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(_taps, part, broken)
    torch.manual_seed(8)
    model = nn.ModuleDict(
        {
            "cell": CellRegressor(),
            "rnn": Regressor(),
            "bi": nn.GRU(3, HIDDEN, batch_first=True, bidirectional=True),
        }
    )
    twin = copy.deepcopy(model)
    x, y = data()
    losses = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with GradientFlowMonitor(model, every=1):
            for net in (model, twin):
                out = net["cell"](x) + net["rnn"](x) + net["bi"](x)[0][:, -1].sum(-1, keepdim=True)
                loss = nn.functional.mse_loss(out, y)
                loss.backward()
                losses.append(loss.item())
    messages = [str(w.message) for w in caught]
    assert any("gradient flow probe failed (RuntimeError: boom)" in m for m in messages), messages
    assert sum("probe failed" in m for m in messages) == 1  # said once
    assert losses[0] == losses[1]
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a.grad, b.grad)


def test_overflowing_gradients_are_recorded_as_not_finite_and_read_as_exploding() -> None:
    torch.manual_seed(7)
    rnn = nn.RNN(8, 64, batch_first=True)
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(8.0)
    model = Regressor(rnn, hidden=64)
    with (
        pytest.warns(RuntimeWarning, match="overflowed"),
        GradientFlowMonitor(model, every=1, max_timesteps=300) as monitor,
    ):
        model(torch.randn(4, 300, 8)).sum().backward()
    (snapshot,) = monitor.snapshots
    assert isinstance(snapshot, GradientFlow)
    assert snapshot.nonfinite_timesteps and snapshot.length == 300
    assert set(snapshot.nonfinite_timesteps).isdisjoint(snapshot.timesteps)
    assert snapshot.summary is not None and snapshot.summary.verdict == "exploding"
    assert monitor.watch_info().nonfinite_snapshots == 1
