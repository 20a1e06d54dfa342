"""Which runs are "the same configuration", and how to name each group so none look alike.

The rule for the configuration key, read off the record schema:

* It holds what the user chose: ``architecture``, ``training`` and the identity of each
  dataset (name, version, content digest).
* A measured fact stays only where it follows from those choices and not from the seed:
  parameter counts follow from the architecture, a dataset digest from the data.
* Nothing measured from random initialisation, and no outcome of training, enters it
  (:data:`NOT_CONFIGURATION` lists each such field and why). The LSTM forget-gate bias is
  measured after initialisation: under PyTorch's default init it differs per seed and per unit,
  so it is left out; it stays only when every unit holds one value (``details`` records no
  ``forget_gate_bias_min``/``_max``), which is a constant the user set, such as 1.0.

Everything else the record holds (run identity, environment, provenance, results,
diagnostics) describes one run, not its configuration.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from repro.errors import InvalidInputError
from repro.record import RunRecord
from repro.record.paths import MISSING, flatten, resolve
from repro.report.fields import field_rank

# field path -> why it is not part of a configuration
NOT_CONFIGURATION: dict[str, str] = {
    "training.seeds": "the seeds are what varies between runs of one configuration",
    "training.initialisation.forget_gate_bias": (
        "measured after random initialisation; kept only when every unit holds one value"
    ),
    "training.initialisation.details.forget_gate_bias_min": "measured spread over units",
    "training.initialisation.details.forget_gate_bias_max": "measured spread over units",
    "training.early_stopping.stopped_epoch": "an outcome of training, not a choice",
    "training.observed": "what the run did (steps, epochs, final learning rate): an outcome",
}
DATASET_IDENTITY = ("name", "version", "sha256")
# Measured facts that follow from the configuration: kept in the key, named in a label only
# when the chosen fields cannot tell groups apart.
DERIVED_LEAVES = ("parameters", "total_parameters", "trainable_parameters")
UNIT_SPREAD = ("forget_gate_bias_min", "forget_gate_bias_max")
# Leaf names that read better as their parent's name: ``optimizer=AdamW``, not ``name=AdamW``.
GENERIC_LEAVES = ("name", "kind", "scheme", "method")
SEARCH_LIMIT = 20_000  # subsets tried when looking for the fewest label fields


def configuration(record: RunRecord) -> dict[str, Any]:
    """What the user chose for this run (see the module docstring); seed-free by construction."""
    data = record.model_dump(
        mode="json", exclude_none=True, include={"architecture", "training", "data"}
    )
    training = dict(data.get("training", {}))
    training.pop("seeds", None)
    training.pop("observed", None)
    init = training.get("initialisation")
    if init is not None:
        init = dict(init)
        details = dict(init.get("details", {}))
        random_units = any(key in details for key in UNIT_SPREAD)
        for key in UNIT_SPREAD:
            details.pop(key, None)
        if random_units:
            init.pop("forget_gate_bias", None)
        init["details"] = details
        training["initialisation"] = init
    if "early_stopping" in training:
        training["early_stopping"] = {
            k: v for k, v in training["early_stopping"].items() if k != "stopped_epoch"
        }
    config: dict[str, Any] = {"architecture": data.get("architecture"), "training": training}
    config["data"] = [{k: d[k] for k in DATASET_IDENTITY if k in d} for d in data.get("data", [])]
    return config


def config_fingerprint(record: RunRecord) -> str:
    """SHA-256 of the sorted-JSON configuration: equal for the seeds of one configuration."""
    text = json.dumps(configuration(record), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def config_fields(record: RunRecord) -> dict[str, Any]:
    """The configuration as ``path -> leaf value`` (``architecture.recurrent_layers[0].cell``)."""
    return {k: v for k, v in flatten(configuration(record)).items() if v is not None}


def canonical(value: Any) -> str:
    """One text per distinct value, for comparing and keying (MISSING has its own)."""
    if value is MISSING:
        return "\x00missing"
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def show_value(value: Any) -> str:
    """A value as a label shows it: '—' for not recorded, floats in their shortest form."""
    if value is MISSING or value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], dict | list):
        return show_value(value[0])
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def ordered_paths(field_sets: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every path in any of ``field_sets``, in schema order (mapping keys by first appearance)."""
    first_seen: dict[str, int] = {}
    for fields in field_sets:
        for path in fields:
            first_seen.setdefault(path, len(first_seen))
    return sorted(first_seen, key=lambda p: (field_rank(p), first_seen[p]))


def _is_derived(path: str) -> bool:
    leaf = path.rsplit(".", 1)[-1]
    return leaf in DERIVED_LEAVES or (path.startswith("data[") and leaf == "sha256")


def _steps(path: str) -> list[str]:
    steps = path.split(".")
    if len(steps) > 1 and steps[-1].split("[")[0] in GENERIC_LEAVES:
        steps = steps[:-1]  # optimizer.name -> optimizer
    return steps


