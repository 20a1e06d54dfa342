"""MLflow clients: tracking-URI resolution, reachability, error translation, safe SQLite creation.

The only place (with the rest of ``repro.tracking``) that imports mlflow. MLflow's HTTP client
retries a refused connection for minutes by default, and its SQL stores retry an unreachable
database for 100 s while logging each attempt with the URI; durability here comes from the
journal, not from retrying inside a training step. So unless you set them yourself this module
lowers ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` (to 0) and ``MLFLOW_HTTP_REQUEST_TIMEOUT`` (to 30 s),
checks that a store answers (:mod:`repro.tracking._reach`, a few seconds at most, once) before
MLflow opens it, and retries with its own bounded backoff (:func:`with_retries`).

Credentials never leave the process: a URI is shown, journaled and compared in its
credential-free form (:func:`public_uri`), and every message is scrubbed of the password.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote, urlsplit

from repro.capture.redact import MASK, redact_text, redact_url
from repro.errors import InvalidInputError, UsageError
from repro.tracking.journal import exclusive

if TYPE_CHECKING:
    from mlflow import MlflowClient

T = TypeVar("T")

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")

PROBE_TIMEOUT_S = 3.0
SQLITE_PREFIX = "sqlite:///"
_BARE_SCHEMES = frozenset({"databricks", "databricks-uc", "uc"})


class StoreUnavailable(UsageError):
    """The tracking store cannot be reached (exit 2); the message names the URI, ``detail``
    says why in a few words."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


def resolve_uri(tracking_uri: str | None = None) -> str:
    """The URI to use: the argument, else ``MLFLOW_TRACKING_URI``, else MLflow's default
    (``sqlite:///mlflow.db`` in the working directory); SQLite paths made absolute."""
    if not tracking_uri:
        import mlflow

        tracking_uri = mlflow.get_tracking_uri()
    return normalize_uri(tracking_uri)


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


def open_client(uri: str, *, create: bool = False, check: bool = True) -> MlflowClient:
    """An MlflowClient for ``uri``.

    With ``check``, a store that does not answer within a few seconds raises
    :class:`StoreUnavailable` (once, without credentials); without ``create`` a local store
    (SQLite file, file store) that does not exist yet is an error instead of being created, so
    read-only commands never leave files behind. The first use of a SQLite store creates it
    under a file lock beside it, because MLflow's migrations race when processes create it
    at once.
    """
    from repro.tracking._reach import check_reachable

    if check:
        check_reachable(uri, create=create)
    from mlflow import MlflowClient

    db = sqlite_path(uri)
    try:
        if db is not None and create:
            db.parent.mkdir(parents=True, exist_ok=True)
            with exclusive(db.with_name(db.name + ".lock")):
                client = MlflowClient(tracking_uri=uri)  # may create/migrate the schema
                client.search_experiments(max_results=1)
        else:
            client = MlflowClient(tracking_uri=uri)
            if check:
                client.search_experiments(max_results=1)
    except Exception as exc:
        raise translate(exc, uri) from None
    return client


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
    return _first_line(f"{type(exc).__name__}: {exc}")


def is_not_found(exc: BaseException) -> bool:
    """Whether an MLflow error says the run/experiment/artifact does not exist."""
    code = getattr(exc, "error_code", None)
    return code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND") or "not found" in str(exc).lower()


def _unsupported_scheme(exc: BaseException) -> bool:
    text = str(exc)
    return "Unsupported" in type(exc).__name__ or (
        "unsupported URI" in text or "Could not find a registered" in text
    )


def translate(exc: BaseException, uri: str) -> Exception:
    """An MLflow/connection error as a ReproError a user can act on, free of credentials."""
    from mlflow.exceptions import MlflowException

    if isinstance(exc, InvalidInputError | UsageError):
        return exc
    if _unsupported_scheme(exc):
        scheme = urlsplit(uri).scheme or "(none)"
        return UsageError(
            f"{public_uri(uri)}: MLflow has no tracking store for the URI scheme {scheme!r}; "
            "use http(s)://, sqlite:///, postgresql://, mysql://, mssql://, file:// or a path"
        )
    if isinstance(exc, MlflowException):
        message = scrub(exc.message, uri)
        if is_not_found(exc):
            return InvalidInputError(f"{public_uri(uri)}: {message}")
        code = getattr(exc, "error_code", "")
        if code == "INVALID_PARAMETER_VALUE":
            return InvalidInputError(f"{public_uri(uri)}: {message}")
        return unreachable(uri, reason(exc) if "API request" in message else _first_line(message))
    return unreachable(uri, reason(exc))


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= 300 else line[:297] + "..."


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int = 4,
    first_delay: float = 0.5,
    should_stop: Callable[[], bool] | None = None,
) -> T:
    """Run ``call``, retrying failures with exponential backoff (0.5, 1, 2, ... s); the last
    error propagates. ``should_stop`` ends the waiting early."""
    delay = first_delay
    for attempt in range(attempts):
        try:
            return call()
        except Exception:
            if attempt == attempts - 1 or (should_stop is not None and should_stop()):
                raise
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            if should_stop is not None and should_stop():
                break
            time.sleep(min(0.05, delay))
        delay *= 2
    raise AssertionError("unreachable")


def get_or_create_experiment(client: MlflowClient, name: str) -> str:
    """The id of experiment ``name``, creating it; a concurrent creator's experiment is reused."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            raise InvalidInputError(
                f"experiment {name!r} is deleted in the tracking store; restore it or choose "
                "another name"
            )
        return str(found.experiment_id)
    try:
        return str(client.create_experiment(name))
    except MlflowException:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)
