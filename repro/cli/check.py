"""``repro check SOURCE... --profile NAME``: fail a build when required details are missing.

``--group`` (or ``--experiment NAME``) judges the runs as one paper's group; ``--baseline``
fails a metric worse than the baseline's beyond run-to-run noise. The exit code follows the
report: 1 exactly when the report says FAILED (warnings count under ``--strict``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from repro.cli.formats import format_option
from repro.cli.options import output_option, tracking_uri_option, write_output


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--profile",
    default="ml-reproducibility",
    show_default=True,
    help="A built-in profile (minimal, rnn, ml-reproducibility, neurips, acl, reforms, "
    "model-card, credit) or a profile .yaml file (which may extend a built-in one).",
)
@format_option("check", "text", "--format")
@click.option("--strict", is_flag=True, help="Warnings fail the check too.")
@click.option(
    "--group", "as_group", is_flag=True, help="Judge the runs as one paper's group of runs."
)
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    metavar="NAME",
    help="Every run of this MLflow experiment, judged as a group (repeatable).",
)
@click.option(
    "--baseline",
    "baselines",
    multiple=True,
    metavar="RUN_OR_GROUP",
    help="Baseline runs or records (repeatable): fail a metric worse beyond run-to-run noise.",
)
@tracking_uri_option
@output_option
def check(
    sources: tuple[str, ...],
    profile: str,
    fmt: str,
    strict: bool,
    as_group: bool,
    experiments: tuple[str, ...],
    baselines: tuple[str, ...],
    tracking_uri: str | None,
    output: str | None,
) -> None:
    """Check records or runs (a SOURCE of - reads standard input) against a reporting
    standard; exit 1 when a requirement is unmet."""
    from repro.checks import check as run_check
    from repro.checks.profiles import load_profile
    from repro.errors import UsageError
    from repro.rendering.api import render
    from repro.rendering.registry import format_of

    if not sources and not experiments:
        raise UsageError("give record files or MLflow runs (SOURCE...), or --experiment NAME")
    output_format = format_of("check", fmt)
    prof = load_profile(profile)  # a bad profile fails before any record is read
    names, records = read_records(sources, experiments, tracking_uri)
    baseline = read_records(baselines, (), tracking_uri)[1] if baselines else None
    group: bool | str = as_group or bool(experiments)
    if experiments and not sources:
        group = "experiment " + ", ".join(experiments)
    histories = (
        histories_of(sources, tracking_uri)
        if any(r.rule == "results-in-history" for r in prof.requirements)
        else {}
    )
    report = run_check(
        records,
        prof,
        names=names,
        group=group,
        strict=strict,
        histories=histories,
        baseline=baseline,
        baseline_name=", ".join(baselines),
    )
    options = {}
    if output_format.takes("files"):
        options["files"] = {s: f for s in sources if (f := file_of(s)) is not None}
    # the field's line: for annotations and JSON (a YAML parse per file, so only when shown)
    if output_format.takes("lines") and report.findings and fmt not in ("text", "junit"):
        wanted = {f.record for f in report.findings}
        files = options.get("files", {})
        options["lines"] = line_finders({n: p for n, p in files.items() if n in wanted})
    write_output(render(report, output_format.name, **options), output)
    raise SystemExit(0 if report.passed else 1)


def file_of(source: str) -> str | None:
    """The repository file a SOURCE is, or None (standard input, an MLflow run)."""
    from repro.files.sources import STDIN, run_id_of

    return None if source == STDIN or run_id_of(source) is not None else source


def read_records(
    sources: tuple[str, ...], experiments: tuple[str, ...], tracking_uri: str | None
) -> tuple[list[str], list[Any]]:
    """The records of the SOURCEs (named by the SOURCE) and of every run of the experiments
    (named by the run's name)."""
    from repro.cli.progress import each
    from repro.files.sources import load_source

    names = list(sources)
    records = [
        load_source(source, tracking_uri)
        for source in each(sources, "reading records", total=len(sources))
    ]
    if experiments:
        from repro.tracking.bulk import load_records

        for record in load_records(experiments=experiments, tracking_uri=tracking_uri):
            names.append(record.run.name)
            records.append(record)
        if len(records) == len(sources):
            from repro.errors import InvalidInputError

            raise InvalidInputError(f"experiment {', '.join(experiments)}: no run with a record")
    return names, records


def histories_of(sources: tuple[str, ...], tracking_uri: str | None) -> dict[str, set[str]]:
    """For each SOURCE that is an MLflow run, the metrics the run logged (its history)."""
    from repro.files.sources import run_id_of

    runs = {s: run_id for s in sources if (run_id := run_id_of(s)) is not None}
    if not runs:
        return {}
    from repro.tracking.history import metric_history

    return {s: set(metric_history(run_id, tracking_uri)) for s, run_id in runs.items()}


def line_finders(files: dict[str, str]) -> dict[str, Callable[[Any], int | None]]:
    """Record name -> (field location -> line in its file), for annotations on the field."""
    from pathlib import Path

    from repro.checks.locations import line_finder

    finders = {}
    for name, path in files.items():
        try:
            finders[name] = line_finder(Path(path).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError):
            continue
    return finders
