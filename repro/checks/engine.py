"""The check engine: a profile's requirements applied to records (records in, findings out).

Each requirement is judged on each run by its rule; with ``group=True`` the requirements that
have a group rule (runs behind a result, spread, search budget, attestations) are judged once
on the group instead, since they are about what the paper reports, not about one run.
"""

from __future__ import annotations

from typing import Any

from repro.checks.group import GROUP_RULES, group_facts
from repro.checks.models import CheckReport, Finding, Profile, Requirement
from repro.checks.profiles import load_profile
from repro.checks.rules import RULES, has_value, located, present
from repro.record import RunRecord


def _applies(data: dict[str, Any], when: str, when_in: tuple[str, ...]) -> bool:
    values = [v for _, v in located(data, when)]
    if not all(has_value(v) for v in values):
        return False
    return not when_in or all(str(v) in when_in for v in values)


def _judge(
    data: dict[str, Any], req: Requirement, history: set[str] | None
) -> list[tuple[Any, str]]:
    if req.rule == "results-in-history":
        return RULES[req.rule](data, req, history)
    if req.rule != "present":
        return RULES[req.rule](data, req)
    problems = present(data, req.path)
    if problems and any(not present(data, alt) for alt in req.any_of):
        return []
    if problems and req.any_of:
        loc, detail = problems[0]
        return [(loc, f"{detail} (nor {', '.join(req.any_of)})")]
    return problems


def check_data(
    data: dict[str, Any],
    profile: Profile,
    name: str = "record",
    *,
    skip: frozenset[str] = frozenset(),
    history: set[str] | None = None,
) -> list[Finding]:
    """Every requirement of ``profile`` (but those in ``skip``) that the record's plain data
    leaves unmet; ``history`` is the set of metrics the run logged, where known."""
    findings = []
    for req in profile.requirements:
        if req.id in skip:
            continue
        if req.when is not None and not _applies(data, req.when, req.when_in):
            continue
        findings.extend(
            Finding(req, name, detail, tuple(loc)) for loc, detail in _judge(data, req, history)
        )
    return findings


def check_record(record: RunRecord, profile: Profile, name: str = "record") -> list[Finding]:
    """Every requirement of ``profile`` that ``record`` leaves unmet."""
    return check_data(record.to_dict(), profile, name)


def check(
    record: RunRecord | list[RunRecord],
    profile: str | Profile = "ml-reproducibility",
    names: list[str] | None = None,
    *,
    group: bool | str = False,
    strict: bool = False,
    histories: dict[str, set[str]] | None = None,
    baseline: list[RunRecord] | None = None,
    baseline_name: str = "the baseline",
) -> CheckReport:
    """Check one record or several against a profile (a built-in name, a file, or a Profile).

    ``group`` (True, or the group's label) judges the records as one paper's group of runs;
    ``strict`` makes unmet warnings fail; ``histories`` maps a record's name to the metrics its
    run logged (MLflow runs), for the results-in-history rule; ``baseline`` fails a metric
    worse than the baseline runs' by more than run-to-run noise.
    """
    prof = load_profile(profile) if isinstance(profile, str) else profile
    records = record if isinstance(record, list) else [record]
    labels = names or [r.run.name for r in records]
    report = CheckReport(prof, records=list(labels), strict=strict)
    datas = [r.to_dict() for r in records]
    skip: frozenset[str] = frozenset()
    if group:
        label = group if isinstance(group, str) else f"group of {len(records)} runs"
        report.group = group_facts(datas, label)
        judged = [req for req in prof.requirements if req.group_rule is not None]
        skip = frozenset(req.id for req in judged)
    for data, label in zip(datas, labels, strict=True):
        history = (histories or {}).get(label)
        report.findings.extend(check_data(data, prof, label, skip=skip, history=history))
    if report.group is not None:
        for req in judged:
            rule = GROUP_RULES[req.group_rule]  # type: ignore[index]
            report.findings.extend(
                Finding(req, report.group.label, detail, tuple(loc))
                for loc, detail in rule(datas, report.group, req)
            )
    if baseline:
        from repro.checks.baseline import compare

        reqs, found, report.comparisons = compare(
            datas, [r.to_dict() for r in baseline], baseline_name
        )
        report.baseline, report.findings = reqs, [*report.findings, *found]
    return report
