"""The HTML model card: one self-contained, printable page; plots; the MLflow run round trip."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import lxml.etree
import lxml.html
from mlflow import MlflowClient
from support.cards import EXAMPLE, example_record, metric_history, record_with_diagnostics

import repro
from repro.documents.formatting import MISSING
from repro.record import RunInfo, RunRecord
from repro.tracking.history import CARD_ARTIFACT_PATH, log_card_artifact
from repro.tracking.history import metric_history as run_history

SECTION_IDS = [
    "model-details",
    "model-sources",
    "intended-use",
    "how-to-get-started",  # the Hub template's sections (issue 11)
    "factors",
    "metrics",
    "evaluation-data",
    "training-data",
    "quantitative-analyses",
    "ethical-considerations",
    "caveats",
    "architecture",
    "training-details",
    "gradient-diagnostics",
    "environmental-impact",
    "environment",
    "reproducibility",
    "record-warnings",
    "contributions",
    "citation",
    "model-card-authors",
    "model-card-contact",
]


def parse(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def external_references(doc: lxml.html.HtmlElement) -> list[str]:
    """Every URL the page could fetch: src/href/srcset/url() other than data: and #anchors."""
    found = []
    for element in doc.iter():
        for attribute in ("src", "href", "srcset", "poster", "data", "action"):
            value = element.get(attribute)
            if value and not value.startswith(("data:", "#")):
                found.append(f"{element.tag}[{attribute}]={value[:80]}")
    for style in doc.iter("style"):
        if "url(" in (style.text or "") or "@import" in (style.text or ""):
            found.append("style: url()/@import")
    return found


def svg_of(uri: str) -> lxml.etree._Element:
    assert uri.startswith("data:image/svg+xml;base64,")
    return lxml.etree.fromstring(base64.b64decode(uri.split(",", 1)[1]))


def test_card_is_self_contained_with_both_plots() -> None:
    html = repro.render(record_with_diagnostics(), "card-html", history=metric_history())
    doc = parse(html)

    assert doc.findall(".//script") == []
    assert external_references(doc) == []
    csp = doc.find(".//meta[@http-equiv='Content-Security-Policy']").get("content")
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert "@media print" in doc.find(".//style").text
    assert [s.get("id") for s in doc.iter("section")] == SECTION_IDS
    images = doc.findall(".//figure/img")
    assert len(images) == 2
    for image in images:
        svg = svg_of(image.get("src"))  # a well-formed SVG document
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert image.get("alt")
    captions = [f.text_content() for f in doc.iter("figcaption")]
    assert captions[0].startswith("Training curves.")
    assert captions[1].startswith("Gradient flow through time.")


def test_plots_follow_what_was_recorded() -> None:
    # no history and no diagnostics: no figure, a note, and no gradient section
    doc = parse(repro.render(example_record(), "card-html"))
    assert doc.findall(".//img") == []
    assert (
        "No metric history was given"
        in doc.get_element_by_id("quantitative-analyses").text_content()
    )
    assert doc.find(".//section[@id='gradient-diagnostics']") is None
    # an empty history is said to be empty, not drawn
    doc = parse(repro.render(example_record(), "card-html", history={}))
    assert (
        "logged no metric history" in doc.get_element_by_id("quantitative-analyses").text_content()
    )
    # history only: one figure, in the quantitative analyses
    doc = parse(repro.render(example_record(), "card-html", history=metric_history()))
    assert len(doc.get_element_by_id("quantitative-analyses").findall(".//img")) == 1


def test_missing_prose_is_a_visible_marker() -> None:
    doc = parse(repro.render(RunRecord(run=RunInfo(name="bare")), "card-html"))
    for section_id in ("factors", "ethical-considerations", "architecture", "citation"):
        markers = doc.get_element_by_id(section_id).find_class("missing")
        assert [m.text_content() for m in markers] == [MISSING], section_id
    assert doc.find(".//h1").text_content() == "bare"


