"""Gradient diagnostics: gradient flow through time (BPTT) and clipping statistics."""

from __future__ import annotations

from pydantic import Field

from .base import NonNegInt, Section


class GradientFlow(Section):
    """Norm of dLoss/dx_t, the gradient reaching a recurrent module's input at each time step t.

    It has flowed back through every later step (torch's fused kernels do not expose h_t; for a
    one-layer module dL/dx_t is dL/dh_t through one fixed linear map). A fast decay from the last
    step back to the first shows vanishing gradients; growth shows exploding ones.
    ``timesteps`` may be subsampled for long sequences.
    """

    step: NonNegInt = Field(description="Training step the snapshot was taken at.")
    layer: str = Field(description="Dotted name of the recurrent module.")
    timesteps: list[NonNegInt] = Field(description="Time indices the norms belong to.")
    grad_norms: list[float] = Field(description="||dL/dx_t|| (batch mean) at each listed index.")
    ratio_first_last: float | None = Field(
        None, description="grad norm at the first step / at the last; << 1 means vanishing."
    )


class ClippingStats(Section):
    """How often and how hard gradient clipping acted."""

    steps: NonNegInt
    clipped_steps: NonNegInt
    threshold: float | None = None
    norm_mean: float | None = Field(None, description="Mean pre-clip total gradient norm.")
    norm_p50: float | None = None
    norm_p95: float | None = None
    norm_max: float | None = None

    @property
    def clipped_fraction(self) -> float:
        """Share of steps whose gradient was clipped."""
        return self.clipped_steps / self.steps if self.steps else 0.0


class Diagnostics(Section):
    """Diagnostics recorded while training (``run.watch(model)``)."""

    gradient_flow: list[GradientFlow] = Field(default_factory=list)
    clipping: ClippingStats | None = None
