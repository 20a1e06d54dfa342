"""``repro sync``: replay local journals into MLflow and end runs whose process died."""

from __future__ import annotations

import click

from repro.cli.options import tracking_uri_option


@click.command()
@tracking_uri_option
@click.option(
    "--journal-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Journal directory (default: $REPRO_JOURNAL_DIR, else ./.repro/journal).",
)
def sync(tracking_uri: str | None, journal_dir: str | None) -> None:
    """Send what the journals hold but MLflow lacks, exactly once; mark dead runs KILLED.

    Exit 2 when a tracking store is unreachable, 1 when a journal could not be synced.
    """
    from repro.cli.progress import spinner
    from repro.errors import InvalidInputError, UsageError
    from repro.tracking.sync import sync as run_sync

    with spinner("replaying journals into MLflow"):
        report = run_sync(tracking_uri=tracking_uri, journal_dir=journal_dir)
    for run in report.runs:
        line = f"{run.outcome:<11} {run.local_id}"
        if run.run_id:
            line += f" -> {run.run_id}"
        if run.outcome == "synced":
            line += f" [{run.status}] {run.metrics_sent} metrics sent"
            if run.metrics_present:
                line += f", {run.metrics_present} already in MLflow"
            if run.artifacts_sent:
                line += f", {run.artifacts_sent} artifacts"
        if run.message:
            line += f" ({run.message})"
        click.echo(line, err=run.outcome in ("unreachable", "error"))
    synced = len(report.synced)
    click.echo(f"{synced} run{'s' if synced != 1 else ''} synced from {report.journal_dir}")
    unreachable = [r for r in report.runs if r.outcome == "unreachable"]
    if unreachable:
        raise UsageError(unreachable[0].message or "tracking store unreachable")
    errors = [r for r in report.runs if r.outcome == "error"]
    if errors:
        raise InvalidInputError(f"{len(errors)} journal(s) could not be synced; see above")