def short_names(paths: list[str]) -> dict[str, str]:
    """Each path's shortest tail that no other of ``paths`` shares: ``cell``, ``optimizer``,
    ``recurrent_layers[1].cell`` when two layers' cells both vary."""
    names: dict[str, str] = {}
    for path in paths:
        steps = _steps(path)
        for size in range(1, len(steps) + 1):
            tail = ".".join(steps[-size:])
            clash = any(".".join(_steps(other)[-size:]) == tail for other in paths if other != path)
            if not clash:
                break
        names[path] = tail
    return names


def _distinguishes(chosen: tuple[str, ...], rows: list[Mapping[str, Any]]) -> bool:
    seen = {tuple(canonical(row.get(p, MISSING)) for p in chosen) for row in rows}
    return len(seen) == len(rows)


def fewest_fields(rows: list[Mapping[str, Any]], candidates: list[str]) -> list[str]:
    """The smallest subset of ``candidates`` whose values tell every row apart; among subsets of
    one size, the earliest in ``candidates`` order. Past :data:`SEARCH_LIMIT` subsets it adds, one
    at a time, the field that separates the most rows still alike."""
    tried = 0
    for size in range(1, len(candidates) + 1):
        for subset in itertools.combinations(candidates, size):
            if _distinguishes(subset, rows):
                return list(subset)
            tried += 1
            if tried >= SEARCH_LIMIT:
                return _greedy(rows, candidates)
    return list(candidates)


def _greedy(rows: list[Mapping[str, Any]], candidates: list[str]) -> list[str]:
    chosen: list[str] = []
    while not _distinguishes(tuple(chosen), rows):

        def parts(extra: str) -> int:
            keys = (*chosen, extra)
            return len({tuple(canonical(r.get(p, MISSING)) for p in keys) for r in rows})

        best = max((p for p in candidates if p not in chosen), key=parts, default=None)
        if best is None:
            break
        chosen.append(best)
    return sorted(chosen, key=candidates.index)


def group_values(record: RunRecord, paths: list[str]) -> dict[str, Any]:
    """The value of each path in ``record`` (a list where ``[*]`` fans out, MISSING if absent)."""
    data = record.to_dict()
    values: dict[str, Any] = {}
    for path in paths:
        found = resolve(data, path)
        values[path] = found[0] if len(found) == 1 else found
    return values


def group_key(values: Mapping[str, Any]) -> str:
    """One text per distinct combination of group values."""
    return " | ".join(canonical(v) for v in values.values())


def _recorded(value: Any) -> bool:
    if isinstance(value, list):
        return any(_recorded(v) for v in value)
    return value is not MISSING


def require_recorded(rows: Iterable[Mapping[str, Any]], paths: list[str], runs: int) -> None:
    """InvalidInputError for a ``--group-by`` path that none of the runs records."""
    rows = list(rows)
    for path in paths:
        if rows and not any(_recorded(row.get(path, MISSING)) for row in rows):
            raise InvalidInputError(
                f"--group-by {path}: none of the {runs} runs records this field, so it cannot "
                "tell groups apart"
            )


def path_labels(rows: Mapping[str, Mapping[str, Any]], paths: list[str]) -> dict[str, str]:
    """``cell=lstm, lr=0.001`` per group key, from the ``--group-by`` paths' values."""
    names = short_names(paths)
    return {
        key: ", ".join(f"{names[p]}={show_value(row.get(p, MISSING))}" for p in paths)
        for key, row in rows.items()
    }


def distinct_labels(fields: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """A label per group key from each group's ``path -> value`` fields: the fewest fields (in
    schema order, chosen fields before derived counts and digests) whose values tell every group
    apart, as ``name=value, ...``. Distinct by construction: groups whose values print alike
    are numbered in order, ``(1)``, ``(2)``."""
    keys = list(fields)
    rows = [fields[k] for k in keys]
    paths = ordered_paths(rows)
    varying = [p for p in paths if len({canonical(r.get(p, MISSING)) for r in rows}) > 1]
    candidates = [p for p in varying if not _is_derived(p)] + [p for p in varying if _is_derived(p)]
    chosen = fewest_fields(rows, candidates) if len(keys) > 1 else []
    chosen.sort(key=paths.index)
    names = short_names(chosen)
    labels = {
        key: ", ".join(f"{names[p]}={show_value(row.get(p, MISSING))}" for p in chosen)
        for key, row in zip(keys, rows, strict=True)
    }
    alike: dict[str, list[str]] = {}
    for key, label in labels.items():
        alike.setdefault(label, []).append(key)
    for label, members in alike.items():
        if len(members) > 1 or not label:
            for number, key in enumerate(members, start=1):
                labels[key] = f"{label} ({number})" if label else f"configuration {number}"
    return labels
