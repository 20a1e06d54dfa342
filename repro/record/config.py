"""The run's configuration as a config system resolved it (Hydra, OmegaConf, or a mapping)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import NonNegInt, Section


class Sweep(Section):
    """The Hydra multirun a run was one job of."""

    dir: str | None = Field(None, description="hydra.sweep.dir: where the sweep's jobs ran.")
    job: NonNegInt | None = Field(None, description="hydra.job.num: the job's number.")
    job_id: str | None = Field(None, description="hydra.job.id.")


class Config(Section):
    """The resolved configuration (interpolations filled in) and how it was made."""

    values: dict[str, Any] = Field(
        default_factory=dict, description="The resolved configuration tree."
    )
    overrides: list[str] = Field(
        default_factory=list,
        description="Command-line overrides it was composed with, e.g. 'model.hidden=128'.",
    )
    source: Literal["hydra", "omegaconf", "mapping"] | None = Field(
        None, description="What made it: a Hydra composition, an OmegaConf config, a mapping."
    )
    job: str | None = Field(None, description="hydra.job.name, e.g. the script's name.")
    sweep: Sweep | None = Field(None, description="Absent = not one job of a multirun.")
    artifact: str | None = Field(
        None, description="Run artifact with the configuration as YAML: 'repro/config.yaml'."
    )
