"""The built-in sections of the model card: one function each, record in, blocks out.

Each builder takes the :class:`CardInputs` and returns the section's blocks, or None to leave
the section out (gradient diagnostics when none were recorded). What the record lacks is
``None`` in a block, shown as "not recorded" or "[More Information Needed]"; nothing is
invented. The order and titles of the sections are in :data:`repro.documents.card.SECTIONS`.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from repro.documents.blocks import (
    Block,
    Chart,
    Code,
    Column,
    Fact,
    Facts,
    Figure,
    Note,
    Prose,
    Table,
)
from repro.documents.credit import statement_text
from repro.documents.formatting import (
    Directed,
    Flagged,
    Interval,
    Measure,
    Number,
    Spread,
    clean_text,
    direction_text,
    duration_text,
    format_value,
    gib_text,
    paragraphs,
)
from repro.documents.huggingface import eval_datasets
from repro.documents.phrases import (
    cell_name,
    clipping_text,
    dropout_text,
    early_stopping_text,
    initialisation_text,
    model_type,
    optimizer_text,
    schedule_text,
    search_text,
    seeds_text,
    teacher_forcing_text,
)
from repro.record import Dataset, GradientFlow, RunRecord

History = Mapping[str, Sequence[tuple[int, float]]]
Blocks = list[Block]

VANISHING_BELOW = 1e-3  # ratio ||dL/dh_0|| / ||dL/dh_T|| flagged as vanishing below this
EXPLODING_ABOVE = 1e3  # ... and as exploding above this
RESULTS_NOTE = (
    "↑ higher is better, ↓ lower is better. Without a std, the value comes from a single run."
)
DETERMINISM_LABELS = {
    "use_deterministic_algorithms": "torch.use_deterministic_algorithms",
    "cudnn_deterministic": "cudnn.deterministic",
    "cudnn_benchmark": "cudnn.benchmark",
    "cudnn_enabled": "cudnn.enabled",
    "cublas_workspace_config": "CUBLAS_WORKSPACE_CONFIG",
}


@dataclass(frozen=True)
class CardInputs:
    """What every section builder is given: the record and the card's options."""

    record: RunRecord
    credit_style: str = "elsevier"
    figures: bool = False  # the format draws figures (HTML); Markdown shows none
    history: History | None = None  # metric name -> [(step, value)], read from the MLflow run


def _prose(text: str | None, title: str | None = None) -> Prose:
    return Prose(paragraphs(text), title=title)


def _card_text(inputs: CardInputs, name: str) -> str | None:
    card = inputs.record.card
    return getattr(card, name) if card else None


# -- Mitchell et al. (2019) sections -----------------------------------------------------------


def model_details(inputs: CardInputs) -> Blocks:
    """What, who, when, under which licence."""
    record = inputs.record
    run, arch = record.run, record.architecture
    people = [clean_text(c.full_name) for c in record.contributors]
    license_ = record.card.license if record.card and record.card.license else None
    rows = [
        Fact("Model type", model_type(record)),
        Fact("Model class", arch.model_class if arch else None),
        Fact("Parameters", arch.total_parameters if arch else None),
        Fact("Run", run.name),
        Fact("Experiment", run.experiment),
        Fact("Status", run.status),
        Fact("Training started", run.started),
        Fact("Training ended", run.ended),
        Fact("Developed by", ", ".join(people) if people else None),
        Fact("License", license_, absent="needed"),
    ]
    description = paragraphs(run.description)
    return [*([Prose(description)] if description else []), Facts(rows)]


def intended_use(inputs: CardInputs) -> Blocks:
    return [
        _prose(_card_text(inputs, "intended_use"), "Primary intended uses"),
        _prose(_card_text(inputs, "out_of_scope_use"), "Out-of-scope uses"),
    ]


def factors(inputs: CardInputs) -> Blocks:
    return [_prose(_card_text(inputs, "factors"))]


def metrics(inputs: CardInputs) -> Blocks:
    """What each reported metric measures: split, direction, unit."""
    results = inputs.record.results
    if not results:
        return [Prose(None)]
    columns = [
        Column("Metric"),
        Column("Split", absent="not-recorded"),
        Column("Direction", absent="not-recorded"),
        Column("Unit"),
    ]
    rows = [
        [m.name, m.split or None, direction_text(m.higher_is_better), m.unit or None]
        for m in results
    ]
    return [Table(columns, rows)]


