"""``repro paper SOURCE... | --experiment NAME -o DIR``: a paper's appendix in one folder
(tables, methods, budget, significance marks, figures, CRediT, checklist, model cards, and an
appendix.tex that inputs them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from repro.cli.options import tracking_uri_option

if TYPE_CHECKING:
    from repro.record import RunRecord


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    metavar="NAME",
    help="Every run of this MLflow experiment (repeatable).",
)
@click.option(
    "--search",
    "search_sources",
    multiple=True,
    metavar="SOURCE",
    help="A trial of the random hyperparameter search, for the budget analysis (repeatable). "
    "Default: the runs themselves, when they are such trials; else the appendix says why "
    "there is none.",
)
@click.option(
    "--search-experiment",
    "search_experiments",
    multiple=True,
    metavar="NAME",
    help="Every run of this MLflow experiment is a trial of the search (repeatable).",
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False),
    help="The folder to write (created; one an earlier repro paper wrote is replaced whole).",
)
@click.option(
    "--profile",
    default=None,
    metavar="NAME",
    help="Include the checklist of this check profile, filled in from the runs.",
)
@click.option(
    "--contributors",
    default=None,
    metavar="FILE",
    help="Contributors for the CRediT statement (default: those of the first run recording any).",
)
@click.option("--title", default="Experimental details", show_default=True)
@click.option(
    "--metric",
    default=None,
    metavar="[SPLIT/]NAME",
    help="The budget analysis's score (default: the search's recorded objective).",
)
@click.option("--reference", default=None, metavar="LABEL", help="Marks against this group.")
@click.option("--alpha", type=click.FloatRange(0.0001, 0.5), default=0.05, show_default=True)
@click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--no-cache", is_flag=True, help="Read every MLflow run's record afresh.")
@tracking_uri_option
def paper(
    sources: tuple[str, ...],
    experiments: tuple[str, ...],
    search_sources: tuple[str, ...],
    search_experiments: tuple[str, ...],
    output: str,
    profile: str | None,
    contributors: str | None,
    title: str,
    metric: str | None,
    reference: str | None,
    alpha: float,
    level: float,
    no_cache: bool,
    tracking_uri: str | None,
) -> None:
    """Write a paper's appendix for the runs into the folder -o DIR: results with significance
    marks, hyperparameters, the methods paragraph, the budget analysis of a random search,
    figures as PDF, the CRediT statement (text, JATS), the checklist of --profile, model cards,
    and appendix.tex, which inputs them and compiles with pdflatex."""
    from repro.errors import UsageError
    from repro.paper import write_paper

    if not sources and not experiments:
        raise UsageError("give record files or MLflow runs (SOURCE...), or --experiment NAME")
    records, run_ids = _load(sources, experiments, tracking_uri, not no_cache)
    search = None
    if search_sources or search_experiments:
        search, _ = _load(search_sources, search_experiments, tracking_uri, not no_cache)
    people = None
    if contributors is not None:
        from repro.files.sources import load_contributors_source

        people = load_contributors_source(contributors, tracking_uri)

    def history(record: RunRecord) -> dict[str, list[tuple[int, float]]] | None:
        run_id = run_ids.get(id(record))
        if run_id is None:
            return None
        from repro.tracking.history import metric_history

        return metric_history(run_id, tracking_uri)

    from repro.cli.progress import spinner

    with spinner(f"writing the appendix into {output}"):
        written = write_paper(
            records,
            output,
            search=search,
            contributors=people,
            profile=profile,
            history=history if run_ids else None,
            title=title,
            metric=metric,
            reference=reference,
            alpha=alpha,
            level=level,
        )
    click.echo(f"repro: {len(written.written)} files written under {output}/", err=True)
    for part, why in written.notes:
        click.echo(f"repro: {part}: {why}", err=True)


def _load(
    sources: tuple[str, ...],
    experiments: tuple[str, ...],
    tracking_uri: str | None,
    use_cache: bool,
) -> tuple[list[RunRecord], dict[int, str]]:
    """The records in the order given, and the MLflow run id of each record read from one
    (keyed by ``id(record)``), so figures can read its metric history."""
    from repro.files.sources import load_source, run_id_of
    from repro.tracking.journal import LOCAL_ID_PREFIX

    records: list[RunRecord] = []
    ids: dict[int, str] = {}
    batch: list[str] = []

    def flush() -> None:
        if not batch:
            return
        from repro.tracking.bulk import load_records

        loaded = list(load_records(run_ids=batch, tracking_uri=tracking_uri, use_cache=use_cache))
        for run_id, record in zip(batch, loaded, strict=True):
            ids[id(record)] = run_id
        records.extend(loaded)
        batch.clear()

    for source in sources:
        run_id = run_id_of(source)
        if run_id is not None and not run_id.startswith(LOCAL_ID_PREFIX):
            batch.append(run_id)
            continue
        flush()
        records.append(load_source(source, tracking_uri))
    flush()
    if experiments:
        from repro.tracking.bulk import experiment_ids, list_runs, load_records
        from repro.tracking.store import open_client, resolve_uri

        uri = resolve_uri(tracking_uri)
        refs = list(list_runs(open_client(uri), experiment_ids(open_client(uri), experiments, uri)))
        names: dict[str, list[str]] = {}
        for ref in refs:
            names.setdefault(ref.name, []).append(ref.run_id)
        for record in load_records(experiments, tracking_uri=tracking_uri, use_cache=use_cache):
            found = names.get(record.run.name, [])
            if len(found) == 1:  # a name two runs share cannot tell whose history it is
                ids[id(record)] = found[0]
            records.append(record)
    return records, ids
