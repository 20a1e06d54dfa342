"""Aggregate runs into a results table: group seeds, then mean, std and a t-based 95% CI."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from repro.record import Interval, RunRecord
from repro.report.fields import check_path
from repro.report.grouping import (
    config_fields,
    config_fingerprint,
    distinct_labels,
    group_key,
    group_values,
    path_labels,
    require_recorded,
)

Column = tuple[str, str | None]  # (metric name, split)


@dataclass(frozen=True)
class Cell:
    """One metric of one group: the values behind it and their summary."""

    values: tuple[float, ...]
    higher_is_better: bool | None = None

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return math.fsum(self.values) / self.n

    @property
    def std(self) -> float | None:
        """Sample standard deviation (ddof=1); None for a single value."""
        if self.n < 2:
            return None
        mean = self.mean
        return math.sqrt(math.fsum((v - mean) ** 2 for v in self.values) / (self.n - 1))

    def ci(self, level: float = 0.95) -> Interval | None:
        """Student-t confidence interval of the mean; None for fewer than two values."""
        std = self.std
        if std is None:
            return None
        from scipy import stats

        if std == 0:
            return Interval(low=self.mean, high=self.mean, level=level)
        low, high = stats.t.interval(
            level, self.n - 1, loc=self.mean, scale=std / math.sqrt(self.n)
        )
        return Interval(low=float(low), high=float(high), level=level)


@dataclass
class Group:
    """Runs that share a configuration (they differ only in seed, by default)."""

    label: str
    key: str
    runs: list[str] = field(default_factory=list)
    cells: dict[Column, Cell] = field(default_factory=dict)


@dataclass
class ResultsTable:
    """Groups x metrics; built once, rendered as Markdown, LaTeX, HTML or CSV."""

    group_by: list[str]
    columns: list[Column]
    groups: list[Group]


def _single_label(record: RunRecord) -> str:
    return (
        record.title
        if record.card and record.card.title
        else (record.run.experiment or record.run.name)
    )


def group_by_paths(paths: Iterable[str]) -> list[str]:
    """``--group-by`` paths in bracket spelling, each checked against the schema (UsageError)."""
    return [check_path(path) for path in paths]


def aggregate(records: Iterable[RunRecord], group_by: list[str] | None = None) -> ResultsTable:
    """Group runs (by field paths, or by configuration: see :mod:`repro.report.grouping`) and
    summarise each metric. Records are read once, one at a time; a group keeps its values and
    run names, not its records. A record carrying ``per_seed`` values contributes each of them.

    ``group_by`` paths take either spelling (``recurrent_layers.0.cell`` or ``[0]``); one the
    schema lacks is a UsageError, one that no run records is an InvalidInputError.
    """
    paths = group_by_paths(group_by or [])
    buckets: dict[str, _Bucket] = {}
    for record in records:
        if paths:
            fields = group_values(record, paths)
            key = group_key(fields)
        else:
            key = config_fingerprint(record)
            fields = None
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = _Bucket(
                fields=fields if fields is not None else config_fields(record),
                single_label=_single_label(record),
            )
        bucket.add(record)
    runs = sum(len(b.runs) for b in buckets.values())
    require_recorded((b.fields for b in buckets.values()), paths, runs)
    labels = _labels(buckets, paths)
    columns: list[Column] = []
    for bucket in buckets.values():
        columns.extend(c for c in bucket.values if c not in columns)
    groups = [
        Group(
            label=labels[key],
            key=key,
            runs=bucket.runs,
            cells={c: Cell(tuple(v), bucket.direction.get(c)) for c, v in bucket.values.items()},
        )
        for key, bucket in buckets.items()
    ]
    return ResultsTable(group_by=paths, columns=columns, groups=groups)


@dataclass
class _Bucket:
    """One group while records stream past: its fields, run names and metric values."""

    fields: dict[str, Any]
    single_label: str
    runs: list[str] = field(default_factory=list)
    values: dict[Column, list[float]] = field(default_factory=dict)
    direction: dict[Column, bool | None] = field(default_factory=dict)

    def add(self, record: RunRecord) -> None:
        self.runs.append(record.run.name)
        for metric in record.results:
            column = (metric.name, metric.split)
            found = list(metric.per_seed.values()) if metric.per_seed else [metric.value]
            self.values.setdefault(column, []).extend(found)
            if self.direction.get(column) is None:
                self.direction[column] = metric.higher_is_better


def _labels(buckets: dict[str, _Bucket], paths: list[str]) -> dict[str, str]:
    if paths:
        return path_labels({key: b.fields for key, b in buckets.items()}, paths)
    if len(buckets) == 1:
        key, bucket = next(iter(buckets.items()))
        return {key: bucket.single_label}
    return distinct_labels({key: b.fields for key, b in buckets.items()})
