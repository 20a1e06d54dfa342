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

from repro.documents.blocks import Chart
from repro.record import GradientFlow

History = Mapping[str, Sequence[tuple[int, float]]]

MAX_POINTS = 1500  # per series; longer histories are thinned evenly (the last point is kept)
MAX_PANELS = 8  # metric groups / layers drawn; the caption says when more were left out
MAX_SNAPSHOTS = 8  # gradient-flow lines per layer, evenly chosen over training
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


def training_curves(history: History) -> Plot | None:
    """Metric history (name -> [(step, value)]), one panel per measured quantity; None if empty."""
    groups = group_metrics(history)
    if not groups:
        return None
    names = sorted(groups, key=_panel_order)[:MAX_PANELS]
    rows, cols = _grid(len(names))
    with rc_context(_STYLE):
        figure = Figure(figsize=(7.2 if cols == 2 else 6.4, 2.6 * rows), layout="constrained")
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
            if len(series) > 1 or next(iter(series)) != name:
                ax.legend()
        for index in range(len(names), rows * cols):
            axes[index // cols][index % cols].set_visible(False)
        uri = _svg_uri(figure)
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


def _pick(snapshots: list[GradientFlow], limit: int = MAX_SNAPSHOTS) -> list[GradientFlow]:
    ordered = sorted(snapshots, key=lambda s: s.step)
    if len(ordered) <= limit:
        return ordered
    picks = {round(i * (len(ordered) - 1) / (limit - 1)) for i in range(limit)}
    return [ordered[i] for i in sorted(picks)]


def gradient_flow(snapshots: Sequence[GradientFlow]) -> Plot | None:
    """||dL/dx_t|| against time step t (log scale), one panel per layer, one line per snapshot."""
    by_layer: dict[str, list[GradientFlow]] = {}
    for snapshot in snapshots:
        if any(n > 0 and math.isfinite(n) for n in snapshot.grad_norms):
            by_layer.setdefault(snapshot.layer, []).append(snapshot)
    if not by_layer:
        return None
    layers = list(by_layer)[:MAX_PANELS]
    rows, cols = _grid(len(layers))
    with rc_context(_STYLE):
        figure = Figure(figsize=(7.2 if cols == 2 else 6.4, 2.8 * rows), layout="constrained")
        axes = figure.subplots(rows, cols, squeeze=False)
        cmap = colormaps["viridis"]
        for index, layer in enumerate(layers):
            ax = axes[index // cols][index % cols]
            chosen = _pick(by_layer[layer])
            for rank, snapshot in enumerate(chosen):
                pairs = [
                    (t, n)
                    for t, n in zip(snapshot.timesteps, snapshot.grad_norms, strict=False)
                    if n > 0 and math.isfinite(n)
                ]
                steps, norms = zip(*pairs, strict=True)
                shade = rank / max(len(chosen) - 1, 1)
                ax.plot(
                    steps,
                    norms,
                    color=cmap(0.9 * shade),
                    linewidth=1.3,
                    label=f"step {snapshot.step}",
                )
            ax.set_yscale("log")
            ax.set_title(plain_label(layer))
            ax.set_xlabel("time step t")
            ax.set_ylabel(r"$\|\partial L / \partial x_t\|$")
            ax.legend(title="training step", ncols=2 if len(chosen) > 4 else 1)
        for index in range(len(layers), rows * cols):
            axes[index // cols][index % cols].set_visible(False)
        uri = _svg_uri(figure)
    return Plot(
        title="Gradient flow through time",
        alt="Log-scale line charts of the input-gradient norm against time step, "
        "one line per training step at which a snapshot was taken.",
        caption="Norm of the loss gradient reaching the layer's input x_t at each step. Norms "
        "falling steeply towards t = 0 show vanishing gradients; rising ones show exploding "
        "gradients. Non-positive norms are not drawn on the log scale.",
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
