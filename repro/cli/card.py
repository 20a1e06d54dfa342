"""``repro card SOURCE``: the model card of a record file or an MLflow run (Markdown or HTML)."""

from __future__ import annotations

import click

from repro.cli.formats import format_option
from repro.cli.options import output_option, tracking_uri_option, write_output
from repro.documents.credit import TEXT_STYLES


@click.command()
@click.argument("source")
@format_option("card", "md")
@click.option(
    "--template-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory of templates overriding the built-in ones by path (run sandboxed), "
    "e.g. DIR/card/md/intended-use.md.j2 for one section.",
)
@click.option(
    "--credit-style",
    type=click.Choice(TEXT_STYLES),
    default="elsevier",
    show_default=True,
    help="Style of the contribution statement in the card.",
)
@click.option(
    "--no-log-artifact",
    is_flag=True,
    help="html from an MLflow run: do not store the card on the run.",
)
@output_option
@tracking_uri_option
def card(
    source: str,
    fmt: str,
    template_dir: str | None,
    credit_style: str,
    no_log_artifact: bool,
    output: str | None,
    tracking_uri: str | None,
) -> None:
    """Write the model card of SOURCE (a record file, - for standard input, runs:/<id> or a
    run id).

    From an MLflow run, the HTML card plots the run's metric history and is also logged on
    the run as repro/model_card.html, so the MLflow UI shows it.
    """
    from repro.cli.progress import spinner
    from repro.files.sources import load_source, run_id_of
    from repro.rendering.api import render
    from repro.rendering.registry import format_of

    output_format = format_of("card", fmt)
    run_id = run_id_of(source)
    with spinner(f"reading {source}"):
        record = load_source(source, tracking_uri)
    options: dict[str, object] = {}
    if output_format.takes("credit_style"):
        options["credit_style"] = credit_style
    if output_format.takes("history") and run_id is not None:
        from repro.tracking.history import metric_history

        with spinner("reading the run's metric history"):
            options["history"] = metric_history(run_id, tracking_uri)
    with spinner(f"writing the {fmt} card"):
        text = render(record, output_format.name, template_dir=template_dir, **options)
    write_output(text, output)
    if output_format.suffix == ".html" and run_id is not None and not no_log_artifact:
        from repro.tracking.history import log_card_artifact

        with spinner("storing the card on the run"):
            path = log_card_artifact(run_id, text, tracking_uri)
        click.echo(f"repro: card logged on run {run_id} as {path}", err=True)
