"""``--format`` options read from the format registry, so a registered format needs no CLI edit.

Choices and help are computed when Click asks for them (parsing, ``--help``), not at import,
so a format registered after the command module was imported still appears.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

from repro.errors import UsageError


def _registry() -> Any:
    from repro.rendering import registry

    return registry


class RegistryChoice(click.Choice):
    """A ``click.Choice`` whose choices are read from the registry each time they are needed."""

    def __init__(
        self,
        pick: Callable[[], Iterable[str]],
        quick: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self._pick = pick
        self._quick = quick  # a subset known without loading plugins (the built-ins)
        super().__init__((), case_sensitive=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if self._quick is not None and value in tuple(self._quick()):
            return value
        return super().convert(value, param, ctx)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        return tuple(self._pick())

    @choices.setter
    def choices(self, value: Any) -> None:  # click.Choice.__init__ assigns; the registry rules
        pass


class RegistryOption(click.Option):
    """An option whose help text is composed from the registry when ``--help`` shows it."""

    def __init__(self, *args: Any, describe: Callable[[], str], **kwargs: Any) -> None:
        self._describe = describe
        super().__init__(*args, **kwargs)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = self._describe()
        return super().get_help_record(ctx)


def variants(command: str) -> list[str]:
    """The ``--format`` choices of ``command``: the variants of the formats it offers."""
    return list(_registry().formats_of(command))


def format_help(command: str, intro: str = "") -> str:
    """``variant: description`` for each format ``command`` offers."""
    listed = "; ".join(
        f"{variant}: {fmt.description.rstrip('.')}"
        for variant, fmt in _registry().formats_of(command).items()
    )
    return f"{intro}{listed}."


def format_option(command: str, default: str, *flags: str, intro: str = "") -> Any:
    """The ``--format`` option of ``command``, its choices and help from the registry."""
    return click.option(
        *(flags or ("-f", "--format")),
        "fmt",
        cls=RegistryOption,
        type=RegistryChoice(
            lambda: variants(command), lambda: _registry().builtin_variants(command)
        ),
        default=default,
        show_default=True,
        describe=lambda: format_help(command, intro),
    )


def applicable(option: str, flag: str, fmt: Any, family: Iterable[Any]) -> None:
    """A usage error when ``flag`` (for the format option ``option``) was given with a format
    that does not take it, naming the formats that do."""
    if fmt.takes(option):
        return
    takers = [f.variant for f in family if f.takes(option)]
    raise UsageError(f"{flag} applies to --format {' or '.join(takers)}, not {fmt.variant}")
