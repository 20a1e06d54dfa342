"""Escaping and formatting filters for templates, gathered in one place.

Every string a user controls lands in some format; each format gets its own escaper here
(LaTeX, BibTeX, CSV, Markdown, JSON, GitHub workflow commands; HTML/XML escaping is Jinja's
autoescape via markupsafe). Display text of values (numbers, placeholders) comes from
:mod:`repro.documents.formatting`, whose functions are registered here as filters too, and
whose :func:`neutralise` (bidi controls and XML-forbidden characters removed) is applied to
everything a template prints.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import yaml
from markupsafe import Markup

from repro.documents.formatting import (
    BIDI_CONTROLS,
    MISSING,
    NOT_RECORDED,
    NOTHING,
    Directed,
    Flagged,
    Interval,
    Measure,
    Number,
    Spread,
    arrow,
    bidi_controls,
    clean_text,
    join_oxford,
    mean_std,
    neutralise,
    percent,
    sig,
    text,
)

__all__ = ["BIDI_CONTROLS", "FILTERS", "bidi_controls", "clean_text", "neutralise"]


# -- LaTeX and BibTeX --------------------------------------------------------------------------

_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\u00a0": "~",
    "\n": " ",
    "\r": " ",
    "\t": " ",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in sorted(_LATEX, key=len, reverse=True)))
# BibTeX counts every brace, escaped or not, so braces become brace-balanced commands.
_BIBTEX = {**_LATEX, "{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
_BIBTEX_RE = re.compile("|".join(re.escape(k) for k in sorted(_BIBTEX, key=len, reverse=True)))


@functools.cache
def _latex_encoder() -> Any:
    """pylatexenc's encoder for the characters outside ASCII (imported on first LaTeX output)."""
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    return UnicodeToLatexEncoder(
        non_ascii_only=True,
        replacement_latex_protection="braces-all",  # {\\"o}: one unit for BibTeX and LaTeX
        unknown_char_policy="unihex",  # a character LaTeX has no macro for: its code point
        unknown_char_warning=False,
    )


def latex_unicode(text: str) -> str:
    """Every non-ASCII character of ``text`` as the LaTeX that prints it (``ö`` -> ``{\\"o}``,
    ``α`` -> ``{\\ensuremath{\\alpha}}``), so pdflatex reads it with no Unicode set-up."""
    return text if text.isascii() else _latex_encoder().unicode_to_latex(text)


def escape_latex(value: Any) -> str:
    """Text safe inside LaTeX: ``& % $ # _ { } ~ ^ \\ < > |`` escaped, newlines as spaces,
    every non-ASCII character as a LaTeX macro (:func:`latex_unicode`); ``--`` is split so it
    stays two hyphens."""
    text = _LATEX_RE.sub(lambda m: _LATEX[m.group(0)], clean_text(value))
    return latex_unicode(text.replace("--", "-{}-"))


def escape_bibtex(value: Any) -> str:
    """Text safe inside a braced BibTeX field: every brace it adds is balanced, none from
    the user survives raw, LaTeX specials are escaped as in :func:`escape_latex`, and non-ASCII
    characters are braced macros, which BibTeX abbreviates and sorts as one letter."""
    text = _BIBTEX_RE.sub(lambda m: _BIBTEX[m.group(0)], clean_text(value))
    return latex_unicode(text.replace("--", "-{}-"))


# Places a narrow table cell may break a long token: after - / = : _ (after . and , before a
# letter, so numbers stay whole) and between a lower-
# and an upper-case letter (Cosine|AnnealingLR); never inside a control word.
_LATEX_BREAK = re.compile(
    r"(\\[A-Za-z]+\{?\}?|\\.)|(?<=[-/=:])(?=[A-Za-z0-9])|(?<=[.,])(?=[A-Za-z])|(?<=\\_)|(?<=[a-z]{3})(?=[A-Z][a-z])"
)


def latex_breakable(value: Any) -> str:
    """:func:`escape_latex` text with ``\\allowbreak`` where a long token may wrap, for the
    narrow columns of a table set to the text width."""

    def mark(match: re.Match[str]) -> str:
        return match.group(1) if match.group(1) else r"\allowbreak{}"

    return latex_unicode(_LATEX_BREAK.sub(mark, escape_latex(value)))


