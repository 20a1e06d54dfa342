"""A paper's appendix as a document: its parts in order, each the files it ``\\input``s, the
figures it includes, prose, and a note where a part could not be made (``appendix-latex``,
``appendix-body``).

The bundle (:mod:`repro.paper`) writes every part's files and then this document, so the
appendix only names files that exist; a part whose facts were not recorded carries a note
saying why, never an empty section.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# What appendix.tex loads; every built-in LaTeX output compiles with these.
PACKAGES = ("booktabs", "tabularx", "graphicx")


@dataclass(frozen=True)
class FigureFile:
    """A figure the bundle wrote: its path (relative to the folder, no suffix dots but the
    extension's) and the caption (plain text; the template escapes it)."""

    path: str
    caption: str
    label: str


@dataclass(frozen=True)
class Part:
    """One subsection: ``inputs`` are .tex files (relative paths) the appendix inputs, ``prose``
    plain text set as paragraphs, ``note`` why something is missing (plain text)."""

    id: str
    title: str
    inputs: list[str] = field(default_factory=list)
    figures: list[FigureFile] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)
    note: str | None = None
    sloppy: bool = False  # prose from data: let TeX stretch spaces rather than overfill lines
    lead: str | None = None  # a sentence pointing at the part's table or figure (plain text)
    ref: str | None = None  # the \label it points at, set after ``lead`` as "~\ref{...}."


@dataclass(frozen=True)
class Appendix:
    """The appendix: its title, parts, the body file the standalone document inputs, the
    LaTeX packages it needs, and the other files of the folder (listed in a comment)."""

    title: str
    parts: list[Part]
    body: str = "appendix-body"
    packages: list[str] = field(default_factory=lambda: list(PACKAGES))
    other_files: list[str] = field(default_factory=list)


def appendix(source: Appendix, title: str | None = None) -> Appendix:
    """The appendix as written by the bundle (``title`` replaces its title)."""
    return source if title is None else replace(source, title=title)
