"""Record -> MLflow params and tags, within MLflow's limits, for the UI and ``search_runs``.

Params come from the configuration sections (architecture, training, data), tags from run
identity, environment and provenance. A key or value MLflow cannot hold (key over 250 characters
or with characters MLflow rejects, param value over 6000, tag value over 8000) is never
truncated: it is left out, its key is listed in the ``repro.omitted`` tag, and the full value
lives only in the record artifact (``repro/record.json``).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from repro.record import RunRecord
from repro.record.paths import leaves

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
RECORD_ARTIFACT = "repro/record.json"
PARAM_SECTIONS = ("architecture", "training", "data")
_VALID_KEY = re.compile(r"^[/\w.\- :]+$")


def valid_key(key: str) -> bool:
    """Whether MLflow accepts ``key`` as a metric, param or tag name."""
    if not key or len(key) > MAX_KEY_LENGTH or not _VALID_KEY.match(key):
        return False
    norm = posixpath.normpath(key)
    return norm == key and norm != "." and not norm.startswith(("..", "/"))


def check_metric_key(key: str) -> None:
    """Raise ValueError with MLflow's rules when ``key`` cannot be a metric name."""
    if not isinstance(key, str) or not valid_key(key):
        raise ValueError(
            f"invalid metric name {key!r}: MLflow names are 1-{MAX_KEY_LENGTH} characters of "
            "letters, digits, '_', '-', '.', ' ', ':' and '/', and must not be a path that "
            "normalises to another name"
        )


def _text(value: Any) -> str:
    """A tag value: JSON spelling (``true``/``false``, lists as JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def param_text(value: Any) -> str:
    """A param value as ``mlflow.log_params`` writes a Python value (``str(value)``: ``False``,
    ``0.001``, ``[0.9, 0.999]``), so filters written MLflow's usual way
    (``params.x = 'False'``) find repro's runs; the record artifact keeps the exact types."""
    return str(value)


def _flatten(
    prefix: str, value: Any, out: dict[str, str], text: Callable[[Any], str] = _text
) -> None:
    """The record's one walk (:func:`repro.record.paths.leaves`) as MLflow keys: dicts nest with
    '.', list entries are numbered ``a.0`` (MLflow keys allow no brackets), lists of scalars stay
    one value, and absent or empty values are left out."""
    for loc, leaf in leaves(value, scalar_lists=True):
        if leaf is not None and leaf != [] and leaf != {}:
            out[".".join((prefix, *map(str, loc)))] = text(leaf)


@dataclass
class Flattened:
    """Params and tags ready for ``log_batch``, and the keys left out (see module docstring)."""

    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    omitted: list[str] = field(default_factory=list)


def _keep(out: dict[str, str], key: str, value: str, limit: int, omitted: list[str]) -> None:
    if valid_key(key) and len(value) <= limit:
        out[key] = value
    else:
        omitted.append(key)


def params_of(record: RunRecord) -> tuple[dict[str, str], list[str]]:
    """The record's configuration as MLflow params (and the keys left out)."""
    data = record.to_dict()
    flat: dict[str, str] = {}
    for section in PARAM_SECTIONS:
        if section in data:
            _flatten(section, data[section], flat, param_text)
    values = data.get("config", {}).get("values")
    if values:  # the configuration as the user wrote its keys: config.model.hidden
        _flatten("config", values, flat, param_text)
    params: dict[str, str] = {}
    omitted: list[str] = []
    for key, value in flat.items():
        _keep(params, key, value, MAX_PARAM_VALUE_LENGTH, omitted)
    return params, omitted


SOURCE_TYPE_LOCAL = "LOCAL"  # mlflow.entities.SourceType.LOCAL, as MLflow's own runs have it


def system_tags(record: RunRecord) -> dict[str, str]:
    """MLflow's own system tags from what the record holds: the run name, and the program that
    ran (``mlflow.source.name``, its redacted ``argv[0]``, type LOCAL) when it was recorded;
    ``mlflow.user`` is added where the run is created (:func:`repro.tracking.operations`)."""
    tags = {"mlflow.runName": record.run.name}
    command = record.provenance.command if record.provenance else None
    if command:
        tags["mlflow.source.name"] = source_name(command)
        tags["mlflow.source.type"] = SOURCE_TYPE_LOCAL
    return tags