def test_key_facts_and_results_in_the_page() -> None:
    doc = parse(repro.render(example_record(), "card-html"))
    facts = {
        dt.text_content(): dd.text_content()
        for dt, dd in zip(doc.iter("dt"), doc.iter("dd"), strict=True)
    }
    assert facts["Model"] == "2-layer LSTM, hidden size 128"
    assert facts["Parameters"] == "199,809"
    assert facts["mse (test)"] == "0.0021"
    assert facts["Commit"] == "9fceb02d0a"
    rows = doc.get_element_by_id("quantitative-analyses").findall(".//tbody/tr")
    assert [c.text_content() for c in rows[0].findall("td")][1:] == ["test", "0.0021", "—", "—"]


def test_history_and_artifact_on_a_real_mlflow_run(tracking_store: str) -> None:
    with repro.track(example_record(), experiment="adding", capture=False) as run:
        for step in (2, 0, 1):  # logged out of order
            run.log_metrics({"train/loss": 1.0 / (step + 1)}, step=step)
        run.log_metrics({"val/loss": 0.4}, step=1)
    history = run_history(run.run_id, tracking_store)
    assert history["train/loss"] == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    assert history["val/loss"] == [(1, 0.4)]
    assert not any(name.startswith("results/") for name in history)  # final values, not history

    path = log_card_artifact(run.run_id, "<!DOCTYPE html><p>card</p>", tracking_store)
    assert path == CARD_ARTIFACT_PATH
    listed = [a.path for a in MlflowClient(tracking_store).list_artifacts(run.run_id, "repro")]
    assert CARD_ARTIFACT_PATH in listed


def test_cli_html_from_run_plots_history_and_logs_the_card(
    tracking_store: str, tmp_path: Path
) -> None:
    with repro.track(record_with_diagnostics(), experiment="adding", capture=False) as run:
        for step in range(0, 200, 10):
            run.log_metrics({"train/loss": 1.0 / (step + 1)}, step=step)
    out = tmp_path / "card.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "repro",
            "card",
            f"runs:/{run.run_id}",
            "--format",
            "html",
            "-o",
            str(out),
            "--tracking-uri",
            tracking_store,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert CARD_ARTIFACT_PATH in result.stderr
    html = out.read_text(encoding="utf-8")
    doc = parse(html)
    assert len(doc.findall(".//figure/img")) == 2  # curves from the history, gradient flow
    client = MlflowClient(tracking_store)
    local = client.download_artifacts(run.run_id, CARD_ARTIFACT_PATH, str(tmp_path / "dl"))
    assert Path(local).read_text(encoding="utf-8") == html


def test_cli_unknown_run_is_exit_1_without_traceback(tracking_store: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "repro",
            "card",
            "0" * 32,
            "--format",
            "html",
            "--tracking-uri",
            tracking_store,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "0" * 32 in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_html_from_file_does_not_need_mlflow(tmp_path: Path) -> None:
    out = tmp_path / "card.html"
    result = subprocess.run(
        [sys.executable, "-m", "repro", "card", str(EXAMPLE), "--format", "html", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert parse(out.read_text(encoding="utf-8")).find(".//h1").text_content() == (
        "LSTM baseline for the adding problem"
    )
    assert not (tmp_path / "mlflow.db").exists()


def test_rendering_imports_neither_mlflow_nor_matplotlib_unless_plotting() -> None:
    code = (
        "import sys, repro\n"
        f"record = repro.load_record({str(EXAMPLE)!r})\n"
        "repro.render(record, 'card-html'); repro.render(record, 'card-md')\n"
        "repro.render(record, 'hparams-latex')\n"
        "assert 'mlflow' not in sys.modules and 'torch' not in sys.modules\n"
        "assert 'matplotlib' not in sys.modules\n"
        "repro.render(record, 'card-html', history={'loss': [(0, 1.0), (1, 0.5)]})\n"
        "assert 'matplotlib' in sys.modules and 'mlflow' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
