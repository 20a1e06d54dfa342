"""``repro.track``: the run context — an MLflow run whose metrics go to the journal first.

``log_metrics`` appends one line to the run's journal and queues the values for the background
sender (:mod:`repro.tracking.sender`); it never touches the network. On exit the sender is
flushed, then the final record is stored and the MLflow status set (FINISHED, FAILED on an
exception, KILLED when a SIGINT/SIGTERM interrupt leaves the ``with`` block; one the user's code
catches does not kill the run), so a run shows FINISHED only once its metrics are in.
``track(model, optimizer, ...)`` captures the record from the live objects
(:mod:`repro.capture.session`); ``resume=`` continues an interrupted run
(:mod:`repro.tracking.resume`).
When the store is unreachable at start the run gets a local id (``local-...``) and everything
waits in the journal for ``repro sync``; training never fails because tracking did.
"""

from __future__ import annotations

import logging
import math
import shutil
import signal
import threading
import time
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro.errors import InvalidInputError
from repro.record import Metric, RecordWarning, RunRecord, RunStatus
from repro.tracking import journal as jr
from repro.tracking._values import checked_metrics, checked_step
from repro.tracking.flatten import RECORD_ARTIFACT, result_metric_key, valid_key
from repro.tracking.operations import (
    DEFAULT_EXPERIMENT,
    attach_mlflow_run,
    create_mlflow_run,
    log_params,
    store_final,
    upload_artifact,
)
from repro.tracking.store import open_client, public_uri, resolve_uri, scrub, with_retries

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from repro.capture.session import CaptureSession
    from repro.diagnostics import ClippingMonitor, GradientFlowMonitor
    from repro.record import Distributed, GradientClipping
    from repro.tracking.resume import ResumePoint

logger = logging.getLogger("repro.tracking")

FLUSH_TIMEOUT_S = 120.0  # the longest an exit waits for the store while it keeps accepting
STALL_TIMEOUT_S = 60.0  # ... and while it accepts nothing (a hung server)
NOTICE_AFTER_S = 5.0  # an exit that waits longer than this says so


@dataclass(frozen=True)
class TrackingCost:
    """What tracking cost this process so far: time the training thread spent inside
    ``log_metrics`` and CPU time of the background sender (the benchmark reports both)."""

    log_calls: int
    log_metrics_s: float
    sender_cpu_s: float

    @property
    def total_s(self) -> float:
        return self.log_metrics_s + self.sender_cpu_s


