"""Field-by-field difference of two records (what changed between two runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from repro.record import RunRecord
from repro.record.paths import MISSING, flatten

# Fields that differ between any two runs and say nothing about the configuration.
VOLATILE_PREFIXES = ("run.created", "run.started", "run.ended")


@dataclass(frozen=True)
class Change:
    """One field whose value differs (MISSING on the side that lacks it)."""

    path: str
    left: Any
    right: Any


def diff_records(left: RunRecord, right: RunRecord, include_times: bool = False) -> list[Change]:
    """Every leaf field that differs: the left record's order, then the right's extra fields."""
    a, b = flatten(left.to_dict()), flatten(right.to_dict())
    paths = list(a) + [p for p in b if p not in a]
    changes = []
    for path in paths:
        if not include_times and path.startswith(VOLATILE_PREFIXES):
            continue
        va, vb = a.get(path, MISSING), b.get(path, MISSING)
        if va != vb or type(va) is not type(vb):
            changes.append(Change(path, va, vb))
    return changes


def format_changes(changes: list[Change], left_name: str, right_name: str) -> str:
    """A plain-text table: path, left value, right value ('—' where a side lacks the field)."""
    if not changes:
        return "no differences\n"

    def shown(value: Any) -> str:
        return "—" if value is MISSING else repr(value) if isinstance(value, str) else str(value)

    rows = [("field", left_name, right_name)] + [
        (c.path, shown(c.left), shown(c.right)) for c in changes
    ]
    widths = [min(48, max(len(r[i]) for r in rows)) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + f"\n{len(changes)} field(s) differ\n"
