"""Capture training settings from live objects: optimizer, LR schedule, initialisation, data.

Every value is turned into plain JSON (tuples become lists, scalar tensors numbers, callables
their qualified name), so a captured record serialises and round-trips.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import os
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from repro.errors import InvalidInputError
from repro.record import Dataset, Initialisation, LRSchedule, Optimizer, SequenceLengthStats
from repro.record.errors import describe_errors

if TYPE_CHECKING:
    from torch import nn

# Scheduler constructor arguments that are wiring or running state, not settings.
_SCHEDULER_SKIP = frozenset({"self", "optimizer", "last_epoch", "verbose"})
_CHUNK = 1 << 20


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON data: tuples/sets -> lists, scalar tensors and numpy scalars ->
    numbers, non-finite floats -> ``"inf"``/``"-inf"``/``"nan"``, dtypes, callables and other
    objects -> their name."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [json_safe(v) for v in items]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # tensors, numpy arrays/scalars
        return json_safe(value.tolist())
    if callable(value) and hasattr(value, "__qualname__"):
        module = getattr(value, "__module__", None)
        return f"{module}.{value.__qualname__}" if module else value.__qualname__
    return str(value).removeprefix("torch.")


def _build(model: type, what: str, section: str, **fields: Any) -> Any:
    """``model(**fields)``; a validation error becomes one InvalidInputError naming the record
    section and each field path."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise InvalidInputError(
            f"{what}: the values do not fit the record's {section} section:",
            describe_errors(exc, section),
        ) from None


def capture_optimizer(optimizer: Any) -> Optimizer:
    """The optimizer class and every default setting (``lr``, ``betas``, ``eps``, ...).

    When parameter groups set values of their own, ``settings["param_groups"]`` lists, per
    group, its parameter count and each setting that differs from the defaults (a group's
    ``initial_lr`` is used for ``lr`` once a scheduler has moved it).
    """
    defaults = getattr(optimizer, "defaults", None)
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(defaults, Mapping) or not isinstance(groups, list):
        raise InvalidInputError(
            f"capture_optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}."
        )
    settings = {k: json_safe(v) for k, v in defaults.items() if k != "params"}
    summaries = []
    any_override = False
    for group in groups:
        overrides = {}
        for key, default in defaults.items():
            if key == "params" or key not in group:
                continue
            value = group.get("initial_lr", group[key]) if key == "lr" else group[key]
            if json_safe(value) != json_safe(default):
                overrides[key] = json_safe(value)
        any_override = any_override or bool(overrides)
        count = sum(p.numel() for p in group.get("params", []))
        summaries.append({"parameters": count, **overrides})
    if len(groups) > 1 or any_override:
        settings["param_groups"] = summaries
    return _build(
        Optimizer,
        "capture_optimizer",
        "training.optimizer",
        name=type(optimizer).__name__,
        settings=settings,
    )


def _scheduler_settings(scheduler: Any) -> dict[str, Any]:
    try:
        signature = inspect.signature(type(scheduler).__init__)
    except (TypeError, ValueError):
        return {}
    optimizer = getattr(scheduler, "optimizer", None)
    groups = getattr(optimizer, "param_groups", None) or [{}]
    settings: dict[str, Any] = {}
    for name, param in signature.parameters.items():
        if name in _SCHEDULER_SKIP or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        found = [a for a in (name, "_" + name) if hasattr(scheduler, a)]
        plural = [a for a in (name + "s", "_" + name + "s") if hasattr(scheduler, a)]
        if found:
            value = getattr(scheduler, found[0])
        elif plural:  # per-group lists: min_lrs, lr_lambdas, max_lrs
            value = list(getattr(scheduler, plural[0]))
            if value and all(v == value[0] for v in value):
                value = value[0]
        elif name in groups[0]:  # OneCycleLR keeps max_lr in the parameter groups
            value = groups[0][name]
        else:
            continue
        if isinstance(value, list | tuple) and value and all(_is_scheduler(v) for v in value):
            value = [capture_lr_schedule(v).model_dump(exclude_none=True) for v in value]
        settings[name] = json_safe(value)
    return settings


def _is_scheduler(obj: Any) -> bool:
    return hasattr(obj, "optimizer") and hasattr(obj, "step") and hasattr(obj, "state_dict")


