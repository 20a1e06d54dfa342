"""Run identity and lifecycle: name, times, status, tags."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from .base import Section


class RunStatus(StrEnum):
    """Lifecycle of a run; mirrors MLflow's statuses (plus ``planned`` for records not yet run)."""

    PLANNED = "planned"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    KILLED = "killed"


class RunInfo(Section):
    """Who/what/when of one run. Times are timezone-aware; absent means not recorded."""

    name: str = Field(min_length=1, description="Human-readable run name.")
    description: str | None = Field(None, description="Free text; absent = none given.")
    created: AwareDatetime | None = Field(None, description="When the record was created.")
    started: AwareDatetime | None = Field(None, description="When training started.")
    ended: AwareDatetime | None = Field(None, description="When training ended.")
    status: RunStatus | None = Field(None, description="Absent = unknown.")
    tags: dict[str, str] = Field(default_factory=dict, description="Free-form labels.")
    experiment: str | None = Field(None, description="Experiment (task) the run belongs to.")
    resumed: list[AwareDatetime] = Field(
        default_factory=list,
        description="When the run was continued after an interruption (track(resume=...)).",
    )
