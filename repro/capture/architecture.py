"""Read a model's recurrent structure from its ``nn.Module`` tree into an :class:`Architecture`.

What is captured comes from the modules' own attributes, never from a forward pass, so capture
works before training and on any device. The rules, in brief:

- Recurrent layers: every ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (any ``nn.RNNBase``), and also the
  step-wise ``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell`` (recorded as one layer each), in
  registration order. ``nn.RNN`` is ``rnn_tanh`` or ``rnn_relu`` by its nonlinearity.
- Embeddings: every ``nn.Embedding`` and ``nn.EmbeddingBag``.
- Output head: the ``head`` you name; otherwise the last ``nn.Linear`` registered after the
  last recurrent layer; otherwise the last ``nn.Linear`` whose input width equals a recurrent
  layer's output width; otherwise none.
- Tied weights: parameter names bound to one ``Parameter`` object, found with
  ``named_parameters(remove_duplicate=False)``.
- Counts: ``total_parameters`` is ``sum(p.numel() for p in model.parameters())`` (each shared
  tensor once); a layer's ``parameters`` counts that module's own unique parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from repro.errors import InvalidInputError
from repro.record import Architecture, Embedding, OutputHead, RecurrentLayer, TiedWeights
from repro.record.errors import describe_errors

if TYPE_CHECKING:
    from torch import nn

_CELL_OF_MODE = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}


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


def _count(module: nn.Module, *, trainable_only: bool = False) -> int:
    from torch.nn.parameter import UninitializedParameter

    total = 0
    for name, param in module.named_parameters():
        if isinstance(param, UninitializedParameter):
            raise InvalidInputError(
                f"capture_architecture: parameter {name!r} of {qualified_name(module)} is not "
                "initialised yet (a lazy module); run one forward pass before capturing."
            )
        if param.requires_grad or not trainable_only:
            total += param.numel()
    return total


def _recurrent_layer(name: str, module: nn.Module) -> RecurrentLayer:
    from torch import nn

    if isinstance(module, nn.RNNBase):
        return RecurrentLayer(
            name=name,
            cell=_CELL_OF_MODE[module.mode],
            input_size=module.input_size,
            hidden_size=module.hidden_size,
            num_layers=module.num_layers,
            bidirectional=module.bidirectional,
            proj_size=module.proj_size,
            dropout=float(module.dropout),
            bias=module.bias,
            batch_first=module.batch_first,
            parameters=_count(module),
        )
    if isinstance(module, nn.LSTMCell):
        cell = "lstm"
    elif isinstance(module, nn.GRUCell):
        cell = "gru"
    else:
        cell = "rnn_relu" if module.nonlinearity == "relu" else "rnn_tanh"
    return RecurrentLayer(
        name=name,
        cell=cell,
        input_size=module.input_size,
        hidden_size=module.hidden_size,
        bias=module.bias,
        parameters=_count(module),
    )


def _find_head(
    model: nn.Module, layers: list[RecurrentLayer], head: str | None
) -> OutputHead | None:
    from torch import nn

    modules = list(model.named_modules())
    chosen: tuple[str, nn.Module] | None = None
    if head is not None:
        found = dict(modules).get(head)
        if not isinstance(found, nn.Linear):
            raise InvalidInputError(
                f"capture_architecture: head={head!r} names no nn.Linear inside "
                f"{qualified_name(model)} (found {qualified_name(found) if found else 'nothing'})."
            )
        chosen = (head, found)
    else:
        last_recurrent = max(
            i for i, (_, m) in enumerate(modules) if isinstance(m, nn.RNNBase | nn.RNNCellBase)
        )
        after = [(n, m) for n, m in modules[last_recurrent + 1 :] if isinstance(m, nn.Linear)]
        widths = {layer.output_size for layer in layers}
        matching = [
            (n, m) for n, m in modules if isinstance(m, nn.Linear) and m.in_features in widths
        ]
        chosen = (after or matching or [None])[-1]
    if chosen is None:
        return None
    name, linear = chosen
    return OutputHead(
        name=name,
        kind=type(linear).__name__,
        in_features=linear.in_features,
        out_features=linear.out_features,
        bias=linear.bias is not None,
        parameters=_count(linear),
    )


def _tied(model: nn.Module) -> list[TiedWeights]:
    groups: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        groups.setdefault(id(param), []).append(name)
    return [TiedWeights(parameters=names) for names in groups.values() if len(names) > 1]


def capture_architecture(model: nn.Module, *, head: str | None = None) -> Architecture:
    """The architecture of any ``nn.Module`` holding at least one recurrent layer.

    ``head`` names the output module (dotted path) when the default rule (module docstring)
    would pick the wrong one. Raises :class:`InvalidInputError` for a model with no recurrent
    layer, an uninitialised lazy parameter, or a ``head`` that is not an ``nn.Linear``.
    """
    from torch import nn

    if not isinstance(model, nn.Module):
        raise InvalidInputError(
            f"capture_architecture: expected a torch.nn.Module, got {qualified_name(model)}."
        )
    model = unwrap_model(model)
    try:
        layers = [
            _recurrent_layer(name, module)
            for name, module in model.named_modules()
            if isinstance(module, nn.RNNBase | nn.RNNCellBase)
        ]
        if not layers:
            raise InvalidInputError(
                f"capture_architecture: {qualified_name(model)} holds no recurrent layer "
                "(nn.RNN, nn.LSTM, nn.GRU or their cells); repro records recurrent networks."
            )
        embeddings = [
            Embedding(
                name=name,
                num_embeddings=module.num_embeddings,
                embedding_dim=module.embedding_dim,
                padding_idx=module.padding_idx,
                parameters=_count(module),
            )
            for name, module in model.named_modules()
            if isinstance(module, nn.Embedding | nn.EmbeddingBag)
        ]
        return Architecture(
            model_class=qualified_name(model),
            recurrent_layers=layers,
            embeddings=embeddings,
            output_head=_find_head(model, layers, head),
            tied_weights=_tied(model),
            total_parameters=_count(model),
            trainable_parameters=_count(model, trainable_only=True),
        )
    except ValidationError as exc:
        raise InvalidInputError(
            f"capture_architecture: {qualified_name(model)} does not fit the record:",
            describe_errors(exc, "architecture"),
        ) from None
