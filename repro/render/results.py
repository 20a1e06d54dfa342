"""Multi-seed results tables (mean ± std, 95% CI, n): data from repro.report, layout in Jinja."""

from __future__ import annotations

from typing import Any

from repro.errors import InvalidInputError
from repro.record import RunRecord
from repro.render.registry import OutputFormat, register
from repro.report.aggregate import ResultsTable, aggregate


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


def results_context(
    source: RunRecord | list[RunRecord] | ResultsTable,
    group_by: list[str] | None = None,
    level: float = 0.95,
    caption: str | None = None,
) -> dict[str, Any]:
    """Rows = groups of runs, columns = (metric, split); each cell carries its statistics.
    A ResultsTable already aggregated (e.g. streamed from thousands of runs) is used as is."""
    if isinstance(source, ResultsTable):
        table = source
    else:
        table = aggregate(_records(source), group_by=group_by)
    columns = []
    for name, split in table.columns:
        higher = next(
            (
                g.cells[(name, split)].higher_is_better
                for g in table.groups
                if (name, split) in g.cells
            ),
            None,
        )
        columns.append(
            {
                "name": name,
                "split": split,
                "arrow": {True: "↑", False: "↓"}.get(higher, ""),
                "best": _best(table, (name, split)),
            }
        )
    rows = []
    for group in table.groups:
        cells = []
        for name, split in table.columns:
            cell = group.cells.get((name, split))
            if cell is None:
                cells.append(None)
                continue
            ci = cell.ci(level)
            cells.append(
                {
                    "mean": cell.mean,
                    "std": cell.std,
                    "n": cell.n,
                    "ci_low": ci.low if ci else None,
                    "ci_high": ci.high if ci else None,
                    "values": list(cell.values),
                }
            )
        rows.append({"label": group.label, "key": group.key, "runs": group.runs, "cells": cells})
    return {
        "columns": columns,
        "rows": rows,
        "level": level,
        "level_pct": f"{level * 100:g}",
        "group_by": table.group_by,
        "caption": caption,
    }


for _name, _template, _suffix, _media, _escape, _what in (
    ("results-md", "results/table.md.j2", ".md", "text/markdown", False, "Markdown"),
    ("results-latex", "results/table.tex.j2", ".tex", "application/x-latex", False, "LaTeX"),
    ("results-html", "results/table.html.j2", ".html", "text/html", True, "HTML"),
    ("results-csv", "results/table.csv.j2", ".csv", "text/csv", False, "CSV"),
):
    register(
        OutputFormat(
            name=_name,
            template=_template,
            context=results_context,
            accepts=(RunRecord, list, ResultsTable),
            suffix=_suffix,
            media_type=_media,
            autoescape=_escape,
            description=f"Results over seeds (mean ± std, CI, n) as a {_what} table",
        )
    )
