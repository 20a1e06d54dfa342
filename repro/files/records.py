"""Reading and writing record files (JSON, YAML) with errors that name file and field.

Reading is bounded, since a record file may come from anyone: only regular files are read (a
FIFO or device would block or never end), at most ``MAX_FILE_BYTES``; nesting deeper than
``MAX_DEPTH`` levels, YAML aliases that would expand the document by more than
``MAX_ALIAS_EXPANSION`` values (an "alias bomb" of a few KB can stand for billions), recursive
aliases, and numbers outside what a float or a 4300-digit integer can hold are all errors
(exit 2) naming the file and, where known, the line.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from repro.errors import InvalidInputError, UsageError
from repro.files.atomic import write_atomic
from repro.record import Contributors, RunRecord, describe_errors

JSON_SUFFIXES = {".json"}
YAML_SUFFIXES = {".yaml", ".yml"}
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 100
MAX_ALIAS_EXPANSION = 100_000
MAX_INT_DIGITS = 4300  # Python's own limit for converting text to int
Model = TypeVar("Model", bound=BaseModel)


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML that keeps timestamps as text (pydantic parses them) and rejects duplicate keys."""


_StrictLoader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _bounded_int(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    digits = sum(ch.isdigit() for ch in str(node.value))
    if digits > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"an integer of {digits} digits is out of range", node.start_mark
        )
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _bounded_float(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    text = str(node.value).lower().lstrip("+-")
    if math.isinf(value) and text not in (".inf",):
        raise yaml.constructor.ConstructorError(
            None, None, f"the number {node.value} is out of range for a float", node.start_mark
        )
    return value


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _bounded_float)


class _LimitError(ValueError):
    """A document over a size limit (see the module docstring)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _check_yaml_nodes(root: yaml.Node) -> None:
    """Refuse recursive aliases, nesting deeper than MAX_DEPTH and alias expansion beyond
    MAX_ALIAS_EXPANSION, counting each node once per time it would be expanded."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    unique = 0
    # iterative post-order walk; a node seen on the current path again is a recursive alias
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if depths[key] > MAX_DEPTH:
                raise _LimitError(
                    f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1
                )
            if sizes[key] - unique > MAX_ALIAS_EXPANSION:
                raise _LimitError(
                    f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} extra values "
                    "(an alias bomb?)",
                    node.start_mark.line + 1,
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _LimitError(
                "a recursive YAML alias (a value that contains itself)", node.start_mark.line + 1
            )
        unique += 1
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _load_yaml(text: str) -> Any:
    loader = _StrictLoader(text)  # a SafeLoader subclass (libyaml's parser where installed)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_yaml_nodes(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _json_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise _LimitError(f"an integer of {len(text.lstrip('-'))} digits is out of range")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _LimitError(f"the number {text[:40]} is out of range for a float")
    return value


def _check_depth(data: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH (iteratively: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _LimitError(f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in YAML_SUFFIXES:
        return "yaml"
    raise UsageError(f"{path}: unknown record format {suffix!r}; expected .json, .yaml or .yml")


def parse_text(text: str, fmt: str, source: str) -> Any:
    """Parse JSON or YAML text; a syntax error names the file, line and column."""
    try:
        if fmt == "json":
            data = json.loads(text, parse_int=_json_int, parse_float=_json_float)
        else:
            data = _load_yaml(text)
        _check_depth(data)
        return data
    except _LimitError as exc:
        where = f" at line {exc.line}" if exc.line else ""
        raise UsageError(f"{source}: refused{where}: {exc}") from None
    except RecursionError:
        raise UsageError(f"{source}: refused: nesting deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise UsageError(f"{source}: not valid YAML{where}: {problem}") from None


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _special(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return None if stat.S_ISREG(mode) else "not a regular file"


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is an exit-2 error
    (a FIFO or device is refused without blocking on it)."""
    file = Path(path)
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UsageError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{file}: is a directory, not a record file") from None
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        kind = _special(info.st_mode)
        if kind is not None:
            raise UsageError(f"{file}: is {kind}, not a record file; refused")
        if info.st_size > limit:
            raise UsageError(
                f"{file}: {info.st_size:,} bytes is larger than the {limit:,}-byte limit for "
                "record files"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UsageError(f"{file}: larger than the {limit:,}-byte limit for record files")
    return data


def read_data(path: str | Path) -> Any:
    """The parsed content of a JSON or YAML file (exit-2 errors when unreadable)."""
    file = Path(path)
    fmt = _format_of(file)
    data = read_bytes(file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    return parse_text(text, fmt, str(file))


def validate_data(data: Any, model: type[Model], source: str) -> Model:
    """Validate parsed data; every problem is listed with its field path."""
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"{source}: expected a mapping of fields at the top level, got {type(data).__name__}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = describe_errors(exc, source, unknown_hint=", see `repro schema`")
        raise InvalidInputError(
            f"{source}: not a valid {model.__name__} ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''})",
            problems,
        ) from None
    except ValueError as exc:  # e.g. an unknown schema_version raised before field validation
        raise InvalidInputError(f"{source}: {exc}") from None


def load_record(path: str | Path) -> RunRecord:
    """Load and validate a record file (``.json``, ``.yaml``, ``.yml``)."""
    return validate_data(read_data(path), RunRecord, str(path))


def load_contributors(path: str | Path) -> Contributors:
    """Load a contributors file (``title`` and ``contributors``) or the contributors of a record."""
    data = read_data(path)
    if isinstance(data, dict) and "run" in data:
        return contributors_of(validate_data(data, RunRecord, str(path)), str(path))
    return validate_data(data, Contributors, str(path))


def contributors_of(record: RunRecord, source: str) -> Contributors:
    """The record's contributors document; a record listing none is invalid input (exit 1)."""
    try:
        return record.to_contributors(source)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def dump_record(record: RunRecord, fmt: str) -> str:
    """The record as JSON or YAML text (block style, key order kept, Unicode as is)."""
    if fmt == "json":
        return record.to_json()
    return yaml.safe_dump(record.to_dict(), sort_keys=False, allow_unicode=True, width=100)


def save_record(record: RunRecord, path: str | Path) -> Path:
    """Write a record atomically, as JSON or YAML by suffix."""
    file = Path(path)
    return write_atomic(file, dump_record(record, _format_of(file)))
