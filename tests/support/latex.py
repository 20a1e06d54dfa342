"""Compile LaTeX as an author would: pdflatex (and bibtex) in a standard article, read the log.

A missing pdflatex or bibtex fails the test that needs it (`.ci/run` installs Debian's
texlive-latex-recommended and texlive-bibtex-extra); nothing here skips.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

PREAMBLE = "\\documentclass{article}\n\\usepackage{booktabs,tabularx}\n"


@dataclass(frozen=True)
class Compiled:
    """What one compile produced: the log, its errors and overfull boxes, the PDF text."""

    log: str
    errors: list[str]
    overfull: list[str]
    pdf: Path


def program(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is required (Debian: texlive-latex-recommended texlive-bibtex-extra)"
    return found


def compile_latex(
    body: str, workdir: Path, *, bibliography: str | None = None, preamble_extra: str = ""
) -> Compiled:
    """``body`` inside ``\\begin{document}`` of a standard article (10 pt, 345 pt text width);
    with ``bibliography`` (BibTeX text), every entry cited and typeset in an abbreviating style
    (abbrv) through bibtex."""
    pdflatex = program("pdflatex")
    document = PREAMBLE + preamble_extra + "\\begin{document}\n" + body + "\n"
    if bibliography is not None:
        (workdir / "refs.bib").write_text(bibliography, encoding="utf-8")
        document += "\\nocite{*}\n\\bibliographystyle{abbrv}\n\\bibliography{refs}\n"
    (workdir / "doc.tex").write_text(document + "\\end{document}\n", encoding="utf-8")
    run = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]

    def latex() -> None:
        subprocess.run(run, cwd=workdir, capture_output=True, timeout=120, check=False)

    latex()
    if bibliography is not None:
        bib = subprocess.run(
            [program("bibtex"), "doc"], cwd=workdir, capture_output=True, text=True, timeout=60
        )
        assert bib.returncode == 0, bib.stdout + bib.stderr
        latex()
        latex()
    log = (workdir / "doc.log").read_text(encoding="latin-1")
    lines = log.splitlines()
    errors = [line for line in lines if line.startswith("!")]
    overfull = [line for line in lines if line.startswith("Overfull \\hbox")]
    return Compiled(log, errors, overfull, workdir / "doc.pdf")


def pdf_text(pdf: Path) -> str:
    """The PDF's text (pdftotext from poppler-utils, NFC), pages separated by form feeds."""
    done = subprocess.run(
        [program("pdftotext"), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # TeX draws "í" as a dotless i with an accent over it: compose what the fonts split
    text = done.stdout.replace("\u0131\u0301", "í").replace("\u0131", "i")
    return unicodedata.normalize("NFC", text)
