"""A check report as a document: findings as lines a person reads and CI systems parse.

The ``check-text``, ``check-json``, ``check-github`` and ``check-junit`` formats render it;
``files`` maps a record's name in the report to the file it came from, for annotations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from repro.checks.models import CheckReport, Finding


@dataclass(frozen=True)
class FindingEntry:
    """One unmet requirement of one record; ``line`` is the finding as one sentence."""

    record: str
    id: str
    severity: str
    path: str
    message: str
    detail: str
    reference: str | None
    line: str
    file: str | None  # the record's file, when known


@dataclass(frozen=True)
class Case:
    """One requirement checked on one record (a JUnit test case); ``finding`` when unmet."""

    id: str
    message: str
    finding: FindingEntry | None


@dataclass(frozen=True)
class Suite:
    """One record's results (a JUnit test suite)."""

    record: str
    file: str | None
    tests: int
    failures: int  # unmet error-level requirements
    cases: list[Case]


@dataclass(frozen=True)
class CheckReportDocument:
    profile: str
    passed: bool
    records: list[str]
    findings: list[FindingEntry]
    summary: str  # "PASSED: profile ..., 2 record(s), 0 error(s), 1 warning(s)"
    suites: list[Suite]
    data: dict[str, Any]  # the report as JSON data


def finding_line(finding: Finding) -> str:
    """``record: severity: id: message (detail) [reference]``."""
    req = finding.requirement
    ref = f" [{req.reference}]" if req.reference else ""
    return f"{finding.record}: {req.severity}: {req.id}: {req.message} ({finding.detail}){ref}"


def check_report(report: CheckReport, files: dict[str, str] | None = None) -> CheckReportDocument:
    """The document of ``report``; ``files`` (record name -> path) locates annotations."""
    files = files or {}
    entries = [
        FindingEntry(
            record=f.record,
            id=f.requirement.id,
            severity=f.severity,
            path=f.requirement.path,
            message=f.requirement.message,
            detail=f.detail,
            reference=f.requirement.reference,
            line=finding_line(f),
            file=files.get(f.record),
        )
        for f in report.findings
    ]
    suites = []
    for record in report.records:
        failing = {e.id: e for e in entries if e.record == record}
        cases = [Case(r.id, r.message, failing.get(r.id)) for r in report.profile.requirements]
        errors = sum(1 for e in failing.values() if e.severity == "error")
        suites.append(Suite(record, files.get(record), len(cases), errors, cases))
    verdict = "PASSED" if report.passed else "FAILED"
    summary = (
        f"{verdict}: profile {report.profile.name}, {len(report.records)} record(s), "
        f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    data = {
        "profile": report.profile.name,
        "passed": report.passed,
        "records": list(report.records),
        "findings": [
            {
                "record": e.record,
                "id": e.id,
                "severity": e.severity,
                "path": e.path,
                "message": e.message,
                "detail": e.detail,
                "reference": e.reference,
            }
            for e in entries
        ],
    }
    return CheckReportDocument(
        profile=report.profile.name,
        passed=report.passed,
        records=list(report.records),
        findings=entries,
        summary=summary,
        suites=suites,
        data=data,
    )
