"""CRediT statements in every format, read back with the tools journals and indexers use."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import rdflib
from lxml import etree
from support.credit import (
    JATS_DIR,
    SDO,
    assert_valid,
    block_network,
    parse_xml,
    read_bibtex,
    read_csv,
    read_jsonld,
)

from repro.cli import main
from repro.files.records import load_contributors, load_record
from repro.record import Contributors
from repro.rendering.api import render

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"
ROLES_CSV = SHARED / "data" / "credit-roles.csv"
EXAMPLES = ROOT / "examples" / "records"


# -- fixtures shared with the injection test (readers live in tests/support/credit.py) ------------


@pytest.fixture(scope="session")
def publishing_dtd() -> etree.DTD:
    return etree.DTD(str(JATS_DIR / "JATS-journalpublishing1-3.dtd"))


@pytest.fixture(scope="session")
def archiving_dtd() -> etree.DTD:
    return etree.DTD(str(JATS_DIR / "JATS-archivearticle1-3.dtd"))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network for this test (rdflib must resolve every JSON-LD context locally)."""
    block_network(monkeypatch)


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people() -> Contributors:
    return load_contributors(EXAMPLES / "contributors.yaml")


@pytest.fixture(scope="module")
def official_roles() -> list[dict[str, str]]:
    with ROLES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 14
    return rows


@pytest.fixture(scope="module")
def everyone_does_everything(official_roles: list[dict[str, str]]) -> Contributors:
    """One contributor holding all 14 roles (given by slug, in reverse), one holding none."""
    return Contributors.model_validate(
        {
            "title": "All roles",
            "contributors": [
                {
                    "given_names": "Josiah",
                    "family_name": "Carberry",
                    "orcid": "0000-0002-1825-0097",
                    "roles": [r["slug"] for r in reversed(official_roles)],
                },
                {"given_names": "No", "family_name": "Roles"},
            ],
        }
    )


# -- text -------------------------------------------------------------------------------------


def test_elsevier_style(people: Contributors) -> None:
    assert render(people, "credit-text") == (
        "Josiah Carberry: Conceptualization, Software, Writing – original draft. "
        "Ana María García-López: Formal analysis, Writing – review & editing. "
        "Wei Chen: Formal analysis, Investigation, Visualization.\n"
    )


def test_role_first_style_in_taxonomy_order_with_serial_comma(people: Contributors) -> None:
    three = people.model_copy(deep=True)
    three.contributors[0].roles.append(three.contributors[1].roles[0].model_copy())
    assert render(three, "credit-text", style="role-first") == (
        "Conceptualization: Josiah Carberry. "
        "Formal analysis: Josiah Carberry, Ana María García-López, and Wei Chen. "
        "Investigation: Wei Chen. Software: Josiah Carberry. Visualization: Wei Chen. "
        "Writing – original draft: Josiah Carberry. "
        "Writing – review & editing: Ana María García-López.\n"
    )


def test_degrees_style(people: Contributors) -> None:
    assert render(people, "credit-text", style="degrees") == (
        "Josiah Carberry: Conceptualization (lead), Software (lead), Writing – original draft. "
        "Ana María García-López: Formal analysis (equal), Writing – review & editing "
        "(supporting). Wei Chen: Formal analysis (equal), Investigation, Visualization.\n"
    )


def test_official_names_in_taxonomy_order(
    everyone_does_everything: Contributors, official_roles: list[dict[str, str]]
) -> None:
    names = ", ".join(r["name"] for r in official_roles)
    assert render(everyone_does_everything, "credit-text") == f"Josiah Carberry: {names}.\n"
    assert "Writing – original draft" in names  # en dash, as in the standard


def test_text_without_any_role_is_invalid_input(people: Contributors) -> None:
    bare = people.model_copy(deep=True)
    for person in bare.contributors:
        person.roles = []
    with pytest.raises(Exception, match="no contributor has a CRediT role") as err:
        render(bare, "credit-text")
    assert getattr(err.value, "exit_code", None) == 1


# -- JATS -------------------------------------------------------------------------------------


