"""`repro check`: profiles from published checklists applied to records, in CI formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import repro
from repro.checks.profiles import builtin_profiles, load_profile
from repro.record.paths import MISSING, resolve

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "repro", *args], capture_output=True, text=True, timeout=60
    )


def test_complete_record_passes_and_empty_record_fails() -> None:
    full = repro.load_record(EXAMPLE)
    assert repro.check(full, profile="ml-reproducibility").passed
    empty = repro.check(repro.RunRecord(run={"name": "bare"}), profile="ml-reproducibility")
    assert not empty.passed
    ids = {f.requirement.id for f in empty.errors}
    assert {"training.optimizer", "code.seeds", "rnn.clipping", "code.version"} <= ids


def test_zero_and_false_count_as_recorded() -> None:
    record = repro.load_record(EXAMPLE)
    data = record.to_dict()
    data["provenance"]["wall_time_s"] = 0.0
    data["training"]["epochs"] = 0
    report = repro.check(repro.RunRecord.model_validate(data))
    assert "compute.runtime" not in {f.requirement.id for f in report.findings}


def test_fan_out_names_how_many_entries_miss_a_field() -> None:
    data = repro.load_record(EXAMPLE).to_dict()
    data["data"].append({"name": "extra-eval-set"})
    report = repro.check(repro.RunRecord.model_validate(data))
    split = next(f for f in report.findings if f.requirement.id == "data.splits")
    assert split.detail == "data[*].splits: missing in 1 of 2 entries"
    assert resolve({"data": []}, "data[*].name") == [MISSING]  # empty list: missing, not vacuous


def test_conditional_requirement_applies_only_when_its_condition_holds() -> None:
    data = repro.load_record(EXAMPLE).to_dict()
    data["training"]["gradient_clipping"] = {"kind": "none"}
    ids = {f.requirement.id for f in repro.check(repro.RunRecord.model_validate(data)).findings}
    assert "rnn.clipping-threshold" not in ids
    data["training"]["gradient_clipping"] = {"kind": "norm"}
    ids = {f.requirement.id for f in repro.check(repro.RunRecord.model_validate(data)).findings}
    assert "rnn.clipping-threshold" in ids


def test_every_builtin_profile_loads_and_cites_its_source() -> None:
    assert {"ml-reproducibility", "model-card"} <= set(builtin_profiles())
    for name in builtin_profiles():
        profile = load_profile(name)
        assert profile.source and profile.requirements
        assert all(r.reference for r in profile.requirements)


def test_cli_exit_codes_and_formats(tmp_path: Path) -> None:
    assert cli("check", str(EXAMPLE)).returncode == 0
    strict = cli("check", str(EXAMPLE), "--strict")
    assert strict.returncode == 1  # the example has warnings (no spread over seeds)

    bare = tmp_path / "bare.yaml"
    bare.write_text("run: {name: bare}\n", encoding="utf-8")
    result = cli("check", str(bare), "--format", "json")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["passed"] is False and payload["findings"]

    result = cli("check", str(bare), "--format", "github")
    assert result.stdout.startswith(f"::error file={bare},line=1,title=repro ")

    out = tmp_path / "junit.xml"
    result = cli("check", str(bare), str(EXAMPLE), "--format", "junit", "-o", str(out))
    assert result.returncode == 1
    suites = ET.parse(out).getroot()
    assert [s.get("name") for s in suites] == [str(bare), str(EXAMPLE)]
    assert int(suites[0].get("failures")) > 0 and suites[1].get("failures") == "0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--profile", "nope"), "unknown profile 'nope'"),
        (("--profile", "missing.yaml"), "missing.yaml: no such file"),
    ],
)
def test_bad_profile_is_a_usage_error(args: tuple[str, ...], message: str) -> None:
    result = cli("check", str(EXAMPLE), *args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_user_profile_file_is_validated(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "name: p\ntitle: t\nsource: s\nrequirements:\n  - {id: x, path: card.license}\n",
        encoding="utf-8",
    )
    result = cli("check", str(EXAMPLE), "--profile", str(profile))
    assert result.returncode == 2
    assert "requirements[0].message" in result.stderr
