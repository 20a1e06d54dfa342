"""Everything ``repro.track(model, optimizer, ...)`` captures: at the start from the live
objects, and while the run trains (through :class:`repro.capture.observer.Observer`).

At the start: the architecture (every model shape, :mod:`repro.capture.architecture`), the
optimizer and scheduler settings, the initialisation (tested against PyTorch's defaults), the
precision (parameter dtype), the dropout modules, the seeds of the last ``seed_everything``
(and torch's own initial seed, and the DataLoader generators), the datasets of ``data=``.
What the user states (``record=``, then the keyword facts) is laid over that; where the two
disagree the record keeps the stated value and lists a warning (:mod:`repro.record.merge`).

At the end: optimizer and scheduler steps, epochs, the final learning rate, the scheduler's
interval, autocast, where each dropout module sat, packed sequences, the distributions the
process imported, and energy (:mod:`repro.capture.emissions`).
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from repro.capture.architecture import describe_architecture, unwrap_model
from repro.errors import InvalidInputError
from repro.record import (
    Architecture,
    GradientClipping,
    Observed,
    RecordWarning,
    RunRecord,
)
from repro.record.merge import disagreement, leaf_paths, merge_stated

if TYPE_CHECKING:
    from torch import nn

    from repro.capture.observer import Observations

# keyword fact -> (record section, field); None: an argument of capture, not a record field
FACTS: dict[str, tuple[str, str] | None] = {
    "name": ("run", "name"),
    "description": ("run", "description"),
    "tags": ("run", "tags"),
    "batch_size": ("training", "batch_size"),
    "epochs": ("training", "epochs"),
    "max_steps": ("training", "max_steps"),
    "sequence_length": ("training", "sequence_length"),
    "tbptt_length": ("training", "tbptt_length"),
    "loss": ("training", "loss"),
    "precision": ("training", "precision"),
    "init": ("training", "initialisation"),
    "contributors": None,
    "card": None,
    "cells": None,
    "head": None,
    "country": None,
}
LR_METRIC = "optimizer/lr"
log = logging.getLogger(__name__)


def describe_loss(loss: Any) -> str:
    """A loss as text: a string as given; a loss module as its class with every setting that
    differs from the default, e.g. ``CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)``."""
    if isinstance(loss, str):
        return loss
    from repro.capture.training import json_safe

    cls = type(loss)
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return cls.__name__
    changed = []
    for name, param in signature.parameters.items():
        if name in ("self", "size_average", "reduce") or param.default is inspect.Parameter.empty:
            continue
        value = getattr(loss, name, param.default)
        if hasattr(value, "shape"):  # a class-weight tensor
            if value is not None:
                changed.append(f"{name}=<tensor {list(value.shape)}>")
            continue
        if value != param.default:
            changed.append(f"{name}={json_safe(value)!r}")
    return f"{cls.__name__}({', '.join(changed)})" if changed else cls.__name__


def _read_mapping(value: Any, what: str) -> dict[str, Any]:
    """A mapping given inline or as a JSON/YAML file."""
    if isinstance(value, str | os.PathLike):
        from repro.files.records import read_data

        value = read_data(value)
        if not isinstance(value, Mapping):
            raise InvalidInputError(f"track: {what} file {value!s}: expected a mapping of fields")
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            f"track: {what} must be a mapping or a JSON/YAML file, got {type(value).__name__}"
        )
    return dict(value)


def stated_record(record: Any) -> dict[str, Any]:
    """``record=``: a RunRecord, or a partial record as a mapping or a JSON/YAML file."""
    if record is None:
        return {}
    if isinstance(record, RunRecord):
        data = record.to_dict()
    else:
        from repro.record.migrations import migrate

        data = migrate(_read_mapping(record, "record"))
    data.pop("schema_version", None)
    return data


def _contributors(value: Any) -> list[Any]:
    if isinstance(value, str | os.PathLike):
        from repro.files.records import load_contributors

        return [
            c.model_dump(mode="json", exclude_none=True)
            for c in load_contributors(value).contributors
        ]
    if isinstance(value, list | tuple):
        return [
            c.model_dump(mode="json", exclude_none=True) if hasattr(c, "model_dump") else c
            for c in value
        ]
    raise InvalidInputError(
        f"track: contributors must be a file or a list, got {type(value).__name__}"
    )


def stated_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword facts of ``track`` as a partial record dict."""
    unknown = sorted(set(facts) - set(FACTS))
    if unknown:
        raise InvalidInputError(
            f"track: unknown keyword {', '.join(map(repr, unknown))}; facts a module cannot "
            f"tell are {', '.join(sorted(FACTS))} (more through record=)"
        )
    data: dict[str, Any] = {}
    for key, value in facts.items():
        target = FACTS[key]
        if value is None or target is None:
            continue
        section, name = target
        if key == "loss":
            value = describe_loss(value)
        elif key == "init":
            value = {"scheme": value} if isinstance(value, str) else dict(value)
        data.setdefault(section, {})[name] = value
    if facts.get("contributors") is not None:
        data["contributors"] = _contributors(facts["contributors"])
    if facts.get("card") is not None:
        data["card"] = _read_mapping(facts["card"], "card")
    return data


