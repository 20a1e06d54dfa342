"""Built-in and user profiles: YAML data files validated into strict :class:`Profile` models.

A user profile may ``extends: <built-in name>``: the built-in's requirements come first, one
of the user's with the same id replaces it, the others are added. A malformed profile is bad
usage (exit 2), named with the file and the place of each problem.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from repro.checks.models import Profile
from repro.errors import UsageError
from repro.files.records import parse_text, read_data
from repro.record import describe_errors

PROFILE_SUFFIXES = (".yaml", ".yml", ".json")


class ProfileError(UsageError):
    """A profile that cannot be used: one line for the file, one per problem (exit 2)."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *("  " + p for p in self.problems)])


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
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = describe_errors(exc, source, unknown_hint=" against the profile format")
        raise ProfileError(f"{source}: not a valid profile", problems) from None
    if profile.extends is None:
        return profile
    if profile.extends == profile.name:
        raise ProfileError(f"{source}: not a valid profile", [f"{source}: extends: itself"])
    base = _builtin_profile(profile.extends)
    own = {r.id: r for r in profile.requirements}
    merged = [own.pop(r.id, r) for r in base.requirements] + list(own.values())
    return profile.model_copy(update={"requirements": tuple(merged)})


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
