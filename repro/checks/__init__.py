"""Checks: does a record carry the details a reporting standard requires?"""

from repro.checks.engine import CheckReport, Finding, Profile, Requirement, check

__all__ = ["CheckReport", "Finding", "Profile", "Requirement", "check"]
