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
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from repro.errors import InvalidInputError, UsageError
from repro.tracking._uris import (
    SQLITE_PREFIX,
    StoreUnavailable,
    first_line,
    is_http,
    local_store_path,
    normalize_uri,
    public_uri,
    reason,
    same_store,
    scrub,
    sqlite_path,
    unreachable,
    unreachable_message,
)
from repro.tracking.journal import exclusive

__all__ = [
    "SQLITE_PREFIX",
    "StoreUnavailable",
    "is_http",
    "local_store_path",
    "normalize_uri",
    "open_client",
    "public_uri",
    "resolve_uri",
    "same_store",
    "scrub",
    "sqlite_path",
    "translate",
    "unreachable",
    "unreachable_message",
    "with_retries",
]

if TYPE_CHECKING:
    from mlflow import MlflowClient

T = TypeVar("T")

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
# reading a run's record must not draw MLflow's artifact-download progress bars on stderr
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"  # MLflow 3 opens such experiments on the runs table


def resolve_uri(tracking_uri: str | None = None) -> str:
    """The URI to use: the argument, else ``MLFLOW_TRACKING_URI``, else MLflow's default
    (``sqlite:///mlflow.db`` in the working directory); SQLite paths made absolute."""
    if not tracking_uri:
        import mlflow

        tracking_uri = mlflow.get_tracking_uri()
    return normalize_uri(tracking_uri)


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
        return unreachable(uri, reason(exc) if "API request" in message else first_line(message))
    return unreachable(uri, reason(exc))


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
        return str(client.create_experiment(name, tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND}))
    except MlflowException:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)
