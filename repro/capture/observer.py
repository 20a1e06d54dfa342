"""Watch a training run through torch's global hooks, leaving nothing on the user's objects.

A checkpoint of the user's model or optimizer must never hold repro objects, so nothing here
registers a hook on, or sets an attribute of, a module, optimizer, scheduler or loader:

- optimizer steps: ``torch.optim.optimizer.register_optimizer_step_post_hook`` (global); each
  completed ``step()`` of the tracked optimizer is counted and its learning rates reported;
- forward passes: ``register_module_forward_pre_hook``/``register_module_forward_hook``
  (global), removed again after the first :data:`SAMPLED_FORWARDS` training forward passes of
  the model. The first one is traced (which module ran after which) to place dropout modules;
  each sampled one tells whether ``torch.autocast`` was active and in which dtype, and whether
  a recurrent module received a ``PackedSequence``;
- epochs over a training ``DataLoader``: ``DataLoader.__iter__`` is wrapped on the class while
  a watched loader exists; a pass counts once the iterator has yielded every batch.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from torch import nn

SAMPLED_FORWARDS = 16
MAX_TRACE_EVENTS = 20_000
log = logging.getLogger(__name__)
Hook = TypeVar("Hook", bound=Callable[..., None])


def _never_raises(hook: Hook) -> Hook:
    """A hook runs inside the user's forward pass or optimizer step: a failure of repro's
    must not become theirs. It is logged once and the observation is left incomplete."""

    @functools.wraps(hook)
    def guarded(self: Observer, *args: Any) -> None:
        try:
            hook(self, *args)
        except Exception as exc:
            if not self.failed:
                log.warning("repro: observing the run failed (%s); what was seen is kept", exc)
            self.failed = True

    return guarded  # type: ignore[return-value]


@dataclass(frozen=True)
class Event:
    """One module call in the traced forward pass: ``start`` (pre-hook) or its end."""

    start: bool
    name: str


@dataclass
class Observations:
    """What was seen while training."""

    optimizer_steps: int = 0
    epochs: int = 0
    lrs: list[float] = field(default_factory=list)
    trace: list[Event] = field(default_factory=list)
    traced: bool = False
    autocast: set[str] = field(default_factory=set)
    forwards: int = 0
    packed_input: bool | None = None


# -- DataLoader passes ----------------------------------------------------------------------------

_loader_lock = threading.Lock()
_loader_watchers: dict[int, list[Observer]] = {}
_original_iter: Any = None


def _watched_iter(self: Any) -> Any:
    watchers = list(_loader_watchers.get(id(self), ()))
    for watcher in watchers:
        watcher._pass_ending(self)
    iterator = _original_iter(self)
    for watcher in watchers:
        watcher._pass_started(self, iterator)
    return iterator


def _watch_loader(loader: Any, observer: Observer) -> None:
    global _original_iter
    from torch.utils.data import DataLoader

    with _loader_lock:
        if _original_iter is None:
            _original_iter = DataLoader.__iter__
            DataLoader.__iter__ = _watched_iter  # type: ignore[method-assign]
        _loader_watchers.setdefault(id(loader), []).append(observer)


def _unwatch_loader(loader: Any, observer: Observer) -> None:
    global _original_iter
    from torch.utils.data import DataLoader

    with _loader_lock:
        watchers = _loader_watchers.get(id(loader), [])
        if observer in watchers:
            watchers.remove(observer)
        if not watchers:
            _loader_watchers.pop(id(loader), None)
        # restore only our own wrapper: one installed over it by someone else stays theirs
        if not _loader_watchers and DataLoader.__iter__ is _watched_iter:
            DataLoader.__iter__ = _original_iter  # type: ignore[method-assign]
            _original_iter = None


def _completed(iterator: Any) -> bool:
    """Whether a DataLoader iterator yielded every batch of its pass."""
    try:
        return int(iterator._num_yielded) >= len(iterator)
    except (AttributeError, TypeError):  # an IterableDataset without a length
        return False


# -- the observer -------------------------------------------------------------------------------


class Observer:
    """Counts steps and epochs and samples forward passes of one tracked model (see the module
    docstring); :meth:`start` and :meth:`stop` install and remove every hook."""

    def __init__(
        self,
        model: nn.Module | None,
        optimizer: Any = None,
        loaders: Iterable[Any] = (),
        recurrent: Iterable[str] = (),
    ) -> None:
        self.seen = Observations()
        self._optimizer = optimizer
        self._loaders = list(loaders)
        self._passes: dict[int, Any] = {}
        self._recurrent = set(recurrent)
        self._model = model
        self._names: dict[int, str] = {}
        self._top: set[int] = set()
        self._device_type = "cpu"
        if model is not None:
            from repro.capture.architecture import unwrap_model

            inner = unwrap_model(model)
            self._top = {id(model), id(inner)}
            self._names = {id(m): name for name, m in inner.named_modules() if name}
            param = next(iter(inner.parameters()), None)
            if param is not None:
                self._device_type = param.device.type
        self._handles: list[Any] = []
        self._module_handles: list[Any] = []
        self._depth = 0
        self._tracing = False
        self.failed = False

    # -- install / remove --------------------------------------------------------------

    def start(self) -> None:
        from torch.nn.modules.module import (
            register_module_forward_hook,
            register_module_forward_pre_hook,
        )
        from torch.optim.optimizer import register_optimizer_step_post_hook

        if self._optimizer is not None:
            self.seen.lrs = self._current_lrs()
            self._handles.append(register_optimizer_step_post_hook(self._after_step))
        if self._model is not None:
            self._module_handles = [
                register_module_forward_pre_hook(self._before_forward),
                register_module_forward_hook(self._after_forward),
            ]
        for loader in self._loaders:
            _watch_loader(loader, self)

    def stop(self) -> Observations:
        """Remove every hook and return what was seen (a last full pass counts too)."""
        self._remove_module_hooks()
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for loader in self._loaders:
            self._pass_ending(loader)
            _unwatch_loader(loader, self)
        self._loaders.clear()
        if self._optimizer is not None:
            self.seen.lrs = self._current_lrs()
        return self.seen

    def _remove_module_hooks(self) -> None:
        for handle in self._module_handles:
            handle.remove()
        self._module_handles.clear()

    # -- optimizer ----------------------------------------------------------------------

    def _current_lrs(self) -> list[float]:
        lrs = []
        for group in getattr(self._optimizer, "param_groups", []):
            try:
                lrs.append(float(group["lr"]))
            except (KeyError, TypeError, ValueError):
                continue
        return lrs

    @_never_raises
    def _after_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        if optimizer is not self._optimizer:
            return
        self.seen.optimizer_steps += 1
        self.seen.lrs = self._current_lrs()  # what this step applied: schedulers step after

    # -- forward passes -------------------------------------------------------------------

    @_never_raises
    def _before_forward(self, module: nn.Module, inputs: Any) -> None:
        key = id(module)
        if key in self._top:
            if self._depth == 0 and module.training:
                self._sample_forward()
            self._depth += 1
            return
        if not self._tracing:
            return
        name = self._names.get(key)
        if name is None:
            return
        if name in self._recurrent and inputs:
            from torch.nn.utils.rnn import PackedSequence

            packed = isinstance(inputs[0], PackedSequence)
            self.seen.packed_input = bool(self.seen.packed_input) or packed
        self._event(Event(True, name))

    @_never_raises
    def _after_forward(self, module: nn.Module, inputs: Any, output: Any) -> None:
        key = id(module)
        if key in self._top:
            self._depth = max(0, self._depth - 1)
            if self._depth == 0 and self._tracing:
                self._tracing = False
                self.seen.traced = True
            if self._depth == 0 and self.seen.forwards >= SAMPLED_FORWARDS:
                self._remove_module_hooks()
            return
        if self._tracing:
            name = self._names.get(key)
            if name is not None:
                self._event(Event(False, name))

    def _sample_forward(self) -> None:
        import torch

        self.seen.forwards += 1
        try:
            if torch.is_autocast_enabled(self._device_type):
                dtype = torch.get_autocast_dtype(self._device_type)
                self.seen.autocast.add(str(dtype).removeprefix("torch."))
        except (RuntimeError, TypeError):  # a device type autocast does not know
            pass
        if not self.seen.traced:
            self._tracing = True
            self.seen.trace.clear()

    def _event(self, event: Event) -> None:
        if len(self.seen.trace) < MAX_TRACE_EVENTS:
            self.seen.trace.append(event)

    # -- DataLoader passes ------------------------------------------------------------------

    @_never_raises
    def _pass_started(self, loader: Any, iterator: Any) -> None:
        # held until the next pass starts: a for-loop drops its iterator when it ends
        self._passes[id(loader)] = iterator

    @_never_raises
    def _pass_ending(self, loader: Any) -> None:
        iterator = self._passes.pop(id(loader), None)
        if iterator is not None and _completed(iterator) and loader is self._loaders[0]:
            self.seen.epochs += 1
