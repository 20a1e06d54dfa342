"""What differs between two runs, for people: by section, with the noise folded away.

:func:`diff_records` lists every leaf field that differs. :func:`compare_records` arranges that
for a reader: the configuration (what the user chose, as grouping defines it) first; then the
seed and what follows from it (values measured at initialisation, command options and tags that
carry the seed); results per metric; diagnostics as a summary (not every gradient norm); the
other sections; command lines compared option by option, not by position. Sections alike on
both sides are collapsed into one line; fields that differ between any two runs (name,
description, times, wall time) are counted but shown only on request.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from repro.record import Diagnostics, RunRecord
from repro.record.paths import MISSING, flatten
from repro.report.grouping import config_fields, show_value

# Fields that differ between any two runs and say nothing about the configuration.
VOLATILE_PREFIXES = ("run.created", "run.started", "run.ended")
BOOKKEEPING = (
    "run.name",
    "run.description",
    *VOLATILE_PREFIXES,
    "provenance.wall_time_s",
    "provenance.device_hours",
)
SECTIONS = (
    "configuration",
    "seed",
    "results",
    "diagnostics",
    "run",
    "data",
    "environment",
    "provenance",
    "contributors",
    "card",
)


@dataclass(frozen=True)
class Change:
    """One field whose value differs (MISSING on the side that lacks it)."""

    path: str
    left: Any
    right: Any


def diff_records(left: RunRecord, right: RunRecord, include_times: bool = False) -> list[Change]:
    """Every leaf field that differs: the left record's order, then the right's extra fields."""
    a, b = flatten(left.to_dict()), flatten(right.to_dict())
    return [
        change
        for change in _changes(a, b)
        if include_times or not change.path.startswith(VOLATILE_PREFIXES)
    ]


def _changes(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    paths = list(a) + [p for p in b if p not in a]
    out = []
    for path in paths:
        va, vb = a.get(path, MISSING), b.get(path, MISSING)
        if va != vb or type(va) is not type(vb):
            out.append(Change(path, va, vb))
    return out


# -- command lines and diagnostics, summarised ----------------------------------------------


def _is_option(token: str) -> bool:
    if not token.startswith("-") or token == "-":
        return False
    try:
        float(token)
    except ValueError:
        return True
    return False  # a negative number is a value


def parse_command(argv: Sequence[str]) -> dict[str, Any]:
    """argv as ``{program, --option: value, ..., args}``: options keyed by name, so an extra
    flag does not shift the others. ``--opt=v`` and ``--opt v`` are alike; an option followed by
    another option (or nothing) is a flag (True); a repeated option keeps its values in order.
    Words before the first option form ``program``; other words are ``args``."""
    tokens = list(argv)
    first = next((i for i, t in enumerate(tokens) if _is_option(t)), len(tokens))
    parsed: dict[str, Any] = {"program": " ".join(tokens[:first])}
    args: list[str] = []
    i = first
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            args.extend(tokens[i + 1 :])
            break
        if not _is_option(token):
            args.append(token)
            i += 1
            continue
        name, eq, value = token.partition("=")
        if eq:
            found: Any = value
        elif i + 1 < len(tokens) and not _is_option(tokens[i + 1]):
            found = tokens[i + 1]
            i += 1
        else:
            found = True
        i += 1
        if name in parsed:
            previous = parsed[name]
            parsed[name] = [*previous, found] if isinstance(previous, list) else [previous, found]
        else:
            parsed[name] = found
    if args:
        parsed["args"] = args
    return parsed


def diagnostics_summary(diagnostics: Diagnostics | None) -> dict[str, Any]:
    """A few numbers per recurrent layer instead of every gradient norm: how many snapshots,
    and the first/last gradient ratio at the first and the last snapshot; for clipping, the
    share of clipped steps. One function, so richer summaries (a verdict per layer) can replace
    it without touching the diff."""
    if diagnostics is None:
        return {}
    out: dict[str, Any] = {}
    layers: dict[str, list[Any]] = {}
    for snapshot in diagnostics.gradient_flow:
        layers.setdefault(snapshot.layer, []).append(snapshot)
    for layer, snapshots in layers.items():
        snapshots.sort(key=lambda s: s.step)
        out[f"{layer}: snapshots"] = len(snapshots)
        first, last = snapshots[0], snapshots[-1]
        out[f"{layer}: first/last gradient ratio, first snapshot"] = first.ratio_first_last
        if len(snapshots) > 1:
            out[f"{layer}: first/last gradient ratio, last snapshot"] = last.ratio_first_last
    clip = diagnostics.clipping
    if clip is not None:
        out["clipping: clipped steps"] = f"{clip.clipped_steps}/{clip.steps}"
        if clip.norm_p95 is not None:
            out["clipping: p95 gradient norm"] = clip.norm_p95
    return {k: v for k, v in out.items() if v is not None}


# -- the diff for people ----------------------------------------------------------------------


@dataclass(frozen=True)
class SectionDiff:
    """One section's changed fields, each as (shown name, left, right)."""

    name: str
    changes: tuple[Change, ...]


