"""Options and output handling shared by commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

output_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file (atomically) instead of stdout.",
)

template_dir_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--template-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory of templates overriding the built-in ones by path (run sandboxed).",
)

tracking_uri_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--tracking-uri",
    envvar="MLFLOW_TRACKING_URI",
    default=None,
    help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else MLflow's local store).",
)


bom_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--bom",
    is_flag=True,
    help="csv: start the file with a UTF-8 byte-order mark, so Excel reads it as UTF-8.",
)

BOM = "\ufeff"


def check_bom(bom: bool, output_format: Any) -> None:
    """A usage error for ``--bom`` with a format that is not CSV."""
    if bom and output_format.media_type != "text/csv":
        raise click.UsageError(f"--bom applies to CSV output, not {output_format.name}")


def write_output(text: str | bytes, output: str | None, *, bom: bool = False) -> None:
    """Send command output to stdout, or atomically to ``output``; ``bom`` prefixes a UTF-8
    byte-order mark (a CSV for Excel)."""
    if bom and isinstance(text, str) and not text.startswith(BOM):
        text = BOM + text
    if output is None:
        if isinstance(text, bytes):
            click.get_binary_stream("stdout").write(text)
        else:
            click.echo(text, nl=not text.endswith("\n"))
        return
    from repro.files.atomic import write_atomic

    write_atomic(output, text)
