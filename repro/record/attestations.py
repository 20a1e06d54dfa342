"""Attestations: checklist items that are statements, not data ("are error bars reported?").

The authors answer them in the record, yes / no / n/a with a justification; a check fails on a
missing answer or a missing justification, never on an honest "no".
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from .base import Section

Answer = Literal["yes", "no", "n/a"]
# a key is one step of a field path (attestations.neurips-7-error-bars): no dots, no brackets
ATTESTATION_KEY = r"^[A-Za-z0-9_-]+$"
AttestationKey = Annotated[str, StringConstraints(pattern=ATTESTATION_KEY)]


class Attestation(Section):
    """The authors' answer to one checklist item, keyed in the record by the item's id."""

    answer: Answer = Field(description="yes, no or n/a (not applicable).")
    justification: str | None = Field(
        None, description="Why, or where in the paper (a section); a check requires one."
    )

    @field_validator("answer", mode="before")
    @classmethod
    def _answer_case(cls, value: object) -> object:
        if isinstance(value, bool):  # YAML reads a bare yes/no as a boolean
            return "yes" if value else "no"
        if isinstance(value, str):
            lowered = value.strip().lower()
            return {"na": "n/a", "n.a.": "n/a"}.get(lowered, lowered)
        return value