def _bibtex_name_part(text: str) -> str:
    """One part of a BibTeX name; braced whole when it holds what BibTeX would split at (a
    comma, or the word "and")."""
    escaped = escape_bibtex(text)
    return f"{{{escaped}}}" if re.search(r",|\band\b", text, flags=re.I) else escaped


def bibtex_name(person: Any) -> str:
    """A contributor as one BibTeX name: ``Family, Given Middle`` (so abbreviating styles print
    "A. M. Family"), a mononymous person by the one name, a group author braced whole
    (``{Open Science Collaboration}``) so no style splits or abbreviates it."""
    if getattr(person, "group", False):
        return f"{{{escape_bibtex(person.full_name)}}}"
    family, given = person.family_name, person.given_names
    if family and given:
        return f"{_bibtex_name_part(family)}, {_bibtex_name_part(given)}"
    return f"{{{escape_bibtex(family or given)}}}"


def bibtex_url(value: Any) -> str:
    """A URL for a BibTeX ``url`` field (read verbatim by styles): braces, backslashes and
    white space, which no URL holds raw, are dropped so the field stays balanced."""
    return re.sub(r"[{}\\\s]", "", clean_text(value))


# Words a sentence-case style must not lower-case: an upper-case letter after the first one
# (LSTM, GRUs, PyTorch, McCulloch) or a letter next to a digit (BiLSTM2, 3D).
_PROTECT_WORD = re.compile(
    r"(?<![\\\w{])([A-Za-z0-9]*(?:[a-z0-9][A-Z]|[A-Z]{2}|[A-Z][0-9]|[0-9][A-Z])\w*)"
)


def bibtex_title(value: Any) -> str:
    """A title for a BibTeX field: escaped (:func:`escape_bibtex`) with each acronym or
    inner-capital word braced, so styles that lower-case titles keep ``{LSTM}``."""
    text = _BIBTEX_RE.sub(lambda m: _BIBTEX[m.group(0)], clean_text(value))
    words = re.split(r"(\s+)", text)
    protected = [w if w.startswith("\\") else _PROTECT_WORD.sub(r"{\1}", w) for w in words]
    return latex_unicode("".join(protected).replace("--", "-{}-"))


