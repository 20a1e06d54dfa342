"""A record as Hugging Face model-card metadata: the YAML front matter and its ``model-index``.

Pure converters (record in, plain dicts out) in the shape ``huggingface_hub.ModelCard`` reads
back as ``card.data`` and ``eval_results``; the Markdown card prints them as YAML. Every value
is one the Hub accepts or is left out: the licence must be a Hub licence key
(:mod:`repro.documents.licenses`), ``pipeline_tag`` and the model-index task type a Hub task id
(:data:`HUB_TASKS`; a task outside the list is the Hub's ``other``), and ``library_name`` is
not set (plain PyTorch code is no Hub library; ``pytorch`` is a tag). ``co2_eq_emissions``
appears when the run's emissions were measured.
"""

from __future__ import annotations

import re
from typing import Any

from repro.documents.formatting import clean_text
from repro.documents.licenses import hub_license
from repro.record import Dataset, Metric, RunRecord

CELL_TAGS = {"lstm": "lstm", "gru": "gru", "rnn_tanh": "elman-rnn", "rnn_relu": "elman-rnn"}


def eval_datasets(record: RunRecord) -> list[Dataset]:
    """Datasets used for evaluation (role eval or train+eval); with no roles, all of them."""
    chosen = [d for d in record.data if d.role in ("eval", "train+eval")]
    return chosen or [d for d in record.data if d.role is None]


# The Hub's task ids (huggingface.js ``pipelines.ts``); huggingface_hub ships those it has an
# inference client for (a test checks they are all here).
HUB_TASKS = frozenset(
    [
        "text-classification",
        "token-classification",
        "table-question-answering",
        "question-answering",
        "zero-shot-classification",
        "translation",
        "summarization",
        "feature-extraction",
        "text-generation",
        "text2text-generation",
        "fill-mask",
        "sentence-similarity",
        "text-to-speech",
        "text-to-audio",
        "automatic-speech-recognition",
        "audio-to-audio",
        "audio-classification",
        "audio-text-to-text",
        "voice-activity-detection",
        "depth-estimation",
        "image-classification",
        "object-detection",
        "image-segmentation",
        "text-to-image",
        "image-to-text",
        "image-to-image",
        "image-to-video",
        "unconditional-image-generation",
        "video-classification",
        "reinforcement-learning",
        "robotics",
        "tabular-classification",
        "tabular-regression",
        "tabular-to-text",
        "table-to-text",
        "multiple-choice",
        "text-ranking",
        "text-retrieval",
        "time-series-forecasting",
        "text-to-video",
        "image-text-to-text",
        "image-text-to-image",
        "image-text-to-video",
        "visual-question-answering",
        "document-question-answering",
        "zero-shot-image-classification",
        "graph-ml",
        "mask-generation",
        "zero-shot-object-detection",
        "text-to-3d",
        "image-to-3d",
        "image-feature-extraction",
        "video-text-to-text",
        "keypoint-detection",
        "visual-document-retrieval",
        "any-to-any",
        "video-to-video",
        "other",
    ]
)
_LANGUAGE = re.compile(r"^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*|code|multilingual)$")


def pipeline_tag(record: RunRecord) -> str | None:
    """The Hub task of run tag 'pipeline_tag' or 'task' when it is a Hub task id, else None."""
    tags = record.run.tags
    for value in (tags.get("pipeline_tag"), tags.get("task")):
        if value and value.strip().lower() in HUB_TASKS - {"other"}:
            return value.strip().lower()
    return None


def _task(record: RunRecord) -> dict[str, str]:
    """The model-index task: a Hub task id as type ('other' when the record names none), the
    record's own task name (tag 'task', else the experiment) as its name."""
    tags = record.run.tags
    kind = pipeline_tag(record) or "other"
    name = tags.get("task") or record.run.experiment or kind
    return {"type": kind, "name": clean_text(name)}


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
                "task": task,
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


def co2_eq_emissions(record: RunRecord) -> dict[str, Any] | None:
    """The Hub's ``co2_eq_emissions`` (grams of CO2-equivalent, with what measured it, where
    and on what), when the run's emissions were measured; None otherwise."""
    prov = record.provenance
    emissions = prov.emissions if prov else None
    if emissions is None or not emissions.measured or emissions.co2_eq_kg is None:
        return None
    data: dict[str, Any] = {"emissions": round(emissions.co2_eq_kg * 1000, 6)}
    if emissions.tool:
        data["source"] = clean_text(emissions.tool)
    where = ", ".join(x for x in (emissions.region, emissions.country) if x)
    if where:
        data["geographical_location"] = clean_text(where)
    device = record.environment.device if record.environment else None
    if device is not None:
        data["hardware_used"] = clean_text(f"{device.count} x {device.name or device.type}")
    return data


def front_matter(record: RunRecord) -> dict[str, Any]:
    """Card metadata as a dict (dumped with ``yaml.safe_dump``, never string-templated)."""
    data: dict[str, Any] = {}
    card = record.card
    license_key = hub_license(card.license) if card else None
    if license_key:
        data["license"] = license_key
    languages = [code for code in (card.language if card else []) if _LANGUAGE.match(code)]
    if languages:
        data["language"] = languages
    task = pipeline_tag(record)
    if task:
        data["pipeline_tag"] = task
    data["tags"] = tags_of(record)
    if record.data:
        data["datasets"] = list(dict.fromkeys(clean_text(d.name) for d in record.data))
    if record.results:
        data["metrics"] = list(dict.fromkeys(clean_text(m.name) for m in record.results))
    emissions = co2_eq_emissions(record)
    if emissions:
        data["co2_eq_emissions"] = emissions
    index = model_index(record)
    if index:
        data["model-index"] = index
    return data
