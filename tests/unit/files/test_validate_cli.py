"""`repro validate` and `repro schema` as a user runs them: messages and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"


def repro_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "repro", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_valid_file_passes() -> None:
    result = repro_cli("validate", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert f"ok: {EXAMPLE}" in result.stdout


def test_every_problem_is_named_with_file_and_field_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "run: {name: x}\n"
        "architecture:\n"
        "  model_class: M\n"
        "  recurrent_layers: [{name: r, cell: lstmx, input_size: abc, hidden_size: 4}]\n"
        "contributors:\n"
        "  - {given_names: A, family_name: B, orcid: 0000-0002-1825-0098, roles: [Coding]}\n"
        "trainig: {}\n",
        encoding="utf-8",
    )
    result = repro_cli("validate", str(bad), str(EXAMPLE))
    assert result.returncode == 1
    err = result.stderr
    assert "Traceback" not in err
    for expected in (
        f"{bad}: architecture.recurrent_layers[0].cell: Input should be 'rnn_tanh'",
        f"{bad}: architecture.recurrent_layers[0].input_size: Input should be a valid integer",
        f"{bad}: contributors[0].orcid: ORCID iD '0000-0002-1825-0098' fails its ISO 7064",
        f"{bad}: contributors[0].roles[0].role: unknown CRediT role 'Coding'",
        f"{bad}: trainig: unknown field",
    ):
        assert expected in err, err
    # the valid file is still reported as valid
    assert f"ok: {EXAMPLE}" in result.stdout


def test_wrong_types_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "types.json"
    bad.write_text(
        json.dumps(
            {"run": {"name": "x", "tags": ["a"]}, "results": [{"name": "acc", "value": "high"}]}
        ),
        encoding="utf-8",
    )
    result = repro_cli("validate", str(bad))
    assert result.returncode == 1
    assert "run.tags: Input should be a valid dictionary" in result.stderr
    assert "results[0].value: Input should be a valid number" in result.stderr


def test_unparsable_and_missing_files_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("run: {name: [\n", encoding="utf-8")
    result = repro_cli("validate", str(broken))
    assert result.returncode == 2
    assert f"{broken}: not valid YAML at line" in result.stderr
    assert "Traceback" not in result.stderr

    result = repro_cli("validate", str(tmp_path / "absent.json"))
    assert result.returncode == 2 and "no such file" in result.stderr

    dup = tmp_path / "dup.yaml"
    dup.write_text("run: {name: a}\nrun: {name: b}\n", encoding="utf-8")
    result = repro_cli("validate", str(dup))
    assert result.returncode == 2 and "duplicate key 'run'" in result.stderr

    other = tmp_path / "record.txt"
    other.write_text("x", encoding="utf-8")
    result = repro_cli("validate", str(other))
    assert result.returncode == 2 and "expected .json, .yaml or .yml" in result.stderr


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    listy = tmp_path / "list.json"
    listy.write_text("[1, 2]", encoding="utf-8")
    result = repro_cli("validate", str(listy))
    assert result.returncode == 1
    assert "expected a mapping of fields at the top level, got list" in result.stderr


def test_schema_command_prints_json_schema(tmp_path: Path) -> None:
    result = repro_cli("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    out = tmp_path / "schema.json"
    result = repro_cli("schema", "--contributors", "-o", str(out))
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "Contributors"


def test_unknown_command_is_a_usage_error() -> None:
    result = repro_cli("frobnicate")
    assert result.returncode == 2
    assert "No such command" in result.stderr
