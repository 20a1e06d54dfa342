"""The card shows what issues 7 and 9 put in the record: custom cells in the user's words,
recurrent-free models, dropout placement, the record's warnings, each watched layer's
gradient-flow reading (with its step unit, both-direction curves, empty verdicts, unmeasured
calls), and the environmental impact."""

from __future__ import annotations

import lxml.html
from support.cards import example_record, record_with_diagnostics

import repro
from repro.record import (
    Architecture,
    Diagnostics,
    DropoutModule,
    DropoutPosition,
    FlowSummary,
    FlowWatch,
    LayerFlow,
    ModuleSummary,
    RecordWarning,
    RecurrentLayer,
)


def section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_a_custom_cell_is_named_and_described_never_a_built_in() -> None:
    record = example_record()
    record.architecture.recurrent_layers = [
        RecurrentLayer(
            name="cell",
            cell="custom",
            kind="cell",
            module_class="examples.models.MinimalRNNCell",
            description="h' = tanh(W x + U h) gated by a learned leak (Chen et al. 2018)",
        )
    ]
    text = section(repro.render(record, "card-md"), "Architecture")
    assert "| cell | custom cell |" in text
    assert "MinimalRNNCell (cell): h' = tanh(W x + U h) gated by a learned leak" in text
    assert "LSTM" not in text


def test_a_model_without_recurrent_layers_is_described_by_its_modules() -> None:
    record = example_record()
    record.architecture = Architecture(
        model_class="examples.models.TinyTransformer",
        modules=[
            ModuleSummary(
                name="encoder",
                kind="TransformerEncoder",
                settings={"num_layers": 2, "d_model": 64},
                parameters=99_968,
            ),
            ModuleSummary(name="head", kind="Linear", settings={"in_features": 64}),
        ],
    )
    text = section(repro.render(record, "card-md"), "Architecture")
    assert "The model has no recurrent layer: its significant modules are TransformerEncoder, " in (
        text
    )
    assert "| encoder | TransformerEncoder | num\\_layers=2, d\\_model=64 | 99,968 |" in text
    assert "| Module | Cell |" not in text  # no empty recurrent-layer table


def test_dropout_placement_is_shown() -> None:
    record = example_record()
    record.training.dropout.modules = [
        DropoutModule(
            name="drop",
            kind="Dropout",
            p=0.3,
            positions=[DropoutPosition(placement="input", after="embedding", before="rnn")],
        )
    ]
    text = section(repro.render(record, "card-md"), "Training details")
    assert "| drop | Dropout | 0.3 | input (after embedding, before rnn) |" in text


def test_the_records_warnings_are_visible() -> None:
    record = example_record()
    record.warnings = [
        RecordWarning(path="training.epochs", message="stated 10 epochs", stated=10, observed=7)
    ]
    text = section(repro.render(record, "card-md"), "Record warnings")
    assert "| training.epochs | stated 10 epochs | 10 | 7 |" in text
    assert "## Record warnings" not in repro.render(example_record(), "card-md")


def reading(verdict: str | None, ratio: float | None, horizon: int | None) -> FlowSummary:
    return FlowSummary(
        length=40,
        distance=39,
        ratio=ratio,
        verdict=verdict,
        vanishing_below=1e-3,
        exploding_above=1e3,
        rate_per_step=0.8 if ratio else None,
        fit_points=40 if ratio else 0,
        horizon=horizon,
        horizon_fraction=0.01,
    )


def test_each_watched_layer_reads_as_recorded() -> None:
    record = example_record()
    record.diagnostics = Diagnostics(
        gradient_flow_layers=[
            LayerFlow(
                layer="encoder",
                direction="both",
                module="LSTM",
                time_axis="sequence",
                snapshots=2,
                first_step=0,
                latest_step=10,
                initial=reading("stable", 0.5, None),
                latest=reading("vanishing", 2e-6, 12),
            ),
            LayerFlow(
                layer="decoder",
                direction="forward",
                module="GRUCell",
                time_axis="calls",
                snapshots=1,
                first_step=10,
                latest_step=10,
                latest=reading(None, None, None),
            ),
        ],
        gradient_flow_watch=FlowWatch(step_unit="training_forward", unmeasured_calls=3),
    )
    text = section(repro.render(record, "card-md"), "Gradient diagnostics")
    encoder = next(line for line in text.splitlines() if line.startswith("| encoder"))
    assert "vanishing: 2e-06 at d = 39 (vanishing < 1e-3, exploding > 1e3)" in encoder
    assert "stable: 0.5 at d = 39" in encoder  # the first snapshot's beside it
    assert "d = 12 (0.01 of d = 0)" in encoder and "× 0.8 per step" in encoder
    decoder = next(line for line in text.splitlines() if line.startswith("| decoder"))
    assert "no verdict: no gradient reached the last step" in decoder
    assert "the curve is the sum of both directions' contributions" in text
    assert "training forward passes" in text  # what the steps count
    assert "3 sampled call(s) could not be measured" in text
    html = lxml.html.document_fromstring(repro.render(record, "card-html"))
    flagged = html.get_element_by_id("gradient-diagnostics").find_class("verdict-vanishing")
    assert flagged and "2e-06" in flagged[0].text_content()


def test_every_watched_layer_gets_its_plot() -> None:
    record = record_with_diagnostics()
    two = record.diagnostics.model_copy(deep=True)
    for snapshot in two.gradient_flow:
        snapshot.layer = "decoder"
    for layer in two.gradient_flow_layers:
        layer.layer = "decoder"
    record.diagnostics.gradient_flow += two.gradient_flow
    record.diagnostics.gradient_flow_layers += two.gradient_flow_layers
    html = lxml.html.document_fromstring(repro.render(record, "card-html"))
    figures = html.get_element_by_id("gradient-diagnostics").findall(".//figure/img")
    assert len(figures) == 2
    titles = [h.text_content() for h in html.get_element_by_id("gradient-diagnostics").iter("h3")]
    assert "Gradient flow: rnn" in titles and "Gradient flow: decoder" in titles
