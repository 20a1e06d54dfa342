"""Gradient flow through time (BPTT): how much of the loss gradient reaches each time step.

What is measured. On a sampled training forward of an ``nn.RNN``/``nn.LSTM``/``nn.GRU`` the
module's input sequence is passed on through an identity view whose gradient hook computes, for
each time step t, the mean over the batch of the per-example norm ``||dL/dx_t||_2`` (over
features). ``dL/dx_t`` is the total derivative: it has travelled back through every later step of
the recurrence (and through every stacked layer), so its decay from the last step to the first
is the vanishing-gradient signature, and its growth the exploding one. The gradient of the
module's *output* sequence would not do: it holds only what the loss sends to each step directly
(zero everywhere but the last step when the loss reads the last step), never what flows through
time, and torch's RNN kernels keep the hidden states ``h_t`` themselves out of reach. For a
one-layer module ``dL/dx_t = W_ih^T dL/da_t`` with ``a_t`` the pre-activations, so the curve
follows ``dL/dh_t`` up to one fixed linear map.

Batches: a per-example norm averaged over the batch does not depend on the batch size. A
``PackedSequence`` is measured exactly: the mean at step t runs over the sequences still active
at t. A bidirectional module's input gradient sums both directions' contributions, so its curve
is the total flow into each input step, not one direction's. Unbatched input counts as batch 1.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from repro.record import GradientFlow

GradHook = Callable[[torch.Tensor], None]


def subsample(length: int, max_points: int) -> list[int]:
    """At most ``max_points`` evenly spaced indices of ``range(length)``, first and last kept."""
    if length <= max_points:
        return list(range(length))
    # integer floor keeps the indices strictly increasing (the spacing is at least 1)
    return [i * (length - 1) // (max_points - 1) for i in range(max_points)]


class GradientFlowMonitor:
    """Hooks every recurrent module of ``model`` and, on every ``every``-th training forward,
    records the gradient norm at each time step of its input (see the module docstring).

    Only a forward pre-hook runs on other steps (a counter and a modulo), no tensor is kept past
    the backward pass that reads it, and the gradients themselves are never changed. ``step`` in a
    snapshot counts that module's training forwards (forwards in training mode with gradients on)
    from 0, so snapshots land at 0, every, 2*every, ...; a module called several times per
    optimizer step counts each call.
    """

    def __init__(self, model: nn.Module, every: int = 100, max_timesteps: int = 64) -> None:
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
        self.snapshots: list[GradientFlow] = []
        self.nonfinite_snapshots = 0
        self._latest: dict[str, GradientFlow] = {}
        self._counts: dict[str, int] = {}
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._attached = True
        layers = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.RNNBase)]
        if not layers:
            raise ValueError(
                f"GradientFlowMonitor: {type(model).__name__} holds no nn.RNN, nn.LSTM or nn.GRU "
                "module to watch"
            )
        for name, module in layers:
            layer = name or type(module).__name__.lower()
            self._counts[layer] = 0
            hook = partial(self._pre_forward, layer)
            self._handles.append(module.register_forward_pre_hook(hook, with_kwargs=True))

    @property
    def layers(self) -> list[str]:
        """Dotted names of the watched modules (the root module is named by its class)."""
        return list(self._counts)

    def metrics(self) -> dict[str, float]:
        """Latest summary per watched layer, as MLflow metric values (empty before a snapshot)."""
        out: dict[str, float] = {}
        for layer, snap in self._latest.items():
            prefix = f"grad_flow/{layer}"
            if snap.ratio_first_last is not None:
                out[f"{prefix}/ratio_first_last"] = snap.ratio_first_last
            out[f"{prefix}/norm_first"] = snap.grad_norms[0]
            out[f"{prefix}/norm_last"] = snap.grad_norms[-1]
        return out

    def detach(self) -> None:
        """Remove every hook; backward passes already under way no longer record. Idempotent."""
        self._attached = False
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __enter__(self) -> GradientFlowMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()

    # -- hooks ---------------------------------------------------------------------------------

    def _pre_forward(
        self, layer: str, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        if not (module.training and torch.is_grad_enabled()):
            return None
        step = self._counts[layer]
        self._counts[layer] = step + 1
        if step % self.every:
            return None
        if "input" in kwargs:
            routed = self._route(kwargs["input"], module, layer, step)
            return None if routed is None else (args, {**kwargs, "input": routed})
        if not args:
            return None
        routed = self._route(args[0], module, layer, step)
        return None if routed is None else ((routed, *args[1:]), kwargs)

    def _route(self, x: Any, module: nn.Module, layer: str, step: int) -> Any:
        """``x`` passed through a gradient tap, or None when no float gradient reaches it.

        A frozen module fed an input that needs no gradient is left alone: tapping it would
        make its output need a gradient, which the caller's code may rely on it not doing.
        """
        data = x.data if isinstance(x, PackedSequence) else x
        if not isinstance(data, torch.Tensor) or not data.is_floating_point():
            return None
        if not data.requires_grad and not any(p.requires_grad for p in module.parameters()):
            return None
        if isinstance(x, PackedSequence):
            tap = _tap(x.data)
            tap.register_hook(self._packed_hook(layer, step, x.batch_sizes.tolist()))
            return x._replace(data=tap)
        if x.dim() not in (2, 3):
            return None
        tap = _tap(x)
        batch_dim = None if x.dim() == 2 else (0 if module.batch_first else 1)
        tap.register_hook(self._padded_hook(layer, step, batch_dim))
        return tap

    def _padded_hook(self, layer: str, step: int, batch_dim: int | None) -> GradHook:
        fired = False

        def hook(grad: torch.Tensor) -> None:
            nonlocal fired
            if fired or not self._attached:
                return
            fired = True
            with torch.no_grad():
                per_example = _row_norms(grad)
                per_step = per_example if batch_dim is None else per_example.mean(dim=batch_dim)
                self._record(layer, step, per_step.tolist())

        return hook

    def _packed_hook(self, layer: str, step: int, batch_sizes: list[int]) -> GradHook:
        fired = False

        def hook(grad: torch.Tensor) -> None:
            nonlocal fired
            if fired or not self._attached:
                return
            fired = True
            with torch.no_grad():
                rows = _row_norms(grad)  # packed rows are time-major: batch_sizes[t] rows per t
                sizes = torch.tensor(batch_sizes, device=rows.device)
                time_of_row = torch.repeat_interleave(
                    torch.arange(len(batch_sizes), device=rows.device), sizes
                )
                sums = torch.zeros(len(batch_sizes), dtype=rows.dtype, device=rows.device)
                sums.index_add_(0, time_of_row, rows)
                self._record(layer, step, (sums / sizes.to(rows.dtype)).tolist())

        return hook

    def _record(self, layer: str, step: int, norms: list[float]) -> None:
        if not all(math.isfinite(v) for v in norms):
            self.nonfinite_snapshots += 1
            if self.nonfinite_snapshots == 1:
                warnings.warn(
                    f"gradient flow of {layer!r} at step {step} is not finite (the gradients "
                    "overflowed); such snapshots are not recorded",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return
        keep = subsample(len(norms), self.max_timesteps)
        last = norms[-1]
        snapshot = GradientFlow(
            step=step,
            layer=layer,
            timesteps=keep,
            grad_norms=[norms[i] for i in keep],
            ratio_first_last=norms[0] / last if last > 0 else None,
        )
        self.snapshots.append(snapshot)
        self._latest[layer] = snapshot


def _tap(x: torch.Tensor) -> torch.Tensor:
    """An identity node whose gradient is exactly the gradient flowing into the module's input.

    A view of ``x`` when ``x`` already needs a gradient (the gradient passes through unchanged);
    otherwise a detached leaf that needs one, which adds the input-gradient product to this one
    backward pass and changes no parameter gradient.
    """
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


def _row_norms(grad: torch.Tensor) -> torch.Tensor:
    """L2 norm over the last (feature) dimension, computed in at least float32."""
    dtype = torch.float64 if grad.dtype == torch.float64 else torch.float32
    return torch.linalg.vector_norm(grad.detach(), dim=-1, dtype=dtype)