def dataset_facts(dataset: Dataset) -> list[Fact]:
    """One dataset as label/value rows (only what was recorded, except the key facts)."""
    rows = [
        Fact("Version", dataset.version),
        Fact("Source", dataset.source),
        Fact("License", dataset.license),
        Fact("SHA-256", dataset.sha256),
        Fact("Role", dataset.role),
    ]
    if dataset.splits:
        splits = ", ".join(f"{k}: {v:,}" for k, v in dataset.splits.items())
        rows.append(Fact("Splits (examples)", splits))
    if dataset.preprocessing:
        rows.append(Fact("Preprocessing", " → ".join(dataset.preprocessing)))
    stats = dataset.sequence_length
    if stats is not None:
        text = f"min {stats.min}, mean {Number(stats.mean, 4)}, max {stats.max}"
        if stats.median is not None:
            text += f", median {Number(stats.median, 4)}"
        if stats.p95 is not None:
            text += f", p95 {Number(stats.p95, 4)}"
        rows.append(Fact("Sequence length", text))
    if dataset.padding is not None:
        rows.append(Fact("Padding", f"{dataset.padding.side}, value {dataset.padding.value!s}"))
    if dataset.packed is not None:
        rows.append(Fact("Packed sequences", dataset.packed))
    return rows


def evaluation_data(inputs: CardInputs) -> Blocks:
    blocks: Blocks = []
    for dataset in eval_datasets(inputs.record):
        if dataset.role == "train+eval":
            text = f"{clean_text(dataset.name)}: the training dataset, evaluated on its held-out"
            blocks.append(Note(f"{text} splits.", see=("training-data", "Training data")))
        else:
            blocks.append(Facts(dataset_facts(dataset), title=clean_text(dataset.name)))
    return blocks or [Prose(None)]


def training_data(inputs: CardInputs) -> Blocks:
    datasets = [d for d in inputs.record.data if d.role in ("train", "train+eval")]
    return [Facts(dataset_facts(d), title=clean_text(d.name)) for d in datasets] or [Prose(None)]


def quantitative_analyses(inputs: CardInputs) -> Blocks:
    """Results with their spread (mean ± std, 95% CI, n), per-seed values, training curves."""
    results = inputs.record.results
    blocks: Blocks = []
    if results:
        rows = []
        for m in results:
            ci = None if m.ci is None else Interval(m.ci.low, m.ci.high, m.ci.level)
            n = m.n if m.n is not None else (len(m.per_seed) or None)
            value = Measure(Spread(m.value, m.std), m.unit or None)
            rows.append([Directed(m.name, m.higher_is_better), m.split or None, value, ci, n])
        columns = [
            Column("Metric"),
            Column("Split"),
            Column("Value (mean ± std)", numeric=True),
            Column("95% CI", numeric=True),
            Column("n", numeric=True),
        ]
        blocks.append(Table(columns, rows, title="Results"))
        blocks.append(Note(RESULTS_NOTE))
        per_seed = [
            [m.name, m.split or None, str(seed), Number(value, 4)]
            for m in results
            for seed, value in sorted(m.per_seed.items())
        ]
        if per_seed:
            columns = [
                Column("Metric"),
                Column("Split"),
                Column("Seed", numeric=True),
                Column("Value", numeric=True),
            ]
            blocks.append(Table(columns, per_seed, title="Per-seed results"))
    else:
        blocks.append(Prose(None))
    if inputs.figures:
        history = inputs.history
        note = (
            "No metric history was given (it is read from the MLflow run when the card is "
            "rendered from one)."
            if history is None
            else "The run logged no metric history."
        )
        chart = Chart("training-curves", history) if history else None
        blocks.append(Figure(chart, note=note, title="Training curves"))
    return blocks


def ethical_considerations(inputs: CardInputs) -> Blocks:
    return [_prose(_card_text(inputs, "ethical_considerations"))]


def caveats(inputs: CardInputs) -> Blocks:
    return [
        _prose(_card_text(inputs, "limitations"), "Limitations"),
        _prose(_card_text(inputs, "caveats"), "Caveats and recommendations"),
    ]


# -- what RNN readers need ---------------------------------------------------------------------


