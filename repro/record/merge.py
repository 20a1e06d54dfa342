"""Merge what a user states into what was captured: the stated value wins, a disagreement on an
observable fact becomes a :class:`RecordWarning` (pure functions over record dicts)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .run_record import RecordWarning

# Sections whose captured values are observations, so a different stated value is a doubt.
OBSERVED_SECTIONS = ("architecture", "training", "data", "environment")
# (path, captured value) pairs that do not contradict any stated value.
_NOT_A_CLAIM = {("training.initialisation.scheme", "custom")}


def _observed(path: str) -> bool:
    return path.split(".", 1)[0].split("[", 1)[0] in OBSERVED_SECTIONS


def disagreement(path: str, stated: Any, observed: Any) -> RecordWarning:
    """The warning for a stated value that contradicts an observed one."""
    return RecordWarning(
        path=path,
        message=f"{path}: stated {stated!r} but observed {observed!r}; the record keeps the "
        "stated value",
        stated=stated,
        observed=observed,
    )


def _differs(path: str, stated: Any, captured: Any) -> bool:
    if captured is None or stated == captured:
        return False
    if isinstance(captured, str) and (path, captured) in _NOT_A_CLAIM:
        return False
    return _observed(path)


def _merge_datasets(
    captured: list[Any], stated: list[Any], path: str, warnings: list[RecordWarning]
) -> list[Any]:
    """Datasets pair up by name; a stated dataset of a new name is added."""
    merged = list(captured)
    names = [d.get("name") if isinstance(d, Mapping) else None for d in merged]
    for entry in stated:
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if name is not None and name in names:
            index = names.index(name)
            merged[index] = _merge(merged[index], entry, f"{path}[{index}]", warnings)
        else:
            merged.append(entry)
            names.append(name)
    return merged


def _merge(captured: Any, stated: Any, path: str, warnings: list[RecordWarning]) -> Any:
    if isinstance(captured, Mapping) and isinstance(stated, Mapping):
        if "name" in captured and "name" in stated and captured["name"] != stated["name"]:
            # another optimizer or scheduler than the one captured: its settings are not ours
            if _differs(f"{path}.name", stated["name"], captured["name"]):
                warnings.append(disagreement(f"{path}.name", stated["name"], captured["name"]))
            return dict(stated)
        merged = dict(captured)
        for key, value in stated.items():
            child = f"{path}.{key}" if path else str(key)
            merged[key] = _merge(captured.get(key), value, child, warnings)
        return merged
    if path == "data" and isinstance(captured, list) and isinstance(stated, list):
        return _merge_datasets(captured, stated, path, warnings)
    if _differs(path, stated, captured):
        warnings.append(disagreement(path, stated, captured))
    return stated


def merge_stated(
    captured: Mapping[str, Any], stated: Mapping[str, Any]
) -> tuple[dict[str, Any], list[RecordWarning]]:
    """``captured`` with every value ``stated`` gives laid over it (dicts merge key by key,
    datasets by name, other lists are replaced), and a warning for each stated value that
    contradicts an observed one (in :data:`OBSERVED_SECTIONS`)."""
    warnings: list[RecordWarning] = []
    merged = _merge(dict(captured), dict(stated), "", warnings)
    return merged, warnings


def leaf_paths(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of every value in ``data`` (and of each enclosing mapping)."""
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        yield path
        if isinstance(value, Mapping):
            yield from leaf_paths(value, path)
