"""Model cards (Mitchell et al. 2019, plus what RNN readers need) for Hugging Face and the web.

Pure context builders for ``card-md`` (YAML front matter that ``huggingface_hub.ModelCard``
loads, with a ``model-index``) and ``card-html`` (self-contained, with embedded plots), and
their registrations. Values are plain dicts, lists and strings, so sandboxed user templates get
data, never model objects. Prose the record lacks is ``None``; templates show it as
``[More Information Needed]``, never as an empty string or invented text.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import yaml

from repro.record import Dataset, GradientFlow, Metric, RunRecord
from repro.render import tables
from repro.render.filters import clean_text, mean_std, sig
from repro.render.registry import OutputFormat, register

MISSING = "[More Information Needed]"
NOT_RECORDED = "not recorded"
VANISHING_BELOW = 1e-3  # ratio ||dL/dh_0|| / ||dL/dh_T|| flagged as vanishing below this
EXPLODING_ABOVE = 1e3  # ... and as exploding above this
CELL_TAGS = {"lstm": "lstm", "gru": "gru", "rnn_tanh": "elman-rnn", "rnn_relu": "elman-rnn"}
CELL_NAMES = {
    "lstm": "LSTM",
    "gru": "GRU",
    "rnn_tanh": "Elman RNN (tanh)",
    "rnn_relu": "Elman RNN (ReLU)",
}
DETERMINISM_LABELS = {
    "use_deterministic_algorithms": "torch.use_deterministic_algorithms",
    "cudnn_deterministic": "cudnn.deterministic",
    "cudnn_benchmark": "cudnn.benchmark",
    "cudnn_enabled": "cudnn.enabled",
    "cublas_workspace_config": "CUBLAS_WORKSPACE_CONFIG",
}
History = Mapping[str, Sequence[tuple[int, float]]]
Row = dict[str, Any]


# -- small formatting helpers ------------------------------------------------------------------


def paragraphs(text: str | None) -> list[str] | None:
    """Prose split at blank lines (each paragraph's lines joined); None when absent or blank."""
    if text is None or not text.strip():
        return None
    parts = [" ".join(p.split()) for p in re.split(r"\n\s*\n", clean_text(text))]
    return [p for p in parts if p] or None


def code_block(text: str | None, language: str = "") -> dict[str, str] | None:
    """Text for a fenced Markdown block, with a fence longer than any backtick run inside."""
    if text is None or not text.strip():
        return None
    body = clean_text(text).strip("\n")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return {"text": body, "fence": "`" * max(3, longest + 1), "language": language}


def _kv(label: str, value: Any) -> Row:
    """A label/value row; a value of None shows as 'not recorded'."""
    return {"label": label, "value": NOT_RECORDED if value is None else _text(value)}


def _text(value: Any) -> str:
    return clean_text(tables.format_value(value) if not isinstance(value, str) else value)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def _bytes(count: int | None) -> str | None:
    return None if count is None else f"{count / 2**30:.1f} GiB"


# -- front matter (Hugging Face card metadata) ---------------------------------------------------


def _task(record: RunRecord) -> str:
    """The model-index task type: run tag 'pipeline_tag' or 'task', the experiment, or 'other'."""
    tags = record.run.tags
    return clean_text(
        tags.get("pipeline_tag") or tags.get("task") or record.run.experiment or "other"
    )


def eval_datasets(record: RunRecord) -> list[Dataset]:
    """Datasets used for evaluation (role eval or train+eval); with no roles, all of them."""
    chosen = [d for d in record.data if d.role in ("eval", "train+eval")]
    return chosen or [d for d in record.data if d.role is None]


def title_of(record: RunRecord) -> str:
    """The card title: ``card.title``, else the run name."""
    return clean_text(record.title)


def model_index(record: RunRecord) -> list[dict[str, Any]]:
    """Hugging Face ``model-index``: one result per evaluated split, on the first eval dataset.

    Empty when the record has no results or no dataset to attach them to (the results still
    appear in the card body).
    """
    datasets = eval_datasets(record)
    if not record.results or not datasets:
        return []
    dataset = datasets[0]
    task = _task(record)
    by_split: dict[str | None, list[Metric]] = {}
    for metric in record.results:
        by_split.setdefault(metric.split, []).append(metric)
    results = []
    for split, metrics in by_split.items():
        entry: dict[str, Any] = {"type": clean_text(dataset.name), "name": clean_text(dataset.name)}
        if split is not None:
            entry["split"] = clean_text(split)
        if dataset.version is not None:
            entry["revision"] = clean_text(dataset.version)
        results.append(
            {
                "task": {"type": task, "name": task},
                "dataset": entry,
                "metrics": [
                    {
                        "type": clean_text(m.name),
                        "value": m.value,
                        "name": clean_text(f"{m.name} ({split})" if split else m.name),
                    }
                    for m in metrics
                ],
            }
        )
    return [{"name": title_of(record), "results": results}]


def front_matter(record: RunRecord) -> dict[str, Any]:
    """Card metadata as a dict (dumped with ``yaml.safe_dump``, never string-templated)."""
    data: dict[str, Any] = {}
    card = record.card
    if card and card.license:
        data["license"] = clean_text(card.license)
    if card and card.language:
        data["language"] = [clean_text(code) for code in card.language]
    data["library_name"] = "pytorch"
    tags = ["rnn"]
    if record.architecture:
        for layer in record.architecture.recurrent_layers:
            if layer.cell in CELL_TAGS:  # a custom cell gets no built-in cell's tag
                tags.append(CELL_TAGS[layer.cell])
    tags += ["pytorch", "repro"]
    data["tags"] = list(dict.fromkeys(tags))
    if record.data:
        data["datasets"] = list(dict.fromkeys(clean_text(d.name) for d in record.data))
    if record.results:
        data["metrics"] = list(dict.fromkeys(clean_text(m.name) for m in record.results))
    index = model_index(record)
    if index:
        data["model-index"] = index
    return data


def front_matter_yaml(record: RunRecord) -> str:
    """The front matter's YAML text (block style, key order kept, Unicode as is)."""
    return yaml.safe_dump(
        front_matter(record), sort_keys=False, allow_unicode=True, width=float("inf")
    )


# -- body sections ----------------------------------------------------------------------------


def cell_name(layer: Any, *, described: bool = True) -> str:
    """A layer's cell as shown: a built-in by name, a hand-written one as a custom cell (with
    the user's description when ``described``), never as a built-in type."""
    if layer.cell in CELL_NAMES:
        return CELL_NAMES[layer.cell]
    if described and layer.description:
        return f"custom cell ({clean_text(layer.description)})"
    return "custom cell"


def model_type(record: RunRecord) -> str | None:
    """'2-layer LSTM, hidden size 128' style summary of the recurrent stack."""
    if record.architecture is None:
        return None
    if not record.architecture.recurrent_layers:
        kinds = ", ".join(dict.fromkeys(m.kind for m in record.architecture.modules))
        return f"no recurrent layer ({kinds})" if kinds else "no recurrent layer"
    parts = []
    for layer in record.architecture.recurrent_layers:
        text = f"{layer.num_layers}-layer {'bidirectional ' if layer.bidirectional else ''}"
        text += cell_name(layer)
        if layer.hidden_size is not None:
            text += f", hidden size {layer.hidden_size}"
        parts.append(text)
    return "; ".join(parts)


def details_rows(record: RunRecord) -> list[Row]:
    """Model details: what, who, when, under which licence."""
    run = record.run
    arch = record.architecture
    rows = [
        _kv("Model type", model_type(record)),
        _kv("Model class", arch.model_class if arch else None),
        _kv("Parameters", arch.total_parameters if arch else None),
        _kv("Run", run.name),
        _kv("Experiment", run.experiment),
        _kv("Status", run.status),
        _kv("Training started", _when(run.started)),
        _kv("Training ended", _when(run.ended)),
    ]
    people = [clean_text(c.full_name) for c in record.contributors]
    rows.append(_kv("Developed by", ", ".join(people) if people else None))
    license_ = record.card.license if record.card else None
    rows.append({"label": "License", "value": clean_text(license_) if license_ else MISSING})
    return rows


def metric_rows(record: RunRecord) -> list[Row]:
    """What each reported metric measures: split, direction, unit."""
    rows = []
    for m in record.results:
        direction = {True: "higher is better", False: "lower is better", None: NOT_RECORDED}
        rows.append(
            {
                "name": clean_text(m.name),
                "split": clean_text(m.split) if m.split else NOT_RECORDED,
                "direction": direction[m.higher_is_better],
                "unit": clean_text(m.unit) if m.unit else "—",
            }
        )
    return rows


def result_rows(record: RunRecord) -> list[Row]:
    """Results with their spread: mean ± std, 95% CI, number of runs, and per-seed values."""
    rows = []
    for m in record.results:
        ci = None
        if m.ci is not None:
            ci = f"[{sig(m.ci.low, 4)}, {sig(m.ci.high, 4)}] ({round(m.ci.level * 100):g}%)"
        n = m.n if m.n is not None else (len(m.per_seed) or None)
        rows.append(
            {
                "name": clean_text(m.name),
                "split": clean_text(m.split) if m.split else "—",
                "value": tables.format_value(m.value)
                if m.std is None
                else mean_std(m.value, m.std),
                "std": "—" if m.std is None else sig(m.std, 3),
                "ci": ci or "—",
                "n": "—" if n is None else str(n),
                "arrow": {True: "↑", False: "↓", None: ""}[m.higher_is_better],
                "unit": clean_text(m.unit) if m.unit else "",
                "per_seed": [
                    {"seed": str(seed), "value": sig(value, 4)}
                    for seed, value in sorted(m.per_seed.items())
                ],
            }
        )
    return rows


def dataset_info(dataset: Dataset) -> dict[str, Any]:
    """One dataset as label/value rows (only what was recorded, except the key facts)."""
    stats = dataset.sequence_length
    rows = [
        _kv("Version", dataset.version),
        _kv("Source", dataset.source),
        _kv("License", dataset.license),
        _kv("SHA-256", dataset.sha256),
        _kv("Role", dataset.role),
    ]
    if dataset.splits:
        splits = ", ".join(f"{k}: {v:,}" for k, v in dataset.splits.items())
        rows.append(_kv("Splits (examples)", splits))
    if dataset.preprocessing:
        rows.append(_kv("Preprocessing", " → ".join(dataset.preprocessing)))
    if stats is not None:
        text = f"min {stats.min}, mean {sig(stats.mean, 4)}, max {stats.max}"
        if stats.median is not None:
            text += f", median {sig(stats.median, 4)}"
        if stats.p95 is not None:
            text += f", p95 {sig(stats.p95, 4)}"
        rows.append(_kv("Sequence length", text))
    if dataset.padding is not None:
        rows.append(_kv("Padding", f"{dataset.padding.side}, value {dataset.padding.value!s}"))
    if dataset.packed is not None:
        rows.append(_kv("Packed sequences", dataset.packed))
    return {
        "name": clean_text(dataset.name),
        "role": dataset.role or "",
        "rows": rows,
    }


def architecture_info(record: RunRecord) -> dict[str, Any] | None:
    """The recurrent layers table, embeddings, output head, tied weights and totals."""
    arch = record.architecture
    if arch is None:
        return None
    layers = [
        {
            "name": clean_text(layer.name),
            "cell": cell_name(layer, described=False),
            "input_size": "—" if layer.input_size is None else str(layer.input_size),
            "hidden_size": "—" if layer.hidden_size is None else str(layer.hidden_size),
            "num_layers": str(layer.num_layers),
            "bidirectional": "yes" if layer.bidirectional else "no",
            "proj_size": str(layer.proj_size) if layer.proj_size else "—",
            "dropout": tables.format_value(layer.dropout),
            "batch_first": {True: "yes", False: "no", None: "—"}[layer.batch_first],
            "bias": {True: "yes", False: "no", None: "—"}[layer.bias],
            "parameters": "—"
            if layer.parameters is None
            else tables.format_value(layer.parameters),
        }
        for layer in arch.recurrent_layers
    ]
    embeddings = [
        _kv(
            clean_text(e.name),
            f"{e.num_embeddings:,} × {e.embedding_dim}"
            + ("" if e.padding_idx is None else f", padding index {e.padding_idx}"),
        )
        for e in arch.embeddings
    ]
    head = None
    if arch.output_head is not None:
        h = arch.output_head
        head = _kv(
            clean_text(h.name),
            f"{h.kind}, {h.in_features} → {h.out_features}" + ("" if h.bias else ", no bias"),
        )
    totals = [
        _kv("Total parameters", arch.total_parameters),
        _kv("Trainable parameters", arch.trainable_parameters),
    ]
    return {
        "model_class": clean_text(arch.model_class),
        "layers": layers,
        "embeddings": embeddings,
        "head": head,
        "tied": [", ".join(clean_text(p) for p in t.parameters) for t in arch.tied_weights],
        "totals": totals,
    }


def training_rows(record: RunRecord) -> list[Row] | None:
    """Training details: optimizer, schedule, batch, steps, clipping, TBPTT, dropout, init..."""
    t = record.training
    if t is None:
        return None
    optimizer = (
        tables.settings_text(t.optimizer.name, t.optimizer.settings) if t.optimizer else None
    )
    rows = [
        _kv("Optimizer", optimizer),
        _kv("Learning-rate schedule", tables.schedule_text(record)),
    ]
    if t.lr_schedule and t.lr_schedule.warmup_steps is not None:
        rows.append(_kv("Warm-up steps", t.lr_schedule.warmup_steps))
    rows += [
        _kv("Loss", t.loss),
        _kv("Batch size", t.batch_size),
        _kv("Epochs", t.epochs),
        _kv("Max steps", t.max_steps),
        _kv("Sequence length", t.sequence_length),
        _kv("Truncated BPTT window", t.tbptt_length),
        _kv("Gradient clipping", tables.clipping_text(record)),
    ]
    if t.teacher_forcing is not None:
        rows.append(_kv("Teacher forcing", tables.teacher_forcing_text(record)))
    # the per-module placement list (record schema 2.0) is not shown by this card yet
    dropout = t.dropout.model_dump(exclude_none=True, exclude={"modules"}) if t.dropout else {}
    rows.append(_kv("Dropout", tables.format_value(dropout) if dropout else None))
    init = t.initialisation
    if init is None:
        rows.append(_kv("Initialisation", None))
    else:
        text = init.scheme + (f" ({tables.format_value(init.details)})" if init.details else "")
        rows.append(_kv("Initialisation", text))
        rows.append(_kv("Forget-gate bias", init.forget_gate_bias))
    rows += [
        _kv("Precision", t.precision),
        _kv("Early stopping", tables.early_stopping_text(record)),
    ]
    search = t.hyperparameter_search
    if search is not None:
        rows.append(_kv("Hyperparameter search", tables.search_text(record)))
        if search.space:
            rows.append(_kv("Search space", tables.format_value(search.space)))
        if search.selected:
            rows.append(_kv("Selected", tables.format_value(search.selected)))
    return rows


def environment_rows(record: RunRecord) -> list[Row] | None:
    """Software and hardware the run executed on."""
    env = record.environment
    if env is None:
        return None
    device = None
    if env.device is not None:
        d = env.device
        device = f"{d.count} × {d.name or d.type}"
        extras = [x for x in (_bytes(d.memory_bytes), d.capability and f"sm {d.capability}") if x]
        if extras:
            device += f" ({', '.join(extras)})"
    rows = [
        _kv("Python", env.python),
        _kv("PyTorch", env.torch),
        _kv("CUDA", env.cuda),
        _kv("cuDNN", env.cudnn),
        _kv("Operating system", env.os),
        _kv(
            "CPU", env.cpu if env.cpu_count is None else f"{env.cpu or '?'} ({env.cpu_count} cores)"
        ),
        _kv("Device", device),
    ]
    rows += [_kv(f"Package: {name}", version) for name, version in env.packages.items()]
    rows += [_kv(f"Variable: {name}", value) for name, value in env.variables.items()]
    return rows


def reproducibility_rows(record: RunRecord) -> list[Row]:
    """Seeds, determinism settings, code version and command: what a rerun needs."""
    rows = [_kv("Seeds", tables.seeds_text(record))]
    det = record.environment.determinism if record.environment else None
    if det is None:
        rows.append(_kv("Determinism settings", None))
    else:
        for name, value in det.model_dump().items():
            rows.append(_kv(DETERMINISM_LABELS.get(name, name), value))
    prov = record.provenance
    git = prov.git if prov else None
    rows.append(_kv("Git commit", git.commit if git else None))
    if git is not None:
        if git.branch:
            rows.append(_kv("Branch", git.branch))
        if git.remote:
            rows.append(_kv("Remote", git.remote))
        state = "dirty (uncommitted changes)" if git.dirty else "clean"
        if git.diff_sha256:
            state += f", diff SHA-256 {git.diff_sha256}"
        rows.append(_kv("Working tree", state))
    if prov is not None and prov.working_directory:
        rows.append(_kv("Working directory", prov.working_directory))
    if prov is not None:
        rows.append(_kv("Wall time", _duration(prov.wall_time_s)))
        if prov.device_hours is not None:
            rows.append(_kv("Device-hours", sig(prov.device_hours, 3)))
    return rows


def command_of(record: RunRecord) -> dict[str, str] | None:
    """The training command line as a shell-quoted code block."""
    prov = record.provenance
    if prov is None or not prov.command:
        return None
    return code_block(shlex.join(prov.command), "shell")


def flow_ratio(snapshot: GradientFlow) -> float | None:
    """Recorded first/last gradient-norm ratio, else computed from the norms when defined."""
    if snapshot.ratio_first_last is not None:
        return snapshot.ratio_first_last
    norms = snapshot.grad_norms
    if len(norms) >= 2 and norms[-1] > 0 and math.isfinite(norms[0] / norms[-1]):
        return norms[0] / norms[-1]
    return None


def _verdict(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    if ratio < VANISHING_BELOW:
        return "vanishing"
    if ratio > EXPLODING_ABOVE:
        return "exploding"
    return "within range"


def diagnostics_info(record: RunRecord) -> dict[str, Any] | None:
    """Vanishing ratio per layer (first and latest snapshot) and clipping statistics."""
    diag = record.diagnostics
    if diag is None or (not diag.gradient_flow and diag.clipping is None):
        return None
    layers: dict[str, list[GradientFlow]] = {}
    for snapshot in diag.gradient_flow:
        layers.setdefault(snapshot.layer, []).append(snapshot)
    flow = []
    for layer, snaps in layers.items():
        snaps = sorted(snaps, key=lambda s: s.step)
        first, last = flow_ratio(snaps[0]), flow_ratio(snaps[-1])
        flow.append(
            {
                "layer": clean_text(layer),
                "snapshots": str(len(snaps)),
                "steps": f"{snaps[0].step}–{snaps[-1].step}",
                "timesteps": str(max(len(s.timesteps) for s in snaps)),
                "first_ratio": "—" if first is None else f"{first:.3g}",
                "last_ratio": "—" if last is None else f"{last:.3g}",
                "verdict": _verdict(last),
            }
        )
    clipping = None
    if diag.clipping is not None:
        c = diag.clipping
        clipping = [
            _kv("Steps observed", c.steps),
            _kv("Steps clipped", f"{c.clipped_steps} ({c.clipped_fraction:.1%})"),
            _kv("Threshold", c.threshold),
            _kv("Pre-clip norm, mean", None if c.norm_mean is None else sig(c.norm_mean, 3)),
            _kv("Pre-clip norm, median", None if c.norm_p50 is None else sig(c.norm_p50, 3)),
            _kv(
                "Pre-clip norm, 95th percentile", None if c.norm_p95 is None else sig(c.norm_p95, 3)
            ),
            _kv("Pre-clip norm, max", None if c.norm_max is None else sig(c.norm_max, 3)),
        ]
    return {
        "flow": flow,
        "clipping": clipping,
        "vanishing_below": f"{VANISHING_BELOW:g}",
        "exploding_above": f"{EXPLODING_ABOVE:g}",
    }


def contribution_statement(record: RunRecord, style: str) -> str | None:
    """The CRediT statement (format ``credit-text``), or None without contributors/roles."""
    if not any(c.roles for c in record.contributors):
        return None
    from repro.render.api import render

    return clean_text(render(record, "credit-text", style=style)).strip() or None


def card_context(record: RunRecord, *, credit_style: str = "elsevier") -> dict[str, Any]:
    """Template variables shared by the Markdown and HTML cards (pure: record in, data out)."""
    from repro import __version__

    card = record.card
    prose = {
        name: paragraphs(getattr(card, name) if card else None)
        for name in (
            "summary",
            "intended_use",
            "out_of_scope_use",
            "factors",
            "limitations",
            "ethical_considerations",
            "caveats",
        )
    }
    prose["description"] = paragraphs(record.run.description)
    evaluation = [dataset_info(d) for d in eval_datasets(record)]
    training_data = [dataset_info(d) for d in record.data if d.role in ("train", "train+eval")]
    return {
        "missing": MISSING,
        "title": title_of(record),
        "run_name": clean_text(record.run.name),
        "prose": prose,
        "details": details_rows(record),
        "metrics": metric_rows(record),
        "evaluation_data": evaluation,
        "training_data": training_data,
        "results": result_rows(record),
        "has_per_seed": any(m.per_seed for m in record.results),
        "architecture": architecture_info(record),
        "training": training_rows(record),
        "environment": environment_rows(record),
        "reproducibility": reproducibility_rows(record),
        "command": command_of(record),
        "diagnostics": diagnostics_info(record),
        "contributions": contribution_statement(record, credit_style),
        "citation": code_block(card.citation if card else None),
        "generator": f"repro {__version__}",
    }


def card_md_context(record: RunRecord, *, credit_style: str = "elsevier") -> dict[str, Any]:
    """``card-md``: the shared context plus the YAML front matter text."""
    return {
        **card_context(record, credit_style=credit_style),
        "front_matter": front_matter_yaml(record),
    }


def key_facts(record: RunRecord) -> list[Row]:
    """A few headline facts for the top of the HTML card."""
    facts = []
    kind = model_type(record)
    if kind:
        facts.append({"label": "Model", "value": kind})
    if record.architecture and record.architecture.total_parameters is not None:
        facts.append({"label": "Parameters", "value": f"{record.architecture.total_parameters:,}"})
    for m in record.results[:3]:
        label = clean_text(f"{m.name} ({m.split})" if m.split else m.name)
        value = tables.format_value(m.value) if m.std is None else mean_std(m.value, m.std)
        facts.append({"label": label, "value": value})
    if record.provenance and record.provenance.git:
        git = record.provenance.git
        facts.append(
            {"label": "Commit", "value": git.commit[:10] + (" (dirty)" if git.dirty else "")}
        )
    return facts


def _plot_data(plot: Any) -> dict[str, str] | None:
    if plot is None:
        return None
    return {"title": plot.title, "alt": plot.alt, "caption": plot.caption, "uri": plot.uri}


def card_html_context(
    record: RunRecord,
    *,
    history: History | None = None,
    credit_style: str = "elsevier",
) -> dict[str, Any]:
    """``card-html``: the shared context plus key facts and plots as ``data:`` URIs."""
    context = card_context(record, credit_style=credit_style)
    curves = flow = None
    if history:  # matplotlib is imported only when there is something to draw
        from repro.render.plots import training_curves

        curves = training_curves(history)
    if record.diagnostics and record.diagnostics.gradient_flow:
        from repro.render.plots import gradient_flow

        flow = gradient_flow(record.diagnostics.gradient_flow)
    context.update(
        key_facts=key_facts(record),
        tags=front_matter(record)["tags"],
        curves=_plot_data(curves),
        flow_plot=_plot_data(flow),
        history_given=history is not None,
    )
    return context


CARD_MD = register(
    OutputFormat(
        name="card-md",
        template="card/card.md.j2",
        context=card_md_context,
        accepts=(RunRecord,),
        suffix=".md",
        media_type="text/markdown",
        autoescape=False,
        description="Model card in Markdown with Hugging Face YAML front matter (model-index).",
    )
)

CARD_HTML = register(
    OutputFormat(
        name="card-html",
        template="card/card.html.j2",
        context=card_html_context,
        accepts=(RunRecord,),
        suffix=".html",
        media_type="text/html",
        autoescape=True,
        description="Self-contained HTML model card with training-curve and gradient-flow plots.",
    )
)
