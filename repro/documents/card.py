"""The model card (Mitchell et al. 2019, plus what RNN readers need) as one typed document.

:data:`SECTIONS` is the card's structure, in order: each entry names a section (id, title)
and the function that builds its blocks (:mod:`repro.documents.card_sections`). The Markdown
and HTML templates loop over the sections of a :class:`ModelCard`; they hold layout only.
Adding a section is one builder function plus one :class:`CardSection` in this list (or
:func:`add_section` from outside), and at most one partial per format when the generic block
partials do not fit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from repro.documents import card_sections as built_in
from repro.documents.blocks import Block, Fact, Prose, Section
from repro.documents.card_sections import CardInputs, History
from repro.documents.formatting import Spread, clean_text, paragraphs
from repro.documents.huggingface import front_matter, tags_of
from repro.documents.phrases import model_type
from repro.record import RunRecord

__all__ = [
    "SECTIONS",
    "CardInputs",
    "CardSection",
    "ModelCard",
    "add_section",
    "card_markdown",
    "card_page",
    "front_matter",
    "model_card",
    "remove_section",
]

Builder = Callable[[CardInputs], "list[Block] | None"]


@dataclass(frozen=True)
class CardSection:
    """One section of the card: its id (HTML anchor, partial name), title, and builder."""

    id: str
    title: str
    build: Builder
    short_title: str | None = None  # its name in the HTML table of contents


SECTIONS: list[CardSection] = [
    CardSection("model-details", "Model details", built_in.model_details),
    CardSection("model-sources", "Model sources", built_in.model_sources, "Sources"),
    CardSection("intended-use", "Intended use", built_in.intended_use),
    CardSection(
        "how-to-get-started",
        "How to get started with the model",
        built_in.how_to_get_started,
        "Get started",
    ),
    CardSection("factors", "Factors", built_in.factors),
    CardSection("metrics", "Metrics", built_in.metrics),
    CardSection("evaluation-data", "Evaluation data", built_in.evaluation_data),
    CardSection("training-data", "Training data", built_in.training_data),
    CardSection("quantitative-analyses", "Quantitative analyses", built_in.quantitative_analyses),
    CardSection(
        "ethical-considerations", "Ethical considerations", built_in.ethical_considerations
    ),
    CardSection("caveats", "Caveats and recommendations", built_in.caveats, "Caveats"),
    CardSection("architecture", "Architecture", built_in.architecture),
    CardSection("training-details", "Training details", built_in.training_details),
    CardSection("gradient-diagnostics", "Gradient diagnostics", built_in.gradient_diagnostics),
    CardSection("environmental-impact", "Environmental impact", built_in.environmental_impact),
    CardSection("environment", "Environment", built_in.environment),
    CardSection("reproducibility", "Reproducibility", built_in.reproducibility),
    CardSection("record-warnings", "Record warnings", built_in.record_warnings, "Warnings"),
    CardSection("contributions", "Contributions", built_in.contributions),
    CardSection("citation", "Citation", built_in.citation),
    CardSection("model-card-authors", "Model card authors", built_in.model_card_authors),
    CardSection("model-card-contact", "Model card contact", built_in.model_card_contact),
]


def add_section(
    section: CardSection, *, after: str | None = None, before: str | None = None
) -> CardSection:
    """Insert ``section`` after (or before) the section with that id; at the end by default."""
    ids = [s.id for s in SECTIONS]
    if section.id in ids:
        raise ValueError(f"the card already has a section {section.id!r}")
    anchor = after or before
    if anchor is None:
        SECTIONS.append(section)
        return section
    if anchor not in ids:
        raise ValueError(f"no card section {anchor!r}; sections: {', '.join(ids)}")
    SECTIONS.insert(ids.index(anchor) + (1 if after else 0), section)
    return section


def remove_section(section_id: str) -> None:
    """Take the section with this id out of the card (no error when it is not there)."""
    SECTIONS[:] = [s for s in SECTIONS if s.id != section_id]


@dataclass(frozen=True)
class ModelCard:
    """Everything a card shows: header facts, Hugging Face metadata, ordered sections."""

    title: str
    run_name: str
    summary: Prose  # the card's summary paragraphs, under the title
    tags: list[str]
    key_facts: list[Fact]
    metadata: dict[str, Any]  # the Hugging Face front matter (licence, tags, model-index...)
    sections: list[Section]
    generator: str


def key_facts(record: RunRecord) -> list[Fact]:
    """A few headline facts for the top of the HTML card."""
    facts = []
    kind = model_type(record)
    if kind:
        facts.append(Fact("Model", kind))
    if record.architecture and record.architecture.total_parameters is not None:
        facts.append(Fact("Parameters", record.architecture.total_parameters))
    for m in record.results[:3]:
        label = clean_text(f"{m.name} ({m.split})" if m.split else m.name)
        facts.append(Fact(label, Spread(m.value, m.std)))
    if record.provenance and record.provenance.git:
        git = record.provenance.git
        facts.append(Fact("Commit", git.commit[:10] + (" (dirty)" if git.dirty else "")))
    return facts


def model_card(
    record: RunRecord,
    *,
    credit_style: str = "elsevier",
    figures: bool = False,
    history: History | None = None,
) -> ModelCard:
    """The card of ``record``: every section of :data:`SECTIONS` whose builder returns blocks."""
    from repro import __version__

    inputs = CardInputs(record, credit_style=credit_style, figures=figures, history=history)
    sections = []
    for spec in SECTIONS:
        blocks = spec.build(inputs)
        if blocks is not None:
            sections.append(Section(spec.id, spec.title, list(blocks), spec.short_title))
    metadata = front_matter(record)
    return ModelCard(
        title=clean_text(record.title),
        run_name=clean_text(record.run.name),
        summary=Prose(paragraphs(record.card.summary if record.card else None)),
        tags=tags_of(record),
        key_facts=key_facts(record),
        metadata=metadata,
        sections=sections,
        generator=f"repro {__version__}",
    )


def card_markdown(record: RunRecord, *, credit_style: str = "elsevier") -> ModelCard:
    """``card-md``: the card without figures (Markdown for model hubs)."""
    return model_card(record, credit_style=credit_style)


def card_page(
    record: RunRecord,
    *,
    history: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    credit_style: str = "elsevier",
) -> ModelCard:
    """``card-html``: the card with its figures (training curves from ``history``, gradient
    flow from the record's diagnostics)."""
    return model_card(record, credit_style=credit_style, figures=True, history=history)
