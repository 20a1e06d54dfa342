"""The check engine: a profile (data) of required record fields, applied to records (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from repro.record import RunRecord
from repro.record.paths import MISSING, resolve

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Requirement:
    """One item of a reporting standard: a field path that must hold a value."""

    id: str
    path: str
    message: str
    severity: Severity = "error"
    reference: str | None = None
    when: str | None = None  # only applies when this path holds a value ...
    when_in: tuple[str, ...] = ()  # ... and, if given, one of these values
    any_of: tuple[str, ...] = ()  # alternatives: satisfied if path OR any of these holds a value


@dataclass(frozen=True)
class Profile:
    """A named, versioned set of requirements taken from a published checklist."""

    name: str
    title: str
    source: str
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True)
class Finding:
    """One requirement a record does not meet."""

    requirement: Requirement
    record: str
    detail: str

    @property
    def severity(self) -> Severity:
        return self.requirement.severity


@dataclass
class CheckReport:
    """The outcome of checking records against a profile."""

    profile: Profile
    records: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def passed(self) -> bool:
        """True when no error-level requirement is unmet (warnings do not fail a build)."""
        return not self.errors


def _has_value(value: Any) -> bool:
    """Recorded means not absent: 0, 0.0 and False are values; None and empty containers not."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, (list, dict, str)):
        return len(value) > 0
    return True


def _satisfied(data: dict[str, Any], path: str) -> tuple[bool, str]:
    values = resolve(data, path)
    missing = sum(not _has_value(v) for v in values)
    if not missing:
        return True, ""
    if len(values) > 1:
        return False, f"{path}: missing in {missing} of {len(values)} entries"
    return False, f"{path}: not recorded"


def _applies(data: dict[str, Any], when: str, when_in: tuple[str, ...]) -> bool:
    values = resolve(data, when)
    if not all(_has_value(v) for v in values):
        return False
    return not when_in or all(str(v) in when_in for v in values)


def check_record(record: RunRecord, profile: Profile, name: str = "record") -> list[Finding]:
    """Every requirement of ``profile`` that ``record`` leaves unmet."""
    data = record.to_dict()
    findings = []
    for req in profile.requirements:
        if req.when is not None and not _applies(data, req.when, req.when_in):
            continue
        ok, detail = _satisfied(data, req.path)
        if not ok and any(_satisfied(data, alt)[0] for alt in req.any_of):
            ok = True
        if not ok:
            if req.any_of:
                detail += f" (nor {', '.join(req.any_of)})"
            findings.append(Finding(req, name, detail))
    return findings


def check(
    record: RunRecord | list[RunRecord],
    profile: str | Profile = "ml-reproducibility",
    names: list[str] | None = None,
) -> CheckReport:
    """Check one record or several against a profile (by name or object)."""
    from repro.checks.profiles import load_profile

    prof = load_profile(profile) if isinstance(profile, str) else profile
    records = record if isinstance(record, list) else [record]
    labels = names or [r.run.name for r in records]
    report = CheckReport(prof, records=list(labels))
    for rec, label in zip(records, labels, strict=True):
        report.findings.extend(check_record(rec, prof, label))
    return report
