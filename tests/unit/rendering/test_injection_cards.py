"""Hostile text in every string field: each card and table still parses and nothing runs.

One record whose every free-text field holds markup, template syntax, LaTeX specials, a
spreadsheet formula, a right-to-left override, YAML front-matter fences and a 10,000-character
string is rendered as card-md, card-html, hparams-latex and hparams-md.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before huggingface_hub reads its settings

import html as htmllib
import re

import lxml.html
import pytest
import yaml
from huggingface_hub import ModelCard
from markdown_it import MarkdownIt
from support.cards import (
    latex_brace_depths,
    latex_cells,
    latex_raw_specials,
    md_cells,
    md_tables,
    record_with_diagnostics,
)

import repro
from repro.documents.card import front_matter
from repro.record import (
    ClippingStats,
    Contributor,
    Dataset,
    Diagnostics,
    GradientFlow,
    Metric,
    RunRecord,
)
from repro.rendering.filters import clean_text

RLO = "\u202e"
HOSTILE = (
    "<script>alert(1)</script> ]]> & \"dq\" 'sq' {{ 7*7 }} {% raw %} % \\ "
    '=HYPERLINK("http://evil.example") ' + RLO + "evil $ # _ { } ~ ^ |pipe| `tick` "
    "[link](javascript:alert(2)) <img src=x onerror=alert(3)>\n---\nkey: value\n```"
)
LONG = "L" * 10_000


def hostile(tag: str) -> str:
    return f"{tag}:{HOSTILE}"


def hostile_record() -> RunRecord:
    """Every free-text field of the record holds hostile text (the long one in two places)."""
    record = record_with_diagnostics()
    run = record.run
    run.name, run.description, run.experiment = hostile("name"), LONG, hostile("experiment")
    run.tags = {hostile("tagkey"): hostile("tagvalue"), "task": hostile("task")}
    arch = record.architecture
    arch.model_class = hostile("class")
    arch.recurrent_layers[0].name = hostile("layer")
    arch.output_head.name, arch.output_head.kind = hostile("head"), hostile("kind")
    t = record.training
    t.optimizer.name = hostile("optimizer")
    t.optimizer.settings = {hostile("setting"): hostile("value"), "lr": 0.001}
    t.lr_schedule.name = hostile("schedule")
    t.lr_schedule.settings = {hostile("skey"): hostile("sval")}
    t.loss = hostile("loss")
    t.initialisation.scheme = hostile("init")
    t.initialisation.details = {hostile("ikey"): hostile("ival")}
    t.early_stopping.monitor = hostile("monitor")
    t.hyperparameter_search.objective = hostile("objective")
    t.hyperparameter_search.space = {hostile("space"): [hostile("choice")]}
    record.data = [
        Dataset(
            name=hostile("dataset"),
            version=hostile("version"),
            source=hostile("source"),
            license=hostile("dlicense"),
            role="eval",
            splits={hostile("split"): 10},
            preprocessing=[hostile("pre")],
        ),
        Dataset(name=hostile("trainset"), role="train"),
    ]
    env = record.environment
    env.python, env.os, env.torch, env.cpu = (hostile(x) for x in ("py", "os", "torch", "cpu"))
    env.packages = {hostile("pkg"): hostile("pkgver")}
    env.variables = {hostile("var"): hostile("varval")}
    env.device.name = hostile("device")
    prov = record.provenance
    prov.git.branch, prov.git.remote = hostile("branch"), hostile("remote")
    prov.command = [hostile("argv0"), HOSTILE]
    prov.working_directory = hostile("cwd")
    record.results = [
        Metric(name=hostile("metric"), value=0.5, split=hostile("msplit"), unit=hostile("unit")),
        Metric(name="accuracy", value=0.9, split="test", std=0.01, per_seed={0: 0.89, 1: 0.91}),
    ]
    record.diagnostics = Diagnostics(
        gradient_flow=[
            GradientFlow(
                step=s, layer=hostile("flow"), timesteps=[0, 1, 2], grad_norms=[1e-4, 0.1, 1]
            )
            for s in (0, 10)
        ],
        clipping=ClippingStats(steps=10, clipped_steps=1, threshold=1.0),
    )
    record.contributors = [
        Contributor(
            given_names=hostile("given"),
            family_name=hostile("family"),
            affiliations=[hostile("aff")],
            roles=["software"],
        )
    ]
    card = record.card
    card.title = hostile("title")
    card.summary = LONG
    for field in (
        "intended_use",
        "out_of_scope_use",
        "factors",
        "limitations",
        "ethical_considerations",
        "caveats",
        "license",
        "citation",
    ):
        setattr(card, field, hostile(field))
    card.language = [hostile("lang")]
    return record


def other_configuration() -> RunRecord:
    """A second hostile run of another configuration (runs of one share a column)."""
    other = hostile_record()
    other.training.optimizer.settings["lr"] = 0.003
    return other


@pytest.fixture(scope="module")
def record() -> RunRecord:
    return hostile_record()


def no_active_html(fragment_html: str) -> None:
    """No script element, no event-handler attribute, no javascript: link."""
    doc = lxml.html.document_fromstring(f"<!DOCTYPE html><html><body>{fragment_html}</body></html>")
    assert doc.findall(".//script") == []
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert not value.strip().lower().startswith("javascript:"), (element.tag, value)


def test_card_md_loads_and_renders_inert(record: RunRecord) -> None:
    text = repro.render(record, "card-md")
    assert RLO not in text
    # front matter: plain YAML of the metadata, loadable by Hugging Face
    head = text.split("\n---\n", 1)[0]
    assert yaml.safe_load(head.removeprefix("---\n")) == front_matter(record)
    card = ModelCard(text)
    assert card.data.license is None  # not a Hub licence key: left out (issue 11)
    assert card.data.model_name == clean_text(hostile("title"))
    result = card.data.eval_results[0]
    assert result.metric_type == clean_text(hostile("metric"))
    assert result.dataset_name == clean_text(hostile("dataset"))
    assert result.task_type == "other"  # a Hub task id, not the user's text (issue 11)
    assert result.task_name == clean_text(hostile("task"))
    assert card.text.lstrip().startswith("# title:")  # the body starts after the metadata
    # the Markdown body, rendered as a hub would (raw HTML passes through), is inert
    rendered = MarkdownIt("commonmark").enable("table").render(card.text)
    no_active_html(rendered)
    # every table keeps its column count
    for table in md_tables(card.text):
        widths = {len(md_cells(line)) for line in table}
        assert len(widths) == 1, table[0]
    # template syntax in data is text, never evaluated
    assert "49" not in re.sub(r"\d{3,}|\d+\.\d+", "", text)
    assert "{{ 7\\*7 }}" in text  # shown as typed (the * escaped), never evaluated
    assert LONG in text


def test_card_html_parses_without_active_content(record: RunRecord) -> None:
    page = repro.render(
        record, "card-html", history={hostile("curve") + "/loss": [(0, 1.0), (1, 0.5)]}
    )
    assert RLO not in page
    doc = lxml.html.document_fromstring(page)
    assert doc.findall(".//script") == []
    for element in doc.iter():
        if isinstance(element.tag, str):
            assert not any(name.startswith("on") for name in element.attrib), element.tag
            for attribute in ("src", "href"):
                value = element.get(attribute)
                assert value is None or value.startswith(("data:image/svg+xml;base64,", "#"))
    text = doc.text_content()
    assert "{{ 7*7 }}" in text and "<script>alert(1)</script>" in text  # shown, as text
    assert "<script>" not in page.replace("&lt;script&gt;", "")
    assert htmllib.escape("<script>alert(1)</script>", quote=False) in page
    assert LONG in text
    assert len(doc.findall(".//figure/img")) == 2  # hostile labels did not break the plots


def test_hparams_latex_stays_balanced_and_escaped(record: RunRecord) -> None:
    tex = repro.render([record, other_configuration()], "hparams-latex", caption=HOSTILE)
    assert RLO not in tex
    assert latex_brace_depths(tex)[-1] == 0
    assert latex_raw_specials(tex) == set()
    assert "\\begin{table}" in tex and tex.rstrip().endswith("\\end{table}")
    rows = [line for line in tex.splitlines() if line.rstrip().endswith("\\\\")]
    for row in rows:
        if "\\multicolumn" not in row:
            assert len(latex_cells(row)) == 3, row[:200]
    assert "\\{\\{ 7*7 \\}\\}" in tex
    assert "\\textbackslash{}" in tex


def test_hparams_md_keeps_columns_and_is_inert(record: RunRecord) -> None:
    md = repro.render([record, other_configuration()], "hparams-md")
    assert RLO not in md
    (table,) = md_tables(md)
    assert {len(md_cells(line)) for line in table} == {3}
    no_active_html(MarkdownIt("commonmark").enable("table").render(md))
