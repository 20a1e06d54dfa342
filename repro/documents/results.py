"""Multi-seed results tables (mean ± std, CI, n) as a document: groups of runs by metrics.

The statistics come from :mod:`repro.report.aggregate`; this module lays them out as rows
(groups of runs) and columns (metric, split), marks the best mean where the direction is
known, and leaves the layout to the ``results-*`` templates.
"""

from __future__ import annotations

from dataclasses import dataclass

from repro.documents.formatting import Interval, Spread
from repro.errors import InvalidInputError
from repro.record import RunRecord
from repro.report.aggregate import ResultsTable, aggregate


@dataclass(frozen=True)
class ResultColumn:
    """One (metric, split) column; ``higher_is_better`` None when no run stated it."""

    name: str
    split: str | None
    higher_is_better: bool | None


@dataclass(frozen=True)
class ResultCell:
    """The runs of one group on one metric: their values and summary."""

    spread: Spread  # mean ± sample std (std None for a single value)
    n: int
    interval: Interval | None  # Student-t CI of the mean at the table's level
    values: list[float]
    best: bool  # the best mean of its column (direction known, no tie)


@dataclass(frozen=True)
class ResultRow:
    label: str
    key: str
    runs: list[str]
    cells: list[ResultCell | None]  # one per column; None where the group lacks the metric


@dataclass(frozen=True)
class ResultsDocument:
    columns: list[ResultColumn]
    rows: list[ResultRow]
    level: float
    group_by: list[str]
    caption: str | None


def _records(source: RunRecord | list[RunRecord]) -> list[RunRecord]:
    records = [source] if isinstance(source, RunRecord) else list(source)
    if not records:
        raise InvalidInputError("results table: no records given")
    return records


def _best(table: ResultsTable, column: tuple[str, str | None]) -> str | None:
    """Key of the group with the best mean in ``column`` (None if direction unknown or a tie)."""
    cells = [(g.key, g.cells[column]) for g in table.groups if column in g.cells]
    if len(cells) < 2 or cells[0][1].higher_is_better is None:
        return None
    sign = 1 if cells[0][1].higher_is_better else -1
    ranked = sorted(cells, key=lambda kc: sign * kc[1].mean, reverse=True)
    return None if ranked[0][1].mean == ranked[1][1].mean else ranked[0][0]


def results(
    source: RunRecord | list[RunRecord] | ResultsTable,
    group_by: list[str] | None = None,
    level: float = 0.95,
    caption: str | None = None,
) -> ResultsDocument:
    """Rows = groups of runs, columns = (metric, split); each cell carries its statistics.
    A ResultsTable already aggregated (e.g. streamed from thousands of runs) is used as is."""
    if isinstance(source, ResultsTable):
        table = source
    else:
        table = aggregate(_records(source), group_by=group_by)
    columns = []
    best = {}
    for name, split in table.columns:
        higher = next(
            (
                g.cells[(name, split)].higher_is_better
                for g in table.groups
                if (name, split) in g.cells
            ),
            None,
        )
        columns.append(ResultColumn(name, split, higher))
        best[(name, split)] = _best(table, (name, split))
    rows = []
    for group in table.groups:
        cells: list[ResultCell | None] = []
        for column in table.columns:
            cell = group.cells.get(column)
            if cell is None:
                cells.append(None)
                continue
            ci = cell.ci(level)
            cells.append(
                ResultCell(
                    spread=Spread(cell.mean, cell.std),
                    n=cell.n,
                    interval=None if ci is None else Interval(ci.low, ci.high, level),
                    values=list(cell.values),
                    best=best[column] == group.key,
                )
            )
        rows.append(ResultRow(group.label, group.key, list(group.runs), cells))
    return ResultsDocument(columns, rows, level, list(table.group_by), caption)
