"""Whether a model's parameters still look like PyTorch's default initialisation.

An unstated initialisation is not assumed: each parameter of a module whose default torch
documents is tested against it (range, and for tensors of 100 values or more mean and spread,
within four standard errors, so a uniform, normal, orthogonal or constant re-initialisation is
told apart from the default):

- ``nn.RNN/LSTM/GRU`` and their cells: every weight and bias ``U(-1/sqrt(hidden), ...)``;
- ``nn.Linear``, ``nn.Conv*``, ``nn.Bilinear``: weight and bias ``U(-1/sqrt(fan_in), ...)``
  (an attention output projection's bias starts at zero);
- ``nn.Embedding``: ``N(0, 1)`` (the padding row, zero, left out);
- normalisation layers: weight one, bias zero;
- ``nn.MultiheadAttention``: ``xavier_uniform`` projection weights, zero biases; inside
  ``nn.Transformer`` every matrix is ``xavier_uniform``.

A parameter of any other module (your own ``nn.Parameter``, an unknown torch module) has no
default to test: it is reported as not checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from torch import nn

MAX_LISTED = 20
MIN_SPREAD_TEST = 100  # below this many values only the range is tested


@dataclass
class InitCheck:
    """Parameters tested, those that differ from the default (with their observed spread),
    and those no default exists for."""

    checked: int = 0
    differ: dict[str, dict[str, float]] = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)

    @property
    def default(self) -> bool:
        return self.checked > 0 and not self.differ and not self.unchecked


def _sig(value: float) -> float:
    return float(f"{value:.4g}")


def _spread(tensor: torch.Tensor) -> dict[str, float]:
    values = tensor.detach().double()
    std = float(values.std()) if values.numel() > 1 else 0.0
    return {"min": _sig(float(values.min())), "max": _sig(float(values.max())), "std": _sig(std)}


def _uniform(tensor: torch.Tensor, bound: float) -> bool:
    values = tensor.detach().double().flatten()
    n = values.numel()
    if n == 0:
        return True
    if float(values.abs().max()) > bound * (1 + 1e-6):
        return False
    if n < MIN_SPREAD_TEST:
        return True
    expected = bound / math.sqrt(3)
    tolerance = 0.02 + 4 * 0.447 / math.sqrt(n)  # 4 sigma of a uniform's sample std
    mean_ok = abs(float(values.mean())) <= 4 * expected / math.sqrt(n) + 1e-12
    return mean_ok and abs(float(values.std()) / expected - 1) <= tolerance


def _normal(tensor: torch.Tensor, std: float = 1.0) -> bool:
    values = tensor.detach().double().flatten()
    n = values.numel()
    if n < MIN_SPREAD_TEST:
        return bool(values.abs().max() <= 6 * std) if n else True
    tolerance = 0.02 + 4 * 0.707 / math.sqrt(n)  # 4 sigma of a normal's sample std
    mean_ok = abs(float(values.mean())) <= 4 * std / math.sqrt(n)
    return mean_ok and abs(float(values.std()) / std - 1) <= tolerance


def _constant(tensor: torch.Tensor, value: float) -> bool:
    return bool((tensor.detach() == value).all())


def _fan_in(weight: torch.Tensor) -> int:
    from torch.nn.init import _calculate_fan_in_and_fan_out

    return _calculate_fan_in_and_fan_out(weight)[0]


def _xavier_bound(weight: torch.Tensor) -> float:
    from torch.nn.init import _calculate_fan_in_and_fan_out

    fan_in, fan_out = _calculate_fan_in_and_fan_out(weight)
    return math.sqrt(6.0 / (fan_in + fan_out))


# A default: ("uniform", bound), ("normal", std), ("constant", value) or ("embedding", pad).
Rule = tuple[str, Any]


def _rules(module: nn.Module, zero_bias: bool) -> dict[str, Rule]:
    """Parameter name -> its default, for a module whose default torch documents."""
    from torch import nn
    from torch.nn.modules.batchnorm import _NormBase
    from torch.nn.modules.conv import _ConvNd

    params = dict(module.named_parameters(recurse=False))
    if isinstance(module, nn.RNNBase | nn.RNNCellBase):
        bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0.0
        return {name: ("uniform", bound) for name in params}
    if isinstance(module, nn.Linear | _ConvNd | nn.Bilinear):
        weight = params.get("weight")
        if weight is None or weight.numel() == 0:
            return {}
        fan_in = weight.size(1) if isinstance(module, nn.Bilinear) else _fan_in(weight)
        bound = 1.0 / math.sqrt(max(fan_in, 1))
        rules: dict[str, Rule] = {"weight": ("uniform", bound)}
        if "bias" in params:
            rules["bias"] = ("constant", 0.0) if zero_bias else ("uniform", bound)
        return rules
    if isinstance(module, nn.Embedding | nn.EmbeddingBag):
        return {"weight": ("embedding", getattr(module, "padding_idx", None))}
    norms = (nn.LayerNorm, nn.GroupNorm, _NormBase, getattr(nn, "RMSNorm", nn.LayerNorm))
    if isinstance(module, norms):
        return {name: ("constant", 1.0 if name == "weight" else 0.0) for name in params}
    if isinstance(module, nn.MultiheadAttention):
        rules = {}
        for name, tensor in params.items():
            if name.endswith("_weight"):
                rules[name] = ("uniform", _xavier_bound(tensor))
            elif name == "in_proj_bias":
                rules[name] = ("constant", 0.0)
            elif name in ("bias_k", "bias_v"):
                rules[name] = ("normal", math.sqrt(2.0 / (tensor.size(-1) + 1)))
        return rules
    return {}


def _passes(tensor: torch.Tensor, rule: Rule) -> bool:
    kind, value = rule
    if kind == "uniform":
        return _uniform(tensor, value)
    if kind == "normal":
        return _normal(tensor, value)
    if kind == "constant":
        return _constant(tensor, value)
    if value is None:  # an embedding without padding row
        return _normal(tensor)
    pad = value % tensor.size(0)
    keep = [i for i in range(tensor.size(0)) if i != pad]
    return _normal(tensor[keep]) and _constant(tensor[pad], 0.0)


def check_default_init(model: nn.Module) -> InitCheck:
    """Test every parameter of ``model`` against its module's default initialisation (see the
    module docstring); each shared parameter once."""
    from torch import nn

    from repro.capture.architecture import unwrap_model

    model = unwrap_model(model)
    zero_bias = {id(m.out_proj) for m in model.modules() if isinstance(m, nn.MultiheadAttention)}
    xavier: set[int] = set()
    for transformer in (m for m in model.modules() if isinstance(m, nn.Transformer)):
        xavier |= {id(p) for p in transformer.parameters() if p.dim() > 1}
    check = InitCheck()
    seen: set[int] = set()
    for path, module in model.named_modules():
        rules = _rules(module, id(module) in zero_bias)
        for name, param in module.named_parameters(recurse=False):
            if id(param) in seen:
                continue
            seen.add(id(param))
            full = f"{path}.{name}" if path else name
            rule = ("uniform", _xavier_bound(param)) if id(param) in xavier else rules.get(name)
            if rule is None:
                check.unchecked.append(full)
                continue
            check.checked += 1
            if not _passes(param, rule):
                check.differ[full] = _spread(param)
    return check


def init_details(check: InitCheck) -> dict[str, Any]:
    """What ``Initialisation.details`` says about a check that did not find the default: the
    parameters that differ from it and those torch has no default for, by name (their values
    vary with the seed, so they are not part of the configuration)."""
    details: dict[str, Any] = {}
    if check.differ:
        names = list(check.differ)
        details["not_default"] = names[:MAX_LISTED]
        if len(names) > MAX_LISTED:
            details["not_default_more"] = len(names) - MAX_LISTED
    if check.unchecked:
        details["no_torch_default"] = check.unchecked[:MAX_LISTED]
        if len(check.unchecked) > MAX_LISTED:
            details["no_torch_default_more"] = len(check.unchecked) - MAX_LISTED
    return details
