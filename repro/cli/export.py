"""``repro export RUN``: an MLflow run back to its record (JSON or YAML)."""

from __future__ import annotations

import os

import click

from repro.cli.options import output_option, tracking_uri_option, write_output


@click.command()
@click.argument("run")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "yaml"]),
    default=None,
    help="Output format (default: from the -o suffix, else JSON).",
)
@output_option
@tracking_uri_option
def export(run: str, fmt: str | None, output: str | None, tracking_uri: str | None) -> None:
    """Export the record of MLflow run RUN (a run id, runs:/<id>, or a local-... id).

    Exit 1 when the run or its record is unknown, 2 when the tracking store is unreachable.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from repro.errors import UsageError
    from repro.files.records import dump_record
    from repro.files.sources import run_id_of
    from repro.tracking.load import load_run

    run_id = run if run.startswith("local-") else run_id_of(run)
    if run_id is None:
        raise UsageError(f"{run}: not a run id (32 hex characters, runs:/<id> or local-<id>)")
    if fmt is None:
        fmt = "yaml" if output and output.lower().endswith((".yaml", ".yml")) else "json"
    record = load_run(run_id, tracking_uri=tracking_uri)
    write_output(dump_record(record, fmt), output)
