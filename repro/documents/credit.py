"""CRediT contribution statements as documents: who did what, for every journal format.

:func:`statement` turns contributors (a ``Contributors`` file or a ``RunRecord``'s) into a
:class:`CreditStatement`: people in author order with their roles in taxonomy order,
affiliations with stable ids, and for each role who holds it. One small document per format
adds what that format needs (a style, the JSON-LD graph, CSV rows, a BibTeX key). Role names
and URIs come from ``repro.record.credit``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from typing import Any

from repro.documents.formatting import bidi_controls, clean_text, join_oxford
from repro.errors import InvalidInputError, UsageError
from repro.record import CREDIT_ROLES, CREDIT_VOCAB_IDENTIFIER, Contributors, RunRecord
from repro.record.contributors import Degree
from repro.record.credit import CREDIT_VOCAB

TEXT_STYLES = ("elsevier", "role-first", "degrees")
CSV_HEADER = [
    "order",
    "given_names",
    "family_name",
    "orcid",
    "role",
    "role_uri",
    "degree",
    "corresponding",
    "affiliations",
    "email",
]
_ROLE_ORDER = {role.slug: i for i, role in enumerate(CREDIT_ROLES)}
CreditSource = Contributors | RunRecord


@dataclass(frozen=True)
class Role:
    """One role a person holds, with its official name and URI and an optional degree."""

    slug: str
    name: str
    uri: str
    degree: Degree | None

    @property
    def degree_label(self) -> str | None:
        """``Lead``/``Equal``/``Supporting``, as JATS writes ``degree-contribution``."""
        return self.degree.capitalize() if self.degree else None


@dataclass(frozen=True)
class Affiliation:
    id: str  # aff1, aff2... in order of first appearance
    name: str


@dataclass(frozen=True)
class Person:
    """One contributor in author order (``order`` counts from 1)."""

    order: int
    given_names: str
    family_name: str
    full_name: str
    orcid: str | None
    orcid_bare: str | None
    email: str | None
    corresponding: bool
    affiliations: list[Affiliation]
    roles: list[Role]


@dataclass(frozen=True)
class Holder:
    full_name: str
    degree: Degree | None


@dataclass(frozen=True)
class RoleHolders:
    """One role of the taxonomy and the people holding it, in author order."""

    slug: str
    name: str
    uri: str
    holders: list[Holder]


@dataclass(frozen=True)
class CreditStatement:
    """Who did what: the shared document of every credit format."""

    title: str | None
    contributors: list[Person]
    affiliations: list[Affiliation]
    roles: list[RoleHolders]  # roles in taxonomy order, only those someone holds
    vocab: str
    vocab_identifier: str


def _parts(document: CreditStatement) -> dict[str, Any]:
    return {f.name: getattr(document, f.name) for f in fields(CreditStatement)}


def as_contributors(source: CreditSource) -> Contributors:
    """The contributors and title of a source; a record without contributors is invalid."""
    if isinstance(source, Contributors):
        return source
    try:
        return source.to_contributors(f"run {source.run.name!r}")
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def bidi_warnings(source: CreditSource) -> list[str]:
    """Field paths whose text held bidi control characters (they are dropped on output)."""
    people = as_contributors(source)
    found: list[str] = []
    checked: list[tuple[str, str | None]] = [("title", people.title)]
    for i, person in enumerate(people.contributors):
        base = f"contributors[{i}]"
        checked += [
            (f"{base}.given_names", person.given_names),
            (f"{base}.family_name", person.family_name),
            (f"{base}.email", person.email),
        ]
        checked += [(f"{base}.affiliations[{j}]", a) for j, a in enumerate(person.affiliations)]
    for path, value in checked:
        codes = bidi_controls(value or "")
        if codes:
            found.append(f"{path}: removed bidi control character(s) {', '.join(codes)}")
    return found


def statement(source: CreditSource) -> CreditStatement:
    """The statement of a contributors file or a record."""
    people = as_contributors(source)
    affiliations: dict[str, str] = {}
    persons: list[Person] = []
    for order, person in enumerate(people.contributors, start=1):
        names = [clean_text(a) for a in person.affiliations]
        for name in names:
            affiliations.setdefault(name, f"aff{len(affiliations) + 1}")
        roles = sorted(person.roles, key=lambda r: _ROLE_ORDER[r.role])
        persons.append(
            Person(
                order=order,
                given_names=clean_text(person.given_names),
                family_name=clean_text(person.family_name),
                full_name=clean_text(person.full_name),
                orcid=person.orcid,
                orcid_bare=person.orcid_bare,
                email=clean_text(person.email) if person.email else None,
                corresponding=person.corresponding,
                affiliations=[Affiliation(affiliations[n], n) for n in names],
                roles=[Role(r.role, r.credit.name, r.credit.uri, r.degree) for r in roles],
            )
        )
    by_role = []
    for role in CREDIT_ROLES:
        holders = [
            Holder(p.full_name, r.degree) for p in persons for r in p.roles if r.slug == role.slug
        ]
        if holders:
            by_role.append(RoleHolders(role.slug, role.name, role.uri, holders))
    return CreditStatement(
        title=clean_text(people.title) if people.title else None,
        contributors=persons,
        affiliations=[Affiliation(i, n) for n, i in affiliations.items()],
        roles=by_role,
        vocab=CREDIT_VOCAB,
        vocab_identifier=CREDIT_VOCAB_IDENTIFIER,
    )


# -- the statement as sentences -----------------------------------------------------------------


def _check_style(style: str) -> str:
    if style not in TEXT_STYLES:
        raise UsageError(
            f"unknown CRediT statement style {style!r}; expected one of: {', '.join(TEXT_STYLES)}"
        )
    return style


def sentences(document: CreditStatement, style: str = "elsevier") -> str:
    """The statement in one of ``TEXT_STYLES``:

    - elsevier: "Name: Role, Role. Name: Role." (contributors in author order)
    - role-first: "Role: A, B, and C." (roles in taxonomy order)
    - degrees: "Name: Role (lead), Role (supporting)." (elsevier with each degree)
    """
    _check_style(style)
    if style == "role-first":
        parts = [
            f"{r.name}: {join_oxford(h.full_name for h in r.holders)}." for r in document.roles
        ]
    else:
        parts = []
        for person in document.contributors:
            if not person.roles:
                continue
            roles = [
                r.name + (f" ({r.degree})" if style == "degrees" and r.degree else "")
                for r in person.roles
            ]
            parts.append(f"{person.full_name}: {', '.join(roles)}.")
    return " ".join(parts)


def statement_text(source: CreditSource, style: str = "elsevier") -> str | None:
    """The statement as text, or None when nobody has a role (e.g. for a card section)."""
    if isinstance(source, RunRecord) and not any(c.roles for c in source.contributors):
        return None
    document = statement(source)
    return sentences(document, style) if document.roles else None


def _require_roles(document: CreditStatement, fmt: str) -> None:
    if not document.roles:
        raise InvalidInputError(
            f"{fmt}: contributors[*].roles: no contributor has a CRediT role, "
            "so there is no statement to write"
        )


# -- one document per format --------------------------------------------------------------------


@dataclass(frozen=True)
class CreditText(CreditStatement):
    style: str
    text: str  # the statement in ``style``


@dataclass(frozen=True)
class JatsContribGroup(CreditStatement):
    article: bool  # wrap the <contrib-group> in a whole <article>


@dataclass(frozen=True)
class CreditJsonLd(CreditStatement):
    jsonld: dict[str, Any]  # the schema.org graph


@dataclass(frozen=True)
class CreditCsv(CreditStatement):
    header: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class CreditBibtex(CreditStatement):
    style: str
    text: str  # the statement in ``style``, for the ``note`` field
    key: str
    biblatex: bool
    annotations: dict[str, str]


def credit_text(source: CreditSource, style: str = "elsevier") -> CreditText:
    """``credit-text``: the statement in one of ``TEXT_STYLES``."""
    document = statement(source)
    _require_roles(document, "credit-text")
    return CreditText(**_parts(document), style=style, text=sentences(document, style))


def credit_jats(source: CreditSource, article: bool = False) -> JatsContribGroup:
    """``credit-jats``: a JATS 1.3 ``<contrib-group>`` (or a whole ``<article>`` around it)."""
    return JatsContribGroup(**_parts(statement(source)), article=bool(article))


def credit_jsonld(source: CreditSource, work_type: str = "ScholarlyArticle") -> CreditJsonLd:
    """``credit-jsonld``: schema.org JSON-LD, the work with its authors as ordered ``Role``s.

    The ``@context`` is inline (no remote fetch needed to read it); ``roleName`` values are
    typed as IRIs, so each CRediT role is a node, not a string.
    """
    if not re.fullmatch(r"[A-Z][A-Za-z]+", work_type):
        raise UsageError(f"work_type {work_type!r} is not a schema.org type name")
    document = statement(source)
    authors: list[dict[str, Any]] = []
    for person in document.contributors:
        node: dict[str, Any] = {
            "@type": "Person",
            "name": person.full_name,
            "givenName": person.given_names,
            "familyName": person.family_name,
        }
        if person.orcid:
            node = {"@id": person.orcid, **node}
        if person.email:
            node["email"] = person.email
        if person.affiliations:
            node["affiliation"] = [
                {"@type": "Organization", "name": a.name} for a in person.affiliations
            ]
        role: dict[str, Any] = {"@type": "Role", "author": node}
        if person.roles:
            role["roleName"] = [r.uri for r in person.roles]
        authors.append(role)
    graph: dict[str, Any] = {
        "@context": {
            "@vocab": "https://schema.org/",
            "schema": "https://schema.org/",
            "roleName": {"@id": "schema:roleName", "@type": "@id"},
        },
        "@type": work_type,
    }
    if document.title:
        graph["name"] = document.title
    graph["author"] = {"@list": authors}
    return CreditJsonLd(**_parts(document), jsonld=graph)


def credit_csv(source: CreditSource) -> CreditCsv:
    """``credit-csv``: one row per contributor-role; a contributor without roles gets one row
    with the role columns empty."""
    document = statement(source)
    rows: list[list[Any]] = []
    for person in document.contributors:
        common = [person.order, person.given_names, person.family_name, person.orcid]
        tail = [
            person.corresponding,
            "; ".join(a.name for a in person.affiliations),
            person.email,
        ]
        for role in person.roles or [None]:
            cells = [role.name, role.uri, role.degree] if role else [None] * 3
            rows.append([*common, *cells, *tail])
    return CreditCsv(**_parts(document), header=list(CSV_HEADER), rows=rows)


def _key_word(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


_STOP_WORDS = {"a", "an", "the", "on", "of", "for", "and", "in", "to", "with"}


def bibtex_key(document: CreditStatement) -> str:
    """``<first author's family name><first significant title word>``, ASCII letters/digits."""
    people = document.contributors
    family = _key_word(people[0].family_name) if people else ""
    words = [_key_word(w) for w in (document.title or "").split()]
    word = next((w for w in words if w and w not in _STOP_WORDS), "")
    return (family + word) or "credit"


def biblatex_annotations(document: CreditStatement) -> dict[str, str]:
    """biblatex item annotations of the ``author`` list (built from role slugs only):
    ``roles`` as ``1=conceptualization,software; 2=…`` and ``corresponding`` as ``1=corresponding``.
    """
    people = document.contributors
    roles = [f"{p.order}={','.join(r.slug for r in p.roles)}" for p in people if p.roles]
    corresponding = [f"{p.order}=corresponding" for p in people if p.corresponding]
    return {"roles": "; ".join(roles), "corresponding": "; ".join(corresponding)}


def credit_bibtex(
    source: CreditSource, style: str = "elsevier", biblatex: bool = False
) -> CreditBibtex:
    """``credit-bibtex``: a ``@misc`` entry whose ``note`` is the statement in ``style``; with
    ``biblatex`` it also carries biblatex data annotations of each author's roles."""
    document = statement(source)
    _require_roles(document, "credit-bibtex")
    return CreditBibtex(
        **_parts(document),
        style=style,
        text=sentences(document, style),
        key=bibtex_key(document),
        biblatex=bool(biblatex),
        annotations=biblatex_annotations(document),
    )