def test_jats_contrib_group_validates_and_carries_every_field(
    people: Contributors, publishing_dtd: etree.DTD
) -> None:
    root = parse_xml(render(people, "credit-jats"))
    assert root.tag == "contrib-group"
    assert_valid(publishing_dtd, root)
    first = root.find("contrib")
    assert first.get("corresp") == "yes"
    assert [child.tag for child in first][:2] == ["contrib-id", "name"]
    contrib_id = first.find("contrib-id")
    assert contrib_id.text == "https://orcid.org/0000-0002-1825-0097"
    assert contrib_id.get("authenticated") == "false"
    assert first.findtext("name/surname") == "Carberry"
    assert first.findtext("name/given-names") == "Josiah"
    assert first.findtext("email") == "josiah@example.org"
    role = first.find("role")
    assert dict(role.attrib) == {
        "vocab": "credit",
        "vocab-identifier": "https://credit.niso.org/",
        "vocab-term": "Conceptualization",
        "vocab-term-identifier": "https://credit.niso.org/contributor-roles/conceptualization/",
        "degree-contribution": "Lead",
    }
    # affiliations in <institution-wrap> (issue 11: room for ROR ids)
    affs = {a.get("id"): a.findtext("institution-wrap/institution") for a in root.findall("aff")}
    chen = root.findall("contrib")[2]
    assert [affs[x.get("rid")] for x in chen.findall("xref[@ref-type='aff']")] == [
        "Institute of Examples",
        "Universidad de Ejemplo",
    ]
    assert root.findall("contrib")[1].get("corresp") is None


def test_jats_full_article_validates(people: Contributors, archiving_dtd: etree.DTD) -> None:
    """Journal Publishing requires journal-meta (journal id, ISSN) we do not have, so the
    article declares and validates against the Archiving and Interchange DTD."""
    text = render(people, "credit-jats", article=True)
    assert "<!DOCTYPE article PUBLIC" in text
    root = parse_xml(text)
    assert_valid(archiving_dtd, root)
    assert root.findtext("front/article-meta/title-group/article-title") == people.title
    assert len(root.findall("front/article-meta/contrib-group/contrib")) == 3


def test_jats_roles_use_official_names_and_uris(
    everyone_does_everything: Contributors,
    official_roles: list[dict[str, str]],
    publishing_dtd: etree.DTD,
) -> None:
    root = parse_xml(render(everyone_does_everything, "credit-jats"))
    assert_valid(publishing_dtd, root)
    roles = root.findall("contrib")[0].findall("role")
    assert [(r.get("vocab-term"), r.get("vocab-term-identifier"), r.text) for r in roles] == [
        (r["name"], r["uri"], r["name"]) for r in official_roles
    ]
    assert root.findall("contrib")[1].find("role") is None


# -- JSON-LD ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("offline")
def test_jsonld_authors_in_order_with_orcid_and_role_uris(people: Contributors) -> None:
    graph, work, roles = read_jsonld(render(people, "credit-jsonld"))
    assert graph.value(work, SDO.name) == rdflib.Literal(people.title)
    assert len(roles) == 3
    for role, person in zip(roles, people.contributors, strict=True):
        assert (role, rdflib.RDF.type, SDO.Role) in graph
        node = graph.value(role, SDO.author)
        assert node == rdflib.URIRef(person.orcid)
        assert graph.value(node, SDO.familyName) == rdflib.Literal(person.family_name)
        assert graph.value(node, SDO.givenName) == rdflib.Literal(person.given_names)
        expected = {rdflib.URIRef(r.credit.uri) for r in person.roles}
        assert set(graph.objects(role, SDO.roleName)) == expected
        orgs = {graph.value(o, SDO.name) for o in graph.objects(node, SDO.affiliation)}
        assert orgs == {rdflib.Literal(a) for a in person.affiliations}
    query = """
        PREFIX schema: <http://schema.org/>
        SELECT ?orcid WHERE {
            ?role schema:author ?orcid ;
                  schema:roleName <https://credit.niso.org/contributor-roles/formal-analysis/> .
        }"""
    found = {str(row.orcid) for row in graph.query(query)}
    assert found == {
        "https://orcid.org/0000-0002-1694-233X",
        "https://orcid.org/0000-0001-5109-3700",
    }


