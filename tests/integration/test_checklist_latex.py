"""repro checklist: the NeurIPS answers compile inside the official checklist's macros with
pdflatex, and the Markdown says the same; answers follow the records and attestations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from support.checks import group_data, records
from support.latex import compile_latex, pdf_text

import repro
from repro.documents.checklist import build_checklist

# The answer macros as the official NeurIPS checklist (neurips_2024.sty) defines them.
MACROS = r"""
\usepackage{xcolor}
\newcommand{\answerYes}[1][]{\textcolor{blue}{[Yes] #1}}
\newcommand{\answerNo}[1][]{\textcolor{orange}{[No] #1}}
\newcommand{\answerNA}[1][]{\textcolor{gray}{[NA] #1}}
\newcommand{\answerTODO}[1][]{\textcolor{red}{\bf [TODO]}}
\newcommand{\justificationTODO}[1][]{\textcolor{red}{\bf [TODO]}}
"""


def test_neurips_checklist_compiles_inside_the_official_macros(tmp_path: Path) -> None:
    datas = group_data(3)
    datas[0]["data"][0]["preprocessing"] = ["normalise & clip to [0, 1] (100% of values) $x_i$"]
    files = []
    for i, data in enumerate(datas):
        files.append(tmp_path / f"run{i}.yaml")
        files[-1].write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "checklist.tex"
    done = subprocess.run(
        [sys.executable, "-m", "repro", "checklist", *map(str, files), "--profile", "neurips",
         "--format", "latex", "-o", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tex = out.read_text(encoding="utf-8")
    assert "\\answerYes{}" in tex and "\\answerNo{}" in tex  # 7: the authors' honest "no"
    compiled = compile_latex(
        "\\section*{NeurIPS Paper Checklist}\n\\input{checklist}\n",
        tmp_path,
        preamble_extra=MACROS,
    )
    assert not compiled.errors, compiled.errors
    text = " ".join(pdf_text(compiled.pdf).split())
    assert "Experiment statistical significance" in text
    assert "[Yes]" in text and "[No]" in text
    assert "mse (test)" in text and "n=3 runs" in text

    md = subprocess.run(
        [sys.executable, "-m", "repro", "checklist", *map(str, files), "--format", "md"],
        capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    assert "## 7. Experiment statistical significance" in md
    assert "**Answer:** [No]" in md and "**Answer:** [Yes]" in md


def test_answers_follow_records_and_attestations() -> None:
    datas = group_data(3)
    items = {i.item: i for i in build_checklist(records(datas), "neurips").items}
    assert items["6"].answer == "yes" and "training.batch_size: 64" in items["6"].justification
    assert items["7"].answer == "no"  # the example's authors answer no, with their reason
    assert "the authors answer no: This record is one seed" in items["7"].justification
    datas[0]["attestations"]["neurips-7-error-bars"] = {
        "answer": "yes",
        "justification": "Tables give mean and sample std over 3 seeds.",
    }
    for d in datas[1:]:
        del d["attestations"]["neurips-7-error-bars"]
    items = {i.item: i for i in build_checklist(records(datas), "neurips").items}
    assert items["7"].answer == "yes" and "over n=3 runs" in items["7"].justification
    del datas[0]["data"][0]["license"]
    for d in datas:
        d["data"][0].pop("license", None)
    twelve = {i.item: i for i in build_checklist(records(datas), "neurips").items}["12"]
    assert twelve.answer == "no" and "Give each dataset's licence." in twelve.justification
    assert "checklist-md" in repro.FORMATS and "checklist-latex" in repro.FORMATS
