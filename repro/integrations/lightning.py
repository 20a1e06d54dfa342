"""Lightning: one repro run per ``Trainer.fit``, from one callback.

    from repro.integrations.lightning import ReproCallback
    trainer = L.Trainer(callbacks=[ReproCallback(experiment="adding")], gradient_clip_val=1.0)

The run starts when training starts (the optimizers, schedulers and training loader Lightning
built are known then) and captures the LightningModule's architecture, the first optimizer and
scheduler, ``gradient_clip_val``/``gradient_clip_algorithm`` with the clipping that actually
happened (the pre-clip norm of every step, read just before Lightning clips), the Trainer's
precision, every ``self.log`` metric at the step Lightning logs it, validation results (split
``validation``) and, after ``trainer.test()``, test results (split ``test``) in the same run,
checkpoint paths, and with ``watch_every=`` the gradient flow through time. Under DDP every
rank calls ``repro.track`` and rank 0 writes the one run. It ends FINISHED when
``fit`` returns (FAILED or KILLED when it raises); test results are added to it afterwards.

With an ``MLFlowLogger`` also on the Trainer, repro writes into the run that logger created (one
run, not two): the logger keeps logging the metrics, repro adds its record, params and tags.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import Logger

from repro.record import GradientClipping, Metric, RecordWarning

log = logging.getLogger("repro.integrations.lightning")

# Trainer.precision -> the record's training.precision
PRECISION = {
    "32-true": "fp32",
    "32": "fp32",
    "64-true": "fp64",
    "64": "fp64",
    "16-mixed": "amp-fp16",
    "bf16-mixed": "amp-bf16",
    "16-true": "fp16",
    "bf16-true": "bf16",
}
SPLIT_PREFIXES = {
    "validation": ("validation_", "validation/", "valid_", "valid/", "val_", "val/"),
    "test": ("test_", "test/"),
}


def result_name(key: str, split: str) -> str:
    """``val_loss`` -> ``loss``, ``test/acc_epoch`` -> ``acc``: a logged key as a result name
    (the split is recorded beside it); keys without a split prefix stay as logged."""
    name = key.removesuffix("_epoch")
    for prefix in SPLIT_PREFIXES[split]:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
    return name


class _ReproLogger(Logger):
    """The logger half of :class:`ReproCallback`, added to ``trainer.loggers`` while a run is
    open, so every ``self.log`` value reaches repro at the step Lightning logs it."""

    def __init__(self, owner: ReproCallback) -> None:
        super().__init__()
        self._owner = owner

    @property
    def name(self) -> str:
        return "repro"

    @property
    def version(self) -> str:
        run = self._owner.run
        return run.run_id if run is not None else "none"

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        """Hyperparameters reach the record from the module itself (its architecture, the
        optimizer Lightning built), not from here."""

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self._owner._on_metrics(metrics, step)


class ReproCallback(Callback):
    """Track each ``Trainer.fit`` as one repro run; see the module docstring.

    ``experiment``, ``tracking_uri``, ``journal_dir`` and the keyword ``facts`` (``name``,
    ``batch_size``, ``loss``, ``tags``, ``record=``...) are those of :func:`repro.track`;
    ``data`` overrides the loaders given to capture (default: the Trainer's training and
    validation loaders); ``watch_every`` records gradient flow every that many optimizer steps
    (``watch_modules``: hand-written cells too).
    """

    def __init__(
        self,
        experiment: str | None = None,
        *,
        tracking_uri: str | None = None,
        journal_dir: str | None = None,
        data: Any = None,
        watch_every: int | None = None,
        watch_modules: Iterable[Any] | None = None,
        **facts: Any,
    ) -> None:
        super().__init__()
        self.experiment = experiment
        self.tracking_uri = tracking_uri
        self.journal_dir = journal_dir
        self.data = data
        self.watch_every = watch_every
        self.watch_modules = watch_modules
        self.facts = facts
        self.run: Any = None  # the TrackedRun of the latest fit
        self.runs: list[Any] = []  # every fit's run, in order
        self._logger = _ReproLogger(self)
        self._active = False
        self._shared = False  # an MLFlowLogger logs the metrics into the same run
        self._clip: tuple[float, str] | None = None
        self._test_results: dict[tuple[str, str], Metric] = {}
        self._test_metrics: dict[str, float] = {}
        self._test_step = 0
        self._bad_keys: set[str] = set()
        self._trainer: pl.Trainer | None = None

    # -- the run -----------------------------------------------------------------------------

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._finish(None)  # a fit interrupted before teardown: end its run first
        import repro

        optimizers = list(trainer.optimizers)
        configs = list(trainer.lr_scheduler_configs)
        facts = dict(self.facts)
        precision = PRECISION.get(str(trainer.precision))
        if precision is not None:
            facts.setdefault("precision", precision)
        if trainer.max_steps and trainer.max_steps > 0:
            facts.setdefault("max_steps", trainer.max_steps)
        experiment, uri, attach = self.experiment, self.tracking_uri, None
        # under DDP every rank calls track (rank 0 writes, the others get a quiet run)
        mlflow_logger = self._mlflow_logger(trainer) if trainer.is_global_zero else None
        if mlflow_logger is not None:
            attach = mlflow_logger.run_id
            uri = mlflow_logger._tracking_uri
            experiment = self._experiment_name(mlflow_logger)
            name = mlflow_logger.experiment.get_run(attach).info.run_name
            if name:
                facts.setdefault("name", name)
        run = repro.track(
            pl_module,
            optimizers[0] if optimizers else None,
            scheduler=configs[0].scheduler if configs else None,
            data=self.data if self.data is not None else self._loaders(trainer),
            experiment=experiment,
            tracking_uri=uri,
            journal_dir=self.journal_dir,
            attach=attach,
            **facts,
        )
        run.__enter__()
        if hasattr(run, "release_signals"):  # Lightning handles interrupts (on_exception)
            run.release_signals()
        self.run, self._active, self._shared = run, True, mlflow_logger is not None
        self.runs.append(run)
        self._test_results, self._test_metrics = {}, {}
        record = run.record
        if len(optimizers) > 1:
            names = ", ".join(type(o).__name__ for o in optimizers)
            record.warnings = [
                *record.warnings,
                RecordWarning(
                    path="training.optimizer",
                    message=f"Lightning built {len(optimizers)} optimizers ({names}); the "
                    "record holds the first",
                ),
            ]
        if configs and record.training is not None and record.training.lr_schedule is not None:
            record.training.lr_schedule.interval = configs[0].interval  # Lightning's own setting
        value = trainer.gradient_clip_val
        if value is not None and float(value) > 0:
            self._clip = (float(value), trainer.gradient_clip_algorithm or "norm")
        else:
            self._clip = None
            overridden = type(pl_module).configure_gradient_clipping
            if overridden is pl.LightningModule.configure_gradient_clipping and record.training:
                record.training.gradient_clipping = GradientClipping(kind="none")
        if self.watch_every:
            run.watch(pl_module, every=self.watch_every, modules=self.watch_modules)
        if self._logger not in trainer.loggers:
            trainer.loggers = [*trainer.loggers, self._logger]

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: Any
    ) -> None:
        """Read the pre-clip norm Lightning is about to clip (it clips right after this hook,
        with the gradients unscaled)."""
        if not self._active or self._clip is None:
            return
        threshold, algorithm = self._clip
        params = [p for group in optimizer.param_groups for p in group["params"]]
        self.run.observe_clipping(params, threshold, kind=str(algorithm))

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._active:
            self.run.epoch()

    def on_test_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """``trainer.test()`` after ``fit``: its results go to the fit's run."""
        if self.run is not None and self._logger not in trainer.loggers:
            trainer.loggers = [*trainer.loggers, self._logger]

    on_validation_start = on_test_start  # trainer.validate() after fit too (a no-op inside fit)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and self._active:
            self._record_checkpoints(trainer)
            self._finish(None)
        elif stage in ("test", "validate") and self.run is not None and self._test_results:
            self.run.add_results(
                self._test_results.values(), metrics=self._test_metrics, step=self._test_step
            )
            self._test_results, self._test_metrics = {}, {}
        self._detach(trainer)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        self._finish(exception)
        self._detach(trainer)

    def _finish(self, exception: BaseException | None) -> None:
        if not self._active:
            return
        self._active = False
        if exception is None:
            self.run.__exit__(None, None, None)
        else:
            self.run.__exit__(type(exception), exception, exception.__traceback__)

    def _detach(self, trainer: pl.Trainer) -> None:
        if self._logger in trainer.loggers:
            trainer.loggers = [lg for lg in trainer.loggers if lg is not self._logger]

    # -- what Lightning logs ---------------------------------------------------------------

    def _on_metrics(self, metrics: Mapping[str, float], step: int | None) -> None:
        run = self.run
        if run is None:
            return
        trainer = self._trainer
        values: dict[str, float] = {}
        for key, value in metrics.items():
            number = float(value)
            if not self._valid(key):
                continue
            values[key] = number
        step = int(step or 0)
        if self._active and not self._shared and values:
            run.log_metrics(values, step=step)
        split = None
        if trainer is not None and not trainer.sanity_checking:
            split = "validation" if trainer.validating else "test" if trainer.testing else None
        if split is None:
            return
        for key, number in values.items():
            if key == "epoch" or key.endswith("_step") or not math.isfinite(number):
                continue
            metric = Metric(
                name=result_name(key, split),
                value=number,
                split=split,
                higher_is_better=self._direction(trainer, key),
                step=step,
            )
            if self._active:
                run.set_result(metric.name, metric.value, split, metric.higher_is_better, step=step)
            else:
                self._test_results[(metric.name, split)] = metric
        if not self._active:
            self._test_metrics.update(values)
            self._test_step = step

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._trainer = trainer

    def _valid(self, key: str) -> bool:
        from repro.tracking.flatten import valid_key

        if valid_key(key):
            return True
        if key not in self._bad_keys:
            self._bad_keys.add(key)
            log.warning("repro: metric %r is not a name MLflow accepts; not tracked", key)
        return False

    @staticmethod
    def _direction(trainer: pl.Trainer, key: str) -> bool | None:
        """Whether higher is better, as a ModelCheckpoint or EarlyStopping monitoring ``key``
        says (its ``mode``); None when nothing on the Trainer says."""
        for callback in trainer.callbacks:
            if getattr(callback, "monitor", None) == key:
                mode = getattr(callback, "mode", None)
                if mode in ("min", "max"):
                    return mode == "max"
        return None

    @staticmethod
    def _mlflow_logger(trainer: pl.Trainer) -> Any:
        from lightning.pytorch.loggers import MLFlowLogger

        return next((lg for lg in trainer.loggers if isinstance(lg, MLFlowLogger)), None)

    @staticmethod
    def _experiment_name(mlflow_logger: Any) -> str | None:
        experiment = mlflow_logger.experiment.get_experiment(mlflow_logger.experiment_id)
        return str(experiment.name) if experiment is not None else None

    @staticmethod
    def _loaders(trainer: pl.Trainer) -> Any:
        """The training loader (and validation loader) Lightning uses, as ``track``'s data."""
        train = trainer.train_dataloader
        val = trainer.val_dataloaders
        if isinstance(val, list | tuple):
            val = val[0] if len(val) == 1 else None
        if train is None:
            return None
        if val is None or not hasattr(val, "dataset"):
            return train
        return {"train": train, "validation": val}

    def _record_checkpoints(self, trainer: pl.Trainer) -> None:
        """Lightning's checkpoint paths as run tags (``lightning.checkpoint.best``/``last``)."""
        tags = self.run.record.run.tags
        for index, callback in enumerate(trainer.checkpoint_callbacks):
            suffix = "" if index == 0 else f".{index}"
            for kind in ("best", "last"):
                path = getattr(callback, f"{kind}_model_path", "")
                if path:
                    tags[f"lightning.checkpoint.{kind}{suffix}"] = str(path)
