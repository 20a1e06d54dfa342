"""The gradient-flow reading (verdict, rate, horizon), its place in the record, the 1.0 migration
and the plot."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

import repro
import repro.rendering.plots as plots
from repro.diagnostics.summary import Reading, summarize
from repro.record import Diagnostics, GradientFlow, RunRecord

ROOT = Path(__file__).resolve().parents[3]
RECORD_1_0 = ROOT / "tests" / "data" / "records-1.0" / "lstm-adding.yaml"


def geometric(rate: float, length: int) -> list[float]:
    """A curve in processing order whose norm changes by ``rate`` per step back."""
    return [rate ** (length - 1 - t) for t in range(length)]


def test_an_exponential_curve_reads_back_its_rate_horizon_and_verdict() -> None:
    summary = summarize(geometric(0.8, 100))
    assert summary is not None
    assert summary.rate_per_step == pytest.approx(0.8)
    assert (summary.distance, summary.length, summary.fit_points) == (50, 100, 51)
    assert summary.ratio == pytest.approx(0.8**50)
    assert summary.verdict == "vanishing"  # 1.4e-5 < 1e-3
    assert summary.horizon == math.ceil(math.log(0.01) / math.log(0.8))  # first below 1%
    assert summary.horizon_fraction == 0.01 and summary.nonfinite_from is None

    slow = summarize(geometric(0.99, 100))
    assert slow is not None and slow.verdict == "stable" and slow.horizon is None
    growing = summarize(geometric(1.2, 100))
    assert growing is not None and growing.verdict == "exploding" and growing.horizon is None


def test_the_stated_distance_thresholds_and_short_sequences() -> None:
    short = summarize(geometric(0.5, 12))
    assert short is not None and short.distance == 11  # the whole sequence when shorter
    assert short.ratio == pytest.approx(0.5**11)
    strict = summarize(geometric(0.9, 100), Reading(distance=10, vanishing_below=0.5))
    assert strict is not None and strict.distance == 10 and strict.vanishing_below == 0.5
    assert strict.verdict == "vanishing"  # 0.9**10 = 0.35 < 0.5
    assert summarize([1.0]) is None  # one step: no flow through time to read
    with pytest.raises(ValueError, match="0 < vanishing_below < 1 < exploding_above"):
        Reading(vanishing_below=2.0)
    with pytest.raises(ValueError, match="distance must be an integer >= 1"):
        Reading(distance=0)


def test_overflow_zero_and_flat_curves() -> None:
    curve = geometric(3.0, 60)
    curve[:8] = [math.inf] * 8  # distances 52..59 overflowed, beyond the 50 read
    over = summarize(curve)
    assert over is not None and over.nonfinite_from == 52
    assert over.verdict == "exploding" and over.ratio == pytest.approx(3.0**50)
    curve = geometric(3.0, 60)
    curve[-30] = math.inf  # overflow at distance 29, within the 50 read
    early = summarize(curve)
    assert early is not None and early.verdict == "exploding" and early.nonfinite_from == 29
    no_signal = summarize([1.0, 0.5, 0.0])  # no gradient reached the last step
    assert no_signal is not None and no_signal.verdict is None and no_signal.ratio is None
    assert no_signal.horizon is None
    flat = summarize([1.0] * 30)
    assert flat is not None and flat.rate_per_step == pytest.approx(1.0)
    assert flat.verdict == "stable"


def test_a_1_0_record_with_gradient_flow_loads_and_states_its_step_unit() -> None:
    data = repro.load_record(RECORD_1_0).to_dict()  # the real 1.0 record keeps loading
    data["schema_version"] = "1.0"
    data["diagnostics"] = {
        "gradient_flow": [
            {"step": 0, "layer": "rnn", "timesteps": [0, 1], "grad_norms": [0.1, 1.0]},
            {"step": 7, "layer": "rnn", "timesteps": [0, 1], "grad_norms": [0.2, 1.0]},
        ],
        "clipping": {"steps": 8, "clipped_steps": 1},
    }
    record = RunRecord.model_validate(data)
    diagnostics = record.diagnostics
    assert record.schema_version == "2.0" and diagnostics is not None
    assert diagnostics.gradient_flow_watch is not None
    assert diagnostics.gradient_flow_watch.step_unit == "training_forward"
    assert diagnostics.gradient_flow_watch.every is None  # not recorded in 1.0
    assert [s.step for s in diagnostics.gradient_flow] == [0, 7]
    assert all(s.summary is None and s.direction == "forward" for s in diagnostics.gradient_flow)
    assert RunRecord.model_validate_json(record.to_json()) == record
    without = repro.load_record(RECORD_1_0)
    assert without.diagnostics is None or without.diagnostics.gradient_flow_watch is None


def snapshot(layer: str, step: int, rate: float, direction: str = "forward") -> GradientFlow:
    norms = geometric(rate, 40)
    if direction == "backward":
        norms = norms[::-1]
    return GradientFlow(
        step=step,
        layer=layer,
        timesteps=list(range(40)),
        grad_norms=norms,
        direction=direction,
        length=40,
        summary=summarize(norms[::-1] if direction == "backward" else norms),
    )


def drawn(monkeypatch: pytest.MonkeyPatch, snapshots: list[GradientFlow]) -> Figure:
    figures: list[Figure] = []
    real = plots._svg_uri

    def keep(figure: Figure) -> str:
        figures.append(figure)
        return real(figure)

    monkeypatch.setattr(plots, "_svg_uri", keep)
    plot = plots.gradient_flow(snapshots)
    assert plot is not None and plot.uri.startswith("data:image/svg+xml;base64,")
    (figure,) = figures
    return figure


def test_the_plot_draws_one_curve_per_layer_with_the_legend_outside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snapshots = [
        snapshot("encoder.rnn", step, rate) for step, rate in ((0, 0.7), (100, 0.8), (200, 0.9))
    ]
    snapshots += [
        snapshot("bi", step, 0.85, d) for step in (0, 200) for d in ("forward", "backward")
    ]
    snapshots.append(snapshot("cell", 0, 0.6))  # one snapshot only: in the first panel only
    figure = drawn(monkeypatch, snapshots)
    first, latest = figure.axes
    assert first.get_title() == "First snapshot (step 0)"
    assert latest.get_title() == "Latest snapshot (step 200)"
    assert len(first.get_lines()) == 4 + 1  # four curves and the verdict-distance line
    assert len(latest.get_lines()) == 3 + 1
    (legend,) = figure.legends  # one legend for the figure, not one inside each panel
    assert first.get_legend() is None and latest.get_legend() is None
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["encoder.rnn", "bi (forward)", "bi (backward)", "cell"]
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    box = legend.get_window_extent(renderer)
    for ax in figure.axes:  # outside the curves: no overlap with either panel
        assert not box.overlaps(ax.get_window_extent(renderer))
        locator = ax.xaxis.get_major_locator()
        assert isinstance(locator, MaxNLocator) and locator._integer
        assert all(float(t).is_integer() for t in ax.get_xticks())
        assert ax.get_yscale() == "log"
    # each curve is relative to its last step, so every one starts at 1 at distance 0
    for line in first.get_lines()[:4]:
        assert line.get_xdata()[0] == 0 and line.get_ydata()[0] == pytest.approx(1.0)


def test_a_1_0_snapshot_without_length_or_summary_is_still_drawn() -> None:
    old = GradientFlow(step=0, layer="rnn", timesteps=[0, 10, 20], grad_norms=[1e-6, 1e-3, 1.0])
    plot = plots.gradient_flow([old])
    assert plot is not None and "dashed line" in plot.caption
    assert plots.gradient_flow([]) is None
    zero = GradientFlow(step=0, layer="rnn", timesteps=[0, 1], grad_norms=[1.0, 0.0])
    assert plots.gradient_flow([zero]) is None  # nothing to measure against: not drawn


def test_diagnostics_fields_are_described_for_the_card() -> None:
    schema = Diagnostics.model_json_schema()
    for name in ("FlowSummary", "LayerFlow", "FlowWatch", "GradientFlow"):
        for field, spec in schema["$defs"][name]["properties"].items():
            assert spec.get("description"), f"{name}.{field} has no description"
