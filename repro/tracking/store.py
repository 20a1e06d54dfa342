"""MLflow clients: tracking-URI resolution, reachability, error translation, safe SQLite creation.

The only place (with the rest of ``repro.tracking``) that imports mlflow. MLflow's HTTP client
retries a refused connection for minutes by default; durability here comes from the journal, not
from retrying inside a training step, so unless you set them yourself this module lowers
``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` (to 0), ``MLFLOW_HTTP_REQUEST_TIMEOUT`` (to 30 s) for the
process and retries with its own bounded backoff instead (:func:`with_retries`).
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote, urlsplit

from repro.errors import InvalidInputError, UsageError
from repro.tracking.journal import exclusive

if TYPE_CHECKING:
    from mlflow import MlflowClient

T = TypeVar("T")

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")

PROBE_TIMEOUT_S = 3.0
SQLITE_PREFIX = "sqlite:///"


class StoreUnavailable(UsageError):
    """The tracking store cannot be reached (exit 2); the message names the URI."""


def resolve_uri(tracking_uri: str | None = None) -> str:
    """The URI to use: the argument, else ``MLFLOW_TRACKING_URI``, else MLflow's default
    (``sqlite:///mlflow.db`` in the working directory); SQLite paths made absolute."""
    if not tracking_uri:
        import mlflow

        tracking_uri = mlflow.get_tracking_uri()
    return normalize_uri(tracking_uri)


def normalize_uri(uri: str) -> str:
    """One spelling per store: absolute SQLite paths, no trailing slash on HTTP URIs."""
    if uri.startswith(SQLITE_PREFIX):
        path = unquote(uri[len(SQLITE_PREFIX) :].split("?", 1)[0])
        if path and path != ":memory:" and not path.startswith("/"):
            return SQLITE_PREFIX + str(Path(path).absolute())
        return uri
    if uri.startswith(("http://", "https://")):
        return uri.rstrip("/")
    return uri


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, None for other stores."""
    if not uri.startswith(SQLITE_PREFIX):
        return None
    path = unquote(uri[len(SQLITE_PREFIX) :].split("?", 1)[0])
    return None if not path or path == ":memory:" else Path(path)


def is_http(uri: str) -> bool:
    return urlsplit(uri).scheme in ("http", "https")


def probe(uri: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether an HTTP tracking server answers at all (any HTTP status counts); True for
    non-HTTP stores, which are checked when opened."""
    if not is_http(uri):
        return True
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, e.g. a proxy without /health
    except (urllib.error.URLError, OSError, ValueError):
        return False


def open_client(uri: str, *, check: bool = True) -> MlflowClient:
    """An MlflowClient for ``uri``. For SQLite, the first use creates the database under a file
    lock beside it, because MLflow's migrations race when processes create it at once.
    With ``check``, an unreachable store raises :class:`StoreUnavailable`."""
    from mlflow import MlflowClient

    if check and not probe(uri):
        raise StoreUnavailable(unreachable_message(uri))
    db = sqlite_path(uri)
    try:
        if db is not None:
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
    tail = f" ({detail})" if detail else ""
    return (
        f"cannot reach the MLflow tracking store at {uri}{tail}; start the server or pass "
        "another --tracking-uri / MLFLOW_TRACKING_URI"
    )


def is_not_found(exc: BaseException) -> bool:
    """Whether an MLflow error says the run/experiment/artifact does not exist."""
    code = getattr(exc, "error_code", None)
    return code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND") or "not found" in str(exc).lower()


def translate(exc: BaseException, uri: str) -> Exception:
    """An MLflow/connection error as a ReproError a user can act on."""
    from mlflow.exceptions import MlflowException

    if isinstance(exc, InvalidInputError | UsageError):
        return exc
    if isinstance(exc, MlflowException):
        if is_not_found(exc):
            return InvalidInputError(f"{uri}: {exc.message}")
        code = getattr(exc, "error_code", "")
        if code == "INVALID_PARAMETER_VALUE":
            return InvalidInputError(f"{uri}: {exc.message}")
        return StoreUnavailable(unreachable_message(uri, _first_line(exc.message)))
    return StoreUnavailable(unreachable_message(uri, _first_line(f"{type(exc).__name__}: {exc}")))


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
