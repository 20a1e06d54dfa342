"""``repro report SOURCE...``: many runs as a paper table (results over seeds, hyperparameters)."""

from __future__ import annotations

import click

from repro.cli.options import output_option, tracking_uri_option, write_output


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
    type=click.Choice(["results", "hparams"]),
    default="results",
    show_default=True,
    help="results: mean ± std, CI and n per group; hparams: one column per run.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "latex", "html", "csv"]),
    default="md",
    show_default=True,
    help="hparams tables come as md or latex.",
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

    if table == "hparams" and fmt not in ("md", "latex"):
        raise UsageError(f"--table hparams comes as md or latex, not {fmt}")
    records = [load_source(source, tracking_uri) for source in sources]
    if table == "hparams":
        options = {"caption": caption} if caption else {}
        text = render(records, f"hparams-{fmt}", **options)
    else:
        text = render(
            records, f"results-{fmt}", group_by=list(group_by) or None, level=level, caption=caption
        )
    write_output(text, output)