def _deep_update(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = value
    return base


def _safely(warnings: list[RecordWarning], path: str, read: Any) -> Any:
    """``read()``, or None with a warning: a fact capture cannot read is left out, never a
    reason for the run to fail."""
    try:
        return read()
    except Exception as exc:
        message = f"{path} not captured ({type(exc).__name__}: {exc})"
        warnings.append(RecordWarning(path=path, message=message))
        return None


def _validated(data: dict[str, Any]) -> RunRecord:
    from repro.files.records import validate_data

    return validate_data(data, RunRecord, "track(...)")


class CaptureSession:
    """What one tracked run captures; built by ``track``, driven by ``TrackedRun``."""

    def __init__(
        self,
        model: nn.Module | None,
        optimizer: Any = None,
        *,
        scheduler: Any = None,
        data: Any = None,
        record: Any = None,
        facts: Mapping[str, Any] | None = None,
    ) -> None:
        facts = dict(facts or {})
        stated = _deep_update(stated_record(record), stated_facts(facts))
        self.stated_paths = set(leaf_paths(stated))
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.country = facts.get("country")
        self.observer: Any = None
        self._meter: Any = None
        self._loader: Any = None
        self._scheduler_start = getattr(scheduler, "last_epoch", None)
        self._architecture: Architecture | None = None
        self._lazy = False
        self.device: Any = None
        self.devices = 1
        self.previous: Observed | None = None
        captured, warnings = self._capture(facts.get("cells"), facts.get("head"), data)
        merged, disagreements = merge_stated(captured, stated)
        merged.setdefault("run", {}).setdefault("name", self._default_name())
        record_ = _validated(merged)
        record_.warnings = [*record_.warnings, *warnings, *disagreements]
        self.record = record_

    # -- start ---------------------------------------------------------------------------

    def _default_name(self) -> str:
        stem = type(unwrap_model(self.model)).__name__.lower() if self.model is not None else "run"
        return f"{stem}-{datetime.now(UTC):%Y%m%d-%H%M%S}"

    def _capture(
        self, cells: Any, head: str | None, data: Any
    ) -> tuple[dict[str, Any], list[RecordWarning]]:
        warnings: list[RecordWarning] = []
        out: dict[str, Any] = {}
        training: dict[str, Any] = {}
        pad = None
        if self.model is not None:
            captured = describe_architecture(self.model, head=head, cells=cells)
            self._architecture = captured.architecture
            self._lazy = captured.architecture.total_parameters is None
            warnings += captured.warnings
            out["architecture"] = captured.architecture.model_dump(mode="json", exclude_none=True)
            pads = {e.padding_idx for e in captured.architecture.embeddings}
            pad = pads.pop() if len(pads) == 1 else None
            params = list(unwrap_model(self.model).parameters())
            self.devices = max(1, len({p.device for p in params}))
            self.device = params[0].device if params else None
            for key, fact in self._start_facts(captured.architecture).items():
                value = _safely(warnings, f"training.{key}", fact)
                if value is not None:
                    training[key] = value
        if self.optimizer is not None:
            from repro.capture.training import capture_optimizer

            training["optimizer"] = capture_optimizer(self.optimizer).model_dump(mode="json")
        if self.scheduler is not None:
            from repro.capture.training import capture_lr_schedule

            schedule = capture_lr_schedule(self.scheduler)
            training["lr_schedule"] = schedule.model_dump(mode="json", exclude_none=True)
        if data is not None:
            from repro.capture.data import capture_data

            found = capture_data(data, padding_idx=pad)
            out["data"] = [d.model_dump(mode="json", exclude_none=True) for d in found.datasets]
            warnings += found.warnings
            self._loader = found.train_loader
            if found.batch_size is not None:
                training["batch_size"] = found.batch_size
            loader_seeds = found.loader_seeds
        else:
            loader_seeds = {}
        seeds, seed_warnings = self._seeds(loader_seeds)
        warnings += seed_warnings
        if seeds:
            training["seeds"] = seeds
        if training:
            out["training"] = training
        return out, warnings

    def _start_facts(self, architecture: Architecture) -> dict[str, Any]:
        """Training facts the model itself tells, each to be read by a call."""
        from repro.capture.precision import observed_precision, parameter_dtypes
        from repro.capture.regularisation import capture_dropout
        from repro.capture.training import capture_initialisation

        model = self.model
        dtypes = parameter_dtypes(model)
        facts: dict[str, Any] = {
            "parameter_dtypes": lambda: dtypes,
            "precision": lambda: observed_precision(
                dtypes, device_type=self._device_type(), capability=self._capability()
            ),
            "dropout": lambda: capture_dropout(model, architecture).model_dump(
                mode="json", exclude_none=True
            ),
        }
        if not self._lazy:  # a lazy module's parameters are not there to test yet
            facts["initialisation"] = lambda: capture_initialisation(model).model_dump(
                mode="json", exclude_none=True
            )
        return facts

    def _device_type(self) -> str:
        return getattr(self.device, "type", "cpu") or "cpu"

    def _capability(self) -> str | None:
        """CUDA compute capability of the model's device (TF32 needs 8.0 or newer)."""
        if self._device_type() != "cuda":
            return None
        import torch

        major, minor = torch.cuda.get_device_capability(self.device)
        return f"{major}.{minor}"

    def _seeds(self, loader_seeds: Mapping[str, int]) -> tuple[dict[str, Any], list[RecordWarning]]:
        """The last seed_everything's seeds, torch's initial seed(s), the loaders' seeds."""
        from repro.capture.seeds import last_seeds

        warnings: list[RecordWarning] = []
        last = last_seeds()
        seeds: dict[str, Any] = last.model_dump(exclude_none=True) if last else {}
        try:
            import torch
        except ImportError:  # a run tracked without torch: what seed_everything set
            return seeds, warnings
        initial = int(torch.initial_seed())
        if "torch" in seeds and seeds["torch"] != initial:
            warnings.append(
                RecordWarning(
                    path="training.seeds.torch",
                    message=f"torch was reseeded ({initial}) after repro.seed_everything "
                    f"({seeds['torch']}); the record holds torch's own initial seed",
                    observed=initial,
                )
            )
        seeds["torch"] = initial
        if self._device_type() == "cuda":
            seeds["cuda"] = int(torch.cuda.initial_seed())
        for key, value in loader_seeds.items():
            if key == "dataloader":
                seeds["dataloader"] = value
            else:
                seeds.setdefault("other", {})[key] = value
        return seeds, warnings

    def start(self) -> None:
        """Install the observer and start measuring energy."""
        from repro.capture.emissions import EmissionsMeter
        from repro.capture.observer import Observer

        layers = self._architecture.recurrent_layers if self._architecture is not None else []
        recurrent = [layer.name for layer in layers]
        loaders = [self._loader] if self._loader is not None else []
        try:
            self.observer = Observer(self.model, self.optimizer, loaders, recurrent=recurrent)
            self.observer.start()
            self._meter = EmissionsMeter(self.country)
            self._meter.start()
        except Exception as exc:  # observing is never a reason for training to fail
            log.warning("repro: the run is not observed while training: %s", exc)

    def step_metrics(self) -> dict[str, float]:
        """The learning rate(s) the latest optimizer step applied, for the next log_metrics:
        ``optimizer/lr`` (first group), ``optimizer/lr/group<i>`` when groups differ."""
        observer = self.observer
        if observer is None or not observer.seen.optimizer_steps:
            return {}
        lrs = observer.seen.lrs
        if not lrs:
            return {}
        values = {LR_METRIC: lrs[0]}
        if any(lr != lrs[0] for lr in lrs):
            values.update({f"{LR_METRIC}/group{i}": lr for i, lr in enumerate(lrs)})
        return values

    # -- end -----------------------------------------------------------------------------

    def _set(self, record: RunRecord, path: str, observed: Any) -> None:
        """Record an observed value unless the user stated one; a stated value that differs
        leaves a warning."""
        section_name, _, name = path.rpartition(".")
        section = record
        for part in section_name.split("."):
            section = getattr(section, part)
            if section is None:
                return
        if path in self.stated_paths:
            stated = getattr(section, name)
            if stated is not None and stated != observed and observed is not None:
                record.warnings = [*record.warnings, disagreement(path, stated, observed)]
            return
        setattr(section, name, observed)

    def finish(
        self,
        record: RunRecord,
        *,
        clipping: GradientClipping | None = None,
        epochs_marked: int | None = None,
    ) -> None:
        """Fill what was observed while training into ``record`` (see the module docstring)."""
        from repro.record import Training

        seen = self.observer.stop() if self.observer is not None else None
        if record.training is None:
            record.training = Training()
        if seen is not None:
            self._observed(record, seen, epochs_marked)
            self._model_facts(record, seen)
        if clipping is not None:
            self._set(record, "training.gradient_clipping", clipping)
        self._environment(record)

    def _observed(self, record: RunRecord, seen: Observations, epochs_marked: int | None) -> None:
        previous = self.previous or Observed()
        epochs = (
            epochs_marked
            if epochs_marked is not None
            else (seen.epochs if self._loader is not None else None)
        )
        if epochs is not None and previous.epochs is not None:
            epochs += previous.epochs
        scheduler_steps = None
        if self.scheduler is not None and self._scheduler_start is not None:
            scheduler_steps = max(0, int(self.scheduler.last_epoch) - int(self._scheduler_start))
            scheduler_steps += previous.scheduler_steps or 0
        observed = Observed(
            optimizer_steps=(previous.optimizer_steps or 0) + seen.optimizer_steps
            if self.optimizer is not None
            else None,
            scheduler_steps=scheduler_steps,
            epochs=epochs,
            final_lr=seen.lrs[0] if seen.lrs else None,
            final_lr_groups=seen.lrs if len(set(seen.lrs)) > 1 else [],
            autocast=sorted(seen.autocast | set(previous.autocast)),
        )
        record.training.observed = observed
        if epochs is not None:
            self._set(record, "training.epochs", epochs)
        schedule = record.training.lr_schedule
        if schedule is not None and scheduler_steps:
            interval = None
            if scheduler_steps == observed.optimizer_steps:
                interval = "step"
            elif scheduler_steps == (epochs or record.training.epochs):
                interval = "epoch"  # one step an epoch, observed or as stated
            if interval is not None:
                self._set(record, "training.lr_schedule.interval", interval)

    def _model_facts(self, record: RunRecord, seen: Observations) -> None:
        if self.model is None or self._architecture is None:
            return
        from repro.capture.precision import observed_precision, parameter_dtypes
        from repro.capture.regularisation import capture_dropout

        if self._lazy:
            architecture = describe_architecture(self.model).architecture
            if architecture.total_parameters is not None and record.architecture is not None:
                self._architecture = architecture
                record.architecture.total_parameters = architecture.total_parameters
                record.architecture.trainable_parameters = architecture.trainable_parameters
        if seen.autocast:
            dtypes = parameter_dtypes(self.model)
            precision = observed_precision(
                dtypes,
                seen.autocast,
                device_type=self._device_type(),
                capability=self._capability(),
            )
            self._set(record, "training.precision", precision)
        if seen.traced and "training.dropout" not in self.stated_paths:
            record.training.dropout = capture_dropout(self.model, self._architecture, seen.trace)
        if seen.packed_input is not None:
            for dataset in record.data:
                if dataset.packed is None and dataset.role in ("train", "train+eval"):
                    dataset.packed = seen.packed_input

    def _environment(self, record: RunRecord) -> None:
        from repro.capture.environment import imported_packages

        if record.environment is not None:
            try:
                packages = {**imported_packages(), **record.environment.packages}
            except Exception:  # a broken distribution's metadata is no reason to fail
                packages = record.environment.packages
            record.environment.packages = dict(sorted(packages.items(), key=lambda i: i[0].lower()))
        if self._meter is not None and record.provenance is not None:
            record.provenance.emissions = self._meter.stop()
