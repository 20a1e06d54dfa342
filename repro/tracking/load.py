"""``repro.load_run``: an MLflow run back to the RunRecord it was logged from.

The record is read from the run's ``repro/record.json`` artifact, so the result equals the
``run.record`` of the ``track()`` that logged it. A local id (``local-...``) of a run logged
while the store was down resolves through its journal.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from repro.errors import InvalidInputError
from repro.files.records import validate_data
from repro.record import RunRecord
from repro.tracking import journal as jr
from repro.tracking.flatten import RECORD_ARTIFACT
from repro.tracking.store import open_client, resolve_uri, translate


def _from_journal(local_id: str, journal_dir: Path) -> tuple[str | None, RunRecord | None]:
    """(MLflow run id, journaled final record) for a local id."""
    path = jr.find_journal(journal_dir, local_id)
    if path is None:
        raise InvalidInputError(f"run {local_id}: no journal for it in {journal_dir}")
    state = jr.read_journal(path)
    record = None
    if state.close is not None:
        record = validate_data(state.close["record"], RunRecord, f"{path}: close record")
    return state.run_id, record


def load_run(
    run_id: str, tracking_uri: str | None = None, journal_dir: str | Path | None = None
) -> RunRecord:
    """The RunRecord stored with MLflow run ``run_id``.

    Raises InvalidInputError (exit 1) for an unknown run or a run without a repro record, and
    UsageError (exit 2) when the tracking store cannot be reached.
    """
    if run_id.startswith(jr.LOCAL_ID_PREFIX):
        directory = Path(journal_dir).absolute() if journal_dir else jr.default_journal_dir()
        bound, journaled = _from_journal(run_id, directory)
        if bound is None:
            if journaled is not None:
                return journaled
            raise InvalidInputError(
                f"run {run_id} has not reached MLflow yet and is still running or was killed; "
                "run `repro sync` first"
            )
        run_id = bound
    uri = resolve_uri(tracking_uri)
    client = open_client(uri)
    try:
        client.get_run(run_id)
    except Exception as exc:
        raise translate(exc, uri) from None
    source = f"runs:/{run_id}/{RECORD_ARTIFACT}"
    with tempfile.TemporaryDirectory(prefix="repro-load-") as tmp:
        try:
            local = client.download_artifacts(run_id, RECORD_ARTIFACT, tmp)
        except Exception as exc:
            error = translate(exc, uri)
            if isinstance(error, InvalidInputError) or "No such file" in str(exc):
                raise InvalidInputError(
                    f"{source}: run {run_id} has no repro record artifact "
                    f"({RECORD_ARTIFACT}); was it logged with repro?"
                ) from None
            raise error from None
        try:
            data = json.loads(Path(local).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInputError(f"{source}: not a readable JSON record ({exc})") from None
    return validate_data(data, RunRecord, source)
