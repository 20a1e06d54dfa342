"""The card is a typed document: sections in one declared order, blocks holding values.

Adding a section is one builder function and one registration; it then shows in Markdown and
HTML in its declared place, through the generic block partials or a partial of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from support.cards import example_record, record_with_diagnostics

import repro
from repro.documents.blocks import Block, Fact, Facts, Note, Prose
from repro.documents.card import (
    SECTIONS,
    CardInputs,
    CardSection,
    add_section,
    model_card,
    remove_section,
)
from repro.documents.formatting import Spread


def impact(inputs: CardInputs) -> list[Block]:
    """A compute-budget section, as a later issue (or a user) would add it."""
    prov = inputs.record.provenance
    hours = prov.device_hours if prov else None
    return [Facts([Fact("Device-hours", hours)]), Note("Energy use was not measured.")]


@pytest.fixture
def impact_section() -> Iterator[CardSection]:
    section = add_section(
        CardSection("compute-budget", "Compute budget", impact),
        after="training-details",
    )
    yield section
    remove_section(section.id)


def md_headings(text: str) -> list[str]:
    return re.findall(r"^## (.+)$", text, flags=re.M)


def test_sections_come_from_the_one_list_in_its_order() -> None:
    card = model_card(record_with_diagnostics())
    assert [s.id for s in card.sections] == [s.id for s in SECTIONS]
    assert [s.title for s in card.sections] == [s.title for s in SECTIONS]
    html = lxml.html.document_fromstring(repro.render(record_with_diagnostics(), "card-html"))
    toc = [a.get("href") for a in html.findall(".//nav/ol/li/a")]
    assert toc == [f"#{s.id}" for s in SECTIONS]
    sections = [s.get("id") for s in html.iter("section")]
    assert sections == [s.id for s in SECTIONS]
    md = repro.render(record_with_diagnostics(), "card-md")
    assert md_headings(md) == [s.title for s in SECTIONS]


def test_a_section_with_nothing_recorded_can_leave_itself_out() -> None:
    card = model_card(example_record())  # no diagnostics recorded
    assert "gradient-diagnostics" not in [s.id for s in card.sections]


def test_blocks_hold_values_not_display_text() -> None:
    card = model_card(example_record())
    details = next(s for s in card.sections if s.id == "model-details").blocks[-1]
    assert isinstance(details, Facts)
    rows = {row.label: row for row in details.rows}
    assert rows["Parameters"].value == 199_809  # a number, formatted when rendered
    assert rows["Training started"].value.year == 2026  # a datetime
    bare = model_card(repro.RunRecord(run={"name": "bare"}))
    bare_details = next(s for s in bare.sections if s.id == "model-details").blocks[-1]
    bare_rows = {r.label: r for r in bare_details.rows}
    assert bare_rows["Parameters"].value is None  # not recorded: None, never a glyph
    assert bare_rows["License"].absent == "needed"
    assert card.key_facts[2].value == Spread(0.0021, None)
    factors = next(s for s in bare.sections if s.id == "factors").blocks
    assert factors == [Prose(None)]


def test_a_new_section_shows_in_markdown_and_html_in_its_declared_place(
    impact_section: CardSection,
) -> None:
    record = example_record()
    md = repro.render(record, "card-md")
    titles = md_headings(md)
    assert titles[titles.index("Training details") + 1] == "Compute budget"
    body = md.split("## Compute budget\n", 1)[1].split("\n## ", 1)[0]
    assert "| Device-hours | 0.293 |" in body
    assert "Energy use was not measured." in body
    html = lxml.html.document_fromstring(repro.render(record, "card-html"))
    ids = [s.get("id") for s in html.iter("section")]
    assert ids[ids.index("training-details") + 1] == "compute-budget"
    toc = [a.text_content() for a in html.findall(".//nav/ol/li/a")]
    assert toc[toc.index("Training details") + 1] == "Compute budget"
    section = html.get_element_by_id("compute-budget")
    assert section.find("h2").text_content() == "Compute budget"
    assert section.find(".//td").text_content() == "0.293"


def test_a_section_may_bring_its_own_partial_for_one_format(
    impact_section: CardSection, tmp_path: Path
) -> None:
    partial = tmp_path / "card" / "html" / "compute-budget.html.j2"
    partial.parent.mkdir(parents=True)
    partial.write_text(
        '<section id="{{ section.id }}"><h2>{{ section.title }}</h2><p class="impact">'
        "{{ section.blocks[0].rows[0].value | text }} device-hours</p></section>\n",
        encoding="utf-8",
    )
    html = lxml.html.document_fromstring(
        repro.render(example_record(), "card-html", template_dir=tmp_path)
    )
    assert html.find_class("impact")[0].text_content() == "0.293 device-hours"
    md = repro.render(example_record(), "card-md", template_dir=tmp_path)
    assert "| Device-hours | 0.293 |" in md  # Markdown keeps the generic partials


def test_sections_are_placed_by_id_and_ids_are_unique() -> None:
    with pytest.raises(ValueError, match="already has a section 'factors'"):
        add_section(CardSection("factors", "Factors again", impact))
    with pytest.raises(ValueError, match="no card section 'nowhere'"):
        add_section(CardSection("x", "X", impact), before="nowhere")
    assert "x" not in [s.id for s in SECTIONS]
