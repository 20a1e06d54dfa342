"""Gradient flow through time (BPTT): how much of the loss gradient reaches each time step.

What is measured. On a sampled training forward, the input of each watched layer is passed on
through an identity view whose gradient hook computes, for each time step t, the mean over the
batch of the per-example norm ``||dL/dx_t||_2`` (over features). ``dL/dx_t`` is the total
derivative: it has travelled back through every later step of the recurrence (and through every
stacked layer), so its decay from the last step to the first is the vanishing-gradient
signature, and its growth the exploding one. The gradient of the layer's *output* would not do:
it holds only what the loss sends to each step directly, never what flows through time, and
torch's RNN kernels keep the hidden states ``h_t`` out of reach. For a one-layer module
``dL/dx_t = W_ih^T dL/da_t`` with ``a_t`` the pre-activations, so the curve follows ``dL/dh_t``
up to one fixed linear map.

What is watched. Every ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (a whole sequence per call) and every
``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell``, plus any module named in ``modules`` (a
hand-written cell): for a cell, each call within one training forward of the watched model is
one time step, and its first positional argument is the input ``x_t`` whose gradient is read.
An ``nn.LSTM`` fed one step at a time (a decoder loop) is read the same way. Batches: a
per-example norm averaged over the batch does not depend on the batch size; a
``PackedSequence`` averages at step t over the sequences still active at t. A one-layer
bidirectional ``nn.RNN``/``nn.LSTM``/``nn.GRU`` on a padded input gives one curve per direction
(see :func:`repro.diagnostics._taps.split_by_direction`); a stacked or packed one gives the sum
of both directions, recorded as direction ``both``.

Steps. Snapshots are taken every ``every`` optimizer steps, counted by torch's global optimizer
step hook for any optimizer holding the model's parameters (LBFGS's closure calls inside one
``step()`` are one step, and only a step's first training forward is sampled). Until the first
optimizer step is seen, training forwards stand in for steps; if none is ever seen (parameters
updated by hand) the snapshots' steps count training forwards, and the record says so.

Leaving no trace. The probe registers only torch's *global* module and optimizer hooks, and
acts on modules found in a table of weak references; nothing is written into the model, its
modules or their hook dictionaries. A watched model can therefore be pickled, deep-copied,
``torch.save``-d whole (the file holds no repro object and loads with ``weights_only=True``) or
``torch.compile``-d. Inside a compiled graph the hooks stand aside: the modules torch.compile
traces are not measured, and when nothing at all was recorded :meth:`detach` warns.
"""

from __future__ import annotations

import itertools
import math
import warnings
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.nn.utils.rnn import PackedSequence
from torch.optim import optimizer as optimizer_hooks

from repro.diagnostics import _taps
from repro.diagnostics.summary import Reading, WatchedCurve, summarize, summarize_layers
from repro.record import GradientFlow
from repro.record.diagnostics import Direction, FlowWatch, LayerFlow, TimeAxis

ModuleSpec = nn.Module | str | type[nn.Module]


