"""Field paths a user names (``--group-by``): both spellings, checked against the record schema.

MLflow params spell list items as a dotted number (``architecture.recurrent_layers.0.cell``,
see :mod:`repro.tracking.flatten`); record paths use brackets
(``architecture.recurrent_layers[0].cell``). Both mean the same field. A path the schema does
not have is a usage error naming the first unknown step and the fields allowed there.
"""

from __future__ import annotations

import difflib
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from repro.errors import UsageError
from repro.record import RunRecord

_STEP = re.compile(r"^(?P<key>[^\[\]]+)(?P<index>(\[(\d+|\*)\])*)$")
_INDEX = re.compile(r"\[(\d+|\*)\]")


def normalize_path(path: str) -> str:
    """The bracket spelling: ``a.items.0.b`` -> ``a.items[0].b``, ``a.items.*`` -> ``a.items[*]``.

    A leading number or an empty step is left for :func:`check_path` to reject.
    """
    parts = path.strip().split(".")
    out: list[str] = []
    for part in parts:
        if out and (part.isdigit() or part == "*"):
            out[-1] += f"[{part}]"
        else:
            out.append(part)
    return ".".join(out)


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the type that holds the value."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return members  # a union of several value types: a scalar, for paths
            annotation = members[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _child(annotation: Any, key: str, where: str) -> tuple[Any, str | None]:
    """(type at ``key`` under ``annotation``, or None and what is wrong)."""
    kind = _unwrap(annotation)
    if kind is Any:
        return Any, None
    if _is_model(kind):
        fields = kind.model_fields
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return None, (f"{where} has no field {key!r}{hint} (fields there: {', '.join(fields)})")
        return fields[key].annotation, None
    origin = get_origin(kind)
    if origin is dict:
        args = get_args(kind)
        return (args[1] if args else Any), None
    if origin is list:
        return None, (
            f"{where} is a list: name an item ({where}[0].{key} or {where}.0.{key}) "
            f"or every item ({where}[*].{key})"
        )
    return None, f"{where} is a single value with no field {key!r} under it"


def _item(annotation: Any, where: str) -> tuple[Any, str | None]:
    kind = _unwrap(annotation)
    if kind is Any:
        return Any, None
    if get_origin(kind) is list:
        args = get_args(kind)
        return (args[0] if args else Any), None
    return None, f"{where} is not a list, so it has no items"


def _is_list(annotation: Any) -> bool:
    return get_origin(_unwrap(annotation)) is list


def check_path(path: str, option: str = "--group-by") -> str:
    """``path`` in bracket spelling when the RunRecord schema has it; else a UsageError.

    Free-form mappings (optimizer ``settings``, run ``tags``, search ``space``) take any key.
    A list needs an item index (``[0]``, ``.0``) or ``[*]`` for every item.
    """
    normal = normalize_path(path)
    annotation: Any = RunRecord
    walked: list[str] = []
    for step in normal.split("."):
        match = _STEP.match(step)
        if not match or (not walked and step[0].isdigit()):
            raise UsageError(
                f"{option} {path}: {step!r} is not a field name "
                "(expected a path such as architecture.recurrent_layers.0.cell)"
            )
        key = match.group("key")
        annotation, error = _child(annotation, key, ".".join(walked) or "a record")
        if error is not None:
            raise UsageError(f"{option} {path}: {error}")
        walked.append(key)
        for index in _INDEX.findall(match.group("index")):
            annotation, error = _item(annotation, ".".join(walked))
            if error is not None:
                raise UsageError(f"{option} {path}: {error}")
            walked[-1] += f"[{index}]"
    if _is_list(annotation):
        raise UsageError(
            f"{option} {path}: {normal} is a list; name an item ({normal}[0] or {normal}.0) "
            f"or every item ({normal}[*])"
        )
    return normal


def field_rank(path: str) -> tuple[int, ...]:
    """Where ``path`` sits in the schema: field positions step by step, list indices as is.

    Keys of free-form mappings rank after the section's declared fields, by name; sort ties
    (two keys of one mapping) by first appearance instead where that matters.
    """
    annotation: Any = RunRecord
    rank: list[int] = []
    for step in normalize_path(path).split("."):
        match = _STEP.match(step)
        if not match:
            return (*rank, 1 << 30)
        key = match.group("key")
        kind = _unwrap(annotation)
        if _is_model(kind):
            names = list(kind.model_fields)
            rank.append(names.index(key) if key in names else len(names))
        else:
            rank.append(1 << 20)
        annotation, _ = _child(annotation, key, key)
        for index in _INDEX.findall(match.group("index")):
            rank.append(1 << 20 if index == "*" else int(index))
            annotation, _ = _item(annotation, key)
        if annotation is None:
            annotation = Any
    return tuple(rank)
