"""The LaTeX and BibTeX outputs compiled for real: pdflatex with booktabs in a standard
article (345 pt text width) and bibtex with an abbreviating style. No error, no overfull box,
and the text a reader gets is the text the record holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cards import example_record
from support.latex import compile_latex, pdf_text

import repro
from repro.record import Contributors, Metric, RunRecord

pytestmark = pytest.mark.slow

CELLS = ["lstm", "gru", "rnn_tanh", "lstm", "gru", "rnn_relu"]


def six_configurations_by_three_seeds() -> list[RunRecord]:
    runs = []
    for number, cell in enumerate(CELLS):
        for seed in range(3):
            record = example_record()
            record.run.name = f"{cell}-h{64 * (1 + number % 2)}-seed{seed}"
            layer = record.architecture.recurrent_layers[0]
            layer.cell = cell
            layer.hidden_size = 64 * (1 + number % 2)
            record.training.optimizer.settings["lr"] = [0.001, 0.003, 0.0003][number % 3]
            record.training.optimizer.settings.update(foreach=None, fused=None, maximize=False)
            record.training.loss = "Zoë Ångström-α loss"  # non-ASCII in a shared value
            seeds = record.training.seeds
            seeds.python = seeds.numpy = seeds.torch = seed
            record.results = [
                Metric(name="mse", value=0.002 + 0.001 * seed + 0.0005 * number, split="test",
                       higher_is_better=False),
                Metric(name="accuracy", value=0.95 - 0.01 * seed, split="test",
                       higher_is_better=True, unit="fraction"),
            ]  # fmt: skip
            runs.append(record)
    return runs


def test_hparams_of_six_configurations_compile_to_the_text_width(tmp_path: Path) -> None:
    tex = repro.render(six_configurations_by_three_seeds(), "hparams-latex", label="tab:hp")
    compiled = compile_latex(tex, tmp_path)
    assert compiled.errors == []
    assert compiled.overfull == []
    text = pdf_text(compiled.pdf)
    assert text.count("seeds 0–2") == 6  # one column per configuration, not per seed
    assert "foreach" not in text and "fused" not in text and "maximize" not in text
    assert "Zoë Ångström-α loss" in " ".join(text.split())
    assert (
        "Elman" in text
        and "(ReLU)" in text
        and "RNN_TANH" not in text
        and "rnn_tanh" not in text.lower()
    )
    assert "\\label{tab:hp}" in tex


def test_results_with_intervals_compile(tmp_path: Path) -> None:
    runs = six_configurations_by_three_seeds()
    tex = repro.render(runs, "results-latex", label="tab:res", caption="Über-results, α = 0.05")
    assert tex.index("\\caption") < tex.index("\\begin{tabularx}")  # caption above
    assert "\\label{tab:res}" in tex
    compiled = compile_latex(tex, tmp_path)
    assert compiled.errors == []
    assert compiled.overfull == []
    text = " ".join(pdf_text(compiled.pdf).split())
    assert "Über-results, α = 0.05" in text
    assert text.count("[") >= 12  # every multi-seed cell has its interval
    # accuracy over three seeds: t interval leaves [0, 1]? it is flagged when it does
    document = repro.documents.results.results(runs)
    flagged = [c for row in document.rows for c in row.cells if c and c.out_of_range]
    assert bool(flagged) == ("leaves the metric" in text)


def test_bibtex_abbreviates_every_given_name_and_keeps_the_year(tmp_path: Path) -> None:
    people = Contributors.model_validate(
        {
            "title": "LSTM baselines for the adding problem",
            "year": 2026,
            "contributors": [
                {"given_names": "Ana María", "family_name": "García-López", "roles": ["software"]},
                {"given_names": "Zoë", "family_name": "Ångström-α", "roles": ["investigation"]},
                {"family_name": "Plato", "roles": ["conceptualization"]},
                {"group": "Open Science Collaboration", "roles": ["validation"]},
            ],
        }
    )
    bib = repro.render(people, "credit-bibtex")
    compiled = compile_latex("Text.", tmp_path, bibliography=bib)
    assert compiled.errors == []
    text = " ".join(pdf_text(compiled.pdf).split())
    assert "A. M. García-López" in text  # both initials: the given names are not one unit
    assert "Z. Ångström-α" in text
    assert "Plato" in text and "Open Science Collaboration" in text
    assert "2026" in text
    assert "LSTM baselines" in text  # the acronym survives the style's lower-casing


def test_a_missing_program_fails_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compile helper fails (never skips) when pdflatex is not installed."""
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AssertionError, match="pdflatex is required"):
        compile_latex("x", Path("/tmp"))
