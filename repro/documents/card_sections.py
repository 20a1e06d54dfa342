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
    Citation,
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
    NOT_RECORDED,
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
    CELL_NAMES,
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
from repro.record import Dataset, Diagnostics, FlowSummary, GradientFlow, RunRecord

History = Mapping[str, Sequence[tuple[int, float]]]
Blocks = list[Block]

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


def _same_text(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.split()) == " ".join(b.split())


def model_details(inputs: CardInputs) -> Blocks:
    """What, who, when, under which licence; where the model's code lives."""
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
    summary = record.card.summary if record.card else None
    # the card's summary is printed under its title; the run's description only when it says more
    description = None if _same_text(run.description, summary) else paragraphs(run.description)
    return [*([Prose(description)] if description else []), Facts(rows)]


def model_sources(inputs: CardInputs) -> Blocks:
    """The Hub template's model sources: the code repository (and commit) where recorded."""
    prov = inputs.record.provenance
    git = prov.git if prov else None
    repository = None
    if git is not None and git.remote:
        repository = f"{git.remote} (commit {git.commit[:12]})"
    sources = [
        Fact("Repository", repository, absent="needed"),
        Fact("Paper", None, absent="needed"),
        Fact("Demo", None, absent="needed"),
    ]
    return [Facts(sources, key="Source", value="Link")]


