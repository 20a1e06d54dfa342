"""Many runs' records at once: paged listing, concurrent artifact reads, a local cache.

``repro report --experiment NAME`` over thousands of runs must not cost one ``get_run`` and one
artifact download per run, one after another. Here:

* Listing is paged. On a SQL store (SQLite, PostgreSQL, MySQL: MLflow's ``SqlAlchemyStore``) it
  reads only the columns it needs (id, name, status, times, artifact location) from MLflow's
  ``runs`` table through the store's own session and model, a page at a time; it skips the
  params, tags and metrics that ``search_runs`` builds for every run. Other stores (an
  ``mlflow server`` over HTTP) are listed with ``search_runs`` and its page token. Should the
  SQL listing fail (a future MLflow changing its models), the listing falls back to
  ``search_runs``.
* Records (``repro/record.json``) are fetched by a small thread pool (I/O only: downloads
  overlap), a bounded window ahead of the consumer, then parsed and validated in order in
  the consumer's thread (CPU work gains nothing from threads under the GIL): memory holds a
  window of records, not all. Local artifact stores are read in place; others downloaded.
* A finished run's record no longer changes, so it is cached on disk keyed by tracking URI,
  run id, status and end time (:class:`RecordCache`); a run still running is always re-read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from repro.errors import InvalidInputError, ReproError
from repro.files.records import validate_data
from repro.record import RunRecord
from repro.tracking.flatten import RECORD_ARTIFACT
from repro.tracking.store import open_client, resolve_uri, translate

if TYPE_CHECKING:
    from mlflow import MlflowClient

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000
WORKERS = 8
TERMINAL = ("FINISHED", "FAILED", "KILLED")


@dataclass(frozen=True)
class RunRef:
    """What the listing knows of a run: enough to find, cache and name its record."""

    run_id: str
    name: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str


# -- cache ---------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$REPRO_CACHE_DIR``, else ``$XDG_CACHE_HOME/repro/records``, else ``~/.cache/...``."""
    if os.environ.get("REPRO_CACHE_DIR"):
        return Path(os.environ["REPRO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "repro" / "records"


class RecordCache:
    """Record JSON of ended runs, one file per run under a folder per store. The file's first
    line names the run's status and end time it was read at; a run that ended again (a new end
    time, e.g. after ``repro sync``) no longer matches and is read afresh, then overwritten."""

    def __init__(self, directory: str | Path, tracking_uri: str) -> None:
        store = hashlib.sha256(tracking_uri.encode()).hexdigest()[:16]
        self.root = Path(directory) / store

    @staticmethod
    def cacheable(ref: RunRef) -> bool:
        return ref.status in TERMINAL and ref.end_time is not None

    def _path(self, ref: RunRef) -> Path:
        return self.root / ref.run_id[:2] / f"{ref.run_id}.json"

    @staticmethod
    def _key(ref: RunRef) -> bytes:
        return json.dumps({"status": ref.status, "end_time": ref.end_time}).encode()

    def get(self, ref: RunRef) -> bytes | None:
        if not self.cacheable(ref):
            return None
        try:
            data = self._path(ref).read_bytes()
        except OSError:
            return None
        key, _, record = data.partition(b"\n")
        return record if key == self._key(ref) and record else None

    def put(self, ref: RunRef, data: bytes) -> None:
        """Store atomically; a cache that cannot be written is skipped (it only saves time)."""
        if not self.cacheable(ref):
            return
        path = self._path(ref)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._key(ref) + b"\n" + data)
            os.replace(tmp, path)
        except OSError as exc:
            logger.debug("repro: record cache not written (%s): %s", path, exc)


# -- listing -------------------------------------------------------------------------------


def _sql_store(client: MlflowClient) -> Any | None:
    try:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        store = client._tracking_client.store
    except Exception:
        return None
    return store if isinstance(store, SqlAlchemyStore) else None


def _columns(model: Any) -> tuple[Any, ...]:
    """The ``runs`` columns a RunRef needs, in RunRef's order."""
    return (
        model.run_uuid,
        model.name,
        model.status,
        model.start_time,
        model.end_time,
        model.artifact_uri,
    )


def _row_ref(row: Any) -> RunRef:
    return RunRef(row[0], row[1] or "", row[2], row[3], row[4], row[5] or "")


def _list_sql(store: Any, experiment_ids: list[str], page_size: int) -> Iterator[RunRef]:
    """Active runs of the experiments, newest first, read from the ``runs`` table a page at a
    time (keyset on start time and id, so pages neither repeat nor skip a run)."""
    from mlflow.store.tracking.dbmodels.models import SqlRun
    from sqlalchemy import and_, func, or_

    ids = [int(e) for e in experiment_ids]
    last: tuple[int, str] | None = None
    while True:
        with store.ManagedSessionMaker() as session:
            order_key = func.coalesce(SqlRun.start_time, -1)  # no start time: sorts last
            query = session.query(*_columns(SqlRun)).filter(
                SqlRun.experiment_id.in_(ids), SqlRun.lifecycle_stage == "active"
            )
            if last is not None:
                query = query.filter(
                    or_(
                        order_key < last[0],
                        and_(order_key == last[0], SqlRun.run_uuid > last[1]),
                    )
                )
            rows = query.order_by(order_key.desc(), SqlRun.run_uuid).limit(page_size).all()
        yield from map(_row_ref, rows)
        if len(rows) < page_size:
            return
        tail = rows[-1]
        last = (tail[3] if tail[3] is not None else -1, tail[0])


def _ref(run: Any) -> RunRef:
    info = run.info
    return RunRef(
        info.run_id, info.run_name or "", info.status, info.start_time, info.end_time,
        info.artifact_uri or "",
    )  # fmt: skip


def _list_search(
    client: MlflowClient, experiment_ids: list[str], page_size: int
) -> Iterator[RunRef]:
    token: str | None = None
    while True:
        page = client.search_runs(
            experiment_ids,
            max_results=page_size,
            order_by=["attributes.start_time DESC"],
            page_token=token,
        )
        yield from (_ref(run) for run in page)
        token = page.token
        if not token or not page:
            return


def experiment_ids(client: MlflowClient, names: Iterable[str], uri: str) -> list[str]:
    """Ids of the named experiments; an unknown name is an InvalidInputError."""
    ids = []
    for name in names:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise InvalidInputError(f"{uri}: no experiment named {name!r}")
        ids.append(str(found.experiment_id))
    return ids


def list_runs(
    client: MlflowClient, experiment_ids: list[str], page_size: int | None = None
) -> Iterator[RunRef]:
    """Every active run of the experiments, newest first, a page (``PAGE_SIZE``) at a time."""
    page_size = page_size or PAGE_SIZE
    store = _sql_store(client)
    if store is not None:
        listed = 0
        try:
            for ref in _list_sql(store, experiment_ids, page_size):
                listed += 1
                yield ref
            return
        except Exception as exc:
            if listed:
                raise
            logger.debug("repro: SQL listing failed (%s); using search_runs", exc)
    yield from _list_search(client, experiment_ids, page_size)


def refs_for_ids(client: MlflowClient, run_ids: list[str], uri: str) -> list[RunRef]:
    """The runs named by id, in the order given; an unknown id is an InvalidInputError."""
    store = _sql_store(client)
    found: dict[str, RunRef] = {}
    if store is not None:
        try:
            found = _sql_refs(store, run_ids)
        except Exception as exc:
            logger.debug("repro: SQL lookup failed (%s); using get_run", exc)
    missing = [i for i in run_ids if i not in found]
    if missing:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            runs = pool.map(lambda i: _get(client, i, uri), missing)
            for run_id, run in zip(missing, runs, strict=True):
                found[run_id] = _ref(run)
    return [found[i] for i in run_ids]


def _get(client: MlflowClient, run_id: str, uri: str) -> Any:
    try:
        return client.get_run(run_id)
    except Exception as exc:
        raise translate(exc, uri) from None


def _sql_refs(store: Any, run_ids: list[str]) -> dict[str, RunRef]:
    from mlflow.store.tracking.dbmodels.models import SqlRun

    found: dict[str, RunRef] = {}
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start : start + 500]
        with store.ManagedSessionMaker() as session:
            rows = (
                session.query(*_columns(SqlRun))
                .filter(SqlRun.run_uuid.in_(chunk), SqlRun.lifecycle_stage == "active")
                .all()
            )
        found.update((row[0], _row_ref(row)) for row in rows)
    return found


