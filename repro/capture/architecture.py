"""Read a model's structure from its ``nn.Module`` tree into an :class:`Architecture`.

Capture reads the modules' own attributes, never runs a forward pass, and records every model
shape truthfully rather than refusing one. The rules, in brief:

- Recurrent layers, in registration order: every ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (any
  ``nn.RNNBase``, ``kind: layer``) and every ``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell``
  (``kind: cell``, no ``batch_first``, which does not apply to cells). ``nn.RNN`` is
  ``rnn_tanh`` or ``rnn_relu`` by its nonlinearity.
- Hand-written cells are ``cell: custom``, never a built-in type: name them in ``cells``, by
  module path, class name or class, with a description (``{"cell": "minimal gated unit (Zhou et
  al. 2016)"}``) or a mapping of ``description``, ``kind``, ``input_size``, ``hidden_size``
  (sizes are otherwise read from the module's ``input_size``/``hidden_size`` attributes).
  A user-defined module that looks like a cell but is not named leaves a warning.
- Other significant modules (``modules``): Transformer stacks and layers, attention,
  convolutions and linear layers, each summarised once (its parts are not listed again).
- Embeddings: every ``nn.Embedding`` and ``nn.EmbeddingBag``.
- Output head: the ``head`` you name; otherwise the last ``nn.Linear`` registered after the
  last recurrent layer; otherwise the last ``nn.Linear`` whose input width equals a recurrent
  layer's output width; with no recurrent layer, the last ``nn.Linear``; otherwise none.
- Tied weights: parameter names bound to one ``Parameter`` object.
- Counts: ``total_parameters`` is ``sum(p.numel() for p in model.parameters())`` (each shared
  tensor once), ``trainable_parameters`` the same over those with ``requires_grad``. A lazy
  module not yet initialised leaves the counts absent, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from repro.errors import InvalidInputError
from repro.record import (
    Architecture,
    Embedding,
    ModuleSummary,
    OutputHead,
    RecordWarning,
    RecurrentLayer,
    TiedWeights,
)
from repro.record.errors import describe_errors

if TYPE_CHECKING:
    from torch import nn

log = logging.getLogger(__name__)

_CELL_OF_MODE = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}
_CELL_SPEC_KEYS = frozenset({"description", "kind", "input_size", "hidden_size"})
# A module (torch's or yours) given as a key of ``cells``: a dotted path, a class name, a class.
CellKey = str | type
CellSpec = str | Mapping[str, Any] | None


def unwrap_model(model: nn.Module) -> nn.Module:
    """The user's own module inside ``torch.compile`` (``_orig_mod``) and ``DataParallel`` /
    ``DistributedDataParallel`` (``.module``) wrappers, however deeply nested."""
    from torch import nn

    seen: set[int] = set()
    while id(model) not in seen:
        seen.add(id(model))
        inner = getattr(model, "_orig_mod", None)
        if isinstance(inner, nn.Module):
            model = inner
            continue
        if isinstance(model, nn.DataParallel | nn.parallel.DistributedDataParallel):
            model = model.module
    return model


def qualified_name(obj: object) -> str:
    """``module.QualName`` of an object's class (``builtins`` left out)."""
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in (None, "builtins") else f"{module}.{cls.__qualname__}"


def parameter_count(module: nn.Module, *, trainable_only: bool = False) -> int | None:
    """Unique parameters of ``module`` (tied counted once); None while a lazy one is unset."""
    from torch.nn.parameter import UninitializedParameter

    total = 0
    for param in module.parameters():
        if isinstance(param, UninitializedParameter):
            return None
        if param.requires_grad or not trainable_only:
            total += param.numel()
    return total


def _is_torch_class(module: nn.Module) -> bool:
    return type(module).__module__.split(".")[0] == "torch"


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


# -- recurrent layers ---------------------------------------------------------------------------


