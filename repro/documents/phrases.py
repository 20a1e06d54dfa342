"""The record's training settings as the short phrases cards, tables and methods text use.

Each function returns None when the record does not hold the setting, so a caller shows its
own placeholder; a recorded "none" (e.g. no clipping) is a phrase, not None.
"""

from __future__ import annotations

from repro.documents.formatting import format_value, settings_text
from repro.record import LRSchedule, RecurrentLayer, RunRecord, Training

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


# Scheduler classes as a paper names them, and their settings' readable names.
SCHEDULE_NAMES = {
    "CosineAnnealingLR": "cosine annealing",
    "CosineAnnealingWarmRestarts": "cosine annealing with warm restarts",
    "StepLR": "step decay",
    "MultiStepLR": "multi-step decay",
    "ExponentialLR": "exponential decay",
    "ReduceLROnPlateau": "reduce on plateau",
    "LinearLR": "linear",
    "OneCycleLR": "one-cycle",
    "CyclicLR": "cyclic",
    "PolynomialLR": "polynomial decay",
    "ConstantLR": "constant factor",
    "LambdaLR": "LambdaLR (user function)",
    "MultiplicativeLR": "MultiplicativeLR (user function)",
}
SCHEDULE_SETTINGS = {
    "T_max": "period",
    "T_0": "first period",
    "T_mult": "period factor",
    "eta_min": "min. LR",
    "step_size": "step",
    "milestones": "milestones",
    "gamma": "factor",
    "factor": "factor",
    "patience": "patience",
    "mode": "mode",
    "threshold": "threshold",
    "cooldown": "cooldown",
    "min_lr": "min. LR",
    "max_lr": "max. LR",
    "total_steps": "steps",
    "start_factor": "start factor",
    "end_factor": "end factor",
    "total_iters": "steps",
    "power": "power",
}
# Settings a scheduler records that describe the implementation or the state, not the schedule.
SCHEDULE_NOISE = frozenset({"last_epoch", "verbose", "threshold_mode", "eps"})
# Optimizer implementation flags and torch's defaults: shown only when set away from them.
IMPLEMENTATION_FLAGS: dict[str, object] = {
    "maximize": False,
    "foreach": None,
    "capturable": False,
    "differentiable": False,
    "fused": None,
    "decoupled_weight_decay": False,
}


def optimizer_settings(record: RunRecord) -> dict[str, object]:
    """The optimizer's hyperparameters, without implementation flags left at their default."""
    optimizer = training_of(record).optimizer
    if optimizer is None:
        return {}
    return {
        key: value
        for key, value in optimizer.settings.items()
        if key not in IMPLEMENTATION_FLAGS or value != IMPLEMENTATION_FLAGS[key]
    }


def optimizer_text(record: RunRecord) -> str | None:
    """``Adam (lr=0.001, betas=(0.9, 0.999))`` (implementation flags at default left out)."""
    optimizer = training_of(record).optimizer
    return None if optimizer is None else settings_text(optimizer.name, optimizer_settings(record))


def schedule_text(record: RunRecord) -> str | None:
    """The learning-rate schedule as a paper names it, with its settings; None when no
    schedule is recorded (which does not say the rate was constant)."""
    schedule = training_of(record).lr_schedule
    if schedule is None:
        return None
    name, listed = schedule_named(schedule)
    text = f"{name} ({listed})" if listed else name
    return f"{text}, per {schedule.interval}" if schedule.interval else text


def schedule_named(schedule: LRSchedule) -> tuple[str, str]:
    """A schedule's name as a paper gives it, and its settings as ``"key value, ..."`` (empty
    when only bookkeeping settings were recorded)."""
    name = SCHEDULE_NAMES.get(schedule.name, schedule.name)
    shown = {
        SCHEDULE_SETTINGS.get(k, k): v
        for k, v in schedule.settings.items()
        if k not in SCHEDULE_NOISE
    }
    return name, ", ".join(f"{key} {format_value(value)}" for key, value in shown.items())


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


def seed_of(record: RunRecord) -> int | None:
    """The run's one seed, when every seeded source got the same value (python=numpy=torch=0),
    else the torch seed; None when no seed is recorded."""
    seeds = training_of(record).seeds
    if seeds is None:
        return None
    named = [v for v in (seeds.python, seeds.numpy, seeds.torch) if v is not None]
    if named and len(set(named)) == 1:
        return named[0]
    return seeds.torch


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
