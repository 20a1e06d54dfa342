"""Where the run came from: code version, command line, and compute spent."""

from __future__ import annotations

from pydantic import Field

from .base import Section, Sha256


class GitInfo(Section):
    """Code version of the working directory at capture time."""

    commit: str = Field(pattern=r"^[0-9a-f]{7,64}$")
    branch: str | None = Field(None, description="Absent = detached HEAD.")
    remote: str | None = Field(None, description="Origin URL with credentials removed.")
    dirty: bool = False
    diff_sha256: Sha256 | None = Field(None, description="Digest of the uncommitted diff.")
    diff_artifact: str | None = Field(
        None,
        description="Run artifact holding the uncommitted diff itself (tracked changes and "
        "untracked files, credentials redacted, size-capped), e.g. 'repro/git.diff'.",
    )
    diff_omitted: list[str] = Field(
        default_factory=list,
        description="Changed or untracked files left out of the diff artifact (over the size cap).",
    )


class Emissions(Section):
    """Energy use and CO2-equivalent emissions of the run, or why they were not measured."""

    measured: bool = Field(description="False = not measured (see reason); nothing is estimated.")
    energy_kwh: float | None = Field(None, ge=0, description="Energy the run consumed.")
    co2_eq_kg: float | None = Field(None, ge=0, description="CO2-equivalent emitted, in kg.")
    country: str | None = Field(None, description="ISO 3166-1 alpha-3 code of the grid used.")
    region: str | None = None
    tool: str | None = Field(None, description="What measured it, e.g. 'codecarbon 3.3.2'.")
    reason: str | None = Field(None, description="Why it was not measured.")


class Provenance(Section):
    """Code version, invocation and compute."""

    git: GitInfo | None = None
    command: list[str] | None = Field(None, description="argv with secrets redacted.")
    working_directory: str | None = None
    wall_time_s: float | None = Field(None, ge=0)
    device_hours: float | None = Field(None, ge=0, description="Wall time x devices, in hours.")
    emissions: Emissions | None = Field(None, description="Absent = not recorded.")
