"""Hostile text in every contributor string: each CRediT format still parses and says it back.

Every output is read with the tool its consumers use (DTD-validating lxml, rdflib offline,
bibtexparser, the csv module); the text must come back as written (bidi controls removed,
as documented in repro.rendering.filters; CSV formula cells carry their guard quote).
"""

from __future__ import annotations

import re

import pytest
from lxml import etree
from support.credit import (
    JATS_DIR,
    assert_valid,
    block_network,
    parse_xml,
    read_bibtex,
    read_csv,
    read_jsonld,
)

from repro.record import Contributors
from repro.rendering.api import render
from repro.rendering.filters import csv_cell

LONG = "x" * 10_000
HOSTILE = [
    "<script>alert(1)</script>",
    "]]><![CDATA[",
    "Tom & Jerry &amp; &#x26;",
    "\"double\" 'single' `back`",
    "{{ 7*7 }} {% if true %}IF{% endif %}",
    "100% \\ \\\\ { } }{ \\}",
    '=HYPERLINK("http://x")',
    "Smith and Jones, Jr.",
    "abc\u202edcba\u2066x\u2069\u200f",
    "@misc{evil, title={x}} -- $x^2$ #1 _a_ ~",
    LONG,
]
EMAIL = "<s>&{{7*7}}%\\{}\"'=x@ex.org"


def clean(text: str) -> str:
    """What the renderer promises to keep: the text without bidi controls."""
    return re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)


@pytest.fixture(scope="module")
def publishing_dtd() -> etree.DTD:
    return etree.DTD(str(JATS_DIR / "JATS-journalpublishing1-3.dtd"))


@pytest.fixture(scope="module")
def archiving_dtd() -> etree.DTD:
    return etree.DTD(str(JATS_DIR / "JATS-archivearticle1-3.dtd"))


@pytest.fixture(scope="module")
def hostile() -> Contributors:
    people = [
        {
            "given_names": HOSTILE[i],
            "family_name": HOSTILE[(i + 1) % len(HOSTILE)],
            "affiliations": HOSTILE,
            "email": EMAIL,
            "corresponding": i == 0,
            "roles": [{"role": "software", "degree": "lead"}, "writing-review-editing"],
        }
        for i in range(len(HOSTILE))
    ]
    people[1]["orcid"] = "0000-0002-1825-0097"
    return Contributors.model_validate({"title": " | ".join(HOSTILE), "contributors": people})


def test_nothing_is_evaluated(hostile: Contributors) -> None:
    for fmt in ("credit-text", "credit-jats", "credit-jsonld", "credit-csv", "credit-bibtex"):
        out = render(hostile, fmt)
        assert "49" not in out, fmt
        assert "\u202e" not in out and "\u2066" not in out, fmt
        assert "7*7" in out, fmt


def test_text_round_trips(hostile: Contributors) -> None:
    out = render(hostile, "credit-text")
    for person in hostile.contributors:
        assert f"{clean(person.full_name)}: Software, Writing – review & editing." in out


def test_jats_validates_and_round_trips(
    hostile: Contributors, publishing_dtd: etree.DTD, archiving_dtd: etree.DTD
) -> None:
    root = parse_xml(render(hostile, "credit-jats"))
    assert_valid(publishing_dtd, root)
    assert not list(root.iter("script"))
    contribs = root.findall("contrib")
    for element, person in zip(contribs, hostile.contributors, strict=True):
        assert element.findtext("name/given-names") == clean(person.given_names)
        assert element.findtext("name/surname") == clean(person.family_name)
        assert element.findtext("email") == EMAIL
    institutions = [a.findtext("institution-wrap/institution") for a in root.findall("aff")]
    assert institutions == [clean(h) for h in HOSTILE]
    article = parse_xml(render(hostile, "credit-jats", article=True))
    assert_valid(archiving_dtd, article)
    assert article.findtext(".//article-title") == clean(hostile.title or "")


