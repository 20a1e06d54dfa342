"""``repro paper``: the whole appendix in one folder, compiled with pdflatex (no error, no
overfull box), written atomically, from record files and from MLflow runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.cards import metric_history, record_with_diagnostics
from support.latex import pdf_text, program

import repro
from repro.errors import InvalidInputError
from repro.paper import write_paper
from repro.record import HyperparameterSearch, Metric, RunRecord

pytestmark = pytest.mark.slow


def runs() -> list[RunRecord]:
    """Two cells x three seeds, with gradient flow and contributors; a metric named with
    LaTeX's specials."""
    found = []
    base = record_with_diagnostics()
    for cell, offset in (("lstm", 0.0), ("gru", 0.004)):
        for seed in range(3):
            record = base.model_copy(deep=True)
            record.run.name = f"{cell}_seed{seed}"
            record.architecture.recurrent_layers[0].cell = cell  # type: ignore[union-attr]
            record.training.seeds.torch = seed  # type: ignore[union-attr]
            record.training.seeds.python = record.training.seeds.numpy = seed  # type: ignore[union-attr]
            record.results = [
                Metric(name="mse_50%", value=0.002 + offset + 0.0004 * seed, split="test",
                       higher_is_better=False),
            ]  # fmt: skip
            found.append(record)
    return found


def trials(method: str = "random", n: int = 6) -> list[RunRecord]:
    """The trials of a search over the learning rate, one of them failed (no score)."""
    found = []
    for index in range(n):
        record = record_with_diagnostics()
        record.run.name = f"trial-{index}"
        record.run.experiment = "adding-search"
        record.training.optimizer.settings["lr"] = 10 ** (-4 + 0.5 * index)  # type: ignore[union-attr]
        record.training.hyperparameter_search = HyperparameterSearch(  # type: ignore[union-attr]
            method=method, space={"lr": "log-uniform [1e-4, 1e-1]"}, trials=n,
            objective="validation/mse",
        )  # fmt: skip
        score = Metric(
            name="mse", value=0.01 / (1 + index), split="validation", higher_is_better=False
        )
        record.results = [] if index == n - 1 else [score]
        if index == n - 1:
            record.run.status = "failed"
        found.append(record)
    return found


