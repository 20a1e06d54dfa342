"""Shared pytest fixtures. Each section belongs to one part of the suite; append, don't reorder."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.servers import MlflowServer, PostgresDatabase, create_database, drop_database

# ---------------------------------------------------------------- MLflow server + PostgreSQL
# Real services for tests/integration/test_server_*.py; helpers live in tests/support/servers.py.


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[PostgresDatabase]:
    """A PostgreSQL database of this test session's own, dropped at the end."""
    db = create_database()
    yield db
    drop_database(db.name)


def _server_on(db: PostgresDatabase, base: Path) -> MlflowServer:
    return MlflowServer(db.uri, base / "artifacts", base / "mlflow-server.log")


@pytest.fixture(scope="session")
def mlflow_server(
    postgres_db: PostgresDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MlflowServer]:
    """A real `mlflow server` on a free port with PostgreSQL behind it, shared by the session."""
    server = _server_on(postgres_db, tmp_path_factory.mktemp("mlflow-server"))
    server.start()
    yield server
    server.kill()  # throwaway: no graceful shutdown needed, its database is dropped next


@pytest.fixture
def own_mlflow_server(tmp_path: Path) -> Iterator[MlflowServer]:
    """A server with its own database for one test, which may kill and restart it."""
    db = create_database()
    server = _server_on(db, tmp_path / "server")
    try:
        server.start()
        yield server
    finally:
        server.kill()
        drop_database(db.name)


# ---------------------------------------------------------------- tracking (embedded SQLite store)
# Creating MLflow's schema takes seconds; tests copy one migrated database instead.


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlflow import MlflowClient

    db = tmp_path_factory.mktemp("sqlite-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments(max_results=1)
    return db


@pytest.fixture
def tracking_store(_migrated_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh embedded store ``sqlite:///<tmp>/mlflow.db`` with cwd (hence journal) in tmp_path."""
    import shutil

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("REPRO_JOURNAL_DIR", raising=False)
    # the seeds of the process's last seed_everything are what track() records: a run in one
    # test must not inherit another test's seeding
    monkeypatch.setattr("repro.capture.seeds._last", None)
    shutil.copy(_migrated_sqlite, tmp_path / "mlflow.db")
    # The template's Default experiment kept the artifact root of the directory pytest ran in;
    # point it at this test's own folder so no test writes into the checkout.
    import sqlite3

    with contextlib.closing(sqlite3.connect(tmp_path / "mlflow.db")) as db, db:
        db.execute(
            "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
            ((tmp_path / "mlruns" / "0").as_uri(),),
        )
    return f"sqlite:///{tmp_path / 'mlflow.db'}"
