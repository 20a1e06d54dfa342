"""The built-in formats: one entry each (document function, template, media type, command).

The registry registers them, in this order, the first time it is read. A new built-in format
is one document function in ``repro.documents``, one template under ``templates/``, and one
entry here.
"""

from __future__ import annotations

from repro.checks.models import CheckReport
from repro.documents.paper import Appendix
from repro.record import Contributors, RunRecord
from repro.rendering.format import DocumentRef, OutputFormat
from repro.report.aggregate import ResultsTable

CREDIT_SOURCES = (Contributors, RunRecord)


def _doc(module: str, name: str) -> DocumentRef:
    """``repro.documents.<module>.<name>``, imported when a format of it is rendered."""
    return DocumentRef(f"repro.documents.{module}:{name}")


credit_text = _doc("credit", "credit_text")
credit_jats = _doc("credit", "credit_jats")
credit_jsonld = _doc("credit", "credit_jsonld")
credit_csv = _doc("credit", "credit_csv")
credit_bibtex = _doc("credit", "credit_bibtex")
card_markdown = _doc("card", "card_markdown")
card_page = _doc("card", "card_page")
results = _doc("results", "results")
hparams = _doc("hparams", "hparams")
methods = _doc("methods", "methods")
appendix = _doc("paper", "appendix")
expected_max = _doc("budget", "expected_max")
expected_max_csv = _doc("budget", "expected_max_csv")
check_report = _doc("check", "check_report")
checklist = _doc("checklist", "checklist")
RECORDS = (RunRecord, list, tuple)
TABLE_VARIANTS = (  # variant, file extension, media type, what it is
    ("md", "md", "text/markdown", "Markdown"),
    ("latex", "tex", "application/x-latex", "LaTeX"),
    ("html", "html", "text/html", "HTML"),
    ("csv", "csv", "text/csv", "CSV"),
)


def table_formats(
    family: str,
    document: DocumentRef,
    template: str,
    what: str,
    *,
    accepts: tuple[type, ...] = RECORDS,
    csv_document: DocumentRef | None = None,
) -> tuple[OutputFormat, ...]:
    """One ``repro report`` table in Markdown, LaTeX, HTML and CSV (``<template>.<ext>.j2``)."""
    return tuple(
        OutputFormat(
            name=f"{family}-{variant}",
            document=csv_document if variant == "csv" and csv_document else document,
            template=f"{template}.{extension}.j2",
            accepts=accepts,
            suffix=f".{extension}",
            media_type=media,
            autoescape=variant == "html",
            description=f"{what} as a {kind} table.",
            command="report",
        )
        for variant, extension, media, kind in TABLE_VARIANTS
    )


CHECKLIST_FORMATS = tuple(  # repro checklist --format md|latex (repro paper uses them by name)
    OutputFormat(
        name=f"checklist-{variant}",
        document=checklist,
        template=f"checklist/checklist.{extension}.j2",
        accepts=RECORDS,
        suffix=f".{extension}",
        media_type=media,
        autoescape=False,
        description=f"The profile's checklist answered from the records, {what}.",
        command="checklist",
    )
    for variant, extension, media, what in (
        ("md", "md", "text/markdown", "as Markdown"),
        ("latex", "tex", "application/x-latex", "in LaTeX with the official answer macros"),
    )
)

