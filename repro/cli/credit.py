"""``repro credit SOURCE --format ...``: the authors' CRediT statement in a journal format."""

from __future__ import annotations

import click

from repro.cli.options import output_option, tracking_uri_option, write_output

FORMATS = ("text", "jats", "jsonld", "csv", "bibtex")
STYLES = ("elsevier", "role-first", "degrees")


@click.command()
@click.argument("source")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--style",
    type=click.Choice(STYLES),
    default=None,
    help="Statement style for text and bibtex: elsevier ('Name: Role, Role.'), role-first "
    "('Role: A, B, and C.'), degrees ('Name: Role (lead), Role.'). Default: elsevier.",
)
@click.option("--article", is_flag=True, help="jats: wrap the <contrib-group> in an <article>.")
@click.option("--biblatex", is_flag=True, help="bibtex: add biblatex role annotations.")
@click.option(
    "--template-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory of templates overriding the built-in ones by path (run sandboxed).",
)
@output_option
@tracking_uri_option
def credit(
    source: str,
    fmt: str,
    style: str | None,
    article: bool,
    biblatex: bool,
    template_dir: str | None,
    output: str | None,
    tracking_uri: str | None,
) -> None:
    """Write the CRediT statement of SOURCE (a contributors file, a record file or an MLflow
    run) as text, JATS XML, schema.org JSON-LD, CSV or BibTeX."""
    from repro.documents.credit import bidi_warnings
    from repro.errors import UsageError
    from repro.files.sources import load_contributors_source
    from repro.rendering.api import render

    options: dict[str, object] = {}
    if style is not None:
        if fmt not in ("text", "bibtex"):
            raise UsageError(f"--style applies to --format text or bibtex, not {fmt}")
        options["style"] = style
    if article:
        if fmt != "jats":
            raise UsageError(f"--article applies to --format jats, not {fmt}")
        options["article"] = True
    if biblatex:
        if fmt != "bibtex":
            raise UsageError(f"--biblatex applies to --format bibtex, not {fmt}")
        options["biblatex"] = True
    contributors = load_contributors_source(source, tracking_uri)
    for warning in bidi_warnings(contributors):
        click.echo(f"repro: warning: {source}: {warning}", err=True)
    text = render(contributors, f"credit-{fmt}", template_dir=template_dir, **options)
    write_output(text, output)
