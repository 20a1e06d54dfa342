"""Check reports in the formats people and CI systems read: text, JSON, GitHub, JUnit XML."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

from repro.checks.engine import CheckReport, Finding

OUTPUT_FORMATS = ("text", "json", "github", "junit")


def _line(finding: Finding) -> str:
    req = finding.requirement
    ref = f" [{req.reference}]" if req.reference else ""
    return f"{finding.record}: {req.severity}: {req.id}: {req.message} ({finding.detail}){ref}"


def as_text(report: CheckReport) -> str:
    lines = [_line(f) for f in report.findings]
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(
        f"{verdict}: profile {report.profile.name}, {len(report.records)} record(s), "
        f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    return "\n".join(lines) + "\n"


def as_json(report: CheckReport) -> str:
    payload = {
        "profile": report.profile.name,
        "passed": report.passed,
        "records": report.records,
        "findings": [
            {
                "record": f.record,
                "id": f.requirement.id,
                "severity": f.severity,
                "path": f.requirement.path,
                "message": f.requirement.message,
                "detail": f.detail,
                "reference": f.requirement.reference,
            }
            for f in report.findings
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _gh_escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def as_github(report: CheckReport, files: dict[str, str] | None = None) -> str:
    """GitHub Actions workflow commands (``::error file=…,title=…::message``)."""
    lines = []
    for f in report.findings:
        props = [f"title={_gh_escape(f'repro {f.requirement.id}', True)}"]
        if files and f.record in files:
            props.insert(0, f"file={_gh_escape(files[f.record], True)}")
        lines.append(f"::{f.severity} {','.join(props)}::{_gh_escape(_line(f))}")
    lines.append(as_text(report).splitlines()[-1])
    return "\n".join(lines) + "\n"


# Characters XML 1.0 cannot hold even escaped (control characters, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """Text XML can hold: impossible characters written as visible ``\\xNN`` escapes."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def as_junit(report: CheckReport) -> str:
    """JUnit XML: one test suite per record, one test case per requirement."""
    suites = ET.Element("testsuites", name=f"repro check {report.profile.name}")
    for record in report.records:
        failing = {f.requirement.id: f for f in report.findings if f.record == record}
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=record,
            tests=str(len(report.profile.requirements)),
            failures=str(sum(1 for f in failing.values() if f.severity == "error")),
        )
        for req in report.profile.requirements:
            case = ET.SubElement(suite, "testcase", classname=report.profile.name, name=req.id)
            finding = failing.get(req.id)
            if finding is None:
                continue
            tag = "failure" if finding.severity == "error" else "system-out"
            node = ET.SubElement(case, tag)
            if tag == "failure":
                node.set("message", req.message)
                node.set("type", req.severity)
            node.text = _line(finding)
    for element in suites.iter():  # data (profile text, record names) may hold anything
        element.attrib.update({k: _xml(v) for k, v in element.attrib.items()})
        element.text = _xml(element.text) if element.text else element.text
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def format_report(report: CheckReport, fmt: str, files: dict[str, str] | None = None) -> str:
    """The report in one of OUTPUT_FORMATS."""
    if fmt == "json":
        return as_json(report)
    if fmt == "github":
        return as_github(report, files)
    if fmt == "junit":
        return as_junit(report)
    return as_text(report)
