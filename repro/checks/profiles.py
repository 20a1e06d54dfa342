"""Built-in and user profiles: YAML data files validated into strict :class:`Profile` models."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from repro.checks.models import Profile
from repro.errors import InvalidInputError, UsageError
from repro.files.records import parse_text, read_data
from repro.record import describe_errors

PROFILE_SUFFIXES = (".yaml", ".yml", ".json")


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with repro."""
    folder = resources.files("repro.checks") / "profiles"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def profile_from_data(data: object, source: str) -> Profile:
    """Validate parsed profile data; every unknown key and unknown record path is listed with
    ``source`` and its place in the file (``requirements[3].severty``)."""
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = describe_errors(exc, source, unknown_hint=" against the profile format")
        raise InvalidInputError(f"{source}: not a valid profile", problems) from None


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a user profile from a ``.yaml``/``.json`` file (read
    afresh each time; built-ins are read once)."""
    if name_or_path.endswith(PROFILE_SUFFIXES):
        return profile_from_data(read_data(Path(name_or_path)), name_or_path)
    return _builtin_profile(name_or_path)


@cache
def _builtin_profile(name_or_path: str) -> Profile:
    resource = resources.files("repro.checks") / "profiles" / f"{name_or_path}.yaml"
    if not resource.is_file():
        known = ", ".join(builtin_profiles())
        raise UsageError(f"unknown profile {name_or_path!r}; built-in profiles: {known}")
    source = f"profile {name_or_path}"
    return profile_from_data(
        parse_text(resource.read_text(encoding="utf-8"), "yaml", source), source
    )
