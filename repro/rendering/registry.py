"""The output-format registry: every consumer (``repro.render``, the CLI) reads this one table.

A format is one document function (source -> typed document, in ``repro.documents``), one
template, and one registration. The built-in formats are listed in
:mod:`repro.rendering.builtin`; other packages add theirs through the ``repro.formats`` entry
point group (each entry point names an :class:`OutputFormat` or a list of them), loaded the
first time the registry is read. A plugin that fails to load is logged and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from typing import Any

from repro.errors import UsageError
from repro.rendering.format import OutputFormat

__all__ = [
    "ENTRY_POINT_GROUP",
    "FORMATS",
    "OutputFormat",
    "builtin_variants",
    "families_of",
    "format_of",
    "formats_of",
    "get_format",
    "load_entry_points",
    "register",
    "unregister",
]

ENTRY_POINT_GROUP = "repro.formats"
logger = logging.getLogger("repro.rendering")


class _Registry(Mapping[str, OutputFormat]):
    """Format name -> format, in registration order; filled on first read."""

    def __init__(self) -> None:
        self._formats: dict[str, OutputFormat] = {}
        self._builtins_loaded = False
        self._loaded = False
        self._loading = False  # a plugin module may call register() while it is imported
        self._lock = threading.RLock()

    def _load_builtins(self) -> None:
        """Register the built-in formats (once). Scanning installed packages for plugins costs
        about as much as the rest of ``repro check``, so a built-in name is found without it."""
        if self._builtins_loaded:
            return
        with self._lock:
            if not self._builtins_loaded:
                from repro.rendering.builtin import BUILTIN_FORMATS

                for fmt in BUILTIN_FORMATS:
                    self.add(fmt)
                self._builtins_loaded = True

    def _load(self) -> None:
        """Register the built-ins, then the plugins' formats (once; other threads wait)."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded or self._loading:
                return
            self._loading = True
            try:
                self._load_builtins()
                load_entry_points()
            finally:
                self._loading, self._loaded = False, True

    def builtin(self) -> list[OutputFormat]:
        """The built-in formats, without loading plugins (they cannot replace a built-in)."""
        self._load_builtins()
        from repro.rendering.builtin import BUILTIN_FORMATS

        return list(BUILTIN_FORMATS)

    def __getitem__(self, name: str) -> OutputFormat:
        self._load_builtins()
        if name not in self._formats:
            self._load()
        return self._formats[name]

    def __iter__(self) -> Iterator[str]:
        self._load()
        return iter(list(self._formats))

    def __len__(self) -> int:
        self._load()
        return len(self._formats)

    def add(self, fmt: OutputFormat) -> OutputFormat:
        existing = self._formats.get(fmt.name)
        if existing is not None and existing != fmt:
            raise ValueError(f"output format {fmt.name!r} is already registered differently")
        self._formats[fmt.name] = fmt
        return fmt

    def discard(self, name: str) -> None:
        self._formats.pop(name, None)


FORMATS = _Registry()


def register(fmt: OutputFormat) -> OutputFormat:
    """Add a format; registering the same definition again is a no-op, a different one under a
    taken name is a ValueError."""
    if not isinstance(fmt, OutputFormat):
        raise TypeError(f"register() takes an OutputFormat, got {type(fmt).__name__}")
    FORMATS._load()  # built-ins and plugins first, so they keep their places and names
    return FORMATS.add(fmt)


def unregister(name: str) -> None:
    """Remove a format (tests, plugins replacing their own); unknown names are ignored."""
    FORMATS.discard(name)


def get_format(name: str) -> OutputFormat:
    """The format called ``name``; an unknown name is a usage error listing the known ones."""
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(FORMATS) or "(none)"
        raise UsageError(f"unknown output format {name!r}; known formats: {known}") from None


def formats_of(command: str) -> dict[str, OutputFormat]:
    """Variant -> format for the formats a CLI command offers, in registration order."""
    return {f.variant: f for f in FORMATS.values() if f.command == command}


def format_of(command: str, variant: str) -> OutputFormat:
    """The format ``command`` offers as ``--format variant``: a built-in one without loading
    plugins, else from the whole registry (KeyError when none)."""
    for fmt in FORMATS.builtin():
        if fmt.command == command and fmt.variant == variant:
            return fmt
    return formats_of(command)[variant]


def builtin_variants(command: str) -> list[str]:
    """The built-in ``--format`` variants of ``command`` (no plugin loading)."""
    return [f.variant for f in FORMATS.builtin() if f.command == command]


def families_of(command: str) -> dict[str, list[OutputFormat]]:
    """Family -> its formats, for a command offering several families (``repro report``)."""
    out: dict[str, list[OutputFormat]] = {}
    for fmt in FORMATS.values():
        if fmt.command == command:
            out.setdefault(fmt.family, []).append(fmt)
    return out


def _formats_in(value: Any, source: str) -> Iterable[OutputFormat]:
    items = [value] if isinstance(value, OutputFormat) else list(value)
    for item in items:
        if not isinstance(item, OutputFormat):
            raise TypeError(f"{source} gave a {type(item).__name__}, not an OutputFormat")
    return items


def load_entry_points() -> None:
    """Register the formats other packages declare under the ``repro.formats`` group."""
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {entry.name} = {entry.value}"
        try:
            loaded = entry.load()
            for fmt in _formats_in(loaded() if callable(loaded) else loaded, where):
                if fmt.name in FORMATS._formats and FORMATS._formats[fmt.name] != fmt:
                    logger.warning("repro: %s: format %r is already registered", where, fmt.name)
                    continue
                FORMATS.add(fmt)
        except Exception as exc:  # a broken plugin must not break repro
            logger.warning("repro: %s could not be loaded: %s: %s", where, type(exc).__name__, exc)