_INTERPRETER = re.compile(r"^python[0-9.]*$")


def source_name(command: list[str]) -> str:
    """The program a command line ran: ``argv[0]`` as MLflow takes it, or the script after an
    interpreter (``python train.py`` -> ``train.py``, ``python -m pkg.train`` -> ``pkg.train``)."""
    first = posixpath.basename(command[0])
    if not _INTERPRETER.match(first) or len(command) < 2:
        return command[0]
    if command[1] == "-m" and len(command) > 2:
        return command[2]
    return command[1] if not command[1].startswith("-") else command[0]


def tags_of(record: RunRecord, local_id: str | None = None) -> tuple[dict[str, str], list[str]]:
    """Tags: the user's run tags, git provenance, environment, and repro's own keys."""
    data = record.to_dict()
    flat: dict[str, str] = dict(record.run.tags)
    flat.update(system_tags(record))
    flat["repro.schema_version"] = record.schema_version
    flat["repro.record"] = RECORD_ARTIFACT
    if local_id:
        flat["repro.local_id"] = local_id
    if record.run.description:
        flat["mlflow.note.content"] = record.run.description
    if record.architecture:
        cells = sorted({layer.cell for layer in record.architecture.recurrent_layers})
        flat["repro.cell_types"] = ",".join(cells)
    git = record.provenance.git if record.provenance else None
    if git is not None:
        flat["mlflow.source.git.commit"] = git.commit
        flat["repro.git.dirty"] = _text(git.dirty)
        if git.diff_sha256:
            flat["repro.git.diff_sha256"] = git.diff_sha256
        if git.branch:
            flat["mlflow.source.git.branch"] = git.branch
        if git.remote:
            flat["mlflow.source.git.repoURL"] = git.remote
    if record.config is not None and record.config.overrides:
        flat["repro.config.overrides"] = " ".join(record.config.overrides)
    if "environment" in data:
        _flatten("repro.env", data["environment"], flat)
    tags: dict[str, str] = {}
    omitted: list[str] = []
    for key, value in flat.items():
        _keep(tags, key, value, MAX_TAG_VALUE_LENGTH, omitted)
    return tags, omitted


def flatten_record(record: RunRecord, local_id: str | None = None) -> Flattened:
    """Params and tags for a new run; omitted keys are listed in the ``repro.omitted`` tag."""
    params, omitted_params = params_of(record)
    tags, omitted_tags = tags_of(record, local_id)
    omitted = omitted_params + omitted_tags
    if omitted:
        listing = ", ".join(omitted)
        if len(listing) > MAX_TAG_VALUE_LENGTH:
            cut = listing[: MAX_TAG_VALUE_LENGTH - 40].rsplit(", ", 1)[0]
            listing = f"{cut}, ... ({len(omitted)} keys in all)"
        tags["repro.omitted"] = listing
    return Flattened(params=params, tags=tags, omitted=omitted)


def result_metric_key(name: str, split: str | None) -> str | None:
    """The MLflow metric a record result is also logged as (``results/<split>/<name>``)."""
    key = f"results/{split}/{name}" if split else f"results/{name}"
    return key if valid_key(key) else None


CHECK_PROFILE = "ml-reproducibility"  # the profile whose verdict ``repro runs`` shows
CHECK_TAG = f"repro.check.{CHECK_PROFILE}"


def check_tag(profile: str) -> str:
    """The tag holding a run's verdict against ``profile``."""
    return f"repro.check.{profile}"


def result_tags(record: RunRecord, checks: dict[str, str] | None = None) -> dict[str, str]:
    """Tags updated when a run ends: its main metric (the first result) and its verdict per
    checked profile (``checks``: profile -> verdict text), so ``repro runs`` lists thousands of
    runs without downloading their records."""
    tags = {check_tag(profile): verdict for profile, verdict in (checks or {}).items()}
    if record.results:
        first = record.results[0]
        key = result_metric_key(first.name, first.split)
        if key:
            tags["repro.main_metric"] = key
    return tags