class TrackedRun:
    """One tracked training run; use through ``with repro.track(record) as run:``."""

    def __init__(
        self,
        record: RunRecord,
        experiment: str | None = None,
        tracking_uri: str | None = None,
        journal_dir: str | Path | None = None,
        capture: bool = True,
        *,
        flush_timeout: float = FLUSH_TIMEOUT_S,
        session: CaptureSession | None = None,
        resume: str | None = None,
        attach: str | None = None,
    ) -> None:
        if not isinstance(record, RunRecord):
            raise TypeError(f"track() takes a RunRecord, got {type(record).__name__}")
        self.record: RunRecord = record.model_copy(deep=True)
        self.experiment = experiment or record.run.experiment or DEFAULT_EXPERIMENT
        self.tracking_uri = resolve_uri(tracking_uri)
        self.journal_dir = Path(journal_dir).absolute() if journal_dir else jr.default_journal_dir()
        self.capture = capture
        self.flush_timeout = flush_timeout
        self.local_id = jr.new_local_id()
        self.journal_path = self.journal_dir / f"{self.local_id}.jsonl"
        self.run_id: str = self.local_id
        self.online = False
        self.offline_reason: str | None = None
        self._client: MlflowClient | None = None
        self._journal: jr.JournalWriter | None = None
        self._sender: Any = None
        self._lock = threading.Lock()
        self._next_index = 0
        self._log_metrics_s = 0.0
        self._artifacts = 0
        self._unsent_artifacts: set[int] = set()
        self._valid_keys: set[str] = set()
        self._flow: GradientFlowMonitor | None = None
        self._flow_seen = 0
        self._clip: ClippingMonitor | None = None
        self._clip_args: tuple[float, float] | None = None
        self._signal: int | None = None
        self._previous_handlers: dict[int, Any] = {}
        self._active = False
        # capture and resumption (repro.capture.session, repro.tracking.resume)
        self._session = session
        self.resume_of = resume
        self.attach_to = attach  # an MLflow run made by someone else (MLFlowLogger) to write into
        self._distributed: Distributed | None = None  # the process group, set by track()
        self._resume: ResumePoint | None = None
        self._resume_client: MlflowClient | None = None
        self._logged_upto: dict[str, int] = {}
        self._step_base = 0
        self._clipping: GradientClipping | None = None
        self._epochs_marked: int | None = None
        self._diff: Any = None
        self._attempt_started = time.monotonic()
        self._wall_before = 0.0
        self._hours_before = 0.0

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> TrackedRun:
        self._start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> bool:
        self.close(self._status_for(exc))
        return False

    def _start(self) -> None:
        record = self.record
        now = datetime.now(UTC)
        record.run.experiment = self.experiment
        record.run.created = record.run.created or now
        record.run.started = now
        record.run.ended = None
        record.run.status = RunStatus.RUNNING
        if self.resume_of is not None:
            self._continue_previous()
        if self.capture:
            self._capture()
        if self._distributed is not None:
            from repro.record import Environment

            record.environment = record.environment or Environment()
            record.environment.distributed = self._distributed
        self._make_encodable()
        self._journal = jr.JournalWriter(
            self.journal_path,
            {
                "t": "open",
                "v": jr.JOURNAL_VERSION,
                "local_id": self.local_id,
                "run_id": None,
                "uri": public_uri(self.tracking_uri),  # credentials stay in memory only
                "experiment": self.experiment,
                "ts": jr.now_ms(),
                "record": self.record.to_dict(),
                **jr.owner_identity(),
            },
        )
        self._connect()
        self._install_signals()
        self._active = True
        self._store_diff()
        self._store_config()
        if self._session is not None:
            self._session.start()

    def _capture(self) -> None:
        """Fill environment and provenance when the record lacks them (the git diff itself is
        kept for the ``repro/git.diff`` artifact); failures only warn."""
        try:
            if self.record.environment is None:
                from repro.capture.environment import capture_environment

                device = self._session.device if self._session is not None else None
                self.record.environment = capture_environment(imported=False, device=device)
            if self.record.provenance is None:
                from repro.capture.provenance import capture_run_provenance

                provenance, self._diff = capture_run_provenance(self.tracking_uri, self.journal_dir)
                self.record.provenance = provenance
        except Exception as exc:
            logger.warning("repro: environment/provenance capture failed: %s", exc)

    def _make_encodable(self) -> None:
        """Replace text that cannot be written as UTF-8 (undecodable bytes in ``sys.argv`` or a
        path, lone surrogates) by its escapes, and say where: never an error at start."""
        from repro.tracking._strings import clean

        data, changed = clean(self.record.to_dict())
        if changed:
            cleaned = RunRecord.model_validate(data)
            for name in type(cleaned).model_fields:  # in place: others hold this record
                setattr(self.record, name, getattr(cleaned, name))
            logger.warning(
                "repro: %d value(s) held text that cannot be written as UTF-8 (%s); recorded "
                "with the undecodable bytes escaped as \\xNN",
                len(changed),
                ", ".join(changed[:5]) + (", ..." if len(changed) > 5 else ""),
            )

    def _store_diff(self) -> None:
        """Log the uncommitted diff as the artifact ``repro/git.diff``."""
        diff, self._diff = self._diff, None
        if diff is None:
            return
        import tempfile

        try:
            with tempfile.TemporaryDirectory(prefix="repro-diff-") as tmp:
                path = Path(tmp) / "git.diff"
                path.write_bytes(diff.text)
                self.log_artifact(path, "repro")
        except Exception as exc:
            logger.warning("repro: the git diff artifact was not stored: %s", exc)

    def _store_config(self) -> None:
        """Log the resolved configuration as the YAML artifact ``repro/config.yaml``."""
        config = self.record.config
        if config is None or not config.artifact:
            return
        import tempfile

        from repro.capture.config import config_yaml

        try:
            with tempfile.TemporaryDirectory(prefix="repro-config-") as tmp:
                path = Path(tmp) / Path(config.artifact).name
                path.write_text(config_yaml(config), encoding="utf-8")
                self.log_artifact(path, str(Path(config.artifact).parent))
        except Exception as exc:
            logger.warning("repro: the configuration artifact was not stored: %s", exc)

    def _continue_previous(self) -> None:
        """Resume: read the interrupted run from MLflow and continue its record in place."""
        from repro.tracking.resume import continue_record, prepare_resume

        assert self.resume_of is not None
        try:
            client = open_client(self.tracking_uri)
            point = prepare_resume(client, self.resume_of, self.tracking_uri, self.journal_dir)
        except InvalidInputError:
            raise
        except Exception as exc:
            logger.warning(
                "repro: cannot resume run %s (%s); this attempt is tracked as a new run",
                self.resume_of,
                exc,
            )
            self.record.run.tags["repro.resumed_from"] = self.resume_of
            message = f"could not resume run {self.resume_of} ({exc}); tracked as a new run"
            self.record.warnings = [*self.record.warnings, RecordWarning(message=message)]
            return
        previous = point.record
        if self._session is not None and previous.training is not None:
            self._session.previous = previous.training.observed
        if previous.provenance is not None:
            self._wall_before = previous.provenance.wall_time_s or 0.0
            self._hours_before = previous.provenance.device_hours or 0.0
        continued = continue_record(previous, self.record)
        for name in type(continued).model_fields:
            setattr(self.record, name, getattr(continued, name))
        self._resume, self._resume_client = point, client
        self._logged_upto = dict(point.logged_upto)
        self._step_base = point.next_step
        self.experiment = self.record.run.experiment or self.experiment

    def _connect(self) -> None:
        """Create the MLflow run and start the sender, or stay offline (journal only)."""
        assert self._journal is not None
        if self._resume is not None:
            self._connect_resumed()
            return
        try:
            # a busy server may reset a connection or two while many jobs start at once
            client = with_retries(lambda: open_client(self.tracking_uri, create=True), attempts=3)
            if self.attach_to is not None:
                attached = self.attach_to
                run_id = with_retries(
                    lambda: attach_mlflow_run(client, self.record, attached, self.local_id),
                    attempts=3,
                )
            else:
                run_id = with_retries(
                    lambda: create_mlflow_run(client, self.record, self.experiment, self.local_id),
                    attempts=3,
                )
        except InvalidInputError:  # e.g. a deleted experiment: sync could not fix it either
            self._journal.discard()
            raise
        except Exception as exc:
            detail = getattr(exc, "detail", None)
            if not detail:
                text = str(exc).strip()
                detail = text.splitlines()[0] if text else type(exc).__name__
            self.offline_reason = scrub(detail, self.tracking_uri)
            logger.warning(
                "repro: tracking store %s unavailable (%s); run %s is journaled to %s; "
                "run `repro sync` later",
                public_uri(self.tracking_uri),
                self.offline_reason,
                self.local_id,
                self.journal_path,
            )
            if not self._journal.exists:
                logger.warning(
                    "repro: run %s can be neither journaled nor sent: what it logs is lost "
                    "unless the journal directory %s becomes writable during the run",
                    self.local_id,
                    self.journal_dir,
                )
            return
        self._journal.append({"t": "bind", "run_id": run_id, "ts": jr.now_ms()})
        self._client, self.run_id, self.online = client, run_id, True
        try:
            with_retries(lambda: log_params(client, run_id, self.record), attempts=3)
            client.log_text(run_id, self.record.to_json(), RECORD_ARTIFACT)
            self._journal.append({"t": "setup", "ts": jr.now_ms()})
        except Exception as exc:
            logger.warning(
                "repro: could not log params of run %s (%s); sync will",
                run_id,
                scrub(str(exc), self.tracking_uri),
            )
        from repro.tracking.sender import Sender

        self._sender = Sender(client, run_id, self._journal, uri=self.tracking_uri)
        self._sender.start()

    def _connect_resumed(self) -> None:
        """Bind the journal to the interrupted run, mark it RUNNING, start the sender."""
        assert self._journal is not None and self._resume is not None
        client, run_id = self._resume_client, self._resume.run_id
        assert client is not None
        self._journal.append({"t": "bind", "run_id": run_id, "ts": jr.now_ms()})
        self._journal.append({"t": "setup", "ts": jr.now_ms()})  # its params are in MLflow
        self._client, self.run_id, self.online = client, run_id, True
        try:
            with_retries(lambda: client.update_run(run_id, status="RUNNING"), attempts=3)
            client.log_text(run_id, self.record.to_json(), RECORD_ARTIFACT)
        except Exception as exc:
            logger.warning("repro: run %s not marked running again (%s)", run_id, exc)
        from repro.tracking.sender import Sender

        self._sender = Sender(client, run_id, self._journal)
        self._sender.start()

    # -- logging ---------------------------------------------------------------------------

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Record metric values at ``step`` (default: the number of earlier calls). Journaled at
        once and sent in the background; never waits on the network.

        Names, values and the step are checked here (names MLflow accepts, numbers, a 64-bit
        step): a bad one raises ``ValueError``/``TypeError`` and nothing of the call is kept.
        A journal that cannot be written (disk full) never raises: see
        :mod:`repro.tracking.journal`.
        """
        began = time.perf_counter()
        values = checked_metrics(metrics, self._valid_keys)
        checked = None if step is None else checked_step(step)
        flow = self._flow
        if flow is not None and len(flow.snapshots) != self._flow_seen:
            self._flow_seen = len(flow.snapshots)
            values.update({k: float(v) for k, v in flow.metrics().items() if valid_key(k)})
        if self._session is not None:  # the learning rate the last optimizer step applied
            values.update(self._session.step_metrics())
        with self._lock:
            self._ensure_active()
            index = self._next_index
            self._next_index += 1
            step = self._step_base + index if checked is None else checked
            if self._logged_upto:  # resumed: points an earlier attempt logged stay its own
                values = {k: v for k, v in values.items() if step > self._logged_upto.get(k, -1)}
            timestamp = jr.now_ms()
            assert self._journal is not None
            self._journal.append({"t": "m", "i": index, "s": step, "ts": timestamp, "v": values})
            if self._sender is not None:
                self._sender.submit((index, step, timestamp, values))
            self._log_metrics_s += time.perf_counter() - began

    @property
    def cost(self) -> TrackingCost:
        """Tracking's own cost so far (see :class:`TrackingCost`)."""
        sender = self._sender
        return TrackingCost(
            log_calls=self._next_index,
            log_metrics_s=self._log_metrics_s,
            sender_cpu_s=sender.cpu_s if sender is not None else 0.0,
        )

    def set_result(
        self,
        name: str,
        value: float,
        split: str | None = None,
        higher_is_better: bool | None = None,
        **metric_fields: Any,
    ) -> Metric:
        """Add (or replace, same name and split) a result in the record; also logged as the
        MLflow metric ``results/<split>/<name>``."""
        metric = Metric(
            name=name,
            value=float(value),
            split=split,
            higher_is_better=higher_is_better,
            **metric_fields,
        )
        self._ensure_active()
        results = [m for m in self.record.results if (m.name, m.split) != (name, split)]
        self.record.results = [*results, metric]
        assert self._journal is not None
        self._journal.append(
            {
                "t": "result",
                "ts": jr.now_ms(),
                "metric": metric.model_dump(mode="json", exclude_none=True),
            }
        )
        key = result_metric_key(name, split)
        if key is not None and math.isfinite(metric.value):
            self.log_metrics({key: metric.value}, step=metric.step or 0)
        return metric

    def add_results(
        self, results: Iterable[Metric], metrics: Mapping[str, float] | None = None, step: int = 0
    ) -> None:
        """Add results to a run that has already ended (Lightning's ``trainer.test()`` after
        ``fit``): the record is stored again in the same MLflow run, with the results as
        ``results/<split>/<name>`` metrics and ``metrics`` (what was logged) at ``step``. Inside
        the run this is :meth:`set_result` for each. Tracking trouble only warns."""
        results = list(results)
        if self._active:
            for metric in results:
                fields = metric.model_dump(exclude={"name", "value", "split", "higher_is_better"})
                self.set_result(
                    metric.name, metric.value, metric.split, metric.higher_is_better, **fields
                )
            return
        keys = {(m.name, m.split) for m in results}
        self.record.results = [
            *(m for m in self.record.results if (m.name, m.split) not in keys),
            *results,
        ]
        if not self.online or self._client is None:
            logger.warning(
                "repro: run %s is not in MLflow; the results added after it ended (%s) are only "
                "in run.record",
                self.run_id,
                ", ".join(m.name for m in results),
            )
            return
        from mlflow.entities import Metric as MlflowMetric

        now = jr.now_ms()
        points = [
            MlflowMetric(key, float(value), now, step)
            for key, value in (metrics or {}).items()
            if valid_key(key) and math.isfinite(float(value))
        ]
        for metric in results:
            key = result_metric_key(metric.name, metric.split)
            if key is not None and math.isfinite(metric.value):
                points.append(MlflowMetric(key, metric.value, now, metric.step or 0))
        client, run_id = self._client, self.run_id
        try:
            if points:
                with_retries(lambda: client.log_batch(run_id, metrics=points), attempts=3)
            with_retries(lambda: store_final(client, run_id, self.record), attempts=3)
        except Exception as exc:
            logger.warning(
                "repro: run %s: results added after it ended not stored (%s)",
                self.run_id,
                scrub(str(exc), self.tracking_uri),
            )

    def log_artifact(self, path: str | Path, artifact_path: str | None = None) -> None:
        """Store a file (or a directory's files) with the run; when the store is unreachable
        a copy waits in the journal directory for ``repro sync``."""
        src = Path(path)
        if not src.exists():
            raise FileNotFoundError(f"{src}: no such file to log as an artifact")
        self._ensure_active()
        assert self._journal is not None
        with self._lock:
            number = self._artifacts
            self._artifacts += 1
            self._unsent_artifacts.add(number)
        if self.online and self._client is not None and not self._sender_gave_up():
            # An upload in flight names no source: sync only ever uploads copies kept under
            # the journal directory.
            self._journal.append(
                {"t": "artifact", "n": number, "name": src.name, "dest": artifact_path}
            )
            try:
                upload_artifact(self._client, self.run_id, src, artifact_path)
                self._journal.append({"t": "artifact_ack", "n": number, "ts": jr.now_ms()})
                self._unsent_artifacts.discard(number)
                return
            except Exception as exc:
                logger.warning(
                    "repro: artifact %s not uploaded (%s); kept for sync",
                    src,
                    scrub(str(exc), self.tracking_uri),
                )
        try:
            copy = self._journal_copy(src, number)
        except OSError as exc:
            logger.warning(
                "repro: artifact %s could not be kept for `repro sync` (%s); it is not stored "
                "with run %s",
                src,
                exc.strerror or exc,
                self.run_id,
            )
            self._journal.append(
                {"t": "artifact", "n": number, "name": src.name, "dest": artifact_path}
            )
            return
        self._journal.append(
            {
                "t": "artifact",
                "n": number,
                "src": str(copy),
                "name": src.name,
                "dest": artifact_path,
            }
        )

    def _journal_copy(self, src: Path, number: int) -> Path:
        target = self.journal_dir / f"{self.local_id}.files" / str(number) / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True)
        else:
            shutil.copy2(src, target)
        return target

    # -- diagnostics -------------------------------------------------------------------------

    def watch(
        self,
        model: Any,
        every: int = 100,
        modules: Iterable[Any] | None = None,
        *,
        max_timesteps: int = 64,
    ) -> GradientFlowMonitor:
        """Record gradient flow through time of ``model``'s recurrent layers every ``every``
        optimizer steps: every nn.RNN/LSTM/GRU and nn.RNNCell/LSTMCell/GRUCell, plus the
        hand-written cells in ``modules`` (objects, dotted names or classes). The latest reading
        per layer is logged with the next ``log_metrics``; snapshots and per-layer summaries
        land in ``record.diagnostics``. Only torch's global hooks are used, so the model can be
        saved, pickled, copied or compiled while watched; they are removed when the run ends."""
        from repro.diagnostics import GradientFlowMonitor

        self._ensure_active()  # hooks are removed at the end of the run: only inside it
        if self._flow is not None:
            raise RuntimeError("this run already watches a model; call watch() once per run")
        self._flow = GradientFlowMonitor(
            model, every=every, modules=modules, max_timesteps=max_timesteps
        )
        return self._flow

    def clip_grad_norm(
        self, parameters: Iterable[Any], max_norm: float, norm_type: float = 2.0
    ) -> float:
        """Clip gradients like ``torch.nn.utils.clip_grad_norm_``, record clipping statistics
        and the setting itself (``training.gradient_clipping``: kind norm, threshold,
        norm_type); returns the total norm before clipping."""
        return self._clip_with("norm", parameters, max_norm, norm_type)

    def clip_grad_value(self, parameters: Iterable[Any], clip_value: float) -> float:
        """Clip gradients like ``torch.nn.utils.clip_grad_value_``, record clipping statistics
        and the setting (kind value, threshold ``clip_value``); returns the largest absolute
        gradient before clipping."""
        return self._clip_with("value", parameters, clip_value, float("inf"))

    def observe_clipping(
        self,
        parameters: Iterable[Any],
        threshold: float,
        kind: str = "norm",
        norm_type: float = 2.0,
    ) -> float:
        """Record the clipping a framework is about to do itself (Lightning clips after its
        ``on_before_optimizer_step``): the setting and the pre-clip norm of this step, without
        touching the gradients; returns that norm."""
        return self._clip_with(kind, parameters, threshold, norm_type, observe=True)

    def _clip_with(
        self,
        kind: str,
        parameters: Iterable[Any],
        threshold: float,
        norm_type: float,
        *,
        observe: bool = False,
    ) -> float:
        from repro.diagnostics.clipping import ClippingMonitor, clipping_setting

        if kind == "value":
            norm_type = float("inf")

        setting = (kind, float(threshold), float(norm_type))
        if self._clip is None:
            self._clip = ClippingMonitor(threshold, norm_type=norm_type, kind=kind)
            self._clip_args = setting
            self._clipping = clipping_setting(self._clip)
        elif self._clip_args != setting:
            raise ValueError(
                f"clip_grad_{kind}: the clipping setting changed from {self._clip_args} to "
                f"{setting}; one run records one clipping setting"
            )
        if observe:
            return float(self._clip.observe(parameters))
        return float(self._clip.clip(parameters))

    def epoch(self) -> int:
        """Mark the end of an epoch (call it once per epoch, after its last step); returns the
        epochs completed so far. Without it, full passes over the training DataLoader given
        as ``data=`` are counted."""
        self._epochs_marked = (self._epochs_marked or 0) + 1
        return self._epochs_marked

    # -- ending ------------------------------------------------------------------------------

    def close(self, status: RunStatus | str = RunStatus.FINISHED) -> None:
        """End the run with ``status`` where a framework knows better than an exception would
        tell (an Optuna trial the pruner stopped ends KILLED, not FAILED); the same ending as
        leaving the ``with`` block (which calls it)."""
        self._restore_signals()
        try:
            self._finish(RunStatus(status))
        except Exception as error:  # tracking never takes the training down
            logger.warning(
                "repro: run %s did not end cleanly (%s); `repro sync` finishes it from %s",
                self.run_id,
                scrub(f"{type(error).__name__}: {error}", self.tracking_uri),
                self.journal_path,
            )

    def _status_for(self, exc: BaseException | None) -> RunStatus:
        """KILLED only for an interrupt that leaves the ``with`` block: one the user's code
        caught (and carried on after) does not end the run."""
        if isinstance(exc, KeyboardInterrupt):
            return RunStatus.KILLED
        signalled = self._signal is not None and isinstance(exc, SystemExit)
        if signalled and exc.code == 128 + (self._signal or 0):
            return RunStatus.KILLED
        if exc is None or (isinstance(exc, SystemExit) and exc.code in (None, 0)):
            return RunStatus.FINISHED
        return RunStatus.FAILED

    def _finish(self, status: RunStatus) -> None:
        if not self._active:
            return
        self._active = False
        record = self.record
        self._attach_diagnostics()
        self._record_observations()
        ended = datetime.now(UTC)
        record.run.ended = ended
        record.run.status = status
        if record.provenance is not None and record.provenance.wall_time_s is None:
            wall = max(0.0, (ended - (record.run.started or ended)).total_seconds())
            record.provenance.wall_time_s = wall
        self._make_encodable()
        journal = self._journal
        assert journal is not None
        journal.append(
            {
                "t": "close",
                "ts": jr.now_ms(),
                "status": str(status),
                "record": self.record.to_dict(),
            }
        )
        journal.fsync()
        interrupted = False
        try:
            delivered = self._deliver()
        except KeyboardInterrupt:
            delivered, interrupted = False, True
            logger.warning(
                "repro: run %s: stopped waiting for the tracking store; `repro sync` sends the "
                "rest from %s",
                self.run_id,
                self.journal_path,
            )
        if delivered:
            journal.retire()  # still holding the journal's lock
        waiting = journal.backlog + journal.dropped
        problem = journal.problem
        journaled = journal.close()
        if not journaled and not delivered:
            logger.warning(
                "repro: run %s: %d journal entries could not be written to %s (%s) and did not "
                "reach MLflow; they are lost",
                self.run_id,
                waiting,
                self.journal_path,
                problem or "the journal could not be written",
            )
        if interrupted:
            raise KeyboardInterrupt

    def _deliver(self) -> bool:
        """Flush metrics, then store the final record and status; True when all is in MLflow."""
        if not self.online or self._client is None or self._sender is None:
            return False
        flushed = self._wait_for_sender()
        self._sender.stop(timeout=5.0 if flushed else 1.0)
        if not flushed:
            logger.warning(
                "repro: run %s: metrics not all delivered (%s); the run stays RUNNING in MLflow "
                "until `repro sync` replays %s",
                self.run_id,
                scrub(
                    self._sender.error or "the tracking store stopped answering", self.tracking_uri
                ),
                self.journal_path,
            )
            return False
        if self._unsent_artifacts:
            logger.warning(
                "repro: run %s: %d artifact(s) not uploaded; `repro sync` will upload them and "
                "end the run",
                self.run_id,
                len(self._unsent_artifacts),
            )
            return False
        try:
            with_retries(lambda: store_final(self._client, self.run_id, self.record), attempts=3)
        except Exception as exc:
            logger.warning(
                "repro: run %s: final record not stored (%s); sync will",
                self.run_id,
                scrub(str(exc), self.tracking_uri),
            )
            return False
        assert self._journal is not None
        self._journal.append({"t": "done", "ts": jr.now_ms()})
        return True

    def _wait_for_sender(self) -> bool:
        """Wait until the sender has delivered everything: as long as the store keeps
        accepting (up to ``flush_timeout``), at most ``STALL_TIMEOUT_S`` without progress, and
        saying so when it takes longer than ``NOTICE_AFTER_S``."""
        sender = self._sender
        assert sender is not None
        began = time.monotonic()
        last_progress, last_acked = began, sender.acked
        told = False
        while True:
            if sender.flush(timeout=0.25):
                return True
            if sender.gave_up:
                return False
            now = time.monotonic()
            if sender.acked != last_acked:
                last_acked, last_progress = sender.acked, now
            if not told and now - began >= NOTICE_AFTER_S:
                told = True
                logger.warning(
                    "repro: run %s: waiting for the tracking store at %s to accept %d logged "
                    "step(s) (at most %.0f s without progress; Ctrl-C stops waiting; nothing is "
                    "lost: `repro sync` sends what is left)",
                    self.run_id,
                    public_uri(self.tracking_uri),
                    sender.waiting,
                    STALL_TIMEOUT_S,
                )
            if now >= min(began + self.flush_timeout, last_progress + STALL_TIMEOUT_S):
                return False

    def _attach_diagnostics(self) -> None:
        if self._flow is None and self._clip is None:
            return
        try:
            from repro.diagnostics import build_diagnostics

            diagnostics = build_diagnostics(self._flow, self._clip)
            if diagnostics is not None:
                self.record.diagnostics = diagnostics
        except Exception as exc:
            logger.warning("repro: diagnostics not recorded: %s", exc)
        finally:
            if self._flow is not None:
                self._flow.detach()

    def _record_observations(self) -> None:
        """What the run observed: steps, epochs, final learning rate, clipping, dropout
        placement, imported packages, energy (never failing the run); wall time and
        device-hours of every attempt."""
        record = self.record
        try:
            if self._session is not None:
                self._session.finish(
                    record, clipping=self._clipping, epochs_marked=self._epochs_marked
                )
            elif self._clipping is not None:
                from repro.record import Training

                record.training = record.training or Training()
                if record.training.gradient_clipping is None:
                    record.training.gradient_clipping = self._clipping
        except Exception as exc:
            logger.warning("repro: observations of run %s not recorded: %s", self.run_id, exc)
        if record.provenance is not None:
            attempt = max(0.0, time.monotonic() - self._attempt_started)
            devices = self._session.devices if self._session is not None else 1
            group = self._distributed
            if (
                group is not None
                and group.rank == 0
                and "repro.distributed.rank" not in (record.run.tags)
            ):  # rank 0's run stands for the whole job: every rank's device
                devices *= group.world_size
            if record.provenance.wall_time_s is None or self._resume is not None:
                record.provenance.wall_time_s = self._wall_before + attempt
            if record.provenance.device_hours is None or self._resume is not None:
                record.provenance.device_hours = self._hours_before + attempt * devices / 3600

    def _sender_gave_up(self) -> bool:
        return self._sender is not None and self._sender.gave_up

    def _ensure_active(self) -> None:
        if not self._active:
            raise RuntimeError("this run is not active; log inside `with repro.track(...)`")

    # -- signals -----------------------------------------------------------------------------

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(signum)
            if previous is signal.SIG_IGN or previous is None:
                continue
            self._previous_handlers[signum] = previous
            signal.signal(signum, self._on_signal)

    def release_signals(self) -> None:
        """Leave SIGINT/SIGTERM to a framework that handles them itself and reports how the
        run ended (Lightning: ``on_exception``); the handlers found at start are put back."""
        self._restore_signals()

    def _restore_signals(self) -> None:
        for signum, previous in self._previous_handlers.items():
            signal.signal(signum, previous)
        self._previous_handlers.clear()

    def _on_signal(self, signum: int, frame: types.FrameType | None) -> None:
        """Unwind the ``with`` block so the run ends KILLED; a user's own handler runs first and
        may choose to carry on by returning."""
        previous = self._previous_handlers.get(signum)
        self._signal = signum
        if callable(previous) and previous is not signal.default_int_handler:
            previous(signum, frame)
            self._signal = None
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)


