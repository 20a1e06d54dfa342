"""The ``repro`` command line: a lazy group, so each command imports only what it needs."""

from __future__ import annotations

import importlib
import os
import sys

import click

from repro.errors import ReproError

# command name -> "module:attribute"; one module per command (see docs/architecture.md).
COMMANDS: dict[str, str] = {
    "card": "repro.cli.card:card",
    "check": "repro.cli.check:check",
    "checklist": "repro.cli.checklist:checklist",
    "credit": "repro.cli.credit:credit",
    "diff": "repro.cli.diff:diff",
    "export": "repro.cli.export:export",
    "log": "repro.cli.log:log",
    "paper": "repro.cli.paper:paper",
    "render": "repro.cli.render:render",
    "report": "repro.cli.report:report",
    "runs": "repro.cli.runs:runs",
    "schema": "repro.cli.schema:schema",
    "sync": "repro.cli.sync:sync",
    "validate": "repro.cli.validate:validate",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use, keeping ``--help`` fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="repro", prog_name="repro")
def cli() -> None:
    """Record RNN/LSTM/GRU training runs, track them in MLflow, render what a paper needs."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: known errors print one clear paragraph and exit 1 or 2, never a traceback."""
    try:
        cli.main(args=argv, prog_name="repro", standalone_mode=False)
    except ReproError as exc:
        from repro.cli._terminal import printable  # data in a message never drives the terminal

        click.echo(f"repro: error: {printable(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("repro: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("REPRO_DEBUG"):
            raise
        click.echo(
            f"repro: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in repro; rerun with REPRO_DEBUG=1 for the traceback and report it.",
            err=True,
        )
        sys.exit(1)
    sys.exit(0)
