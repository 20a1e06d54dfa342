"""``repro report SOURCE... | --experiment NAME``: many runs as a paper table (results over
seeds, hyperparameters, expected best score over a random search's trials)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from repro.cli.formats import RegistryChoice, RegistryOption
from repro.cli.options import (
    bom_option,
    check_bom,
    output_option,
    tracking_uri_option,
    write_output,
)

if TYPE_CHECKING:
    from repro.record import RunRecord
    from repro.rendering.format import OutputFormat


def _tables() -> dict[str, list[OutputFormat]]:
    from repro.rendering.registry import families_of

    return families_of("report")


def _table_help() -> str:
    listed = ", ".join(
        f"{name} ({', '.join(f.variant for f in fmts)})" for name, fmts in _tables().items()
    )
    return (
        "The table to write: results is mean ± std, CI and n per group of runs; hparams puts "
        "one run per column; expected-max is the expected best score over the trials of a "
        "random search (Dodge et al. 2019; Tang et al. 2020). Each comes in the formats "
        f"listed: {listed}."
    )


def _format_help() -> str:
    return "Output format (the formats of each table are listed under --table)."


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    metavar="NAME",
    help="Every run of this MLflow experiment (repeatable); read in pages, concurrently, "
    "through a local cache of finished runs' records.",
)
@click.option(
    "--group-by",
    "group_by",
    multiple=True,
    metavar="FIELD",
    help="Group runs by this field path (repeatable), e.g. architecture.recurrent_layers.0.cell"
    " or architecture.recurrent_layers[0].cell. Default: runs whose configuration differs only"
    " in seeds form a group.",
)
@click.option(
    "--table",
    cls=RegistryOption,
    type=RegistryChoice(lambda: list(_tables())),
    default="results",
    show_default=True,
    describe=_table_help,
)
@click.option(
    "--format",
    "fmt",
    cls=RegistryOption,
    type=RegistryChoice(
        lambda: list(dict.fromkeys(f.variant for fmts in _tables().values() for f in fmts))
    ),
    default="md",
    show_default=True,
    describe=_format_help,
)
@click.option(
    "--metric",
    default=None,
    metavar="[SPLIT/]NAME",
    help="expected-max: the score to analyse (default: the search's recorded objective).",
)
@click.option(
    "--level",
    type=click.FloatRange(0.5, 0.999),
    default=0.95,
    show_default=True,
    help="Confidence level of the intervals.",
)
@click.option("--caption", default=None, help="Table caption.")
@click.option(
    "--label",
    default=None,
    metavar="KEY",
    help="LaTeX \\label of the table (default: tab:results, tab:hparams).",
)
@click.option(
    "--rows",
    "rows",
    multiple=True,
    metavar="NAME",
    help="hparams: only these rows or groups, by label (repeatable or comma-separated), "
    "e.g. --rows Architecture --rows 'Learning rate'.",
)
@click.option(
    "--interval",
    type=click.Choice(["t", "bootstrap"]),
    default=None,
    help="results: Student-t interval of the mean (default) or a percentile bootstrap.",
)
@click.option(
    "--reference",
    default=None,
    metavar="LABEL",
    help="results: compare every group with this one (its label as shown) instead of with the "
    "best of each column.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0.0001, 0.5),
    default=None,
    help="results: significance level of the marks (default 0.05).",
)
@click.option(
    "--no-significance",
    is_flag=True,
    help="results: no significance marks (Welch †, ASO ‡) and no method under the table.",
)
@bom_option
@click.option("--no-cache", is_flag=True, help="Read every MLflow run's record afresh.")
@tracking_uri_option
@output_option
def report(
    sources: tuple[str, ...],
    experiments: tuple[str, ...],
    group_by: tuple[str, ...],
    table: str,
    fmt: str,
    metric: str | None,
    level: float,
    caption: str | None,
    label: str | None,
    rows: tuple[str, ...],
    interval: str | None,
    reference: str | None,
    alpha: float | None,
    no_significance: bool,
    bom: bool,
    no_cache: bool,
    tracking_uri: str | None,
    output: str | None,
) -> None:
    """Aggregate runs (mean ± std, Student-t CI, n) into a Markdown, LaTeX, HTML or CSV table,
    lay their hyperparameters side by side (--table hparams), or tabulate the expected best
    score of a random search by number of trials (--table expected-max)."""
    from repro.errors import UsageError
    from repro.rendering.api import render

    if not sources and not experiments:
        raise UsageError("give record files or MLflow runs (SOURCE...), or --experiment NAME")
    formats = {f.variant: f for f in _tables()[table]}
    if fmt not in formats:
        raise UsageError(f"--table {table} comes as {' or '.join(formats)}, not {fmt}")
    output_format = formats[fmt]
    if metric and table != "expected-max" and not output_format.takes("metric"):
        raise UsageError("--metric applies to --table expected-max")
    for flag, value, option in (
        ("--rows", rows, "rows"),
        ("--interval", interval, "interval"),
        ("--label", label, "label"),
        ("--reference", reference, "reference"),
        ("--alpha", alpha, "alpha"),
        ("--no-significance", no_significance, "significance"),
    ):
        if value and not output_format.takes(option):
            raise UsageError(f"{flag} does not apply to --table {table} --format {fmt}")
    check_bom(bom, output_format)
    chosen_rows = [r for given in rows for r in given.split(",")] or None
    records = _records(sources, experiments, tracking_uri, use_cache=not no_cache)
    by_group = list(group_by) or None
    if table == "expected-max":  # the search's curves, computed while the records stream in
        from repro.report.budget import budget_curves

        curves = budget_curves(records, metric=metric, group_by=by_group)
        text = render(curves, output_format.name, caption=caption)
    elif table == "results":  # aggregated while the records stream in
        from repro.report.aggregate import aggregate

        results = aggregate(records, group_by=by_group)
        if not results.groups:
            raise UsageError("no runs to report")
        given = (("label", label), ("interval", interval), ("reference", reference))
        extra: dict[str, object] = {k: v for k, v in given if v is not None}
        if alpha is not None:
            extra["alpha"] = alpha
        if no_significance:
            extra["significance"] = False
        text = render(results, output_format.name, level=level, caption=caption, **extra)
    else:  # any other table, built-in or registered: the records themselves, and its options
        given = {
            "group_by": by_group,
            "level": level,
            "caption": caption,
            "metric": metric,
            "label": label,
            "rows": chosen_rows,
        }
        options = {k: v for k, v in given.items() if v is not None and output_format.takes(k)}
        text = render(list(records), output_format.name, **options)
    write_output(text, output, bom=bom)


def _records(
    sources: tuple[str, ...],
    experiments: tuple[str, ...],
    tracking_uri: str | None,
    use_cache: bool,
) -> Iterator[RunRecord]:
    """Records in the order given, one at a time: files as read, consecutive MLflow run ids
    fetched together, then every run of each experiment."""
    import sys

    from repro.files.sources import load_source, run_id_of
    from repro.tracking.journal import LOCAL_ID_PREFIX

    progress = sys.stderr.isatty()
    batch: list[str] = []

    def bulk(**where: object) -> Iterator[RunRecord]:
        from repro.tracking.bulk import Loaded, load_records

        stats = Loaded()
        yield from load_records(
            tracking_uri=tracking_uri, use_cache=use_cache, progress=progress, stats=stats,
            **where,  # type: ignore[arg-type]
        )  # fmt: skip
        if stats.missing:
            click.echo(
                f"repro: {len(stats.missing)} run(s) without a repro record left out "
                f"(e.g. {stats.missing[0]})",
                err=True,
            )

    from repro.cli.progress import each

    files = sum(1 for s in sources if run_id_of(s) is None)
    for source in each(sources, "reading records", total=len(sources) if files > 1 else 1):
        run_id = run_id_of(source)
        if run_id is not None and not run_id.startswith(LOCAL_ID_PREFIX):
            batch.append(run_id)
            continue
        if batch:
            yield from bulk(run_ids=batch)
            batch = []
        yield load_source(source, tracking_uri)
    if batch:
        yield from bulk(run_ids=batch)
    if experiments:
        yield from bulk(experiments=experiments)
