"""Resolve a command-line SOURCE (record file or MLflow run) to a record."""

from __future__ import annotations

import re
from pathlib import Path

from repro.errors import UsageError
from repro.record import Contributors, RunRecord

_RUN_URI = re.compile(r"^runs:/([0-9a-zA-Z_-]+)/?$")
_BARE_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
RECORD_SUFFIXES = {".json", ".yaml", ".yml"}


def run_id_of(source: str) -> str | None:
    """The MLflow run id a SOURCE names (``runs:/<id>`` or a bare 32-hex id), else None."""
    match = _RUN_URI.match(source)
    if match:
        return match.group(1)
    if _BARE_RUN_ID.match(source) and not Path(source).exists():
        return source
    return None


def load_source(source: str, tracking_uri: str | None = None) -> RunRecord:
    """A RunRecord from a record file or an MLflow run."""
    run_id = run_id_of(source)
    if run_id is not None:
        from repro.tracking.load import load_run

        return load_run(run_id, tracking_uri=tracking_uri)
    path = Path(source)
    if path.suffix.lower() not in RECORD_SUFFIXES:
        raise UsageError(
            f"{source}: not a record file (.json, .yaml, .yml) nor an MLflow run "
            "(runs:/<run_id> or a 32-character run id)"
        )
    from repro.files.records import load_record

    return load_record(path)


def load_contributors_source(source: str, tracking_uri: str | None = None) -> Contributors:
    """Contributors from a contributors file, a record file, or an MLflow run."""
    from repro.files.records import contributors_of, load_contributors

    if run_id_of(source) is not None:
        return contributors_of(load_source(source, tracking_uri), source)

    return load_contributors(source)
