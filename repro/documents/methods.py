"""A methods paragraph (``methods-md``, ``methods-latex``): the training details of a group of
runs as prose a paper can start from.

Every sentence is made from one part of the records (architecture, data, optimizer, schedule,
clipping, ...) and is left out when the records do not hold it; what is left out is listed as
not recorded, never guessed (no "constant learning rate" for a schedule nobody recorded). A
value that differs between the runs of a group is given for each run, not averaged. Numbers are
written as recorded (``format_value``); the only counted number is how many runs a group has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from repro.documents.formatting import format_value, join_oxford, seed_list
from repro.documents.phrases import (
    cell_name,
    early_stopping_text,
    optimizer_text,
    schedule_named,
    seed_of,
    training_of,
)
from repro.errors import InvalidInputError
from repro.record import RunRecord
from repro.report.grouping import config_fields, config_fingerprint, distinct_labels


@dataclass(frozen=True)
class Sentence:
    """One sentence of the paragraph and the record part it states (``topic``)."""

    topic: str
    text: str


@dataclass(frozen=True)
class MethodsGroup:
    """The paragraph of one configuration: its label (None when only one), runs, sentences,
    and the topics its records do not hold."""

    label: str | None
    runs: list[str]
    sentences: list[Sentence]
    not_recorded: list[str]


@dataclass(frozen=True)
class MethodsDocument:
    """``shared``: the sentences every configuration's records give alike (said once, before
    the groups, when there are several); each group then holds only its own."""

    groups: list[MethodsGroup]
    title: str
    shared: list[Sentence] = field(default_factory=list)
    shared_not_recorded: list[str] = field(default_factory=list)


# Topic -> how the not-recorded list names it.
TOPICS = {
    "architecture": "the architecture",
    "parameters": "the parameter count",
    "data": "the data",
    "optimizer": "the optimizer",
    "batch": "the batch size",
    "length": "the training length (epochs or steps)",
    "loss": "the loss",
    "schedule": "the learning-rate schedule",
    "clipping": "gradient clipping",
    "bptt": "the BPTT or sequence length",
    "dropout": "dropout",
    "initialisation": "the initialisation",
    "early_stopping": "early stopping",
    "precision": "the numerical precision",
    "search": "how hyperparameters were chosen",
    "seeds": "the seeds",
    "environment": "the software and hardware",
}


def _per_run(records: Sequence[RunRecord], make: Callable[[RunRecord], str | None]) -> str | None:
    """The phrase ``make`` gives every run; where runs differ, each distinct phrase with the
    runs it belongs to; None when no run holds it."""
    phrases = [make(r) for r in records]
    if all(p is None for p in phrases):
        return None
    distinct = list(dict.fromkeys(phrases))
    if len(distinct) == 1:
        return distinct[0]
    parts = []
    for phrase in distinct:
        names = [r.run.name for r, p in zip(records, phrases, strict=True) if p == phrase]
        parts.append(f"{phrase if phrase is not None else 'not recorded'} ({', '.join(names)})")
    return "varying between runs: " + "; ".join(parts)


def _model(record: RunRecord) -> str | None:
    arch = record.architecture
    if arch is None:
        return None
    if not arch.recurrent_layers:
        kinds = join_oxford(dict.fromkeys(m.kind for m in arch.modules)) if arch.modules else ""
        return f"a model without recurrent layers ({kinds})" if kinds else None
    parts = []
    for layer in arch.recurrent_layers:
        text = f"{layer.num_layers}-layer " if layer.num_layers > 1 else ""
        text += "bidirectional " if layer.bidirectional else ""
        text += cell_name(layer)
        facts = []
        if layer.hidden_size is not None:
            facts.append(f"hidden size {layer.hidden_size}")
        if layer.input_size is not None:
            facts.append(f"input size {layer.input_size}")
        if layer.proj_size:
            facts.append(f"projection size {layer.proj_size}")
        if layer.num_layers > 1 and layer.dropout:
            facts.append(f"dropout {format_value(layer.dropout)} between its layers")
        parts.append(f"{article(text)} {text}" + (f" with {join_oxford(facts)}" if facts else ""))
    return "; ".join(parts) if len(parts) > 2 else join_oxford(parts)


def article(phrase: str) -> str:
    """'a' or 'an' before ``phrase`` as it is read aloud: an LSTM, an Elman RNN, a GRU."""
    first = phrase[:1]
    if not first:
        return "a"
    if first.isdigit():
        return "an" if phrase.startswith(("8", "11-", "18-")) else "a"
    word = phrase.split()[0].strip("(")
    if word.isupper() and len(word) > 1:  # an acronym, read letter by letter
        return "an" if first in "AEFHILMNORSX" else "a"
    return "an" if first.lower() in "aeiou" else "a"


def _architecture(record: RunRecord) -> str | None:
    model = _model(record)
    if model is None:
        return None
    arch = record.architecture
    assert arch is not None
    text = f"The model is {model}"
    for embedding in arch.embeddings:
        text += (
            f", fed by an embedding of {embedding.num_embeddings} entries of dimension "
            f"{embedding.embedding_dim}"
        )
    head = arch.output_head
    if head is not None:
        text += (
            f", followed by {article(head.kind)} {head.kind} output layer ({head.in_features} "
            f"to {head.out_features} features)"
        )
    if arch.tied_weights:
        tied = "; ".join(" and ".join(t.parameters) for t in arch.tied_weights)
        text += f"; the weights of {tied} are tied"
    return text + "."


def _parameters(record: RunRecord) -> str | None:
    arch = record.architecture
    if arch is None or arch.total_parameters is None:
        return None
    text = f"The model has {arch.total_parameters:,} parameters"
    trainable = arch.trainable_parameters
    if trainable is not None and trainable != arch.total_parameters:
        text += f", {trainable:,} of them trainable"
    return text + "."


def _data(record: RunRecord) -> str | None:
    if not record.data:
        return None
    parts = []
    for dataset in record.data:
        text = dataset.name + (f" (version {dataset.version})" if dataset.version else "")
        if dataset.splits:
            splits = ", ".join(f"{n:,} {split}" for split, n in dataset.splits.items())
            text += f", with {splits} examples"
        lengths = dataset.sequence_length
        if lengths is not None:
            if lengths.min == lengths.max:
                text += f", sequences of length {lengths.min}"
            else:
                text += (
                    f", sequence lengths {lengths.min} to {lengths.max} "
                    f"(mean {format_value(lengths.mean)})"
                )
        if dataset.preprocessing and dataset.preprocessing != ["none"]:
            text += f", preprocessing: {'; '.join(dataset.preprocessing)}"
        parts.append(text)
    return f"The data: {'; '.join(parts)}."


def _optimizer(record: RunRecord) -> str | None:
    text = optimizer_text(record)
    return None if text is None else f"Training used the {text} optimizer"


def _batch(record: RunRecord) -> str | None:
    size = training_of(record).batch_size
    return None if size is None else f"batches of {size}"


def _length(record: RunRecord) -> str | None:
    training = training_of(record)
    if training.epochs is not None:
        return f"{training.epochs} epochs"
    if training.max_steps is not None:
        return f"a budget of {training.max_steps} steps"
    return None


def _steps(record: RunRecord) -> str | None:
    observed = training_of(record).observed
    if observed is None or observed.optimizer_steps is None:
        return None
    return f"{observed.optimizer_steps} optimizer steps"


def _loss(record: RunRecord) -> str | None:
    loss = training_of(record).loss
    return None if loss is None else f"The loss was {loss}."


def _schedule(record: RunRecord) -> str | None:
    schedule = training_of(record).lr_schedule
    if schedule is None:
        return None
    name, listed = schedule_named(schedule)
    text = f"The learning rate followed a {name} schedule" + (f" ({listed})" if listed else "")
    if schedule.interval:
        text += f", updated every {schedule.interval}"
    if schedule.warmup_steps:
        text += f", after {schedule.warmup_steps} warm-up steps"
    return text + "."


def _clipping(record: RunRecord) -> str | None:
    clip = training_of(record).gradient_clipping
    if clip is None:
        return None
    if clip.kind == "none":
        return "Gradients were not clipped."
    if clip.threshold is None:
        return f"Gradients were clipped by {clip.kind} (threshold not recorded)."
    if clip.kind == "value":
        return f"Gradients were clipped to values within ±{format_value(clip.threshold)}."
    norm = "" if clip.norm_type is None else f"{format_value(clip.norm_type)}-"
    return f"Gradients were clipped to a {norm}norm of at most {format_value(clip.threshold)}."


def _bptt(record: RunRecord) -> str | None:
    training = training_of(record)
    parts = []
    if training.sequence_length is not None:
        parts.append(f"Training sequences had {training.sequence_length} time steps")
    if training.tbptt_length is not None:
        lead = "; b" if parts else "B"
        parts.append(
            f"{lead}ackpropagation through time was truncated to {training.tbptt_length} steps"
        )
    return "".join(parts) + "." if parts else None


DROPOUT_PLACES = {
    "between_layers": "between recurrent layers",
    "input": "on the recurrent stack's input",
    "variational_input": "as a variational (locked) mask on the input",
    "variational_hidden": "as a variational mask on the hidden state",
    "variational_output": "as a variational mask on the output",
    "weight_drop": "on the hidden-to-hidden weights (DropConnect)",
    "embedding": "on embedding rows",
    "output": "on the recurrent stack's output",
}


def _dropout(record: RunRecord) -> str | None:
    dropout = training_of(record).dropout
    values = dropout.model_dump(exclude_none=True, exclude={"modules"}) if dropout else {}
    if not values:
        return None
    parts = [f"{format_value(p)} {DROPOUT_PLACES.get(k, k)}" for k, p in values.items()]
    return f"Dropout was applied at rate {join_oxford(parts)}."


def _initialisation(record: RunRecord) -> str | None:
    init = training_of(record).initialisation
    if init is None:
        return None
    if init.scheme == "pytorch-default":
        return "Parameters kept PyTorch's default initialisation."
    differ = init.details.get("not_default") if isinstance(init.details, dict) else None
    names = [str(n) for n in (differ if isinstance(differ, list) else [differ])] if differ else []
    if init.scheme == "custom" and names:
        return f"Parameters kept PyTorch's default initialisation except {join_oxford(names)}."
    text = f"Parameters were initialised as {init.scheme}"
    if names:
        text += f" ({join_oxford(names)} differing from PyTorch's default)"
    return text + "."


def _early_stopping(record: RunRecord) -> str | None:
    text = early_stopping_text(record)
    return None if text is None else f"Early stopping monitored {text}."


def _precision(record: RunRecord) -> str | None:
    precision = training_of(record).precision
    return None if precision is None else f"Training ran in {precision} precision."


def _search(record: RunRecord) -> str | None:
    search = training_of(record).hyperparameter_search
    if search is None:
        return None
    if search.method == "manual":
        text = "Hyperparameters were chosen by hand"
    else:
        text = f"Hyperparameters were chosen by {search.method} search"
        if search.trials is not None:
            text += f" over {search.trials} trials"
    if search.space:
        space = "; ".join(f"{k} in {format_value(v)}" for k, v in search.space.items())
        text += f" (space: {space})"
    if search.objective:
        text += f", optimising {search.objective}"
    if search.selected:
        text += f"; selected {format_value(search.selected)}"
    return text + "."


def _environment(record: RunRecord) -> str | None:
    env = record.environment
    if env is None:
        return None
    software = []
    if env.torch:
        software.append(f"PyTorch {env.torch}")
    if env.python:
        software.append(f"Python {env.python}")
    device = env.device
    where = None
    if device is not None:
        name = device.name or device.type.upper()
        where = f"{device.count} {name}" if device.count > 1 else name
    if not software and where is None:
        return None
    text = "Runs used " + (join_oxford(software) if software else "")
    if where is not None:
        text += f"{' on ' if software else ''}{where}"
    return text + "."


def _seeds(records: Sequence[RunRecord]) -> str | None:
    seeds = [seed_of(r) for r in records]
    known = [s for s in seeds if s is not None]
    if not known:
        return None
    runs = len(records)
    if len(known) < runs:
        return (
            f"{runs} runs, {len(known)} of them with a recorded seed ({seed_list(sorted(known))})."
        )
    if runs == 1:
        return f"One run, seed {known[0]}."
    if len(set(known)) < runs:
        return f"{runs} runs with seeds {seed_list(sorted(known))} (some repeated)."
    return f"{runs} runs with seeds {seed_list(sorted(known))}."


def _training_sentence(records: Sequence[RunRecord]) -> tuple[str | None, list[str], list[str]]:
    """'Training used the Adam (...) optimizer with batches of 64 for 2000 steps (...).' and
    the topics it stated and lacked."""
    optimizer = _per_run(records, _optimizer)
    batch, length, steps = (
        _per_run(records, f) for f in (_batch, _length, _steps)
    )  # fmt: skip
    stated = [t for t, v in (("optimizer", optimizer), ("batch", batch), ("length", length)) if v]
    lacking = [t for t in ("optimizer", "batch", "length") if t not in stated]
    if not stated:
        return None, stated, lacking
    text = optimizer or "Training used"
    if batch:
        text += f" with {batch}"
    if length:
        text += f" for {length}"
    if steps:
        text += f" ({steps})" if steps.startswith("varying") else f" ({steps} taken)"
    return text + ".", stated, lacking


SENTENCES: tuple[tuple[str, Callable[[RunRecord], str | None]], ...] = (
    ("architecture", _architecture),
    ("parameters", _parameters),
    ("data", _data),
    ("loss", _loss),
    ("schedule", _schedule),
    ("clipping", _clipping),
    ("bptt", _bptt),
    ("dropout", _dropout),
    ("initialisation", _initialisation),
    ("early_stopping", _early_stopping),
    ("precision", _precision),
    ("search", _search),
    ("environment", _environment),
)


def _sentence(topic: str, text: str | None) -> Sentence | None:
    if text is None:
        return None
    if text.startswith("varying between runs"):
        return Sentence(topic, f"{TOPICS[topic][0].upper()}{TOPICS[topic][1:]}, {text}.")
    return Sentence(topic, text)


def _group(label: str | None, records: Sequence[RunRecord]) -> MethodsGroup:
    sentences: list[Sentence] = []
    missing: list[str] = []
    for topic, make in SENTENCES[:3]:
        found = _sentence(topic, _per_run(records, make))
        sentences.append(found) if found else missing.append(topic)
    training, _, lacking = _training_sentence(records)
    if training:
        sentences.append(Sentence("training", training))
    missing.extend(lacking)
    for topic, make in SENTENCES[3:]:
        found = _sentence(topic, _per_run(records, make))
        sentences.append(found) if found else missing.append(topic)
    seeds = _seeds(records)
    if seeds:
        sentences.append(Sentence("seeds", f"We report {seeds[0].lower()}{seeds[1:]}"))
    else:
        missing.append("seeds")
    return MethodsGroup(
        label=label,
        runs=[r.run.name for r in records],
        sentences=sentences,
        not_recorded=[TOPICS[t] for t in missing],
    )


def methods(
    source: RunRecord | list[RunRecord], title: str | None = None, group: str | None = None
) -> MethodsDocument:
    """One paragraph per configuration (runs differing only in seed form one), in the order
    the runs come; ``group`` keeps only the configuration with that label."""
    records = [source] if isinstance(source, RunRecord) else list(source)
    if not records:
        raise InvalidInputError("methods: no records given")
    buckets: dict[str, list[RunRecord]] = {}
    for record in records:
        buckets.setdefault(config_fingerprint(record), []).append(record)
    if len(buckets) == 1:
        labels = {next(iter(buckets)): None}
    else:
        labels = distinct_labels(  # type: ignore[assignment]
            {key: config_fields(runs[0]) for key, runs in buckets.items()}
        )
    groups = [_group(labels[key], runs) for key, runs in buckets.items()]
    shared: list[Sentence] = []
    shared_missing: list[str] = []
    if len(groups) > 1 and group is None:
        shared = [
            s
            for s in groups[0].sentences
            if s.topic != "seeds" and all(s in g.sentences for g in groups[1:])
        ]
        shared_missing = [
            t for t in groups[0].not_recorded if all(t in g.not_recorded for g in groups)
        ]
        groups = [
            replace(
                g,
                sentences=[s for s in g.sentences if s not in shared],
                not_recorded=[t for t in g.not_recorded if t not in shared_missing],
            )
            for g in groups
        ]
    if group is not None:
        chosen = [g for g in groups if g.label == group]
        if not chosen:
            from repro.errors import UsageError

            names = "; ".join(repr(g.label) for g in groups)
            raise UsageError(f"group {group!r} is not among the configurations ({names})")
        groups = chosen
    return MethodsDocument(
        groups=groups,
        title=title or "Training details",
        shared=shared,
        shared_not_recorded=shared_missing,
    )
