"""``repro.render``: a source (record, contributors, runs) -> text in a registered format."""

from __future__ import annotations

import inspect
import traceback
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError

from repro.errors import UsageError
from repro.rendering.environment import get_environment
from repro.rendering.registry import FORMATS, OutputFormat, get_format

__all__ = ["FORMATS", "render"]


def render(source: Any, fmt: str, *, template_dir: str | Path | None = None, **options: Any) -> str:
    """Render ``source`` in the format named ``fmt`` (see ``repro.FORMATS``).

    ``template_dir`` holds user templates that shadow built-ins by path and run sandboxed;
    ``options`` go to the format's context builder (e.g. ``style="role-first"``).
    """
    output = get_format(fmt)
    _check_source(output, source)
    _check_options(output, options)
    context = output.context(source, **options)
    env = get_environment(output.autoescape, template_dir)
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


def _check_options(output: OutputFormat, options: dict[str, Any]) -> None:
    params = list(inspect.signature(output.context).parameters.values())[1:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    known = [p.name for p in params]
    unknown = sorted(set(options) - set(known))
    if unknown:
        takes = ", ".join(known) or "no options"
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
