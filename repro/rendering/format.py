"""What a format is: a document function, a template, and how the output is labelled."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DocumentRef:
    """A document function named ``"package.module:function"``, imported on first call, so that
    reading the registry (one format's template, the ``--format`` choices) imports only the
    document modules the command uses: ``repro check`` never loads the card's."""

    target: str

    def resolve(self) -> Callable[..., Any]:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.resolve())


@dataclass(frozen=True)
class OutputFormat:
    """One output format.

    ``name`` is ``<family>-<variant>`` (``card-md``): the CLI command ``command`` offers the
    family's variants as ``--format`` choices (``repro card --format md``); every format is
    also reachable as ``repro render --format NAME``. ``document`` builds what the template
    shows from the source (a record, contributors, records, a check report) and the format's
    options, its keyword parameters. ``template_dirs`` are searched after a user's
    ``--template-dir`` and before the built-in templates (a plugin ships its templates there).
    """

    name: str
    document: Callable[..., Any]
    template: str
    accepts: tuple[type, ...]
    suffix: str
    media_type: str
    autoescape: bool
    description: str
    command: str | None = None
    template_dirs: tuple[str, ...] = field(default=())

    @property
    def family(self) -> str:
        """``card`` of ``card-md``, ``expected-max`` of ``expected-max-md`` (the variant is the
        part after the last hyphen)."""
        return self.name.rpartition("-")[0] or self.name

    @property
    def variant(self) -> str:
        return self.name.rpartition("-")[2]

    @property
    def options(self) -> dict[str, inspect.Parameter]:
        """The keyword options the document function takes (after the source)."""
        params = list(inspect.signature(self.document).parameters.values())[1:]
        keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return {p.name: p for p in params if p.kind in keyword}

    def takes(self, option: str) -> bool:
        """Whether ``option`` is one of this format's options."""
        params = inspect.signature(self.document).parameters.values()
        return option in self.options or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params
        )