@pytest.mark.usefixtures("offline")
def test_jsonld_role_uris_are_the_official_ones(
    everyone_does_everything: Contributors, official_roles: list[dict[str, str]]
) -> None:
    graph, _, roles = read_jsonld(render(everyone_does_everything, "credit-jsonld"))
    assert {str(u) for u in graph.objects(roles[0], SDO.roleName)} == {
        r["uri"] for r in official_roles
    }
    assert graph.value(roles[1], SDO.roleName) is None
    person = graph.value(roles[1], SDO.author)
    assert isinstance(person, rdflib.BNode)  # no ORCID: a blank node, not a made-up IRI


# -- CSV --------------------------------------------------------------------------------------


def test_csv_one_row_per_contributor_role(people: Contributors) -> None:
    text = render(people, "credit-csv")
    assert text.count("\r\n") == 9 and "\n" not in text.replace("\r\n", "")
    rows = read_csv(text)
    assert list(rows[0]) == [
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
        # added by issue 11 (equal contribution, group authors), after the original columns
        "equal_contribution",
        "contributor_type",
        "name",
    ]
    assert [(r["order"], r["role"], r["degree"]) for r in rows] == [
        ("1", "Conceptualization", "lead"),
        ("1", "Software", "lead"),
        ("1", "Writing – original draft", ""),
        ("2", "Formal analysis", "equal"),
        ("2", "Writing – review & editing", "supporting"),
        ("3", "Formal analysis", "equal"),
        ("3", "Investigation", ""),
        ("3", "Visualization", ""),
    ]
    assert rows[0]["corresponding"] == "true" and rows[3]["corresponding"] == "false"
    assert rows[5]["affiliations"] == "Institute of Examples; Universidad de Ejemplo"
    assert rows[3]["given_names"] == "Ana María" and rows[3]["family_name"] == "García-López"
    assert rows[0]["email"] == "josiah@example.org"


def test_csv_roles_are_official_and_roleless_contributors_kept(
    everyone_does_everything: Contributors, official_roles: list[dict[str, str]]
) -> None:
    rows = read_csv(render(everyone_does_everything, "credit-csv"))
    assert [(r["role"], r["role_uri"]) for r in rows[:14]] == [
        (r["name"], r["uri"]) for r in official_roles
    ]
    assert rows[14]["family_name"] == "Roles" and rows[14]["role"] == ""


# -- BibTeX -----------------------------------------------------------------------------------


def test_bibtex_entry_parses_with_statement_in_note(people: Contributors) -> None:
    entry = read_bibtex(render(people, "credit-bibtex"))
    assert entry["ID"] == "carberryrecurrent"
    assert entry["ENTRYTYPE"] == "misc"
    assert entry["title"] == people.title
    # "Family, Given Middle" unbraced (issue 11: braced given names lost the "M."), non-ASCII
    # as LaTeX macros BibTeX abbreviates as one letter
    assert entry["author"] == (
        "Carberry, Josiah and Garc{\\'\\i}a-L{\\'o}pez, Ana Mar{\\'\\i}a and Chen, Wei"
    )
    assert entry["note"].startswith(
        "CRediT author statement: Josiah Carberry: Conceptualization, Software, "
    )
    # the en dash as LaTeX, for pdflatex (issue 11: non-ASCII passed raw into LaTeX)
    assert r"Writing {\textendash} review \& editing" in entry["note"]
    assert "author+an:credit" not in entry


def test_bibtex_with_biblatex_role_annotations(people: Contributors) -> None:
    entry = read_bibtex(render(people, "credit-bibtex", biblatex=True, style="degrees"))
    assert entry["author+an:credit"] == (
        "1=conceptualization,software,writing-original-draft; "
        "2=formal-analysis,writing-review-editing; "
        "3=formal-analysis,investigation,visualization"
    )
    assert entry["author+an"] == "1=corresponding"
    assert "Conceptualization (lead)" in entry["note"]


# -- sources and the command line -------------------------------------------------------------


def test_a_record_renders_its_contributors_under_the_card_title(
    publishing_dtd: etree.DTD, archiving_dtd: etree.DTD
) -> None:
    record = load_record(EXAMPLES / "lstm-adding.yaml")
    root = parse_xml(render(record, "credit-jats", article=True))
    assert_valid(archiving_dtd, root)
    assert root.findtext(".//article-title") == record.card.title
    assert_valid(publishing_dtd, parse_xml(render(record, "credit-jats")))


