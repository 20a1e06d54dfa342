"""Checks: does a record carry the details a reporting standard requires?

``models`` holds the data (profiles, requirements, findings, reports), ``profiles`` loads them,
``engine`` applies them. Reports are rendered through the format registry (``check-*``).
"""

from repro.checks.engine import check, check_record
from repro.checks.models import CheckReport, Finding, Profile, Requirement

__all__ = ["CheckReport", "Finding", "Profile", "Requirement", "check", "check_record"]
