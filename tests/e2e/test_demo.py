"""The demo and the single-run training script, run for real against MLflow's embedded store."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import repro
from repro.record import RunRecord

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CELLS = ("rnn", "lstm", "gru")
QUICK_STEPS = 12  # examples/demo.py QUICK.steps


def run_script(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{args}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["COLUMNS"] = "160"
    env["REPRO_JOURNAL_DIR"] = str(tmp_path / "journal")
    return env


@pytest.mark.slow
def test_demo_tracks_every_run_and_writes_every_output(tmp_path: Path) -> None:
    result = run_script(
        [str(EXAMPLES / "demo.py"), "--out", "demo-output", "--quick", "--seeds", "1"],
        tmp_path,
        clean_env(tmp_path),
    )
    out = tmp_path / "demo-output"
    names = [f"{cell}-adding-seed0" for cell in CELLS]
    expected = [f"records/{n}.yaml" for n in names]
    expected += [f"cards/{n}.md" for n in names] + [f"cards/{n}.html" for n in names]
    expected += [f"credit/credit.{s}" for s in ("txt", "xml", "jsonld", "csv", "bib")]
    expected += ["tables/hparams.tex", "tables/hparams.md", "tables/results.md"]
    expected += ["tables/results.tex", "tables/results.csv", "check-report.txt"]
    expected += ["gradient-flow.md"]
    missing = [p for p in expected if not (out / p).is_file()]
    assert not missing, f"missing outputs {missing}\n{result.stdout}"
    assert "skipped" not in result.stdout and "failed" not in result.stdout, result.stdout
    assert "check (ml-reproducibility): passed" in result.stdout
    assert "check (model-card): passed, 0 error(s)" in result.stdout  # (issue 12)

    # the embedded default store in the working directory holds the runs, with their records
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("adding")
    assert experiment is not None
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert sorted(runs) == sorted(names)

    for name in names:
        record = repro.load_record(out / "records" / f"{name}.yaml")
        assert record.run.status == "finished"
        assert runs[name].info.status == "FINISHED"
        assert repro.load_run(runs[name].info.run_id, tracking_uri=uri) == record
        assert record.architecture is not None and record.training is not None
        assert record.training.seeds is not None and record.training.seeds.torch == 0
        assert record.data and record.data[0].sha256 is not None
        assert {(m.name, m.split) for m in record.results} == {
            ("mse", "test"),
            ("accuracy", "test"),
        }
        diagnostics = record.diagnostics
        assert diagnostics is not None and diagnostics.clipping is not None
        assert diagnostics.clipping.steps == QUICK_STEPS
        assert [s.step for s in diagnostics.gradient_flow] == [0, 5, 10]
        assert all(s.layer == "rnn" for s in diagnostics.gradient_flow)
        card = (out / "cards" / f"{name}.md").read_text(encoding="utf-8")
        assert card.startswith("---\n")  # Hub metadata block
        # the HTML card comes from the run: training curves and gradient flow, logged back on it
        html = (out / "cards" / f"{name}.html").read_text(encoding="utf-8")
        assert html.count("<img") == 2 and "Training curves" in html
        assert "Gradient flow through time" in html
        run_id = runs[name].info.run_id
        assert "repro/model_card.html" in [a.path for a in client.list_artifacts(run_id, "repro")]
        (flow,) = diagnostics.gradient_flow_layers
        assert (flow.layer, flow.snapshots, flow.first_step, flow.latest_step) == ("rnn", 3, 0, 10)
        assert flow.initial is not None and flow.latest is not None
        assert diagnostics.gradient_flow_watch is not None
        assert diagnostics.gradient_flow_watch.step_unit == "optimizer_step"
        assert diagnostics.gradient_flow_watch.optimizer_steps == QUICK_STEPS

    # the comparison between the cells is written from the runs' records, numbers included
    report = (out / "gradient-flow.md").read_text(encoding="utf-8")
    for name in names:
        flow = repro.load_record(out / "records" / f"{name}.yaml").diagnostics.gradient_flow_layers[
            0
        ]
        assert flow.latest is not None and flow.latest.ratio is not None
        assert f"{flow.latest.ratio:.1e}" in report
    assert "After training, the gradient reaching 7 steps back is largest for the" in report
    assert "After training" in result.stdout

    # all runs share one dataset; the LSTM's forget-gate bias was captured as set
    digests = {repro.load_record(out / "records" / f"{n}.yaml").data[0].sha256 for n in names}
    assert len(digests) == 1
    lstm = repro.load_record(out / "records" / "lstm-adding-seed0.yaml")
    assert lstm.training is not None and lstm.training.initialisation is not None
    assert lstm.training.initialisation.forget_gate_bias == pytest.approx(1.0)

    # each CRediT rendering parses as what it claims to be
    from lxml import etree

    etree.fromstring((out / "credit/credit.xml").read_bytes())
    jsonld = json.loads((out / "credit/credit.jsonld").read_text(encoding="utf-8"))
    assert "Carberry" in json.dumps(jsonld, ensure_ascii=False)
    rows = list(csv.reader(io.StringIO((out / "credit/credit.csv").read_text(encoding="utf-8"))))
    assert len(rows) > 3
    import bibtexparser

    library = bibtexparser.parse_string((out / "credit/credit.bib").read_text(encoding="utf-8"))
    assert library.entries and not library.failed_blocks
    assert "Wei Chen" in (out / "credit/credit.txt").read_text(encoding="utf-8")
    hparams = (out / "tables/hparams.md").read_text(encoding="utf-8")
    assert all(n in hparams.replace("\\", "") for n in names)
    check_search_and_paper(out, result.stdout, client)


def check_search_and_paper(out: Path, stdout: str, client: object) -> None:
    """Issue 13: the demo's random search gives a budget table, and `repro paper` over its runs
    writes an appendix that compiles with no error and no overfull box."""
    from support.latex import program

    trials = client.search_runs(  # type: ignore[attr-defined]
        [client.get_experiment_by_name("adding-search").experiment_id]  # type: ignore[attr-defined]
    )
    assert len(trials) == 3
    assert "Random search: expected best validation MSE by number of trials" in stdout
    assert "| 3 |" in (out / "tables/expected-max.md").read_text(encoding="utf-8")
    paper = out / "paper"
    for path in ("appendix.tex", "tables/results.tex", "tables/expected-max.tex", "methods.tex",
                 "figures/expected-max.pdf", "credit/credit.xml"):  # fmt: skip
        assert (paper / path).is_file(), path
    assert len(list(paper.glob("figures/gradient-flow-*.pdf"))) == 3
    assert len(list(paper.glob("figures/training-curves-*.pdf"))) == 3
    command = [program("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "appendix.tex"]
    for _ in range(2):
        subprocess.run(command, cwd=paper, capture_output=True, timeout=180, check=False)
    log = (paper / "appendix.log").read_text(encoding="latin-1").splitlines()
    assert [line for line in log if line.startswith(("!", "Overfull \\hbox"))] == []
    assert (paper / "appendix.pdf").is_file()


@pytest.mark.slow
def test_train_script_writes_a_valid_record_with_its_diagnostics(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path / 'store.db'}"
    args = [str(EXAMPLES / "train.py"), "--cell", "gru", "--seed", "3", "--steps", "5"]
    result = run_script([*args, "--length", "6", "--out", "gru.json"], tmp_path, env)
    assert "gru-adding-seed3: test MSE" in result.stdout
    record = repro.load_record(tmp_path / "gru.json")
    assert isinstance(record, RunRecord)
    assert record.training is not None and record.training.max_steps == 5
    assert record.training.sequence_length == 6
    assert record.diagnostics is not None and record.diagnostics.clipping is not None
    assert record.diagnostics.clipping.steps == 5
    assert [s.step for s in record.diagnostics.gradient_flow] == [0]
    assert record.diagnostics.gradient_flow[0].timesteps == list(range(6))
    assert record.provenance is not None and record.provenance.command is not None
    assert "--cell" in record.provenance.command


def test_an_unregistered_format_is_skipped_with_the_reason(tmp_path: Path) -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import demo
    finally:
        sys.path.remove(str(EXAMPLES))
    outputs = demo.Outputs(tmp_path)
    record = repro.load_record(EXAMPLES / "records" / "lstm-adding.yaml")
    outputs.render(tmp_path / "card.pdf", record, "card-pdf")
    outputs.render(tmp_path / "card.md", record, "card-md")
    [(path, reason)] = outputs.skipped
    assert path == "card.pdf"
    assert "output format 'card-pdf' is not registered" in reason
    assert "card-md" in reason  # the known formats are listed
    assert not (tmp_path / "card.pdf").exists()
    assert outputs.written == [tmp_path / "card.md"]
