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
@click.option(
    "--to",
    "to",
    default=None,
    metavar="URI",
    help="Deliver the journals to this store instead of the one they were recorded for "
    "(all journals, or those of --tracking-uri when given).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Also end runs of another host that never closed, and recreate runs the server "
    "lost (e.g. after restoring an older database).",
)
def sync(tracking_uri: str | None, journal_dir: str | None, to: str | None, force: bool) -> None:
    """Send what the journals hold but MLflow lacks, exactly once; mark dead runs KILLED.

    Only journals recorded for the tracking store sync is pointed at are synced (--tracking-uri,
    else MLFLOW_TRACKING_URI, else MLflow's default); others are listed as other-uri.

    Exit 2 when the tracking store is unreachable, 1 when a journal could not be synced or
    held entries that could not be delivered (each is listed), else 0.
    """
    from repro.cli._terminal import printable
    from repro.cli.progress import spinner
    from repro.errors import InvalidInputError, UsageError
    from repro.tracking.sync import sync as run_sync

    with spinner("replaying journals into MLflow"):
        report = run_sync(tracking_uri=tracking_uri, journal_dir=journal_dir, to=to, force=force)
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
        details = [*run.notes, *([run.message] if run.message else [])]
        if details:
            line += f" ({'; '.join(details)})"
        failed = run.outcome in ("unreachable", "error", "missing") or run.undelivered
        click.echo(printable(line), err=bool(failed))
    synced = len(report.synced)
    click.echo(
        printable(f"{synced} run{'s' if synced != 1 else ''} synced from {report.journal_dir}")
    )
    unreachable = [r for r in report.runs if r.outcome == "unreachable"]
    if unreachable:
        raise UsageError(printable(unreachable[0].message or "tracking store unreachable"))
    failed = report.failed
    if failed:
        raise InvalidInputError(f"{len(failed)} journal(s) could not be synced; see above")
    if report.undelivered:
        raise InvalidInputError(
            f"{report.undelivered} journaled entr{'y' if report.undelivered == 1 else 'ies'} "
            "could not be delivered; see above (the journals are retired: this is reported once)"
        )
