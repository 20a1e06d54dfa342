"""``repro runs``: list runs with their key fields (a rich table on a terminal, else text)."""

from __future__ import annotations

import os

import click

from repro.cli.options import tracking_uri_option


@click.command()
@click.option("--experiment", default=None, help="Experiment name (default: all experiments).")
@click.option("--max", "max_runs", type=click.IntRange(min=1), default=None, help="At most N runs.")
@click.option(
    "--json", "as_json", is_flag=True, help="A JSON array of runs (one object per run) on stdout."
)
@tracking_uri_option
def runs(
    experiment: str | None, max_runs: int | None, as_json: bool, tracking_uri: str | None
) -> None:
    """List runs newest first: id, name, status, cell types, main metric, check, start time.

    The check column is the ml-reproducibility profile's verdict, stored as a tag when the run
    ended ("—" for runs logged without repro).

    Output is tab-separated text when stdout is not a terminal; in it a backslash, tab,
    newline or carriage return inside a value is written \\\\, \\t, \\n, \\r and other control
    characters \\xNN, so every run is one line of seven fields. On a terminal the same
    characters are shown escaped and nothing in a value is read as markup; run ids are never
    wrapped. --json writes a JSON array of runs instead (values as they are).
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn
    from rich.table import Table
    from rich.text import Text

    from repro.cli._terminal import cell, field
    from repro.tracking.listing import COLUMNS, iter_runs

    err = Console(stderr=True)
    out = Console()
    rows = []
    with Progress(
        SpinnerColumn(),
        TextColumn("fetching runs: {task.completed} so far"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("runs", total=None)
        for row in iter_runs(
            experiment,
            tracking_uri,
            max_runs,
            on_page=lambda n: progress.advance(task, n),
        ):
            rows.append(row)
    if as_json:
        import json

        listed = [dict(zip(COLUMNS, row.cells_text(), strict=True)) for row in rows]
        # ASCII escapes: no control or bidi character from a value reaches the terminal raw
        click.echo(json.dumps(listed, ensure_ascii=True, indent=2))
        return
    if not out.is_terminal:
        click.echo("\t".join(COLUMNS))
        for row in rows:
            click.echo("\t".join(field(value) for value in row.cells_text()))
        return
    table = Table(title=f"{len(rows)} run{'s' if len(rows) != 1 else ''}")
    for column in COLUMNS:
        if column == "run_id":  # an id is copied whole: never wrapped, never cut
            table.add_column("run id", no_wrap=True, min_width=32, overflow="ignore")
        else:
            table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell(value)) for value in row.cells_text()))
    out.print(table)