def _built_in_layer(name: str, module: nn.Module, description: str | None) -> RecurrentLayer:
    from torch import nn

    common = {
        "name": name,
        "module_class": qualified_name(module),
        "description": description,
        "input_size": module.input_size,
        "hidden_size": module.hidden_size,
        "bias": bool(module.bias),
        "parameters": parameter_count(module),
    }
    if isinstance(module, nn.RNNBase):
        return RecurrentLayer(
            cell=_CELL_OF_MODE[module.mode],
            kind="layer",
            num_layers=module.num_layers,
            bidirectional=module.bidirectional,
            proj_size=module.proj_size,
            dropout=float(module.dropout),
            batch_first=module.batch_first,
            **common,
        )
    if isinstance(module, nn.LSTMCell):
        cell = "lstm"
    elif isinstance(module, nn.GRUCell):
        cell = "gru"
    else:
        cell = "rnn_relu" if module.nonlinearity == "relu" else "rnn_tanh"
    return RecurrentLayer(cell=cell, kind="cell", **common)


def _custom_layer(name: str, module: nn.Module, spec: CellSpec) -> RecurrentLayer:
    given: dict[str, Any] = {}
    if isinstance(spec, str):
        given["description"] = spec
    elif isinstance(spec, Mapping):
        unknown = sorted(set(spec) - _CELL_SPEC_KEYS)
        if unknown:
            raise InvalidInputError(
                f"cells[{name!r}]: unknown key(s) {', '.join(map(repr, unknown))}; a cell is "
                f"described by {', '.join(sorted(_CELL_SPEC_KEYS))}"
            )
        given.update(spec)
    fields = {
        "name": name,
        "cell": "custom",
        "kind": "cell",
        "module_class": qualified_name(module),
        "input_size": _positive_int(getattr(module, "input_size", None)),
        "hidden_size": _positive_int(getattr(module, "hidden_size", None)),
        "parameters": parameter_count(module),
        **given,
    }
    try:
        return RecurrentLayer(**fields)
    except ValidationError as exc:
        raise InvalidInputError(
            f"cells[{name!r}] does not fit the record:", describe_errors(exc, "cells")
        ) from None


def _spec_for(
    path: str, module: nn.Module, cells: Mapping[CellKey, CellSpec]
) -> tuple[bool, CellSpec, CellKey | None]:
    """Whether ``cells`` names this module, with its spec and the key that matched."""
    cls = type(module)
    for key, spec in cells.items():
        if isinstance(key, type):
            if isinstance(module, key):
                return True, spec, key
        elif key in (path, cls.__name__, cls.__qualname__, qualified_name(module)):
            return True, spec, key
    return False, None, None


def _looks_like_cell(module: nn.Module) -> bool:
    """A user-defined module holding its own parameters with a ``hidden_size``: probably a
    hand-written recurrent cell (only used to suggest naming it, never to record one)."""
    from torch import nn

    if _is_torch_class(module) or _positive_int(getattr(module, "hidden_size", None)) is None:
        return False
    if any(isinstance(m, nn.RNNBase | nn.RNNCellBase) for m in module.modules()):
        return False
    return any(True for _ in module.parameters(recurse=True))


# -- other significant modules -------------------------------------------------------------------


def _activation_name(layer: Any) -> str | None:
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    return getattr(activation, "__name__", None) or type(activation).__name__.lower()


def _layer_settings(layer: nn.Module) -> dict[str, Any]:
    """d_model, heads, feed-forward width, dropout... of a Transformer encoder/decoder layer."""
    attention = layer.self_attn
    return {
        "d_model": attention.embed_dim,
        "nhead": attention.num_heads,
        "dim_feedforward": layer.linear1.out_features,
        "dropout": float(layer.dropout.p),
        "activation": _activation_name(layer),
        "norm_first": bool(layer.norm_first),
        "batch_first": bool(attention.batch_first),
        "layer_norm_eps": float(layer.norm1.eps),
    }


