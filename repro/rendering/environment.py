"""The Jinja environment: user templates over built-ins, strict undefineds, shared filters.

Built-in templates live in the top-level ``templates/`` directory of the source tree and are
installed as ``repro/templates`` inside the wheel. With ``template_dir`` a user's files shadow
built-ins of the same path (one partial at a time) and the whole render runs in Jinja's
immutable sandbox, since a user template is untrusted code:

- it reads only regular files inside ``template_dir``: a symbolic link leading out of it (to
  ``/proc/self/environ``, say) or a FIFO is refused;
- on Linux it renders in a forked child process limited to ``RENDER_TIME_LIMIT_S`` seconds and
  ``RENDER_MEMORY_LIMIT`` bytes beyond what the process already uses, and its output to
  ``MAX_OUTPUT_CHARS`` characters, so nested loops, ``center(5e8)``, huge format widths or
  an endless include end in a one-line error (elsewhere only the output size is bounded);
- any failure inside it (a template that includes itself, a macro that recurses without end,
  a filter given the wrong type) is a template error naming the file and line, never an
  internal error.
"""

from __future__ import annotations

import contextlib
import functools
import json
import operator
import os
import select
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sized
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from repro.errors import ReproError, UsageError
from repro.rendering.filters import FILTERS, TEMPLATE_GLOBALS, neutralise

# Largest string/list a sandboxed ``*`` may build, and largest exponent of ``**``.
MAX_REPEAT_LENGTH = 1_000_000
MAX_EXPONENT = 1_000
# Bounds on rendering one user template (see the module docstring).
RENDER_TIME_LIMIT_S = 10.0
RENDER_MEMORY_LIMIT = 1024 * 1024 * 1024
MAX_OUTPUT_CHARS = 20_000_000
_ISOLATE = sys.platform.startswith("linux") and hasattr(os, "fork")


class _RuntimeOnlyCodeGenerator(CodeGenerator):
    """Compiles without evaluating constant expressions: folding ``{{ 'x'|center(5e9) }}``
    would run it while compiling, in this process and outside the rendering limits."""

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        raise nodes.Impossible()


class UserTemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, also refusing ``*``/``**`` that would exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})
    code_generator_class = _RuntimeOnlyCodeGenerator

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


class _ConfinedLoader(jinja2.FileSystemLoader):
    """Loads from the user's directory first, refusing anything that is not a regular file
    inside it (a link out of it, a FIFO), then from the trusted directories (a format's own,
    the built-ins)."""

    def __init__(self, user_dir: str, trusted: list[str]) -> None:
        super().__init__([user_dir, *trusted], encoding="utf-8")
        self.user_dir = user_dir

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        candidate = os.path.join(self.user_dir, *pieces)
        if not os.path.lexists(candidate):
            return super().get_source(environment, template)
        real = os.path.realpath(candidate)
        if os.path.commonpath([real, self.user_dir]) != self.user_dir:
            raise SecurityError(
                f"{candidate} leads to {real}, outside the template directory {self.user_dir}"
            )
        if not os.path.isfile(real):
            raise SecurityError(f"{candidate} is not a regular file")
        with open(real, encoding="utf-8") as handle:
            source = handle.read()
        mtime = os.path.getmtime(real)

        def uptodate() -> bool:
            try:
                return os.path.getmtime(real) == mtime
            except OSError:
                return False

        return source, candidate, uptodate


