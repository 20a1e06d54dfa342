"""``repro render SOURCE... --format NAME``: any registered format, built-in or from a plugin."""

from __future__ import annotations

import json
from typing import Any

import click

from repro.cli.formats import RegistryChoice
from repro.cli.options import (
    output_option,
    template_dir_option,
    tracking_uri_option,
    write_output,
)


def _names() -> list[str]:
    from repro.rendering.registry import FORMATS

    return list(FORMATS)


class ListingFormats(click.Command):
    """A command whose ``--help`` ends with every registered format and its description."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from repro.rendering.registry import FORMATS

        with formatter.section("Formats"):
            formatter.write_dl([(f.name, f.description) for f in FORMATS.values()])


def _option(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"{text!r} is not KEY=VALUE", param_hint="'-O' / '--option'")
    try:
        value = json.loads(raw)  # numbers, true/false, null, lists
    except json.JSONDecodeError:
        value = raw
    return key.strip().replace("-", "_"), value


@click.command(cls=ListingFormats)
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "-f",
    "--format",
    "fmt",
    required=True,
    metavar="NAME",
    type=RegistryChoice(_names),
    help="The format to write (one of those listed below).",
)
@click.option(
    "-O",
    "--option",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option of the format's document (repeatable), e.g. -O style=role-first; "
    'VALUE is read as JSON when it parses (true, 3, ["a"]), else as text.',
)
@template_dir_option
@output_option
@tracking_uri_option
def render(
    sources: tuple[str, ...],
    fmt: str,
    pairs: tuple[str, ...],
    template_dir: str | None,
    output: str | None,
    tracking_uri: str | None,
) -> None:
    """Render SOURCE (record files, contributors files, - for standard input, or MLflow runs)
    in any registered format, including those other packages add through the repro.formats
    entry point group."""
    from repro.errors import UsageError
    from repro.files.sources import load_contributors_source, load_source, run_id_of
    from repro.record import Contributors, RunRecord
    from repro.rendering.api import render as render_source
    from repro.rendering.registry import get_format

    output_format = get_format(fmt)
    options = dict(_option(pair) for pair in pairs)
    accepts = output_format.accepts
    source: Any
    if len(sources) == 1 and Contributors in accepts:
        source = load_contributors_source(sources[0], tracking_uri)
    elif len(sources) == 1 and RunRecord in accepts:
        source = load_source(sources[0], tracking_uri)
        run_id = run_id_of(sources[0])
        if run_id is not None and output_format.takes("history") and "history" not in options:
            from repro.tracking.history import metric_history

            options["history"] = metric_history(run_id, tracking_uri)
    elif list in accepts:
        source = [load_source(s, tracking_uri) for s in sources]
    else:
        what = " or ".join(t.__name__ for t in accepts)
        many = "one SOURCE" if len(sources) > 1 and RunRecord in accepts else "a " + what
        command = f"; use `repro {output_format.command}`" if output_format.command else ""
        raise UsageError(f"format {fmt!r} renders {many}, which SOURCE does not give{command}")
    text = render_source(source, fmt, template_dir=template_dir, **options)
    write_output(text, output)
