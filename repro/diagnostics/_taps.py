"""Tensor-level pieces of the gradient-flow probe: gradient taps, per-step norms, and the split
of a bidirectional layer's input gradient by direction.

Nothing here keeps a reference to a module: the monitor passes what each function needs.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn
from torch.func import functional_call
from torch.nn.utils.rnn import PackedSequence

SPLITTABLE = (nn.LSTM, nn.GRU, nn.RNN)  # exactly these classes: a subclass may compute otherwise


def tap(x: torch.Tensor) -> torch.Tensor:
    """An identity node whose gradient is exactly the gradient flowing into the module's input.

    A view of ``x`` when ``x`` already needs a gradient (the gradient passes through unchanged);
    otherwise a detached leaf that needs one, which adds the input-gradient product to this one
    backward pass and changes no parameter gradient.
    """
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


def needs_grad(module: nn.Module, args: tuple[Any, ...]) -> bool:
    """Whether a gradient can reach this call at all: some positional tensor input or some
    parameter of the module needs one. When none does, tapping would make the output need a
    gradient, which the caller's code may rely on it not doing."""
    for arg in args:
        for value in arg if isinstance(arg, tuple | list) else (arg,):
            data = value.data if isinstance(value, PackedSequence) else value
            if isinstance(data, torch.Tensor) and data.requires_grad:
                return True
    return any(p.requires_grad for p in module.parameters())


def float_tensor(x: Any) -> bool:
    data = x.data if isinstance(x, PackedSequence) else x
    return isinstance(data, torch.Tensor) and data.is_floating_point()


def _row_norms(grad: torch.Tensor) -> torch.Tensor:
    """L2 norm over the last (feature) dimension in float64 (float32 where the device has no
    float64), so the norm of a finite gradient never overflows."""
    dtype = torch.float32 if grad.device.type == "mps" else torch.float64
    return torch.linalg.vector_norm(grad.detach(), dim=-1, dtype=dtype)


def step_norms(grad: torch.Tensor, time_dim: int) -> torch.Tensor:
    """Per time step, the mean over the batch of the per-example norm: shape (T,)."""
    rows = _row_norms(grad)  # drops the feature dimension
    if rows.dim() == 1:  # unbatched (T, F)
        return rows
    return rows.mean(dim=1 - time_dim)


def packed_norms(grad: torch.Tensor, batch_sizes: list[int]) -> torch.Tensor:
    """Per time step of a packed sequence, the mean over the sequences still active at it."""
    rows = _row_norms(grad)  # packed rows are time-major: batch_sizes[t] rows per step t
    sizes = torch.tensor(batch_sizes, device=rows.device)
    time_of_row = torch.repeat_interleave(torch.arange(len(batch_sizes), device=rows.device), sizes)
    sums = torch.zeros(len(batch_sizes), dtype=rows.dtype, device=rows.device)
    sums.index_add_(0, time_of_row, rows)
    return sums / sizes.to(rows.dtype)


def call_norm(grad: torch.Tensor) -> torch.Tensor:
    """One call's input gradient (batch, features) or (features,): a 0-d mean norm."""
    return _row_norms(grad).mean()


def time_dim(module: nn.RNNBase, x: torch.Tensor) -> int:
    """The time dimension of an nn.RNN/LSTM/GRU input (unbatched inputs are time-first)."""
    return 1 if x.dim() == 3 and module.batch_first else 0


def can_split(module: nn.Module, x: Any) -> bool:
    """A bidirectional layer whose input gradient this probe can split by direction: one layer
    of torch's own class, fed a padded (not packed) tensor."""
    return (
        type(module) in SPLITTABLE
        and module.bidirectional
        and module.num_layers == 1
        and isinstance(x, torch.Tensor)
        and x.dim() in (2, 3)
    )


def one_direction_twin(module: nn.RNNBase) -> nn.RNNBase:
    """A unidirectional, one-layer module of the same kind on the meta device (no memory):
    ``functional_call`` runs it with either direction's weights."""
    kwargs: dict[str, Any] = {}
    if isinstance(module, nn.LSTM):
        kwargs["proj_size"] = module.proj_size
    if type(module) is nn.RNN:
        kwargs["nonlinearity"] = module.nonlinearity
    return type(module)(
        module.input_size,
        module.hidden_size,
        num_layers=1,
        bias=module.bias,
        batch_first=module.batch_first,
        bidirectional=False,
        device="meta",
        dtype=module.weight_ih_l0.dtype,
        **kwargs,
    )


def split_by_direction(
    module: nn.RNNBase,
    twin: nn.RNNBase,
    x: torch.Tensor,
    hx: Any,
    cotangents: tuple[torch.Tensor | None, ...],
) -> tuple[torch.Tensor, torch.Tensor]:
    """The input gradient's share through each direction: (forward, backward), each shaped like
    ``x``.

    ``cotangents`` are the gradients reaching the layer's outputs (output, h_n[, c_n]) in this
    backward pass. Each direction is recomputed alone on detached copies of the input and the
    weights and differentiated against its slice of them, so no gradient of the training graph
    changes; the two shares sum to the input gradient.
    """
    out_grad, *state_grads = cotangents
    dim = time_dim(module, x)
    width = None if out_grad is None else out_grad.shape[-1] // 2
    shares = []
    for direction, suffix in enumerate(("", "_reverse")):
        names = [name for name, _ in twin.named_parameters()]
        params = {name: getattr(module, name + suffix).detach() for name in names}
        source = x.detach()
        if direction:
            source = source.flip(dim)
        source.requires_grad_(True)
        state = _direction_state(hx, direction)
        with torch.enable_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. cuDNN's "weights not in one contiguous chunk"
            args = (source,) if state is None else (source, state)
            output, final = functional_call(twin, params, args)
        outputs: list[torch.Tensor] = []
        grads: list[torch.Tensor] = []
        if out_grad is not None and width is not None:
            piece = out_grad[..., direction * width : (direction + 1) * width]
            outputs.append(output)
            grads.append(piece.flip(dim) if direction else piece)
        finals = final if isinstance(final, tuple) else (final,)
        for tensor, grad in zip(finals, state_grads, strict=False):
            if grad is not None:
                outputs.append(tensor)
                grads.append(grad[direction : direction + 1])
        if not outputs:
            shares.append(torch.zeros_like(x))
            continue
        with torch.enable_grad():
            (share,) = torch.autograd.grad(outputs, [source], grads, allow_unused=True)
        share = torch.zeros_like(x) if share is None else share
        shares.append(share.flip(dim) if direction else share)
    return shares[0], shares[1]


def _direction_state(hx: Any, direction: int) -> Any:
    """One direction's slice of a bidirectional layer's initial state (None stays None)."""
    if hx is None:
        return None
    if isinstance(hx, tuple):
        return tuple(h.detach()[direction : direction + 1] for h in hx)
    return hx.detach()[direction : direction + 1]