def architecture(inputs: CardInputs) -> Blocks:
    """The recurrent layers table, embeddings, output head, tied weights and totals."""
    arch = inputs.record.architecture
    if arch is None:
        return [Prose(None)]
    columns = [
        Column("Module", code=True),
        Column("Cell"),
        Column("Input", numeric=True),
        Column("Hidden", numeric=True),
        Column("Layers", numeric=True),
        Column("Bidirectional"),
        Column("Projection", numeric=True),
        Column("Dropout", numeric=True),
        Column("Batch first"),
        Column("Bias"),
        Column("Parameters", numeric=True),
    ]
    layers = [
        [
            layer.name,
            cell_name(layer, described=False),
            layer.input_size,
            layer.hidden_size,
            layer.num_layers,
            layer.bidirectional,
            layer.proj_size or None,
            layer.dropout,
            layer.batch_first,
            layer.bias,
            layer.parameters,
        ]
        for layer in arch.recurrent_layers
    ]
    blocks: Blocks = [Table(columns, layers)]
    if arch.embeddings:
        embeddings = [
            Fact(
                clean_text(e.name),
                f"{e.num_embeddings:,} × {e.embedding_dim}"
                + ("" if e.padding_idx is None else f", padding index {e.padding_idx}"),
            )
            for e in arch.embeddings
        ]
        blocks.append(Facts(embeddings, key="Embedding", value="Vocabulary × dimension"))
    components = [Fact("Model class", arch.model_class)]
    if arch.output_head is not None:
        h = arch.output_head
        value = f"{h.kind}, {h.in_features} → {h.out_features}" + ("" if h.bias else ", no bias")
        components.append(Fact(clean_text(h.name), value))
    components += [
        Fact("Total parameters", arch.total_parameters),
        Fact("Trainable parameters", arch.trainable_parameters),
    ]
    components += [Fact("Tied weights", ", ".join(t.parameters)) for t in arch.tied_weights]
    blocks.append(Facts(components, key="Component", value="Value"))
    return blocks


def training_details(inputs: CardInputs) -> Blocks:
    """Optimizer, schedule, batch, steps, clipping, TBPTT, dropout, initialisation..."""
    record = inputs.record
    t = record.training
    if t is None:
        return [Prose(None)]
    rows = [
        Fact("Optimizer", optimizer_text(record)),
        Fact("Learning-rate schedule", schedule_text(record)),
    ]
    if t.lr_schedule and t.lr_schedule.warmup_steps is not None:
        rows.append(Fact("Warm-up steps", t.lr_schedule.warmup_steps))
    rows += [
        Fact("Loss", t.loss),
        Fact("Batch size", t.batch_size),
        Fact("Epochs", t.epochs),
        Fact("Max steps", t.max_steps),
        Fact("Sequence length", t.sequence_length),
        Fact("Truncated BPTT window", t.tbptt_length),
        Fact("Gradient clipping", clipping_text(record)),
    ]
    if t.teacher_forcing is not None:
        rows.append(Fact("Teacher forcing", teacher_forcing_text(record)))
    rows.append(Fact("Dropout", dropout_text(record)))
    rows.append(Fact("Initialisation", initialisation_text(record)))
    if t.initialisation is not None:
        rows.append(Fact("Forget-gate bias", t.initialisation.forget_gate_bias))
    rows += [
        Fact("Precision", t.precision),
        Fact("Early stopping", early_stopping_text(record)),
    ]
    search = t.hyperparameter_search
    if search is not None:
        rows.append(Fact("Hyperparameter search", search_text(record)))
        if search.space:
            rows.append(Fact("Search space", format_value(search.space)))
        if search.selected:
            rows.append(Fact("Selected", format_value(search.selected)))
    return [Facts(rows, key="Setting", value="Value")]


def flow_ratio(snapshot: GradientFlow) -> float | None:
    """Recorded first/last gradient-norm ratio, else computed from the norms when defined."""
    if snapshot.ratio_first_last is not None:
        return snapshot.ratio_first_last
    norms = snapshot.grad_norms
    if len(norms) >= 2 and norms[-1] > 0 and math.isfinite(norms[0] / norms[-1]):
        return norms[0] / norms[-1]
    return None


def _verdict(ratio: float | None) -> str | Flagged | None:
    if ratio is None:
        return None
    if ratio < VANISHING_BELOW:
        return Flagged("vanishing", "verdict-vanishing")
    if ratio > EXPLODING_ABOVE:
        return Flagged("exploding", "verdict-exploding")
    return "within range"


def _ratio(value: float | None) -> Number | None:
    return None if value is None else Number(value, 3, trim=True)


