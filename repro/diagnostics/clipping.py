"""Gradient-norm clipping that also records how often and how hard it acted."""

from __future__ import annotations

import math
import warnings
from array import array
from collections.abc import Iterable

import numpy as np
import torch

from repro.record import ClippingStats


class ClippingMonitor:
    """Wraps ``torch.nn.utils.clip_grad_norm_`` and keeps every pre-clip total norm.

    Norms are kept as 8-byte floats (a million steps take 8 MB). A non-finite norm (an
    overflowing gradient) counts as a clipped step but is left out of the norm statistics, so
    they stay finite; ``nonfinite_steps`` counts such steps.
    """

    def __init__(self, max_norm: float, norm_type: float = 2.0) -> None:
        max_norm = float(max_norm)
        if not max_norm > 0 or not math.isfinite(max_norm):
            raise ValueError(f"ClippingMonitor: max_norm must be a positive number, got {max_norm}")
        self.max_norm = max_norm
        self.norm_type = float(norm_type)
        self._norms = array("d")
        self.steps = 0
        self.clipped_steps = 0
        self.nonfinite_steps = 0

    def clip(self, parameters: Iterable[torch.Tensor] | torch.Tensor) -> float:
        """Clip the gradients of ``parameters`` in place and return their total norm before
        clipping (exactly what ``clip_grad_norm_`` returns, as a float)."""
        total = torch.nn.utils.clip_grad_norm_(
            parameters, self.max_norm, norm_type=self.norm_type, error_if_nonfinite=False
        )
        norm = float(total)
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
