"""Hyperparameter tables of one or several runs: the table is built once as data, then rendered.

Rows are hyperparameters (grouped: architecture, optimisation, regularisation, reproducibility),
columns are runs. With several runs, rows whose values differ are flagged so a reader sees at a
glance what changed between them. ``hparams-latex`` (booktabs) and ``hparams-md`` render it.
A cell is the display text of the setting (from :mod:`repro.documents.formatting`), since
"differs" means differs as the reader sees it; None is a setting the run did not record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from repro.documents.formatting import format_value
from repro.documents.phrases import (
    clipping_text,
    early_stopping_text,
    schedule_text,
    search_text,
    seeds_text,
    teacher_forcing_text,
    training_of,
)
from repro.errors import UsageError
from repro.record import RunRecord

Cell = str | None  # display text of one value; None = not recorded

# Friendlier labels for the optimizer settings most papers report (plain ASCII: LaTeX-safe).
OPTIMIZER_LABELS = {
    "lr": "Learning rate",
    "weight_decay": "Weight decay",
    "momentum": "Momentum",
    "betas": "Betas",
    "eps": "Epsilon",
    "alpha": "Alpha",
    "nesterov": "Nesterov",
    "amsgrad": "AMSGrad",
    "dampening": "Dampening",
}


@dataclass(frozen=True)
class HparamRow:
    """One hyperparameter across runs; ``differs`` is true when runs disagree on it."""

    group: str
    label: str
    values: tuple[Cell, ...]
    differs: bool


@dataclass(frozen=True)
class HparamGroup:
    """Consecutive rows under one heading."""

    name: str
    rows: tuple[HparamRow, ...]


@dataclass(frozen=True)
class HparamTable:
    """The whole table: run names as columns, grouped rows of display text."""

    runs: tuple[str, ...]
    groups: tuple[HparamGroup, ...]

    @property
    def rows(self) -> tuple[HparamRow, ...]:
        return tuple(row for group in self.groups for row in group.rows)

    @property
    def differing(self) -> tuple[HparamRow, ...]:
        return tuple(row for row in self.rows if row.differs)


# -- extracting the values of one run ------------------------------------------------------------

Extractor = Callable[[RunRecord], Cell]


def _layers_value(record: RunRecord, pick: Callable[[Any], Any]) -> Cell:
    if record.architecture is None:
        return None
    picked = [pick(layer) for layer in record.architecture.recurrent_layers]
    values = [format_value(v) for v in picked if v is not None]  # schema 2.0: may be unknown
    unique = list(dict.fromkeys(values))
    return ", ".join(unique) if unique else None


def _field(path: str) -> Extractor:
    """Extractor for a dotted path under ``training`` (absent anywhere along it = None)."""

    def extract(record: RunRecord) -> Cell:
        value: Any = record.training
        for part in path.split("."):
            value = getattr(value, part, None) if value is not None else None
        return None if value is None else format_value(value)

    return extract


def _embedding_dim(record: RunRecord) -> Cell:
    if record.architecture is None or not record.architecture.embeddings:
        return None
    return ", ".join(format_value(e.embedding_dim) for e in record.architecture.embeddings)


def _total_parameters(record: RunRecord) -> Cell:
    arch = record.architecture
    return (
        None
        if arch is None or arch.total_parameters is None
        else format_value(arch.total_parameters)
    )


def _stacked(record: RunRecord) -> Cell:
    if record.architecture is None:
        return None
    return str(sum(layer.num_layers for layer in record.architecture.recurrent_layers))


def _projection(record: RunRecord) -> Cell:
    if record.architecture is None:
        return None
    sizes = [layer.proj_size for layer in record.architecture.recurrent_layers]
    return ", ".join(str(s) for s in dict.fromkeys(sizes)) if any(sizes) else None


FIXED_ROWS: tuple[tuple[str, str, Extractor], ...] = (
    ("Architecture", "Cell", lambda r: _layers_value(r, lambda layer: layer.cell.upper())),
    ("Architecture", "Recurrent layers", _stacked),
    ("Architecture", "Hidden size", lambda r: _layers_value(r, lambda layer: layer.hidden_size)),
    ("Architecture", "Input size", lambda r: _layers_value(r, lambda layer: layer.input_size)),
    ("Architecture", "Bidirectional", lambda r: _layers_value(r, lambda x: x.bidirectional)),
    ("Architecture", "Projection size", _projection),
    ("Architecture", "Embedding size", _embedding_dim),
    ("Architecture", "Parameters", _total_parameters),
    ("Optimisation", "Optimizer", _field("optimizer.name")),
    # optimizer settings are inserted here, one row per key seen in any run
    ("Optimisation", "LR schedule", schedule_text),
    ("Optimisation", "Warm-up steps", _field("lr_schedule.warmup_steps")),
    ("Optimisation", "Batch size", _field("batch_size")),
    ("Optimisation", "Epochs", _field("epochs")),
    ("Optimisation", "Max steps", _field("max_steps")),
    ("Optimisation", "Loss", _field("loss")),
    ("Optimisation", "Gradient clipping", clipping_text),
    ("Optimisation", "Sequence length", _field("sequence_length")),
    ("Optimisation", "TBPTT length", _field("tbptt_length")),
    ("Optimisation", "Teacher forcing", teacher_forcing_text),
    ("Optimisation", "Precision", _field("precision")),
    ("Optimisation", "Early stopping", early_stopping_text),
    ("Regularisation", "Dropout between layers", _field("dropout.between_layers")),
    ("Regularisation", "Variational input dropout", _field("dropout.variational_input")),
    ("Regularisation", "Variational hidden dropout", _field("dropout.variational_hidden")),
    ("Regularisation", "Variational output dropout", _field("dropout.variational_output")),
    ("Regularisation", "Weight drop", _field("dropout.weight_drop")),
    ("Regularisation", "Embedding dropout", _field("dropout.embedding")),
    ("Regularisation", "Output dropout", _field("dropout.output")),
    ("Regularisation", "Initialisation", _field("initialisation.scheme")),
    ("Regularisation", "Forget-gate bias", _field("initialisation.forget_gate_bias")),
    ("Reproducibility", "Seeds", seeds_text),
    ("Reproducibility", "Hyperparameter search", search_text),
)


def _optimizer_rows(records: Sequence[RunRecord]) -> list[tuple[str, str, Extractor]]:
    keys: list[str] = []
    for record in records:
        optimizer = training_of(record).optimizer
        for key in optimizer.settings if optimizer else ():
            if key not in keys:
                keys.append(key)

    def setting(key: str) -> Extractor:
        def extract(record: RunRecord) -> Cell:
            optimizer = training_of(record).optimizer
            if optimizer is None or key not in optimizer.settings:
                return None
            return format_value(optimizer.settings[key])

        return extract

    return [("Optimisation", OPTIMIZER_LABELS.get(k, k), setting(k)) for k in keys]


def hparam_table(records: RunRecord | Sequence[RunRecord]) -> HparamTable:
    """Build the table for one run or several; rows no run recorded are left out."""
    runs = [records] if isinstance(records, RunRecord) else list(records)
    if not runs:
        raise UsageError("a hyperparameter table needs at least one run")
    specs = list(FIXED_ROWS)
    at = next(i for i, spec in enumerate(specs) if spec[1] == "Optimizer") + 1
    specs[at:at] = _optimizer_rows(runs)
    groups: dict[str, list[HparamRow]] = {}
    for group, label, extract in specs:
        values = tuple(extract(record) for record in runs)
        if all(v is None for v in values):
            continue
        differs = len(runs) > 1 and len(set(values)) > 1
        groups.setdefault(group, []).append(HparamRow(group, label, values, differs))
    return HparamTable(
        runs=tuple(record.run.name for record in runs),
        groups=tuple(HparamGroup(name, tuple(rows)) for name, rows in groups.items()),
    )


@dataclass(frozen=True)
class HparamsDocument:
    """The table with its caption and LaTeX label, for both hparams formats."""

    table: HparamTable
    several: bool
    caption: str
    label: str


def hparams(
    source: RunRecord | Sequence[RunRecord],
    *,
    caption: str | None = None,
    label: str = "tab:hparams",
) -> HparamsDocument:
    """``hparams-latex``/``hparams-md``: the table of one run or several, captioned."""
    table = hparam_table(source)
    several = len(table.runs) > 1
    default_caption = (
        f"Hyperparameters of {len(table.runs)} runs." if several else "Hyperparameters."
    )
    return HparamsDocument(
        table=table,
        several=several,
        caption=default_caption if caption is None else caption,
        label=label,
    )
