"""``repro check SOURCE... --profile NAME``: fail a build when required details are missing."""

from __future__ import annotations

import click

from repro.cli.formats import format_option
from repro.cli.options import output_option, tracking_uri_option, write_output


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--profile",
    default="ml-reproducibility",
    show_default=True,
    help="Built-in profile name (ml-reproducibility, model-card) or a profile .yaml file.",
)
@format_option("check", "text", "--format")
@click.option("--strict", is_flag=True, help="Warnings fail the check too.")
@tracking_uri_option
@output_option
def check(
    sources: tuple[str, ...],
    profile: str,
    fmt: str,
    strict: bool,
    tracking_uri: str | None,
    output: str | None,
) -> None:
    """Check records or runs (a SOURCE of - reads standard input) against a reporting
    standard; exit 1 when a requirement is unmet."""
    from repro.checks import check as run_check
    from repro.cli.progress import each
    from repro.files.sources import load_source
    from repro.rendering.api import render
    from repro.rendering.registry import formats_of

    output_format = formats_of("check")[fmt]
    records = [
        load_source(source, tracking_uri)
        for source in each(sources, "reading records", total=len(sources))
    ]
    report = run_check(records, profile, names=list(sources))
    options = {"files": {s: s for s in sources}} if output_format.takes("files") else {}
    write_output(render(report, output_format.name, **options), output)
    failed = not report.passed or (strict and report.warnings)
    raise SystemExit(1 if failed else 0)
