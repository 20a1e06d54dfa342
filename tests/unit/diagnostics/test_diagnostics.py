"""Gradient flow through time and clipping statistics, on real (small) torch models."""

from __future__ import annotations

import copy
import gc
import itertools
import subprocess
import sys
import weakref

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from repro.diagnostics import ClippingMonitor, GradientFlowMonitor, build_diagnostics
from repro.diagnostics.gradient_flow import subsample
from repro.record import Diagnostics, GradientFlow, RunInfo, RunRecord

HIDDEN = 16


class LastStep(nn.Module):
    """Reads the last time step of a recurrent module, like an adding-problem regressor."""

    def __init__(self, rnn: nn.RNNBase) -> None:
        super().__init__()
        self.rnn = rnn
        width = getattr(rnn, "proj_size", 0) or rnn.hidden_size
        out = width * (2 if rnn.bidirectional else 1)
        self.head = nn.Linear(out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        last = out[:, -1] if self.rnn.batch_first else out[-1]
        return self.head(last)


def backward_once(model: nn.Module, x: torch.Tensor, seed: int = 0) -> None:
    torch.manual_seed(seed)  # same dropout masks for both runs being compared
    y = torch.ones(x.shape[0] if model.rnn.batch_first else x.shape[1], 1)
    nn.functional.mse_loss(model(x), y).backward()


def flow_ratio(rnn: nn.RNNBase, length: int = 60) -> float:
    model = LastStep(rnn)
    monitor = GradientFlowMonitor(model, every=1)
    backward_once(model, torch.rand(8, length, 2))
    (snapshot,) = monitor.snapshots
    assert snapshot.ratio_first_last is not None
    return snapshot.ratio_first_last


def lstm_with_forget_bias(bias: float) -> nn.LSTM:
    torch.manual_seed(0)
    lstm = nn.LSTM(2, HIDDEN, batch_first=True)
    with torch.no_grad():  # gate order i, f, g, o: the effective forget bias is b_if + b_hf
        lstm.bias_ih_l0[HIDDEN : 2 * HIDDEN].fill_(bias)
        lstm.bias_hh_l0[HIDDEN : 2 * HIDDEN].fill_(0.0)
    return lstm


def test_tanh_rnn_vanishes_while_lstm_with_open_forget_gate_carries_the_gradient() -> None:
    torch.manual_seed(0)
    rnn = nn.RNN(2, HIDDEN, batch_first=True)
    with torch.no_grad():
        for weight in rnn.parameters():
            weight.uniform_(-0.3, 0.3)

    rnn_ratio = flow_ratio(rnn)
    closed, open_ = flow_ratio(lstm_with_forget_bias(0.0)), flow_ratio(lstm_with_forget_bias(5.0))
    print(
        f"ratio_first_last over 60 steps: tanh RNN {rnn_ratio:.2e}, "
        f"LSTM forget bias 0 {closed:.2e}, LSTM forget bias 5 {open_:.2e}"
    )
    assert 0 < rnn_ratio < 1e-6
    assert open_ > 1e-2
    assert open_ / rnn_ratio > 1e6
    assert open_ / closed > 1e3


def test_norms_are_the_mean_per_example_input_gradient_at_each_step() -> None:
    torch.manual_seed(1)
    model = LastStep(nn.GRU(3, HIDDEN, batch_first=True))
    x = torch.randn(4, 12, 3, requires_grad=True)
    monitor = GradientFlowMonitor(model, every=1, max_timesteps=64)
    backward_once(model, x)
    assert x.grad is not None
    expected = x.grad.norm(dim=-1).mean(dim=0)  # (batch, time) -> time
    (snapshot,) = monitor.snapshots
    assert snapshot.timesteps == list(range(12))
    assert snapshot.layer == "rnn"
    assert snapshot.step == 0
    np.testing.assert_allclose(snapshot.grad_norms, expected.tolist(), rtol=1e-5)
    assert snapshot.ratio_first_last == pytest.approx(expected[0].item() / expected[-1].item())


def test_packed_sequences_average_over_the_sequences_still_active() -> None:
    torch.manual_seed(2)
    rnn = nn.LSTM(3, HIDDEN, batch_first=True)
    monitor = GradientFlowMonitor(rnn, every=1)
    x = torch.randn(3, 7, 3, requires_grad=True)
    lengths = torch.tensor([7, 5, 2])
    _, (h_n, _) = rnn(pack_padded_sequence(x, lengths, batch_first=True))
    h_n.sum().backward()
    assert x.grad is not None
    per_example = x.grad.norm(dim=-1)  # (batch, time); padded steps have zero gradient
    active = torch.arange(7)[None, :] < lengths[:, None]
    expected = (per_example * active).sum(dim=0) / active.sum(dim=0)
    (snapshot,) = monitor.snapshots
    assert snapshot.layer == "lstm"  # the root module is named by its class
    np.testing.assert_allclose(snapshot.grad_norms, expected.tolist(), rtol=1e-5)


def test_one_snapshot_every_n_training_forwards_only() -> None:
    model = LastStep(nn.RNN(2, HIDDEN))
    monitor = GradientFlowMonitor(model, every=3)
    x = torch.rand(5, 4, 2)  # time-first
    for _ in range(10):
        backward_once(model, x)
    with torch.no_grad():  # neither counted nor sampled
        model(x)
    model.eval()
    model(x).sum().backward()
    # no optimizer ever stepped: each training forward counts as a step, and the record says so
    assert [s.step for s in monitor.snapshots] == [0, 3, 6, 9]
    assert [s.forward for s in monitor.snapshots] == [0, 3, 6, 9]
    assert monitor.step_unit == "training_forward"
    assert monitor.training_forwards == 10
    assert set(monitor.metrics()) == {"grad_flow/rnn/ratio", "grad_flow/rnn/rate_per_step"}


def test_long_sequences_are_subsampled_keeping_first_and_last() -> None:
    model = LastStep(nn.GRU(2, 4, batch_first=True))
    monitor = GradientFlowMonitor(model, every=1, max_timesteps=10)
    backward_once(model, torch.rand(2, 301, 2))
    (snapshot,) = monitor.snapshots
    assert len(snapshot.timesteps) == len(snapshot.grad_norms) == 10
    assert snapshot.timesteps[0] == 0 and snapshot.timesteps[-1] == 300
    for length in range(1, 200):
        for points in (2, 3, 7, 64):
            picked = subsample(length, points)
            assert len(picked) == min(length, points)
            assert picked[0] == 0 and picked[-1] == length - 1
            assert all(a < b for a, b in itertools.pairwise(picked))


@pytest.mark.parametrize(
    ("rnn", "embedded"),
    [
        (nn.RNN(4, HIDDEN, num_layers=2, nonlinearity="relu"), False),
        (nn.LSTM(4, HIDDEN, batch_first=True, bidirectional=True), False),
        (nn.LSTM(4, HIDDEN, proj_size=8), False),
        (nn.GRU(4, HIDDEN, batch_first=True, num_layers=2, dropout=0.3), True),
    ],
    ids=["rnn-relu-2layer", "lstm-bidir", "lstm-proj", "gru-dropout-embedded"],
)
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_gradients_are_bitwise_identical_with_and_without_the_monitor(
    rnn: nn.RNNBase, embedded: bool
) -> None:
    torch.manual_seed(3)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(10, 4)
            self.net = LastStep(rnn)
            self.rnn = rnn

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            return self.net(self.embed(tokens))

    plain = Net() if embedded else LastStep(rnn)
    watched = copy.deepcopy(plain)
    monitor = GradientFlowMonitor(watched, every=1)
    shape = (3, 9) if rnn.batch_first else (9, 3)
    inputs = torch.randint(0, 10, shape) if embedded else torch.randn(*shape, 4)
    for model in (plain, watched):
        torch.manual_seed(4)
        target = torch.ones(3, 1)
        nn.functional.mse_loss(model(inputs), target).backward()
    assert monitor.snapshots, "the watched step was sampled"
    for (name, a), (_, b) in zip(plain.named_parameters(), watched.named_parameters(), strict=True):
        assert a.grad is not None and b.grad is not None, name
        assert torch.equal(a.grad, b.grad), name


def test_no_tensor_outlives_the_backward_pass() -> None:
    model = LastStep(nn.LSTM(2, HIDDEN, batch_first=True))
    monitor = GradientFlowMonitor(model, every=1)
    x = torch.rand(4, 20, 2, requires_grad=True)
    loss = model(x).sum()
    loss.backward()
    alive = weakref.ref(x)
    del x, loss
    gc.collect()
    assert alive() is None
    assert len(monitor.snapshots) == 1


def test_a_frozen_module_on_a_plain_input_is_left_alone() -> None:
    rnn = nn.GRU(2, HIDDEN).requires_grad_(False)
    monitor = GradientFlowMonitor(rnn, every=1)
    out, _ = rnn(torch.rand(5, 3, 2))
    assert not out.requires_grad  # the monitor must not make it need a gradient
    assert monitor.snapshots == []
    embedded = torch.rand(5, 3, 2, requires_grad=True)  # e.g. from a trainable embedding
    out, _ = rnn(embedded)
    out[-1].sum().backward()
    assert len(monitor.snapshots) == 1


def test_detach_removes_every_hook() -> None:
    from torch.nn.modules import module as module_hooks
    from torch.optim import optimizer as optimizer_hooks

    before = (
        dict(module_hooks._global_forward_pre_hooks),
        dict(module_hooks._global_forward_hooks),
        dict(optimizer_hooks._global_optimizer_post_hooks),
    )
    model = LastStep(nn.GRU(2, HIDDEN, batch_first=True))
    with (
        pytest.warns(RuntimeWarning, match="no snapshot recorded over 0 optimizer step"),
        GradientFlowMonitor(model, every=1) as monitor,
    ):
        pending = model(torch.rand(2, 5, 2)).sum()  # sampled, backward not yet run
    assert not model.rnn._forward_pre_hooks
    after = (
        dict(module_hooks._global_forward_pre_hooks),
        dict(module_hooks._global_forward_hooks),
        dict(optimizer_hooks._global_optimizer_post_hooks),
    )
    assert after == before
    pending.backward()
    backward_once(model, torch.rand(2, 5, 2))
    assert monitor.snapshots == []


def test_a_monitor_dropped_without_detach_takes_its_hooks_with_it() -> None:
    """Forgetting detach() must not leave torch's global hook tables holding repro forever."""
    import gc

    from torch.nn.modules import module as module_hooks
    from torch.optim import optimizer as optimizer_hooks

    def tables() -> tuple[int, int, int]:
        return (
            len(module_hooks._global_forward_pre_hooks),
            len(module_hooks._global_forward_hooks),
            len(optimizer_hooks._global_optimizer_post_hooks),
        )

    before = tables()
    model = LastStep(nn.GRU(2, HIDDEN, batch_first=True))
    monitor = GradientFlowMonitor(model, every=1)
    backward_once(model, torch.rand(2, 5, 2))
    assert tables() != before
    del monitor
    gc.collect()
    assert tables() == before
    # and a watched model that goes away takes them too
    other = LastStep(nn.GRU(2, HIDDEN, batch_first=True))
    kept = GradientFlowMonitor(other, every=1)
    del other
    gc.collect()
    assert tables() == before
    assert kept.snapshots == []


def test_bad_arguments_are_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match=r"no nn\.RNN, nn\.LSTM, nn\.GRU, nn\.RNNCell"):
        GradientFlowMonitor(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="has no submodule 'missing'; its submodules are: rnn"):
        GradientFlowMonitor(LastStep(nn.RNN(2, 2)), modules=["missing"])
    with pytest.raises(ValueError, match="is not a submodule of LastStep"):
        GradientFlowMonitor(LastStep(nn.RNN(2, 2)), modules=[nn.Linear(2, 2)])
    with pytest.raises(ValueError, match="modules takes module objects, dotted names or module"):
        GradientFlowMonitor(LastStep(nn.RNN(2, 2)), modules=[3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"takes an nn\.Module, got str"):
        GradientFlowMonitor("model")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        GradientFlowMonitor(nn.RNN(2, 2), every=0)
    with pytest.raises(ValueError, match="max_timesteps must be >= 2"):
        GradientFlowMonitor(nn.RNN(2, 2), max_timesteps=1)
    with pytest.raises(ValueError, match="max_norm must be a positive number"):
        ClippingMonitor(0.0)


def set_grads(params: list[nn.Parameter], total_norm: float) -> None:
    """Give the parameters gradients whose joint L2 norm is exactly ``total_norm``."""
    count = sum(p.numel() for p in params)
    for p in params:
        p.grad = torch.full_like(p, total_norm / count**0.5)


def test_clip_matches_torch_and_counts_clipped_steps() -> None:
    torch.manual_seed(5)
    model = LastStep(nn.LSTM(2, HIDDEN, batch_first=True))
    twin = copy.deepcopy(model)
    x = torch.rand(4, 30, 2) * 10
    for net in (model, twin):
        backward_once(net, x)
    clip = ClippingMonitor(max_norm=0.01)
    ours = clip.clip(model.parameters())
    theirs = torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.01)
    assert ours == float(theirs)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a.grad, b.grad)

    params = [
        nn.Parameter(torch.zeros(3, dtype=torch.float64)),
        nn.Parameter(torch.zeros(5, dtype=torch.float64)),
    ]
    clip = ClippingMonitor(max_norm=1.0)
    norms = [0.5, 2.0, 3.0, 0.9, 1.0, 7.5]
    for norm in norms:
        set_grads(params, norm)
        assert clip.clip(params) == pytest.approx(norm)
    stats = clip.stats()
    assert (stats.steps, stats.clipped_steps, stats.threshold) == (6, 3, 1.0)
    assert stats.norm_mean == pytest.approx(np.mean(norms))
    assert stats.norm_p50 == pytest.approx(np.percentile(norms, 50))
    assert stats.norm_p95 == pytest.approx(np.percentile(norms, 95))
    assert stats.norm_max == pytest.approx(7.5)
    assert stats.clipped_fraction == pytest.approx(0.5)


