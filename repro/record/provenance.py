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


class Provenance(Section):
    """Code version, invocation and compute."""

    git: GitInfo | None = None
    command: list[str] | None = Field(None, description="argv with secrets redacted.")
    working_directory: str | None = None
    wall_time_s: float | None = Field(None, ge=0)
    device_hours: float | None = Field(None, ge=0, description="Wall time x devices, in hours.")
