"""What a check is made of: profiles and their requirements (strict data), findings, reports.

Profiles are Pydantic models that reject unknown keys (a ``severty:`` typo is an error, not a
requirement silently relaxed) and check every field path they name against the record schema
when they load, so a misspelt path cannot turn a requirement off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from repro.record import RunRecord
from repro.record.paths import schema_path_problem

Severity = Literal["error", "warning"]


def _known_path(path: str) -> str:
    problem = schema_path_problem(RunRecord, path)
    if problem is not None:
        raise ValueError(f"{problem}; see `repro schema` for the record's fields")
    return path


class Requirement(BaseModel):
    """One item of a reporting standard: a field path that must hold a value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    path: str = Field(
        description="Record field path, e.g. training.optimizer.name or data[*].sha256."
    )
    message: str = Field(min_length=1, description="What the author should add, as an instruction.")
    severity: Severity = "error"
    reference: str | None = Field(None, description="The checklist item this comes from.")
    when: str | None = Field(None, description="Only applies when this path holds a value ...")
    when_in: tuple[str, ...] = Field((), description="... and, if given, one of these values.")
    any_of: tuple[str, ...] = Field((), description="Alternatives: met if any of them holds one.")

    @field_validator("path", "when")
    @classmethod
    def _path_in_schema(cls, value: str | None) -> str | None:
        return None if value is None else _known_path(value)

    @field_validator("any_of")
    @classmethod
    def _alternatives_in_schema(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_known_path(path) for path in value)

    @model_validator(mode="after")
    def _when_in_needs_when(self) -> Requirement:
        if self.when_in and self.when is None:
            raise ValueError("when_in is given without when (the path whose value it lists)")
        return self


class Profile(BaseModel):
    """A named, versioned set of requirements taken from a published checklist."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    title: str
    source: str = Field(description="The published checklist the requirements come from.")
    requirements: tuple[Requirement, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique(self) -> Profile:
        seen: set[str] = set()
        for requirement in self.requirements:
            if requirement.id in seen:
                raise ValueError(f"requirement id {requirement.id!r} is used twice")
            seen.add(requirement.id)
        return self


@dataclass(frozen=True)
class Finding:
    """One requirement a record does not meet."""

    requirement: Requirement
    record: str
    detail: str

    @property
    def severity(self) -> Severity:
        return self.requirement.severity


@dataclass
class CheckReport:
    """The outcome of checking records against a profile."""

    profile: Profile
    records: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def passed(self) -> bool:
        """True when no error-level requirement is unmet (warnings do not fail a build)."""
        return not self.errors
