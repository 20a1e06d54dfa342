"""``repro checklist SOURCE... --profile NAME``: the venue's checklist, answered from the runs."""

from __future__ import annotations

import click

from repro.cli.formats import format_option
from repro.cli.options import output_option, tracking_uri_option, write_output


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--profile",
    default="neurips",
    show_default=True,
    help="The checklist: a built-in profile (neurips, acl, reforms, ...) or a profile file.",
)
@format_option("checklist", "latex", "--format")
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    metavar="NAME",
    help="Every run of this MLflow experiment (repeatable).",
)
@tracking_uri_option
@output_option
def checklist(
    sources: tuple[str, ...],
    profile: str,
    fmt: str,
    experiments: tuple[str, ...],
    tracking_uri: str | None,
    output: str | None,
) -> None:
    """Answer a checklist's questions from records or runs (several are one paper's group):
    yes/no/n/a with a justification drawn from the records and the authors' attestations."""
    from repro.checks.profiles import load_profile
    from repro.cli.check import read_records
    from repro.errors import UsageError
    from repro.rendering.api import render
    from repro.rendering.registry import format_of

    if not sources and not experiments:
        raise UsageError("give record files or MLflow runs (SOURCE...), or --experiment NAME")
    output_format = format_of("checklist", fmt)
    prof = load_profile(profile)
    _, records = read_records(sources, experiments, tracking_uri)
    write_output(render(records, output_format.name, profile=prof), output)
