"""Turn pydantic validation errors into lines a person can act on."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from .paths import path_of

_MAX_SHOWN = 60


def field_path(loc: tuple[Any, ...]) -> str:
    """``('contributors', 0, 'orcid')`` -> ``contributors[0].orcid``."""
    return path_of(tuple(p if isinstance(p, int) else str(p) for p in loc)) or "(top level)"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def describe_errors(error: ValidationError, source: str, unknown_hint: str = "") -> list[str]:
    """One line per problem: ``source: field.path: what was expected (got …)``; ``unknown_hint``
    is added where a key is not in the schema (e.g. where the caller's schema can be read)."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if p not in ("function-after", "function-before"))
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = f"unknown field (not in the schema; check its spelling{unknown_hint})"
        line = f"{source}: {field_path(loc)}: {message}"
        if (
            item["type"] not in ("missing",)
            and "input" in item
            and not isinstance(item["input"], dict)
        ):
            line += f" (got {_shown(item['input'])})"
        lines.append(line)
    return lines
