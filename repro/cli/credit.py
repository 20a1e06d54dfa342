"""``repro credit SOURCE --format ...``: the authors' CRediT statement in a journal format."""

from __future__ import annotations

import click

from repro.cli.formats import applicable, format_option
from repro.cli.options import (
    bom_option,
    check_bom,
    output_option,
    template_dir_option,
    tracking_uri_option,
    write_output,
)
from repro.documents.credit import TEXT_STYLES


@click.command()
@click.argument("source")
@format_option("credit", "text")
@click.option(
    "--style",
    type=click.Choice(TEXT_STYLES),
    default=None,
    help="Statement style for text and bibtex: elsevier ('Name: Role, Role.'), role-first "
    "('Role: A, B, and C.'), degrees ('Name: Role (lead), Role.'). Default: elsevier.",
)
@click.option("--article", is_flag=True, help="jats: wrap the <contrib-group> in an <article>.")
@click.option("--biblatex", is_flag=True, help="bibtex: add biblatex role annotations.")
@click.option("--journal-id", default=None, help="jats --article: the journal's id.")
@click.option("--journal-title", default=None, help="jats --article: the journal's title.")
@click.option("--issn", default=None, help="jats --article: the journal's ISSN.")
@bom_option
@template_dir_option
@output_option
@tracking_uri_option
def credit(
    source: str,
    fmt: str,
    style: str | None,
    article: bool,
    biblatex: bool,
    journal_id: str | None,
    journal_title: str | None,
    issn: str | None,
    bom: bool,
    template_dir: str | None,
    output: str | None,
    tracking_uri: str | None,
) -> None:
    """Write the CRediT statement of SOURCE (a contributors file, a record file, - for
    standard input, or an MLflow run) as text, JATS XML, schema.org JSON-LD, CSV or BibTeX."""
    from repro.documents.credit import bidi_warnings
    from repro.files.sources import load_contributors_source
    from repro.rendering.api import render
    from repro.rendering.registry import formats_of

    family = formats_of("credit")
    output_format = family[fmt]
    check_bom(bom, output_format)
    options: dict[str, object] = {}
    for option, flag, value in (
        ("style", "--style", style),
        ("article", "--article", article or None),
        ("biblatex", "--biblatex", biblatex or None),
        ("journal_id", "--journal-id", journal_id),
        ("journal_title", "--journal-title", journal_title),
        ("issn", "--issn", issn),
    ):
        if value is not None:
            applicable(option, flag, output_format, family.values())
            options[option] = value
    contributors = load_contributors_source(source, tracking_uri)
    for warning in bidi_warnings(contributors):
        click.echo(f"repro: warning: {source}: {warning}", err=True)
    text = render(contributors, output_format.name, template_dir=template_dir, **options)
    write_output(text, output, bom=bom)
