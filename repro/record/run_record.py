"""RunRecord: the single source of truth for one training run."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, model_validator

from .architecture import Architecture
from .attestations import Attestation, AttestationKey
from .base import JSONValue, Section
from .card import Card
from .config import Config
from .contributors import Contributor, Contributors
from .data import Dataset
from .diagnostics import Diagnostics
from .environment import Environment
from .migrations import SCHEMA_VERSION, migrate
from .provenance import Provenance
from .results import Metric
from .run import RunInfo
from .training import Training


class RecordWarning(Section):
    """A doubt about the record found while capturing or running: a stated value that
    contradicts what was observed, a module repro could not classify, a fact it could not read.
    The stated value is what the record keeps; the warning says what was seen instead."""

    path: str | None = Field(None, description="Dotted record field concerned, if one.")
    message: str = Field(min_length=1)
    stated: JSONValue = Field(None, description="What the user stated, when they disagree.")
    observed: JSONValue = Field(None, description="What repro observed, when they disagree.")


class RunRecord(Section):
    """Everything known about one RNN training run. Absent sections mean "not recorded"."""

    schema_version: str = Field(SCHEMA_VERSION, description="Record schema version.")
    run: RunInfo
    architecture: Architecture | None = None
    training: Training | None = None
    data: list[Dataset] = Field(default_factory=list)
    environment: Environment | None = None
    provenance: Provenance | None = None
    results: list[Metric] = Field(default_factory=list)
    diagnostics: Diagnostics | None = None
    contributors: list[Contributor] = Field(default_factory=list)
    card: Card | None = None
    attestations: dict[AttestationKey, Attestation] | None = Field(
        None, description="Checklist item id -> the authors' answer (yes/no/n/a, justification)."
    )
    config: Config | None = Field(None, description="Resolved configuration (Hydra/OmegaConf).")
    warnings: list[RecordWarning] = Field(
        default_factory=list,
        description="Disagreements and gaps found while capturing and running; empty = none.",
    )

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, value: Any) -> Any:
        return migrate(value) if isinstance(value, dict) else value

    # -- plain-data conversions (no I/O) -------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict; fields left absent are omitted."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    @property
    def title(self) -> str:
        """The work's title: ``card.title``, else the run name."""
        return self.card.title if self.card and self.card.title else self.run.name

    def to_contributors(self, source: str) -> Contributors:
        """The record's contributors as a contributors document titled like the record.

        Raises ValueError naming ``source`` when the record lists none.
        """
        if not self.contributors:
            raise ValueError(f"{source}: contributors: the record lists no contributors")
        # already validated as part of the record: no second validation pass
        return Contributors.model_construct(
            title=self.title,
            year=self.year,
            license=self.card.license if self.card else None,
            contributors=self.contributors,
        )

    @property
    def year(self) -> int | None:
        """The year of the work: when the run ended (else started, else was created)."""
        moment = self.run.ended or self.run.started or self.run.created
        return moment.year if moment else None

    def metric(self, name: str, split: str | None = None) -> Metric | None:
        """The first result with this name (and split, when given)."""
        for metric in self.results:
            if metric.name == name and (split is None or metric.split == split):
                return metric
        return None
