"""Hyperparameter tables of one or several runs: the table is built once as data, then rendered.

Rows are the hyperparameters that define a configuration (grouped: architecture, optimisation,
regularisation, initialisation, reproducibility); columns are configurations. Runs that differ
only in seed share one column ("seeds 0–4"): the configuration key is the one of
:func:`repro.report.grouping.config_fingerprint` (what the user chose, not what was measured).
Optimizer implementation flags (``foreach``, ``fused``, ``capturable``...) are left out unless
set away from torch's default, and values read as a paper would print them (``LSTM``, ``cosine
annealing (period 2000, ...)``). A cell is the display text of the setting, since "differs"
means differs as the reader sees it; None is a setting the configuration did not record.
``hparams-latex`` (booktabs, ``tabularx`` to the text width) and ``hparams-md`` render it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from repro.documents.formatting import format_value, seed_list
from repro.documents.phrases import (
    cell_name,
    clipping_text,
    early_stopping_text,
    optimizer_settings,
    schedule_text,
    search_text,
    seed_of,
    seeds_text,
    teacher_forcing_text,
    training_of,
)
from repro.errors import UsageError
from repro.record import RunRecord
from repro.report.grouping import config_fingerprint

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
    "lr_decay": "LR decay",
    "rho": "Rho",
    "centered": "Centred",
    "initial_accumulator_value": "Initial accumulator",
}
GROUPS = ("Architecture", "Optimisation", "Regularisation", "Initialisation", "Reproducibility")


@dataclass(frozen=True)
class HparamRow:
    """One hyperparameter across configurations; ``differs`` when they disagree on it."""

    group: str
    label: str
    values: tuple[Cell, ...]
    differs: bool

    @property
    def shared(self) -> bool:
        """Every configuration has the same value: a table may print it once, spanning."""
        return len(self.values) > 1 and not self.differs


@dataclass(frozen=True)
class HparamGroup:
    """Consecutive rows under one heading."""

    name: str
    rows: tuple[HparamRow, ...]


@dataclass(frozen=True)
class Configuration:
    """One column: the runs sharing a configuration, a name for it and their seeds."""

    name: str
    runs: tuple[str, ...]
    seeds: str | None  # "seeds 0–4" for several runs, None for one (or seeds not recorded)


@dataclass(frozen=True)
class HparamTable:
    """The whole table: configurations as columns, grouped rows of display text."""

    configurations: tuple[Configuration, ...]
    groups: tuple[HparamGroup, ...]

    @property
    def runs(self) -> tuple[str, ...]:
        """The column names (a run's name when the configuration has one run)."""
        return tuple(c.name for c in self.configurations)

    @property
    def rows(self) -> tuple[HparamRow, ...]:
        return tuple(row for group in self.groups for row in group.rows)

    @property
    def differing(self) -> tuple[HparamRow, ...]:
        return tuple(row for row in self.rows if row.differs)

    @property
    def grouped(self) -> bool:
        """Some column stands for several runs (its seeds are shown under its name)."""
        return any(c.seeds for c in self.configurations)


# -- extracting the values of one run ------------------------------------------------------------

Extractor = Callable[[RunRecord], Cell]


def _layers_value(record: RunRecord, pick: Callable[[Any], Any]) -> Cell:
    if record.architecture is None:
        return None
    picked = [pick(layer) for layer in record.architecture.recurrent_layers]
    values = [v if isinstance(v, str) else format_value(v) for v in picked if v is not None]
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
    if record.architecture is None or not record.architecture.recurrent_layers:
        return None
    return str(sum(layer.num_layers for layer in record.architecture.recurrent_layers))


def _projection(record: RunRecord) -> Cell:
    if record.architecture is None:
        return None
    sizes = [layer.proj_size for layer in record.architecture.recurrent_layers]
    return ", ".join(str(s) for s in dict.fromkeys(sizes)) if any(sizes) else None


def _other_modules(record: RunRecord) -> Cell:
    """Significant non-recurrent modules (a Transformer, convolutions) by kind."""
    if record.architecture is None or not record.architecture.modules:
        return None
    kinds = dict.fromkeys(m.kind for m in record.architecture.modules)
    return ", ".join(kinds)


def _dropout_modules(record: RunRecord) -> Cell:
    """Captured dropout modules as ``p`` and where they were applied."""
    dropout = training_of(record).dropout
    if dropout is None or not dropout.modules:
        return None
    parts = []
    for module in dropout.modules:
        places = dict.fromkeys(p.placement.replace("_", " ") for p in module.positions)
        where = f" ({', '.join(places)})" if places else ""
        parts.append(f"{format_value(module.p)}{where}")
    return "; ".join(dict.fromkeys(parts))


FIXED_ROWS: tuple[tuple[str, str, Extractor], ...] = (
    ("Architecture", "Cell", lambda r: _layers_value(r, lambda x: cell_name(x, described=False))),
    ("Architecture", "Recurrent layers", _stacked),
    ("Architecture", "Hidden size", lambda r: _layers_value(r, lambda layer: layer.hidden_size)),
    ("Architecture", "Input size", lambda r: _layers_value(r, lambda layer: layer.input_size)),
    ("Architecture", "Bidirectional", lambda r: _layers_value(r, lambda x: x.bidirectional)),
    ("Architecture", "Projection size", _projection),
    ("Architecture", "Other modules", _other_modules),
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
    ("Regularisation", "Input dropout", _field("dropout.input")),
    ("Regularisation", "Variational input dropout", _field("dropout.variational_input")),
    ("Regularisation", "Variational hidden dropout", _field("dropout.variational_hidden")),
    ("Regularisation", "Variational output dropout", _field("dropout.variational_output")),
    ("Regularisation", "Weight drop", _field("dropout.weight_drop")),
    ("Regularisation", "Embedding dropout", _field("dropout.embedding")),
    ("Regularisation", "Output dropout", _field("dropout.output")),
    ("Regularisation", "Dropout modules", _dropout_modules),
    ("Initialisation", "Initialisation", _field("initialisation.scheme")),
    ("Initialisation", "Forget-gate bias", _field("initialisation.forget_gate_bias")),
    ("Reproducibility", "Seeds", seeds_text),
    ("Reproducibility", "Hyperparameter search", search_text),
)


def _optimizer_rows(records: Sequence[RunRecord]) -> list[tuple[str, str, Extractor]]:
    keys: list[str] = []
    for record in records:
        for key in optimizer_settings(record):
            if key not in keys:
                keys.append(key)

    def setting(key: str) -> Extractor:
        def extract(record: RunRecord) -> Cell:
            settings = optimizer_settings(record)
            return format_value(settings[key]) if key in settings else None

        return extract

    return [("Optimisation", OPTIMIZER_LABELS.get(k, k), setting(k)) for k in keys]


# -- configurations -----------------------------------------------------------------------------


def _configurations(runs: Sequence[RunRecord]) -> list[list[RunRecord]]:
    """Runs grouped by configuration (seed-free fingerprint), in first-seen order."""
    groups: dict[str, list[RunRecord]] = {}
    for record in runs:
        groups.setdefault(config_fingerprint(record), []).append(record)
    return list(groups.values())


def _common_name(names: Sequence[str]) -> str | None:
    """What the run names of one configuration share, with a trailing seed part cut off
    (``lstm-h64-seed0``, ``lstm-h64-seed1`` -> ``lstm-h64``); None when nothing is shared."""
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    cut = prefix.rstrip("0123456789")
    lowered = cut.lower()
    for word in ("seed", "s"):
        if lowered.endswith(word) and len(cut) > len(word):
            cut = cut[: -len(word)]
            break
    cut = cut.rstrip(" -_.=/:")
    return cut or None


def _configuration(number: int, members: Sequence[RunRecord]) -> Configuration:
    names = [r.run.name for r in members]
    if len(members) == 1:
        return Configuration(names[0], tuple(names), None)
    seeds = [seed_of(r) for r in members]
    shown = f"seeds {seed_list(seeds)}" if all(s is not None for s in seeds) else None
    name = _common_name(names) or f"Configuration {number}"
    return Configuration(name, tuple(names), shown or f"{len(members)} runs")


def _column_value(values: Sequence[Cell]) -> Cell:
    """One configuration's value: its runs agree, or differ (a measured per-seed fact)."""
    distinct = list(dict.fromkeys(v for v in values if v is not None))
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else "varies by seed"


def _select(specs: list[tuple[str, str, Extractor]], rows: Sequence[str] | None) -> list[Any]:
    """Only the rows (labels) or groups named in ``rows``, in the table's order."""
    if not rows:
        return specs
    wanted = [r.strip().casefold() for r in rows if r.strip()]
    known = {label.casefold() for _, label, _ in specs} | {g.casefold() for g in GROUPS}
    unknown = [r for r in wanted if r not in known]
    if unknown:
        labels = ", ".join(dict.fromkeys(label for _, label, _ in specs))
        raise UsageError(
            f"--rows: no hyperparameter row or group named {', '.join(unknown)}; "
            f"rows: {labels}; groups: {', '.join(GROUPS)}"
        )
    return [s for s in specs if s[0].casefold() in wanted or s[1].casefold() in wanted]


def hparam_table(
    records: RunRecord | Sequence[RunRecord], rows: Sequence[str] | None = None
) -> HparamTable:
    """Build the table for one run or several (one column per configuration); rows no
    configuration recorded are left out, and with ``rows`` only the rows or groups named."""
    runs = [records] if isinstance(records, RunRecord) else list(records)
    if not runs:
        raise UsageError("a hyperparameter table needs at least one run")
    specs = list(FIXED_ROWS)
    at = next(i for i, spec in enumerate(specs) if spec[1] == "Optimizer") + 1
    specs[at:at] = _optimizer_rows(runs)
    specs = _select(specs, rows)
    members = _configurations(runs)
    configurations = [_configuration(i, m) for i, m in enumerate(members, start=1)]
    groups: dict[str, list[HparamRow]] = {}
    for group, label, extract in specs:
        if label == "Seeds":
            values = tuple(seeds_text(m[0]) if len(m) == 1 else _seeds_cell(m) for m in members)
        else:
            values = tuple(_column_value([extract(r) for r in m]) for m in members)
        if all(v is None for v in values):
            continue
        differs = len(members) > 1 and len(set(values)) > 1
        groups.setdefault(group, []).append(HparamRow(group, label, values, differs))
    return HparamTable(
        configurations=tuple(configurations),
        groups=tuple(HparamGroup(name, tuple(rows)) for name, rows in groups.items()),
    )


def _seeds_cell(members: Sequence[RunRecord]) -> Cell:
    seeds = [seed_of(r) for r in members]
    if any(s is None for s in seeds):
        texts = [seeds_text(r) for r in members]
        return None if all(t is None for t in texts) else "varies by run"
    return seed_list(seeds)


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
    rows: Sequence[str] | None = None,
) -> HparamsDocument:
    """``hparams-latex``/``hparams-md``: the table of one run or several, captioned; ``rows``
    names the rows or groups to keep (e.g. ``["Architecture", "Learning rate"]``)."""
    if isinstance(rows, str):
        rows = [r for r in rows.split(",")]
    table = hparam_table(source, rows=rows)
    several = len(table.configurations) > 1
    runs = sum(len(c.runs) for c in table.configurations)
    if several:
        default_caption = f"Hyperparameters of {len(table.configurations)} configurations"
        default_caption += f" ({runs} runs)." if runs > len(table.configurations) else "."
    elif runs > 1:
        default_caption = f"Hyperparameters ({runs} runs)."
    else:
        default_caption = "Hyperparameters."
    return HparamsDocument(
        table=table,
        several=several,
        caption=default_caption if caption is None else caption,
        label=label,
    )
