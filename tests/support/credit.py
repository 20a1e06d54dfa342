"""Readers for the CRediT formats (JATS, JSON-LD, CSV, BibTeX) and a network guard."""

from __future__ import annotations

import csv
import io
import socket
from typing import Any

import bibtexparser
import pytest
import rdflib
from lxml import etree
from rdflib.collection import Collection

from support.paths import SHARED

JATS_DIR = SHARED / "schemas" / "jats" / "1.3"
SDO = rdflib.Namespace("http://schema.org/")  # schema.org's own namespace (its JSON-LD context)


def assert_valid(dtd: etree.DTD, root: etree._Element) -> None:
    assert dtd.validate(root), dtd.error_log.filter_from_errors()


def parse_xml(text: str) -> etree._Element:
    """Parse without fetching the DOCTYPE's DTD (validation is against the local copy)."""
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    return etree.fromstring(text.encode("utf-8"), parser)


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any socket connection other than to the loopback address fail the test."""
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"network access attempted: {address!r}")
        return real_connect(self, address)

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"network access attempted: name lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def read_jsonld(text: str) -> tuple[rdflib.Graph, rdflib.term.Node, list[rdflib.term.Node]]:
    """The graph, the work node and its ordered Role nodes."""
    graph = rdflib.Graph().parse(data=text, format="json-ld")
    (work,) = set(graph.subjects(rdflib.RDF.type, SDO.ScholarlyArticle))
    (head,) = list(graph.objects(work, SDO.author))
    return graph, work, list(Collection(graph, head))


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def read_bibtex(text: str) -> dict[str, str]:
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    (entry,) = library.entries
    return {"ID": entry.key, "ENTRYTYPE": entry.entry_type} | {f.key: f.value for f in entry.fields}
