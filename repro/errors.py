"""Errors a user can act on; each carries its CLI exit code (docs/architecture.md, "Errors")."""

from __future__ import annotations


class ReproError(Exception):
    """Base error: the message is shown as-is, without a traceback."""

    exit_code = 1


class InvalidInputError(ReproError):
    """The input was read but is invalid (exit 1)."""

    exit_code = 1

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def __str__(self) -> str:
        head = super().__str__()
        return "\n".join([head, *("  " + p for p in self.problems)]) if self.problems else head


class UsageError(ReproError):
    """Bad usage, an unreadable or unparsable file, or an unreachable server (exit 2)."""

    exit_code = 2
