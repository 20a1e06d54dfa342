"""Dropout as the model really applies it: its dropout modules, and where each one sat in a
traced training forward pass (after the embedding, between recurrent layers, on the output).

The module tree says which dropout modules exist, not where the forward pass uses them (one
``nn.Dropout`` is often applied twice, to the embedding and to the RNN output), so placement
comes from the order of module calls that :class:`repro.capture.observer.Observer` traced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from repro.capture.observer import Event
from repro.record import Architecture, Dropout, DropoutModule, DropoutPosition

if TYPE_CHECKING:
    from torch import nn


def _inside(name: str, prefixes: Iterable[str]) -> bool:
    return any(name.startswith(prefix + ".") for prefix in prefixes)


def dropout_modules(model: nn.Module, architecture: Architecture) -> list[tuple[str, nn.Module]]:
    """The model's dropout modules, less those inside a summarised Transformer or attention
    module (their rate is in that module's settings)."""
    from torch.nn.modules.dropout import _DropoutNd

    from repro.capture.architecture import unwrap_model

    composites = [m.name for m in architecture.modules]
    return [
        (name, module)
        for name, module in unwrap_model(model).named_modules()
        if isinstance(module, _DropoutNd) and name and not _inside(name, composites)
    ]


def place_dropout(
    trace: Sequence[Event], dropouts: Iterable[str], recurrent: Iterable[str]
) -> dict[str, list[DropoutPosition]]:
    """Every distinct place each dropout module was applied in ``trace`` (see
    :class:`DropoutPosition` for the placements)."""
    dropouts, recurrent = set(dropouts), set(recurrent)
    starts = [i for i, e in enumerate(trace) if e.start and e.name in recurrent]
    ends = [i for i, e in enumerate(trace) if not e.start and e.name in recurrent]
    first_start = starts[0] if starts else None
    last_end = ends[-1] if ends else None
    found: dict[str, dict[tuple[str, str | None, str | None], None]] = {}
    open_recurrent = 0
    last_done: str | None = None
    for i, event in enumerate(trace):
        if event.name not in dropouts:
            if event.name in recurrent:
                open_recurrent += 1 if event.start else -1
            if not event.start:
                last_done = event.name
            continue
        if not event.start:
            continue
        following = (e.name for e in trace[i + 1 :] if e.start and e.name not in dropouts)
        before = next(following, None)
        if open_recurrent > 0:
            placement = "inside_recurrent"
        elif first_start is None or last_end is None:
            placement = "other"
        elif i < first_start:
            placement = "input"
        elif i > last_end:
            placement = "output"
        else:
            placement = "between_layers"
        found.setdefault(event.name, {})[(placement, last_done, before)] = None
    return {
        name: [DropoutPosition(placement=p, after=a, before=b) for p, a, b in places]
        for name, places in found.items()
    }


def _agreed(rates: list[float]) -> float | None:
    return rates[0] if rates and all(r == rates[0] for r in rates) else None


def capture_dropout(
    model: nn.Module, architecture: Architecture, trace: Sequence[Event] | None = None
) -> Dropout:
    """The model's dropout: each module with its rate and, from ``trace`` (a traced training
    forward pass), where it was applied; ``input``, ``between_layers`` and ``output`` are set
    where every module at that place (and torch's own inter-layer dropout) agrees on a rate."""
    found = dropout_modules(model, architecture)
    recurrent = [layer.name for layer in architecture.recurrent_layers]
    positions = place_dropout(trace, [n for n, _ in found], recurrent) if trace else {}
    modules = [
        DropoutModule(
            name=name,
            kind=type(module).__name__,
            p=float(module.p),
            positions=positions.get(name, []),
        )
        for name, module in found
    ]
    at: dict[str, list[float]] = {"input": [], "between_layers": [], "output": []}
    for module in modules:
        for position in module.positions:
            if position.placement in at:
                at[position.placement].append(module.p)
    stacked = [
        layer.dropout
        for layer in architecture.recurrent_layers
        if layer.num_layers > 1 and layer.kind == "layer"
    ]
    return Dropout(
        input=_agreed(at["input"]),
        between_layers=_agreed(at["between_layers"] + stacked),
        output=_agreed(at["output"]),
        modules=modules,
    )
