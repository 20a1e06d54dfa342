"""Plots for the HTML model card: training curves and gradient flow through time.

Made with matplotlib's object API (no pyplot, no global backend switch) and returned as
``data:image/svg+xml;base64`` URIs: vector, printable, and unable to run script or fetch
anything when shown through ``<img>``. Imported lazily, only by the ``card-html`` format.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib import colormaps, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from repro.documents.blocks import Chart
from repro.record import GradientFlow

History = Mapping[str, Sequence[tuple[int, float]]]

MAX_POINTS = 1500  # per series; longer histories are thinned evenly (the last point is kept)
MAX_PANELS = 8  # metric groups / layers drawn; the caption says when more were left out
MAX_CURVES = 10  # gradient-flow curves (layer x direction) drawn; the caption says the rest
LABEL_CHARS = 60

_STYLE = {
    "svg.fonttype": "path",  # text as outlines: no font requests, same look everywhere
    "svg.hashsalt": "repro",  # stable ids, so the same record gives the same card
    "font.family": "DejaVu Sans",  # shipped with matplotlib: never a system or web font
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "legend.fontsize": 8,
}


@dataclass(frozen=True)
class Plot:
    """One embedded figure: a ``data:`` URI plus the text a reader (or screen reader) needs."""

    title: str
    alt: str
    caption: str
    uri: str


def plain_label(text: str) -> str:
    """A user string safe as a matplotlib label: no mathtext (``$``), bounded length."""
    flat = " ".join(text.split())
    if len(flat) > LABEL_CHARS:
        flat = flat[: LABEL_CHARS - 1] + "…"
    return flat.replace("\\", "\\\\").replace("$", r"\$")


def thin(points: Sequence[tuple[int, float]], limit: int = MAX_POINTS) -> list[tuple[int, float]]:
    """At most ``limit`` points, evenly strided, always keeping the first and the last."""
    ordered = sorted(points, key=lambda p: p[0])
    if len(ordered) <= limit:
        return ordered
    stride = math.ceil(len(ordered) / limit)
    kept = ordered[::stride]
    if kept[-1] != ordered[-1]:
        kept.append(ordered[-1])
    return kept


def group_metrics(history: History) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """Group series by what they measure: 'train/loss' and 'val/loss' share the 'loss' panel."""
    groups: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for key in sorted(history):
        finite = [(int(s), float(v)) for s, v in history[key] if math.isfinite(float(v))]
        if not finite:
            continue
        prefix, _, base = key.rpartition("/")
        groups.setdefault(base or key, {})[prefix or key] = thin(finite)
    return groups


def _panel_order(name: str) -> tuple[int, str]:
    """Loss first, learning rate last, everything else alphabetically between."""
    lowered = name.lower()
    if "loss" in lowered:
        return (0, lowered)
    if lowered in ("lr", "learning_rate", "learning-rate") or lowered.startswith("lr"):
        return (2, lowered)
    return (1, lowered)


def _wants_log(values: Iterable[float]) -> bool:
    positive = [v for v in values if v > 0]
    return (
        bool(positive) and len(positive) == len(list(values)) and max(positive) > 50 * min(positive)
    )


def _svg_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _grid(panels: int) -> tuple[int, int]:
    cols = 1 if panels == 1 else 2
    return math.ceil(panels / cols), cols


def training_curves(history: History, encode: Callable[[Figure], str] | None = None) -> Plot | None:
    """Metric history (name -> [(step, value)]), one panel per measured quantity; None if empty.
    ``encode`` turns the figure into the Plot's ``uri`` (default: an SVG ``data:`` URI; the
    paper bundle writes a PDF file instead)."""
    groups = group_metrics(history)
    if not groups:
        return None
    names = sorted(groups, key=_panel_order)[:MAX_PANELS]
    rows, cols = _grid(len(names))
    with rc_context(_STYLE):
        figure = Figure(figsize=(8.4 if cols == 2 else 6.4, 2.6 * rows), layout="constrained")
        axes = figure.subplots(rows, cols, squeeze=False)
        for index, name in enumerate(names):
            ax = axes[index // cols][index % cols]
            series = groups[name]
            for label, points in series.items():
                steps, values = zip(*points, strict=True)
                marker = "o" if len(points) == 1 else None
                ax.plot(steps, values, linewidth=1.3, marker=marker, label=plain_label(label))
            all_values = [v for points in series.values() for _, v in points]
            if _wants_log(all_values):
                ax.set_yscale("log")
            ax.set_title(plain_label(name))
            ax.set_xlabel("step")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
            if len(series) > 1 or next(iter(series)) != name:
                # beside the axes, never over the curves
                ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        for index in range(len(names), rows * cols):
            axes[index // cols][index % cols].set_visible(False)
        uri = (encode or _svg_uri)(figure)
    shown = ", ".join(names)
    left_out = len(groups) - len(names)
    caption = "Logged metric values by training step."
    if left_out:
        caption += f" {left_out} further metric group(s) not drawn."
    return Plot(
        title="Training curves",
        alt=f"Line charts of {shown} against training step.",
        caption=caption,
        uri=uri,
    )


@dataclass(frozen=True)
class _Curve:
    """One snapshot of one layer and direction, relative to its last processed step."""

    label: str
    step: int
    distances: list[int]
    relative: list[float]
    overflow_at: int | None
    verdict_distance: int | None


def _curve(snapshot: GradientFlow, split: bool = False) -> _Curve | None:
    """Norms against distance back from the last step the recurrence processed, divided by the
    norm there; None when that norm is missing or zero (nothing to measure against)."""
    length = snapshot.length or (max([*snapshot.timesteps, *snapshot.nonfinite_timesteps]) + 1)
    backward = snapshot.direction == "backward"
    points = sorted(
        (t if backward else length - 1 - t, n)
        for t, n in zip(snapshot.timesteps, snapshot.grad_norms, strict=False)
        if math.isfinite(n)
    )
    if not points or points[0][0] != 0 or points[0][1] <= 0:
        return None
    reference = points[0][1]
    kept = [(d, n / reference) for d, n in points if n > 0]
    overflow = [t if backward else length - 1 - t for t in snapshot.nonfinite_timesteps]
    suffix = {
        "forward": " (forward)" if split else "",
        "backward": " (backward)",
        "both": " (both directions)",
    }
    summary = snapshot.summary
    return _Curve(
        label=plain_label(snapshot.layer) + suffix.get(snapshot.direction, ""),
        step=snapshot.step,
        distances=[d for d, _ in kept],
        relative=[r for _, r in kept],
        overflow_at=min(overflow) if overflow else None,
        verdict_distance=summary.distance if summary is not None else None,
    )


def _first_and_latest(
    snapshots: Sequence[GradientFlow],
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], list[GradientFlow]]]:
    """Curves (layer, direction) in first-seen order, each with its first and latest snapshot."""
    by_curve: dict[tuple[str, str], list[GradientFlow]] = {}
    for snapshot in snapshots:
        by_curve.setdefault((snapshot.layer, snapshot.direction), []).append(snapshot)
    chosen = {}
    for key, snaps in by_curve.items():
        ordered = sorted(snaps, key=lambda s: s.step)
        chosen[key] = [ordered[0], ordered[-1]] if len(ordered) > 1 else [ordered[0]]
    return list(by_curve), chosen


def _steps_title(name: str, steps: set[int]) -> str:
    if len(steps) == 1:
        return f"{name} (step {next(iter(steps))})"
    return f"{name} (steps {min(steps)}–{max(steps)})"


def gradient_flow(
    snapshots: Sequence[GradientFlow], encode: Callable[[Figure], str] | None = None
) -> Plot | None:
    """||dL/dx|| relative to the last processed step, against steps back (log scale): one curve
    per watched layer and direction, at the first snapshot and at the latest; None if empty.
    ``encode`` as for :func:`training_curves`."""
    keys, chosen = _first_and_latest(snapshots)
    panels: list[list[_Curve | None]] = [[], []]
    for key in keys[:MAX_CURVES]:
        pair = chosen[key]
        split = (key[0], "backward") in chosen
        panels[0].append(_curve(pair[0], split))
        panels[1].append(_curve(pair[-1], split) if len(pair) > 1 else None)
    if not any(c for panel in panels for c in panel):
        return None
    shown = [p for p in panels if any(p)]
    names = ["First snapshot", "Latest snapshot"] if len(shown) == 2 else ["Snapshot"]
    overflowed = False
    with rc_context(_STYLE):
        figure = Figure(figsize=(7.6 if len(shown) == 2 else 6.0, 3.2), layout="constrained")
        axes = figure.subplots(1, len(shown), squeeze=False, sharey=True)[0]
        colours = colormaps["tab10"]
        handles: dict[str, object] = {}
        for ax, panel, name in zip(axes, shown, names, strict=True):
            steps: set[int] = set()
            verdict_at: set[int] = set()
            for index, curve in enumerate(panel):
                if curve is None:
                    continue
                steps.add(curve.step)
                (line,) = ax.plot(
                    curve.distances,
                    curve.relative,
                    color=colours(index % 10),
                    linewidth=1.4,
                    marker="o" if len(curve.distances) == 1 else None,
                )
                handles.setdefault(curve.label, line)
                if curve.verdict_distance is not None:
                    verdict_at.add(curve.verdict_distance)
                if curve.overflow_at is not None:
                    overflowed = True
                    ax.plot(
                        [curve.overflow_at],
                        [0.98],
                        transform=blended_transform_factory(ax.transData, ax.transAxes),
                        marker="^",
                        color=colours(index % 10),
                        clip_on=False,
                    )
            for distance in sorted(verdict_at):
                ax.axvline(distance, color="0.4", linestyle="--", linewidth=0.8)
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlim(left=0)
            ax.set_title(_steps_title(name, steps))
            ax.set_xlabel("time steps back from the last step processed")
        axes[0].set_ylabel("gradient norm / norm at the last step")
        figure.legend(
            list(handles.values()), list(handles), loc="outside right upper", title="layer"
        )
        uri = (encode or _svg_uri)(figure)
    left_out = len(keys) - min(len(keys), MAX_CURVES)
    caption = (
        "Norm of the loss gradient reaching each watched layer's input a number of time steps "
        "before the last step the layer processed, divided by its norm at that step (one curve "
        "per layer and direction; both panels share the scale). Curves falling steeply to the "
        "right show vanishing gradients; rising ones exploding gradients. The dashed line marks "
        "the distance the verdict is read at."
    )
    if overflowed:
        caption += " A triangle marks where a gradient overflowed (not finite)."
    if left_out:
        caption += f" {left_out} further layer curve(s) not drawn."
    missing = sum(1 for panel in shown for c in panel if c is None)
    if missing:
        caption += (
            f" {missing} curve(s) not drawn: no gradient reached the layer's last step, or "
            "only one snapshot was taken."
        )
    return Plot(
        title="Gradient flow through time",
        alt="Log-scale line charts of the input-gradient norm relative to the last time step, "
        "against the number of steps back, one line per watched layer, at the first and the "
        "latest snapshot.",
        caption=caption,
        uri=uri,
    )


# -- charts a document asks for (repro.documents.blocks.Chart), by kind -------------------------

CHARTS: dict[str, Callable[[Any], Plot | None]] = {
    "training-curves": training_curves,
    "gradient-flow": gradient_flow,
}


def draw(chart: Chart) -> Plot | None:
    """The figure of a document's chart, or None when its data holds nothing to draw."""
    try:
        drawing = CHARTS[chart.kind]
    except KeyError:
        known = ", ".join(CHARTS)
        raise ValueError(f"no drawing for chart kind {chart.kind!r} (known: {known})") from None
    return drawing(chart.data)
