"""Does a tracking store answer? One bounded check per scheme, before MLflow opens it.

MLflow's SQL stores retry an unreachable database ten times over 100 s, logging the error each
time; its HTTP client may retry for minutes. These checks try once, within
``PROBE_TIMEOUT_S``, through the same parts MLflow itself uses (its HTTP request function and
host credentials, SQLAlchemy), so a URI MLflow accepts passes and one it cannot use fails fast
with one credential-free message.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from repro.tracking._uris import (
    StoreUnavailable,
    first_line,
    local_store_path,
    public_uri,
    reason,
    scrub,
    sqlite_path,
    unreachable,
)

SQLITE_HEADER = b"SQLite format 3\x00"
_DB_PORTS = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "mssql": 1433}
_GATEWAY_ERRORS = (502, 503, 504)  # a proxy answering for a server that does not


PROBE_TIMEOUT_S = 3.0


def check_reachable(uri: str, *, create: bool = False, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise :class:`StoreUnavailable` unless the store at ``uri`` answers (see module doc).
    Without ``create`` a local store that does not exist yet is an error, not created."""
    scheme = urlsplit(uri).scheme.lower()
    backend = scheme.split("+", 1)[0]
    if backend in ("http", "https"):
        _http(uri, timeout)
    elif backend == "sqlite":
        _sqlite(uri, create)
    elif backend in _DB_PORTS:
        _database(uri, backend, timeout)
    elif local_store_path(uri) is not None:
        _file_store(uri, create)
    # databricks and plugin schemes: MLflow checks them when the client is opened


def _fail(uri: str, detail: str) -> StoreUnavailable:
    return unreachable(uri, detail)


def _first_line(exc: BaseException) -> str:
    return first_line(str(exc).strip() or type(exc).__name__)


def _http(uri: str, timeout: float) -> None:
    from mlflow.utils.credentials import get_default_host_creds
    from mlflow.utils.rest_utils import http_request

    try:
        response = http_request(
            get_default_host_creds(uri),
            "/health",
            "GET",
            max_retries=0,
            backoff_factor=0,
            timeout=timeout,
            raise_on_status=False,
        )
    except Exception as exc:
        raise _fail(uri, reason(exc)) from None
    if response.status_code in _GATEWAY_ERRORS:
        raise _fail(uri, f"HTTP {response.status_code} from {public_uri(uri)}/health")


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def _creatable(uri: str, path: Path) -> None:
    anchor = _nearest_existing(path.parent)
    if not anchor.is_dir():
        raise _fail(uri, f"{anchor} is not a directory")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise _fail(uri, f"cannot create {path}: {anchor} is not writable")


def _missing(uri: str, what: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"no MLflow tracking store at {public_uri(uri)} ({what}; nothing has been logged "
        "there); pass --tracking-uri / MLFLOW_TRACKING_URI naming the store your runs are in"
    )


def _sqlite(uri: str, create: bool) -> None:
    path = sqlite_path(uri)
    if path is None:
        return  # in-memory
    if path.is_dir():
        raise _fail(uri, f"{path} is a directory, not a SQLite database file")
    if not path.exists():
        if not create:
            raise _missing(uri, f"{path} does not exist")
        _creatable(uri, path)
        return
    if not path.is_file():
        raise _fail(uri, f"{path} is not a regular file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise _fail(uri, f"cannot read {path}: {exc.strerror}") from None
    if header and header != SQLITE_HEADER:
        raise _fail(uri, f"{path} is not a SQLite database")


def _file_store(uri: str, create: bool) -> None:
    path = local_store_path(uri)
    assert path is not None
    if path.exists():
        if not path.is_dir():
            raise _fail(uri, f"{path} is not a directory (MLflow's file store is one)")
        return
    if not create:
        raise _missing(uri, f"{path} does not exist")
    _creatable(uri, path / "x")


def _database(uri: str, backend: str, timeout: float) -> None:
    import sqlalchemy
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    try:
        url = make_url(uri)
    except Exception as exc:
        raise _fail(uri, f"not a valid database URI: {scrub(_first_line(exc), uri)}") from None
    if url.host:
        port = url.port or _DB_PORTS[backend]
        try:
            with socket.create_connection((url.host, port), timeout=timeout):
                pass
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            if isinstance(exc, TimeoutError | socket.timeout):
                reason = f"no answer within {timeout:g} s"
            raise _fail(uri, f"{url.host}:{port}: {reason}") from None
    connect_args = {"connect_timeout": max(1, round(timeout))} if backend != "mssql" else {}
    try:
        engine = sqlalchemy.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except ModuleNotFoundError as exc:
        raise _fail(uri, f"the database driver is not installed ({exc.name})") from None
    except Exception as exc:
        raise _fail(uri, scrub(_first_line(exc), uri)) from None
    try:
        with engine.connect():
            pass
    except Exception as exc:
        cause = getattr(exc, "orig", None) or exc
        raise _fail(uri, scrub(_first_line(cause), uri)) from None
    finally:
        engine.dispose()
