"""CRediT contribution statements: pure context builders and their format registrations.

Each builder turns contributors (a ``Contributors`` file or a ``RunRecord``'s contributors)
into plain template variables — dicts, lists and strings only, so sandboxed user templates
get data, never model objects. Role names and URIs come from ``repro.record.credit``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from repro.errors import InvalidInputError, UsageError
from repro.record import CREDIT_ROLES, CREDIT_VOCAB_IDENTIFIER, Contributors, RunRecord
from repro.record.credit import CREDIT_VOCAB
from repro.rendering.filters import bidi_controls, clean_text
from repro.rendering.registry import OutputFormat, register

TEXT_STYLES = ("elsevier", "role-first", "degrees")
CSV_HEADER = (
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
)
_ROLE_ORDER = {role.slug: i for i, role in enumerate(CREDIT_ROLES)}
CreditSource = Contributors | RunRecord


def as_contributors(source: CreditSource) -> Contributors:
    """The contributors and title of a source; a record without contributors is invalid."""
    if isinstance(source, Contributors):
        return source
    return source.to_contributors(f"run {source.run.name!r}")


def bidi_warnings(source: CreditSource) -> list[str]:
    """Field paths whose text held bidi control characters (they are dropped on output)."""
    people = as_contributors(source)
    found: list[str] = []
    fields: list[tuple[str, str | None]] = [("title", people.title)]
    for i, person in enumerate(people.contributors):
        base = f"contributors[{i}]"
        fields += [
            (f"{base}.given_names", person.given_names),
            (f"{base}.family_name", person.family_name),
            (f"{base}.email", person.email),
        ]
        fields += [(f"{base}.affiliations[{j}]", a) for j, a in enumerate(person.affiliations)]
    for path, value in fields:
        codes = bidi_controls(value or "")
        if codes:
            found.append(f"{path}: removed bidi control character(s) {', '.join(codes)}")
    return found


def contributor_data(source: CreditSource) -> dict[str, Any]:
    """The shared context: title, contributors (roles in taxonomy order), affiliations with
    stable ids (``aff1``…), and for each role used, who holds it and to what degree."""
    people = as_contributors(source)
    affiliations: dict[str, str] = {}
    contributors: list[dict[str, Any]] = []
    for order, person in enumerate(people.contributors, start=1):
        names = [clean_text(a) for a in person.affiliations]
        for name in names:
            affiliations.setdefault(name, f"aff{len(affiliations) + 1}")
        roles = sorted(person.roles, key=lambda r: _ROLE_ORDER[r.role])
        contributors.append(
            {
                "order": order,
                "given_names": clean_text(person.given_names),
                "family_name": clean_text(person.family_name),
                "full_name": clean_text(person.full_name),
                "orcid": person.orcid,
                "orcid_bare": person.orcid_bare,
                "email": clean_text(person.email) if person.email else None,
                "corresponding": person.corresponding,
                "affiliations": [{"id": affiliations[n], "name": n} for n in names],
                "roles": [
                    {
                        "slug": r.role,
                        "name": r.credit.name,
                        "uri": r.credit.uri,
                        "degree": r.degree,
                        "degree_label": r.degree.capitalize() if r.degree else None,
                    }
                    for r in roles
                ],
            }
        )
    by_role: list[dict[str, Any]] = []
    for role in CREDIT_ROLES:
        holders = [
            {"full_name": c["full_name"], "degree": r["degree"]}
            for c in contributors
            for r in c["roles"]
            if r["slug"] == role.slug
        ]
        if holders:
            by_role.append(
                {"slug": role.slug, "name": role.name, "uri": role.uri, "holders": holders}
            )
    return {
        "title": clean_text(people.title) if people.title else None,
        "contributors": contributors,
        "affiliations": [{"id": i, "name": n} for n, i in affiliations.items()],
        "roles": by_role,
        "vocab": CREDIT_VOCAB,
        "vocab_identifier": CREDIT_VOCAB_IDENTIFIER,
    }


def _check_style(style: str) -> str:
    if style not in TEXT_STYLES:
        raise UsageError(
            f"unknown CRediT statement style {style!r}; expected one of: {', '.join(TEXT_STYLES)}"
        )
    return style


def _require_roles(data: dict[str, Any], fmt: str) -> None:
    if not data["roles"]:
        raise InvalidInputError(
            f"{fmt}: contributors[*].roles: no contributor has a CRediT role, "
            "so there is no statement to write"
        )


def text_context(source: CreditSource, style: str = "elsevier") -> dict[str, Any]:
    """Context for the plain-text statement in one of ``TEXT_STYLES``."""
    data = contributor_data(source)
    _require_roles(data, "credit-text")
    return {**data, "style": _check_style(style)}


def jats_context(source: CreditSource, article: bool = False) -> dict[str, Any]:
    """Context for a JATS 1.3 ``<contrib-group>`` (or a whole ``<article>`` around it)."""
    return {**contributor_data(source), "article": bool(article)}


def jsonld_context(source: CreditSource, work_type: str = "ScholarlyArticle") -> dict[str, Any]:
    """Context holding a schema.org JSON-LD document: the work, authors as ordered ``Role``s.

    The ``@context`` is inline (no remote fetch needed to read it); ``roleName`` values are
    typed as IRIs, so each CRediT role is a node, not a string.
    """
    if not re.fullmatch(r"[A-Z][A-Za-z]+", work_type):
        raise UsageError(f"work_type {work_type!r} is not a schema.org type name")
    data = contributor_data(source)
    authors: list[dict[str, Any]] = []
    for person in data["contributors"]:
        node: dict[str, Any] = {
            "@type": "Person",
            "name": person["full_name"],
            "givenName": person["given_names"],
            "familyName": person["family_name"],
        }
        if person["orcid"]:
            node = {"@id": person["orcid"], **node}
        if person["email"]:
            node["email"] = person["email"]
        if person["affiliations"]:
            node["affiliation"] = [
                {"@type": "Organization", "name": a["name"]} for a in person["affiliations"]
            ]
        role: dict[str, Any] = {"@type": "Role", "author": node}
        if person["roles"]:
            role["roleName"] = [r["uri"] for r in person["roles"]]
        authors.append(role)
    document: dict[str, Any] = {
        "@context": {
            "@vocab": "https://schema.org/",
            "schema": "https://schema.org/",
            "roleName": {"@id": "schema:roleName", "@type": "@id"},
        },
        "@type": work_type,
    }
    if data["title"]:
        document["name"] = data["title"]
    document["author"] = {"@list": authors}
    return {**data, "document": document}


def csv_context(source: CreditSource) -> dict[str, Any]:
    """Context with the CSV ``header`` and ``rows``: one row per contributor-role; a
    contributor without roles gets one row with the role columns empty."""
    data = contributor_data(source)
    rows: list[list[Any]] = []
    for person in data["contributors"]:
        common = [person["order"], person["given_names"], person["family_name"], person["orcid"]]
        tail = [
            person["corresponding"],
            "; ".join(a["name"] for a in person["affiliations"]),
            person["email"],
        ]
        for role in person["roles"] or [None]:
            cells = [role["name"], role["uri"], role["degree"]] if role else [None] * 3
            rows.append([*common, *cells, *tail])
    return {**data, "header": list(CSV_HEADER), "rows": rows}


def _key_word(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


_STOP_WORDS = {"a", "an", "the", "on", "of", "for", "and", "in", "to", "with"}


def bibtex_key(data: dict[str, Any]) -> str:
    """``<first author's family name><first significant title word>``, ASCII letters/digits."""
    family = _key_word(data["contributors"][0]["family_name"]) if data["contributors"] else ""
    words = [_key_word(w) for w in (data["title"] or "").split()]
    word = next((w for w in words if w and w not in _STOP_WORDS), "")
    return (family + word) or "credit"