def run_cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code or 0)


@pytest.mark.parametrize(
    ("fmt", "reader"),
    [
        ("text", lambda t: t.startswith("Josiah Carberry: Conceptualization")),
        ("jats", lambda t: parse_xml(t).tag == "contrib-group"),
        ("jsonld", lambda t: len(read_jsonld(t)[2]) == 3),
        ("csv", lambda t: len(read_csv(t)) == 8),
        ("bibtex", lambda t: read_bibtex(t)["ID"] == "carberryrecurrent"),
    ],
)
@pytest.mark.usefixtures("offline")
def test_cli_writes_each_format_to_stdout_and_to_a_file(
    fmt: str, reader: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(EXAMPLES / "contributors.yaml")
    assert run_cli("credit", source, "--format", fmt) == 0
    shown = capsys.readouterr().out
    assert reader(shown)
    target = tmp_path / "out" / f"statement.{fmt}"
    assert run_cli("credit", source, "--format", fmt, "-o", str(target)) == 0
    assert capsys.readouterr().out == ""
    written = target.read_bytes().decode("utf-8")
    assert written == shown
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp file left


def test_cli_options_and_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(EXAMPLES / "contributors.yaml")
    assert run_cli("credit", source, "--style", "role-first") == 0
    assert capsys.readouterr().out.startswith("Conceptualization: Josiah Carberry.")
    assert run_cli("credit", str(EXAMPLES / "lstm-adding.yaml"), "-f", "jats", "--article") == 0
    assert "LSTM baseline for the adding problem" in capsys.readouterr().out
    assert run_cli("credit", source, "-f", "csv", "--style", "degrees") == 2
    assert "--style applies to --format text or bibtex" in capsys.readouterr().err
    assert run_cli("credit", source, "-f", "text", "--article") == 2
    assert run_cli("credit", source, "-f", "jats", "--biblatex") == 2
    assert run_cli("credit", str(tmp_path / "missing.yaml")) == 2
    assert "missing.yaml: no such file" in capsys.readouterr().err
    no_people = tmp_path / "run.yaml"
    no_people.write_text("run: {name: lonely}\n", encoding="utf-8")
    assert run_cli("credit", str(no_people)) == 1
    assert "lists no contributors" in capsys.readouterr().err


def test_cli_warns_about_removed_bidi_controls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "people.yaml"
    source.write_text(
        'contributors: [{given_names: "Eve\u202e", family_name: Doe, roles: [software]}]\n',
        encoding="utf-8",
    )
    assert run_cli("credit", str(source)) == 0
    captured = capsys.readouterr()
    assert captured.out == "Eve Doe: Software.\n"
    assert "contributors[0].given_names: removed bidi control character(s) U+202E" in (captured.err)


def test_the_offline_guard_catches_a_remote_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard the JSON-LD tests rely on does stop rdflib fetching a remote @context."""
    block_network(monkeypatch)
    remote = '{"@context": "https://schema.org/", "@type": "Person", "name": "x"}'
    with pytest.raises(Exception) as err:
        rdflib.Graph().parse(data=remote, format="json-ld")
    chain = [err.value, err.value.__cause__, err.value.__context__]
    assert any("network access attempted" in str(e) for e in chain if e is not None)


def test_cli_reads_contributors_from_an_mlflow_run(
    tracking_store: str, publishing_dtd: etree.DTD, capsys: pytest.CaptureFixture[str]
) -> None:
    """SOURCE may be an MLflow run: the record logged with it supplies title and contributors."""
    import repro

    record = load_record(EXAMPLES / "lstm-adding.yaml")
    with repro.track(record, experiment="credit", capture=False) as run:
        pass
    uri = ["--tracking-uri", tracking_store]
    assert run_cli("credit", f"runs:/{run.run_id}", *uri, "-f", "jats") == 0
    root = parse_xml(capsys.readouterr().out)
    assert_valid(publishing_dtd, root)
    assert root.findtext("contrib/name/surname") == record.contributors[0].family_name
    assert run_cli("credit", run.run_id, *uri, "--style", "role-first") == 0
    assert capsys.readouterr().out == render(record, "credit-text", style="role-first")
