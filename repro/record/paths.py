"""Dotted field paths over a record: resolve one, walk every leaf, check one against the schema.

A path is written ``training.optimizer.name``, ``data[*].splits`` (every entry of a list) or
``results[0].value`` (one entry): the syntax of check profiles, ``--group-by``, validation
messages and ``repro diff``. :func:`leaves` is the one walk over a record's plain data; callers
join its locations into the path syntax they need (:func:`path_of`, or MLflow's dotted keys).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

MISSING: Any = object()
Loc = tuple[str | int, ...]


def resolve(data: Any, path: str) -> list[Any]:
    """Values at a dotted path; ``name[*]`` fans out over a list, ``name[2]`` picks one item.

    A missing step yields ``MISSING`` (an empty list fans out to one ``MISSING``), so callers
    can tell "not recorded" from "recorded as 0/False".
    """
    values = [data]
    for part in path.split("."):
        key, _, index = part.partition("[")
        index = index.rstrip("]")
        nxt: list[Any] = []
        for value in values:
            child = value.get(key, MISSING) if isinstance(value, dict) else MISSING
            if not index:
                nxt.append(child)
            elif not isinstance(child, list) or not child:
                nxt.append(MISSING)
            elif index == "*":
                nxt.extend(child)
            else:
                pos = int(index)
                nxt.append(child[pos] if -len(child) <= pos < len(child) else MISSING)
        values = nxt
    return values


def leaves(data: Any, *, scalar_lists: bool = False, loc: Loc = ()) -> Iterator[tuple[Loc, Any]]:
    """Every leaf of plain data (dicts, lists, scalars) with its location, in data order.

    Non-empty dicts and lists are walked; empty ones are leaves. With ``scalar_lists`` a list
    holding no dict or list is one leaf (MLflow keeps ``[0.9, 0.999]`` as one param value).
    """
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from leaves(value, scalar_lists=scalar_lists, loc=(*loc, str(key)))
    elif (
        isinstance(data, list)
        and data
        and not (scalar_lists and not any(isinstance(item, dict | list) for item in data))
    ):
        for pos, value in enumerate(data):
            yield from leaves(value, scalar_lists=scalar_lists, loc=(*loc, pos))
    else:
        yield loc, data


def path_of(loc: Loc) -> str:
    """``('data', 0, 'splits')`` -> ``data[0].splits`` (the empty location is ``""``)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def flatten(data: Any) -> dict[str, Any]:
    """``{"a": {"b": [1, 2]}}`` -> ``{"a.b[0]": 1, "a.b[1]": 2}``; empty containers kept as-is."""
    return {path_of(loc): value for loc, value in leaves(data)}


# -- paths against the schema ------------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """The type under ``Annotated``/``Optional``; ``Any`` for a union of several types."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return Any
            annotation = options[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def schema_path_problem(model: type[BaseModel], path: str) -> str | None:
    """Why ``path`` names no field of ``model`` (e.g. a misspelt key), or None when it does.

    Free-form parts of the schema (dict keys, JSON values) accept any key below them.
    """
    if not path or any(not part for part in path.split(".")):
        return f"{path!r} is not a dotted field path"
    current: Any = model
    walked: list[str] = []
    parts = path.split(".")
    for position, part in enumerate(parts, start=1):
        key, bracket, index = part.partition("[")
        if bracket and not (index.endswith("]") and (index[:-1] == "*" or index[:-1].isdigit())):
            return f"{part!r}: an index is written [*] or [number]"
        where = ".".join(walked) or "the record"
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if current is Any or origin is dict:  # free-form keys: anything below is allowed
            return None
        if not _is_model(current):
            return f"{where} holds a value, so it has no field {key!r}"
        fields = dict(current.model_fields)
        fields.update({info.alias: info for info in current.model_fields.values() if info.alias})
        if key not in fields:
            known = ", ".join(sorted(current.model_fields))
            return f"{where} has no field {key!r} (it has: {known})"
        current = _unwrap(fields[key].annotation)
        walked.append(part)
        is_list = typing.get_origin(current) in (list, tuple)
        if bracket:
            if not is_list:
                return f"{key!r} is not a list, so it takes no index"
            current = typing.get_args(current)[0]
        elif is_list and position < len(parts):
            return f"{key!r} is a list: write {key}[*] to look inside every entry"
    return None