def pdflatex(folder: Path) -> tuple[list[str], list[str]]:
    run = [program("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "appendix.tex"]
    for _ in range(2):  # twice: references and float placement settle
        subprocess.run(run, cwd=folder, capture_output=True, timeout=180, check=False)
    log = (folder / "appendix.log").read_text(encoding="latin-1").splitlines()
    errors = [line for line in log if line.startswith("!")]
    overfull = [line for line in log if line.startswith("Overfull \\hbox")]
    return errors, overfull


def test_the_appendix_compiles_with_every_part(tmp_path: Path) -> None:
    out = tmp_path / "paper"
    written = write_paper(runs(), out, search=trials(), history=lambda r: metric_history(400))
    files = set(written.written)
    for path in (
        "appendix.tex", "appendix-body.tex", "tables/results.tex", "tables/hparams.tex",
        "methods.tex", "methods.md", "tables/expected-max.tex", "figures/expected-max.pdf",
        "credit/credit.txt", "credit/credit.xml",
    ):  # fmt: skip
        assert path in files and (out / path).is_file(), path
    figures = sorted(p for p in files if p.startswith("figures/"))
    assert any(p.startswith("figures/gradient-flow-") for p in figures)
    assert any(p.startswith("figures/training-curves-") for p in figures)
    assert all((out / p).read_bytes().startswith(b"%PDF") for p in figures)
    for figure in figures:  # publishers' checks reject Type 3 fonts
        fonts = subprocess.run([program("pdffonts"), str(out / figure)], capture_output=True,
                               text=True, timeout=60, check=True).stdout  # fmt: skip
        assert "Type 3" not in fonts and "TrueType" in fonts, figure
    assert len([p for p in files if p.startswith("cards/")]) == 6
    body = (out / "appendix-body.tex").read_text(encoding="utf-8")
    for path in ("tables/results", "tables/hparams", "methods", "tables/expected-max"):
        assert f"\\input{{{path}}}" in body
    results = (out / "tables/results.tex").read_text(encoding="utf-8")
    assert "mse\\_50\\%" in results and "Welch" in results  # escaped; the method stated
    assert written.notes == []  # nothing left out: every part had what it needs
    errors, overfull = pdflatex(out)
    assert errors == [] and overfull == []
    text = " ".join(pdf_text(out / "appendix.pdf").replace("\u2019", "'").split())
    assert "Welch's two-sided t-test" in text and "Josiah Carberry" in text
    assert "Expected best mse (validation)" in text


def test_what_the_runs_lack_is_a_note_and_the_checklist_comes_from_the_registry(
    tmp_path: Path,
) -> None:
    from repro.rendering.registry import FORMATS

    records = [repro.load_record(Path(__file__).parents[2] / "examples/records/lstm-adding.yaml")]
    written = write_paper(records, tmp_path / "paper", profile="ml-reproducibility")
    notes = dict(written.notes)
    assert "grid search" in notes["Tuning budget"]
    assert "gradient-flow" in notes["Gradient flow through time"]
    if "checklist-latex" not in FORMATS:
        assert "checklist-latex" in notes["Reproducibility checklist"]
    else:
        assert (tmp_path / "paper/checklist/checklist.tex").is_file()
    body = (tmp_path / "paper/appendix-body.tex").read_text(encoding="utf-8")
    assert "No budget analysis" in body
    errors, overfull = pdflatex(tmp_path / "paper")
    assert errors == [] and overfull == []


def test_an_error_leaves_no_folder_and_keeps_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "paper"
    with pytest.raises(InvalidInputError, match="random"):
        write_paper(runs(), out, search=trials(method="grid"))
    assert not out.exists() and list(tmp_path.iterdir()) == []
    write_paper(runs(), out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(InvalidInputError):
        write_paper(runs(), out, search=trials(method="bayesian"))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paper"]  # no staging folder left
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("mine", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "repro", "paper", str(Path(__file__).parents[2]
         / "examples/records/lstm-adding.yaml"), "-o", str(tmp_path / "mine")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "not written by repro paper" in done.stderr
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["thesis.tex"]


def test_paper_from_mlflow_runs_draws_training_curves(tracking_store: str, tmp_path: Path) -> None:
    for record in runs()[:2] + runs()[3:5]:
        with repro.track(record, experiment="paper") as run:
            for step in range(5):
                run.log_metrics({"train/loss": 1.0 / (step + 1)}, step=step)
    out = tmp_path / "appendix"
    done = subprocess.run(
        [sys.executable, "-m", "repro", "paper", "--experiment", "paper", "-o", str(out),
         "--tracking-uri", tracking_store],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(out.glob("figures/training-curves-*.pdf"))
    assert "Training curves" not in done.stderr  # no note: the curves were drawn


CHECKLIST_TEX = r"""\begin{enumerate}
{% for run in runs %}
\item {\bf {{ run | latex }}}
    \item[] Answer: \answerYes{}
{% endfor %}
\end{enumerate}
"""


def test_a_registered_checklist_is_input_and_compiles(tmp_path: Path) -> None:
    """The checklist formats come from the registry (repro checklist's): when they are there,
    the appendix inputs the LaTeX one, and its answer macros compile outside a venue's style.
    Without the real ones installed, stand-ins in the official checklist's shape are
    registered for the test."""
    from repro.rendering.format import OutputFormat
    from repro.rendering.registry import FORMATS, register, unregister

    added = []
    if "checklist-latex" not in FORMATS:
        templates = tmp_path / "templates"
        templates.mkdir()
        (templates / "checklist.tex.j2").write_text(CHECKLIST_TEX, encoding="utf-8")
        (templates / "checklist.md.j2").write_text("{{ runs }}\n", encoding="utf-8")

        def stand_in(source: list[RunRecord], profile: str = "neurips") -> dict[str, object]:
            return {"runs": [r.run.name for r in source], "profile": profile}

        for variant, suffix in (("latex", "tex"), ("md", "md")):
            added.append(
                register(
                    OutputFormat(
                        name=f"checklist-{variant}", document=stand_in,
                        template=f"checklist.{suffix}.j2", accepts=(list,), suffix=f".{suffix}",
                        media_type="text/plain", autoescape=False, description="stand-in",
                        template_dirs=(str(templates),),
                    )
                )
            )  # fmt: skip
    try:
        written = write_paper(runs()[:3], tmp_path / "paper", profile="neurips")
    finally:
        for fmt in added:
            unregister(fmt.name)
    assert "checklist/checklist.tex" in written.written
    assert "Reproducibility checklist" not in dict(written.notes)
    body = (tmp_path / "paper/appendix-body.tex").read_text(encoding="utf-8")
    assert "\\input{checklist/checklist}" in body
    assert "\\providecommand{\\answerYes}" in (tmp_path / "paper/appendix.tex").read_text()
    errors, overfull = pdflatex(tmp_path / "paper")
    assert errors == [] and overfull == []
