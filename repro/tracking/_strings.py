"""Text that cannot be written as UTF-8 (lone surrogates), made writable instead of fatal.

``sys.argv`` and file names carry undecodable bytes as lone surrogates (``/data/caf\\udce9`` for
the byte 0xE9); a free-form field may hold one too. Neither the journal, MLflow nor a record
file can store them, so they are replaced by their escapes (``/data/caf\\xe9``) and the field
paths are reported, never raised.
"""

from __future__ import annotations

from typing import Any


def encodable(text: str) -> str:
    """``text`` unchanged when it encodes as UTF-8, else with undecodable bytes written
    ``\\xNN`` (and other lone surrogates ``\\udNNN``)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def clean(data: Any, path: str = "") -> tuple[Any, list[str]]:
    """``data`` (JSON-like) with every string made encodable, and the paths that changed."""
    changed: list[str] = []
    if isinstance(data, str):
        fixed = encodable(data)
        return fixed, ([path or "(value)"] if fixed is not data else [])
    if isinstance(data, dict):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            new_key = encodable(key) if isinstance(key, str) else key
            where = f"{path}.{new_key}" if path else str(new_key)
            if new_key is not key:
                changed.append(where)
            out[new_key], inner = clean(value, where)
            changed.extend(inner)
        return out, changed
    if isinstance(data, list):
        items = []
        for index, value in enumerate(data):
            item, inner = clean(value, f"{path}[{index}]")
            items.append(item)
            changed.extend(inner)
        return items, changed
    return data, changed
