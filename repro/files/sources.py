"""Resolve a command-line SOURCE (record file, ``-`` for standard input, or MLflow run) to a
record."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

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


STDIN = "-"
STDIN_NAME = "<stdin>"
_stdin_read = False


def read_stdin() -> Any:
    """The JSON or YAML document on standard input (JSON when it starts with ``{`` or ``[``),
    parsed; it can be read once per command (a second ``-`` is a usage error)."""
    from repro.files.records import MAX_FILE_BYTES, parse_text

    global _stdin_read
    if _stdin_read:
        raise UsageError("standard input (-) can be given as one SOURCE only")
    _stdin_read = True
    raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(f"{STDIN_NAME}: larger than {MAX_FILE_BYTES:,} bytes; not read")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{STDIN_NAME}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise UsageError(f"{STDIN_NAME}: no record on standard input")
    fmt = "json" if text.lstrip().startswith(("{", "[")) else "yaml"
    return parse_text(text, fmt, STDIN_NAME)


def load_record_file(path: str) -> RunRecord:
    """A record from a file, or from standard input when ``path`` is ``-``."""
    from repro.files.records import load_record, validate_data

    if path == STDIN:
        return validate_data(read_stdin(), RunRecord, STDIN_NAME)
    return load_record(path)


def load_source(source: str, tracking_uri: str | None = None) -> RunRecord:
    """A RunRecord from a record file, standard input (``-``) or an MLflow run."""
    if source == STDIN:
        return load_record_file(source)
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
    """Contributors from a contributors file, a record file, standard input (``-``: either of
    them), or an MLflow run."""
    from repro.files.records import contributors_of, load_contributors, validate_data

    if source == STDIN:
        data = read_stdin()
        if isinstance(data, dict) and "run" in data:
            return contributors_of(validate_data(data, RunRecord, STDIN_NAME), STDIN_NAME)
        return validate_data(data, Contributors, STDIN_NAME)

    if run_id_of(source) is not None:
        return contributors_of(load_source(source, tracking_uri), source)

    return load_contributors(source)