@dataclass
class RecordDiff:
    """Two records compared section by section (see the module docstring)."""

    left: str
    right: str
    sections: list[SectionDiff] = field(default_factory=list)
    identical: list[str] = field(default_factory=list)
    hidden: list[Change] = field(default_factory=list)
    config_only: bool = False

    @property
    def same_configuration(self) -> bool:
        return not any(s.name == "configuration" for s in self.sections)

    @property
    def changed(self) -> int:
        return sum(len(s.changes) for s in self.sections)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: MISSING sides left out."""

        def change(c: Change) -> dict[str, Any]:
            out: dict[str, Any] = {"field": c.path}
            if c.left is not MISSING:
                out["left"] = c.left
            if c.right is not MISSING:
                out["right"] = c.right
            return out

        return {
            "left": self.left,
            "right": self.right,
            "same_configuration": self.same_configuration,
            "sections": {s.name: [change(c) for c in s.changes] for s in self.sections},
            "identical": self.identical,
            "hidden": [c.path for c in self.hidden],
        }


def _seed_values(record: RunRecord) -> set[str]:
    seeds = record.training.seeds if record.training else None
    if seeds is None:
        return set()
    values = [seeds.python, seeds.numpy, seeds.torch, seeds.cuda, seeds.dataloader]
    values += list(seeds.other.values())
    return {str(v) for v in values if v is not None}


def _results(record: RunRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for metric in record.results:
        name = f"{metric.name} ({metric.split})" if metric.split else metric.name
        out[name] = metric.value
        if metric.n is not None:
            out[f"{name}: n"] = metric.n
        if metric.std is not None:
            out[f"{name}: std"] = metric.std
    return out


def _sections(record: RunRecord) -> dict[str, dict[str, Any]]:
    """Every field of ``record`` under the section a reader looks for it in."""
    data = record.to_dict()
    config = config_fields(record)
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    sections["configuration"] = config
    training = flatten({"training": data.get("training", {})})
    unchosen = {k: v for k, v in training.items() if k not in config and v not in ({}, [])}
    outcome = "training.early_stopping.stopped_epoch"
    # the seeds, and what was measured after initialisation with them
    sections["seed"] = {k: v for k, v in unchosen.items() if k != outcome}
    sections["results"] = _results(record)
    if outcome in unchosen:
        sections["results"]["early stopping: stopped epoch"] = unchosen[outcome]
    sections["diagnostics"] = diagnostics_summary(record.diagnostics)
    run = dict(data["run"])
    sections["run"] = {k: v for k, v in flatten({"run": run}).items() if v not in ({}, [])}
    datasets = flatten({"data": data.get("data", [])})
    sections["data"] = {k: v for k, v in datasets.items() if k not in config}
    for name in ("environment", "contributors", "card"):
        if name in data:
            sections[name] = flatten({name: data[name]})
    provenance = dict(data.get("provenance", {}))
    command = provenance.pop("command", None)
    flat = flatten({"provenance": provenance}) if provenance else {}
    if command is not None:
        flat.update({f"provenance.command {k}": v for k, v in parse_command(command).items()})
    sections["provenance"] = flat
    return sections


def compare_records(
    left: RunRecord,
    right: RunRecord,
    names: tuple[str, str] = ("left", "right"),
    config_only: bool = False,
    show_all: bool = False,
) -> RecordDiff:
    """Two records compared for a reader: changed sections with their fields, alike sections
    collapsed, bookkeeping fields hidden unless ``show_all``; ``config_only`` keeps only the
    configuration (what the user chose)."""
    a, b = _sections(left), _sections(right)
    seeds = (_seed_values(left), _seed_values(right))
    result = RecordDiff(left=names[0], right=names[1], config_only=config_only)
    per: dict[str, list[Change]] = {}
    touched: set[str] = set()
    for name in SECTIONS:
        if config_only and name != "configuration":
            continue
        for change in _changes(a[name], b[name]):
            touched.add(name)
            if not show_all and change.path.startswith(BOOKKEEPING):
                result.hidden.append(change)
            elif name in ("run", "provenance") and _carries_seed(change, seeds):
                per.setdefault("seed", []).append(change)  # e.g. --seed 0 -> 1, tag seed
            else:
                per.setdefault(name, []).append(change)
    if "seed" in per:
        per["seed"] = _fold_seeds(per["seed"])
    for name in SECTIONS:
        if per.get(name):
            result.sections.append(SectionDiff(name, tuple(per[name])))
        elif name not in touched and (a[name] or b[name]) and not config_only:
            result.identical.append(name)
    return result


def _fold_seeds(changes: list[Change]) -> list[Change]:
    """``training.seeds.python, numpy, torch: 0 -> 1`` as one row when they change alike."""
    prefix = "training.seeds."
    alike: dict[tuple[str, str], list[str]] = {}
    for c in changes:
        if c.path.startswith(prefix):
            alike.setdefault((repr(c.left), repr(c.right)), []).append(c.path[len(prefix) :])
    out: list[Change] = []
    done: set[tuple[str, str]] = set()
    for c in changes:
        key = (repr(c.left), repr(c.right))
        if not c.path.startswith(prefix):
            out.append(c)
        elif key not in done:
            done.add(key)
            out.append(Change(prefix + ", ".join(alike[key]), c.left, c.right))
    return out


def _carries_seed(change: Change, seeds: tuple[set[str], set[str]]) -> bool:
    """A tag or command option whose value is the run's seed on each side."""
    left, right = change.left, change.right
    return (
        left is not MISSING
        and right is not MISSING
        and str(left) in seeds[0]
        and str(right) in seeds[1]
    )


