"""The 14 CRediT roles of ANSI/NISO Z39.104-2022: slugs, official names and URIs."""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

CREDIT_VOCAB = "credit"
CREDIT_VOCAB_IDENTIFIER = "https://credit.niso.org/"
_ROLE_BASE = "https://credit.niso.org/contributor-roles/"


class CreditRole(NamedTuple):
    """One role of the taxonomy."""

    slug: str
    name: str

    @property
    def uri(self) -> str:
        return f"{_ROLE_BASE}{self.slug}/"


CREDIT_ROLES: tuple[CreditRole, ...] = (
    CreditRole("conceptualization", "Conceptualization"),
    CreditRole("data-curation", "Data curation"),
    CreditRole("formal-analysis", "Formal analysis"),
    CreditRole("funding-acquisition", "Funding acquisition"),
    CreditRole("investigation", "Investigation"),
    CreditRole("methodology", "Methodology"),
    CreditRole("project-administration", "Project administration"),
    CreditRole("resources", "Resources"),
    CreditRole("software", "Software"),
    CreditRole("supervision", "Supervision"),
    CreditRole("validation", "Validation"),
    CreditRole("visualization", "Visualization"),
    CreditRole("writing-original-draft", "Writing – original draft"),
    CreditRole("writing-review-editing", "Writing – review & editing"),
)
ROLES_BY_SLUG: dict[str, CreditRole] = {r.slug: r for r in CREDIT_ROLES}


def _key(text: str) -> str:
    """Fold case, dashes, '&'/'and' and spacing so 'Writing - Review and Editing' matches."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    for dash in ("\u2013", "\u2014", "\u2212", "-", "_"):
        text = text.replace(dash, " ")
    text = text.replace("&", " and ").replace("visualisation", "visualization")
    text = text.replace("conceptualisation", "conceptualization")
    return " ".join(text.split())


_LOOKUP: dict[str, CreditRole] = {}
for _role in CREDIT_ROLES:
    for _alias in (_role.slug, _role.name, _role.uri, _role.uri.rstrip("/")):
        _LOOKUP[_key(_alias)] = _role


def resolve_role(value: str) -> CreditRole:
    """A role from its slug, official name (case/dash/British-spelling tolerant) or URI."""
    key = _key(value.replace("http://", "https://"))
    try:
        return _LOOKUP[key]
    except KeyError:
        names = ", ".join(r.name for r in CREDIT_ROLES)
        raise ValueError(f"unknown CRediT role {value!r}; expected one of: {names}") from None
