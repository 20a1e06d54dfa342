"""Write a paper's appendix into one folder: tables, methods, budget, figures, CRediT,
checklist, model cards, and an ``appendix.tex`` that inputs them and compiles.

Everything is written into a hidden staging folder beside the target and moved into place only
when every part succeeded, so an error (or Ctrl-C) never leaves a half-written folder; a folder
an earlier ``repro paper`` wrote is replaced whole. A part the records cannot support (no random
search, no gradient flow, no contributors, a checklist format this installation lacks) is left
out with a note saying why, in the appendix and in :attr:`Paper.notes`.
"""

from __future__ import annotations

import io
import re
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from repro.documents.paper import Appendix, FigureFile, Part
from repro.errors import InvalidInputError, UsageError
from repro.record import Contributors, RunRecord

if TYPE_CHECKING:
    from matplotlib.figure import Figure

History = Mapping[str, Sequence[tuple[int, float]]]
MARKER = "appendix.tex"  # a folder holding this was written by repro paper (and may be replaced)


@dataclass
class Paper:
    """What :func:`write_paper` wrote (paths relative to ``root``) and what it left out, why."""

    root: Path
    written: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)


def slug(text: str) -> str:
    """A file-name part LaTeX's \\includegraphics takes: lower-case letters, digits, hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "run"


class _Folder:
    """The staging folder: files written into it, relative paths remembered."""

    def __init__(self, root: Path, paper: Paper) -> None:
        self.root = root
        self.paper = paper

    def write(self, relative: str, data: str | bytes) -> str:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        self.paper.written.append(relative)
        return relative

    def pdf(self, relative: str) -> Callable[[Figure], str]:
        """An encoder for :mod:`repro.rendering.plots` that writes the figure as this PDF."""

        def encode(figure: Figure) -> str:
            return self.write(relative, pdf_bytes(figure))

        return encode


def pdf_bytes(figure: Figure) -> bytes:
    """The figure as PDF with its fonts embedded as TrueType (Type 42), not Type 3, which
    publishers' PDF checks reject; no creation date, so the same runs give the same file."""
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"pdf.fonttype": 42}):
        figure.savefig(buffer, format="pdf", metadata={"CreationDate": None})
    return buffer.getvalue()


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder; give a folder for the appendix")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(
            f"{out}: exists, is not empty and was not written by repro paper (no {MARKER}); "
            "give a new or empty folder"
        )


def _move_into_place(staging: Path, out: Path) -> None:
    if out.is_dir():
        old = out.parent / f".{out.name}.repro-old-{secrets.token_hex(4)}"
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)


def write_paper(
    records: Sequence[RunRecord],
    out: str | Path,
    *,
    search: Sequence[RunRecord] | None = None,
    contributors: Contributors | None = None,
    profile: str | None = None,
    history: Callable[[RunRecord], History | None] | None = None,
    title: str = "Experimental details",
    metric: str | None = None,
    reference: str | None = None,
    alpha: float = 0.05,
    level: float = 0.95,
) -> Paper:
    """Write the appendix of ``records`` (the runs a paper reports) into the folder ``out``.

    ``search``: the trials of a random hyperparameter search for the budget analysis (default:
    ``records`` themselves, when they are such trials); ``contributors``: for the CRediT
    statement (default: the first record's); ``profile``: a check profile whose filled
    checklist is included; ``history``: a run's metric history (MLflow runs) for its training
    curves. Raises the usual ReproErrors; the folder is then left as it was.
    """
    if not records:
        raise InvalidInputError("repro paper: no runs given")
    target = Path(out)
    _check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.repro-{secrets.token_hex(4)}"
    staging.mkdir()
    paper = Paper(root=target)
    try:
        folder = _Folder(staging, paper)
        appendix = _build(
            list(records), folder, search, contributors, profile, history, title, metric,
            reference, alpha, level,
        )  # fmt: skip
        from repro.rendering.api import render

        folder.write(f"{appendix.body}.tex", render(appendix, "appendix-body"))
        folder.write(MARKER, render(appendix, "appendix-latex"))
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return paper