class QuietRun:
    """What ``track`` gives a rank other than 0 under ``torch.distributed``: the methods of a
    :class:`TrackedRun` that log nothing, so the same training script runs on every rank.
    Clipping still clips (it is training, not tracking); ``run_id`` is None."""

    def __init__(self, rank: int, name: str | None = None) -> None:
        self.rank = rank
        self.run_id: str | None = None
        self.online = False
        self.record = RunRecord(run={"name": name or f"rank-{rank}"})
        self._epochs = 0

    def __enter__(self) -> QuietRun:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Nothing: rank 0 logs for the job."""

    def set_result(self, name: str, value: float, *args: Any, **kwargs: Any) -> None:
        """Nothing: rank 0 records the results."""

    def add_results(self, *args: Any, **kwargs: Any) -> None:
        """Nothing."""

    def log_artifact(self, path: str | Path, artifact_path: str | None = None) -> None:
        """Nothing."""

    def close(self, status: RunStatus | str = RunStatus.FINISHED) -> None:
        """Nothing to end."""

    def watch(self, *args: Any, **kwargs: Any) -> None:
        """Nothing: rank 0 watches the gradient flow."""

    def observe_clipping(self, *args: Any, **kwargs: Any) -> float:
        return 0.0

    def clip_grad_norm(
        self, parameters: Iterable[Any], max_norm: float, norm_type: float = 2.0
    ) -> float:
        import torch

        return float(torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=norm_type))

    def clip_grad_value(self, parameters: Iterable[Any], clip_value: float) -> float:
        import torch

        params = [p for p in parameters if p.grad is not None]
        largest = max((float(p.grad.detach().abs().max()) for p in params), default=0.0)
        torch.nn.utils.clip_grad_value_(params, clip_value)
        return largest

    def epoch(self) -> int:
        self._epochs += 1
        return self._epochs

    @property
    def cost(self) -> TrackingCost:
        return TrackingCost(log_calls=0, log_metrics_s=0.0, sender_cpu_s=0.0)


def track(
    model: Any = None,
    optimizer: Any = None,
    *,
    scheduler: Any = None,
    data: Any = None,
    experiment: str | None = None,
    record: Any = None,
    tracking_uri: str | None = None,
    resume: str | None = None,
    journal_dir: str | Path | None = None,
    capture: bool = True,
    attach: str | None = None,
    config: Any = None,
    every_rank: bool = False,
    **facts: Any,
) -> TrackedRun:
    """Track a training run in MLflow.

    ``with repro.track(model, optimizer, scheduler=sched, data=loader, experiment="lm") as run:``
    captures the record from the live objects (:mod:`repro.capture.session`): architecture,
    optimizer, schedule, initialisation, precision, dropout, seeds, data; ``record=`` (a
    RunRecord or a partial JSON/YAML record) and the keyword facts a module cannot tell
    (``name``, ``description``, ``tags``, ``batch_size``, ``epochs``, ``max_steps``,
    ``sequence_length``, ``tbptt_length``, ``loss``, ``precision``, ``init``,
    ``contributors``, ``card``; ``cells`` and ``head`` for capture, ``country`` for energy)
    are laid over it. ``with repro.track(record, experiment="adding") as run:`` tracks a
    record as given.

    ``resume`` continues an interrupted run (its MLflow or local id, see
    :mod:`repro.tracking.resume`). ``tracking_uri`` defaults to ``MLFLOW_TRACKING_URI``, else
    MLflow's local store; ``journal_dir`` to ``./.repro/journal``; ``capture`` fills
    environment and provenance. ``attach`` writes into an MLflow run another tool created (its
    id; e.g. Lightning's MLFlowLogger, see :mod:`repro.integrations.lightning`) instead of
    creating one. ``config`` (a Hydra/OmegaConf config or a mapping) is stored resolved, with
    its command-line overrides and multirun sweep (:mod:`repro.capture.config`), as the
    record's ``config``, ``config.*`` params and the ``repro/config.yaml`` artifact.

    Under an initialised ``torch.distributed`` process group (DDP), call it on every rank: rank 0
    writes the one run of the job (world size, backend and each rank's device in
    ``environment.distributed``), the other ranks get a :class:`QuietRun` that logs nothing
    (clipping still clips); ``every_rank=True`` gives each rank a run of its own.
    """
    from repro.capture.distributed import capture_distributed

    group = capture_distributed(model if not isinstance(model, RunRecord) else None)
    if group is not None and group.rank and not every_rank:
        name = model.run.name if isinstance(model, RunRecord) else facts.get("name")
        return QuietRun(group.rank, name)  # type: ignore[return-value]
    run = _track(
        model,
        optimizer,
        scheduler=scheduler,
        data=data,
        experiment=experiment,
        record=record,
        tracking_uri=tracking_uri,
        resume=resume,
        journal_dir=journal_dir,
        capture=capture,
        attach=attach,
        facts=facts,
    )
    run._distributed = group
    if group is not None and every_rank:
        run.record.run.tags["repro.distributed.rank"] = str(group.rank)
    return _with_config(run, config)


def _track(
    model: Any,
    optimizer: Any,
    *,
    scheduler: Any,
    data: Any,
    experiment: str | None,
    record: Any,
    tracking_uri: str | None,
    resume: str | None,
    journal_dir: str | Path | None,
    capture: bool,
    attach: str | None,
    facts: dict[str, Any],
) -> TrackedRun:
    """:func:`track` once it is known this process writes a run."""
    if isinstance(model, RunRecord):  # the record form: tracked as given
        if isinstance(optimizer, str) and experiment is None:  # track(record, "experiment")
            experiment, optimizer = optimizer, None
        extra = [
            name
            for name, value in (
                ("optimizer", optimizer),
                ("scheduler", scheduler),
                ("data", data),
                ("record", record),
            )
            if value is not None
        ]
        if extra or facts:
            raise InvalidInputError(
                f"track(record, ...): {', '.join(extra + sorted(facts))} only apply when "
                "tracking a model: track(model, optimizer, record=record, ...)"
            )
        return TrackedRun(
            model, experiment, tracking_uri, journal_dir, capture, resume=resume, attach=attach
        )
    from repro.capture.session import CaptureSession

    if model is not None:
        from torch import nn

        if not isinstance(model, nn.Module):
            raise InvalidInputError(
                f"track: expected a torch.nn.Module or a RunRecord first, got "
                f"{type(model).__name__}"
            )
    session = CaptureSession(
        model, optimizer, scheduler=scheduler, data=data, record=record, facts=facts
    )
    return TrackedRun(
        session.record,
        experiment,
        tracking_uri,
        journal_dir,
        capture,
        session=session,
        resume=resume,
        attach=attach,
    )


def _with_config(run: TrackedRun, config: Any) -> TrackedRun:
    """``track(config=...)``: the configuration into the run's record, a multirun's sweep into
    its tags."""
    if config is None:
        return run
    from repro.capture.config import capture_config, sweep_tags

    captured = capture_config(config)
    run.record.config = captured
    run.record.run.tags.update(sweep_tags(captured))
    return run
