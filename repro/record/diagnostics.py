"""Gradient diagnostics: gradient flow through time (BPTT) and clipping statistics.

Gradient flow is kept at three levels: ``gradient_flow`` holds every snapshot (one curve of
||dL/dx_t|| per watched layer, direction and sampled step), ``gradient_flow_layers`` one summary
per watched layer and direction (its first and latest snapshot read as a verdict, a decay rate
and a memory horizon), and ``gradient_flow_watch`` how the curves were sampled and what the step
numbers count. A reader (or a card) needs only the last two; the snapshots draw the plot.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import NonNegInt, PosInt, Section

Verdict = Literal["vanishing", "stable", "exploding"]
Direction = Literal["forward", "backward", "both"]
TimeAxis = Literal["sequence", "calls"]
StepUnit = Literal["optimizer_step", "training_forward"]

DIRECTION_TEXT = (
    "Direction of the recurrence the curve belongs to. 'forward': a unidirectional layer, or a "
    "bidirectional one's forward direction; 'backward': a bidirectional layer's backward "
    "direction (it processes the sequence from its end, so its last step is t = 0); 'both': a "
    "bidirectional layer whose input gradient could not be split by direction (several stacked "
    "layers or a packed input), so the curve is the sum of both directions' contributions, read "
    "from t = T-1 like a forward one, and its verdict mixes the two."
)


class FlowSummary(Section):
    """One gradient-flow curve read backwards from the last step the recurrence processed.

    *Distance* d counts time steps back from that step (d = 0; t = T-1-d for a forward
    direction, t = d for a backward one). All readings are relative to the norm at d = 0, so
    they describe how the loss gradient fades or grows as it travels back through time. They
    describe the flow the loss actually sends: with a loss on every step each step gets a direct
    gradient as well, and the curve stays flat even where the recurrence forgets.
    """

    length: PosInt = Field(description="Time steps in the curve (T), before any subsampling.")
    distance: NonNegInt = Field(
        description="Distance at which the verdict's ratio is read: the stated default (50 "
        "steps back) or T-1 when the sequence is shorter."
    )
    ratio: float | None = Field(
        None,
        description="norm at `distance` / norm at distance 0; absent when either is zero or not "
        "finite.",
    )
    verdict: Verdict | None = Field(
        None,
        description="'vanishing' when ratio < vanishing_below; 'exploding' when ratio > "
        "exploding_above or the gradient overflowed (not finite) within `distance`; else "
        "'stable'. Absent when the norm at distance 0 is zero or not finite.",
    )
    vanishing_below: float = Field(gt=0, description="Ratio threshold for 'vanishing'.")
    exploding_above: float = Field(gt=0, description="Ratio threshold for 'exploding'.")
    rate_per_step: float | None = Field(
        None,
        description="Factor the norm changes by per time step back: 10**slope of the "
        "least-squares line through log10(norm) against distance, over the positive, finite "
        "points from distance 0 to `distance` (< 1 decays, > 1 grows); absent with fewer than "
        "two such points.",
    )
    fit_points: NonNegInt = Field(0, description="Points the rate was fitted to.")
    horizon: NonNegInt | None = Field(
        None,
        description="Effective memory horizon: the first distance at which the norm falls below "
        "horizon_fraction × the norm at distance 0. Absent when it never does within the "
        "sequence: the horizon is then longer than T-1 steps.",
    )
    horizon_fraction: float = Field(gt=0, lt=1, description="The horizon's fraction.")
    nonfinite_from: NonNegInt | None = Field(
        None, description="First distance whose gradient was not finite (overflow), if any."
    )


class GradientFlow(Section):
    """Norm of dLoss/dx_t, the gradient reaching a recurrent layer's input at each time step t.

    It has flowed back through every later step (torch's fused kernels do not expose h_t; for a
    one-layer module dL/dx_t is dL/dh_t through one fixed linear map). A fast decay from the last
    step back to the first shows vanishing gradients; growth shows exploding ones.
    ``timesteps`` may be subsampled for long sequences; ``summary`` is read from every step.
    """

    step: NonNegInt = Field(
        description="Training step the snapshot was taken at, in the unit of "
        "gradient_flow_watch.step_unit (optimizer steps completed before it)."
    )
    layer: str = Field(description="Dotted name of the watched module.")
    timesteps: list[NonNegInt] = Field(
        description="Time indices t the norms belong to (positions in the input sequence, or "
        "call numbers within one forward for a cell), finite norms only."
    )
    grad_norms: list[float] = Field(
        description="||dL/dx_t|| (mean over the batch of the per-example L2 norm) at each "
        "listed index."
    )
    ratio_first_last: float | None = Field(
        None,
        description="grad norm at t = 0 / at t = T-1 (sequence order, whatever the direction); "
        "<< 1 means vanishing for a forward direction. See summary for the reading.",
    )
    direction: Direction = Field("forward", description=DIRECTION_TEXT)
    module: str | None = Field(None, description="Class of the watched module, e.g. 'LSTMCell'.")
    time_axis: TimeAxis | None = Field(
        None,
        description="'sequence': t is a position in the sequence one call received; 'calls': t "
        "counts the module's calls within one training forward (a cell in a loop).",
    )
    forward: NonNegInt | None = Field(
        None,
        description="Index of the watched model's training forward the snapshot was taken in "
        "(forward calls are counted separately from steps); absent when the model's own forward "
        "was not seen (its modules were called directly).",
    )
    length: PosInt | None = Field(None, description="Time steps T before subsampling.")
    nonfinite_timesteps: list[NonNegInt] = Field(
        default_factory=list,
        description="Listed time indices whose gradient was not finite (overflowed); they are "
        "left out of timesteps/grad_norms.",
    )
    summary: FlowSummary | None = Field(None, description="The curve read as a verdict.")


class LayerFlow(Section):
    """Summary of one watched layer and direction over the run: first and latest snapshot."""

    layer: str = Field(description="Dotted name of the watched module.")
    direction: Direction = Field("forward", description=DIRECTION_TEXT)
    module: str = Field(description="Class of the watched module, e.g. 'LSTM'.")
    time_axis: TimeAxis = Field(description="See GradientFlow.time_axis.")
    snapshots: NonNegInt = Field(description="Snapshots recorded for this layer and direction.")
    first_step: NonNegInt | None = Field(None, description="Step of the first snapshot.")
    latest_step: NonNegInt | None = Field(None, description="Step of the latest snapshot.")
    initial: FlowSummary | None = Field(None, description="Reading of the first snapshot.")
    latest: FlowSummary | None = Field(None, description="Reading of the latest snapshot.")


class FlowWatch(Section):
    """How gradient flow was watched: sampling, what step numbers count, what was seen."""

    every: PosInt | None = Field(None, description="A snapshot every this many steps.")
    step_unit: StepUnit = Field(
        description="'optimizer_step': steps count optimizer.step() calls of an optimizer that "
        "holds the model's parameters (LBFGS's closure calls within one step are one step; only "
        "a step's first training forward is sampled). 'training_forward': no optimizer step was "
        "seen (parameters updated by hand), so each training forward of the watched model (train "
        "mode, gradients on) counted as one step; a cell watched on its own has no forward of "
        "its own, so its steps then stay 0. 1.0 records counted each module's training forwards."
    )
    optimizer_steps: NonNegInt | None = Field(None, description="Optimizer steps seen.")
    training_forwards: NonNegInt | None = Field(
        None, description="Training forwards of the watched model seen."
    )
    max_timesteps: PosInt | None = Field(None, description="Points kept per stored curve.")
    unmeasured_calls: NonNegInt = Field(
        0,
        description="Sampled calls whose input could not be tapped (passed by keyword, or not "
        "a floating-point tensor), so no snapshot came of them. Calls inside a torch.compile "
        "graph are not seen at all, so not counted here.",
    )
    nonfinite_snapshots: NonNegInt = Field(
        0, description="Snapshots whose gradient overflowed (was not finite) at some step."
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
    """Diagnostics recorded while training (``run.watch(model)``, ``run.clip_grad_norm``)."""

    gradient_flow: list[GradientFlow] = Field(
        default_factory=list, description="Every gradient-flow snapshot, in the order taken."
    )
    gradient_flow_layers: list[LayerFlow] = Field(
        default_factory=list,
        description="One summary per watched layer and direction (verdict, rate, horizon).",
    )
    gradient_flow_watch: FlowWatch | None = Field(
        None, description="How gradient flow was sampled; absent when it was not watched."
    )
    clipping: ClippingStats | None = None
