"""Gradient diagnostics for recurrent training: gradient flow through time and clipping.

Importing this package imports torch; ``import repro`` does not import it.
"""

from __future__ import annotations

from repro.diagnostics.clipping import ClippingMonitor
from repro.diagnostics.gradient_flow import GradientFlowMonitor
from repro.diagnostics.summary import Reading, summarize
from repro.record import Diagnostics

__all__ = ["ClippingMonitor", "GradientFlowMonitor", "Reading", "build_diagnostics", "summarize"]


def build_diagnostics(
    flow: GradientFlowMonitor | None, clipping: ClippingMonitor | None
) -> Diagnostics | None:
    """The record's ``diagnostics`` section from the monitors a run used (the flow monitor is
    detached first, so every pending snapshot is in); None when neither was used or recorded
    anything (absent means "not recorded"). A watched model keeps its watch settings and layer
    list even when no snapshot came, so the record says it was watched."""
    if flow is not None:
        flow.detach()
    stats = clipping.stats() if clipping is not None and clipping.steps > 0 else None
    if flow is None and stats is None:
        return None
    if flow is None:
        return Diagnostics(clipping=stats)
    return Diagnostics(
        gradient_flow=flow.snapshots,
        gradient_flow_layers=flow.layer_summaries(),
        gradient_flow_watch=flow.watch_info(),
        clipping=stats,
    )
