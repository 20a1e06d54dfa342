"""Contributors and their CRediT roles."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Section
from .credit import CreditRole, resolve_role
from .orcid import bare_orcid, normalize_orcid

Degree = Literal["lead", "equal", "supporting"]


class RoleAssignment(Section):
    """A CRediT role held by a contributor, with an optional degree of contribution.

    Written as a bare string ('Software') or as ``{role: software, degree: lead}``; the role is
    stored as its slug and accepted as slug, official name or URI.
    """

    role: str
    degree: Degree | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"role": value} if isinstance(value, str) else value

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        return resolve_role(value).slug

    @field_validator("degree", mode="before")
    @classmethod
    def _degree_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def credit(self) -> CreditRole:
        """The role's official name and URI."""
        return resolve_role(self.role)


class Contributor(Section):
    """One author or contributor."""

    given_names: str = Field(min_length=1)
    family_name: str = Field(min_length=1)
    orcid: str | None = Field(None, description="Stored as https://orcid.org/XXXX-XXXX-XXXX-XXXX.")
    affiliations: list[str] = Field(default_factory=list)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    corresponding: bool = False
    roles: list[RoleAssignment] = Field(default_factory=list)

    @field_validator("orcid")
    @classmethod
    def _valid_orcid(cls, value: str | None) -> str | None:
        return None if value is None else normalize_orcid(value)

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles: list[RoleAssignment]) -> list[RoleAssignment]:
        seen: set[str] = set()
        for assignment in roles:
            if assignment.role in seen:
                raise ValueError(f"role {assignment.credit.name!r} is listed twice")
            seen.add(assignment.role)
        return roles

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    @property
    def orcid_bare(self) -> str | None:
        return bare_orcid(self.orcid) if self.orcid else None


class Contributors(Section):
    """A stand-alone contributors file: the work's title and its contributors, in author order."""

    title: str | None = None
    contributors: list[Contributor] = Field(min_length=1)