def _build(
    records: list[RunRecord],
    folder: _Folder,
    search: Sequence[RunRecord] | None,
    contributors: Contributors | None,
    profile: str | None,
    history: Callable[[RunRecord], History | None] | None,
    title: str,
    metric: str | None,
    reference: str | None,
    alpha: float,
    level: float,
) -> Appendix:
    from repro.rendering.api import render
    from repro.report.aggregate import aggregate

    table = aggregate(records)
    parts: list[Part] = []
    options = {"level": level, "alpha": alpha, "reference": reference}
    folder.write(
        "tables/results.tex",
        render(records, "results-latex", label="tab:repro-results", **options),
    )
    folder.write("tables/results.md", render(records, "results-md", **options))
    folder.write("tables/results.csv", render(records, "results-csv", **options))
    parts.append(
        Part(
            "results",
            "Results",
            inputs=["tables/results"],
            lead="Mean, spread and interval of each configuration's runs, with significance "
            "marks against the best, are in Table",
            ref="tab:repro-results",
        )
    )

    folder.write("tables/hparams.tex", render(records, "hparams-latex", label="tab:repro-hparams"))
    folder.write("tables/hparams.md", render(records, "hparams-md"))
    parts.append(
        Part(
            "hyperparameters",
            "Hyperparameters",
            inputs=["tables/hparams"],
            lead="The hyperparameters of each configuration are listed in Table",
            ref="tab:repro-hparams",
        )
    )

    folder.write("methods.tex", render(records, "methods-latex"))
    folder.write("methods.md", render(records, "methods-md"))
    parts.append(Part("methods", "Training details", inputs=["methods"], sloppy=True))

    parts.append(_budget(records, search, metric, folder))
    parts.extend(_figures(records, table, history, folder))
    credit = _credit(records, contributors, folder)
    if credit is not None:
        parts.append(credit)
    if profile is not None:
        parts.append(_checklist(records, profile, folder))
    cards = []
    for index, record in enumerate(records, 1):
        cards.append(folder.write(f"cards/{index:02d}-{slug(record.run.name)}.md",
                                  render(record, "card-md")))  # fmt: skip
    for part in parts:
        if part.note:
            folder.paper.notes.append((part.title, part.note))
    other = [p for p in folder.paper.written if not p.endswith(".tex") and not p.endswith(".pdf")]
    return Appendix(title=title, parts=parts, other_files=other)


def _budget(
    records: list[RunRecord],
    search: Sequence[RunRecord] | None,
    metric: str | None,
    folder: _Folder,
) -> Part:
    from repro.rendering.api import render
    from repro.report.budget import budget_curves
    from repro.report.plots import expected_max_figure

    title = "Tuning budget"
    try:
        curves = budget_curves(search if search else records, metric=metric)
    except InvalidInputError as exc:
        if search:  # trials the user named must make a curve
            raise
        return Part("budget", title, note=_no_budget(records, exc))
    folder.write(
        "tables/expected-max.tex",
        render(curves, "expected-max-latex", label="tab:repro-expected-max"),
    )
    folder.write("tables/expected-max.md", render(curves, "expected-max-md"))
    path = folder.write("figures/expected-max.pdf", pdf_bytes(expected_max_figure(curves)))
    first = curves[0]
    what = f"{first.metric} ({first.split})" if first.split else first.metric
    caption = (
        f"Expected best {what} against the number of random-search trials n: Dodge et al. "
        "(2019), band one standard deviation; dashed, the unbiased estimator of Tang et al. "
        "(2020). Trials: " + "; ".join(f"{c.label} {c.n_trials}" for c in curves) + "."
    )
    return Part(
        "budget",
        title,
        inputs=["tables/expected-max"],
        figures=[FigureFile(path, caption, "fig:repro-expected-max")],
        lead="The expected best score a random search of n trials finds (Dodge et al. 2019), "
        "tabulated below, is drawn in Figure",
        ref="fig:repro-expected-max",
    )


