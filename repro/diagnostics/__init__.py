"""Gradient diagnostics for recurrent training: gradient flow through time and clipping.

Importing this package imports torch; ``import repro`` does not import it.
"""

from __future__ import annotations

from repro.diagnostics.clipping import ClippingMonitor
from repro.diagnostics.gradient_flow import GradientFlowMonitor
from repro.record import Diagnostics

__all__ = ["ClippingMonitor", "GradientFlowMonitor", "build_diagnostics"]


def build_diagnostics(
    flow: GradientFlowMonitor | None, clipping: ClippingMonitor | None
) -> Diagnostics | None:
    """The record's ``diagnostics`` section from the monitors a run used; None when neither
    recorded anything (absent means "not recorded")."""
    snapshots = list(flow.snapshots) if flow is not None else []
    stats = clipping.stats() if clipping is not None and clipping.steps > 0 else None
    if not snapshots and stats is None:
        return None
    return Diagnostics(gradient_flow=snapshots, clipping=stats)
