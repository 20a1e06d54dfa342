"""Runs of an experiment as table rows, paged through ``search_runs`` (thousands are fine)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from repro.errors import InvalidInputError
from repro.tracking.flatten import CHECK_TAG
from repro.tracking.store import open_client, resolve_uri, translate

PAGE_SIZE = 1000
COLUMNS = ("run_id", "name", "status", "cells", "main_metric", "check", "started")


@dataclass(frozen=True)
class RunRow:
    """The key fields of one run, as ``repro runs`` shows them."""

    run_id: str
    name: str
    status: str
    cells: str
    main_metric: str
    check: str
    started: str

    def cells_text(self) -> tuple[str, ...]:
        return tuple(getattr(self, column) for column in COLUMNS)


def _row(run: object) -> RunRow:
    info, data = run.info, run.data  # type: ignore[attr-defined]
    key = data.tags.get("repro.main_metric")
    metric = ""
    if key and key in data.metrics:
        metric = f"{key.removeprefix('results/')}={data.metrics[key]:.6g}"
    started = ""
    if info.start_time:
        moment = datetime.fromtimestamp(info.start_time / 1000, tz=UTC)
        started = moment.strftime("%Y-%m-%d %H:%M:%S")
    return RunRow(
        run_id=info.run_id,
        name=info.run_name or "",
        status=info.status,
        cells=data.tags.get("repro.cell_types", ""),
        main_metric=metric,
        check=data.tags.get(CHECK_TAG, "—"),
        started=started,
    )


def iter_runs(
    experiment: str | None = None,
    tracking_uri: str | None = None,
    max_runs: int | None = None,
    on_page: Callable[[int], None] | None = None,
) -> Iterator[RunRow]:
    """Rows for the runs of ``experiment`` (all experiments when None), newest first, following
    ``page_token`` until ``max_runs``; ``on_page`` gets the number of runs each page brought."""
    uri = resolve_uri(tracking_uri)
    client = open_client(uri)
    try:
        if experiment is not None:
            found = client.get_experiment_by_name(experiment)
            if found is None:
                raise InvalidInputError(f"{uri}: no experiment named {experiment!r}")
            ids = [found.experiment_id]
        else:
            ids = [e.experiment_id for e in client.search_experiments()]
        if not ids:
            return
        token: str | None = None
        seen = 0
        while max_runs is None or seen < max_runs:
            size = PAGE_SIZE if max_runs is None else min(PAGE_SIZE, max_runs - seen)
            page = client.search_runs(
                ids, max_results=size, order_by=["attributes.start_time DESC"], page_token=token
            )
            if on_page is not None:
                on_page(len(page))
            for run in page:
                seen += 1
                yield _row(run)
            token = page.token
            if not token or not page:
                return
    except InvalidInputError:
        raise
    except Exception as exc:
        raise translate(exc, uri) from None