def count_runs(client: MlflowClient, experiment_ids: list[str]) -> int | None:
    """How many active runs the experiments hold (SQL stores; None elsewhere)."""
    store = _sql_store(client)
    if store is None:
        return None
    try:
        from mlflow.store.tracking.dbmodels.models import SqlRun

        ids = [int(e) for e in experiment_ids]
        with store.ManagedSessionMaker() as session:
            return int(
                session.query(SqlRun.run_uuid)
                .filter(SqlRun.experiment_id.in_(ids), SqlRun.lifecycle_stage == "active")
                .count()
            )
    except Exception:
        return None


# -- reading records -----------------------------------------------------------------------


def _local_path(artifact_uri: str) -> Path | None:
    parts = urlsplit(artifact_uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path)) / RECORD_ARTIFACT
    if parts.scheme == "" and artifact_uri:
        return Path(artifact_uri) / RECORD_ARTIFACT
    return None


class MissingRecord(Exception):
    """The run has no repro record artifact."""


def _read_artifact(ref: RunRef, uri: str) -> bytes:
    local = _local_path(ref.artifact_uri)
    if local is not None:
        try:
            return local.read_bytes()
        except FileNotFoundError:
            raise MissingRecord(ref.run_id) from None
    import mlflow.artifacts

    with tempfile.TemporaryDirectory(prefix="repro-bulk-") as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{ref.artifact_uri.rstrip('/')}/{RECORD_ARTIFACT}",
                dst_path=tmp,
                tracking_uri=uri,
            )
        except Exception as exc:
            if "No such file" in str(exc) or "not found" in str(exc).lower():
                raise MissingRecord(ref.run_id) from None
            raise translate(exc, uri) from None
        return Path(path).read_bytes()