BUILTIN_FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat(
        name="credit-text",
        document=credit_text,
        template="credit/text.txt.j2",
        accepts=CREDIT_SOURCES,
        suffix=".txt",
        media_type="text/plain",
        autoescape=False,
        description="CRediT statement as text: elsevier, role-first or degrees style.",
        command="credit",
    ),
    OutputFormat(
        name="credit-jats",
        document=credit_jats,
        template="credit/jats.xml.j2",
        accepts=CREDIT_SOURCES,
        suffix=".xml",
        media_type="application/jats+xml",
        autoescape=True,
        description="JATS 1.3 <contrib-group> with CRediT roles (article: a whole article).",
        command="credit",
    ),
    OutputFormat(
        name="credit-jsonld",
        document=credit_jsonld,
        template="credit/jsonld.json.j2",
        accepts=CREDIT_SOURCES,
        suffix=".jsonld",
        media_type="application/ld+json",
        autoescape=False,
        description="schema.org JSON-LD: the work with authors as ordered Roles (CRediT URIs).",
        command="credit",
    ),
    OutputFormat(
        name="credit-csv",
        document=credit_csv,
        template="credit/csv.csv.j2",
        accepts=CREDIT_SOURCES,
        suffix=".csv",
        media_type="text/csv",
        autoescape=False,
        description="One row per contributor-role (RFC 4180, formula-injection guarded).",
        command="credit",
    ),
    OutputFormat(
        name="credit-bibtex",
        document=credit_bibtex,
        template="credit/bibtex.bib.j2",
        accepts=CREDIT_SOURCES,
        suffix=".bib",
        media_type="application/x-bibtex",
        autoescape=False,
        description="BibTeX @misc with the statement in note (biblatex: role annotations).",
        command="credit",
    ),
    OutputFormat(
        name="card-md",
        document=card_markdown,
        template="card/card.md.j2",
        accepts=(RunRecord,),
        suffix=".md",
        media_type="text/markdown",
        autoescape=False,
        description="Model card in Markdown with Hugging Face metadata (model-index).",
        command="card",
    ),
    OutputFormat(
        name="card-html",
        document=card_page,
        template="card/card.html.j2",
        accepts=(RunRecord,),
        suffix=".html",
        media_type="text/html",
        autoescape=True,
        description="One self-contained HTML page with training-curve and gradient-flow plots.",
        command="card",
    ),
    *table_formats(
        "results",
        results,
        "results/table",
        "Results over seeds (mean ± std, CI, n)",
        accepts=(*RECORDS, ResultsTable),
    ),
    OutputFormat(
        name="hparams-md",
        document=hparams,
        template="hparams/table.md.j2",
        accepts=RECORDS,
        suffix=".md",
        media_type="text/markdown",
        autoescape=False,
        description="Hyperparameters of one or several runs side by side, Markdown (GFM).",
        command="report",
    ),
    OutputFormat(
        name="hparams-latex",
        document=hparams,
        template="hparams/table.tex.j2",
        accepts=RECORDS,
        suffix=".tex",
        media_type="application/x-latex",
        autoescape=False,
        description="Hyperparameters of one or several runs side by side, LaTeX booktabs.",
        command="report",
    ),
    OutputFormat(
        name="methods-md",
        document=methods,
        template="methods/methods.md.j2",
        accepts=RECORDS,
        suffix=".md",
        media_type="text/markdown",
        autoescape=False,
        description="Training details of each configuration as a methods paragraph, Markdown.",
        command="report",
    ),
    OutputFormat(
        name="methods-latex",
        document=methods,
        template="methods/methods.tex.j2",
        accepts=RECORDS,
        suffix=".tex",
        media_type="application/x-latex",
        autoescape=False,
        description="Training details of each configuration as a methods paragraph, LaTeX.",
        command="report",
    ),
    OutputFormat(
        name="appendix-latex",
        document=appendix,
        template="paper/appendix.tex.j2",
        accepts=(Appendix,),
        suffix=".tex",
        media_type="application/x-latex",
        autoescape=False,
        description="repro paper: the appendix as a standalone LaTeX document.",
    ),
    OutputFormat(
        name="appendix-body",
        document=appendix,
        template="paper/body.tex.j2",
        accepts=(Appendix,),
        suffix=".tex",
        media_type="application/x-latex",
        autoescape=False,
        description="repro paper: the appendix's sections, to \\input in a paper.",
    ),
    *table_formats(
        "expected-max",
        expected_max,
        "budget/expected-max",
        "Expected best score over random-search trials",
        csv_document=expected_max_csv,
    ),
    *(
        OutputFormat(
            name=f"check-{variant}",
            document=check_report,
            template=f"check/report.{extension}.j2",
            accepts=(CheckReport,),
            suffix=suffix,
            media_type=media,
            autoescape=variant == "junit",
            description=description,
            command="check",
        )
        for variant, extension, suffix, media, description in (
            ("text", "txt", ".txt", "text/plain", "One line per finding, then the verdict."),
            (
                "json",
                "json",
                ".json",
                "application/json",
                "The report as JSON: profile, passed, records, findings.",
            ),
            (
                "github",
                "github",
                ".txt",
                "text/plain",
                "GitHub Actions annotations (::error file=...::), then the verdict.",
            ),
            (
                "junit",
                "junit.xml",
                ".xml",
                "application/xml",
                "JUnit XML: one test suite per record, one test case per requirement.",
            ),
        )
    ),
    *CHECKLIST_FORMATS,
)
