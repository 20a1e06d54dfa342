"""Gradient clipping (by norm or by value) that also records how often and how hard it acted."""

from __future__ import annotations

import math
import warnings
from array import array
from collections.abc import Iterable

import numpy as np
import torch

from repro.record import ClippingStats, GradientClipping


class ClippingMonitor:
    """Wraps ``torch.nn.utils.clip_grad_norm_`` (``kind="norm"``) or ``clip_grad_value_``
    (``kind="value"``) and keeps every pre-clip total norm: the ``norm_type``-norm, and for
    value clipping the largest absolute gradient (the inf-norm, which is what exceeds
    ``clip_value`` exactly when clipping acts).

    Norms are kept as 8-byte floats (a million steps take 8 MB). A non-finite norm (an
    overflowing gradient) counts as a clipped step but is left out of the norm statistics, so
    they stay finite; ``nonfinite_steps`` counts such steps.
    """

    def __init__(self, max_norm: float, norm_type: float = 2.0, *, kind: str = "norm") -> None:
        max_norm = float(max_norm)
        if not max_norm > 0 or not math.isfinite(max_norm):
            raise ValueError(f"ClippingMonitor: max_norm must be a positive number, got {max_norm}")
        if kind not in ("norm", "value"):
            raise ValueError(f"ClippingMonitor: kind must be 'norm' or 'value', got {kind!r}")
        self.kind = kind
        self.max_norm = max_norm
        self.norm_type = math.inf if kind == "value" else float(norm_type)
        self._norms = array("d")
        self.steps = 0
        self.clipped_steps = 0
        self.nonfinite_steps = 0

    def clip(self, parameters: Iterable[torch.Tensor] | torch.Tensor) -> float:
        """Clip the gradients of ``parameters`` in place and return their total norm before
        clipping (exactly what ``clip_grad_norm_`` returns, as a float)."""
        if self.kind == "value":
            params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
            grads = [p.grad for p in params if p.grad is not None]
            total = torch.stack([g.detach().abs().max() for g in grads]).max() if grads else 0.0
            torch.nn.utils.clip_grad_value_(params, self.max_norm)
        else:
            total = torch.nn.utils.clip_grad_norm_(
                parameters, self.max_norm, norm_type=self.norm_type, error_if_nonfinite=False
            )
        return self._count(float(total))

    def observe(self, parameters: Iterable[torch.Tensor] | torch.Tensor) -> float:
        """Record the pre-clip norm of ``parameters``' gradients without clipping them: for a
        framework that clips by itself right after (Lightning); returns that norm."""
        params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
        grads = [p.grad.detach() for p in params if p.grad is not None]
        if not grads:
            return self._count(0.0)
        if self.kind == "value":
            return self._count(float(torch.stack([g.abs().max() for g in grads]).max()))
        total = torch.nn.utils.get_total_norm(grads, self.norm_type, error_if_nonfinite=False)
        return self._count(float(total))

    def _count(self, norm: float) -> float:
        self.steps += 1
        if math.isfinite(norm):
            self._norms.append(norm)
            if norm > self.max_norm:
                self.clipped_steps += 1
        else:
            self.clipped_steps += 1
            self.nonfinite_steps += 1
            if self.nonfinite_steps == 1:
                warnings.warn(
                    f"gradient norm is {norm} at clipping step {self.steps}; the gradients are "
                    "not finite (left out of the recorded norm statistics)",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return norm

    def stats(self) -> ClippingStats:
        """Steps, clipped steps (norm > max_norm), threshold and the pre-clip norm distribution."""
        norms = np.array(self._norms, dtype=np.float64) if self._norms else None
        if norms is None:
            return ClippingStats(
                steps=self.steps, clipped_steps=self.clipped_steps, threshold=self.max_norm
            )
        p50, p95 = np.percentile(norms, [50.0, 95.0])
        return ClippingStats(
            steps=self.steps,
            clipped_steps=self.clipped_steps,
            threshold=self.max_norm,
            norm_mean=float(norms.mean()),
            norm_p50=float(p50),
            norm_p95=float(p95),
            norm_max=float(norms.max()),
        )


def clipping_setting(monitor: ClippingMonitor) -> GradientClipping:
    """The record's ``training.gradient_clipping`` for what ``monitor`` does."""
    if monitor.kind == "value":
        return GradientClipping(kind="value", threshold=monitor.max_norm)
    return GradientClipping(kind="norm", threshold=monitor.max_norm, norm_type=monitor.norm_type)