def test_a_non_finite_norm_counts_as_clipped_and_keeps_the_statistics_finite() -> None:
    params = [nn.Parameter(torch.zeros(4))]
    clip = ClippingMonitor(max_norm=1.0)
    set_grads(params, 0.5)
    clip.clip(params)
    params[0].grad = torch.tensor([float("inf"), 0.0, 0.0, 0.0])
    with pytest.warns(RuntimeWarning, match="not finite"):
        clip.clip(params)
    stats = clip.stats()
    assert (stats.steps, stats.clipped_steps, clip.nonfinite_steps) == (2, 1, 1)
    assert stats.norm_max == pytest.approx(0.5)


def test_build_diagnostics_round_trips_through_the_record_json() -> None:
    model = LastStep(nn.GRU(2, HIDDEN, batch_first=True))
    flow = GradientFlowMonitor(model, every=2, max_timesteps=5)
    clip = ClippingMonitor(max_norm=0.5)
    for _ in range(4):
        model.zero_grad()
        backward_once(model, torch.rand(3, 11, 2))
        clip.clip(model.parameters())
    diagnostics = build_diagnostics(flow, clip)
    assert diagnostics is not None
    assert [s.step for s in diagnostics.gradient_flow] == [0, 2]
    assert diagnostics.clipping is not None and diagnostics.clipping.steps == 4
    record = RunRecord(run=RunInfo(name="diag"), diagnostics=diagnostics)
    again = RunRecord.model_validate_json(record.to_json())
    assert again == record
    assert isinstance(again.diagnostics, Diagnostics)
    assert isinstance(again.diagnostics.gradient_flow[0], GradientFlow)

    assert again.diagnostics.gradient_flow_watch is not None
    assert [(f.layer, f.snapshots) for f in again.diagnostics.gradient_flow_layers] == [("rnn", 2)]

    assert build_diagnostics(None, None) is None
    assert build_diagnostics(None, ClippingMonitor(1.0)) is None
    # watched but never run: the record still says what was watched, with no snapshot
    idle = build_diagnostics(GradientFlowMonitor(model), ClippingMonitor(1.0))
    assert idle is not None and idle.gradient_flow == [] and idle.clipping is None
    assert [(f.layer, f.snapshots, f.latest) for f in idle.gradient_flow_layers] == [
        ("rnn", 0, None)
    ]


def test_import_repro_does_not_import_torch_or_the_diagnostics() -> None:
    code = (
        "import sys, repro; "
        "assert 'repro.diagnostics' not in sys.modules; assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
