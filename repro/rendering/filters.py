"""Escaping and formatting filters for templates, gathered in one place.

Every string a user controls lands in some format; each format gets its own escaper here
(LaTeX, BibTeX, CSV, Markdown, JSON; HTML/XML escaping is Jinja's autoescape via markupsafe).

Bidirectional-text policy: explicit bidi controls (U+202A–U+202E embeddings/overrides,
U+2066–U+2069 isolates, U+200E/U+200F marks) are *removed* from every value a template prints
(``neutralise``, the environment's ``finalize``), together with characters XML 1.0 forbids.
They are invisible, carry no letters, and are the tool of "Trojan Source"-style spoofing
(CVE-2021-42574): an unbalanced U+202E in a name can reverse the text that follows it in a
rendered statement. Right-to-left scripts (Arabic, Hebrew) still display correctly, because
their direction comes from the letters themselves. ``bidi_controls`` reports what was found so
callers can warn the user.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

import yaml
from markupsafe import Markup

BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)
# C0 controls other than TAB/LF/CR, plus the non-characters XML 1.0 forbids.
_XML_FORBIDDEN = frozenset(
    {chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)} | {"\ufffe", "\uffff"}
)
_DROP = {ord(ch): None for ch in BIDI_CONTROLS | _XML_FORBIDDEN}
_SURROGATES = re.compile("[\ud800-\udfff]")


def neutralise(value: Any) -> Any:
    """Drop bidi controls and XML-forbidden characters from a string; other values pass.

    Used as the Jinja ``finalize`` hook, so it applies to everything a template prints.
    """
    if isinstance(value, Markup):
        return Markup(_SURROGATES.sub("\ufffd", str(value).translate(_DROP)))
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value.translate(_DROP))
    return value


def clean_text(value: Any) -> str:
    """``value`` as text with bidi controls and XML-forbidden characters removed (NFC form)."""
    return unicodedata.normalize("NFC", neutralise("" if value is None else str(value)))


def bidi_controls(value: str) -> list[str]:
    """The bidi control characters in ``value``, as ``U+XXXX`` codes, in order of appearance."""
    return [f"U+{ord(ch):04X}" for ch in value if ch in BIDI_CONTROLS]


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


def escape_latex(value: Any) -> str:
    """Text safe inside LaTeX: ``& % $ # _ { } ~ ^ \\ < > |`` escaped, newlines as spaces.

    Unicode is kept (NFC) for a UTF-8 LaTeX engine; ``--`` is split so it stays two hyphens.
    """
    text = _LATEX_RE.sub(lambda m: _LATEX[m.group(0)], clean_text(value))
    return text.replace("--", "-{}-")


def escape_bibtex(value: Any) -> str:
    """Text safe inside a braced BibTeX field: every brace it adds is balanced, none from
    the user survives raw, and LaTeX specials are escaped as in :func:`escape_latex`."""
    text = _BIBTEX_RE.sub(lambda m: _BIBTEX[m.group(0)], clean_text(value))
    return text.replace("--", "-{}-")


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


def to_yaml(value: Any) -> str:
    """Block-style YAML (safe dumper, key order kept, Unicode as is)."""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100)


# Characters that start inline markup anywhere (emphasis, code, links, tables, strikethrough,
# math on GitHub and Hugging Face); "( ) . - !" only matter next to these or at a line start.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")
# Block markers that only act at the start of a line: headings, lists, quotes, setext rules.
_MD_BLOCK_START = re.compile(
    r"^(\s*)(#{1,6}(?=\s|$)|[-+](?=\s|$)|[-=]+\s*$|\d{1,9}(?=[.)](?:\s|$)))"
)


def escape_md(value: Any) -> str:
    """Inline Markdown text: HTML metacharacters as entities, inline markup characters
    backslash-escaped, a leading block marker neutralised, line breaks as spaces, so user
    text cannot become markup yet stays readable (``0.001``, ``lstm-adding`` unescaped)."""
    text = clean_text(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    match = _MD_BLOCK_START.match(text)
    if match:
        marker = match.group(2)
        if marker[0].isdigit():  # "1." or "1)" starts an ordered list: escape the delimiter
            cut = match.end()
            return text[:cut] + "\\" + text[cut:]
        return match.group(1) + "\\" + text[match.start(2) :]
    return text


def md_cell(value: Any) -> str:
    """A Markdown table cell: :func:`escape_md` (which escapes ``|``); empty for None."""
    return "" if value is None else escape_md(value)


# -- Text and numbers -------------------------------------------------------------------------


def join_oxford(items: Iterable[Any], conjunction: str = "and") -> str:
    """``A``, ``A and B``, ``A, B, and C`` (serial comma)."""
    words = [str(item) for item in items]
    if len(words) <= 2:
        return f" {conjunction} ".join(words)
    return f"{', '.join(words[:-1])}, {conjunction} {words[-1]}"


def sig(value: Any, digits: int = 3) -> str:
    """A number to ``digits`` significant digits (``0.000123``, ``1.23e+06``); ints kept."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:#.{digits}g}".rstrip(".") if value else "0"


def _decimals_for(std: float, digits: int) -> int:
    if std == 0 or not math.isfinite(std):
        return digits
    return max(0, digits - 1 - math.floor(math.log10(abs(std))))


def mean_std(mean: Any, std: Any = None, digits: int = 2) -> str:
    """``mean ± std`` with the mean rounded to the std's precision (``digits`` significant
    digits of the std); without a std, the mean to 4 significant digits."""
    if mean is None:
        return ""
    if std is None:
        return sig(mean, 4)
    decimals = _decimals_for(float(std), digits)
    return f"{float(mean):.{decimals}f} ± {float(std):.{decimals}f}"


FILTERS: dict[str, Callable[..., Any]] = {
    "escape_latex": escape_latex,
    "latex": escape_latex,
    "escape_bibtex": escape_bibtex,
    "bibtex": escape_bibtex,
    "csv_cell": csv_cell,
    "csv_row": csv_row,
    "json": to_json,
    "yaml": to_yaml,
    "escape_md": escape_md,
    "md": escape_md,
    "md_cell": md_cell,
    "neutralise": neutralise,
    "clean": clean_text,
    "join_oxford": join_oxford,
    "sig": sig,
    "mean_std": mean_std,
}
