"""Tracking URIs: one spelling per store, the credential-free form that is shown, journaled and
compared, and the scrubbing of credentials out of any message (no mlflow import here)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from repro.capture.redact import MASK, redact_text, redact_url
from repro.errors import UsageError

SQLITE_PREFIX = "sqlite:///"
_BARE_SCHEMES = frozenset({"databricks", "databricks-uc", "uc"})


class StoreUnavailable(UsageError):
    """The tracking store cannot be reached (exit 2); the message names the URI, ``detail``
    says why in a few words."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


def normalize_uri(uri: str) -> str:
    """One spelling per store: absolute SQLite and file paths, no trailing slash on HTTP."""
    uri = uri.strip()
    if uri.startswith(SQLITE_PREFIX):
        path = unquote(uri[len(SQLITE_PREFIX) :].split("?", 1)[0])
        if path and path != ":memory:" and not path.startswith("/"):
            return SQLITE_PREFIX + str(Path(path).absolute())
        return uri
    if uri.startswith(("http://", "https://")):
        return uri.rstrip("/")
    local = local_store_path(uri)
    if local is not None:
        return local.absolute().as_uri()  # a bare path is MLflow's file store
    return uri


def public_uri(uri: str) -> str:
    """``uri`` without credentials (user info dropped, secret query values masked): what is
    shown, journaled and compared."""
    return redact_url(uri, drop_userinfo=True)


def same_store(a: str, b: str) -> bool:
    """Whether two URIs name the same store, whatever credentials they carry."""
    return public_uri(normalize_uri(a)) == public_uri(normalize_uri(b))


def scrub(text: str, uri: str | None = None) -> str:
    """``text`` with the password (and user info) of ``uri`` and any URL credentials masked."""
    if uri:
        try:
            netloc = urlsplit(uri).netloc
        except ValueError:
            netloc = ""
        userinfo = netloc.rpartition("@")[0] if "@" in netloc else ""
        secrets = {userinfo, userinfo.partition(":")[2]}
        secrets |= {unquote(s) for s in secrets}
        for secret in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
            text = text.replace(secret, MASK)
    return redact_text(text)


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, None for other stores."""
    if not uri.startswith(SQLITE_PREFIX):
        return None
    path = unquote(uri[len(SQLITE_PREFIX) :].split("?", 1)[0])
    return None if not path or path == ":memory:" else Path(path)


def local_store_path(uri: str) -> Path | None:
    """The directory of MLflow's file store (``file:`` URI or a bare path), else None."""
    if uri.startswith("file:"):
        return Path(unquote(urlsplit(uri).path or "."))
    if ":" not in uri and uri not in _BARE_SCHEMES:
        return Path(uri)
    return None


def is_http(uri: str) -> bool:
    return urlsplit(uri).scheme in ("http", "https")


def unreachable_message(uri: str, detail: str | None = None) -> str:
    tail = f" ({scrub(detail, uri)})" if detail else ""
    return (
        f"cannot reach the MLflow tracking store at {public_uri(uri)}{tail}; start the server "
        "or pass another --tracking-uri / MLFLOW_TRACKING_URI"
    )


def unreachable(uri: str, detail: str | None = None) -> StoreUnavailable:
    """The error for an unreachable store (see :func:`unreachable_message`)."""
    return StoreUnavailable(
        unreachable_message(uri, detail), scrub(detail, uri) if detail else None
    )


def reason(exc: BaseException) -> str:
    """A short cause of a connection error: the innermost OS error (``Connection refused``,
    ``timed out``) when there is one, else the first line of the message."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    found: OSError | None = None
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, TimeoutError) or "timeout" in type(current).__name__.lower():
            return "no answer in time"
        if isinstance(current, OSError) and current.strerror:
            found = current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        inner = getattr(current, "reason", None)
        if isinstance(inner, BaseException):
            todo.append(inner)
    if found is not None:
        return str(found.strerror)
    return first_line(f"{type(exc).__name__}: {exc}")


def first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= 300 else line[:297] + "..."
