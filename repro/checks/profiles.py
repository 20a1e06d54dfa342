"""Built-in and user profiles: YAML data files validated into Profile objects."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from repro.checks.engine import Profile
from repro.errors import InvalidInputError, UsageError
from repro.record import describe_errors

_ADAPTER = TypeAdapter(Profile)


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with repro."""
    folder = resources.files("repro.checks") / "profiles"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


@cache
def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a user profile from a ``.yaml`` file."""
    from repro.files.records import read_data

    if name_or_path.endswith((".yaml", ".yml", ".json")):
        source, data = name_or_path, read_data(Path(name_or_path))
    else:
        resource = resources.files("repro.checks") / "profiles" / f"{name_or_path}.yaml"
        if not resource.is_file():
            known = ", ".join(builtin_profiles())
            raise UsageError(f"unknown profile {name_or_path!r}; built-in profiles: {known}")
        from repro.files.records import parse_text

        source = f"profile {name_or_path}"
        data = parse_text(resource.read_text(encoding="utf-8"), "yaml", source)
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = describe_errors(exc, source)
        raise InvalidInputError(f"{source}: not a valid profile", problems) from None
