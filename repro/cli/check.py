"""``repro check SOURCE... --profile NAME``: fail a build when required details are missing."""

from __future__ import annotations

import click

from repro.cli.options import output_option, tracking_uri_option, write_output


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--profile",
    default="ml-reproducibility",
    show_default=True,
    help="Built-in profile name (ml-reproducibility, model-card) or a profile .yaml file.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "junit"]),
    default="text",
    show_default=True,
)
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
    """Check records or runs against a reporting standard; exit 1 when a requirement is unmet."""
    from repro.checks.engine import check as run_check
    from repro.checks.output import format_report
    from repro.files.sources import load_source

    records = [load_source(source, tracking_uri) for source in sources]
    report = run_check(records, profile, names=list(sources))
    write_output(format_report(report, fmt, files={s: s for s in sources}), output)
    failed = not report.passed or (strict and report.warnings)
    raise SystemExit(1 if failed else 0)
