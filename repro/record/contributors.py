"""Contributors and their CRediT roles."""

from __future__ import annotations

import re
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


ROR_PREFIX = "https://ror.org/"
_ROR = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$")


class Affiliation(Section):
    """An institution with its identifiers: written as a bare name (``Brown University``) or as
    ``{name, ror, country}``; the ROR id is stored as ``https://ror.org/<id>``."""

    name: str = Field(min_length=1)
    department: str | None = None
    ror: str | None = Field(None, description="Research Organization Registry id or URL.")
    country: str | None = Field(
        None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code, e.g. 'US'."
    )

    @field_validator("ror")
    @classmethod
    def _ror(cls, value: str | None) -> str | None:
        if value is None:
            return None
        bare = value.strip().removeprefix(ROR_PREFIX).removeprefix("http://ror.org/")
        bare = bare.removeprefix("ror.org/").lower()
        if not _ROR.match(bare):
            raise ValueError(f"{value!r} is not a ROR id (9 characters, e.g. 05gq02987)")
        return ROR_PREFIX + bare

    @field_validator("country", mode="before")
    @classmethod
    def _country_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class Contributor(Section):
    """One author or contributor: a person (given and family names; a mononymous person has
    one of them), or a group author (``group``: a consortium or collaboration, no names)."""

    given_names: str | None = Field(None, min_length=1)
    family_name: str | None = Field(None, min_length=1)
    group: str | None = Field(
        None, min_length=1, description="A group author's name (consortium, collaboration)."
    )
    orcid: str | None = Field(None, description="Stored as https://orcid.org/XXXX-XXXX-XXXX-XXXX.")
    affiliations: list[str | Affiliation] = Field(default_factory=list)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    corresponding: bool = False
    equal_contribution: bool = Field(
        False, description="Contributed equally with the other contributors so marked."
    )
    roles: list[RoleAssignment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _named(self) -> Contributor:
        if self.group is not None:
            if self.given_names is not None or self.family_name is not None:
                raise ValueError("a group author (group) has no given_names or family_name")
            if self.orcid is not None:
                raise ValueError("an ORCID iD identifies a person, not a group author")
        elif self.given_names is None and self.family_name is None:
            raise ValueError(
                "a contributor needs family_name and/or given_names (one for a mononymous "
                "person), or group for a group author"
            )
        return self

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
    def is_group(self) -> bool:
        return self.group is not None

    @property
    def full_name(self) -> str:
        if self.group is not None:
            return self.group
        return " ".join(part for part in (self.given_names, self.family_name) if part)

    @property
    def orcid_bare(self) -> str | None:
        return bare_orcid(self.orcid) if self.orcid else None

    @property
    def institutions(self) -> list[Affiliation]:
        """Every affiliation as an :class:`Affiliation` (a bare name has no identifiers)."""
        return [Affiliation(name=a) if isinstance(a, str) else a for a in self.affiliations]


class Contributors(Section):
    """A stand-alone contributors file: the work's title and its contributors, in author order;
    optionally the year and licence of the work (BibTeX ``year``, JATS ``<permissions>``)."""

    title: str | None = None
    year: int | None = Field(None, ge=1000, le=9999, description="Year of the work.")
    license: str | None = Field(None, description="SPDX identifier of the work's licence.")
    contributors: list[Contributor] = Field(min_length=1)
