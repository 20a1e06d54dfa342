"""Reading and writing record files (JSON, YAML) with errors that name file and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from repro.errors import InvalidInputError, UsageError
from repro.files.atomic import write_atomic
from repro.record import Contributors, RunRecord, describe_errors

JSON_SUFFIXES = {".json"}
YAML_SUFFIXES = {".yaml", ".yml"}
Model = TypeVar("Model", bound=BaseModel)


class _StrictLoader(yaml.SafeLoader):
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
            return json.loads(text)
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise UsageError(f"{source}: not valid YAML{where}: {problem}") from None


def read_data(path: str | Path) -> Any:
    """The parsed content of a JSON or YAML file (exit-2 errors when unreadable)."""
    file = Path(path)
    fmt = _format_of(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{file}: no such file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror}") from None
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
