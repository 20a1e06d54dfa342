"""Aggregate runs into a results table: group seeds, then mean, std and a t-based 95% CI."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from repro.record import Interval, RunRecord
from repro.record.paths import MISSING, flatten, resolve

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


def _seed_free_config(record: RunRecord) -> dict[str, Any]:
    """Architecture and training without seeds: what runs of one configuration share."""
    data = record.to_dict()
    training = dict(data.get("training", {}))
    training.pop("seeds", None)
    return {"architecture": data.get("architecture"), "training": training}


def config_fingerprint(record: RunRecord) -> str:
    """SHA-256 of the seed-free configuration: architecture, training and dataset identities."""
    config = _seed_free_config(record)
    config["data"] = [
        {"name": d.name, "version": d.version, "sha256": d.sha256} for d in record.data
    ]
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def _value_label(values: list[Any]) -> str:
    shown = ["—" if v is MISSING or v is None else str(v) for v in values]
    return "/".join(shown)


def _config_fields(record: RunRecord) -> dict[str, Any]:
    return flatten(_seed_free_config(record))


def _labels(groups: dict[str, list[RunRecord]]) -> dict[str, str]:
    """Label each fingerprint group by the config fields whose values differ across groups."""
    if len(groups) == 1:
        key, members = next(iter(groups.items()))
        return {
            key: members[0].card.title
            if members[0].card and members[0].card.title
            else members[0].run.experiment or members[0].run.name
        }
    fields = {key: _config_fields(members[0]) for key, members in groups.items()}
    all_keys = sorted(set().union(*fields.values()))
    varying = [k for k in all_keys if len({repr(f.get(k)) for f in fields.values()}) > 1]
    candidates = [k for k in varying if not k.endswith(("parameters", ".name"))] or varying
    # the fewest fields (in schema order) that tell every group apart, at most three
    chosen: list[str] = []
    for field_path in candidates:
        chosen.append(field_path)
        if len({tuple(repr(f.get(k)) for k in chosen) for f in fields.values()}) == len(fields):
            break
    labels = {}
    for key, flat in fields.items():
        parts = [f"{k.rsplit('.', 1)[-1]}={flat.get(k, '—')}" for k in chosen[:3]]
        labels[key] = ", ".join(parts) or key[:12]
    return labels


def aggregate(records: list[RunRecord], group_by: list[str] | None = None) -> ResultsTable:
    """Group runs (by field paths, or by seed-free config fingerprint) and summarise metrics.

    A record that already carries ``per_seed`` values contributes each of them.
    """
    buckets: dict[str, list[RunRecord]] = {}
    labels: dict[str, str] = {}
    for record in records:
        if group_by:
            parts = [_value_label(resolve(record.to_dict(), path)) for path in group_by]
            key = " | ".join(parts)
            labels[key] = ", ".join(
                f"{path.rsplit('.', 1)[-1]}={part}"
                for path, part in zip(group_by, parts, strict=True)
            )
        else:
            key = config_fingerprint(record)
        buckets.setdefault(key, []).append(record)
    if not group_by:
        labels = _labels(buckets)

    columns: list[Column] = []
    groups = []
    for key, members in buckets.items():
        values: dict[Column, list[float]] = {}
        direction: dict[Column, bool | None] = {}
        for record in members:
            for metric in record.results:
                column = (metric.name, metric.split)
                if column not in columns:
                    columns.append(column)
                found = list(metric.per_seed.values()) if metric.per_seed else [metric.value]
                values.setdefault(column, []).extend(found)
                direction.setdefault(column, metric.higher_is_better)
        groups.append(
            Group(
                label=labels[key],
                key=key,
                runs=[r.run.name for r in members],
                cells={c: Cell(tuple(v), direction.get(c)) for c, v in values.items()},
            )
        )
    return ResultsTable(group_by=list(group_by or []), columns=columns, groups=groups)
