"""ORCID iDs: ISO 7064 MOD 11-2 checksum and one canonical form."""

from __future__ import annotations

import re

ORCID_PREFIX = "https://orcid.org/"
_BARE = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")


def orcid_checksum(base_digits: str) -> str:
    """The check character for the first 15 digits (ISO 7064 MOD 11-2)."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalize_orcid(value: str) -> str:
    """Canonical ``https://orcid.org/0000-0002-1825-0097`` from a bare or URL form.

    Raises ValueError naming what was wrong (shape or checksum).
    """
    text = value.strip()
    for prefix in ("https://orcid.org/", "http://orcid.org/", "orcid.org/", "orcid:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    match = _BARE.match(text.upper())
    if not match:
        raise ValueError(
            f"{value!r} is not an ORCID iD; expected 16 digits as 0000-0000-0000-000X, "
            "bare or as https://orcid.org/…"
        )
    digits = "".join(match.groups())
    expected = orcid_checksum(digits[:15])
    if digits[15] != expected:
        raise ValueError(
            f"ORCID iD {value!r} fails its ISO 7064 MOD 11-2 checksum "
            f"(last character should be {expected!r}); check for a typo"
        )
    return ORCID_PREFIX + "-".join(match.groups())


def bare_orcid(canonical: str) -> str:
    """``0000-0002-1825-0097`` from the canonical URL form."""
    return canonical.removeprefix(ORCID_PREFIX)
