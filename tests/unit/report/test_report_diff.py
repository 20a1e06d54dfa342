"""``repro diff`` for people: sections, seeds folded, diagnostics summarised, options by name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import repro
from repro.record import Diagnostics, GradientFlow, RunRecord
from repro.record.paths import MISSING
from repro.report.diff import compare_records, format_markdown, format_text, parse_command

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"


def seed_run(seed: int, mse: float, ratio: float) -> RunRecord:
    """One seed of the example LSTM, as a real run differs from another seed's: name,
    description, tags, command, measured forget-gate bias, times, results, 100 gradient norms
    per snapshot."""
    record = repro.load_record(EXAMPLE)
    record.run.name = f"lstm-adding-seed{seed}"
    record.run.description = f"2-layer LSTM, training seed {seed}."
    record.run.tags["seed"] = str(seed)
    record.run.started = record.run.started.replace(minute=10 + seed)  # type: ignore[union-attr]
    record.training.seeds.torch = seed  # type: ignore[union-attr]
    record.training.seeds.python = seed  # type: ignore[union-attr]
    record.training.seeds.numpy = seed  # type: ignore[union-attr]
    init = record.training.initialisation  # type: ignore[union-attr]
    init.forget_gate_bias = 0.013 * (seed - 0.5)  # type: ignore[union-attr]
    init.details = {"forget_gate_bias_min": -0.17 - seed, "forget_gate_bias_max": 0.2 + seed}  # type: ignore[union-attr]
    record.provenance.command = ["python", "train.py", "--cell", "lstm", "--seed", str(seed)]  # type: ignore[union-attr]
    record.provenance.wall_time_s = 1000.0 + 7 * seed  # type: ignore[union-attr]
    record.results[0].value = mse
    record.diagnostics = Diagnostics(
        gradient_flow=[
            GradientFlow(
                step=step,
                layer="rnn",
                timesteps=list(range(100)),
                grad_norms=[ratio * (1 + t + seed) for t in range(100)],
                ratio_first_last=ratio / (1 + step),
            )
            for step in range(0, 1000, 100)
        ]
    )
    return record


def test_two_seeds_differ_only_in_seed_results_and_diagnostics_summary() -> None:
    diff = compare_records(seed_run(0, 0.0021, 0.01), seed_run(1, 0.0025, 0.02))
    assert [s.name for s in diff.sections] == ["seed", "results", "diagnostics"]
    assert diff.same_configuration
    fields = {s.name: [c.path for c in s.changes] for s in diff.sections}
    assert fields["results"] == ["mse (test)"]
    assert "training.seeds.python, numpy, torch" in fields["seed"]
    assert {"run.tags.seed", "provenance.command --seed"} <= set(fields["seed"])
    # a summary, not 1000 norms: two ratios (the snapshot count is the same)
    assert len(fields["diagnostics"]) == 2
    text = format_text(diff)
    assert "grad_norms" not in text and "identical: configuration" in text
    assert "not shown: run.description, run.name, run.started, wall_time_s" in text


def test_command_lines_compare_by_option_not_position() -> None:
    assert parse_command(["python", "train.py", "--lr=0.1", "--amp", "-n", "3", "data/"]) == {
        "program": "python train.py",
        "--lr": "0.1",
        "--amp": True,
        "-n": "3",
        "args": ["data/"],
    }
    left = repro.load_record(EXAMPLE)
    right = repro.load_record(EXAMPLE)
    right.provenance.command = ["python", "train.py", "--verbose", "--cell", "lstm", "--seed", "0"]  # type: ignore[union-attr]
    (section,) = compare_records(left, right).sections
    # one extra flag: one change, not every later position shifted
    assert [(c.path, c.left is MISSING, c.right) for c in section.changes] == [
        ("provenance.command --verbose", True, True)
    ]
    assert parse_command(["x", "--shift", "-1"])["--shift"] == "-1"


def test_config_only_keeps_what_the_user_chose() -> None:
    left, right = seed_run(0, 0.0021, 0.01), seed_run(1, 0.0025, 0.02)
    right.training.optimizer.settings["lr"] = 0.003  # type: ignore[union-attr]
    diff = compare_records(left, right, config_only=True)
    assert [(s.name, [c.path for c in s.changes]) for s in diff.sections] == [
        ("configuration", ["training.optimizer.settings.lr"])
    ]
    assert "configuration only" in format_text(diff)


def test_markdown_escapes_and_lists_sections() -> None:
    left, right = repro.load_record(EXAMPLE), repro.load_record(EXAMPLE)
    right.card.title = "A | B *bold*"  # type: ignore[union-attr]
    md = format_markdown(compare_records(left, right, names=("a_1", "b_2")))
    assert "### card" in md and r"A \| B \*bold\*" in md and r"a\_1" in md


def test_diff_cli_text_md_json(tmp_path: Path) -> None:
    a = repro.save_record(seed_run(0, 0.0021, 0.01), tmp_path / "a.yaml")
    b = repro.save_record(seed_run(1, 0.0025, 0.02), tmp_path / "b.json")

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "repro", "diff", str(a), str(b), *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )

    text = run()
    assert text.returncode == 0, text.stderr
    assert "mse (test)" in text.stdout and "same configuration" in text.stdout
    data = json.loads(run("--format", "json").stdout)
    assert list(data["sections"]) == ["seed", "results", "diagnostics"]
    assert data["same_configuration"] is True
    assert json.loads(run("--json").stdout) == data
    assert run("--format", "md").stdout.startswith("## ")
    everything = json.loads(run("--format", "json", "--all").stdout)
    assert "run.name" in [c["field"] for c in everything["sections"]["run"]]
    assert json.loads(run("--format", "json", "--config-only").stdout)["sections"] == {}
