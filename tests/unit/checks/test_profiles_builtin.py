"""Every built-in profile passes on a complete record and group, and fails on the right item
and field path when each required field is removed in turn."""

from __future__ import annotations

import re

import pytest
from support.checks import complete_data, group_data, records, without

import repro
from repro.checks.engine import check_data
from repro.checks.profiles import builtin_profiles, load_profile
from repro.record.paths import path_of

PROFILES = builtin_profiles()


def required(name: str) -> list[tuple[str, str]]:
    """(profile, requirement id) for every error-level requirement met by a field's presence
    or an attestation."""
    return [
        (name, r.id)
        for r in load_profile(name).requirements
        if r.severity == "error" and r.rule in ("present", "attested")
    ]


def test_the_issue_s_profiles_are_all_built_in() -> None:
    assert set(PROFILES) >= {
        "minimal", "rnn", "ml-reproducibility", "neurips", "acl", "reforms", "model-card",
        "credit",
    }  # fmt: skip


@pytest.mark.parametrize("name", PROFILES)
def test_complete_record_and_group_pass(name: str) -> None:
    assert repro.check(records([complete_data()]), name).passed
    report = repro.check(records(group_data()), name, group=True)
    assert report.passed, [f.detail for f in report.findings]
    # in the group, nothing about runs behind a result, spread or search budget is left
    assert not [f for f in report.findings if f.record == report.group.label]


@pytest.mark.parametrize(("name", "req_id"), [pair for name in PROFILES for pair in required(name)])
def test_removing_a_required_field_fails_on_its_item_and_path(name: str, req_id: str) -> None:
    profile = load_profile(name)
    req = next(r for r in profile.requirements if r.id == req_id)
    data = complete_data()
    if req.rule == "attested":
        del data["attestations"][req.attestation_key]
        expected = rf"attestations\.{re.escape(req.attestation_key)}"
    else:
        for path in (req.path, *req.any_of):
            data = without(data, path)
        expected = re.escape(req.path).replace(r"\[\*\]", r"\[\d+\]")
    findings = [f for f in check_data(data, profile, "r") if f.requirement.id == req_id]
    assert findings, f"{name}: removing {req.path} does not fail {req_id}"
    assert all(f.severity == "error" for f in findings)
    where = path_of(findings[0].location)
    # the location is the field, or (for a list emptied out) the list that should hold it
    assert re.fullmatch(expected, where) or req.path.startswith(where), where


def test_custom_profile_extends_a_builtin_one(tmp_path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(
        "name: lab\ntitle: Our lab's gate\nsource: lab wiki\nextends: neurips\n"
        "requirements:\n"
        "  - {id: neurips.5.repository, path: provenance.git.remote, message: m, "
        "reference: lab rule 1}\n"  # replaces the built-in warning with an error
        "  - {id: lab.loss, path: training.loss, message: Name the loss., reference: lab rule 2}\n",
        encoding="utf-8",
    )
    profile = load_profile(str(path))
    ids = [r.id for r in profile.requirements]
    base = [r.id for r in load_profile("neurips").requirements]
    assert ids == [*base, "lab.loss"]
    replaced = next(r for r in profile.requirements if r.id == "neurips.5.repository")
    assert replaced.severity == "error" and replaced.reference == "lab rule 1"
    data = without(complete_data(), "provenance.git.remote")
    assert "neurips.5.repository" in {f.requirement.id for f in check_data(data, profile)}


def test_items_cite_their_checklist_and_paraphrases_say_so() -> None:
    for name in PROFILES:
        profile = load_profile(name)
        for req in profile.requirements:
            assert req.reference, (name, req.id)
        for req in (r for r in profile.requirements if r.question):
            assert req.item is not None, (name, req.id)
    reforms = [r.question for r in load_profile("reforms").requirements if r.question]
    assert reforms and all(q.startswith("(paraphrase)") for q in reforms)
    neurips7 = next(r for r in load_profile("neurips").requirements if r.id == "neurips.7.runs")
    assert neurips7.item == "7" and "error bars" in neurips7.question
