"""Schema versions and the hook that upgrades older record dicts before validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCHEMA_VERSION = "2.0"

# from-version -> function returning the dict at the next version (and stamping it).
Migration = Callable[[dict[str, Any]], dict[str, Any]]


class SchemaVersionError(ValueError):
    """The record's schema_version is unknown or newer than this repro."""


# Each change of the record since 1.0 adds one step here, in the order the changes landed; a
# step takes a 1.0-shaped dict (already upgraded by the steps before it) and returns it reshaped.
STEPS_FROM_1_0: list[Migration] = []


def _recurrent_defaults_explicit(data: dict[str, Any]) -> dict[str, Any]:
    """2.0 no longer assumes ``bias: true`` and ``batch_first: false`` for a recurrent layer
    (a hand-written cell may have neither; batch_first does not apply to cells): a 1.0 layer
    that left them out meant those defaults, so they are written out."""
    architecture = data.get("architecture")
    layers = architecture.get("recurrent_layers") if isinstance(architecture, dict) else None
    if isinstance(layers, list):  # new dicts: the caller's data is never changed in place
        data["architecture"] = {
            **architecture,
            "recurrent_layers": [
                {"bias": True, "batch_first": False, **layer} if isinstance(layer, dict) else layer
                for layer in layers
            ],
        }
    return data


STEPS_FROM_1_0.append(_recurrent_defaults_explicit)


def _gradient_flow_step_unit(data: dict[str, Any]) -> dict[str, Any]:
    """Gradient flow: 1.0 snapshots counted each module's training forwards as steps, where 2.0
    counts optimizer steps; state the unit they were taken in (``gradient_flow_watch``)."""
    diagnostics = data.get("diagnostics")
    if (
        isinstance(diagnostics, dict)
        and diagnostics.get("gradient_flow")
        and "gradient_flow_watch" not in diagnostics
    ):
        watch = {"step_unit": "training_forward"}
        data["diagnostics"] = {**diagnostics, "gradient_flow_watch": watch}
    return data


STEPS_FROM_1_0.append(_gradient_flow_step_unit)


def _from_1_0(data: dict[str, Any]) -> dict[str, Any]:
    for step in STEPS_FROM_1_0:
        data = step(data)
    data["schema_version"] = "2.0"
    return data


MIGRATIONS: dict[str, Migration] = {"1.0": _from_1_0}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a raw record dict to ``SCHEMA_VERSION``; a missing version means the current one."""
    version = str(data.get("schema_version", SCHEMA_VERSION))
    seen: set[str] = set()
    while version != SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None or version in seen:
            raise SchemaVersionError(
                f"schema_version {version!r} is not one this repro reads (it writes "
                f"{SCHEMA_VERSION!r}); upgrade repro or fix the field"
            )
        seen.add(version)
        data = step(dict(data))
        version = str(data["schema_version"])
    return data
