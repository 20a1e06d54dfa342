"""How the model was trained: optimizer, schedule, clipping, BPTT, regularisation, seeds."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import NonNegInt, PosInt, Probability, Scalar, Section


class Optimizer(Section):
    """Optimizer class and every constructor setting (lr, betas, eps, weight_decay, ...)."""

    name: str = Field(description="Optimizer class, e.g. 'Adam'.")
    settings: dict[str, Any] = Field(default_factory=dict, description="All hyperparameters.")


class LRSchedule(Section):
    """Learning-rate schedule; absent on Training means a constant learning rate."""

    name: str = Field(description="Scheduler class, e.g. 'CosineAnnealingLR'.")
    settings: dict[str, Any] = Field(default_factory=dict)
    warmup_steps: NonNegInt | None = None
    interval: Literal["step", "epoch"] | None = None


class GradientClipping(Section):
    """Gradient clipping; absent on Training means "not recorded", kind 'none' means off."""

    kind: Literal["norm", "value", "none"]
    threshold: float | None = Field(None, gt=0, description="max_norm or clip_value.")
    norm_type: float | None = Field(None, description="p of the p-norm (kind='norm').")


class TeacherForcing(Section):
    """Teacher forcing for sequence-to-sequence decoders."""

    ratio: Probability
    schedule: str | None = Field(None, description="e.g. 'linear decay to 0.5 over 10 epochs'.")


class DropoutPosition(Section):
    """One place a dropout module was applied, as seen in a training forward pass."""

    placement: Literal["input", "between_layers", "output", "inside_recurrent", "other"] = Field(
        description="Relative to the recurrent layers: before the first ('input', e.g. on the "
        "embedding output), between two, after the last ('output'), inside a recurrent "
        "module's own forward ('inside_recurrent'), or 'other' (a model with no recurrent layer)."
    )
    after: str | None = Field(
        None, description="Module whose output it dropped; absent = the model's input."
    )
    before: str | None = Field(
        None, description="Module that next received data; absent = it fed the model's output."
    )


class DropoutModule(Section):
    """One dropout module of the model and where it was applied."""

    name: str = Field(description="Dotted module path inside the model.")
    kind: str = Field(description="Module class, e.g. 'Dropout', 'AlphaDropout'.")
    p: Probability
    positions: list[DropoutPosition] = Field(
        default_factory=list,
        description="Where it was applied in the first training forward pass (a module may be "
        "applied at several places); empty = not observed.",
    )


class Dropout(Section):
    """Every dropout variant recurrent nets use; absent fields = not used / not recorded."""

    between_layers: Probability | None = None
    input: Probability | None = Field(
        None,
        description="Element-wise dropout on the recurrent stack's input (e.g. on the "
        "embedding output).",
    )
    variational_input: Probability | None = Field(None, description="Locked (per-sequence) mask.")
    variational_hidden: Probability | None = None
    variational_output: Probability | None = None
    weight_drop: Probability | None = Field(None, description="DropConnect on hidden weights.")
    embedding: Probability | None = Field(
        None, description="Word-level embedding dropout (whole embedding rows dropped)."
    )
    output: Probability | None = Field(
        None, description="Dropout on the recurrent stack's output, before the output head."
    )
    modules: list[DropoutModule] = Field(
        default_factory=list, description="The model's dropout modules, as captured."
    )


class Initialisation(Section):
    """Weight initialisation, including the effective LSTM forget-gate bias."""

    scheme: str = Field(
        description="As stated (e.g. 'orthogonal', 'xavier_uniform'); when captured, "
        "'pytorch-default' only if every parameter is consistent with PyTorch's default "
        "initialisation of its module (range and spread tested), else 'custom' with the "
        "parameters that differ named in details.not_default (those torch has no default "
        "for in details.no_torch_default)."
    )
    forget_gate_bias: float | None = Field(
        None, description="Effective forget-gate bias (b_if + b_hf) after initialisation."
    )
    details: dict[str, Any] = Field(default_factory=dict)


class EarlyStopping(Section):
    """Early stopping rule and, once run, where it stopped."""

    monitor: str
    mode: Literal["min", "max"]
    patience: NonNegInt
    min_delta: float = 0.0
    stopped_epoch: NonNegInt | None = None


class Seeds(Section):
    """The seed of every random source; absent = not seeded / not recorded."""

    python: int | None = None
    numpy: int | None = None
    torch: int | None = Field(
        None,
        description="torch.initial_seed(): the seed given to manual_seed, or the one torch "
        "drew at start-up (manual_seed with it repeats the run's draws).",
    )
    cuda: int | None = None
    dataloader: int | None = Field(
        None, description="Initial seed of the training DataLoader's own generator."
    )
    other: dict[str, int] = Field(default_factory=dict)


class HyperparameterSearch(Section):
    """How the hyperparameters were chosen."""

    method: Literal["grid", "random", "bayesian", "manual", "other"]
    space: dict[str, Any] = Field(default_factory=dict, description="Name -> values or range.")
    trials: PosInt | None = Field(
        None,
        description="Trials of the search; in a trial's own record, the trials so far "
        "(this one included).",
    )
    objective: str | None = Field(None, description="Metric the search optimised.")
    selected: dict[str, Scalar] = Field(default_factory=dict, description="Chosen values.")
    # one trial of a search (e.g. an Optuna study): which, and how it ended
    study: str | None = Field(None, description="Name of the search (an Optuna study).")
    sampler: str | None = Field(None, description="What drew the trials, e.g. 'TPESampler'.")
    trial: NonNegInt | None = Field(None, description="This run's trial number in the search.")
    trial_state: Literal["running", "complete", "pruned", "failed"] | None = Field(
        None,
        description="How this trial ended: complete (an objective value), pruned (stopped "
        "early by the search), failed (an error or no usable value).",
    )


class Observed(Section):
    """What repro saw while the run trained; absent fields were not observed."""

    optimizer_steps: NonNegInt | None = Field(
        None,
        description="Completed optimizer.step() calls (steps a GradScaler skipped do not "
        "count), over every attempt of a resumed run.",
    )
    scheduler_steps: NonNegInt | None = Field(None, description="scheduler.step() calls.")
    epochs: NonNegInt | None = Field(
        None,
        description="Epochs completed: run.epoch() calls, or full passes over the "
        "training DataLoader given as data=.",
    )
    final_lr: float | None = Field(
        None, description="Learning rate of the first parameter group when the run ended."
    )
    final_lr_groups: list[float] = Field(
        default_factory=list, description="Every group's final learning rate, when they differ."
    )
    autocast: list[str] = Field(
        default_factory=list,
        description="torch.autocast dtypes seen active in training forward passes, "
        "e.g. ['float16']; empty = none seen.",
    )


class Training(Section):
    """Training procedure. Every field is optional: absent means "not recorded"."""

    optimizer: Optimizer | None = None
    lr_schedule: LRSchedule | None = None
    batch_size: PosInt | None = None
    epochs: NonNegInt | None = Field(
        None, description="Epochs trained: as stated, else as observed (observed.epochs)."
    )
    max_steps: NonNegInt | None = Field(None, description="Step budget, as stated.")
    loss: str | None = Field(None, description="e.g. 'CrossEntropyLoss'.")
    gradient_clipping: GradientClipping | None = None
    tbptt_length: PosInt | None = Field(None, description="Truncated-BPTT window in steps.")
    sequence_length: PosInt | None = Field(None, description="Training sequence length.")
    teacher_forcing: TeacherForcing | None = None
    dropout: Dropout | None = None
    initialisation: Initialisation | None = None
    precision: Literal["fp32", "fp64", "fp16", "bf16", "amp-fp16", "amp-bf16", "tf32"] | None = (
        Field(
            None,
            description="As stated, else from the parameters' dtype and the autocast seen while "
            "training; a disagreement between the two is listed in the record's warnings.",
        )
    )
    parameter_dtypes: dict[str, NonNegInt] = Field(
        default_factory=dict, description="Parameters per dtype when the run started."
    )
    early_stopping: EarlyStopping | None = None
    seeds: Seeds | None = None
    hyperparameter_search: HyperparameterSearch | None = None
    observed: Observed | None = Field(
        None, description="Steps, epochs and final learning rate seen while training."
    )