def capture_lr_schedule(
    scheduler: Any,
    *,
    interval: str | None = None,
    warmup_steps: int | None = None,
    settings: Mapping[str, Any] | None = None,
) -> LRSchedule:
    """The scheduler class and its constructor settings, read back from the live object.

    Settings are the constructor's arguments (less ``optimizer``/``last_epoch``/``verbose``)
    found on the scheduler, its per-group lists, or the optimizer's groups; chained schedulers
    (``SequentialLR``) nest their members. A setting the object does not keep (OneCycleLR's
    ``pct_start``) is left out; pass it in ``settings``, which wins over what is read back.
    ``interval`` ('step' or 'epoch') and ``warmup_steps`` are how you call it, which the object
    cannot tell.
    """
    if not _is_scheduler(scheduler):
        raise InvalidInputError(
            "capture_lr_schedule: expected a torch.optim.lr_scheduler scheduler, got "
            f"{type(scheduler).__name__}."
        )
    return _build(
        LRSchedule,
        "capture_lr_schedule",
        "training.lr_schedule",
        name=type(scheduler).__name__,
        settings={**_scheduler_settings(scheduler), **json_safe(dict(settings or {}))},
        interval=interval,
        warmup_steps=warmup_steps,
    )


def forget_gate_biases(model: nn.Module) -> list[float]:
    """Effective forget-gate bias of every LSTM unit: ``b_ih[H:2H] + b_hh[H:2H]`` per layer and
    direction (PyTorch orders gates i, f, g, o). Empty when the model has no biased LSTM."""
    import torch
    from torch import nn

    from repro.capture.architecture import unwrap_model

    values: list[torch.Tensor] = []
    for module in unwrap_model(model).modules():
        if not isinstance(module, nn.LSTM | nn.LSTMCell) or not module.bias:
            continue
        hidden = module.hidden_size
        params = dict(module.named_parameters())
        for name, b_ih in params.items():
            if not name.startswith("bias_ih"):
                continue
            b_hh = params[name.replace("bias_ih", "bias_hh", 1)]
            with torch.no_grad():
                values.append((b_ih[hidden : 2 * hidden] + b_hh[hidden : 2 * hidden]).double())
    if not values:
        return []
    return torch.cat(values).tolist()