def _template_line(exc: BaseException) -> tuple[str, int] | None:
    """(file, line) of the innermost template frame of a rendering error, if any."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and not frame.filename.endswith(".py") and frame.lineno:
            return frame.filename, frame.lineno
    return None


def _raise_at(exc: BaseException, where: list[Any] | None) -> NoReturn:
    """Raise ``exc`` from a frame at the template's file and line, so the caller's error
    message names them as it does for an error raised in this process."""
    if not where:
        raise exc
    filename, lineno = str(where[0]), max(1, int(where[1]))
    code = compile("\n" * (lineno - 1) + "raise __repro_error__", filename, "exec")
    exec(code, {"__repro_error__": exc})
    raise exc  # pragma: no cover - exec always raises


def _describe(exc: BaseException) -> dict[str, Any]:
    """A rendering error as plain data the parent can raise again."""
    where = _template_line(exc)
    info: dict[str, Any] = {"kind": type(exc).__name__, "message": str(exc), "where": where}
    if isinstance(exc, jinja2.TemplateSyntaxError):
        info.update(kind="syntax", lineno=exc.lineno, name=exc.name, filename=exc.filename)
        info["message"] = exc.message or ""
    elif isinstance(exc, jinja2.TemplateNotFound):
        info.update(kind="notfound", name=exc.name)
    elif isinstance(exc, SecurityError):
        info["kind"] = "security"
    elif isinstance(exc, jinja2.UndefinedError):
        info["kind"] = "undefined"
    elif isinstance(exc, ReproError):
        info["kind"] = "repro"
    return info


def _error_from(info: dict[str, Any]) -> BaseException:
    kind, message = info["kind"], info["message"]
    if kind == "syntax":
        return jinja2.TemplateSyntaxError(message, info["lineno"], info["name"], info["filename"])
    if kind == "notfound":
        return jinja2.TemplateNotFound(info["name"])
    if kind == "security":
        return SecurityError(message)
    if kind == "undefined":
        return jinja2.UndefinedError(message)
    if kind == "repro":
        return UsageError(message)
    if kind == "OverflowError":
        return OverflowError(message)
    if kind == "RecursionError":
        return SecurityError(
            "templates nest too deeply: a template that includes or extends itself, or a macro "
            "that calls itself without end"
        )
    if kind == "MemoryError":
        return SecurityError(
            f"rendering needed more than {RENDER_MEMORY_LIMIT // 2**20} MiB of memory"
        )
    if kind == "KeyboardInterrupt":
        return KeyboardInterrupt()
    return jinja2.TemplateRuntimeError(f"{kind}: {message}")


def _limit_memory() -> None:
    import resource

    try:
        with open("/proc/self/statm") as handle:
            used = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = used + RENDER_MEMORY_LIMIT
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _child(render: Callable[[], str], out: int) -> NoReturn:
    """In the forked child: render under the memory limit, send the result, exit at once."""
    status = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _limit_memory()
        info: dict[str, Any] | None = None
        text = ""
        try:
            text = render()
        except BaseException as exc:  # the parent raises it again
            info = {"kind": "MemoryError", "message": ""}
            with contextlib.suppress(MemoryError):
                info = _describe(exc)
        body = (
            b"OK\n" + text.encode("utf-8", "surrogatepass")
            if info is None
            else b"ERR\n" + json.dumps(info).encode("utf-8", "surrogatepass")
        )
        view = memoryview(body)
        while view:
            view = view[os.write(out, view) :]
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _isolated(render: Callable[[], str]) -> str:
    """``render()`` in a forked child under the time and memory limits."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        _child(render, write_end)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + RENDER_TIME_LIMIT_S
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_end], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read_end)
        if timed_out:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        raise SecurityError(f"rendering took longer than {RENDER_TIME_LIMIT_S:g} s")
    data = b"".join(chunks)
    if data.startswith(b"OK\n"):
        return data[3:].decode("utf-8", "surrogatepass")
    if data.startswith(b"ERR\n"):
        info = json.loads(data[4:])
        _raise_at(_error_from(info), info.get("where"))
    if os.WIFSIGNALED(status):
        raise SecurityError(
            f"rendering was stopped by signal {os.WTERMSIG(status)} (out of memory?)"
        )
    raise SecurityError(
        f"rendering ran out of memory (more than {RENDER_MEMORY_LIMIT // 2**20} MiB)"
    )


class _LimitedTemplate(jinja2.Template):
    """A user template: rendered under the limits of the module docstring."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        def bounded() -> str:
            ctx = self.new_context(dict(*args, **kwargs))
            parts: list[str] = []
            size = 0
            try:
                for chunk in self.root_render_func(ctx):
                    size += len(chunk)
                    if size > MAX_OUTPUT_CHARS:
                        raise SecurityError(
                            f"the output is larger than {MAX_OUTPUT_CHARS:,} characters"
                        )
                    parts.append(chunk)
            except Exception:
                self.environment.handle_exception()
            return "".join(parts)

        if _ISOLATE:
            return _isolated(bounded)
        try:
            return bounded()
        except RecursionError as exc:
            _raise_at(_error_from({"kind": "RecursionError", "message": ""}), None)
            raise exc  # pragma: no cover
        except (jinja2.TemplateError, OverflowError, ReproError):
            raise
        except Exception as exc:
            error = _error_from({"kind": type(exc).__name__, "message": str(exc)})
            _raise_at(error, _template_line(exc))


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
    trusted = [*extra_dirs, str(builtin_template_dir())]
    if user_dir is None:
        cls: type[jinja2.Environment] = jinja2.Environment
        loader: jinja2.BaseLoader = BuiltinLoader(trusted)
    else:
        cls = UserTemplateSandbox
        loader = _ConfinedLoader(user_dir, trusted)
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
        # Constant folding would run a user's expressions while compiling, outside the limits.
        optimized=user_dir is None,
    )
    env.filters.update(FILTERS)
    env.globals.update(TEMPLATE_GLOBALS)
    if user_dir is not None:
        env.template_class = _LimitedTemplate
    return env