def how_to_get_started(inputs: CardInputs) -> Blocks:
    """The Hub template's "How to get started": prose only the author can write, and where
    to find what reproduces the training."""
    return [
        Prose(None),
        Note(
            "The command, code version and seeds that trained this model are recorded.",
            see=("reproducibility", "Reproducibility"),
        ),
    ]


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
    """The recurrent layers table (custom cells named and described in the user's words), the
    other significant modules (all a recurrent-free model has), embeddings, output head, tied
    weights and totals."""
    arch = inputs.record.architecture
    if arch is None:
        return [Prose(None)]
    blocks: Blocks = []
    if arch.recurrent_layers:
        columns = [
            Column("Module", code=True),
            Column("Cell"),
            Column("Input", numeric=True, absent="not-recorded"),
            Column("Hidden", numeric=True, absent="not-recorded"),
            Column("Layers", numeric=True),
            Column("Bidirectional"),
            Column("Projection", numeric=True),
            Column("Dropout", numeric=True),
            Column("Batch first"),
            Column("Bias", absent="not-recorded"),
            Column("Parameters", numeric=True, absent="not-recorded"),
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
        blocks.append(Table(columns, layers))
        custom = [layer for layer in arch.recurrent_layers if layer.cell not in CELL_NAMES]
        if custom:
            blocks.append(
                Facts(
                    [
                        Fact(
                            clean_text(layer.name),
                            custom_cell_text(layer.module_class, layer.description, layer.kind),
                        )
                        for layer in custom
                    ],
                    key="Custom cell",
                    value="What it computes (the user's description)",
                    title="Custom cells",
                )
            )
    else:
        kinds = ", ".join(dict.fromkeys(m.kind for m in arch.modules))
        text = "The model has no recurrent layer"
        blocks.append(
            Note(f"{text}: its significant modules are {kinds}." if kinds else text + ".")
        )
    if arch.modules:
        columns = [
            Column("Module", code=True),
            Column("Kind"),
            Column("Settings"),
            Column("Parameters", numeric=True, absent="not-recorded"),
        ]
        rows = [
            [m.name, m.kind, format_value(m.settings) if m.settings else None, m.parameters]
            for m in arch.modules
        ]
        title = "Other modules" if arch.recurrent_layers else "Modules"
        blocks.append(Table(columns, rows, title=title))
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


def custom_cell_text(module_class: str | None, description: str | None, kind: str) -> str:
    """A hand-written cell: its class and the user's description, or that none was given."""
    what = f"{module_class.rsplit('.', 1)[-1]} ({kind})" if module_class else f"a {kind}"
    said = description or f"description {NOT_RECORDED}"
    return f"{what}: {said}"


def dropout_modules(inputs: CardInputs) -> Table | None:
    """Where each dropout module of the model was applied, as seen while training."""
    dropout = inputs.record.training.dropout if inputs.record.training else None
    if dropout is None or not dropout.modules:
        return None
    rows = []
    for module in dropout.modules:
        places = [
            f"{p.placement.replace('_', ' ')} (after {p.after or 'the input'}, "
            f"before {p.before or 'the output'})"
            for p in module.positions
        ]
        applied = "; ".join(places) if places else None
        rows.append([module.name, module.kind, Number(module.p, 3, trim=True), applied])
    columns = [
        Column("Module", code=True),
        Column("Kind"),
        Column("p", numeric=True),
        Column("Applied", absent="not-recorded"),
    ]
    return Table(columns, rows, title="Dropout modules")


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
    observed = t.observed
    if observed is not None:
        rows += [
            Fact(label, value)
            for label, value in (
                ("Optimizer steps (observed)", observed.optimizer_steps),
                ("Epochs (observed)", observed.epochs),
                ("Final learning rate (observed)", observed.final_lr),
            )
            if value is not None
        ]
    placement = dropout_modules(inputs)
    return [Facts(rows, key="Setting", value="Value"), *([placement] if placement else [])]


STEP_UNITS = {
    "optimizer_step": "Training steps count optimizer steps (optimizer.step() calls of an "
    "optimizer holding the model's parameters); a snapshot is taken in a step's first training "
    "forward.",
    "training_forward": "No optimizer step was seen (parameters updated by hand), so training "
    "steps count the watched model's training forward passes; a cell watched on its own has no "
    "forward of its own and its steps stay 0.",
}
BOTH_DIRECTIONS = (
    "Direction both: the layer is bidirectional and its input gradient could not be split by "
    "direction (stacked layers or a packed input), so the curve is the sum of both directions' "
    "contributions, read from the last position like a forward one; its verdict mixes the two."
)
FLOW_EXPLANATION = (
    "Gradient flow through time: the norm of the loss gradient reaching each watched layer's "
    "input d time steps before the last step the layer processed, divided by its norm at that "
    "step (d = 0). The verdict reads that ratio at one distance d; the rate is the factor the "
    "norm changes by per step back (< 1 decays); the horizon is the first d at which the norm "
    "falls below the stated fraction of its value at d = 0 ('> T−1': never within the sequence)."
)


def _threshold(value: float) -> str:
    """``1e-3`` / ``1e3`` for a power of ten, else the number's short form."""
    exponent = math.log10(value) if value > 0 else 0.0
    return f"1e{round(exponent)}" if exponent == round(exponent) else f"{value:g}"


def flow_reading(summary: FlowSummary | None) -> str | Flagged:
    """A curve's verdict and ratio, ``vanishing: 2.1e-05 at d = 50 (vanishing < 1e-3,
    exploding > 1e3)``; an absent verdict says that no gradient reached the last step."""
    if summary is None:
        return "no reading: one step, or no snapshot, so no flow through time to read"
    rule = (
        f"(vanishing < {_threshold(summary.vanishing_below)}, "
        f"exploding > {_threshold(summary.exploding_above)})"
    )
    if summary.verdict is None:
        return f"no verdict: no gradient reached the last step {rule}"
    ratio = "not finite" if summary.ratio is None else f"{summary.ratio:.3g}"
    text = f"{summary.verdict}: {ratio} at d = {summary.distance} {rule}"
    if summary.verdict == "stable":
        return text
    return Flagged(text, f"verdict-{summary.verdict}")


def flow_horizon(summary: FlowSummary | None) -> str | None:
    """The memory horizon ``d = 12``, or ``> T−1`` (with T) when the norm never fell so low."""
    if summary is None:
        return None
    fraction = f"{summary.horizon_fraction:g} of d = 0"
    if summary.horizon is None:
        return f"> {summary.length - 1} (T−1; {fraction})"
    return f"d = {summary.horizon} ({fraction})"


def flow_rate(summary: FlowSummary | None) -> str | None:
    if summary is None or summary.rate_per_step is None:
        return None
    return f"× {summary.rate_per_step:.3g} per step ({summary.fit_points} points)"


def _layer_rows(diag: Diagnostics) -> list[list[object]]:
    rows: list[list[object]] = []
    for layer in diag.gradient_flow_layers:
        steps = (
            None
            if layer.first_step is None
            else f"{layer.first_step}–{layer.latest_step}"
            if layer.latest_step != layer.first_step
            else str(layer.first_step)
        )
        first = flow_reading(layer.initial) if layer.snapshots > 1 else None
        rows.append(
            [
                layer.layer,
                layer.direction,
                layer.module,
                layer.snapshots,
                steps,
                flow_reading(layer.latest) if layer.snapshots else "no snapshot taken",
                first,
                flow_horizon(layer.latest),
                flow_rate(layer.latest),
            ]
        )
    return rows


def _unread_rows(diag: Diagnostics) -> list[list[object]]:
    """Layers of a record whose snapshots carry no reading (written before repro read them)."""
    by_layer: dict[tuple[str, str], list[GradientFlow]] = {}
    for snapshot in diag.gradient_flow:
        by_layer.setdefault((snapshot.layer, snapshot.direction), []).append(snapshot)
    rows: list[list[object]] = []
    for (layer, direction), snaps in by_layer.items():
        ordered = sorted(snaps, key=lambda s: s.step)
        latest, first = ordered[-1], ordered[0]
        steps = f"{first.step}–{latest.step}" if len(ordered) > 1 else str(first.step)
        rows.append(
            [
                layer,
                direction,
                latest.module,
                len(ordered),
                steps,
                flow_reading(latest.summary)
                if latest.summary
                else "not read (the record holds no reading of this curve)",
                flow_reading(first.summary) if len(ordered) > 1 and first.summary else None,
                flow_horizon(latest.summary),
                flow_rate(latest.summary),
            ]
        )
    return rows


def gradient_diagnostics(inputs: CardInputs) -> Blocks | None:
    """Per watched layer and direction: the latest verdict beside the first snapshot's, the
    horizon and the decay rate, what the step numbers count; its plot; clipping statistics."""
    diag = inputs.record.diagnostics
    if diag is None or (
        not diag.gradient_flow and not diag.gradient_flow_layers and diag.clipping is None
    ):
        return None
    blocks: Blocks = []
    watch = diag.gradient_flow_watch
    rows = _layer_rows(diag) if diag.gradient_flow_layers else _unread_rows(diag)
    if rows:
        columns = [
            Column("Layer", code=True),
            Column("Direction"),
            Column("Module", absent="not-recorded"),
            Column("Snapshots", numeric=True),
            Column("Training steps", absent="none"),
            Column("Latest reading"),
            Column("First snapshot", absent="none"),
            Column("Horizon", absent="none"),
            Column("Rate", absent="none"),
        ]
        blocks += [Prose([FLOW_EXPLANATION]), Table(columns, rows)]
        notes = []
        if watch is not None:
            notes.append(STEP_UNITS[watch.step_unit])
            if watch.every is not None:
                notes.append(f"A snapshot was taken every {watch.every} steps.")
            if watch.unmeasured_calls:
                notes.append(
                    f"{watch.unmeasured_calls} sampled call(s) could not be measured (input "
                    "passed by keyword, or not a floating-point tensor): no snapshot came of them."
                )
            if watch.nonfinite_snapshots:
                notes.append(
                    f"{watch.nonfinite_snapshots} snapshot(s) overflowed (a gradient that was "
                    "not finite)."
                )
        else:
            notes.append("How the training steps were counted was not recorded.")
        if any(row[1] == "both" for row in rows):
            notes.append(BOTH_DIRECTIONS)
        blocks += [Note(note) for note in notes]
        if inputs.figures:
            by_layer: dict[str, list[GradientFlow]] = {}
            for snapshot in diag.gradient_flow:
                by_layer.setdefault(snapshot.layer, []).append(snapshot)
            layers = list(dict.fromkeys(str(row[0]) for row in rows))
            for layer in layers:
                snaps = by_layer.get(layer, [])
                note = None if snaps else f"No snapshot of {clean_text(layer)} was recorded."
                chart = Chart("gradient-flow", snaps) if snaps else None
                title = f"Gradient flow: {clean_text(layer)}" if len(layers) > 1 else None
                blocks.append(Figure(chart, note=note, title=title))
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
        extras = [
            x
            for x in (
                gib_text(d.memory_bytes),
                d.capability and f"sm {d.capability}",
                d.driver and f"driver {d.driver}",
            )
            if x
        ]
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


def device_text(record: RunRecord) -> str | None:
    """``1 × NVIDIA H100 80GB HBM3`` (or the CPU model for a CPU run); None if not recorded."""
    env = record.environment
    if env is None or env.device is None:
        return None
    d = env.device
    name = d.name or (env.cpu if d.type == "cpu" and env.cpu else d.type)
    return f"{d.count} × {name}"


def environmental_impact(inputs: CardInputs) -> Blocks:
    """The Hub template's section (Lacoste et al. 2019): hardware, device-hours, region, and
    energy and CO2-equivalent where measured, else "not measured" with the reason."""
    record = inputs.record
    prov = record.provenance
    emissions = prov.emissions if prov else None
    measured = emissions is not None and emissions.measured
    region = None
    if emissions is not None and (emissions.region or emissions.country):
        region = ", ".join(x for x in (emissions.region, emissions.country) if x)
    absent = "not-measured" if emissions is not None else "not-recorded"
    rows = [
        Fact("Hardware type", device_text(record)),
        Fact(
            "Device-hours",
            None if prov is None or prov.device_hours is None else Number(prov.device_hours),
        ),
        Fact("Wall time", duration_text(prov.wall_time_s) if prov else None),
        Fact("Cloud provider", None),
        Fact("Compute region", region),
        Fact(
            "Energy consumed",
            Measure(Number(emissions.energy_kwh), "kWh")
            if measured and emissions.energy_kwh is not None  # type: ignore[union-attr]
            else None,
            absent=absent,
        ),
        Fact(
            "Carbon emitted (CO2-equivalent)",
            Measure(Number(emissions.co2_eq_kg), "kg")
            if measured and emissions.co2_eq_kg is not None  # type: ignore[union-attr]
            else None,
            absent=absent,
        ),
    ]
    if measured and emissions.tool:  # type: ignore[union-attr]
        rows.append(Fact("Measured with", emissions.tool))  # type: ignore[union-attr]
    blocks: Blocks = [Facts(rows, key="Item", value="Value")]
    if emissions is not None and not emissions.measured:
        reason = emissions.reason or NOT_RECORDED
        blocks.append(Note(f"Energy and emissions were not measured: {clean_text(reason)}."))
    return blocks


def record_warnings(inputs: CardInputs) -> Blocks | None:
    """What the record itself doubts: stated values that contradict what was observed, modules
    repro could not classify, facts it could not read. Left out when there are none."""
    warnings = inputs.record.warnings
    if not warnings:
        return None
    columns = [
        Column("Field", code=True),
        Column("Warning"),
        Column("Stated"),
        Column("Observed"),
    ]
    rows = [
        [
            w.path,
            w.message,
            None if w.stated is None else format_value(w.stated),
            None if w.observed is None else format_value(w.observed),
        ]
        for w in warnings
    ]
    intro = (
        "Doubts found while capturing and running. Where a stated value and an observed one "
        "disagree, the record keeps the stated value; the observed one is shown beside it."
    )
    return [Prose([intro]), Table(columns, rows)]


def citation(inputs: CardInputs) -> Blocks:
    """How to cite: the user's citation as given (verbatim when it is BibTeX), and a BibTeX
    entry built from what the record holds (title, authors, year, repository)."""
    record = inputs.record
    text = _card_text(inputs, "citation")
    given = clean_text(text).strip("\n") if text and text.strip() else None
    if given is not None and given.lstrip().startswith("@"):
        return [Code(given, language="bibtex", title="BibTeX")]
    blocks: Blocks = [Prose(paragraphs(given))] if given else []
    if record.contributors and record.card and record.card.title:
        from repro.documents.credit import bibtex_key, statement

        people = statement(record)
        git = record.provenance.git if record.provenance else None
        blocks.append(
            Citation(
                key=bibtex_key(people),
                title=people.title or clean_text(record.title),
                authors=list(people.contributors),
                year=record.year,
                url=git.remote if git and git.remote else None,
                title_block="BibTeX",
            )
        )
    return blocks or [Prose(None)]


def model_card_authors(inputs: CardInputs) -> Blocks:
    """Who wrote the card: only the author can say (repro wrote it from the record)."""
    return [Prose(None)]


def model_card_contact(inputs: CardInputs) -> Blocks:
    """The corresponding contributors and their e-mail, where recorded."""
    people = [c for c in inputs.record.contributors if c.corresponding]
    if not people:
        return [Prose(None)]
    rows = [Fact(clean_text(c.full_name), c.email) for c in people]
    return [Facts(rows, key="Corresponding author", value="E-mail")]
