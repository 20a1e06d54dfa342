"""A record as Hugging Face model-card metadata: the YAML front matter and its ``model-index``.

Pure converters (record in, plain dicts out) in the shape ``huggingface_hub.ModelCard`` reads
back as ``card.data`` and ``eval_results``; the Markdown card prints them as YAML.
"""

from __future__ import annotations

from typing import Any

from repro.documents.formatting import clean_text
from repro.record import Dataset, Metric, RunRecord

CELL_TAGS = {"lstm": "lstm", "gru": "gru", "rnn_tanh": "elman-rnn", "rnn_relu": "elman-rnn"}


def eval_datasets(record: RunRecord) -> list[Dataset]:
    """Datasets used for evaluation (role eval or train+eval); with no roles, all of them."""
    chosen = [d for d in record.data if d.role in ("eval", "train+eval")]
    return chosen or [d for d in record.data if d.role is None]


def _task(record: RunRecord) -> str:
    """The model-index task type: run tag 'pipeline_tag' or 'task', the experiment, or 'other'."""
    tags = record.run.tags
    return clean_text(
        tags.get("pipeline_tag") or tags.get("task") or record.run.experiment or "other"
    )


def model_index(record: RunRecord) -> list[dict[str, Any]]:
    """Hugging Face ``model-index``: one result per evaluated split, on the first eval dataset.

    Empty when the record has no results or no dataset to attach them to (the results still
    appear in the card body).
    """
    datasets = eval_datasets(record)
    if not record.results or not datasets:
        return []
    dataset = datasets[0]
    task = _task(record)
    by_split: dict[str | None, list[Metric]] = {}
    for metric in record.results:
        by_split.setdefault(metric.split, []).append(metric)
    results = []
    for split, metrics in by_split.items():
        entry: dict[str, Any] = {"type": clean_text(dataset.name), "name": clean_text(dataset.name)}
        if split is not None:
            entry["split"] = clean_text(split)
        if dataset.version is not None:
            entry["revision"] = clean_text(dataset.version)
        results.append(
            {
                "task": {"type": task, "name": task},
                "dataset": entry,
                "metrics": [
                    {
                        "type": clean_text(m.name),
                        "value": m.value,
                        "name": clean_text(f"{m.name} ({split})" if split else m.name),
                    }
                    for m in metrics
                ],
            }
        )
    return [{"name": clean_text(record.title), "results": results}]


def tags_of(record: RunRecord) -> list[str]:
    """Hub tags: ``rnn``, the cell types, ``pytorch``, ``repro``."""
    tags = ["rnn"]
    if record.architecture:
        layers = record.architecture.recurrent_layers  # a custom cell gets no built-in's tag
        tags += [CELL_TAGS[layer.cell] for layer in layers if layer.cell in CELL_TAGS]
    return list(dict.fromkeys([*tags, "pytorch", "repro"]))


def front_matter(record: RunRecord) -> dict[str, Any]:
    """Card metadata as a dict (dumped with ``yaml.safe_dump``, never string-templated)."""
    data: dict[str, Any] = {}
    card = record.card
    if card and card.license:
        data["license"] = clean_text(card.license)
    if card and card.language:
        data["language"] = [clean_text(code) for code in card.language]
    data["library_name"] = "pytorch"
    data["tags"] = tags_of(record)
    if record.data:
        data["datasets"] = list(dict.fromkeys(clean_text(d.name) for d in record.data))
    if record.results:
        data["metrics"] = list(dict.fromkeys(clean_text(m.name) for m in record.results))
    index = model_index(record)
    if index:
        data["model-index"] = index
    return data
