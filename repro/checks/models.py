"""What a check is made of: profiles and their requirements (strict data), findings, reports.

Profiles are Pydantic models that reject unknown keys (a ``severty:`` typo is an error, not a
requirement silently relaxed) and check every field path they name against the record schema
when they load, so a misspelt path cannot turn a requirement off. A requirement is met by a
``rule`` (``present``: the path holds a value; the others are in :mod:`repro.checks.rules`);
with ``--group`` a requirement that has a ``group`` rule is judged once, on the group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from repro.record import RunRecord
from repro.record.attestations import ATTESTATION_KEY
from repro.record.paths import schema_path_problem

Severity = Literal["error", "warning"]
Loc = tuple[str | int, ...]

BASELINE_LABEL = "baseline comparison"
RUN_RULES = (
    "present",
    "attested",
    "one-corresponding",
    "degree-where-shared",
    "orcid-valid",
    "per-seed-count",
    "aggregate-recomputable",
    "deterministic-without-benchmark",
    "dropout-variant-named",
    "clean-tree",
    "results-in-history",
)
GROUP_RULES = ("runs-per-result", "spread-per-result", "search-budget", "attested")
RunRule = Literal[RUN_RULES]  # type: ignore[valid-type]
GroupRule = Literal[GROUP_RULES]  # type: ignore[valid-type]


def _known_path(path: str) -> str:
    problem = schema_path_problem(RunRecord, path)
    if problem is not None:
        raise ValueError(f"{problem}; see `repro schema` for the record's fields")
    return path


class Requirement(BaseModel):
    """One item of a reporting standard: a field path and the rule it must meet."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    path: str = Field(
        description="Record field path, e.g. training.optimizer.name or data[*].sha256."
    )
    message: str = Field(min_length=1, description="What the author should add, as an instruction.")
    severity: Severity = "error"
    reference: str | None = Field(None, description="The checklist item this comes from.")
    item: str | None = Field(None, description="The checklist's item number, e.g. '7' or 'C1'.")
    question: str | None = Field(
        None, description="The item's text: verbatim, or marked '(paraphrase)' when not."
    )
    rule: RunRule = Field("present", description="How the requirement is met on one run.")
    group: GroupRule | None = Field(
        None, description="With --group: judged once on the group by this rule instead."
    )
    key: str | None = Field(
        None,
        pattern=ATTESTATION_KEY,
        description="rule attested: the key the record's attestations answer it under.",
    )
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
    def _consistent(self) -> Requirement:
        if self.when_in and self.when is None:
            raise ValueError("when_in is given without when (the path whose value it lists)")
        if self.rule == "attested" and self.group not in (None, "attested"):
            raise ValueError("an attested requirement is judged on the group as attested")
        if (self.rule == "attested") != (self.key is not None):
            raise ValueError("key (the attestation's key) is given with rule attested, and only")
        return self

    @property
    def attestation_key(self) -> str:
        """The key the record's ``attestations`` answer this item under."""
        return self.key or self.id

    @property
    def group_rule(self) -> str | None:
        """The rule that judges this requirement on a group (attestations are the paper's)."""
        return "attested" if self.rule == "attested" else self.group


class Profile(BaseModel):
    """A named, versioned set of requirements taken from a published checklist."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    title: str
    source: str = Field(description="The published checklist the requirements come from.")
    extends: str | None = Field(
        None, description="A built-in profile whose requirements come first (same id replaces)."
    )
    requirements: tuple[Requirement, ...] = ()

    @model_validator(mode="after")
    def _ids_unique(self) -> Profile:
        if not self.requirements and self.extends is None:
            raise ValueError("a profile needs requirements (or extends a built-in profile)")
        seen: set[str] = set()
        for requirement in self.requirements:
            if requirement.id in seen:
                raise ValueError(f"requirement id {requirement.id!r} is used twice")
            seen.add(requirement.id)
        return self


@dataclass(frozen=True)
class Finding:
    """One requirement a record (or the group) does not meet; ``location`` is the place in the
    record's data it concerns (for annotations on the field's line)."""

    requirement: Requirement
    record: str
    detail: str
    location: Loc = ()

    @property
    def severity(self) -> Severity:
        return self.requirement.severity


@dataclass(frozen=True)
class GroupFacts:
    """What a group of runs shows as a whole: how many runs stand behind each result, their
    spread, and the search budget (computed from the runs, not stated)."""

    label: str
    runs: int
    results: list[dict[str, Any]]  # {name, split, n, mean, std, values}
    search_budget: int | None
    search_budget_source: str | None


@dataclass
class CheckReport:
    """The outcome of checking records (and, with a group, the group) against a profile.

    With ``strict``, unmet warnings fail the check too, and every output says so.
    """

    profile: Profile
    records: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    strict: bool = False
    group: GroupFacts | None = None
    comparisons: list[dict[str, Any]] = field(default_factory=list)  # --baseline, per metric
    baseline: list[Requirement] = field(default_factory=list)  # one per compared metric

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def failing(self) -> list[Finding]:
        """The findings that fail the check: errors, and warnings too under ``strict``."""
        return self.findings if self.strict else self.errors

    @property
    def passed(self) -> bool:
        """True when no finding fails the check (warnings fail only under ``strict``)."""
        return not self.failing

    @property
    def subjects(self) -> list[str]:
        """Every subject judged: the records, then the group when there is one."""
        group = [self.group.label] if self.group else []
        return [*self.records, *group, *([BASELINE_LABEL] if self.baseline else [])]