def subsample(length: int, max_points: int) -> list[int]:
    """At most ``max_points`` evenly spaced indices of ``range(length)``, first and last kept."""
    if length <= max_points:
        return list(range(length))
    # integer floor keeps the indices strictly increasing (the spacing is at least 1)
    return [i * (length - 1) // (max_points - 1) for i in range(max_points)]


@dataclass(eq=False)
class _Layer:
    """One watched module: a weak reference and its sampling state."""

    name: str
    ref: weakref.ReferenceType[nn.Module]
    module_name: str
    whole_sequence: bool  # nn.RNN/LSTM/GRU: a call reads a whole sequence
    sampled_at: int | None = None  # clock value of the latest window opened
    window: _Window | None = None  # a calls window still collecting calls
    twin: nn.RNNBase | None = None  # for the bidirectional split, made on first use


@dataclass(eq=False)
class _Window:
    """One sampled sequence of one layer: what its gradient hooks measured."""

    layer: _Layer
    step: int
    forward: int | None
    provisional: bool  # taken before any optimizer step was seen (step = forward index)
    time_axis: TimeAxis
    open: bool = True  # a calls window accepts further calls until closed
    broken: bool = False  # a call could not be tapped: the curve would have a hole
    parts: dict[Direction, torch.Tensor] = field(default_factory=dict)  # sequence windows
    calls: list[torch.Tensor | None] = field(default_factory=list)  # calls windows
    source: Any = None  # split windows: (input, state) until the backward pass reads them

    @property
    def measured(self) -> bool:
        if self.time_axis == "sequence":
            return bool(self.parts)
        return not self.broken and any(c is not None for c in self.calls)


class GradientFlowMonitor:
    """Watches the recurrent layers of ``model`` and, every ``every`` optimizer steps, records
    the gradient norm reaching each time step of their input (see the module docstring).

    ``modules`` adds hand-written cells: module objects, dotted names or module classes. Only
    torch's global hooks are used (a dictionary lookup on unsampled steps; no tensor is kept past
    the backward pass that reads it and no gradient is changed). Use as a context manager or call
    :meth:`detach`; ``run.watch`` detaches when the run ends.
    """

    def __init__(
        self,
        model: nn.Module,
        every: int = 100,
        modules: Iterable[ModuleSpec] | None = None,
        *,
        max_timesteps: int = 64,
        reading: Reading | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(
                f"GradientFlowMonitor: watch() takes an nn.Module, got {type(model).__name__}"
            )
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"GradientFlowMonitor: every must be an integer >= 1, got {every!r}")
        if isinstance(max_timesteps, bool) or not isinstance(max_timesteps, int):
            raise ValueError(
                f"GradientFlowMonitor: max_timesteps must be an integer, got {max_timesteps!r}"
            )
        if max_timesteps < 2:
            raise ValueError(
                f"GradientFlowMonitor: max_timesteps must be >= 2 (first and last step are "
                f"always kept), got {max_timesteps}"
            )
        self.every = every
        self.max_timesteps = max_timesteps
        self.reading = reading or Reading()
        self.optimizer_steps = 0
        self.training_forwards = 0
        self.unmeasured_calls = 0
        self._layers: dict[int, _Layer] = {}
        self._curves: list[WatchedCurve] = []
        for name, module, whole in _watched_modules(model, modules):
            layer = _Layer(name, weakref.ref(module), type(module).__name__, whole)
            self._layers[id(module)] = layer
            self._curves.extend(_curves_of(layer, module))
        self._root_key = id(model)
        self._root_ref = weakref.ref(model)
        root_layer = self._layers.get(id(model))
        self._root_counts = root_layer is None or root_layer.whole_sequence
        self._param_keys = {id(p) for p in model.parameters()}
        self._clock_optimizer: weakref.ReferenceType[torch.optim.Optimizer] | None = None
        self._forward: int | None = None  # index of the current / latest training forward
        self._pending: list[_Window] = []
        self._awaiting: dict[int, _Window] = {}  # split windows between pre- and post-hook
        self._snapshots: list[GradientFlow] = []
        self._provisional: list[tuple[_Window, list[GradientFlow]]] = []
        self._warned: set[str] = set()
        self._attached = True
        self._handles = [
            module_hooks.register_module_forward_pre_hook(_weak(self._pre_forward)),
            module_hooks.register_module_forward_hook(_weak(self._post_forward)),
            optimizer_hooks.register_optimizer_step_post_hook(_weak(self._after_optimizer_step)),
        ]
        # torch's global hook tables hold only weak trampolines: a monitor (or a model) that is
        # dropped without detach() takes its hooks with it instead of slowing every later forward
        weakref.finalize(self, _remove_handles, list(self._handles))
        weakref.finalize(model, _remove_handles, list(self._handles))

    # -- public ----------------------------------------------------------------------------

    @property
    def layers(self) -> list[str]:
        """Dotted names of the watched modules (the root module is named by its class)."""
        return [layer.name for layer in self._layers.values()]

    @property
    def snapshots(self) -> list[GradientFlow]:
        """Every snapshot whose backward pass has run, in the order taken."""
        self._settle(final=False)
        return [*itertools.chain.from_iterable(s for _, s in self._provisional), *self._snapshots]

    @property
    def step_unit(self) -> str:
        """What ``step`` counts: ``optimizer_step``, or ``training_forward`` while (and if) no
        optimizer step has been seen."""
        return "optimizer_step" if self._clock_optimizer is not None else "training_forward"

    def metrics(self) -> dict[str, float]:
        """Latest reading per watched layer (and direction), as MLflow metric values: the ratio
        at the stated distance, the fitted rate per step and the horizon when reached."""
        latest: dict[tuple[str, str], GradientFlow] = {}
        for snapshot in self.snapshots:
            latest[snapshot.layer, snapshot.direction] = snapshot
        out: dict[str, float] = {}
        for (layer, direction), snapshot in latest.items():
            summary = snapshot.summary
            if summary is None:
                continue
            prefix = f"grad_flow/{layer}" + ("" if direction == "forward" else f"/{direction}")
            if summary.ratio is not None:
                out[f"{prefix}/ratio"] = summary.ratio
            if summary.rate_per_step is not None:
                out[f"{prefix}/rate_per_step"] = summary.rate_per_step
            if summary.horizon is not None:
                out[f"{prefix}/horizon"] = float(summary.horizon)
        return out

    def layer_summaries(self) -> list[LayerFlow]:
        """One summary per watched layer and direction: its first and latest reading."""
        return summarize_layers(self.snapshots, self._curves)

    def watch_info(self) -> FlowWatch:
        """How this monitor sampled, for the record."""
        snapshots = self.snapshots
        return FlowWatch(
            every=self.every,
            step_unit=self.step_unit,
            optimizer_steps=self.optimizer_steps,
            training_forwards=self.training_forwards,
            max_timesteps=self.max_timesteps,
            unmeasured_calls=self.unmeasured_calls,
            nonfinite_snapshots=sum(1 for s in snapshots if s.nonfinite_timesteps),
        )

    def detach(self) -> None:
        """Remove every hook and settle the snapshots; backward passes still to come no longer
        record. Idempotent."""
        if not self._attached:
            return
        self._settle(final=True)
        self._attached = False
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._awaiting.clear()
        for layer in self._layers.values():
            layer.window = layer.twin = None
        if not self.snapshots and (self.optimizer_steps or self.training_forwards):
            warnings.warn(
                f"gradient flow: no snapshot recorded over {self.optimizer_steps} optimizer "
                f"step(s) and {self.training_forwards} training forward(s) of the watched model; "
                "were its layers called in train mode with gradients on, outside torch.compile, "
                "with their input passed positionally?",
                RuntimeWarning,
                stacklevel=2,
            )

    def __enter__(self) -> GradientFlowMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()

    # -- the step clock ----------------------------------------------------------------------

    def _clock(self) -> tuple[int, bool]:
        """(current step, provisional): optimizer steps, or the forward index before any."""
        if self._clock_optimizer is not None:
            return self.optimizer_steps, False
        return self._forward or 0, True

    def _after_optimizer_step(self, optimizer: torch.optim.Optimizer, *_: Any) -> None:
        try:
            if self._clock_optimizer is None:
                if not self._holds_model(optimizer):
                    return
                self._close_windows()
                self._settle(final=True)  # what was measured before it is provisional
                self._clock_optimizer = weakref.ref(optimizer)
                self._confirm_provisional()
            elif self._clock_optimizer() is not optimizer:
                return
            else:
                self._close_windows()
                self._settle(final=True)
            self.optimizer_steps += 1
        except Exception as exc:  # a probe bug must never stop training
            self._fail(exc)

    def _holds_model(self, optimizer: torch.optim.Optimizer) -> bool:
        return any(
            id(p) in self._param_keys for group in optimizer.param_groups for p in group["params"]
        )

    def _confirm_provisional(self) -> None:
        """The first optimizer step: everything before it was step 0. Keep each layer's first
        provisional window (LBFGS's later closure calls belong to the same step)."""
        seen: set[int] = set()
        for window, snapshots in self._provisional:
            if id(window.layer) in seen:
                continue
            seen.add(id(window.layer))
            for snapshot in snapshots:
                snapshot.step = 0
            self._snapshots.extend(snapshots)
        self._provisional.clear()
        for layer in self._layers.values():
            layer.sampled_at = 0 if layer.sampled_at is not None else None

    # -- module hooks --------------------------------------------------------------------------

    def _pre_forward(self, module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if torch.compiler.is_compiling():
            return None
        key = id(module)
        layer = self._layers.get(key)
        if layer is None and key != self._root_key:
            return None
        try:
            if (
                key == self._root_key
                and self._root_counts
                and self._root_ref() is module
                and module.training
                and torch.is_grad_enabled()
            ):
                self._forward = self.training_forwards
                self.training_forwards += 1
            if layer is None or layer.ref() is not module:
                return None
            if not (module.training and torch.is_grad_enabled()):
                return None
            return self._layer_call(layer, module, args)
        except Exception as exc:
            self._fail(exc)
            return None

    def _post_forward(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if torch.compiler.is_compiling():
            return None
        key = id(module)
        if key != self._root_key and not self._awaiting:
            return None
        try:
            window = self._awaiting.pop(key, None)
            if window is not None and args and args[0] is window.source[0]:
                self._hook_split(window, module, output)
            if key == self._root_key and self._root_counts and self._root_ref() is module:
                self._close_windows()
        except Exception as exc:
            self._fail(exc)
        return None

    def _layer_call(
        self, layer: _Layer, module: nn.Module, args: tuple[Any, ...]
    ) -> tuple[Any, ...] | None:
        x = args[0] if args else None
        per_call = not layer.whole_sequence or _single_step(module, x)
        window = layer.window
        if per_call and window is not None and window.open:
            return self._tap_call(window, module, args)
        if window is not None:
            window.open = False  # a whole-sequence call ends a run of one-step calls
            layer.window = None
        step, provisional = self._clock()
        if layer.sampled_at == step or step % self.every:
            return None
        if not _taps.needs_grad(module, args):
            return None  # a frozen module on a plain input: leave it alone
        layer.sampled_at = step
        window = _Window(
            layer,
            step,
            self._forward,
            provisional,
            "calls" if per_call else "sequence",
            open=per_call,
        )
        self._pending.append(window)
        if per_call:
            layer.window = window
            return self._tap_call(window, module, args)
        return self._tap_sequence(window, module, args)

    def _tap_call(
        self, window: _Window, module: nn.Module, args: tuple[Any, ...]
    ) -> tuple[Any, ...] | None:
        """One call of a cell: one time step of the window."""
        if window.broken:
            return None
        x = args[0] if args else None
        if not _taps.needs_grad(module, args):
            window.calls.append(None)  # no gradient can reach this step: it reads as zero
            return None
        if not _taps.float_tensor(x) or isinstance(x, PackedSequence):
            window.broken = True
            self._unmeasured(
                window.layer,
                "its input (first positional argument) is not a "
                "floating-point tensor, or it was passed by keyword",
            )
            return None
        index = len(window.calls)
        window.calls.append(None)
        tapped = _taps.tap(x)
        tapped.register_hook(self._call_hook(window, index))
        return (tapped, *args[1:])

    def _tap_sequence(
        self, window: _Window, module: nn.Module, args: tuple[Any, ...]
    ) -> tuple[Any, ...] | None:
        x = args[0] if args else None
        if not _taps.float_tensor(x):
            self._pending.remove(window)
            self._unmeasured(
                window.layer,
                "its input is not a floating-point tensor, or it was passed by keyword",
            )
            return None
        if _taps.can_split(module, x):
            window.source = (x, args[1] if len(args) > 1 else None)
            self._awaiting[id(module)] = window
            return None
        direction: Direction = "both" if getattr(module, "bidirectional", False) else "forward"
        if isinstance(x, PackedSequence):
            tapped = _taps.tap(x.data)
            sizes = x.batch_sizes.tolist()
            tapped.register_hook(
                self._sequence_hook(window, direction, lambda g: _taps.packed_norms(g, sizes))
            )
            return (x._replace(data=tapped), *args[1:])
        if x.dim() not in (2, 3):
            self._pending.remove(window)
            self._unmeasured(window.layer, f"its input has {x.dim()} dimensions")
            return None
        dim = _taps.time_dim(module, x)
        tapped = _taps.tap(x)
        tapped.register_hook(
            self._sequence_hook(window, direction, lambda g: _taps.step_norms(g, dim))
        )
        return (tapped, *args[1:])

    def _hook_split(self, window: _Window, module: nn.Module, output: Any) -> None:
        """After a bidirectional call: read the gradients reaching its outputs, then split."""
        out, state = output
        outputs = [out, *(state if isinstance(state, tuple) else (state,))]
        x, hx = window.source
        window.source = (x.detach(), hx)
        layer = window.layer
        if layer.twin is None:
            layer.twin = _taps.one_direction_twin(module)  # type: ignore[arg-type]
        twin = layer.twin
        dim = _taps.time_dim(module, x)  # type: ignore[arg-type]
        fired = False

        def on_grads(grads: Any) -> None:
            nonlocal fired
            if fired or not self._attached or window.source is None:
                return
            fired = True
            try:
                source, state = window.source
                window.source = None
                with torch.no_grad():
                    cotangents = tuple(None if g is None else g.detach() for g in grads)
                forward, backward = _taps.split_by_direction(
                    module,  # type: ignore[arg-type]
                    twin,
                    source,
                    state,
                    cotangents,
                )
                with torch.no_grad():
                    window.parts["forward"] = _taps.step_norms(forward, dim)
                    window.parts["backward"] = _taps.step_norms(backward, dim)
            except Exception as exc:
                window.parts.clear()
                self._fail(exc)

        torch.autograd.graph.register_multi_grad_hook(
            [t for t in outputs if isinstance(t, torch.Tensor) and t.requires_grad], on_grads
        )

    def _call_hook(self, window: _Window, index: int) -> Any:
        def hook(grad: torch.Tensor) -> None:
            if not self._attached or window.calls[index] is not None:
                return
            window.open = False  # the backward pass has begun: no later call belongs here
            try:
                with torch.no_grad():
                    window.calls[index] = _taps.call_norm(grad)
            except Exception as exc:
                window.broken = True
                self._fail(exc)

        return hook

    def _sequence_hook(self, window: _Window, direction: Direction, norms: Any) -> Any:
        def hook(grad: torch.Tensor) -> None:
            if not self._attached or direction in window.parts:
                return
            try:
                with torch.no_grad():
                    window.parts[direction] = norms(grad)
            except Exception as exc:
                self._fail(exc)

        return hook

    def _close_windows(self) -> None:
        for layer in self._layers.values():
            if layer.window is not None:
                layer.window.open = False
                layer.window = None

    # -- snapshots -----------------------------------------------------------------------------

    def _settle(self, final: bool) -> None:
        """Turn measured windows into snapshots. ``final``: the backward passes are over (an
        optimizer step, or detach), so a window still without gradient never gets one."""
        if not self._pending:
            return
        waiting = []
        for window in self._pending:
            if window.measured and not window.open:
                snapshots = self._snapshots_of(window)
                if window.provisional and self._clock_optimizer is None:
                    self._provisional.append((window, snapshots))
                else:
                    self._snapshots.extend(snapshots)
            elif not final and not window.broken:
                waiting.append(window)
            elif window.open and window.layer.window is window:
                window.layer.window = None
        self._pending = waiting

    def _snapshots_of(self, window: _Window) -> list[GradientFlow]:
        if window.time_axis == "sequence":
            parts = {d: norms.tolist() for d, norms in window.parts.items()}
        else:
            fired = [c for c in window.calls if c is not None]
            values = iter(torch.stack(fired).tolist())
            parts = {"forward": [next(values) if c is not None else 0.0 for c in window.calls]}
        return [self._snapshot(window, direction, norms) for direction, norms in parts.items()]

    def _snapshot(self, window: _Window, direction: Direction, norms: list[float]) -> GradientFlow:
        layer = window.layer
        processed = norms[::-1] if direction == "backward" else norms
        summary = summarize(processed, self.reading)
        keep = subsample(len(norms), self.max_timesteps)
        finite = [i for i in keep if math.isfinite(norms[i])]
        nonfinite = [i for i in keep if not math.isfinite(norms[i])]
        if any(not math.isfinite(v) for v in norms) and "nonfinite" not in self._warned:
            self._warned.add("nonfinite")
            warnings.warn(
                f"gradient flow of {layer.name!r} at step {window.step} overflowed (not finite) "
                "at some time steps; they are recorded as such",
                RuntimeWarning,
                stacklevel=2,
            )
        first, last = norms[0], norms[-1]
        ratio = first / last if math.isfinite(first) and math.isfinite(last) and last > 0 else None
        ratio = ratio if ratio is None or math.isfinite(ratio) else None
        return GradientFlow(
            step=window.step,
            layer=layer.name,
            timesteps=finite,
            grad_norms=[norms[i] for i in finite],
            ratio_first_last=ratio,
            direction=direction,
            module=layer.module_name,
            time_axis=window.time_axis,
            forward=window.forward,
            length=len(norms),
            nonfinite_timesteps=nonfinite,
            summary=summary,
        )

    # -- failures ------------------------------------------------------------------------------

    def _unmeasured(self, layer: _Layer, why: str) -> None:
        self.unmeasured_calls += 1
        if f"unmeasured:{layer.name}" not in self._warned:
            self._warned.add(f"unmeasured:{layer.name}")
            warnings.warn(
                f"gradient flow of {layer.name!r} not measured on a sampled call: {why} "
                "(torch's global hooks see positional arguments only)",
                RuntimeWarning,
                stacklevel=3,
            )

    def _fail(self, exc: Exception) -> None:
        """A probe error: warn once and drop what is pending; training carries on."""
        self._pending.clear()
        self._awaiting.clear()
        if "error" not in self._warned:
            self._warned.add("error")
            warnings.warn(
                f"gradient flow probe failed ({type(exc).__name__}: {exc}); the affected "
                "snapshot is not recorded",
                RuntimeWarning,
                stacklevel=3,
            )


def _single_step(module: nn.Module, x: Any) -> bool:
    """An nn.RNN/LSTM/GRU fed one time step (a decoder loop): read like a cell."""
    if not isinstance(x, torch.Tensor) or x.dim() not in (2, 3):
        return False
    return x.shape[_taps.time_dim(module, x)] == 1  # type: ignore[arg-type]


def _curves_of(layer: _Layer, module: nn.Module) -> list[WatchedCurve]:
    axis: TimeAxis = "sequence" if layer.whole_sequence else "calls"
    if layer.whole_sequence and getattr(module, "bidirectional", False):
        directions: tuple[Direction, ...] = (
            ("forward", "backward")
            if type(module) in _taps.SPLITTABLE and module.num_layers == 1
            else ("both",)
        )
    else:
        directions = ("forward",)
    return [WatchedCurve(layer.name, d, layer.module_name, axis) for d in directions]


def _watched_modules(
    model: nn.Module, modules: Iterable[ModuleSpec] | None
) -> list[tuple[str, nn.Module, bool]]:
    """(dotted name, module, reads whole sequences) for every module to watch, in model order."""
    names = {id(m): n for n, m in model.named_modules()}
    extra: set[int] = set()
    for spec in [] if modules is None else _as_list(modules):
        if isinstance(spec, str):
            try:
                extra.add(id(model.get_submodule(spec)))
            except AttributeError:
                known = ", ".join(n for n in names.values() if n) or "(none)"
                raise ValueError(
                    f"GradientFlowMonitor: modules: {type(model).__name__} has no submodule "
                    f"{spec!r}; its submodules are: {known}"
                ) from None
        elif isinstance(spec, type) and issubclass(spec, nn.Module):
            found = [m for _, m in model.named_modules() if isinstance(m, spec)]
            if not found:
                raise ValueError(
                    f"GradientFlowMonitor: modules: {type(model).__name__} holds no "
                    f"{spec.__name__} module"
                )
            extra.update(id(m) for m in found)
        elif isinstance(spec, nn.Module):
            if id(spec) not in names:
                raise ValueError(
                    f"GradientFlowMonitor: modules: the {type(spec).__name__} given is not a "
                    f"submodule of {type(model).__name__}"
                )
            extra.add(id(spec))
        else:
            raise ValueError(
                "GradientFlowMonitor: modules takes module objects, dotted names or module "
                f"classes, got {type(spec).__name__}"
            )
    watched = []
    for name, module in model.named_modules():
        whole = isinstance(module, nn.RNNBase)
        if whole or isinstance(module, nn.RNNCellBase) or id(module) in extra:
            watched.append((name or type(module).__name__.lower(), module, whole))
    if not watched:
        raise ValueError(
            f"GradientFlowMonitor: {type(model).__name__} holds no nn.RNN, nn.LSTM, nn.GRU, "
            "nn.RNNCell, nn.LSTMCell or nn.GRUCell module to watch; name a hand-written cell "
            "with modules=[...]"
        )
    return watched


def _as_list(modules: Iterable[ModuleSpec] | ModuleSpec) -> list[ModuleSpec]:
    if isinstance(modules, str | nn.Module | type):
        return [modules]  # type: ignore[list-item]
    return list(modules)


def _weak(method: Callable[..., Any]) -> Callable[..., Any]:
    """A hook that calls ``method`` while its monitor lives and does nothing after."""
    ref = weakref.WeakMethod(method)

    def hook(*args: Any, **kwargs: Any) -> Any:
        bound = ref()
        return None if bound is None else bound(*args, **kwargs)

    return hook


def _remove_handles(handles: list[torch.utils.hooks.RemovableHandle]) -> None:
    for handle in handles:
        handle.remove()