def _summary(module: nn.Module) -> dict[str, Any] | None:
    """Settings of a significant module, or None when it is not one."""
    from torch import nn
    from torch.nn.modules.conv import _ConvNd

    if isinstance(module, nn.Transformer):
        encoder, decoder = module.encoder, module.decoder
        return {
            **_layer_settings(encoder.layers[0]),
            "num_encoder_layers": len(encoder.layers),
            "num_decoder_layers": len(decoder.layers),
        }
    if isinstance(module, nn.TransformerEncoder | nn.TransformerDecoder):
        return {"num_layers": len(module.layers), **_layer_settings(module.layers[0])}
    if isinstance(module, nn.TransformerEncoderLayer | nn.TransformerDecoderLayer):
        return _layer_settings(module)
    if isinstance(module, nn.MultiheadAttention):
        return {
            "embed_dim": module.embed_dim,
            "num_heads": module.num_heads,
            "dropout": float(module.dropout),
            "bias": module.in_proj_bias is not None,
            "add_bias_kv": module.bias_k is not None,
            "kdim": module.kdim,
            "vdim": module.vdim,
            "batch_first": bool(module.batch_first),
        }
    if isinstance(module, _ConvNd):
        return {
            "in_channels": module.in_channels,
            "out_channels": module.out_channels,
            "kernel_size": list(module.kernel_size),
            "stride": list(module.stride),
            "padding": module.padding if isinstance(module.padding, str) else list(module.padding),
            "dilation": list(module.dilation),
            "groups": module.groups,
            "bias": module.bias is not None,
            "padding_mode": module.padding_mode,
        }
    if isinstance(module, nn.Linear):
        return {
            "in_features": module.in_features,
            "out_features": module.out_features,
            "bias": module.bias is not None,
        }
    if isinstance(module, nn.Bilinear):
        return {
            "in1_features": module.in1_features,
            "in2_features": module.in2_features,
            "out_features": module.out_features,
            "bias": module.bias is not None,
        }
    return None


# -- the walk -----------------------------------------------------------------------------------


@dataclass
class CapturedArchitecture:
    """An architecture with the doubts met while reading it."""

    architecture: Architecture
    warnings: list[RecordWarning] = field(default_factory=list)


def _inside(path: str, prefixes: Iterable[str]) -> bool:
    return any(path.startswith(prefix + ".") or prefix == "" for prefix in prefixes)


def _find_head(
    model: nn.Module,
    layers: list[RecurrentLayer],
    linears: list[tuple[str, nn.Module]],
    head: str | None,
) -> OutputHead | None:
    from torch import nn

    modules = list(model.named_modules())
    chosen: tuple[str, nn.Module] | None
    if head is not None:
        found = dict(modules).get(head)
        if not isinstance(found, nn.Linear):
            raise InvalidInputError(
                f"capture_architecture: head={head!r} names no nn.Linear inside "
                f"{qualified_name(model)} (found {qualified_name(found) if found else 'nothing'})."
            )
        chosen = (head, found)
    elif not layers:
        chosen = linears[-1] if linears else None
    else:
        names = {layer.name for layer in layers}
        last = max(i for i, (name, _) in enumerate(modules) if name in names)
        later = {name for name, _ in modules[last + 1 :]}
        after = [(n, m) for n, m in linears if n in later]
        widths = {layer.output_size for layer in layers}
        matching = [(n, m) for n, m in linears if m.in_features in widths]
        chosen = (after or matching or [None])[-1]
    if chosen is None:
        return None
    name, linear = chosen
    try:
        return OutputHead(
            name=name,
            kind=type(linear).__name__,
            in_features=linear.in_features,
            out_features=linear.out_features,
            bias=linear.bias is not None,
            parameters=parameter_count(linear),
        )
    except ValidationError:  # a lazy Linear before its first forward: widths unknown
        return None


def _tied(model: nn.Module) -> list[TiedWeights]:
    groups: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        groups.setdefault(id(param), []).append(name)
    return [TiedWeights(parameters=names) for names in groups.values() if len(names) > 1]


