"""The light paths (import, --help, schema, validate) never import torch or mlflow.

Each check runs in a fresh interpreter, since this test process may already hold torch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"
HEAVY = ("torch", "mlflow")

# Runs the CLI in-process for each argv, then reports exit codes and heavy modules loaded.
SCRIPT = f"""
import contextlib, io, json, sys
from repro.cli import main

codes = []
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(argv)
        except SystemExit as exc:
            codes.append(exc.code)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {list(HEAVY)!r})
print(json.dumps({{"codes": codes, "heavy": heavy}}))
"""


def _run_cli_in_process(*argvs: list[str]) -> dict[str, list]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(argvs)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _heavy_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().replace("'", '"'))


def test_validate_and_schema_do_not_import_torch_or_mlflow(tmp_path: Path) -> None:
    invalid = tmp_path / "bad.yaml"
    invalid.write_text(
        "schema_version: '2.0'\nrun: {name: x}\narchitecture: {recurrent_layers: []}\n"
    )
    outcome = _run_cli_in_process(
        ["validate", str(EXAMPLE)],
        ["validate", str(invalid)],
        ["schema"],
        ["--help"],
    )
    assert outcome["codes"] == [0, 1, 0, 0]
    assert outcome["heavy"] == []


@pytest.mark.parametrize(
    "code",
    [
        "import repro",
        "import repro.capture",
        "from repro.capture.redact import redact_argv; redact_argv(['--token', 'x'])",
        "import repro; repro.load_record('examples/records/lstm-adding.yaml')",
        "import repro; repro.RunRecord.model_json_schema()",
    ],
)
def test_imports_stay_light(code: str) -> None:
    assert _heavy_after(code) == []


INTEGRATIONS = ("lightning", "pytorch_lightning", "optuna", "hydra", "omegaconf")


def _integrations_after(code: str) -> list[str]:
    names = set(INTEGRATIONS)
    found = "{m.split('.')[0] for m in sys.modules}"
    probe = f"{code}\nimport sys\nprint(sorted({found} & {names!r}))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().replace("'", '"'))


@pytest.mark.parametrize(
    "code",
    [
        "import repro",
        "import repro.integrations",
        "import repro, repro.tracking.run, repro.capture.session",
        "import repro; repro.render(repro.load_record('examples/records/lstm-adding.yaml'), "
        "'card-md')",
    ],
)
def test_importing_repro_imports_no_integration_library(code: str) -> None:
    # Lightning, Optuna and Hydra are extras: imported only with repro.integrations.<name>
    assert _integrations_after(code) == []


def test_an_integration_module_does_import_its_library() -> None:
    # the probe can tell (so the assertion above is meaningful)
    assert "optuna" in _integrations_after("import repro.integrations.optuna")


def test_capture_does_load_torch_when_used() -> None:
    # the probe can tell: using capture imports torch (so the assertions above are meaningful)
    assert "torch" in _heavy_after("import repro; repro.capture_environment()")


def test_python_dash_m_repro_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "repro", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: repro" in done.stdout
    for command in ("schema", "validate"):
        assert command in done.stdout


def test_check_report_diff_and_paper_outputs_do_not_import_torch_or_mlflow() -> None:
    contributors = str(ROOT / "examples" / "records" / "contributors.yaml")
    outcome = _run_cli_in_process(
        ["check", str(EXAMPLE)],
        ["check", str(EXAMPLE), "--profile", "model-card", "--format", "junit"],
        [
            "check",
            str(EXAMPLE),
            str(EXAMPLE),
            "--group",
            "--profile",
            "neurips",
            "--format",
            "github",
            "--baseline",
            str(EXAMPLE),
        ],
        ["report", str(EXAMPLE), str(EXAMPLE), "--format", "latex"],
        ["diff", str(EXAMPLE), str(EXAMPLE)],
        ["card", str(EXAMPLE), "--format", "md"],
        ["credit", contributors, "--format", "jats"],
    )
    assert outcome["codes"] == [0, 1, 0, 0, 0, 0, 0]
    assert outcome["heavy"] == []
