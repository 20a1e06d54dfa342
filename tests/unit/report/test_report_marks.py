"""Significance marks in the results table: which cells get † (Welch) and ‡ (ASO), against the
best or a named reference, the method and α stated under the table in every format."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats
from test_report import variant

import repro
from repro.documents.results import results
from repro.errors import UsageError
from repro.report.significance import holm

OFFSETS = {"lstm": 0.0, "gru": 0.5, "rnn_tanh": 0.25}
SEEDS = (1, 2, 3, 4)


def mse(cell: str, seed: int) -> float:
    return 0.1 * seed + OFFSETS[cell] + 0.01 * seed * seed


def three_cells() -> list[repro.RunRecord]:
    return [variant(s, mse(c, s), cell=c) for c in OFFSETS for s in SEEDS]


def cells_by_label(document: object) -> dict[str, object]:
    return {row.label: row.cells[0] for row in document.rows}  # type: ignore[attr-defined]


def test_marks_follow_holm_adjusted_welch_against_the_best() -> None:
    document = results(three_cells())
    cells = cells_by_label(document)
    best = [v for v in (mse("lstm", s) for s in SEEDS)]
    raw = {
        c: stats.ttest_ind(best, [mse(c, s) for s in SEEDS], equal_var=False).pvalue
        for c in ("gru", "rnn_tanh")
    }
    adjusted = dict(zip(raw, holm(list(raw.values())), strict=True))
    assert cells["cell=lstm"].best and cells["cell=lstm"].reference  # type: ignore[attr-defined]
    assert cells["cell=lstm"].marks == ""  # type: ignore[attr-defined]
    for cell in ("gru", "rnn_tanh"):
        shown = cells[f"cell={cell}"]
        assert shown.p_value == pytest.approx(adjusted[cell])  # type: ignore[attr-defined]
        assert ("†" in shown.marks) == (adjusted[cell] < 0.05)  # type: ignore[attr-defined]
        assert ("‡" in shown.marks) == (shown.eps_min < 0.2)  # type: ignore[attr-defined]
        assert shown.compared_with == "cell=lstm"  # type: ignore[attr-defined]
    assert "†" in cells["cell=gru"].marks  # type: ignore[attr-defined]  # 0.5 apart: significant
    assert "†" not in cells["cell=rnn_tanh"].marks  # type: ignore[attr-defined]
    assert "Holm-adjusted" in (document.significance or "")
    assert "α = 0.05" in (document.significance or "")


def test_two_groups_are_not_corrected_and_a_named_reference_is_used() -> None:
    runs = [r for r in three_cells() if "rnn" not in r.run.name]
    document = results(runs)
    assert "Holm" not in (document.significance or "")
    (gru,) = [c for row in document.rows for c in row.cells if row.label == "cell=gru"]
    raw = stats.ttest_ind(
        [mse("lstm", s) for s in SEEDS], [mse("gru", s) for s in SEEDS], equal_var=False
    ).pvalue
    assert gru.p_value == pytest.approx(raw)  # type: ignore[union-attr]
    named = results(three_cells(), reference="cell=gru")
    assert named.reference == "cell=gru"
    cells = cells_by_label(named)
    assert cells["cell=gru"].reference and cells["cell=gru"].marks == ""  # type: ignore[attr-defined]
    assert cells["cell=lstm"].compared_with == "cell=gru"  # type: ignore[attr-defined]
    assert "†" in cells["cell=lstm"].marks  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match="cell=gru"):
        results(three_cells(), reference="cell=transformer")


def test_one_run_and_low_power_are_said_not_marked() -> None:
    runs = [variant(s, mse("lstm", s)) for s in SEEDS] + [variant(1, 9.0, cell="gru")]
    document = results(runs)
    gru = cells_by_label(document)["cell=gru"]
    assert gru.marks == "" and gru.p_value is None  # type: ignore[attr-defined]
    assert any("one run only: cell=gru" in n for n in document.significance_notes or [])
    close = [variant(s, mse("lstm", s) + (0.02 if c == "gru" else 0.0), cell=c)
             for c in ("lstm", "gru") for s in (1, 2)]  # fmt: skip
    notes = " ".join(results(close).significance_notes or [])
    assert "n too small for Welch's test to have 80% power" in notes
    assert results(three_cells(), significance=False).significance is None


def test_every_format_states_the_marks_and_the_method() -> None:
    runs = three_cells()
    md = repro.render(runs, "results-md")
    assert "0.82 ± 0.19†" in md and "Welch's two-sided t-test at α = 0.05" in md
    html = repro.render(runs, "results-html")
    assert "<sup>†" in html and "Welch&#39;s two-sided t-test" in html
    tex = repro.render(runs, "results-latex")
    assert "\\textsuperscript{\\dag" in tex and "Holm-adjusted" in tex
    rows = list(csv.DictReader(io.StringIO(repro.render(runs, "results-csv"))))
    by = {r["configuration"]: r for r in rows}
    assert by["cell=gru"]["compared_with"] == "cell=lstm" and "†" in by["cell=gru"]["marks"]
    assert float(by["cell=gru"]["welch_p"]) < 0.05 and by["cell=gru"]["alpha"] == "0.05"
    assert by["cell=lstm"]["welch_p"] == ""


def test_latex_with_marks_escapes_and_compiles(tmp_path: Path) -> None:
    from support.latex import compile_latex

    runs = three_cells()
    for record in runs:
        record.results[0].name = "mse_50%&#"
    tex = repro.render(runs, "results-latex", caption="R&D_1 #2 at 50%")
    assert "mse\\_50\\%\\&\\#" in tex and "R\\&D\\_1 \\#2 at 50\\%" in tex
    compiled = compile_latex(tex, tmp_path)
    assert compiled.errors == [] and compiled.overfull == []


@pytest.mark.slow
def test_report_cli_reference_and_alpha(tmp_path: Path) -> None:
    files = [
        str(repro.save_record(r, tmp_path / f"r{i}.yaml")) for i, r in enumerate(three_cells())
    ]
    run = [sys.executable, "-m", "repro", "report", *files]
    done = subprocess.run([*run, "--reference", "cell=gru", "--alpha", "0.01"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "cell=gru (reference)" in done.stdout and "α = 0.01" in done.stdout
    bad = subprocess.run([*run, "--reference", "nope"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "cell=lstm" in bad.stderr and "Traceback" not in bad.stderr
    plain = subprocess.run([*run, "--no-significance"], capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0 and "†" not in plain.stdout and "Welch" not in plain.stdout
