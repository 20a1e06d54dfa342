"""``repro log FILE``: log a record file as an MLflow run; prints the run id."""

from __future__ import annotations

import click

from repro.cli.options import tracking_uri_option


@click.command(name="log")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--experiment", default=None, help="Experiment name (default: the record's).")
@tracking_uri_option
def log(file: str, experiment: str | None, tracking_uri: str | None) -> None:
    """Log the record FILE (.json, .yaml; - reads standard input) as a run with its params,
    tags, results and record.

    Exit 1 when the record is invalid, 2 when it cannot be read or the store is unreachable.
    """
    from repro.files.sources import load_record_file
    from repro.tracking.logfile import log_record

    record = load_record_file(file)
    click.echo(log_record(record, experiment=experiment, tracking_uri=tracking_uri))