# -- output ----------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    if value is MISSING:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return show_value(value)


def _delta(change: Change) -> str:
    left, right = change.left, change.right
    numbers = (int, float)
    if (
        isinstance(left, numbers)
        and isinstance(right, numbers)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    ):
        return f"{right - left:+.3g}"
    return ""


def _summary_lines(diff: RecordDiff) -> list[str]:
    lines = []
    if diff.config_only:
        lines.append("configuration only (what the user chose; seeds and outcomes left out)")
    elif diff.same_configuration:
        lines.append("same configuration (architecture, training without seeds, data identity)")
    if diff.identical:
        lines.append("identical: " + ", ".join(diff.identical))
    if diff.hidden:
        fields = ", ".join(sorted({c.path.removeprefix("provenance.") for c in diff.hidden}))
        lines.append(f"not shown: {fields} (differ between any two runs; --all shows them)")
    return lines


def format_text(diff: RecordDiff) -> str:
    """Aligned plain text: section, field, left, right (and the change of a number)."""
    rows = [("section", "field", "left", "right", "change")]
    for section in diff.sections:
        for i, c in enumerate(section.changes):
            rows.append(
                (section.name if i == 0 else "", c.path, _shown(c.left), _shown(c.right), _delta(c))
            )
    lines: list[str] = [f"left:  {diff.left}", f"right: {diff.right}", ""]
    if len(rows) > 1:
        widths = [min(56, max(len(r[i]) for r in rows)) for i in range(5)]
        for n, row in enumerate(rows):
            cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.append(f"{diff.changed} field(s) differ")
    else:
        lines.append("no differences")
    return "\n".join(lines + _summary_lines(diff)) + "\n"


def _md(text: str) -> str:
    from repro.rendering.filters import md_cell

    return md_cell(text) or " "


def format_markdown(diff: RecordDiff) -> str:
    """A Markdown table per changed section, then the collapsed ones."""
    lines = [f"## {_md(diff.left)} vs {_md(diff.right)}", ""]
    for section in diff.sections:
        lines += [
            f"### {section.name}",
            "",
            f"| field | {_md(diff.left)} | {_md(diff.right)} | change |",
            "|---|---|---|---|",
        ]
        for c in section.changes:
            cells = (c.path, _shown(c.left), _shown(c.right), _delta(c))
            lines.append("| " + " | ".join(_md(x) for x in cells) + " |")
        lines.append("")
    if not diff.sections:
        lines += ["No differences.", ""]
    lines += [f"- {_md(line)}" for line in _summary_lines(diff)]
    return "\n".join(lines).rstrip() + "\n"


def format_json(diff: RecordDiff) -> str:
    return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"
