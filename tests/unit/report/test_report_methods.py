"""The methods paragraph: every number in it is one the records hold, a field removed removes
its sentence (and is listed as not recorded), runs that differ are said to differ."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_report import EXAMPLE, variant

import repro
from repro.documents.methods import methods
from repro.errors import UsageError
from repro.record import Observed, RunRecord

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)*(?:e[-+]?\d+)?")


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in [k, *leaves(v)]]
    if isinstance(value, list):
        return [x for v in value for x in leaves(v)]
    return [value]


def unsupported_numbers(text: str, records: list[RunRecord]) -> list[str]:
    """Numbers in ``text`` that are neither a number the records hold, nor part of a recorded
    string (a version, a name), nor the count of runs."""
    found = [x for r in records for x in leaves(r.to_dict())]
    numbers = {float(x) for x in found if isinstance(x, int | float) and not isinstance(x, bool)}
    strings = [str(x) for x in found if isinstance(x, str)]
    numbers.add(float(len(records)))
    bad = []
    for token in NUMBER.findall(text):
        plain = token.replace(",", "")
        try:
            if float(plain) in numbers:
                continue
        except ValueError:
            pass
        if not any(plain in s or token in s for s in strings):
            bad.append(token)
    return bad


def test_every_number_comes_from_the_records() -> None:
    record = repro.load_record(EXAMPLE)
    for fmt in ("methods-md", "methods-latex"):
        text = repro.render(record, fmt)
        assert unsupported_numbers(text, [record]) == [], text
    text = repro.render(record, "methods-md")
    facts = ("2-layer LSTM", "hidden size 128", "Adam", "batches of 64", "MSELoss")
    facts += ("2-norm of at most 1", "cosine annealing", "fp32", "seed 0", "199,809")
    for fact in facts:
        assert fact in text


def test_a_removed_field_removes_its_sentence() -> None:
    full = repro.load_record(EXAMPLE)
    text = repro.render(full, "methods-md")
    assert "clipped" in text and "schedule" in text and "Not recorded" not in text
    record = full.model_copy(deep=True)
    assert record.training is not None
    record.training.gradient_clipping = None
    record.training.lr_schedule = None
    record.training.batch_size = None
    without = repro.render(record, "methods-md")
    assert "clipped" not in without and "schedule" not in without.split("*Not recorded")[0]
    assert "batches of" not in without
    assert "constant" not in without  # an unrecorded schedule is not a constant rate
    (group,) = methods(record).groups
    assert {"gradient clipping", "the learning-rate schedule", "the batch size"} <= set(
        group.not_recorded
    )
    assert "*Not recorded:" in without
    assert "% Not recorded:" in repro.render(record, "methods-latex")
    bare = RunRecord.model_validate({"run": {"name": "bare"}})
    (empty,) = methods(bare).groups
    assert empty.sentences == [] and "the optimizer" in empty.not_recorded


def test_seeds_group_and_what_differs_is_per_run() -> None:
    runs = [variant(s, 0.1) for s in (0, 1, 2)]
    for record, steps in zip(runs, (2000, 2000, 1500), strict=True):
        assert record.training is not None
        record.training.observed = Observed(optimizer_steps=steps)  # an outcome, not a choice
    (group,) = methods(runs).groups
    training = next(s.text for s in group.sentences if s.topic == "training")
    assert "varying between runs: 2000 optimizer steps" in training
    assert "1500 optimizer steps (lstm-lr0.001-seed2)" in training
    same = [variant(s, 0.1) for s in (0, 1, 2)]
    text = repro.render(same, "methods-md")
    assert "We report 3 runs with seeds 0–2." in text
    assert unsupported_numbers(text, same) == []
    cells = [variant(s, 0.1, cell=c) for c in ("lstm", "gru") for s in (0, 1)]
    document = methods(cells)
    assert [g.label for g in document.groups] == ["cell=lstm", "cell=gru"]
    assert "GRU" in " ".join(s.text for s in document.groups[1].sentences)
    with pytest.raises(UsageError):
        methods(cells, group="cell=rnn")
    assert [g.label for g in methods(cells, group="cell=gru").groups] == ["cell=gru"]


def test_latex_escapes_and_compiles(tmp_path: Path) -> None:
    from support.latex import compile_latex

    record = repro.load_record(EXAMPLE)
    assert record.training is not None
    record.training.loss = "MSE_loss 50% & more #1"
    tex = repro.render(record, "methods-latex")
    assert "MSE\\_loss 50\\% \\& more \\#1" in tex
    compiled = compile_latex(tex, tmp_path)
    assert compiled.errors == [] and compiled.overfull == []


def test_report_cli_writes_methods(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "repro", "report", str(EXAMPLE), "--table", "methods",
         "--format", "latex"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2-layer LSTM" in done.stdout
