"""Dotted field paths over a record's plain-data form: resolve one, flatten all."""

from __future__ import annotations

from typing import Any

MISSING: Any = object()


def resolve(data: Any, path: str) -> list[Any]:
    """Values at a dotted path; ``name[*]`` fans out over a list, ``name[2]`` picks one item.

    A missing step yields ``MISSING`` (an empty list fans out to one ``MISSING``), so callers
    can tell "not recorded" from "recorded as 0/False".
    """
    values = [data]
    for part in path.split("."):
        key, _, index = part.partition("[")
        index = index.rstrip("]")
        nxt: list[Any] = []
        for value in values:
            child = value.get(key, MISSING) if isinstance(value, dict) else MISSING
            if not index:
                nxt.append(child)
            elif not isinstance(child, list) or not child:
                nxt.append(MISSING)
            elif index == "*":
                nxt.extend(child)
            else:
                pos = int(index)
                nxt.append(child[pos] if -len(child) <= pos < len(child) else MISSING)
        values = nxt
    return values


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": [1, 2]}}`` -> ``{"a.b[0]": 1, "a.b[1]": 2}``; empty containers kept as-is."""
    out: dict[str, Any] = {}
    if isinstance(data, dict) and data:
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list) and data:
        for pos, value in enumerate(data):
            out.update(flatten(value, f"{prefix}[{pos}]"))
    else:
        out[prefix] = data
    return out
