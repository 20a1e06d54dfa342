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


class Dropout(Section):
    """Every dropout variant recurrent nets use; absent fields = not used / not recorded."""

    between_layers: Probability | None = None
    variational_input: Probability | None = Field(None, description="Locked (per-sequence) mask.")
    variational_hidden: Probability | None = None
    variational_output: Probability | None = None
    weight_drop: Probability | None = Field(None, description="DropConnect on hidden weights.")
    embedding: Probability | None = Field(None, description="Word-level embedding dropout.")
    output: Probability | None = None


class Initialisation(Section):
    """Weight initialisation, including the effective LSTM forget-gate bias."""

    scheme: str = Field(description="e.g. 'pytorch-default', 'orthogonal', 'xavier_uniform'.")
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
    torch: int | None = None
    cuda: int | None = None
    dataloader: int | None = None
    other: dict[str, int] = Field(default_factory=dict)


class HyperparameterSearch(Section):
    """How the hyperparameters were chosen."""

    method: Literal["grid", "random", "bayesian", "manual", "other"]
    space: dict[str, Any] = Field(default_factory=dict, description="Name -> values or range.")
    trials: PosInt | None = None
    objective: str | None = Field(None, description="Metric the search optimised.")
    selected: dict[str, Scalar] = Field(default_factory=dict, description="Chosen values.")


class Training(Section):
    """Training procedure. Every field is optional: absent means "not recorded"."""

    optimizer: Optimizer | None = None
    lr_schedule: LRSchedule | None = None
    batch_size: PosInt | None = None
    epochs: NonNegInt | None = None
    max_steps: NonNegInt | None = None
    loss: str | None = Field(None, description="e.g. 'CrossEntropyLoss'.")
    gradient_clipping: GradientClipping | None = None
    tbptt_length: PosInt | None = Field(None, description="Truncated-BPTT window in steps.")
    sequence_length: PosInt | None = Field(None, description="Training sequence length.")
    teacher_forcing: TeacherForcing | None = None
    dropout: Dropout | None = None
    initialisation: Initialisation | None = None
    precision: Literal["fp32", "fp64", "fp16", "bf16", "amp-fp16", "amp-bf16", "tf32"] | None = None
    early_stopping: EarlyStopping | None = None
    seeds: Seeds | None = None
    hyperparameter_search: HyperparameterSearch | None = None
