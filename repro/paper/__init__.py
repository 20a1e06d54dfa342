"""A paper's appendix in one folder (``repro paper``): see :mod:`repro.paper.bundle`."""

from repro.paper.bundle import Paper, write_paper

__all__ = ["Paper", "write_paper"]
