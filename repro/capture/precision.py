"""Numerical precision as observed: the parameters' dtype, and autocast seen while training."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

_OF_DTYPE = {"float64": "fp64", "float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}
_OF_AUTOCAST = {"float16": "amp-fp16", "bfloat16": "amp-bf16"}


def parameter_dtypes(model: nn.Module) -> dict[str, int]:
    """Parameter count per dtype (``{"float64": 1234}``), each shared tensor once."""
    from repro.capture.architecture import unwrap_model

    counts: dict[str, int] = {}
    for param in unwrap_model(model).parameters():
        name = str(param.dtype).removeprefix("torch.")
        counts[name] = counts.get(name, 0) + param.numel()
    return counts


def _tf32_matmul(device_type: str, capability: str | None) -> bool:
    """Whether float32 matrix products run in TF32 (CUDA, Ampere or newer, not 'highest')."""
    if device_type != "cuda" or capability is None:
        return False
    import torch

    major = int(capability.split(".")[0])
    return major >= 8 and torch.get_float32_matmul_precision() != "highest"


def observed_precision(
    dtypes: Mapping[str, int],
    autocast: Iterable[str] = (),
    *,
    device_type: str = "cpu",
    capability: str | None = None,
) -> str | None:
    """The record's precision for parameters of ``dtypes`` (the floating dtype holding most
    values decides) and the autocast dtypes seen: ``amp-fp16``/``amp-bf16`` over float32
    parameters, ``tf32`` for float32 matrix products in TF32, else the dtype's own name.
    None when no floating parameter was seen."""
    floating = {name: n for name, n in dtypes.items() if name in _OF_DTYPE}
    if not floating:
        return None
    dtype = max(floating, key=lambda name: floating[name])
    seen = sorted(set(autocast))
    if dtype == "float32" and len(seen) == 1 and seen[0] in _OF_AUTOCAST:
        return _OF_AUTOCAST[seen[0]]
    if dtype == "float32" and _tf32_matmul(device_type, capability):
        return "tf32"
    return _OF_DTYPE[dtype]
