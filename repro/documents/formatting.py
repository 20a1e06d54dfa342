"""Display text of document values: placeholders, numbers, spreads, intervals, text hygiene.

Documents hold values (numbers stay numbers, ``None`` means not recorded); this is the one
module that turns them into the text a reader sees. Templates reach it through filters
(``text``, ``sig``, ``mean_std``...), document functions call it to compose phrases such as
"by norm, max 1 (p=2)".

Bidirectional-text policy: explicit bidi controls (U+202A–U+202E embeddings/overrides,
U+2066–U+2069 isolates, U+200E/U+200F marks) are *removed* from every value shown
(:func:`neutralise` is also the Jinja environment's ``finalize``), together with characters
XML 1.0 forbids. They are invisible, carry no letters, and are the tool of "Trojan
Source"-style spoofing (CVE-2021-42574): an unbalanced U+202E in a name can reverse the text
that follows it. Right-to-left scripts still display correctly, because their direction comes
from the letters themselves. :func:`bidi_controls` reports what was found so callers can warn.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from markupsafe import Markup

# -- placeholders ------------------------------------------------------------------------------

MISSING = "[More Information Needed]"  # prose or metadata the author should supply
NOT_RECORDED = "not recorded"  # a fact the record does not hold
NOTHING = "—"  # nothing to show here (no unit, no spread for a single run)
NOT_MEASURED = "not measured"  # a measurement that was attempted or possible but not taken

# One wording per kind of absence; a block names the kind, never the words.
Absent = Literal["not-recorded", "needed", "none", "not-measured"]
PLACEHOLDERS: dict[str, str] = {
    "not-recorded": NOT_RECORDED,
    "needed": MISSING,
    "none": NOTHING,
    "not-measured": NOT_MEASURED,
}

# -- text hygiene ------------------------------------------------------------------------------

BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)
# C0 controls other than TAB/LF/CR, plus the non-characters XML 1.0 forbids.
_XML_FORBIDDEN = frozenset(
    {chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)} | {"\ufffe", "\uffff"}
)
_DROP = {ord(ch): None for ch in BIDI_CONTROLS | _XML_FORBIDDEN}
_SURROGATES = re.compile("[\ud800-\udfff]")
# Any character neutralise changes: one search decides whether a string needs the work.
_UNSAFE = re.compile("[" + "".join(sorted(BIDI_CONTROLS | _XML_FORBIDDEN)) + "\ud800-\udfff]")


def neutralise(value: Any) -> Any:
    """Drop bidi controls and XML-forbidden characters from a string; other values pass."""
    if not isinstance(value, str) or not _UNSAFE.search(value):
        return value
    cleaned = _SURROGATES.sub("\ufffd", str(value).translate(_DROP))
    return Markup(cleaned) if isinstance(value, Markup) else cleaned


def clean_text(value: Any) -> str:
    """``value`` as text with bidi controls and XML-forbidden characters removed (NFC form)."""
    return unicodedata.normalize("NFC", neutralise("" if value is None else str(value)))


def bidi_controls(value: str) -> list[str]:
    """The bidi control characters in ``value``, as ``U+XXXX`` codes, in order of appearance."""
    return [f"U+{ord(ch):04X}" for ch in value if ch in BIDI_CONTROLS]


def paragraphs(text: str | None) -> list[str] | None:
    """Prose split at blank lines (each paragraph's lines joined); None when absent or blank."""
    if text is None or not text.strip():
        return None
    parts = [" ".join(p.split()) for p in re.split(r"\n\s*\n", clean_text(text))]
    return [p for p in parts if p] or None


# -- numbers and settings ----------------------------------------------------------------------


def format_value(value: Any) -> str:
    """A setting as short display text: 6 significant digits, lists as tuples, dicts as k=v."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return "null" if value is None else str(value)


def settings_text(name: str, settings: Mapping[str, Any]) -> str:
    """``Name (k=v, ...)``, or just the name when there are no settings."""
    return f"{name} ({format_value(settings)})" if settings else name


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


def decimals_for(value: float, digits: int) -> int:
    """Decimal places that show ``value`` to ``digits`` significant digits (0 or more)."""
    if value == 0 or not math.isfinite(value):
        return digits
    return max(0, digits - 1 - math.floor(math.log10(abs(value))))


def fixed(value: float, places: int) -> str:
    """``value`` with ``places`` decimals (a column's one precision); never ``-0.00``."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.{places}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def mean_std_parts(mean: float, std: float, digits: int = 2) -> tuple[str, str]:
    """Mean and std as text, the mean rounded to the std's precision (``digits`` significant
    digits of the std), for a format to join with its own ± sign."""
    decimals = decimals_for(float(std), digits)
    return f"{float(mean):.{decimals}f}", f"{float(std):.{decimals}f}"


def mean_std(mean: Any, std: Any = None, digits: int = 2, sep: str = " ± ") -> str:
    """``mean ± std`` (see :func:`mean_std_parts`; a format passes its own ``sep``, e.g.
    LaTeX's ``$\\pm$``); without a std, the mean to 4 significant digits."""
    if mean is None:
        return ""
    if std is None:
        return sig(mean, 4)
    return sep.join(mean_std_parts(mean, std, digits))


def seed_list(seeds: Iterable[int]) -> str:
    """``0–4`` for consecutive seeds, ``0, 2, 7`` otherwise (sorted, duplicates once)."""
    values = sorted(set(seeds))
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}–{values[-1]}"
    return ", ".join(str(v) for v in values)


def percent(fraction: float) -> str:
    """``0.95`` -> ``95``; ``0.999`` -> ``99.9`` (no trailing zeros, no sign)."""
    return f"{fraction * 100:g}"


def join_oxford(items: Iterable[Any], conjunction: str = "and") -> str:
    """``A``, ``A and B``, ``A, B, and C`` (serial comma)."""
    words = [str(item) for item in items]
    if len(words) <= 2:
        return f" {conjunction} ".join(words)
    return f"{', '.join(words[:-1])}, {conjunction} {words[-1]}"


def duration_text(seconds: float | None) -> str | None:
    """``2 h 05 min`` or ``3 min 07 s``; None when not recorded."""
    if seconds is None:
        return None
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def gib_text(count: int | None) -> str | None:
    """A byte count in GiB to one decimal; None when not recorded."""
    return None if count is None else f"{count / 2**30:.1f} GiB"


def arrow(higher_is_better: bool | None) -> str:
    """``↑`` when higher is better, ``↓`` when lower is, empty when the direction is unknown."""
    return {True: "↑", False: "↓"}.get(higher_is_better, "")  # type: ignore[call-overload]


def direction_text(higher_is_better: bool | None) -> str | None:
    """``higher is better`` / ``lower is better``; None when not stated."""
    return {True: "higher is better", False: "lower is better"}.get(higher_is_better)  # type: ignore[call-overload]


# -- typed values: documents hold these, templates show them through ``text`` ------------------


@dataclass(frozen=True)
class Number:
    """A measured number shown to ``digits`` significant digits; ``trim`` drops trailing zeros."""

    value: float
    digits: int = 3
    trim: bool = False

    def __str__(self) -> str:
        return f"{self.value:.{self.digits}g}" if self.trim else sig(self.value, self.digits)


@dataclass(frozen=True)
class Spread:
    """A mean with its sample standard deviation (None for a single run)."""

    mean: float
    std: float | None = None

    @property
    def parts(self) -> tuple[str, str] | None:
        """(mean, std) as text with matching decimals; None without a std."""
        return None if self.std is None else mean_std_parts(self.mean, self.std)

    def __str__(self) -> str:
        return format_value(self.mean) if self.std is None else mean_std(self.mean, self.std)


@dataclass(frozen=True)
class Interval:
    """A confidence interval: ``[low, high] (95%)`` at ``digits`` significant digits."""

    low: float
    high: float
    level: float
    digits: int = 4

    def __str__(self) -> str:
        bounds = f"[{sig(self.low, self.digits)}, {sig(self.high, self.digits)}]"
        return f"{bounds} ({round(self.level * 100):g}%)"


@dataclass(frozen=True)
class Measure:
    """A value with its unit: ``0.0021 s``."""

    value: Any
    unit: str | None = None

    def __str__(self) -> str:
        shown = text(self.value)
        return f"{shown} {self.unit}" if self.unit else shown


@dataclass(frozen=True)
class Directed:
    """A metric name with the direction that is better: ``mse ↓``."""

    label: str
    higher_is_better: bool | None = None

    def __str__(self) -> str:
        mark = arrow(self.higher_is_better)
        return f"{self.label} {mark}" if mark else self.label


@dataclass(frozen=True)
class Flagged:
    """A value a reader should notice (e.g. a vanishing gradient); ``flag`` names why, and
    formats that can (HTML) mark it."""

    value: Any
    flag: str

    def __str__(self) -> str:
        return text(self.value)


def text(value: Any, absent: str = "not-recorded") -> str:
    """What a reader sees for a document value; ``None`` shows the ``absent`` placeholder."""
    if value is None:
        return PLACEHOLDERS[absent]
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int | float):  # bool too: digits, signs and yes/no need no cleaning
        return format_value(value)
    if isinstance(value, Number | Spread | Interval | Measure | Directed | Flagged):
        return clean_text(str(value))
    return clean_text(format_value(value))