def bibtex_context(
    source: CreditSource, style: str = "elsevier", biblatex: bool = False
) -> dict[str, Any]:
    """Context for a ``@misc`` entry whose ``note`` is the statement in ``style``; with
    ``biblatex`` it also carries biblatex data annotations of each author's roles."""
    data = contributor_data(source)
    _require_roles(data, "credit-bibtex")
    return {
        **data,
        "style": _check_style(style),
        "key": bibtex_key(data),
        "biblatex": bool(biblatex),
        "annotations": biblatex_annotations(data),
    }


def biblatex_annotations(data: dict[str, Any]) -> dict[str, str]:
    """biblatex item annotations of the ``author`` list (built from role slugs only):
    ``roles`` as ``1=conceptualization,software; 2=…`` and ``corresponding`` as ``1=corresponding``.
    """
    people = data["contributors"]
    roles = [
        f"{c['order']}={','.join(r['slug'] for r in c['roles'])}" for c in people if c["roles"]
    ]
    corresponding = [f"{c['order']}=corresponding" for c in people if c["corresponding"]]
    return {"roles": "; ".join(roles), "corresponding": "; ".join(corresponding)}


_ACCEPTS = (Contributors, RunRecord)

register(
    OutputFormat(
        name="credit-text",
        template="credit/text.txt.j2",
        context=text_context,
        accepts=_ACCEPTS,
        suffix=".txt",
        media_type="text/plain",
        autoescape=False,
        description="CRediT statement as text: elsevier, role-first or degrees style.",
    )
)
register(
    OutputFormat(
        name="credit-jats",
        template="credit/jats.xml.j2",
        context=jats_context,
        accepts=_ACCEPTS,
        suffix=".xml",
        media_type="application/jats+xml",
        autoescape=True,
        description="JATS 1.3 <contrib-group> with CRediT roles (article=True: a whole article).",
    )
)
register(
    OutputFormat(
        name="credit-jsonld",
        template="credit/jsonld.json.j2",
        context=jsonld_context,
        accepts=_ACCEPTS,
        suffix=".jsonld",
        media_type="application/ld+json",
        autoescape=False,
        description="schema.org JSON-LD: the work with authors as ordered Roles (CRediT URIs).",
    )
)
register(
    OutputFormat(
        name="credit-csv",
        template="credit/csv.csv.j2",
        context=csv_context,
        accepts=_ACCEPTS,
        suffix=".csv",
        media_type="text/csv",
        autoescape=False,
        description="One row per contributor-role (RFC 4180, formula-injection guarded).",
    )
)
register(
    OutputFormat(
        name="credit-bibtex",
        template="credit/bibtex.bib.j2",
        context=bibtex_context,
        accepts=_ACCEPTS,
        suffix=".bib",
        media_type="application/x-bibtex",
        autoescape=False,
        description="BibTeX @misc with the statement in note (biblatex=True: role annotations).",
    )
)
