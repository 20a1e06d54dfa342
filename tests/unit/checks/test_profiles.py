"""Profiles are strict data: unknown keys and paths the record schema lacks are errors that name
the file and the key, so a typo can neither vanish nor switch a requirement off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import EXAMPLE

import repro
from repro.checks.profiles import ProfileError, builtin_profiles, load_profile

HEADER = "name: p\ntitle: t\nsource: s\nrequirements:\n"


def profile_file(tmp_path: Path, requirements: str, header: str = HEADER) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(header + requirements, encoding="utf-8")
    return path


def problems_of(path: Path) -> str:
    with pytest.raises(ProfileError) as err:
        load_profile(str(path))
    return str(err.value)


def test_an_unknown_key_is_named_with_its_file_and_place(tmp_path: Path) -> None:
    path = profile_file(
        tmp_path,
        "  - {id: a, path: card.license, message: m}\n"
        "  - {id: b, path: card.license, message: m, severty: warning}\n",
    )
    message = problems_of(path)
    assert message.startswith(f"{path}: not a valid profile")
    assert f"{path}: requirements[1].severty: unknown field" in message


def test_a_misspelt_record_path_is_an_error_not_a_requirement_turned_off(tmp_path: Path) -> None:
    path = profile_file(tmp_path, "  - {id: a, path: training.optimzer.name, message: m}\n")
    message = problems_of(path)
    assert f"{path}: requirements[0].path: training has no field 'optimzer'" in message
    assert "optimizer" in message  # the fields it does have are listed


@pytest.mark.parametrize(
    ("requirement", "where", "says"),
    [
        ("{id: a, path: data.name, message: m}", "path", "write data[*]"),
        ("{id: a, path: card.license, message: m, when: training.clip}", "when", "no field 'clip'"),
        ("{id: a, path: card.license, message: m, any_of: [card.licence]}", "any_of", "licence"),
        ("{id: a, path: card.license, message: m, when_in: [x]}", "requirements[0]:", "when"),
        ("{id: a, path: 'results[x].value', message: m}", "path", "[*] or [number]"),
    ],
)
def test_every_path_field_is_checked(
    tmp_path: Path, requirement: str, where: str, says: str
) -> None:
    message = problems_of(profile_file(tmp_path, f"  - {requirement}\n"))
    line = next(line for line in message.splitlines() if says in line)
    assert where in line


def test_duplicate_ids_and_unknown_top_level_keys(tmp_path: Path) -> None:
    twice = profile_file(
        tmp_path,
        "  - {id: a, path: card.license, message: m}\n  - {id: a, path: card.title, message: m}\n",
    )
    assert "requirement id 'a' is used twice" in problems_of(twice)
    extra = profile_file(
        tmp_path, "  - {id: a, path: card.license, message: m}\n", "version: 2\n" + HEADER
    )
    assert "version: unknown field" in problems_of(extra)


def test_free_form_fields_accept_any_key_below_them(tmp_path: Path) -> None:
    path = profile_file(
        tmp_path,
        "  - {id: lr, path: training.optimizer.settings.lr, message: m}\n"
        "  - {id: tag, path: run.tags.task, message: m}\n"
        "  - {id: seeds, path: 'results[*].per_seed', message: m}\n",
    )
    profile = load_profile(str(path))
    assert [r.id for r in profile.requirements] == ["lr", "tag", "seeds"]
    report = repro.check(repro.load_record(EXAMPLE), profile=profile)
    assert [f.requirement.id for f in report.findings] == ["seeds"]  # lr and the tag are there


def test_builtin_profiles_are_valid_under_the_strict_rules() -> None:
    for name in builtin_profiles():
        assert load_profile(name).requirements


def test_cli_reports_the_bad_key_in_one_paragraph(tmp_path: Path) -> None:
    path = profile_file(tmp_path, "  - {id: a, path: card.licence, message: m}\n")
    done = subprocess.run(
        [sys.executable, "-m", "repro", "check", str(EXAMPLE), "--profile", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2  # a profile is part of the command, not its input
    assert f"{path}: requirements[0].path: card has no field 'licence'" in done.stderr
    assert "Traceback" not in done.stderr
