"""The Jinja environment: user templates over built-ins, strict undefineds, shared filters.

Built-in templates live in the top-level ``templates/`` directory of the source tree and are
installed as ``repro/templates`` inside the wheel. With ``template_dir`` a user's files shadow
built-ins of the same path (one partial at a time) and the whole render runs in Jinja's
immutable sandbox, since a user template is untrusted code.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sized
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from repro.errors import UsageError
from repro.rendering.filters import FILTERS, TEMPLATE_GLOBALS, neutralise

# Largest string/list a sandboxed ``*`` may build, and largest exponent of ``**``.
MAX_REPEAT_LENGTH = 1_000_000
MAX_EXPONENT = 1_000


class UserTemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, also refusing ``*``/``**`` that would exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent {right} is larger than {MAX_EXPONENT}")
            return operator.pow(left, right)
        for seq, times in ((left, right), (right, left)):
            if (
                isinstance(seq, Sized)
                and isinstance(times, int)
                and len(seq) * times > MAX_REPEAT_LENGTH
            ):
                raise SecurityError(
                    f"repetition would build {len(seq) * times} items (limit {MAX_REPEAT_LENGTH})"
                )
        return operator.mul(left, right)


# Extensions autoescaped in a format whose flag is on; a flag that is off disables it entirely.
AUTOESCAPE_EXTENSIONS = ("html", "htm", "xml", "svg", "j2")


@functools.cache
def builtin_template_dir() -> Path:
    """The built-in templates: ``repro/templates`` when installed, else ``<repo>/templates``."""
    installed = resources.files("repro").joinpath("templates")
    if installed.is_dir():
        return Path(str(installed))
    source_tree = Path(__file__).resolve().parents[2] / "templates"
    if source_tree.is_dir():
        return source_tree
    raise UsageError(
        "repro's built-in templates are missing (looked in "
        f"{installed} and {source_tree}); reinstall repro"
    )


class BuiltinLoader(jinja2.FileSystemLoader):
    """The built-in templates do not change while repro runs, so a name found missing once (a
    section without its own partial) is not looked up on disk again."""

    def __init__(self, searchpath: list[str]) -> None:
        super().__init__(searchpath, encoding="utf-8")
        self._missing: set[str] = set()

    def get_source(self, environment: jinja2.Environment, template: str) -> Any:
        if template in self._missing:
            raise jinja2.TemplateNotFound(template)
        try:
            return super().get_source(environment, template)
        except jinja2.TemplateNotFound:
            self._missing.add(template)
            raise


def _user_dir(template_dir: str | Path) -> Path:
    path = Path(template_dir).expanduser()
    if not path.is_dir():
        raise UsageError(f"{template_dir}: --template-dir is not a directory")
    return path.resolve()


def get_environment(
    autoescape: bool,
    template_dir: str | Path | None = None,
    extra_dirs: tuple[str, ...] = (),
) -> jinja2.Environment:
    """The (cached) environment for a format's autoescape flag, an optional user dir, and the
    format's own template directories (searched between the user's and the built-ins)."""
    user = None if template_dir is None else str(_user_dir(template_dir))
    return _environment(autoescape, user, tuple(str(d) for d in extra_dirs))


@functools.cache
def _environment(
    autoescape: bool, user_dir: str | None, extra_dirs: tuple[str, ...] = ()
) -> jinja2.Environment:
    search = [*([] if user_dir is None else [user_dir]), *extra_dirs, builtin_template_dir()]
    cls = jinja2.Environment if user_dir is None else UserTemplateSandbox
    paths = [str(p) for p in search]
    loader = (
        BuiltinLoader(paths)
        if user_dir is None
        else jinja2.FileSystemLoader(paths, encoding="utf-8")
    )
    env = cls(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=AUTOESCAPE_EXTENSIONS if autoescape else (),
            disabled_extensions=(),
            default_for_string=autoescape,
            default=autoescape,
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=neutralise,
        auto_reload=user_dir is not None,
    )
    env.filters.update(FILTERS)
    env.globals.update(TEMPLATE_GLOBALS)
    return env
