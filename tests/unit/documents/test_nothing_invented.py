"""Nothing invented: a record with no schedule, no initialisation and no dropout, rendered in
every format that takes a record, says so (or says nothing) and never fills a value in."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import pytest
from support.cards import example_record

import repro
from repro.documents.formatting import NOT_RECORDED
from repro.record import RunRecord
from repro.rendering.registry import FORMATS

INVENTED = ("constant", "pytorch-default", "orthogonal", "xavier", "kaiming")


def bare_training() -> RunRecord:
    record = example_record()
    record.training.lr_schedule = None
    record.training.initialisation = None
    record.training.dropout = None
    return record


def record_formats() -> list[str]:
    return [
        name
        for name, fmt in FORMATS.items()
        if RunRecord in fmt.accepts or list in fmt.accepts
        if not name.startswith("expected-max")  # needs a random search's trials
    ]


@pytest.mark.parametrize("fmt", record_formats())
def test_no_format_fills_in_a_schedule_an_init_or_a_dropout(fmt: str) -> None:
    record = bare_training()
    source = record if RunRecord in FORMATS[fmt].accepts else [record]
    try:
        text = repro.render(source, fmt)
    except repro.errors.InvalidInputError as exc:  # e.g. a format needing contributors' roles
        pytest.fail(f"{fmt}: {exc}")
    lowered = text.lower()
    for word in INVENTED:
        assert word not in lowered, (fmt, word)


def test_the_card_says_each_is_not_recorded() -> None:
    text = repro.render(bare_training(), "card-md")
    for label in ("Learning-rate schedule", "Initialisation", "Dropout"):
        assert f"| {label} | {NOT_RECORDED} |" in text
    assert "Forget-gate bias" not in text  # no initialisation: no measured bias row either


def test_the_tables_leave_the_rows_out() -> None:
    table = repro.documents.hparams.hparam_table(bare_training())
    labels = {row.label for row in table.rows}
    assert not labels & {"LR schedule", "Initialisation", "Dropout between layers"}
    md = repro.render(bare_training(), "hparams-md")
    assert "LR schedule" not in md and "Initialisation" not in md


def test_a_recorded_schedule_is_shown_as_recorded() -> None:
    """Control: the words the test looks for do appear when the record holds them."""
    record = example_record()
    record.training.lr_schedule.name = "ConstantLR"
    text = repro.render(record, "card-md")
    assert "constant factor" in text and "pytorch-default" in text
