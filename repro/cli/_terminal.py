"""Text from data (run names, tags, journal contents) made safe to print.

On a terminal, a control character in a run name can move the cursor, rewrite earlier lines,
set the window title or make a hyperlink; in tab-separated output a tab or newline shifts
columns and rows. Data is therefore never printed raw: control characters (C0, DEL, C1) and
invisible format characters (bidirectional overrides, zero-width marks) become visible escapes.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control and format characters escaped (``\\x1b``, ``\\u202e``); newlines
    are kept, so a message may span lines."""
    if text.isprintable() or all(not _unsafe(c) or c == "\n" for c in text):
        return text
    return "".join(_escape(c) if _unsafe(c) and c != "\n" else c for c in text)


def field(text: str) -> str:
    """One tab-separated field: backslash, tab, newline and carriage return written ``\\\\``,
    ``\\t``, ``\\n``, ``\\r``, other control and format characters as ``\\xNN``/``\\uNNNN``."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_NAMED.get(c) or (_escape(c) if _unsafe(c) else c) for c in text)


def cell(text: str) -> str:
    """One table cell on a terminal: like :func:`field` (a cell holds one line)."""
    return field(text)
