"""The CI files repro ships: the example workflow and the pre-commit hooks run real commands."""

from __future__ import annotations

import shlex

import yaml
from support.paths import ROOT

from repro.cli import COMMANDS


def test_the_pre_commit_hooks_run_repro_commands_serially() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    ids = {h["id"] for h in hooks}
    assert {"repro-check", "repro-check-group"} <= ids
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        program, command, *_ = shlex.split(hook["entry"])
        assert program == "repro" and command in COMMANDS
        assert hook["language"] == "python"
    assert all(h.get("require_serial") for h in hooks if h["id"].startswith("repro-check"))


def test_the_example_workflow_uses_commands_and_options_that_exist() -> None:
    flow = yaml.safe_load((ROOT / "examples" / "ci" / "paper-checks.yml").read_text("utf-8"))
    steps = flow["jobs"]["check"]["steps"]
    commands = [line for s in steps if "run" in s for line in s["run"].splitlines()]
    joined = " ".join(commands).replace("\n", " ")
    for needed in ("--format github", "--format junit", "--group", "--baseline", "checklist"):
        assert needed in joined
    from repro.cli.check import check
    from repro.cli.checklist import checklist

    options = {c.name: {o for p in c.params for o in p.opts} for c in (check, checklist)}
    assert {"--profile", "--format", "--group", "--strict", "--baseline"} <= options["check"]
    assert {"--profile", "--format", "-o"} <= options["checklist"]
