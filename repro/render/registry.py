"""The output-format registry: a format is a template plus one ``register`` call.

Built-in formats live in the modules of ``BUILTIN_MODULES``; each registers its formats when
imported, and this module imports them all once it has defined ``register``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from repro.errors import UsageError

BUILTIN_MODULES: tuple[str, ...] = (
    "repro.render.credit",
    "repro.render.card",
    "repro.render.tables",
    "repro.render.results",
    "repro.render.budget",
)


@dataclass(frozen=True)
class OutputFormat:
    """One output format: which template renders it, from which context, for which sources."""

    name: str
    template: str
    context: Callable[..., dict[str, Any]]
    accepts: tuple[type, ...]
    suffix: str
    media_type: str
    autoescape: bool
    description: str


FORMATS: dict[str, OutputFormat] = {}


def register(fmt: OutputFormat) -> OutputFormat:
    """Add a format to ``FORMATS``; registering the same definition again is a no-op."""
    existing = FORMATS.get(fmt.name)
    if existing is not None and existing != fmt:
        raise ValueError(f"output format {fmt.name!r} is already registered differently")
    FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str) -> OutputFormat:
    """The format called ``name``; an unknown name is a usage error listing the known ones."""
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS)) or "(none)"
        raise UsageError(f"unknown output format {name!r}; known formats: {known}") from None


def _load_builtin_formats() -> None:
    """Import each built-in format module; one not written yet is skipped, other errors raise."""
    for module in BUILTIN_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


_load_builtin_formats()