def gradient_diagnostics(inputs: CardInputs) -> Blocks | None:
    """Vanishing ratio per layer (first and latest snapshot), its plot, clipping statistics."""
    diag = inputs.record.diagnostics
    if diag is None or (not diag.gradient_flow and diag.clipping is None):
        return None
    blocks: Blocks = []
    if diag.gradient_flow:
        layers: dict[str, list[GradientFlow]] = {}
        for snapshot in diag.gradient_flow:
            layers.setdefault(snapshot.layer, []).append(snapshot)
        rows = []
        for layer, snaps in layers.items():
            snaps = sorted(snaps, key=lambda s: s.step)
            first, last = flow_ratio(snaps[0]), flow_ratio(snaps[-1])
            rows.append(
                [
                    layer,
                    len(snaps),
                    f"{snaps[0].step}–{snaps[-1].step}",
                    max(len(s.timesteps) for s in snaps),
                    _ratio(first),
                    _ratio(last),
                    _verdict(last),
                ]
            )
        explanation = (
            "Gradient flow through time: the ratio ‖∂L/∂x₀‖ / ‖∂L/∂x_T‖ of the gradient "
            "reaching each recurrent layer's input at the first and the last time step, at the "
            f"first and the latest snapshot. Below {VANISHING_BELOW:g} the gradient vanishes "
            f"before it reaches the start of the sequence; above {EXPLODING_ABOVE:g} it explodes."
        )
        columns = [
            Column("Layer", code=True),
            Column("Snapshots", numeric=True),
            Column("Training steps"),
            Column("Time steps", numeric=True),
            Column("Ratio (first)", numeric=True),
            Column("Ratio (latest)", numeric=True),
            Column("Reading"),
        ]
        blocks += [Prose([explanation]), Table(columns, rows)]
        if inputs.figures:
            blocks.append(Figure(Chart("gradient-flow", list(diag.gradient_flow))))
    if diag.clipping is not None:
        c = diag.clipping
        stats = [
            Fact("Steps observed", c.steps),
            Fact("Steps clipped", f"{c.clipped_steps} ({c.clipped_fraction:.1%})"),
            Fact("Threshold", c.threshold),
            Fact("Pre-clip norm, mean", None if c.norm_mean is None else Number(c.norm_mean)),
            Fact("Pre-clip norm, median", None if c.norm_p50 is None else Number(c.norm_p50)),
            Fact(
                "Pre-clip norm, 95th percentile",
                None if c.norm_p95 is None else Number(c.norm_p95),
            ),
            Fact("Pre-clip norm, max", None if c.norm_max is None else Number(c.norm_max)),
        ]
        blocks.append(Facts(stats, key="Statistic", value="Value", title="Gradient clipping"))
    return blocks


def environment(inputs: CardInputs) -> Blocks:
    """Software and hardware the run executed on."""
    env = inputs.record.environment
    if env is None:
        return [Prose(None)]
    device = None
    if env.device is not None:
        d = env.device
        device = f"{d.count} × {d.name or d.type}"
        extras = [x for x in (gib_text(d.memory_bytes), d.capability and f"sm {d.capability}") if x]
        if extras:
            device += f" ({', '.join(extras)})"
    cpu = env.cpu if env.cpu_count is None else f"{env.cpu or '?'} ({env.cpu_count} cores)"
    rows = [
        Fact("Python", env.python),
        Fact("PyTorch", env.torch),
        Fact("CUDA", env.cuda),
        Fact("cuDNN", env.cudnn),
        Fact("Operating system", env.os),
        Fact("CPU", cpu),
        Fact("Device", device),
    ]
    rows += [Fact(f"Package: {name}", version) for name, version in env.packages.items()]
    rows += [Fact(f"Variable: {name}", value) for name, value in env.variables.items()]
    return [Facts(rows, key="Component", value="Version")]


def reproducibility(inputs: CardInputs) -> Blocks:
    """Seeds, determinism settings, code version and command: what a rerun needs."""
    record = inputs.record
    rows = [Fact("Seeds", seeds_text(record))]
    det = record.environment.determinism if record.environment else None
    if det is None:
        rows.append(Fact("Determinism settings", None))
    else:
        for name, value in det.model_dump().items():
            rows.append(Fact(DETERMINISM_LABELS.get(name, name), value))
    prov = record.provenance
    git = prov.git if prov else None
    rows.append(Fact("Git commit", git.commit if git else None))
    if git is not None:
        if git.branch:
            rows.append(Fact("Branch", git.branch))
        if git.remote:
            rows.append(Fact("Remote", git.remote))
        state = "dirty (uncommitted changes)" if git.dirty else "clean"
        if git.diff_sha256:
            state += f", diff SHA-256 {git.diff_sha256}"
        rows.append(Fact("Working tree", state))
    if prov is not None and prov.working_directory:
        rows.append(Fact("Working directory", prov.working_directory))
    if prov is not None:
        rows.append(Fact("Wall time", duration_text(prov.wall_time_s)))
        if prov.device_hours is not None:
            rows.append(Fact("Device-hours", Number(prov.device_hours)))
    command = clean_text(shlex.join(prov.command)) if prov and prov.command else None
    return [
        Facts(rows, key="Item", value="Value"),
        Code(command, language="shell", title="Command"),
    ]


def contributions(inputs: CardInputs) -> Blocks:
    """The CRediT statement, in the card's style."""
    statement = statement_text(inputs.record, inputs.credit_style)
    return [Prose([statement] if statement else None)]


def citation(inputs: CardInputs) -> Blocks:
    text = _card_text(inputs, "citation")
    if text is None or not text.strip():
        return [Prose(None)]
    return [Code(clean_text(text).strip("\n"))]
