"""``repro schema``: the JSON Schema of RunRecord."""

from __future__ import annotations

import click

from repro.cli.options import output_option, write_output


@click.command()
@click.option("--contributors", is_flag=True, help="Schema of a contributors file instead.")
@output_option
def schema(contributors: bool, output: str | None) -> None:
    """Print the JSON Schema of a run record (or of a contributors file)."""
    from repro.files.schema import json_schema_text

    write_output(json_schema_text("contributors" if contributors else "record"), output)