# -- CSV --------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One cell's text with the formula-injection guard: a leading ``= + - @ TAB CR`` gets
    a ``'`` prefix so spreadsheets show it as text. ``None`` is an empty cell, booleans
    are ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    text = clean_text(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(values: Iterable[Any]) -> str:
    """One RFC 4180 record (quoted as needed by the csv module, CRLF-terminated)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([csv_cell(v) for v in values])
    return buffer.getvalue()


# -- JSON, YAML, Markdown ---------------------------------------------------------------------


def to_json(value: Any, indent: int | None = None) -> Markup:
    """JSON text (UTF-8, not ASCII-escaped) that is also safe inside an HTML ``<script>``:
    ``</``, ``<!--`` and U+2028/U+2029 are written as JSON escapes."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False)
    text = text.replace("</", "<\\/").replace("<!--", "\\u003c!--")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def to_yaml(value: Any, width: int | None = 100) -> str:
    """Block-style YAML (safe dumper, key order kept, Unicode as is); ``width=None`` never
    wraps a line (Hugging Face front matter)."""
    return yaml.safe_dump(
        value, sort_keys=False, allow_unicode=True, width=float("inf") if width is None else width
    )


# Characters that start inline markup anywhere (emphasis, code, links, tables, strikethrough,
# math on GitHub and Hugging Face); "( ) . - !" only matter next to these or at a line start.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")
# What could start raw HTML, an autolink or a character reference: "<" before a tag, comment
# or URL, "&" before an entity name. Backslash-escaped (CommonMark), so the raw text a reader
# sees on a hub has no "&amp;" in it.
_MD_HTML = re.compile(r"(<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;))")
# Block markers that only act at the start of a line: headings, lists, quotes, setext rules.
_MD_BLOCK_START = re.compile(
    r"^(\s*)(#{1,6}(?=\s|$)|[-+](?=\s|$)|>|[-=]+\s*$|\d{1,9}(?=[.)](?:\s|$)))"
)


def escape_md(value: Any) -> str:
    """Inline Markdown text: inline markup characters and what could open raw HTML or an
    entity backslash-escaped (never as entities, which a raw README would show), a leading
    block marker neutralised, line breaks as spaces, so user text cannot become markup yet
    stays readable (``0.001``, ``lstm-adding`` unescaped)."""
    text = clean_text(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_HTML.sub(r"\\\1", text)
    match = _MD_BLOCK_START.match(text)
    if match:
        marker = match.group(2)
        if marker[0].isdigit():  # "1." or "1)" starts an ordered list: escape the delimiter
            cut = match.end()
            return text[:cut] + "\\" + text[cut:]
        return match.group(1) + "\\" + text[match.start(2) :]
    return text


def escape_value(value: Any, escape: Callable[[Any], str]) -> str:
    """A document value's text with ``escape`` applied to the parts a user wrote (names,
    units, settings); numbers, spreads and intervals repro formats itself pass unescaped."""
    if isinstance(value, Measure):
        shown = escape_value(value.value, escape)
        return f"{shown} {escape(value.unit)}" if value.unit else shown
    if isinstance(value, Directed):
        mark = arrow(value.higher_is_better)
        return f"{escape(value.label)} {mark}" if mark else escape(value.label)
    if isinstance(value, Flagged):
        return escape_value(value.value, escape)
    if isinstance(value, Number | Spread | Interval | int | float):  # bool is an int: yes/no
        return text(value)
    return escape(text(value))


def md_value(value: Any, absent: str = "not-recorded") -> str:
    """A document value in a Markdown table cell; None shows its ``absent`` placeholder."""
    return text(None, absent) if value is None else escape_value(value, md_cell)


def md_cell(value: Any) -> str:
    """A Markdown table cell: :func:`escape_md` (which escapes ``|``); empty for None."""
    return "" if value is None else escape_md(value)


# -- figures -----------------------------------------------------------------------------------


def draw(chart: Any) -> Any:
    """The figure of a document's :class:`~repro.documents.blocks.Chart` (an SVG ``data:`` URI
    with title, alt text and caption), or None; matplotlib is imported only when drawing."""
    if chart is None:
        return None
    from repro.rendering.plots import draw as draw_chart

    return draw_chart(chart)


# -- GitHub workflow commands -------------------------------------------------------------


def github_message(value: Any) -> str:
    """The message of a ``::error ...::message`` command: ``%``, CR and LF escaped."""
    return clean_text(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(value: Any) -> str:
    """A property value (``file=``, ``title=``): also ``:`` and ``,`` escaped."""
    return github_message(value).replace(":", "%3A").replace(",", "%2C")


FILTERS: dict[str, Callable[..., Any]] = {
    "escape_latex": escape_latex,
    "latex": escape_latex,
    "latex_breakable": latex_breakable,
    "escape_bibtex": escape_bibtex,
    "bibtex": escape_bibtex,
    "bibtex_title": bibtex_title,
    "bibtex_name": bibtex_name,
    "bibtex_url": bibtex_url,
    "csv_cell": csv_cell,
    "csv_row": csv_row,
    "json": to_json,
    "yaml": to_yaml,
    "escape_md": escape_md,
    "md": escape_md,
    "md_cell": md_cell,
    "md_value": md_value,
    "neutralise": neutralise,
    "clean": clean_text,
    "join_oxford": join_oxford,
    "sig": sig,
    "mean_std": mean_std,
    "text": text,
    "arrow": arrow,
    "percent": percent,
    "github_message": github_message,
    "github_property": github_property,
    "draw": draw,
}

# Names every template may use: the placeholders of repro.documents.formatting.
TEMPLATE_GLOBALS: dict[str, Any] = {
    "missing": MISSING,
    "not_recorded": NOT_RECORDED,
    "nothing": NOTHING,
}
