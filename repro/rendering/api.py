"""``repro.render``: a source (record, contributors, runs, check report) -> text in a format.

The format's document function builds the typed document (pure), then its template renders
the document's fields, given as top-level template variables.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError

from repro.errors import UsageError
from repro.rendering.environment import get_environment
from repro.rendering.format import OutputFormat
from repro.rendering.registry import FORMATS, get_format

__all__ = ["FORMATS", "render"]


def render(source: Any, fmt: str, *, template_dir: str | Path | None = None, **options: Any) -> str:
    """Render ``source`` in the format named ``fmt`` (see ``repro.FORMATS``).

    ``template_dir`` holds user templates that shadow built-ins by path and run sandboxed;
    ``options`` go to the format's document function (e.g. ``style="role-first"``).
    """
    output = get_format(fmt)
    _check_source(output, source)
    _check_options(output, options)
    context = template_variables(output, output.document(source, **options))
    env = get_environment(output.autoescape, template_dir, output.template_dirs)
    try:
        template = env.get_template(output.template)
        return template.render(context)
    except jinja2.TemplateNotFound as exc:
        raise UsageError(
            f"format {fmt!r}: template {exc.name!r} not found in {_search_path(env)}"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise UsageError(
            f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}"
        ) from None
    except SecurityError as exc:
        raise UsageError(
            f"{_where(exc)}template tried an operation the sandbox forbids ({exc}); "
            "user templates may only read the values they are given"
        ) from None
    except jinja2.UndefinedError as exc:
        raise UsageError(f"{_where(exc)}template uses an undefined value: {exc}") from None
    except jinja2.TemplateError as exc:
        raise UsageError(f"{_where(exc)}template error: {exc}") from None
    except OverflowError as exc:  # the sandbox's range() limit
        raise UsageError(f"{_where(exc)}template refused: {exc}") from None


def _check_source(output: OutputFormat, source: Any) -> None:
    if not isinstance(source, output.accepts):
        expected = " or ".join(t.__name__ for t in output.accepts)
        raise UsageError(
            f"format {output.name!r} renders a {expected}, not a {type(source).__name__}"
        )


def template_variables(output: OutputFormat, document: Any) -> dict[str, Any]:
    """A document's fields as template variables (shallow: nested values stay typed)."""
    if dataclasses.is_dataclass(document) and not isinstance(document, type):
        return {f.name: getattr(document, f.name) for f in dataclasses.fields(document)}
    if isinstance(document, Mapping):
        return dict(document)
    raise TypeError(
        f"format {output.name!r}: its document function returned a {type(document).__name__}; "
        "it must return a dataclass instance or a mapping"
    )


def _check_options(output: OutputFormat, options: dict[str, Any]) -> None:
    unknown = sorted(name for name in options if not output.takes(name))
    if unknown:
        takes = ", ".join(output.options) or "no options"
        raise UsageError(
            f"format {output.name!r} does not take option(s) {', '.join(unknown)}; "
            f"it takes: {takes}"
        )


def _search_path(env: jinja2.Environment) -> str:
    loader = env.loader
    paths = getattr(loader, "searchpath", [])
    return ", ".join(str(p) for p in paths) or "(no template directories)"


def _where(exc: BaseException) -> str:
    """``file:line: `` of the innermost template frame of a runtime error, if any."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".j2", ".jinja", ".html", ".xml", ".txt", ".md", ".tex")):
            return f"{frame.filename}:{frame.lineno}: "
    return ""
