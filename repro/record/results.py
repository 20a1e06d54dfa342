"""Results: evaluated metrics, optionally with per-seed values and their spread."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import NonNegInt, PosInt, Section


class Interval(Section):
    """A confidence interval around a mean."""

    low: float
    high: float
    level: float = Field(0.95, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.low > self.high:
            raise ValueError("interval low must not exceed high")
        return self


class Metric(Section):
    """One reported number. With several seeds, ``value`` is their mean."""

    name: str = Field(min_length=1, description="e.g. 'accuracy', 'perplexity', 'mse'.")
    value: float
    split: str | None = Field(None, description="'train', 'validation', 'test', ...")
    higher_is_better: bool | None = Field(None, description="Absent = direction not stated.")
    unit: str | None = None
    step: NonNegInt | None = Field(None, description="Training step the value belongs to.")
    per_seed: dict[int, float] = Field(default_factory=dict, description="Seed -> value.")
    std: float | None = Field(None, ge=0, description="Sample standard deviation over seeds.")
    ci: Interval | None = None
    n: PosInt | None = Field(None, description="Number of runs/seeds behind value.")
