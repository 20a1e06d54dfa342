"""Checks ``log_metrics`` runs at the call, so a value MLflow would refuse never reaches the
journal (where it would block every later sync) and the caller sees a clear error at once."""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any

from repro.tracking._journal_reader import INT64_MAX, INT64_MIN
from repro.tracking.flatten import check_metric_key


def checked_step(step: Any) -> int:
    """``step`` as an int inside MLflow's 64-bit range; integral floats (``3.0``) are taken."""
    if type(step) is int and INT64_MIN <= step <= INT64_MAX:  # the common case, fast
        return step
    if isinstance(step, bool):
        raise TypeError(f"step must be an integer, not {step!r}")
    try:
        value = operator.index(step)
    except TypeError:
        if isinstance(step, float) and math.isfinite(step) and step.is_integer():
            value = int(step)
        else:
            raise TypeError(
                f"step must be an integer, got {step!r} ({type(step).__name__})"
            ) from None
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(
            f"step {value} is outside MLflow's range for steps (a 64-bit integer, "
            f"{INT64_MIN} to {INT64_MAX})"
        )
    return value


def checked_value(key: str, value: Any) -> float:
    """``value`` as a float (NaN and infinities are allowed: MLflow stores them)."""
    if type(value) is float:  # the common case, fast
        return value
    if isinstance(value, str | bytes):
        raise TypeError(f"metric {key!r}: {value!r} is text, not a number")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"metric {key!r}: {value!r} is too large for a 64-bit float") from None
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"metric {key!r}: {type(value).__name__} value is not a number ({exc})"
        ) from None


def checked_metrics(metrics: Mapping[str, Any], known: set[str]) -> dict[str, float]:
    """Names and values of one ``log_metrics`` call, checked; ``known`` caches valid names."""
    if type(metrics) is not dict and not isinstance(metrics, Mapping):
        raise TypeError(
            f"log_metrics takes a mapping of metric names to numbers, got {type(metrics).__name__}"
        )
    values: dict[str, float] = {}
    for key, value in metrics.items():
        if key not in known:
            check_metric_key(key)
            known.add(key)
        values[key] = checked_value(key, value)
    return values
