"""The parts documents are built of: sections holding typed blocks.

A :class:`Section` has an id (its HTML anchor and the name of the partial that may render it
alone), a title and blocks. Each block kind has one partial per format
(``templates/<document>/<format>/block/<kind>.<ext>.j2``), so a section built from blocks
needs no template of its own. Blocks hold values, not text: ``None`` means not recorded and
the placeholder a format shows for it is chosen by the block (``absent``) and the template.
Sequences are lists so that the templates' sandbox can refuse to modify them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from repro.documents.formatting import Absent


@dataclass(frozen=True)
class Prose:
    """Paragraphs of text; ``None`` shows the "[More Information Needed]" marker."""

    kind: ClassVar[str] = "prose"
    paragraphs: list[str] | None
    title: str | None = None


@dataclass(frozen=True)
class Fact:
    """One label/value row; ``absent`` says what a missing value shows as."""

    label: str
    value: Any
    absent: Absent = "not-recorded"


@dataclass(frozen=True)
class Facts:
    """A key/value table, ``key`` and ``value`` naming its two columns."""

    kind: ClassVar[str] = "facts"
    rows: list[Fact]
    key: str = "Field"
    value: str = "Value"
    title: str | None = None


@dataclass(frozen=True)
class Column:
    """A table column: right-aligned when ``numeric``, monospaced when ``code``."""

    label: str
    numeric: bool = False
    code: bool = False
    absent: Absent = "none"


@dataclass(frozen=True)
class Table:
    """Rows of values under columns (one value per column in each row)."""

    kind: ClassVar[str] = "table"
    columns: list[Column]
    rows: list[list[Any]]
    title: str | None = None


@dataclass(frozen=True)
class Chart:
    """What a figure draws: ``kind`` picks the drawing (see ``repro.rendering.plots``), ``data``
    is its input. Drawing happens when a format that shows figures renders it."""

    kind: str
    data: Any


@dataclass(frozen=True)
class Figure:
    """A chart, or ``note`` in its place when there is nothing to draw."""

    kind: ClassVar[str] = "figure"
    chart: Chart | None
    note: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Code:
    """Verbatim text (a command, a citation); ``None`` shows "not recorded"."""

    kind: ClassVar[str] = "code"
    text: str | None
    language: str = ""
    title: str | None = None

    @property
    def fence(self) -> str:
        """A Markdown fence longer than any backtick run inside the text."""
        longest = max((len(run) for run in re.findall(r"`+", self.text or "")), default=0)
        return "`" * max(3, longest + 1)


@dataclass(frozen=True)
class Citation:
    """A BibTeX entry built from recorded facts: ``authors`` are contributors as the credit
    documents hold them (given/family names or a group), each field None when not recorded."""

    kind: ClassVar[str] = "citation"
    key: str
    title: str
    authors: list[Any]
    year: int | None = None
    url: str | None = None
    title_block: str | None = None  # the block's heading

    @property
    def fence(self) -> str:
        """A Markdown fence longer than any backtick run in the recorded text."""
        texts = [self.title, self.url or "", *(getattr(a, "full_name", "") for a in self.authors)]
        runs = [len(run) for text in texts for run in re.findall(r"`+", text)]
        return "`" * max(3, max(runs, default=0) + 1)


@dataclass(frozen=True)
class Note:
    """A short remark in small print; ``see`` points at another section (id, title)."""

    kind: ClassVar[str] = "note"
    text: str
    see: tuple[str, str] | None = None
    title: str | None = None


Block = Prose | Facts | Table | Figure | Code | Citation | Note


@dataclass(frozen=True)
class Section:
    """One titled part of a document; ``short_title`` is its name in a table of contents."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    short_title: str | None = None
