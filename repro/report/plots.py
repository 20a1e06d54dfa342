"""The expected-maximum curve as a figure (matplotlib, Agg; imported only when called).

One line per search: the expected best score of n trials (Dodge et al. 2019) with a band of
± one standard deviation, clipped to the observed range of scores as Dodge et al. draw it, and
the unbiased estimate (Tang et al. 2020) dashed beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from repro.report.budget import BudgetCurve

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLE = {
    "svg.fonttype": "path",
    "svg.hashsalt": "repro",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}


def _label(text: str) -> str:
    """User text safe as a matplotlib label: no mathtext."""
    return text.replace("\\", "\\\\").replace("$", r"\$")


def expected_max_figure(
    curves: Sequence[BudgetCurve], width: float = 4.5, height: float = 3.0
) -> Figure:
    """A figure of the expected best score against the number of trials, one line per search."""
    from matplotlib import colormaps, rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with rc_context(STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        colors = colormaps["tab10"]
        for index, curve in enumerate(curves):
            points = [p for p in curve.points if p.expected is not None]
            if not points:
                continue
            color = colors(index % 10)
            scores = [t.value for t in curve.trials if t.value is not None]
            low, high = min(scores), max(scores)
            n = [p.n for p in points]
            mean = [p.expected for p in points]
            spread = [p.std or 0.0 for p in points]
            axes.plot(n, mean, color=color, label=_label(f"{curve.label} (Dodge et al.)"))
            axes.fill_between(
                n,
                [max(low, m - s) for m, s in zip(mean, spread, strict=True)],  # type: ignore[operator]
                [min(high, m + s) for m, s in zip(mean, spread, strict=True)],  # type: ignore[operator]
                color=color,
                alpha=0.15,
                linewidth=0,
            )
            unbiased = [(p.n, p.unbiased) for p in points if p.unbiased is not None]
            if unbiased:
                axes.plot(
                    [u[0] for u in unbiased],
                    [u[1] for u in unbiased],
                    color=color,
                    linestyle="--",
                    label=_label(f"{curve.label} (unbiased, Tang et al.)"),
                )
        first = curves[0] if curves else None
        if first is not None:
            what = f"{first.metric} ({first.split})" if first.split else first.metric
            best = "highest" if first.higher_is_better else "lowest"
            axes.set_ylabel(_label(f"expected {best} {what}"))
            if max(c.n_trials for c in curves) > 50:
                axes.set_xscale("log")
        axes.set_xlabel("trials of the random search (n)")
        axes.legend(fontsize=7)
    return figure


def save_expected_max(curves: Sequence[BudgetCurve], path: str | Path) -> Path:
    """Write the figure as PDF, SVG or PNG (by suffix), atomically."""
    import io

    from repro.files.atomic import write_atomic

    target = Path(path)
    fmt = target.suffix.lower().lstrip(".") or "pdf"
    if fmt not in ("pdf", "svg", "png"):
        from repro.errors import UsageError

        raise UsageError(f"{target}: figures are written as .pdf, .svg or .png")
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with_metadata = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}.get(fmt)
    with rc_context(STYLE):  # read when saving: fonts embedded as Type 42, text as paths
        expected_max_figure(curves).savefig(buffer, format=fmt, metadata=with_metadata)
    write_atomic(target, buffer.getvalue())
    return target
