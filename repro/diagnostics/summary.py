"""Reading a gradient-flow curve: verdict, decay rate and memory horizon (plain Python).

A curve is a list of ||dL/dx|| in the order the recurrence processed the steps, so its last
entry is distance 0 and entry ``-1-d`` lies ``d`` steps back. Kept free of torch so the reading
is a pure function of the numbers, tested on its own.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from repro.record.diagnostics import (
    Direction,
    FlowSummary,
    GradientFlow,
    LayerFlow,
    TimeAxis,
)

DISTANCE = 50  # verdict read this many steps back (or over the whole sequence when shorter)
VANISHING_BELOW = 1e-3
EXPLODING_ABOVE = 1e3
HORIZON_FRACTION = 0.01


@dataclass(frozen=True)
class Reading:
    """The thresholds a curve is read with (written beside every summary)."""

    distance: int = DISTANCE
    vanishing_below: float = VANISHING_BELOW
    exploding_above: float = EXPLODING_ABOVE
    horizon_fraction: float = HORIZON_FRACTION

    def __post_init__(self) -> None:
        if isinstance(self.distance, bool) or not isinstance(self.distance, int):
            raise ValueError(f"distance must be an integer >= 1, got {self.distance!r}")
        if self.distance < 1:
            raise ValueError(f"distance must be an integer >= 1, got {self.distance}")
        if not 0 < self.vanishing_below < 1 < self.exploding_above:
            raise ValueError(
                "thresholds must satisfy 0 < vanishing_below < 1 < exploding_above, got "
                f"{self.vanishing_below} and {self.exploding_above}"
            )
        if not 0 < self.horizon_fraction < 1:
            raise ValueError(f"horizon_fraction must lie in (0, 1), got {self.horizon_fraction}")


def summarize(norms: Sequence[float], reading: Reading | None = None) -> FlowSummary | None:
    """The reading of one curve in processing order; None for a curve of one step (no flow
    through time to read)."""
    reading = reading or Reading()
    back = [float(v) for v in reversed(norms)]  # back[d]: norm d steps before the last step
    if len(back) < 2:
        return None
    distance = min(reading.distance, len(back) - 1)
    reference = back[0]
    nonfinite_from = next((d for d, v in enumerate(back) if not math.isfinite(v)), None)
    usable = math.isfinite(reference) and reference > 0
    ratio = back[distance] / reference if usable and math.isfinite(back[distance]) else None
    overflowed = nonfinite_from is not None and nonfinite_from <= distance
    if ratio is not None and not math.isfinite(ratio):  # a float64 ratio past its range
        ratio, overflowed = None, True
    verdict = None
    if usable:
        if overflowed:
            verdict = "exploding"
        elif ratio is not None:
            verdict = (
                "vanishing"
                if ratio < reading.vanishing_below
                else "exploding"
                if ratio > reading.exploding_above
                else "stable"
            )
    horizon = None
    if usable:
        floor = reading.horizon_fraction * reference
        horizon = next((d for d, v in enumerate(back) if d > 0 and v < floor), None)
    window = back[: distance + 1]  # the rate describes the same stretch the verdict reads
    points = [(d, math.log10(v)) for d, v in enumerate(window) if math.isfinite(v) and v > 0]
    rate = None
    if len(points) >= 2:
        slope, _ = statistics.linear_regression([d for d, _ in points], [y for _, y in points])
        rate = 10.0**slope if slope < 300 else math.inf
    return FlowSummary(
        length=len(back),
        distance=distance,
        ratio=ratio,
        verdict=verdict,
        vanishing_below=reading.vanishing_below,
        exploding_above=reading.exploding_above,
        rate_per_step=rate if rate is not None and math.isfinite(rate) else None,
        fit_points=len(points) if rate is not None else 0,
        horizon=horizon,
        horizon_fraction=reading.horizon_fraction,
        nonfinite_from=nonfinite_from,
    )


@dataclass(frozen=True)
class WatchedCurve:
    """One curve a monitor watches: a layer and one of its directions."""

    layer: str
    direction: Direction
    module: str
    time_axis: TimeAxis


def summarize_layers(
    snapshots: Iterable[GradientFlow], watched: Iterable[WatchedCurve]
) -> list[LayerFlow]:
    """One :class:`LayerFlow` per watched curve (in watch order, then any other curve the
    snapshots hold), reading its first and latest snapshot."""
    by_curve: dict[tuple[str, str], list[GradientFlow]] = {}
    for snapshot in snapshots:
        by_curve.setdefault((snapshot.layer, snapshot.direction), []).append(snapshot)
    curves = {(c.layer, c.direction): c for c in watched}
    for layer, direction in by_curve:
        if (layer, direction) not in curves:
            first = by_curve[layer, direction][0]
            curves[layer, direction] = WatchedCurve(
                layer, first.direction, first.module or "", first.time_axis or "sequence"
            )
    layers = []
    for key, curve in curves.items():
        ordered = sorted(by_curve.get(key, []), key=lambda s: s.step)
        layers.append(
            LayerFlow(
                layer=curve.layer,
                direction=curve.direction,
                module=curve.module,
                time_axis=curve.time_axis,
                snapshots=len(ordered),
                first_step=ordered[0].step if ordered else None,
                latest_step=ordered[-1].step if ordered else None,
                initial=ordered[0].summary if ordered else None,
                latest=ordered[-1].summary if ordered else None,
            )
        )
    return layers
