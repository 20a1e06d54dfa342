"""The Markdown model card as Hugging Face and a reader see it: metadata, sections, results."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before huggingface_hub reads its settings

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard
from support.cards import EXAMPLE, example_record, record_with_diagnostics

import repro
from repro.documents.card import front_matter
from repro.documents.formatting import MISSING
from repro.record import Interval, Metric, RunInfo, RunRecord

SECTIONS = [
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Training data",
    "Quantitative analyses",
    "Ethical considerations",
    "Caveats and recommendations",
    "Architecture",
    "Training details",
    "Environment",
    "Reproducibility",
    "Contributions",
    "Citation",
]


def headings(markdown: str, level: int = 2) -> list[str]:
    return re.findall(rf"^{'#' * level} (.+)$", markdown, flags=re.MULTILINE)


def section(markdown: str, title: str) -> str:
    """The text of one '## title' section, up to the next '## '."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


def multi_seed_record() -> RunRecord:
    record = example_record()
    record.results = [
        Metric(
            name="mse",
            value=0.0021,
            split="test",
            higher_is_better=False,
            std=0.00031,
            ci=Interval(low=0.0017, high=0.0025),
            n=5,
            per_seed={0: 0.0019, 1: 0.0024, 2: 0.0020, 3: 0.0018, 4: 0.0024},
        ),
        Metric(name="accuracy", value=0.981, split="test", higher_is_better=True),
    ]
    return record


def test_hugging_face_reads_eval_results_back(tmp_path: Path) -> None:
    record = example_record()
    text = repro.render(record, "card-md")
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")

    for card in (ModelCard(text), ModelCard.load(path)):
        data = card.data
        assert data.license == "mit"
        # "pytorch" is no Hub library key (issue 11): no library_name, pytorch is a tag
        assert data.library_name is None
        assert {"rnn", "lstm", "pytorch", "repro"} <= set(data.tags)
        assert data.datasets == ["adding-problem"]
        assert data.metrics == ["mse", "accuracy"]
        assert data.model_name == "LSTM baseline for the adding problem"
        results = {r.metric_type: r for r in data.eval_results}
        assert set(results) == {"mse", "accuracy"}
        assert results["mse"].metric_value == pytest.approx(0.0021)
        assert results["accuracy"].metric_value == pytest.approx(0.981)
        for result in results.values():
            # a Hub task id, never the experiment name (issue 11); the record's task names it
            assert result.task_type == "other"
            assert result.task_name == "adding"
            assert result.dataset_type == "adding-problem"
            assert result.dataset_name == "adding-problem"
            assert result.dataset_split == "test"
            assert result.dataset_revision == "1"
        assert results["mse"].metric_name == "mse (test)"
        # the body survives loading, results included (not only in the metadata)
        assert "## Quantitative analyses" in card.text
        assert "0.0021" in section(card.text, "Quantitative analyses")


def test_front_matter_is_yaml_of_the_metadata_dict() -> None:
    record = example_record()
    text = repro.render(record, "card-md")
    assert text.startswith("---\n")
    block = text.split("---\n", 2)[1]
    assert yaml.safe_load(block) == front_matter(record)


def test_all_sections_in_order_and_missing_prose_marked() -> None:
    text = repro.render(record_with_diagnostics(), "card-md")
    found = [h for h in headings(text) if h in SECTIONS]
    assert found == SECTIONS
    assert headings(text).index("Gradient diagnostics") > headings(text).index("Training details")
    # the example leaves these out: shown as missing, never filled in
    for title in ("Factors", "Ethical considerations"):
        assert section(text, title).strip() == MISSING
    caveats = section(text, "Caveats and recommendations")
    assert "Trained at one sequence length" in caveats  # limitations are recorded
    assert MISSING in caveats  # caveats are not
    # what the record has is shown, not the marker
    intended = section(text, "Intended use")
    assert "long-range credit assignment" in intended
    assert MISSING not in intended
    assert not re.search(r"\|\s*\|\s*$", section(text, "Model details"), re.M)  # no empty cell


def test_record_with_nothing_but_a_name_is_marked_missing_throughout() -> None:
    record = RunRecord(run=RunInfo(name="bare"))
    text = repro.render(record, "card-md")
    card = ModelCard(text)
    assert card.data.eval_results is None  # nothing to report, nothing invented
    assert card.data.license is None
    for title in SECTIONS:
        body = section(text, title)
        assert body.strip(), f"section {title} is empty"
    for title in (
        "Factors",
        "Metrics",
        "Evaluation data",
        "Training data",
        "Quantitative analyses",
        "Architecture",
        "Training details",
        "Environment",
        "Contributions",
        "Citation",
    ):
        assert MISSING in section(text, title), title
    assert "Gradient diagnostics" not in headings(text)
    assert "| Git commit | not recorded |" in section(text, "Reproducibility")
    assert "| License | [More Information Needed] |" in section(text, "Model details")


