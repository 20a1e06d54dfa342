"""``repro validate FILE...``: check record files against the schema."""

from __future__ import annotations

import click


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-q", "--quiet", is_flag=True, help="Print problems only.")
def validate(files: tuple[str, ...], quiet: bool) -> None:
    """Validate record files (- reads standard input); every problem is reported with file
    and field path.

    Exit 0 when all are valid, 1 when one is invalid, 2 when one cannot be read or parsed.
    """
    from repro.files.validation import validate_files

    outcome = validate_files(files)
    for line in outcome.lines(quiet=quiet):
        click.echo(line, err=not line.startswith("ok"))
    raise SystemExit(outcome.exit_code)
