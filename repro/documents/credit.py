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
from repro.documents.licenses import spdx_id
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
    "equal_contribution",
    "contributor_type",
    "name",
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
    department: str | None = None
    ror: str | None = None  # https://ror.org/<id>
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Person:
    """One contributor in author order (``order`` counts from 1)."""

    order: int
    given_names: str | None  # None for a mononymous person known by a family name only
    family_name: str | None  # None for a mononymous person known by a given name only
    full_name: str  # a group author's name for a group
    group: bool  # a group author (consortium, collaboration): no given or family name
    orcid: str | None
    orcid_bare: str | None
    email: str | None
    corresponding: bool
    equal_contribution: bool
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
    year: int | None  # the work's year (a record: when the run ended), None if not recorded
    license: str | None  # the work's licence (SPDX id), None if not recorded
    equal: list[str]  # full names of those marked as contributing equally, in author order


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
        checked.append((f"{base}.group", person.group))
        checked += [
            (f"{base}.affiliations[{j}]", a.name) for j, a in enumerate(person.institutions)
        ]
    for path, value in checked:
        codes = bidi_controls(value or "")
        if codes:
            found.append(f"{path}: removed bidi control character(s) {', '.join(codes)}")
    return found


def statement(source: CreditSource) -> CreditStatement:
    """The statement of a contributors file or a record."""
    people = as_contributors(source)
    affiliations: dict[tuple[Any, ...], Affiliation] = {}
    persons: list[Person] = []
    for order, person in enumerate(people.contributors, start=1):
        mine = []
        for institution in person.institutions:
            parts = (
                clean_text(institution.name),
                clean_text(institution.department) if institution.department else None,
                institution.ror,
                institution.country,
            )
            if parts not in affiliations:
                affiliations[parts] = Affiliation(f"aff{len(affiliations) + 1}", *parts)
            mine.append(affiliations[parts])
        roles = sorted(person.roles, key=lambda r: _ROLE_ORDER[r.role])
        persons.append(
            Person(
                order=order,
                given_names=clean_text(person.given_names) if person.given_names else None,
                family_name=clean_text(person.family_name) if person.family_name else None,
                full_name=clean_text(person.full_name),
                group=person.is_group,
                orcid=person.orcid,
                orcid_bare=person.orcid_bare,
                email=clean_text(person.email) if person.email else None,
                corresponding=person.corresponding,
                equal_contribution=person.equal_contribution,
                affiliations=mine,
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
        affiliations=list(affiliations.values()),
        roles=by_role,
        vocab=CREDIT_VOCAB,
        vocab_identifier=CREDIT_VOCAB_IDENTIFIER,
        year=people.year,
        license=clean_text(people.license) if people.license else None,
        equal=[p.full_name for p in persons if p.equal_contribution],
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
    if len(document.equal) > 1:
        parts.append(f"{join_oxford(document.equal)} contributed equally.")
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
    journal_id: str | None  # the article's <journal-meta>; None shows the not-recorded text
    journal_title: str | None
    issn: str | None
    language: str  # xml:lang of the article: the language of repro's words (English)
    license_url: str | None  # the licence's SPDX page, for <ali:license_ref>


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


def credit_jats(
    source: CreditSource,
    article: bool = False,
    journal_id: str | None = None,
    journal_title: str | None = None,
    issn: str | None = None,
) -> JatsContribGroup:
    """``credit-jats``: a JATS 1.3 ``<contrib-group>``, or with ``article`` a whole
    ``<article>`` for the Journal Publishing DTD: ``xml:lang``, ``<permissions>`` (the year
    and licence where recorded), and a ``<journal-meta>`` whose id, title and ISSN are the
    options given (the Publishing DTD requires an id and an ISSN; what is not given reads as
    not recorded)."""
    document = statement(source)
    return JatsContribGroup(
        **_parts(document),
        article=bool(article),
        journal_id=clean_text(journal_id) if journal_id else None,
        journal_title=clean_text(journal_title) if journal_title else None,
        issn=clean_text(issn) if issn else None,
        language="en",
        license_url=license_url(document.license),
    )


def license_url(license_id: str | None) -> str | None:
    """The SPDX page of a licence id (``mit`` -> ``https://spdx.org/licenses/MIT.html``)."""
    if not license_id:
        return None
    spdx = spdx_id(license_id)
    return None if spdx is None else f"https://spdx.org/licenses/{spdx}.html"


SCHEMA_ORG = "http://schema.org/"  # the namespace of schema.org's own JSON-LD context


def _jsonld_agent(person: Person) -> dict[str, Any]:
    """A contributor as a schema.org Person (or Organization, for a group author)."""
    if person.group:
        return {"@type": "Organization", "name": person.full_name}
    node: dict[str, Any] = {"@type": "Person", "name": person.full_name}
    if person.given_names:
        node["givenName"] = person.given_names
    if person.family_name:
        node["familyName"] = person.family_name
    if person.orcid:
        node = {"@id": person.orcid, **node}
    if person.email:
        node["email"] = person.email
    if person.corresponding:  # schema.org has no "corresponding author": a contact point
        point: dict[str, Any] = {"@type": "ContactPoint", "contactType": "corresponding author"}
        if person.email:
            point["email"] = person.email
        node["contactPoint"] = point
    if person.affiliations:
        orgs = []
        for a in person.affiliations:
            org: dict[str, Any] = {"@type": "Organization", "name": a.name}
            if a.ror:
                org = {"@id": a.ror, **org}
            if a.department:
                org["department"] = {"@type": "Organization", "name": a.department}
            if a.country:
                org["address"] = {"@type": "PostalAddress", "addressCountry": a.country}
            orgs.append(org)
        node["affiliation"] = orgs
    return node


def _jsonld_role_note(person: Person) -> str | None:
    """What schema.org's Role has no property for, as its description: degrees, equal
    contribution, corresponding author."""
    notes = [f"{r.name}: {r.degree}" for r in person.roles if r.degree]
    if person.equal_contribution:
        notes.append("equal contribution")
    if person.corresponding:
        notes.append("corresponding author")
    return "; ".join(notes) or None


def credit_jsonld(source: CreditSource, work_type: str = "ScholarlyArticle") -> CreditJsonLd:
    """``credit-jsonld``: schema.org JSON-LD, the work with its authors as ordered ``Role``s.

    The ``@context`` is inline (no remote fetch needed to read it) and uses schema.org's own
    namespace (``http://schema.org/``, as its published context does), so the graph merges
    with other schema.org data; ``roleName`` values are typed as IRIs, so each CRediT role is
    a node, not a string. Degrees, equal contribution and the corresponding author, which
    schema.org's Role has no property for, are its ``description``; a corresponding author
    also gets a ``contactPoint``.
    """
    if not re.fullmatch(r"[A-Z][A-Za-z]+", work_type):
        raise UsageError(f"work_type {work_type!r} is not a schema.org type name")
    document = statement(source)
    authors: list[dict[str, Any]] = []
    for person in document.contributors:
        role: dict[str, Any] = {"@type": "Role", "author": _jsonld_agent(person)}
        if person.roles:
            role["roleName"] = [r.uri for r in person.roles]
        note = _jsonld_role_note(person)
        if note:
            role["description"] = note
        authors.append(role)
    graph: dict[str, Any] = {
        "@context": {
            "@vocab": SCHEMA_ORG,
            "schema": SCHEMA_ORG,
            "roleName": {"@id": "schema:roleName", "@type": "@id"},
        },
        "@type": work_type,
    }
    if document.title:
        graph["name"] = document.title
    if document.year is not None:
        graph["datePublished"] = str(document.year)
    graph["author"] = {"@list": authors}
    return CreditJsonLd(**_parts(document), jsonld=graph)


def credit_csv(source: CreditSource) -> CreditCsv:
    """``credit-csv``: one row per contributor-role; a contributor without roles gets one row
    with the role columns empty. A group author has its name in ``name`` (``contributor_type``
    group) and no given or family name."""
    document = statement(source)
    rows: list[list[Any]] = []
    for person in document.contributors:
        common = [person.order, person.given_names, person.family_name, person.orcid]
        tail = [
            person.corresponding,
            "; ".join(a.name for a in person.affiliations),
            person.email,
            person.equal_contribution,
            "group" if person.group else "person",
            person.full_name,
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
    first = people[0] if people else None
    family = _key_word(first.family_name or first.full_name) if first else ""
    words = [_key_word(w) for w in (document.title or "").split()]
    word = next((w for w in words if w and w not in _STOP_WORDS), "")
    return (family + word) or "credit"


def biblatex_annotations(document: CreditStatement) -> dict[str, str]:
    """biblatex item annotations of the ``author`` list (built from role slugs only):
    ``roles`` as ``1=conceptualization,software; 2=…`` and ``corresponding`` as
    ``1=corresponding,equal`` (the corresponding author, and those who contributed equally).
    """
    people = document.contributors
    roles = [f"{p.order}={','.join(r.slug for r in p.roles)}" for p in people if p.roles]
    marks = []
    for p in people:
        words = [
            w
            for w, on in (("corresponding", p.corresponding), ("equal", p.equal_contribution))
            if on
        ]
        if words:
            marks.append(f"{p.order}={','.join(words)}")
    return {"roles": "; ".join(roles), "corresponding": "; ".join(marks)}


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