def test_results_show_spread_ci_n_and_per_seed_values() -> None:
    text = repro.render(multi_seed_record(), "card-md")
    results = section(text, "Quantitative analyses")
    row = next(line for line in results.splitlines() if line.startswith("| mse"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "mse ↓"
    assert cells[2] == "0.00210 ± 0.00031"
    assert cells[3] == "[0.001700, 0.002500] (95%)"
    assert cells[4] == "5"
    assert "### Per-seed results" in results
    per_seed = [line for line in results.splitlines() if line.startswith("| mse | test |")]
    assert len(per_seed) == 5
    assert "| mse | test | 3 | 0.001800 |" in per_seed
    # a single-run value has no spread to show
    accuracy = next(line for line in results.splitlines() if line.startswith("| accuracy"))
    assert "±" not in accuracy


def test_training_and_reproducibility_details() -> None:
    text = repro.render(example_record(), "card-md")
    training = section(text, "Training details")
    assert "| Optimizer | Adam (lr=0.001" in training
    assert "| Gradient clipping | by norm, max 1 (p=2) |" in training
    assert "| Truncated BPTT window | not recorded |" in training
    assert "| Forget-gate bias | 0 |" in training  # a real 0.0 is shown, not dropped
    assert "| Dropout | between\\_layers=0.1 |" in training
    repro_section = section(text, "Reproducibility")
    assert "| Seeds | python=0, numpy=0, torch=0 |" in repro_section
    assert "| Git commit | 9fceb02d0ae598e95dc970b74767f19372d61af8 |" in repro_section
    assert "| Working tree | clean |" in repro_section
    assert "| torch.use\\_deterministic\\_algorithms | yes |" in repro_section
    assert "```shell\npython train.py --cell lstm --seed 0\n```" in repro_section
    architecture = section(text, "Architecture")
    assert "| rnn | LSTM | 2 | 128 | 2 | no | — | 0.1 | yes | yes | 199,680 |" in architecture


def test_gradient_diagnostics_section_only_when_recorded() -> None:
    """Issue 11 replaced the first/last ratio with the record's own reading of each layer."""
    assert "## Gradient diagnostics" not in repro.render(example_record(), "card-md")
    text = repro.render(record_with_diagnostics(), "card-md")
    diag = section(text, "Gradient diagnostics")
    row = next(line for line in diag.splitlines() if line.startswith("| rnn"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:5] == ["forward", "LSTM", "5", "0–2000"]
    assert cells[5].startswith("stable: ")  # the latest snapshot has recovered
    assert re.search(r"at d = \d+ \(vanishing < 1e-3, exploding > 1e3\)$", cells[5])
    assert cells[6].startswith("vanishing: ")  # the first snapshot's reading beside it
    assert cells[7] == "\\> 49 (T−1; 0.01 of d = 0)"  # never below 1% within the sequence
    assert cells[8].startswith("× ") and "per step" in cells[8]
    assert "optimizer steps" in diag  # what the step numbers count
    assert "Ratio (first)" not in diag and "within range" not in diag
    assert "| Steps clipped | 137 (6.9%) |" in diag


def test_contribution_statement_is_the_credit_text() -> None:
    record = example_record()
    text = repro.render(record, "card-md")
    contributions = section(text, "Contributions").strip()
    assert contributions.startswith("Josiah Carberry: Conceptualization, Software, Writing")
    styled = repro.render(record, "card-md", credit_style="role-first")
    assert section(styled, "Contributions").strip().startswith("Conceptualization: Josiah")


def test_one_partial_can_be_overridden(tmp_path: Path) -> None:
    override = tmp_path / "card" / "md" / "factors.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("## Factors\n\nEvaluated on {{ title | md }} only.\n\n", encoding="utf-8")
    text = repro.render(example_record(), "card-md", template_dir=tmp_path)
    assert (
        section(text, "Factors").strip()
        == "Evaluated on LSTM baseline for the adding problem only."
    )
    assert [h for h in headings(text) if h in SECTIONS] == SECTIONS  # the rest is built in


def test_cli_writes_card_to_stdout_and_to_file(tmp_path: Path) -> None:
    out = tmp_path / "README.md"
    run = [sys.executable, "-m", "repro", "card", str(EXAMPLE)]
    to_file = subprocess.run([*run, "-o", str(out)], capture_output=True, text=True, timeout=60)
    assert to_file.returncode == 0, to_file.stderr
    to_stdout = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    assert ModelCard.load(out).data.eval_results


def test_cli_bad_source_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("run: {name: x}\ntraining: {batch_size: -1}\n", encoding="utf-8")
    out = tmp_path / "card.md"
    result = subprocess.run(
        [sys.executable, "-m", "repro", "card", str(bad), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "training.batch_size" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
