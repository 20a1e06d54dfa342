"""Every Hugging Face front-matter value is one the Hub accepts, checked against the lists
huggingface_hub ships where it ships them (its inference task types), else against the Hub's
documented lists that repro keeps (licence keys), and read back by huggingface_hub offline."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import pkgutil
import re

import huggingface_hub.inference._generated.types as hub_types
import pytest
from huggingface_hub import ModelCard
from support.cards import example_record

import repro
from repro.documents.card import front_matter
from repro.documents.huggingface import HUB_TASKS
from repro.documents.licenses import HUB_LICENSES, hub_license
from repro.record import Emissions, RunRecord

# The task types huggingface_hub ships (one module per task it has an inference client for);
# chat-completion is an API of text-generation models, not a Hub task id.
SHIPPED_TASKS = {
    m.name.replace("_", "-") for m in pkgutil.iter_modules(hub_types.__path__) if m.name != "base"
} - {"chat-completion"}


def measured_record(**tags: str) -> RunRecord:
    record = example_record()
    record.run.tags.update(tags)
    record.provenance.emissions = Emissions(
        measured=True, energy_kwh=0.042, co2_eq_kg=0.0151, country="DEU", tool="codecarbon 3.3.2"
    )
    record.card.license = "Apache-2.0"  # SPDX spelling
    record.card.language = ["en", "not a code"]
    return record


def assert_accepted(data: dict) -> None:
    assert "library_name" not in data  # plain PyTorch code is no Hub library
    if "license" in data:
        assert data["license"] in HUB_LICENSES and data["license"] not in ("other", "unknown")
    if "pipeline_tag" in data:
        assert data["pipeline_tag"] in SHIPPED_TASKS or data["pipeline_tag"] in HUB_TASKS
    for code in data.get("language", []):
        assert re.fullmatch(r"[a-z]{2,3}", code), code
    for model in data.get("model-index", []):
        for result in model["results"]:
            kind = result["task"]["type"]
            # the shipped list where huggingface_hub has the task, else the Hub's own ids
            assert kind in SHIPPED_TASKS or kind in HUB_TASKS, kind
    co2 = data.get("co2_eq_emissions")
    if co2 is not None:
        assert isinstance(co2["emissions"], float) and co2["emissions"] >= 0


def test_the_shipped_task_list_is_within_repros_copy() -> None:
    assert SHIPPED_TASKS, "huggingface_hub no longer ships its task types here"
    assert SHIPPED_TASKS <= HUB_TASKS


@pytest.mark.parametrize(
    "tags", [{}, {"pipeline_tag": "text-generation"}, {"task": "time-series-forecasting"}]
)
def test_every_front_matter_value_is_accepted(tags: dict[str, str]) -> None:
    record = measured_record(**tags)
    data = front_matter(record)
    assert_accepted(data)
    assert data["license"] == "apache-2.0"
    assert data["language"] == ["en"]
    card = ModelCard(repro.render(record, "card-md"))
    assert card.data.co2_eq_emissions["emissions"] == pytest.approx(15.1)
    assert card.data.co2_eq_emissions["source"] == "codecarbon 3.3.2"
    if "pipeline_tag" in tags:
        assert card.data.pipeline_tag == "text-generation" in SHIPPED_TASKS
        assert card.data.eval_results[0].task_type == "text-generation"
    else:
        assert card.data.pipeline_tag in (None, *HUB_TASKS)


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ("MIT", "mit"),
        ("GPL-3.0-or-later", "gpl-3.0"),
        ("CC-BY-4.0", "cc-by-4.0"),
        ("Proprietary", None),
        ("other", None),
    ],
)
def test_licences_are_hub_keys_or_left_out(given: str, key: str | None) -> None:
    assert hub_license(given) == key
    record = example_record()
    record.card.license = given
    data = front_matter(record)
    assert data.get("license") == key
    assert given in repro.render(record, "card-md")  # the body still says what was recorded


def test_the_card_has_the_hub_templates_sections() -> None:
    text = repro.render(measured_record(), "card-md")
    for heading in (
        "## Model sources",
        "## How to get started with the model",
        "## Environmental impact",
        "## Model card authors",
        "## Model card contact",
    ):
        assert heading in text
    impact = text.split("## Environmental impact\n", 1)[1].split("\n## ", 1)[0]
    assert "| Carbon emitted (CO2-equivalent) | 0.0151 kg |" in impact
    assert "| Energy consumed | 0.0420 kWh |" in impact
    contact = text.split("## Model card contact\n", 1)[1].split("\n## ", 1)[0]
    assert "josiah@example.org" in contact
    citation = text.split("## Citation\n", 1)[1].split("\n## ", 1)[0]
    assert "```bibtex\n@misc{" in citation
    assert "author = {Carberry, Josiah and " in citation and "year = {2026}" in citation
    assert "&amp;" not in text  # no HTML entities in the raw Markdown


def test_not_measured_emissions_say_why() -> None:
    record = example_record()
    record.provenance.emissions = Emissions(measured=False, reason="codecarbon is not installed")
    text = repro.render(record, "card-md")
    assert "co2_eq_emissions" not in text.split("\n---\n", 1)[0]
    impact = text.split("## Environmental impact\n", 1)[1].split("\n## ", 1)[0]
    assert "| Carbon emitted (CO2-equivalent) | not measured |" in impact
    assert "not measured: codecarbon is not installed." in impact
