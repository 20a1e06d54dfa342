"""Validate many record files and summarise the outcome for the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from repro.errors import ReproError
from repro.files.sources import load_record_file


@dataclass
class FileOutcome:
    path: str
    error: ReproError | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.error is None else self.error.exit_code


@dataclass
class ValidationOutcome:
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """2 if any file was unreadable, else 1 if any was invalid, else 0."""
        return max((f.exit_code for f in self.files), default=0)

    def lines(self, quiet: bool = False) -> list[str]:
        out = []
        for item in self.files:
            if item.error is None:
                if not quiet:
                    out.append(f"ok: {item.path}")
            else:
                out.append(str(item.error))
        return out


def validate_files(paths: Iterable[str]) -> ValidationOutcome:
    """Validate each file independently; one bad file does not hide the others."""
    outcome = ValidationOutcome()
    for path in paths:
        try:
            load_record_file(path)
        except ReproError as exc:
            outcome.files.append(FileOutcome(path, exc))
        else:
            outcome.files.append(FileOutcome(path))
    return outcome