def capture_initialisation(
    model: nn.Module,
    scheme: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Initialisation:
    """The initialisation ``scheme`` and the effective LSTM forget-gate bias.

    Without ``scheme`` it is measured, never assumed: ``pytorch-default`` when every parameter
    is consistent with its module's default initialisation, else ``custom`` with the names of
    the parameters that differ (``details["not_default"]``) and of those torch has no default
    for (``details["no_torch_default"]``), see :mod:`repro.capture.initialisation`. Capture it
    before training moves them.

    ``forget_gate_bias`` is the mean over every LSTM unit, layer and direction of
    ``b_ih + b_hh`` on the forget-gate slice, the value the gate actually sees (setting both
    biases to 1.0 gives 2.0). It is absent when the model has no LSTM or its LSTMs have no
    bias. When units differ, ``details`` gains ``forget_gate_bias_min``/``_max``.
    """
    biases = forget_gate_biases(model)
    extra = {k: json_safe(v) for k, v in (details or {}).items()}
    if scheme is None:
        from repro.capture.initialisation import check_default_init, init_details

        check = check_default_init(model)
        scheme = "pytorch-default" if check.default else "custom"
        for key, value in init_details(check).items():
            extra.setdefault(key, value)
    mean = None
    if biases:
        mean = math.fsum(biases) / len(biases)
        if min(biases) != max(biases):
            extra.setdefault("forget_gate_bias_min", min(biases))
            extra.setdefault("forget_gate_bias_max", max(biases))
    return _build(
        Initialisation,
        "capture_initialisation",
        "training.initialisation",
        scheme=scheme,
        forget_gate_bias=mean,
        details=extra,
    )


# -- dataset digests -----------------------------------------------------------------------


def _update_file(digest: Any, path: Path) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def array_bytes(value: Any) -> tuple[str, tuple[int, ...], bytes]:
    """(dtype name, shape, C-order little-endian bytes) of a tensor or numpy array."""
    module = type(value).__module__
    if module.startswith("torch"):
        import torch

        tensor = value.detach()
        if tensor.layout != torch.strided:
            tensor = tensor.to_dense()
        tensor = tensor.cpu().contiguous()
        raw = tensor.reshape(-1).view(torch.uint8).numpy().tobytes()
        return str(tensor.dtype).removeprefix("torch."), tuple(tensor.shape), raw
    import numpy as np

    array = np.ascontiguousarray(value)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    if array.dtype.hasobject:
        raise InvalidInputError(
            "capture_dataset: an object array has no stable byte content; convert it to a "
            "numeric, string or bytes dtype first."
        )
    return array.dtype.name, array.shape, array.tobytes()


def is_array(value: Any) -> bool:
    return hasattr(value, "dtype") and hasattr(value, "shape") and not isinstance(value, type)


def frame_raw(digest: Any, value: Any) -> bool:
    """Feed a tensor, array or bytes-like value framed with its kind, dtype, shape and length;
    False (nothing fed) for any other value."""
    if is_array(value):
        dtype, shape, raw = array_bytes(value)
        digest.update(f"array {dtype} {list(shape)} {len(raw)}\n".encode())
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        digest.update(f"bytes {len(raw)}\n".encode())
    else:
        return False
    digest.update(raw)
    return True


def _frame(digest: Any, value: Any, label: str) -> None:
    """Feed one item, framed with its kind, dtype and shape so that different data can never
    produce the same byte stream."""
    if frame_raw(digest, value):
        return
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            digest.update(f"dir {len(files)}\n".encode())
            for file in files:
                rel = file.relative_to(path).as_posix()
                digest.update(f"file {rel} {file.stat().st_size}\n".encode())
                _update_file(digest, file)
        elif path.is_file():
            digest.update(f"file {path.name} {path.stat().st_size}\n".encode())
            _update_file(digest, path)
        else:
            raise InvalidInputError(
                f"capture_dataset: {label} is the path {str(path)!r}, which is neither a file "
                "nor a directory."
            )
    elif isinstance(value, Mapping):
        digest.update(f"map {len(value)}\n".encode())
        for key, item in value.items():
            digest.update(f"key {key!s}\n".encode())
            _frame(digest, item, f"{label}[{key!r}]")
    elif isinstance(value, list | tuple):
        digest.update(f"seq {len(value)}\n".encode())
        for i, item in enumerate(value):
            _frame(digest, item, f"{label}[{i}]")
    elif hasattr(value, "tensors") and isinstance(value.tensors, tuple):  # TensorDataset
        _frame(digest, list(value.tensors), f"{label}.tensors")
    else:
        raise InvalidInputError(
            f"capture_dataset: cannot digest {label} of type {type(value).__name__}; pass "
            "tensors, numpy arrays, bytes, file or directory paths, or lists/dicts of these."
        )


def dataset_sha256(data: Any) -> str:
    """SHA-256 of a dataset's full content.

    A single file or bytes object gives its plain SHA-256 (what ``sha256sum`` prints, so it
    matches a published checksum). Anything else (tensors, arrays, directories, lists and
    dicts of these, a ``TensorDataset``) is hashed as a framed stream: kind, dtype, shape and
    length before each item's bytes, in the given order (directories: sorted relative paths).
    A torch tensor and a numpy array with equal dtype, shape and values digest the same.
    """
    digest = hashlib.sha256()
    if isinstance(data, bytes | bytearray | memoryview):
        digest.update(bytes(data))
    elif isinstance(data, str | os.PathLike) and Path(data).is_file():
        _update_file(digest, Path(data))
    else:
        _frame(digest, data, "data")
    return digest.hexdigest()


def sequence_length_stats(lengths: Iterable[int]) -> SequenceLengthStats:
    """Min, max, mean, median and 95th percentile (linear interpolation, as numpy's default)."""
    values = sorted(int(n) for n in lengths)
    if not values:
        raise InvalidInputError("capture_dataset: lengths is empty; give one length per example.")
    if values[0] < 0:
        raise InvalidInputError(f"capture_dataset: lengths must be >= 0 (got {values[0]}).")
    p95 = (
        float(values[0])
        if len(values) == 1
        else statistics.quantiles(values, n=20, method="inclusive")[18]
    )
    return SequenceLengthStats(
        min=values[0],
        max=values[-1],
        mean=math.fsum(values) / len(values),
        median=float(statistics.median(values)),
        p95=float(p95),
    )


def capture_dataset(
    name: str,
    data: Any = None,
    *,
    lengths: Sequence[int] | Iterable[int] | None = None,
    **fields: Any,
) -> Dataset:
    """A :class:`Dataset` entry with its content digest and sequence-length statistics.

    ``data`` is digested by :func:`dataset_sha256` (``None``: no digest); ``lengths`` gives
    one sequence length per example; other keyword arguments are :class:`Dataset` fields
    (``version``, ``source``, ``license``, ``role``, ``splits``, ``padding``, ...).
    """
    if "sha256" in fields and data is not None:
        raise InvalidInputError(
            "capture_dataset: give either data (digested here) or sha256, not both."
        )
    if data is not None:
        fields["sha256"] = dataset_sha256(data)
    if lengths is not None:
        fields["sequence_length"] = sequence_length_stats(lengths)
    return _build(Dataset, "capture_dataset", f"data ({name!r})", name=name, **fields)