def test_jsonld_parses_offline_and_round_trips(
    hostile: Contributors, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rdflib

    block_network(monkeypatch)
    sdo = rdflib.Namespace("http://schema.org/")
    graph, work, roles = read_jsonld(render(hostile, "credit-jsonld"))
    assert str(graph.value(work, sdo.name)) == clean(hostile.title or "")
    for role, person in zip(roles, hostile.contributors, strict=True):
        node = graph.value(role, sdo.author)
        assert str(graph.value(node, sdo.givenName)) == clean(person.given_names)
        assert str(graph.value(node, sdo.familyName)) == clean(person.family_name)
        assert str(graph.value(node, sdo.email)) == EMAIL
    assert graph.value(roles[1], sdo.author) == rdflib.URIRef(
        "https://orcid.org/0000-0002-1825-0097"
    )


def test_csv_parses_and_round_trips_with_formula_guard(hostile: Contributors) -> None:
    rows = read_csv(render(hostile, "credit-csv"))
    assert len(rows) == 2 * len(HOSTILE)
    for row, person in zip(rows[::2], hostile.contributors, strict=True):
        assert row["given_names"] == csv_cell(person.given_names)
        assert row["family_name"] == csv_cell(person.family_name)
        assert row["email"] == EMAIL
    assert rows[12]["given_names"] == "'" + '=HYPERLINK("http://x")'
    assert rows[0]["affiliations"] == "; ".join(clean(h) for h in HOSTILE)


_BIBTEX_UNESCAPE = {
    r"\textbackslash{}": "\\",
    r"\textbraceleft{}": "{",
    r"\textbraceright{}": "}",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    r"\textless{}": "<",
    r"\textgreater{}": ">",
    r"\textbar{}": "|",
    "-{}-": "--",
    **{f"\\{c}": c for c in "&%$#_"},
}
_UNESCAPE_RE = re.compile("|".join(re.escape(k) for k in _BIBTEX_UNESCAPE))


def unescape_bibtex(text: str) -> str:
    return _UNESCAPE_RE.sub(lambda m: _BIBTEX_UNESCAPE[m.group(0)], text)


def bibtex_names(field: str) -> list[tuple[str, str]]:
    """(family, given) of each "Family, Given" name, split at " and " and "," outside braces;
    a part braced whole (it holds a comma or "and") loses its braces."""
    names, depth, current = [], 0, ""
    for token in re.split(r"(\\.|[{}]| and |, )", field):
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        if depth == 0 and token == " and ":
            names.append(current)
            current = ""
        else:
            current += token
    names.append(current)
    parts = []
    for name in names:
        depth, cut = 0, None
        for i, ch in enumerate(name):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            if depth == 0 and name.startswith(", ", i) and i and name[i - 1] != "\\":
                cut = i
                break
        family, given = name[:cut], name[cut + 2 :]
        parts.append(tuple(re.sub(r"^\{(.*)\}$", r"\1", p) for p in (family, given)))
    return parts


def test_bibtex_parses_and_round_trips(hostile: Contributors) -> None:
    entry = read_bibtex(render(hostile, "credit-bibtex", biblatex=True))
    # protection braces around acronyms (issue 11) are the only bare braces in the title
    title = re.sub(r"(?<![\\a-z])\{([^{}\\]*)\}", r"\1", entry["title"])
    assert unescape_bibtex(title) == clean(hostile.title or "")
    names = bibtex_names(entry["author"])
    assert [(unescape_bibtex(f), unescape_bibtex(g)) for f, g in names] == [
        (clean(p.family_name), clean(p.given_names)) for p in hostile.contributors
    ]
    assert unescape_bibtex(entry["note"]).startswith(
        f"CRediT author statement: {clean(hostile.contributors[0].full_name)}: Software"
    )
    assert entry["author+an:credit"].startswith("1=software,writing-review-editing; ")