def _parse(data: bytes, ref: RunRef) -> RunRecord:
    """Validate the record JSON (pydantic's own parser: the fast path); a record that fails
    is parsed again the slow way for the error message that names each field."""
    from pydantic import ValidationError

    try:
        return RunRecord.model_validate_json(data)
    except (ValidationError, ValueError):
        pass
    source = f"runs:/{ref.run_id}/{RECORD_ARTIFACT}"
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{source}: not a readable JSON record ({exc})") from None
    return validate_data(parsed, RunRecord, source)


@dataclass
class Loaded:
    """Counts from one bulk read, for the caller to report."""

    read: int = 0
    cached: int = 0
    missing: list[str] = field(default_factory=list)


def load_records(
    experiments: Iterable[str] = (),
    tracking_uri: str | None = None,
    run_ids: Iterable[str] = (),
    *,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    workers: int = WORKERS,
    progress: bool = False,
    stats: Loaded | None = None,
) -> Iterator[RunRecord]:
    """The records of ``run_ids`` (in that order; one without a repro record is an
    InvalidInputError), then of every active run of the ``experiments``, newest first (runs
    without a repro record skipped and listed in ``stats.missing``). Read concurrently and
    through the cache; an unreachable store raises StoreUnavailable."""
    uri = resolve_uri(tracking_uri)
    client = open_client(uri)
    stats = stats if stats is not None else Loaded()
    cache = RecordCache(cache_dir or default_cache_dir(), uri) if use_cache else None
    named = list(run_ids)
    try:
        if named:
            bar = _progress(progress and len(named) > 1, len(named))
            refs = refs_for_ids(client, named, uri)
            yield from _read_all(refs, uri, cache, workers, stats, bar, strict=True)
        ids = experiment_ids(client, experiments, uri)
        if ids:
            total = count_runs(client, ids) if progress else None
            listed = list_runs(client, ids)
            yield from _read_all(listed, uri, cache, workers, stats, _progress(progress, total))
    except ReproError:
        raise
    except Exception as exc:
        raise translate(exc, uri) from None


def _fetch(ref: RunRef, uri: str, cache: RecordCache | None) -> tuple[bytes | None, bool]:
    """(record JSON or None when the run has none, whether it came from the cache). Only I/O:
    parsing and validation hold the GIL, so they run in the consumer's thread instead."""
    data = cache.get(ref) if cache is not None else None
    if data is not None:
        return data, True
    try:
        data = _read_artifact(ref, uri)
    except MissingRecord:
        return None, False
    if cache is not None:
        cache.put(ref, data)
    return data, False


def _read_all(
    refs: Iterable[RunRef],
    uri: str,
    cache: RecordCache | None,
    workers: int,
    stats: Loaded,
    advance: Callable[[], None] | None,
    strict: bool = False,
) -> Iterator[RunRecord]:
    """Records in ``refs`` order, fetched by ``workers`` threads a bounded window ahead; with
    ``strict`` a run without a record is an InvalidInputError, else it is counted as missing."""
    window: deque[tuple[RunRef, Future[tuple[bytes | None, bool]]]] = deque()
    limit = max(1, workers) * 4
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="repro-bulk") as pool:
        try:
            for ref in refs:
                window.append((ref, pool.submit(_fetch, ref, uri, cache)))
                while len(window) >= limit:
                    yield from _take(window, stats, advance, strict)
            while window:
                yield from _take(window, stats, advance, strict)
        finally:
            for _, future in window:
                future.cancel()
            if advance is not None:
                advance.close()  # type: ignore[attr-defined]


def _take(
    window: deque[tuple[RunRef, Future[tuple[bytes | None, bool]]]],
    stats: Loaded,
    advance: Callable[[], None] | None,
    strict: bool,
) -> Iterator[RunRecord]:
    ref, future = window.popleft()
    data, cached = future.result()
    if advance is not None:
        advance()
    if data is None:
        if strict:
            raise InvalidInputError(
                f"runs:/{ref.run_id}/{RECORD_ARTIFACT}: run {ref.run_id} has no repro record "
                f"artifact ({RECORD_ARTIFACT}); was it logged with repro?"
            )
        stats.missing.append(ref.run_id)
        return
    stats.read += 1
    stats.cached += cached
    yield _parse(data, ref)


class _Bar:
    """A rich progress bar on stderr, callable once per run."""

    def __init__(self, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.progress = Progress(
            "reading runs",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("runs", total=total)
        self.progress.start()

    def __call__(self) -> None:
        self.progress.advance(self.task)

    def close(self) -> None:
        self.progress.stop()


def _progress(enabled: bool, total: int | None) -> _Bar | None:
    return _Bar(total) if enabled else None
