"""Check reports are formats in the registry: one document, four renderings CI systems read."""

from __future__ import annotations

import json

import pytest
from lxml import etree
from support.paths import EXAMPLE, SHARED

import repro
from repro.checks import CheckReport
from repro.documents.check import check_report
from repro.errors import UsageError

JUNIT_XSD = SHARED / "schemas" / "junit" / "junit-10.xsd"


@pytest.fixture(scope="module")
def report() -> CheckReport:
    full = repro.load_record(EXAMPLE)
    bare = repro.RunRecord(run={"name": "bare"})
    return repro.check([full, bare], names=["full.yaml", "bare.yaml"])


def test_the_document_holds_each_finding_once_per_view(report: CheckReport) -> None:
    document = check_report(report, files={"bare.yaml": "records/bare.yaml"})
    assert not document.passed
    assert [s.record for s in document.suites] == ["full.yaml", "bare.yaml"]
    bare = document.suites[1]
    assert bare.file == "records/bare.yaml" and document.suites[0].file is None
    assert bare.tests == len(report.profile.requirements)
    assert bare.failures == sum(1 for f in report.errors if f.record == "bare.yaml")
    assert all(f.file == "records/bare.yaml" for f in document.findings if f.record == "bare.yaml")
    assert document.summary.startswith("FAILED: profile ml-reproducibility, 2 record(s)")


def test_junit_validates_against_the_junit_schema(report: CheckReport) -> None:
    schema = etree.XMLSchema(etree.parse(str(JUNIT_XSD)))
    xml = repro.render(report, "check-junit", files={"bare.yaml": "bare.yaml"})
    root = etree.fromstring(xml.encode("utf-8"))
    assert schema.validate(root), schema.error_log.filter_from_errors()
    failures = root.findall(".//testsuite[@name='bare.yaml']/testcase/failure")
    assert len(failures) == int(root.find(".//testsuite[@name='bare.yaml']").get("failures"))


def test_json_and_text_carry_the_same_findings(report: CheckReport) -> None:
    data = json.loads(repro.render(report, "check-json"))
    lines = repro.render(report, "check-text").splitlines()
    assert len(data["findings"]) == len(lines) - 1 == len(report.findings)
    assert lines[-1].startswith("FAILED")
    assert data["passed"] is False and data["records"] == ["full.yaml", "bare.yaml"]


def test_github_annotations_escape_what_the_runner_parses(report: CheckReport) -> None:
    text = repro.render(report, "check-github", files={"bare.yaml": "dir,with:odd/bare.yaml"})
    lines = text.splitlines()
    assert lines[0].startswith("::warning title=repro ")  # full.yaml: no file given
    bare = next(line for line in lines if "bare.yaml: error" in line)
    assert bare.startswith("::error file=dir%2Cwith%3Aodd/bare.yaml,title=repro ")
    assert len(lines) == len(report.findings) + 1  # one line per finding, then the verdict


def test_check_formats_render_reports_only() -> None:
    with pytest.raises(UsageError, match="renders a CheckReport, not a RunRecord"):
        repro.render(repro.load_record(EXAMPLE), "check-json")