def _no_budget(records: list[RunRecord], error: InvalidInputError) -> str:
    """Why there is no budget analysis, in a sentence for the appendix."""
    methods = sorted(
        {
            r.training.hyperparameter_search.method
            for r in records
            if r.training and r.training.hyperparameter_search
        }
    )
    lead = "No budget analysis: the expected best score over trials (Dodge et al. 2019) needs "
    if not methods:
        return lead + "the trials of a random search, and these runs record no search."
    if methods != ["random"]:
        return lead + (
            "trials drawn at random, and these runs record a "
            + " and a ".join(f"{m} search" for m in methods)
            + " (training.hyperparameter_search.method)."
        )
    return f"No budget analysis: {error}"


def _figures(
    records: list[RunRecord],
    table: object,
    history: Callable[[RunRecord], History | None] | None,
    folder: _Folder,
) -> list[Part]:
    """A gradient-flow and a training-curve figure per configuration (its first run that
    recorded one), each a PDF."""
    from repro.rendering.plots import gradient_flow, training_curves

    by_name = {r.run.name: r for r in records}
    groups = [
        (g.label if len(table.groups) > 1 else None, [by_name[n] for n in g.runs if n in by_name])  # type: ignore[attr-defined]
        for g in table.groups  # type: ignore[attr-defined]
    ]
    flows: list[FigureFile] = []
    curves: list[FigureFile] = []
    for index, (label, runs) in enumerate(groups, 1):
        of = f" ({label})" if label else ""
        watched = next((r for r in runs if r.diagnostics and r.diagnostics.gradient_flow), None)
        if watched is not None:
            name = f"figures/gradient-flow-{index:02d}-{slug(watched.run.name)}.pdf"
            plot = gradient_flow(watched.diagnostics.gradient_flow, encode=folder.pdf(name))  # type: ignore[union-attr]
            if plot is not None:
                caption = f"Gradient flow through time, run {watched.run.name}{of}. {plot.caption}"
                flows.append(FigureFile(name, caption, f"fig:repro-flow-{index}"))
        if history is None:
            continue
        for record in runs:
            logged = history(record)
            if not logged:
                continue
            name = f"figures/training-curves-{index:02d}-{slug(record.run.name)}.pdf"
            plot = training_curves(logged, encode=folder.pdf(name))
            if plot is not None:
                caption = f"Training curves, run {record.run.name}{of}. {plot.caption}"
                curves.append(FigureFile(name, caption, f"fig:repro-curves-{index}"))
                break
    parts = [
        Part(
            "gradient-flow",
            "Gradient flow through time",
            figures=flows,
            note=None if flows else "No run recorded gradient-flow snapshots (run.watch).",
        )
    ]
    why = (
        "Training curves are drawn from an MLflow run's metric history; these runs were read "
        "from record files."
        if history is None
        else "No run logged a metric history."
    )
    parts.append(
        Part("training-curves", "Training curves", figures=curves, note=None if curves else why)
    )
    return parts


def _credit(
    records: list[RunRecord], contributors: Contributors | None, folder: _Folder
) -> Part | None:
    from repro.rendering.api import render

    if contributors is None:
        first = next((r for r in records if r.contributors), None)
        if first is None:
            folder.paper.notes.append(
                ("Author contributions", "no contributors recorded: no CRediT statement")
            )
            return None
        contributors = first.to_contributors(first.run.name)
    text = render(contributors, "credit-text")
    folder.write("credit/credit.txt", text)
    folder.write("credit/credit.xml", render(contributors, "credit-jats"))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return Part("credit", "Author contributions (CRediT)", prose=paragraphs, sloppy=True)


def _checklist(records: list[RunRecord], profile: str, folder: _Folder) -> Part:
    from repro.rendering.api import render
    from repro.rendering.registry import FORMATS

    title = "Reproducibility checklist"
    missing = [f for f in ("checklist-latex", "checklist-md") if f not in FORMATS]
    if missing:
        return Part(
            "checklist",
            title,
            note=f"The filled checklist for profile {profile} is not included: this "
            f"installation has no {' or '.join(missing)} format (it comes with repro checklist).",
        )
    folder.write("checklist/checklist.tex", render(records, "checklist-latex", profile=profile))
    folder.write("checklist/checklist.md", render(records, "checklist-md", profile=profile))
    return Part("checklist", title, inputs=["checklist/checklist"], sloppy=True)
