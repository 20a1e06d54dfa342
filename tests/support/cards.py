"""Shared test data for the model-card tests: a record with diagnostics and a metric history."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import repro
from repro.record import (
    ClippingStats,
    Diagnostics,
    FlowWatch,
    GradientFlow,
    LayerFlow,
    RecordWarning,
    RunRecord,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"
ARTIFACTS = ROOT / "tests" / "artifacts"


def example_record() -> RunRecord:
    """The example LSTM record as shipped (no diagnostics)."""
    return repro.load_record(EXAMPLE)


def flow_snapshots(layer: str = "rnn", steps: int = 5, timesteps: int = 100) -> list[GradientFlow]:
    """Gradient norms that decay towards t = 0, less steeply as training goes on."""
    snapshots = []
    for i in range(steps):
        step = i * 500
        scale = 6.0 + 4.0 * i
        ts = list(range(0, timesteps, 2))
        norms = [math.exp(-(timesteps - 1 - t) / scale) for t in ts]
        snapshots.append(GradientFlow(step=step, layer=layer, timesteps=ts, grad_norms=norms))
    return snapshots


def read_flow(snapshots: list[GradientFlow]) -> tuple[list[GradientFlow], list[LayerFlow]]:
    """Snapshots with their readings, and the per-layer summaries, as a watched run records
    them (repro.diagnostics.summary: pure, but its package imports torch, so on use)."""
    from repro.diagnostics.summary import WatchedCurve, summarize, summarize_layers

    read = [s.model_copy(update={"summary": summarize(s.grad_norms)}) for s in snapshots]
    curves = [WatchedCurve(s.layer, s.direction, "LSTM", "sequence") for s in read]
    return read, summarize_layers(read, curves)


def record_with_diagnostics() -> RunRecord:
    """The example record plus gradient flow for one layer (snapshots, their readings, the
    layer's summary, how steps were counted) and clipping statistics."""
    record = example_record()
    snapshots, layers = read_flow(flow_snapshots())
    record.diagnostics = Diagnostics(
        gradient_flow=snapshots,
        gradient_flow_layers=layers,
        gradient_flow_watch=FlowWatch(every=500, step_unit="optimizer_step"),
        clipping=ClippingStats(
            steps=2000,
            clipped_steps=137,
            threshold=1.0,
            norm_mean=0.62,
            norm_p50=0.48,
            norm_p95=1.4,
            norm_max=7.9,
        ),
    )
    record.warnings = [
        RecordWarning(
            path="training.precision",
            message="the stated precision disagrees with the autocast seen while training",
            stated="fp32",
            observed="amp-bf16",
        )
    ]
    return record


def metric_history(steps: int = 2000) -> dict[str, list[tuple[int, float]]]:
    """A plausible training run: loss falling, validation every 100 steps, cosine LR."""
    noise = random.Random(0)
    train = [
        (s, (0.17 * math.exp(-s / 300) + 0.002) * math.exp(noise.gauss(0, 0.15)))
        for s in range(steps)
    ]
    val = [(s, 0.17 * math.exp(-s / 320) + 0.0025) for s in range(0, steps, 100)]
    lr = [
        (s, 1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + math.cos(math.pi * s / steps))) for s in range(steps)
    ]
    return {"train/loss": train, "val/loss": val, "val/mse": val, "lr": lr}


# -- parsers the table and injection tests share ---------------------------------------------

LATEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}&%$#_~^]|[^\\{}&%$#_~^]+", re.S)


def latex_tokens(text: str) -> list[str]:
    """LaTeX source as tokens: control words, escaped characters, specials, plain runs."""
    tokens = LATEX_TOKEN.findall(text)
    assert "".join(tokens) == text, "a backslash ends the text"
    return tokens


def latex_brace_depths(text: str) -> list[int]:
    """Running depth of unescaped braces; fails when it goes below zero."""
    depth, depths = 0, []
    for token in latex_tokens(text):
        depth += {"{": 1, "}": -1}.get(token, 0)
        assert depth >= 0, "unbalanced '}'"
        depths.append(depth)
    return depths


def latex_raw_specials(text: str) -> set[str]:
    """Specials that appear unescaped (``&`` excluded: it separates cells)."""
    return {t for t in latex_tokens(text) if t in {"%", "$", "#", "_", "~", "^"}}


def latex_cells(row: str) -> list[str]:
    """The cells of one tabular row (split at unescaped ``&``, ``\\\\`` stripped)."""
    body = row.strip()
    assert body.endswith("\\\\"), row
    cells, current = [], []
    for token in latex_tokens(body[:-2]):
        if token == "&":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(token)
    cells.append("".join(current).strip())
    return cells


def md_cells(line: str) -> list[str]:
    """The cells of one Markdown table row (split at pipes not escaped by a backslash)."""
    assert line.startswith("|") and line.endswith("|"), line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def md_tables(markdown: str) -> list[list[str]]:
    """Each Markdown table as its list of row lines."""
    tables, current = [], []
    for line in markdown.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables
