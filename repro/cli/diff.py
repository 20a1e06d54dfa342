"""``repro diff SOURCE SOURCE``: what differs between two runs, arranged for a reader."""

from __future__ import annotations

import click

from repro.cli.options import output_option, tracking_uri_option, write_output


@click.command()
@click.argument("left")
@click.argument("right")
@click.option(
    "--config-only",
    is_flag=True,
    help="Only the configuration: what the user chose (no seeds, results or environment).",
)
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Also show fields that differ between any two runs (name, description, times).",
)
@click.option("--times", "show_all", is_flag=True, hidden=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "json"]),
    default="text",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@tracking_uri_option
@output_option
def diff(
    left: str,
    right: str,
    config_only: bool,
    show_all: bool,
    fmt: str,
    as_json: bool,
    tracking_uri: str | None,
    output: str | None,
) -> None:
    """Show what differs between two records or runs, by section: configuration, seed, results,
    diagnostics (summarised), then the rest; alike sections collapsed (exit 0 either way)."""
    from repro.files.sources import load_source
    from repro.report.diff import compare_records, format_json, format_markdown, format_text

    result = compare_records(
        load_source(left, tracking_uri),
        load_source(right, tracking_uri),
        names=(left, right),
        config_only=config_only,
        show_all=show_all,
    )
    formatter = {"text": format_text, "md": format_markdown, "json": format_json}
    write_output(formatter["json" if as_json else fmt](result), output)
