"""Real outside services for integration tests: PostgreSQL databases and `mlflow server`.

Nothing here is a stand-in. A missing PostgreSQL or `mlflow` executable raises
`ServiceUnavailable` so the test that needs it fails with a message saying what to start.
The benchmarks import this module too (by path), so it depends on nothing from pytest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

# The maintenance database the tests connect to in order to create their own databases.
ADMIN_URL = os.environ.get("REPRO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


class ServiceUnavailable(RuntimeError):
    """A service an integration test needs is missing or did not come up."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


# --------------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class PostgresDatabase:
    """A throwaway database: its name and the SQLAlchemy URI MLflow takes as backend store."""

    name: str
    uri: str


def _admin_connect() -> psycopg.Connection:
    """An autocommit connection to the maintenance database (CREATE DATABASE needs one)."""
    import psycopg

    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable(
            f"PostgreSQL is not reachable at {ADMIN_URL} ({exc}). These tests need a real "
            f"PostgreSQL server; start it with: {START_HINT}"
        ) from exc


def create_database(prefix: str = "repro_test") -> PostgresDatabase:
    """Create a fresh, uniquely named database and return its MLflow backend URI."""
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return PostgresDatabase(name=name, uri=url.render_as_string(hide_password=False))


def drop_database(name: str) -> None:
    """Drop a database made by `create_database`, disconnecting whoever still uses it."""
    from psycopg import sql

    with _admin_connect() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@contextlib.contextmanager
def postgres_database(prefix: str = "repro_test") -> Iterator[PostgresDatabase]:
    """A database that exists for the duration of the `with` block."""
    db = create_database(prefix)
    try:
        yield db
    finally:
        drop_database(db.name)


# --------------------------------------------------------------------------- mlflow server


def mlflow_executable() -> str:
    """The `mlflow` console script next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).with_name("mlflow")
    if beside.exists():
        return str(beside)
    found = shutil.which("mlflow")
    if found is None:
        raise ServiceUnavailable(
            "the `mlflow` executable was not found next to the Python interpreter or on PATH; "
            "install the project's dependencies (pip install -e '.[dev]')"
        )
    return found


class MlflowServer:
    """One `mlflow server` process group on 127.0.0.1 that can be killed and restarted.

    The server keeps its port, backend store and artifact destination across restarts,
    as a real deployment does after a crash. Its output goes to `log_path`.
    """

    def __init__(
        self,
        backend_store_uri: str,
        artifacts_destination: Path,
        log_path: Path,
        *,
        port: int | None = None,
        workers: int = 2,
        host: str = "127.0.0.1",
    ) -> None:
        self.backend_store_uri = backend_store_uri
        self.artifacts_destination = Path(artifacts_destination)
        self.log_path = Path(log_path)
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.workers = workers
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The tracking URI clients use."""
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        """The exact command line that starts the server."""
        return [
            mlflow_executable(),
            "server",
            "--backend-store-uri",
            self.backend_store_uri,
            "--artifacts-destination",
            str(self.artifacts_destination),
            "--serve-artifacts",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]

    def start(self, *, wait: bool = True, timeout: float = 180.0) -> None:
        """Launch the server in its own process group; by default wait until /health answers."""
        if self.running():
            raise RuntimeError(f"the MLflow server on {self.url} is already running")
        if port_is_open(self.host, self.port):
            raise ServiceUnavailable(f"port {self.port} is taken by another process")
        self.artifacts_destination.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("MLFLOW_TRACKING_URI", None)
        with self.log_path.open("ab") as log:
            self.starts += 1
            log.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
            self._process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        if wait:
            self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 180.0) -> None:
        """Block until GET /health answers 200; raise with the log tail if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise ServiceUnavailable(
                    f"the MLflow server exited with code {code} before answering /health\n"
                    + self.log_tail()
                )
            if self.healthy():
                return
            time.sleep(0.25)
        raise ServiceUnavailable(
            f"the MLflow server on {self.url} did not answer /health within {timeout:.0f} s\n"
            + self.log_tail()
        )

    def healthy(self) -> bool:
        """Whether GET /health answers 200 right now."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def running(self) -> bool:
        """Whether the server's main process is alive."""
        return self._process is not None and self._process.poll() is None

    def kill(self) -> None:
        """Crash the server: SIGKILL its whole process group and wait until the port is free."""
        self._signal_group(signal.SIGKILL)
        self._reap(timeout=30.0)

    def stop(self, timeout: float = 20.0) -> None:
        """Shut the server down (SIGTERM, then SIGKILL if it lingers)."""
        if self._process is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
        self._reap(timeout=timeout)

    def restart(self, *, wait: bool = True, timeout: float = 180.0) -> None:
        """Start the server again on the same port, database and artifact destination."""
        self.start(wait=wait, timeout=timeout)

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the server's log, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return f"(no server log at {self.log_path})"
        return f"--- last {lines} lines of {self.log_path} ---\n" + "\n".join(text[-lines:])

    def _signal_group(self, sig: signal.Signals) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, sig)

    def _reap(self, timeout: float) -> None:
        if self._process is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout)
        # Workers are children of the uvicorn parent; the port is free only once all are gone.
        deadline = time.monotonic() + timeout
        while port_is_open(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        if port_is_open(self.host, self.port):
            raise ServiceUnavailable(f"port {self.port} still accepts connections after kill")

    def __enter__(self) -> MlflowServer:
        if not self.running():
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
