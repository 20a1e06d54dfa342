"""ClippingMonitor.observe: the statistics of clipping a framework does itself (Lightning),
read without touching the gradients."""

from __future__ import annotations

import torch
from torch import nn

from repro.diagnostics.clipping import ClippingMonitor


def _grads(scale: float) -> nn.Module:
    torch.manual_seed(0)
    model = nn.LSTM(3, 4)
    out, _ = model(torch.randn(5, 2, 3))
    (out.sum() * scale).backward()
    return model


def test_observe_reads_the_norm_clip_would_see_and_leaves_gradients_alone() -> None:
    model = _grads(100.0)
    before = [p.grad.clone() for p in model.parameters()]
    observer = ClippingMonitor(1.0)
    seen = observer.observe(model.parameters())
    assert all(torch.equal(a, p.grad) for a, p in zip(before, model.parameters(), strict=True))
    clipper = ClippingMonitor(1.0)
    assert seen == clipper.clip(model.parameters())  # the same pre-clip norm
    assert observer.stats() == clipper.stats()
    assert observer.stats().clipped_steps == 1


def test_observe_by_value_counts_the_largest_gradient() -> None:
    model = _grads(0.001)
    observer = ClippingMonitor(0.5, kind="value")
    largest = max(float(p.grad.abs().max()) for p in model.parameters())
    assert observer.observe(model.parameters()) == largest
    assert observer.stats().clipped_steps == (1 if largest > 0.5 else 0)
