"""The background sender: moves journaled metrics to MLflow with ``log_batch`` off the training
thread, acknowledging each delivered batch in the journal.

The training thread only appends to a deque (``submit``). The sender wakes every
``interval`` seconds (to fsync the journal when due) and sends once ``send_every`` seconds have
passed since its last send, once 1000 metrics are waiting, or at once on ``flush``: each
``log_batch`` has a fixed cost (about 5 ms of CPU on SQLite) that would otherwise be paid several
times a second on the cores training needs. It sends in chunks of at most 1000 metrics (MLflow's
batch limit) and writes an ``ack`` entry after each chunk. The MLflow UI therefore lags the
journal by at most ``send_every`` seconds. A failing chunk is
retried with backoff (0.5, 1, 2, 4, 8 s); when it still fails the sender gives up for the rest
of the run and leaves the journal to ``repro sync``.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import TYPE_CHECKING

from repro.tracking.journal import JournalWriter
from repro.tracking.store import with_retries

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

MAX_METRICS_PER_BATCH = 1000
SEND_EVERY_S = 5.0
SEND_ATTEMPTS = 6
logger = logging.getLogger("repro.tracking")

# (entry index, step, timestamp ms, {key: value})
Entry = tuple[int, int, int, dict[str, float]]


def to_mlflow_metrics(entries: list[Entry]) -> list[tuple[int, Metric]]:
    """Entries as (entry index, MLflow Metric) pairs, in order."""
    from mlflow.entities import Metric

    return [
        (index, Metric(key, value, timestamp, step))
        for index, step, timestamp, values in entries
        for key, value in values.items()
    ]


def send_metrics(
    client: MlflowClient,
    run_id: str,
    pairs: list[tuple[int, Metric]],
    on_acked: collections.abc.Callable[[int], None],
    *,
    attempts: int = SEND_ATTEMPTS,
    should_stop: collections.abc.Callable[[], bool] | None = None,
) -> None:
    """Send in chunks of <= 1000; after each chunk call ``on_acked`` with the highest entry index
    whose metrics are all delivered. Raises the last error when a chunk cannot be sent."""
    for start in range(0, len(pairs), MAX_METRICS_PER_BATCH):
        chunk = pairs[start : start + MAX_METRICS_PER_BATCH]
        metrics = [metric for _, metric in chunk]
        with_retries(
            lambda metrics=metrics: client.log_batch(run_id, metrics=metrics, synchronous=True),
            attempts=attempts,
            should_stop=should_stop,
        )
        last = chunk[-1][0]
        following = start + MAX_METRICS_PER_BATCH
        complete = following >= len(pairs) or pairs[following][0] != last
        if complete:
            on_acked(last)
        elif last - 1 >= 0:
            on_acked(last - 1)


class Sender(threading.Thread):
    """Daemon thread sending one run's metrics; see the module docstring for the policy."""

    def __init__(
        self,
        client: MlflowClient,
        run_id: str,
        journal: JournalWriter,
        *,
        interval: float = 0.5,
        send_every: float | None = None,
        attempts: int = SEND_ATTEMPTS,
        uri: str | None = None,
    ) -> None:
        super().__init__(name=f"repro-sender-{run_id[:8]}", daemon=True)
        self.client = client
        self.uri = uri  # for scrubbing credentials out of error messages
        self.run_id = run_id
        self.journal = journal
        self.interval = interval
        self.send_every = SEND_EVERY_S if send_every is None else send_every
        self.attempts = attempts
        self.gave_up = False
        self.error: str | None = None
        self.cpu_s = 0.0  # CPU time this thread spent working (fsync checks, sends, acks)
        self._pending: collections.deque[Entry] = collections.deque()
        # metrics submitted (written by the training thread only) and taken for sending (by the
        # sender only): single-writer counters, so their difference needs no lock
        self._submitted_metrics = 0
        self._taken_metrics = 0
        self._flushing = False
        self._wake = threading.Event()
        self._stopping = False
        self._abandon = False
        self._submitted = -1
        self._acked = -1
        self._cond = threading.Condition()

    # -- training thread -----------------------------------------------------------------

    def submit(self, entry: Entry) -> None:
        """Queue one journaled entry; O(1), never blocks on the network."""
        if self.gave_up:
            return
        self._pending.append(entry)
        self._submitted = entry[0]
        self._submitted_metrics += len(entry[3])
        if self._submitted_metrics - self._taken_metrics >= MAX_METRICS_PER_BATCH:
            self._wake.set()

    @property
    def acked(self) -> int:
        """The highest entry index delivered so far (-1 before the first)."""
        return self._acked

    @property
    def waiting(self) -> int:
        """Entries submitted but not yet delivered."""
        return max(0, self._submitted - self._acked)

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted is acknowledged; False on give-up or timeout."""
        target = self._submitted
        self._flushing = True
        self._wake.set()
        with self._cond:
            self._cond.wait_for(lambda: self._acked >= target or self.gave_up, timeout)
            return self._acked >= target and not self.gave_up

    def stop(self, timeout: float) -> None:
        """Finish sending (bounded by ``timeout``) and end the thread; a send still in flight
        after that is abandoned and writes no further acks."""
        self._stopping = True
        self._wake.set()
        self.join(timeout)
        self._abandon = True

    # -- sender thread -------------------------------------------------------------------

    def run(self) -> None:
        last_send = time.monotonic()
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            started = time.thread_time()
            try:
                done = self._work(last_send)
            finally:
                self.cpu_s += time.thread_time() - started
            if done is None:
                continue
            last_send = done
            if self._stopping and not self._pending:
                return

    def _work(self, last_send: float) -> float | None:
        """One wake-up: fsync when due, then send if due; the time of the send, or None."""
        self.journal.fsync_if_due()
        due = (
            self._flushing
            or self._stopping
            or self._submitted_metrics - self._taken_metrics >= MAX_METRICS_PER_BATCH
            or time.monotonic() - last_send >= self.send_every
        )
        if not due:
            return None
        self._flushing = False
        batch: list[Entry] = []
        while self._pending:
            entry = self._pending.popleft()
            self._taken_metrics += len(entry[3])
            batch.append(entry)
        if batch and not self.gave_up:
            self._send(batch)
        return time.monotonic()

    def _send(self, batch: list[Entry]) -> None:
        try:
            send_metrics(
                self.client,
                self.run_id,
                to_mlflow_metrics(batch),
                self._ack,
                attempts=self.attempts,
                should_stop=lambda: self._abandon,
            )
        except Exception as exc:
            from repro.tracking.store import scrub

            text = str(exc).strip()
            first = text.splitlines()[0][:300] if text else ""
            self.error = scrub(f"{type(exc).__name__}: {first}", self.uri)
            logger.warning(
                "repro: could not send metrics of run %s (%s); they stay in the journal %s; "
                "run `repro sync` when the tracking store is back",
                self.run_id,
                self.error,
                self.journal.path,
            )
            with self._cond:
                self.gave_up = True
                self._pending.clear()
                self._cond.notify_all()

    def _ack(self, upto: int) -> None:
        if self._abandon:
            return
        try:
            self.journal.append({"t": "ack", "upto": upto, "ts": time.time_ns() // 1_000_000})
        except RuntimeError:  # the run closed its journal meanwhile; sync will check MLflow
            return
        with self._cond:
            self._acked = max(self._acked, upto)
            self._cond.notify_all()
