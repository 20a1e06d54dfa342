"""What CI systems read: JUnit XML valid against the Jenkins schema with one test case per item,
GitHub workflow commands pointing at the field's line, and an exit code that says what the
report says (warnings count under --strict)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
import yaml
from support.checks import complete_data, group_data, records, without
from support.paths import EXAMPLE, SHARED

import repro
from repro.checks.profiles import load_profile

SCHEMA = xmlschema.XMLSchema(SHARED / "schemas" / "junit" / "junit-10.xsd")
# ::error file=F,line=N,title=T::message (file/line optional; properties escaped, no raw , or :)
COMMAND = re.compile(r"^::(error|warning) (file=[^,:]+,(line=\d+,)?)?title=[^,:]+::[^\r\n]+$")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "repro", "check", *args], capture_output=True, text=True, timeout=60
    )


def write(path: Path, data: dict, fmt: str = "yaml") -> Path:
    text = json.dumps(data, indent=2) if fmt == "json" else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_junit_validates_one_case_per_item_and_strict_counts_warnings(tmp_path: Path) -> None:
    bare = write(tmp_path / "bare.yaml", {"run": {"name": "bare"}})
    out = tmp_path / "junit.xml"
    plain = cli(str(EXAMPLE), str(bare), "--format", "junit", "-o", str(out))
    assert plain.returncode == 1
    SCHEMA.validate(str(out))
    root = ET.parse(out).getroot()
    items = len(load_profile("ml-reproducibility").requirements)
    suites = list(root)
    assert [int(s.get("tests")) for s in suites] == [items, items]
    assert int(root.get("tests")) == 2 * items
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites)
    example = suites[0]
    assert example.get("failures") == "0"
    warned = [c for c in example if c.tag == "testcase" and c.find("system-out") is not None]
    assert {c.get("name") for c in warned} == {"results.runs", "results.spread"}
    props = {p.get("name"): p.get("value") for p in example.iter("property")}
    assert props["warnings"] == "2" and props["strict"] == "false"

    strict = cli(str(EXAMPLE), "--strict", "--format", "junit", "-o", str(out))
    assert strict.returncode == 1
    SCHEMA.validate(str(out))
    (suite,) = ET.parse(out).getroot()
    failed = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failed == {"results.runs", "results.spread"} and suite.get("failures") == "2"
    text = cli(str(EXAMPLE), "--strict")
    assert text.returncode == 1 and text.stdout.rstrip().splitlines()[-1].startswith("FAILED")
    assert "--strict" in text.stdout
    ok = cli(str(EXAMPLE))
    assert ok.returncode == 0 and ok.stdout.rstrip().splitlines()[-1].startswith("PASSED")


def test_junit_of_a_group_and_a_baseline_validates(tmp_path: Path) -> None:
    files = [write(tmp_path / f"s{i}.yaml", d) for i, d in enumerate(group_data())]
    out = tmp_path / "junit.xml"
    done = cli(*map(str, files), "--group", "--baseline", str(files[0]), "--format", "junit",
               "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    SCHEMA.validate(str(out))
    names = [s.get("name") for s in ET.parse(out).getroot()]
    assert names == [*map(str, files), "group of 3 runs", "baseline comparison"]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_github_annotations_point_at_the_field_line(tmp_path: Path, fmt: str) -> None:
    data = without(complete_data(), "training.batch_size")
    data["data"].append({"name": "extra-eval-set", "source": "x"})
    path = write(tmp_path / f"r.{fmt}", data, fmt)
    done = cli(str(path), "--format", "github")
    assert done.returncode == 1
    lines = done.stdout.rstrip().splitlines()
    commands, verdict = lines[:-1], lines[-1]
    assert verdict.startswith("FAILED") and commands
    assert all(COMMAND.match(c) for c in commands), commands
    text = path.read_text(encoding="utf-8").splitlines()

    def line_of(req_id: str) -> str:
        command = next(c for c in commands if f"title=repro {req_id}::" in c)
        return text[int(re.search(r",line=(\d+),", command).group(1)) - 1]

    # a missing field points at the section that should hold it; a list entry at the entry
    assert re.match(r'\s*"?training"?:', line_of("training.batch-size"))
    assert "extra-eval-set" in line_of("data.splits")


def test_github_title_and_message_escape_what_the_syntax_reserves() -> None:
    report = repro.check(records([{"run": {"name": "a,b:c"}}]), "minimal", names=["a,b:c%"])
    text = repro.render(report, "check-github", files={"a,b:c%": "dir/a,b:c.yaml"})
    first = text.splitlines()[0]
    assert first.startswith("::error file=dir/a%2Cb%3Ac.yaml,title=repro minimal.model::")
    assert "a,b:c%25: error:" in first  # the message escapes % only
    assert COMMAND.match(first)


def test_a_malformed_profile_is_a_clear_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: p\ntitle: t\nsource: s\nrequirements:\n  - {id: a, path: x}\n")
    done = cli(str(EXAMPLE), "--profile", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{bad}: not a valid profile" in done.stderr
    assert f"{bad}: requirements[0].message" in done.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    done = cli(str(EXAMPLE), "--profile", str(broken))
    assert done.returncode == 2 and str(broken) in done.stderr and "Traceback" not in done.stderr
    extends = tmp_path / "ext.yaml"
    extends.write_text("name: p\ntitle: t\nsource: s\nextends: nope\n")
    done = cli(str(EXAMPLE), "--profile", str(extends))
    assert done.returncode == 2 and "unknown profile 'nope'" in done.stderr


def test_checklist_and_check_need_sources_and_a_known_profile() -> None:
    for command in ("check", "checklist"):
        done = subprocess.run(
            [sys.executable, "-m", "repro", command], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2 and "SOURCE" in done.stderr
        done = subprocess.run(
            [sys.executable, "-m", "repro", command, str(EXAMPLE), "--profile", "nope"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2 and "unknown profile 'nope'" in done.stderr
