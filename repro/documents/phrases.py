"""The record's training settings as the short phrases cards, tables and methods text use.

Each function returns None when the record does not hold the setting, so a caller shows its
own placeholder; a recorded "none" (e.g. no clipping) is a phrase, not None.
"""

from __future__ import annotations

from repro.documents.formatting import format_value, settings_text
from repro.record import RecurrentLayer, RunRecord, Training

CELL_NAMES = {
    "lstm": "LSTM",
    "gru": "GRU",
    "rnn_tanh": "Elman RNN (tanh)",
    "rnn_relu": "Elman RNN (ReLU)",
}


def training_of(record: RunRecord) -> Training:
    """The training section, empty when not recorded (every field then reads None)."""
    return record.training or Training()


def cell_name(layer: RecurrentLayer, *, described: bool = True) -> str:
    """A layer's cell as shown: a built-in by name, a hand-written one as a custom cell (with
    the user's description when ``described``), never as a built-in type."""
    if layer.cell in CELL_NAMES:
        return CELL_NAMES[layer.cell]
    if described and layer.description:
        return f"custom cell ({layer.description})"
    return "custom cell"


def model_type(record: RunRecord) -> str | None:
    """'2-layer LSTM, hidden size 128' style summary of the recurrent stack; a model with no
    recurrent layer is named by the kinds of its significant modules."""
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


def optimizer_text(record: RunRecord) -> str | None:
    """``Adam (lr=0.001, betas=(0.9, 0.999))``."""
    optimizer = training_of(record).optimizer
    return None if optimizer is None else settings_text(optimizer.name, optimizer.settings)


def clipping_text(record: RunRecord) -> str | None:
    """``by norm, max 1 (p=2)``, ``by value, max 0.5`` or ``none``."""
    clip = training_of(record).gradient_clipping
    if clip is None:
        return None
    if clip.kind == "none":
        return "none"
    threshold = "?" if clip.threshold is None else format_value(clip.threshold)
    if clip.kind == "norm":
        norm = "" if clip.norm_type is None else f" (p={format_value(clip.norm_type)})"
        return f"by norm, max {threshold}{norm}"
    return f"by value, max {threshold}"


def schedule_text(record: RunRecord) -> str | None:
    """The learning-rate schedule with its settings; ``constant`` when an optimizer is
    recorded without one."""
    schedule = training_of(record).lr_schedule
    if schedule is None:
        return "constant" if record.training and record.training.optimizer else None
    text = settings_text(schedule.name, schedule.settings)
    return f"{text}, per {schedule.interval}" if schedule.interval else text


def early_stopping_text(record: RunRecord) -> str | None:
    rule = training_of(record).early_stopping
    if rule is None:
        return None
    text = f"{rule.monitor} ({rule.mode}), patience {rule.patience}"
    if rule.min_delta:
        text += f", min delta {format_value(rule.min_delta)}"
    if rule.stopped_epoch is not None:
        text += f", stopped at epoch {rule.stopped_epoch}"
    return text


def seeds_text(record: RunRecord) -> str | None:
    """``python=0, numpy=0, torch=0`` (a seed of 0 is a real seed)."""
    seeds = training_of(record).seeds
    if seeds is None:
        return None
    named = {k: v for k, v in seeds.model_dump(exclude={"other"}).items() if v is not None}
    named.update(seeds.other)
    return format_value(named) if named else None


def search_text(record: RunRecord) -> str | None:
    search = training_of(record).hyperparameter_search
    if search is None:
        return None
    parts = [search.method]
    if search.trials is not None:
        parts.append(f"{search.trials} trials")
    if search.objective:
        parts.append(f"objective {search.objective}")
    return ", ".join(parts)


def teacher_forcing_text(record: RunRecord) -> str | None:
    tf = training_of(record).teacher_forcing
    if tf is None:
        return None
    ratio = format_value(tf.ratio)
    return f"{ratio} ({tf.schedule})" if tf.schedule else ratio


def dropout_text(record: RunRecord) -> str | None:
    """Every recorded dropout setting as ``k=v``."""
    dropout = training_of(record).dropout
    # the per-module placement list (schema 2.0) is shown apart, not as a k=v setting
    values = dropout.model_dump(exclude_none=True, exclude={"modules"}) if dropout else {}
    return format_value(values) if values else None


def initialisation_text(record: RunRecord) -> str | None:
    init = training_of(record).initialisation
    if init is None:
        return None
    return init.scheme + (f" ({format_value(init.details)})" if init.details else "")