def describe_architecture(
    model: nn.Module,
    *,
    head: str | None = None,
    cells: Mapping[CellKey, CellSpec] | None = None,
) -> CapturedArchitecture:
    """The architecture of any ``nn.Module`` and the warnings met (see the module docstring).

    Raises :class:`InvalidInputError` only for what the caller got wrong: an object that is
    not a module, a ``head`` that is not an ``nn.Linear``, a ``cells`` key that names nothing.
    """
    from torch import nn

    if not isinstance(model, nn.Module):
        raise InvalidInputError(
            f"capture_architecture: expected a torch.nn.Module, got {qualified_name(model)}."
        )
    model = unwrap_model(model)
    cells = dict(cells or {})
    used: set[Any] = set()
    warnings: list[RecordWarning] = []
    layers: list[RecurrentLayer] = []
    summaries: list[ModuleSummary] = []
    embeddings: list[Embedding] = []
    linears: list[tuple[str, nn.Module]] = []
    summarised: list[str] = []  # paths whose parts are not listed again
    lookalikes: list[str] = []
    for path, module in model.named_modules():
        named, spec, key = _spec_for(path, module, cells)
        if named:
            used.add(key)
        inside = _inside(path, summarised)
        if isinstance(module, nn.RNNBase | nn.RNNCellBase):
            description = spec if isinstance(spec, str) else None
            if isinstance(spec, Mapping):
                description = spec.get("description")
            layers.append(_built_in_layer(path, module, description))
            summarised.append(path)
        elif named:
            layers.append(_custom_layer(path, module, spec))
            summarised.append(path)
        elif isinstance(module, nn.Embedding | nn.EmbeddingBag):
            if not inside:
                embeddings.append(
                    Embedding(
                        name=path,
                        num_embeddings=module.num_embeddings,
                        embedding_dim=module.embedding_dim,
                        padding_idx=getattr(module, "padding_idx", None),
                        parameters=parameter_count(module),
                    )
                )
        elif not inside:
            try:
                settings = _summary(module)
            except Exception as exc:  # an odd subclass: listed, its settings not read
                settings = {}
                warnings.append(
                    RecordWarning(
                        path="architecture.modules",
                        message=f"settings of {path!r} ({type(module).__name__}) not read: {exc}",
                    )
                )
            if settings is not None:
                summaries.append(
                    ModuleSummary(
                        name=path,
                        kind=type(module).__name__,
                        settings=settings,
                        parameters=parameter_count(module),
                    )
                )
                summarised.append(path)
                if isinstance(module, nn.Linear):
                    linears.append((path, module))
            elif _looks_like_cell(module) and not _inside(path, lookalikes):
                lookalikes.append(path)
    unused = [key for key in cells if key not in used]
    if unused:
        shown = ", ".join(k.__qualname__ if isinstance(k, type) else repr(k) for k in unused)
        raise InvalidInputError(
            f"cells: {shown} names no module of {qualified_name(model)}; give a module path "
            "(as in model.named_modules()), a class name or a class"
        )
    if lookalikes:
        names = ", ".join(repr(p) for p in lookalikes)
        warnings.append(
            RecordWarning(
                path="architecture.recurrent_layers",
                message=f"{names} of {qualified_name(model)} may be a hand-written recurrent "
                "cell; it is not recorded as one unless named: "
                f"track(..., cells={{{lookalikes[0]!r}: 'what it computes'}})",
            )
        )
    total = parameter_count(model)
    if total is None:
        warnings.append(
            RecordWarning(
                path="architecture.total_parameters",
                message="a lazy module is not initialised yet; parameter counts are recorded "
                "once a forward pass has run (at the end of a tracked run)",
            )
        )
    try:
        architecture = Architecture(
            model_class=qualified_name(model),
            recurrent_layers=layers,
            modules=summaries,
            embeddings=embeddings,
            output_head=_find_head(model, layers, linears, head),
            tied_weights=_tied(model),
            total_parameters=total,
            trainable_parameters=parameter_count(model, trainable_only=True),
        )
    except ValidationError as exc:  # pragma: no cover - every value above is read from torch
        raise InvalidInputError(
            f"capture_architecture: {qualified_name(model)} does not fit the record:",
            describe_errors(exc, "architecture"),
        ) from None
    return CapturedArchitecture(architecture, warnings)


def capture_architecture(
    model: nn.Module,
    *,
    head: str | None = None,
    cells: Mapping[CellKey, CellSpec] | None = None,
) -> Architecture:
    """The architecture of any ``nn.Module``: recurrent layers and cells, hand-written cells
    named in ``cells``, other significant modules, embeddings, head, tying and counts (see the
    module docstring). Warnings (an unnamed look-alike cell, lazy parameters) are logged."""
    captured = describe_architecture(model, head=head, cells=cells)
    for warning in captured.warnings:
        log.warning("repro: %s", warning.message)
    return captured.architecture
