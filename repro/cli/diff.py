"""``repro diff SOURCE SOURCE``: what differs between two runs."""

from __future__ import annotations

import click

from repro.cli.options import output_option, tracking_uri_option, write_output


@click.command()
@click.argument("left")
@click.argument("right")
@click.option("--times", is_flag=True, help="Also compare created/started/ended times.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@tracking_uri_option
@output_option
def diff(
    left: str, right: str, times: bool, as_json: bool, tracking_uri: str | None, output: str | None
) -> None:
    """Show every field that differs between two records or runs (exit 0 either way)."""
    import json

    from repro.files.sources import load_source
    from repro.record.paths import MISSING
    from repro.report.diff import diff_records, format_changes

    changes = diff_records(
        load_source(left, tracking_uri), load_source(right, tracking_uri), include_times=times
    )
    if as_json:
        payload = [
            {"path": c.path}
            | ({"left": c.left} if c.left is not MISSING else {})
            | ({"right": c.right} if c.right is not MISSING else {})
            for c in changes
        ]
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    else:
        text = format_changes(changes, left, right)
    write_output(text, output)
