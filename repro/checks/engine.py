"""The check engine: a profile's requirements applied to records (records in, findings out)."""

from __future__ import annotations

from typing import Any

from repro.checks.models import CheckReport, Finding, Profile
from repro.checks.profiles import load_profile
from repro.record import RunRecord
from repro.record.paths import MISSING, resolve


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
    """Check one record or several against a profile (a built-in name, a file, or a Profile)."""
    prof = load_profile(profile) if isinstance(profile, str) else profile
    records = record if isinstance(record, list) else [record]
    labels = names or [r.run.name for r in records]
    report = CheckReport(prof, records=list(labels))
    for rec, label in zip(records, labels, strict=True):
        report.findings.extend(check_record(rec, prof, label))
    return report
