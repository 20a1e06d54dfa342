"""A check report as a document: findings as lines a person reads and CI systems parse.

The ``check-text``, ``check-json``, ``check-github`` and ``check-junit`` formats render it.
``files`` maps a record's name in the report to the repository file it came from (none for an
MLflow run: it is no path in the repository), ``lines`` maps it to a function from a field's
location to its line in that file, so an annotation points at the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from repro.checks.group import result_label
from repro.checks.models import BASELINE_LABEL, CheckReport, Finding, Loc
from repro.record.paths import path_of


@dataclass(frozen=True)
class FindingEntry:
    """One unmet requirement of one record (or of the group); ``line`` is the finding as one
    sentence, ``line_no`` the line of its field in ``file``."""

    record: str
    id: str
    severity: str
    failing: bool  # fails the check (an error, or a warning under --strict)
    path: str
    location: str  # the concrete field, e.g. data[1].splits
    message: str
    detail: str
    reference: str | None
    line: str
    file: str | None  # the record's file, when it is one
    line_no: int | None


@dataclass(frozen=True)
class Case:
    """One requirement checked on one record (a JUnit test case); ``findings`` when unmet."""

    id: str
    message: str
    reference: str | None
    findings: list[FindingEntry]

    @property
    def finding(self) -> FindingEntry | None:
        return self.findings[0] if self.findings else None

    @property
    def failing(self) -> bool:
        return any(f.failing for f in self.findings)

    @property
    def text(self) -> str:
        return "\n".join(f.line for f in self.findings)


@dataclass(frozen=True)
class Suite:
    """One record's results, or the group's (a JUnit test suite)."""

    record: str
    file: str | None
    tests: int
    failures: int  # cases that fail the check
    warnings: int  # cases with an unmet warning-level requirement
    cases: list[Case]


@dataclass(frozen=True)
class CheckReportDocument:
    profile: str
    passed: bool
    strict: bool
    records: list[str]
    findings: list[FindingEntry]
    errors: int
    warnings: int
    summary: str  # "PASSED: profile ..., 2 record(s), 0 error(s), 1 warning(s)"
    suites: list[Suite]
    tests: int
    failures: int
    group: list[str]  # what the group shows, one sentence each (empty without --group)
    comparisons: list[dict[str, Any]]
    data: dict[str, Any]  # the report as JSON data


def finding_line(finding: Finding) -> str:
    """``record: severity: id: message (detail) [reference]``."""
    req = finding.requirement
    ref = f" [{req.reference}]" if req.reference else ""
    return f"{finding.record}: {req.severity}: {req.id}: {req.message} ({finding.detail}){ref}"


def _group_lines(report: CheckReport) -> list[str]:
    facts = report.group
    if facts is None:
        return []
    lines = []
    for entry in facts.results:
        spread = f", std {entry['std']:.4g}" if entry["std"] is not None else ", no spread (n=1)"
        mean = f"n={entry['n']}, mean {entry['mean']:.4g}"
        lines.append(f"{facts.label}: {result_label(entry)}: {mean}{spread}")
    if facts.search_budget is not None:
        lines.append(
            f"{facts.label}: search budget {facts.search_budget} ({facts.search_budget_source})"
        )
    return lines


def check_report(
    report: CheckReport,
    files: dict[str, str] | None = None,
    lines: dict[str, Callable[[Loc], int | None]] | None = None,
) -> CheckReportDocument:
    """The document of ``report``; ``files`` (record name -> path) and ``lines`` (record name
    -> location -> line) locate annotations."""
    files, lines = files or {}, lines or {}
    failing_ids = {id(f) for f in report.failing}

    def entry(f: Finding) -> FindingEntry:
        finder = lines.get(f.record)
        return FindingEntry(
            record=f.record,
            id=f.requirement.id,
            severity=f.severity,
            failing=id(f) in failing_ids,
            path=f.requirement.path,
            location=path_of(f.location) or f.requirement.path,
            message=f.requirement.message,
            detail=f.detail,
            reference=f.requirement.reference,
            line=finding_line(f),
            file=files.get(f.record),
            line_no=finder(f.location) if finder and files.get(f.record) else None,
        )

    entries = [entry(f) for f in report.findings]
    group_ids = {r.id for r in report.profile.requirements if r.group_rule is not None}
    suites = []
    for subject in report.subjects:
        is_group = report.group is not None and subject == report.group.label
        if subject == BASELINE_LABEL:
            reqs = list(report.baseline)
        elif report.group is None:
            reqs = list(report.profile.requirements)
        else:
            reqs = [r for r in report.profile.requirements if (r.id in group_ids) == is_group]
        mine = [e for e in entries if e.record == subject]
        cases = [
            Case(r.id, r.message, r.reference, [e for e in mine if e.id == r.id]) for r in reqs
        ]
        suites.append(
            Suite(
                record=subject,
                file=files.get(subject),
                tests=len(cases),
                failures=sum(1 for c in cases if c.failing),
                warnings=sum(1 for c in cases if c.findings and not c.failing),
                cases=cases,
            )
        )
    verdict = "PASSED" if report.passed else "FAILED"
    group = f", {report.group.label}" if report.group else ""
    strict = " (--strict: warnings fail)" if report.strict else ""
    summary = (
        f"{verdict}: profile {report.profile.name}, {len(report.records)} record(s){group}, "
        f"{len(report.errors)} error(s), {len(report.warnings)} warning(s){strict}"
    )
    data = {
        "profile": report.profile.name,
        "passed": report.passed,
        "strict": report.strict,
        "records": list(report.records),
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "findings": [
            {
                "record": e.record,
                "id": e.id,
                "severity": e.severity,
                "failing": e.failing,
                "path": e.path,
                "location": e.location,
                "message": e.message,
                "detail": e.detail,
                "reference": e.reference,
                **({"file": e.file} if e.file else {}),
                **({"line": e.line_no} if e.line_no else {}),
            }
            for e in entries
        ],
    }
    if report.group is not None:
        facts = report.group
        data["group"] = {
            "label": facts.label,
            "runs": facts.runs,
            "results": facts.results,
            "search_budget": facts.search_budget,
            "search_budget_source": facts.search_budget_source,
        }
    if report.comparisons:
        data["baseline"] = report.comparisons
    return CheckReportDocument(
        profile=report.profile.name,
        passed=report.passed,
        strict=report.strict,
        records=list(report.records),
        findings=entries,
        errors=len(report.errors),
        warnings=len(report.warnings),
        summary=summary,
        suites=suites,
        tests=sum(s.tests for s in suites),
        failures=sum(s.failures for s in suites),
        group=_group_lines(report),
        comparisons=list(report.comparisons),
        data=data,
    )
