"""The README's training loop runs exactly as written, with repro in at most three lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.programs import run_program, without_repro

import repro

README = Path(__file__).parents[2] / "README.md"


def loop_blocks() -> list[str]:
    """The Python blocks of the README's training-loop section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Three lines in a training loop", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


@pytest.mark.slow
def test_readme_training_loop_runs_as_written(tracking_store: str) -> None:
    loop, afterwards = loop_blocks()
    plain, added = without_repro(loop)
    assert added == 3 and "repro" not in plain
    run_program(plain, "readme_plain")  # the loop before repro, as a user had it
    namespace = run_program(loop, "readme")
    exec(compile(afterwards, "<readme-afterwards>", "exec"), namespace)

    run, record = namespace["run"], namespace["record"]
    assert record == run.record and record.run.status == "finished"
    assert record.run.experiment == "adding"
    [lstm] = record.architecture.recurrent_layers
    assert (lstm.cell, lstm.num_layers, lstm.hidden_size, lstm.batch_first) == ("lstm", 2, 32, True)
    model = namespace["model"]
    assert record.architecture.total_parameters == sum(p.numel() for p in model.parameters())
    training = record.training
    assert training.optimizer.name == "Adam" and training.lr_schedule.interval == "step"
    assert (training.batch_size, training.epochs, training.precision) == (64, 2, "fp32")
    assert training.gradient_clipping.threshold == 1.0
    assert (training.seeds.python, training.seeds.torch, training.seeds.dataloader) == (0, 0, 0)
    assert training.observed.optimizer_steps == 16
    assert training.dropout.between_layers == 0.1
    [dataset] = record.data
    assert dataset.splits == {"train": 512} and dataset.sequence_length.max == 30
    assert "## Model details" in repro.render(record, "card-md")
