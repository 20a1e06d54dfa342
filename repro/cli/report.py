"""``repro report SOURCE...``: many runs as a paper table (results over seeds, hyperparameters)."""

from __future__ import annotations

import click

from repro.cli.formats import RegistryChoice, RegistryOption
from repro.cli.options import output_option, tracking_uri_option, write_output


def _tables() -> dict[str, list]:  # type: ignore[type-arg]
    from repro.rendering.registry import families_of

    return families_of("report")


def _table_help() -> str:
    listed = ", ".join(
        f"{name} ({', '.join(f.variant for f in fmts)})" for name, fmts in _tables().items()
    )
    return (
        "The table to write: results is mean ± std, CI and n per group of runs; hparams puts "
        f"one run per column. Each comes in the formats listed: {listed}."
    )


def _format_help() -> str:
    return "Output format (the formats of each table are listed under --table)."


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--group-by",
    "group_by",
    multiple=True,
    metavar="FIELD",
    help="Group runs by this field path (repeatable), e.g. architecture.recurrent_layers[0].cell."
    " Default: runs whose configuration differs only in seeds form a group.",
)
@click.option(
    "--table",
    cls=RegistryOption,
    type=RegistryChoice(lambda: list(_tables())),
    default="results",
    show_default=True,
    describe=_table_help,
)
@click.option(
    "--format",
    "fmt",
    cls=RegistryOption,
    type=RegistryChoice(
        lambda: list(dict.fromkeys(f.variant for fmts in _tables().values() for f in fmts))
    ),
    default="md",
    show_default=True,
    describe=_format_help,
)
@click.option(
    "--level",
    type=click.FloatRange(0.5, 0.999),
    default=0.95,
    show_default=True,
    help="Confidence level of the intervals.",
)
@click.option("--caption", default=None, help="Table caption.")
@tracking_uri_option
@output_option
def report(
    sources: tuple[str, ...],
    group_by: tuple[str, ...],
    table: str,
    fmt: str,
    level: float,
    caption: str | None,
    tracking_uri: str | None,
    output: str | None,
) -> None:
    """Aggregate runs (mean ± std, Student-t CI, n) into a Markdown, LaTeX, HTML or CSV table,
    or lay their hyperparameters side by side (--table hparams), rows that differ marked."""
    from repro.errors import UsageError
    from repro.files.sources import load_source
    from repro.rendering.api import render

    by_variant = {f.variant: f for f in _tables()[table]}
    if fmt not in by_variant:
        raise UsageError(f"--table {table} comes as {' or '.join(by_variant)}, not {fmt}")
    output_format = by_variant[fmt]
    records = [load_source(source, tracking_uri) for source in sources]
    given = {"group_by": list(group_by) or None, "level": level, "caption": caption}
    options = {name: value for name, value in given.items() if output_format.takes(name)}
    write_output(render(records, output_format.name, **options), output)
