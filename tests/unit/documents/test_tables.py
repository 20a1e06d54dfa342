"""Hyperparameter tables: one table as data, rendered as LaTeX (booktabs) and Markdown."""

from __future__ import annotations

import pytest
from support.cards import (
    example_record,
    latex_brace_depths,
    latex_cells,
    latex_raw_specials,
    md_cells,
    md_tables,
)

import repro
from repro.documents.hparams import hparam_table
from repro.errors import UsageError
from repro.record import RunInfo, RunRecord

SPECIALS = "a&b%c$d#e_f{g}h~i^j\\k"
SPECIALS_LATEX = r"a\&b\%c\$d\#e\_f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k"


def two_runs() -> list[RunRecord]:
    lstm = example_record()
    gru = example_record()
    gru.run.name = "gru-adding-seed0"
    gru.architecture.recurrent_layers[0].cell = "gru"
    gru.architecture.total_parameters = 149_889
    gru.training.optimizer.settings["lr"] = 0.003
    gru.training.tbptt_length = 50  # recorded for one run only
    return [lstm, gru]


def test_table_data_marks_exactly_the_rows_that_differ() -> None:
    table = hparam_table(two_runs())
    assert table.runs == ("lstm-adding-seed0", "gru-adding-seed0")
    assert [g.name for g in table.groups] == [
        "Architecture",
        "Optimisation",
        "Regularisation",
        "Initialisation",  # no longer filed under regularisation (issue 11)
        "Reproducibility",
    ]
    assert {row.label for row in table.differing} == {
        "Cell",
        "Parameters",
        "Learning rate",
        "TBPTT length",
    }
    rows = {row.label: row for row in table.rows}
    assert rows["TBPTT length"].values == (None, "50")
    assert rows["Forget-gate bias"].values == ("0", "0")  # a real 0.0 is a value
    assert rows["Seeds"].values == ("python=0, numpy=0, torch=0",) * 2
    assert "Embedding size" not in rows  # no run recorded it: no empty row


def test_single_run_has_no_differences_and_skips_unrecorded_rows() -> None:
    table = hparam_table(example_record())
    assert table.differing == ()
    labels = [row.label for row in table.rows]
    assert labels[:3] == ["Cell", "Recurrent layers", "Hidden size"]
    assert "TBPTT length" not in labels
    assert labels.index("Learning rate") == labels.index("Optimizer") + 1


def test_latex_is_booktabs_with_one_cell_per_run() -> None:
    tex = repro.render(two_runs(), "hparams-latex")
    lines = tex.splitlines()
    rules = [
        line.strip() for line in lines if line.strip() in ("\\toprule", "\\midrule", "\\bottomrule")
    ]
    assert rules[0] == "\\toprule" and rules[-1] == "\\bottomrule"
    assert rules.count("\\midrule") == 5  # one before each group
    assert "\\hline" not in tex
    # set to the text width (issue 11): a label column and one X column per configuration
    assert "\\begin{tabularx}{\\linewidth}" in tex and "*{2}{>{" in tex
    assert latex_brace_depths(tex)[-1] == 0
    assert latex_raw_specials(tex) == set()
    rows = [line for line in lines if line.rstrip().endswith("\\\\")]
    assert latex_cells(rows[0]) == ["Hyperparameter", "lstm-adding-seed0", "gru-adding-seed0"]
    for row in rows:
        if "\\multicolumn" not in row:
            assert len(latex_cells(row)) == 3, row
    cells = {latex_cells(r)[0]: latex_cells(r)[1:] for r in rows if "\\multicolumn{3}" not in r}
    assert cells["Learning rate\\textsuperscript{\\dag}"] == ["0.001", "0.003"]
    assert cells["TBPTT length\\textsuperscript{\\dag}"] == ["--", "50"]
    # a value both runs share spans their columns (issue 11: one value, printed once)
    assert cells["Batch size"][0].startswith("\\multicolumn{2}{") and cells["Batch size"][
        0
    ].endswith("{64}")
    assert "\\dag{} differs between runs." in tex


def test_latex_escapes_every_special_character() -> None:
    record = example_record()
    record.run.name = SPECIALS
    record.training.loss = SPECIALS
    tex = repro.render(record, "hparams-latex", caption=SPECIALS, label="tab:x")
    assert f"\\caption{{{SPECIALS_LATEX}}}" in tex
    header = next(line for line in tex.splitlines() if line.strip().startswith("Hyperparameter"))
    assert latex_cells(header) == ["Hyperparameter", SPECIALS_LATEX]
    loss = next(line for line in tex.splitlines() if line.strip().startswith("Loss"))
    assert latex_cells(loss) == ["Loss", SPECIALS_LATEX]
    assert latex_raw_specials(tex) == set()
    assert latex_brace_depths(tex)[-1] == 0


def test_markdown_table_marks_differences_and_keeps_its_columns() -> None:
    md = repro.render(two_runs(), "hparams-md")
    (table,) = md_tables(md)
    assert md_cells(table[0]) == ["Hyperparameter", "lstm-adding-seed0", "gru-adding-seed0"]
    assert md_cells(table[1]) == ["---", "---", "---"]
    assert all(len(md_cells(line)) == 3 for line in table)
    rows = {md_cells(line)[0]: md_cells(line)[1:] for line in table[2:]}
    assert rows["Learning rate **†**"] == ["0.001", "0.003"]
    assert rows["TBPTT length **†**"] == ["—", "50"]
    assert rows["Batch size"] == ["64", "64"]
    assert "† differs between runs." in md


def test_markdown_escapes_pipes_and_markup() -> None:
    record = example_record()
    record.run.name = "a|b <b>x</b> `c`"
    (table,) = md_tables(repro.render(record, "hparams-md"))
    # backslash escapes, not HTML entities, in the raw text (issue 11)
    assert md_cells(table[0]) == ["Hyperparameter", "a\\|b \\<b>x\\</b> \\`c\\`"]


def test_bad_inputs_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="at least one run"):
        repro.render([], "hparams-md")
    with pytest.raises(UsageError, match="does not take option"):
        repro.render(example_record(), "hparams-latex", colour="red")


def test_record_without_training_still_renders() -> None:
    md = repro.render(RunRecord(run=RunInfo(name="bare")), "hparams-md")
    (table,) = md_tables(md)
    assert table == ["| Hyperparameter | bare |", "| --- | --- |"]
