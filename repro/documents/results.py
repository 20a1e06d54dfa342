"""Multi-seed results tables (mean ± std, CI, n) as a document: groups of runs by metrics.

The statistics come from :mod:`repro.report.aggregate`; this module lays them out as rows
(groups of runs) and columns (metric, split), marks the best mean where the direction is
known, rounds each std to two significant digits and the mean and interval bounds beside it to
the same decimals, flags intervals that leave the
metric's range, and leaves the layout to the ``results-*`` templates. The interval is the
Student-t interval of the mean, or with ``interval="bootstrap"`` a percentile bootstrap.

Significance marks: in each column every group is compared with the best one (or a named
reference group) by Welch's t-test (†) and the Almost Stochastic Order test (‡), from
:mod:`repro.report.significance`; with two or more comparisons in a column, p-values are
Holm-adjusted and ASO's α Bonferroni-divided. The method, α and every comparison that could
not be made or had too few runs for power are stated under the table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from repro.documents.formatting import Interval, Spread, decimals_for, fixed
from repro.errors import InvalidInputError, UsageError
from repro.record import RunRecord
from repro.report.aggregate import Cell, Column, Group, ResultsTable, aggregate
from repro.report.significance import ALPHA, POWER, TAU, Comparison, compare, holm

INTERVALS = ("t", "bootstrap")
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0  # the same values give the same interval on every render
MARK_WELCH = "†"  # Welch's test rejects equal means with the reference at α
MARK_ASO = "‡"  # ASO: the better of the two is almost stochastically better (ε_min < τ)
MARK_RANGE = "§"  # the interval leaves the metric's range
# Metrics whose values lie in a known range, by name (lower case; "val/acc" matches "acc").
BOUNDED = re.compile(
    r"(^|[/_\-. ])(acc|accuracy|precision|recall|f1|f-score|auc|auroc|auprc|ap|map|iou|dice|"
    r"bleu|rouge[-_a-z0-9]*|exact[-_ ]?match|em|r2)($|[/_\-. ])"
)
NON_NEGATIVE = re.compile(
    r"(^|[/_\-. ])(mse|mae|rmse|mape|loss|nll|cross[-_ ]?entropy|ce|bpc|bpb|bits|wer|cer|"
    r"error|err|kl|perplexity|ppl|time|seconds)($|[/_\-. ])"
)


@dataclass(frozen=True)
class ResultColumn:
    """One (metric, split) column; ``higher_is_better`` None when no run stated it.
    ``decimals`` is the precision of its single-run values (a cell with a spread shows its std
    to two significant digits and its mean and interval at the same decimals); ``bounds`` the
    metric's range where it is known (accuracy in [0, 1], an error >= 0), else None."""

    name: str
    split: str | None
    higher_is_better: bool | None
    decimals: int = 4
    bounds: tuple[float | None, float | None] | None = None


@dataclass(frozen=True)
class ResultCell:
    """The runs of one group on one metric: their values and summary."""

    spread: Spread  # mean ± sample std (std None for a single value)
    n: int
    interval: Interval | None  # CI of the mean at the table's level (t or bootstrap)
    values: list[float]
    best: bool  # the best mean of its column (direction known, no tie)
    out_of_range: bool = False  # the interval leaves the metric's range (see the notes)
    mean_text: str = ""  # the mean at the column's precision
    std_text: str | None = None  # the std at the same precision (None for a single value)
    interval_text: str | None = None  # "[low, high]" at the same precision
    marks: str = ""  # MARK_WELCH and/or MARK_ASO against the column's reference group
    reference: bool = False  # the group the others of its column are compared with
    p_value: float | None = None  # Welch's p against the reference (Holm-adjusted where stated)
    eps_min: float | None = None  # ASO ε_min of the better (by mean) over the other
    compared_with: str | None = None  # label of the group this cell was tested against


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
    label: str = "tab:results"
    interval: str = "t"  # "t" (Student-t) or "bootstrap" (percentile)
    interval_name: str = "Student-t confidence interval of the mean"
    notes: list[str] | None = None  # intervals outside the metric's range, one line each
    alpha: float = ALPHA
    reference: str | None = None  # the named reference group's label; None: each column's best
    significance: str | None = None  # the tests, α and correction (None: nothing was tested)
    significance_notes: list[str] | None = None  # untested pairs, too few runs for power


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


def metric_bounds(name: str, unit: str | None = None) -> tuple[float | None, float | None] | None:
    """The range a metric's values lie in, where its name or unit says: [0, 1] for accuracy,
    F1 and other rates (a unit of 'fraction'), [0, 100] for a unit of '%', [1, inf) for
    perplexity, [0, inf) for errors and losses; None when unknown."""
    lowered = name.lower()
    if unit in ("%", "percent"):
        return (0.0, 100.0)
    if unit == "fraction" or BOUNDED.search(lowered):
        return (0.0, 1.0)
    if re.search(r"(^|[/_\-. ])(perplexity|ppl)($|[/_\-. ])", lowered):
        return (1.0, None)
    if NON_NEGATIVE.search(lowered):
        return (0.0, None)
    return None


def bootstrap_interval(values: Sequence[float], level: float) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean (:data:`BOOTSTRAP_RESAMPLES` resamples, a
    fixed seed); None for fewer than two values. It never leaves the values' own range."""
    if len(values) < 2:
        return None
    if len(set(values)) == 1:
        return (values[0], values[0])
    import numpy as np
    from scipy import stats

    result = stats.bootstrap(
        (np.asarray(values, dtype=float),),
        np.mean,
        confidence_level=level,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _interval(cell: Cell, level: float, method: str) -> Interval | None:
    if method == "bootstrap":
        bounds = bootstrap_interval(cell.values, level)
        return None if bounds is None else Interval(bounds[0], bounds[1], level)
    ci = cell.ci(level)
    return None if ci is None else Interval(ci.low, ci.high, level)


def _column_decimals(cells: Sequence[Cell]) -> int:
    """One precision for a column: two significant digits of its smallest std, else three
    significant digits of its smallest non-zero mean."""
    stds = [c.std for c in cells if c.std is not None and c.std > 0 and math.isfinite(c.std)]
    if stds:
        return decimals_for(min(stds), 2)
    means = [abs(c.mean) for c in cells if c.mean and math.isfinite(c.mean)]
    return decimals_for(min(means), 3) if means else 2


def _outside(interval: Interval | None, bounds: tuple[float | None, float | None] | None) -> bool:
    if interval is None or bounds is None:
        return False
    low, high = bounds
    return (low is not None and interval.low < low) or (high is not None and interval.high > high)


def _range_text(bounds: tuple[float | None, float | None]) -> str:
    low, high = bounds
    if high is None:
        return f"≥ {low:g}"
    return f"[{low:g}, {high:g}]"


def results(
    source: RunRecord | list[RunRecord] | ResultsTable,
    group_by: list[str] | None = None,
    level: float = 0.95,
    caption: str | None = None,
    label: str = "tab:results",
    interval: str = "t",
    significance: bool = True,
    reference: str | None = None,
    alpha: float = ALPHA,
) -> ResultsDocument:
    """Rows = groups of runs, columns = (metric, split); each cell carries its statistics.
    A ResultsTable already aggregated (e.g. streamed from thousands of runs) is used as is.
    ``interval`` is ``t`` (Student-t interval of the mean) or ``bootstrap`` (percentile).
    With ``significance``, each group is compared with the best of its column, or with the
    group labelled ``reference``, at level ``alpha`` (marks and the method under the table)."""
    if interval not in INTERVALS:
        raise UsageError(f"interval {interval!r}: expected one of {', '.join(INTERVALS)}")
    if not 0 < alpha < 1:
        raise UsageError(f"alpha {alpha!r}: expected a level between 0 and 1, e.g. 0.05")
    if isinstance(source, ResultsTable):
        table = source
    else:
        table = aggregate(_records(source), group_by=group_by)
    units: dict[str, str | None] = {}
    if not isinstance(source, ResultsTable):
        for record in _records(source):
            for metric in record.results:
                units.setdefault(metric.name, metric.unit)
    columns = []
    best = {}
    for name, split in table.columns:
        cells = [g.cells[(name, split)] for g in table.groups if (name, split) in g.cells]
        higher = next((c.higher_is_better for c in cells if c.higher_is_better is not None), None)
        columns.append(
            ResultColumn(
                name,
                split,
                higher,
                decimals=_column_decimals(cells),
                bounds=metric_bounds(name, units.get(name)),
            )
        )
        best[(name, split)] = _best(table, (name, split))
    reference_key = _reference_key(table, reference)
    tests: dict[tuple[str, Column], Comparison] = {}
    references: dict[Column, str] = {}
    tested_notes: list[str] = []
    if significance and len(table.groups) > 1:
        for column in table.columns:
            ref = reference_key or best[column]
            found = _column_tests(table, column, ref, alpha, tested_notes)
            tests.update({(key, column): c for key, c in found.items()})
            if ref is not None and found:
                references[column] = ref
    tested = {k: c for k, c in tests.items() if c.welch is not None}
    rows = []
    notes: list[str] = []
    for group in table.groups:
        row_cells: list[ResultCell | None] = []
        for column, spec in zip(table.columns, columns, strict=True):
            cell = group.cells.get(column)
            if cell is None:
                row_cells.append(None)
                continue
            ci = _interval(cell, level, interval)
            places = spec.decimals if not cell.std else decimals_for(cell.std, 2)
            outside = _outside(ci, spec.bounds)
            if outside and spec.bounds is not None:
                where = f"{spec.name} ({spec.split})" if spec.split else spec.name
                notes.append(
                    f"{group.label}, {where}: the {round(level * 100):g}% interval "
                    f"[{fixed(ci.low, places)}, {fixed(ci.high, places)}] leaves the metric's "  # type: ignore[union-attr]
                    f"range {_range_text(spec.bounds)} (n = {cell.n})."
                )
            row_cells.append(
                ResultCell(
                    spread=Spread(cell.mean, cell.std),
                    n=cell.n,
                    interval=ci,
                    values=list(cell.values),
                    best=best[column] == group.key,
                    out_of_range=outside,
                    mean_text=fixed(cell.mean, places),
                    std_text=None if cell.std is None else fixed(cell.std, places),
                    interval_text=None
                    if ci is None
                    else f"[{fixed(ci.low, places)}, {fixed(ci.high, places)}]",
                    **_marks(tests.get((group.key, column))),
                    reference=references.get(column) == group.key,
                )
            )
        rows.append(ResultRow(group.label, group.key, list(group.runs), row_cells))
    name = (
        "percentile bootstrap interval of the mean"
        if interval == "bootstrap"
        else "Student-t confidence interval of the mean"
    )
    return ResultsDocument(
        columns,
        rows,
        level,
        list(table.group_by),
        caption,
        label=label,
        interval=interval,
        interval_name=name,
        notes=notes,
        alpha=alpha,
        reference=next(g.label for g in table.groups if g.key == reference_key)
        if reference_key
        else None,
        significance=_method(tested, alpha, reference_key is not None) if tested else None,
        significance_notes=tested_notes,
    )


# -- significance marks ----------------------------------------------------------------------


def _reference_key(table: ResultsTable, reference: str | None) -> str | None:
    """The key of the group labelled ``reference`` (UsageError naming the labels if none)."""
    if reference is None:
        return None
    for group in table.groups:
        if group.label == reference:
            return group.key
    labels = "; ".join(repr(g.label) for g in table.groups)
    raise UsageError(f"reference {reference!r} is not a group of this table (groups: {labels})")


def _where(column: Column) -> str:
    name, split = column
    return f"{name} ({split})" if split else name


def _column_tests(
    table: ResultsTable, column: Column, reference: str | None, alpha: float, notes: list[str]
) -> dict[str, Comparison]:
    """Each other group of ``column`` against ``reference``, Holm-adjusted over the family;
    what could not be tested (no reference, one run, no variance) or lacks power is noted."""
    groups = [g for g in table.groups if column in g.cells]
    if len(groups) < 2:
        return {}
    where = _where(column)
    ref = next((g for g in groups if g.key == reference), None)
    if ref is None:
        if reference is None:
            notes.append(
                f"{where}: no best configuration (direction not recorded, or a tie): not tested."
            )
        else:
            notes.append(f"{where}: the reference configuration has no value here: not tested.")
        return {}
    others: list[Group] = [g for g in groups if g.key != ref.key]
    ref_cell = ref.cells[column]
    direction = ref_cell.higher_is_better
    if direction is None:
        direction = next((g.cells[column].higher_is_better for g in others), None)
    found: dict[str, Comparison] = {}
    for group in others:
        found[group.key] = compare(
            ref_cell.values,
            group.cells[column].values,
            (ref.label, group.label),
            direction,
            alpha,
            comparisons=len(others),
            interval=False,
        )
    tested = [k for k, c in found.items() if c.p_adjusted is not None]
    if len(others) > 1 and tested:
        adjusted = holm([found[k].p_adjusted for k in tested])  # type: ignore[misc]
        for key, p in zip(tested, adjusted, strict=True):
            found[key] = replace(found[key], p_adjusted=p)
    single = [g.label for g in [ref, *others] if g.cells[column].n < 2]
    if len(single) == len(groups):
        notes.append(f"{where}: every configuration has one run: no significance test.")
    elif single:
        notes.append(f"{where}: not tested, one run only: {'; '.join(single)}.")
    for comparison in found.values():
        if comparison.welch is not None and comparison.p_adjusted is None:
            notes.append(
                f"{where}: {comparison.b} and {comparison.a} scored the same in every run: "
                "Welch's test is undefined."
            )
    weak = [
        c
        for c in found.values()
        if c.power is not None and c.power < POWER and c.p_adjusted is not None
    ]
    if weak:
        parts = []
        for c in weak:
            need = f", about {c.runs_needed} runs per group needed" if c.runs_needed else ""
            parts.append(f"{c.b} (d = {abs(c.effect or 0):.2f}, power {c.power:.0%}{need})")
        notes.append(
            f"{where}: n too small for Welch's test to have {POWER:.0%} power at the observed "
            f"difference from {ref.label}: " + "; ".join(parts) + "."
        )
    return found


def _marks(comparison: Comparison | None) -> dict[str, object]:
    """The marks and figures of one cell's comparison with its column's reference."""
    if comparison is None:
        return {}
    if comparison.welch is None:
        return {"compared_with": comparison.a}
    marks = MARK_WELCH if comparison.significant else ""
    eps = None
    if comparison.higher_is_better is not None:
        sign = 1 if comparison.higher_is_better else -1
        reference_better = sign * comparison.difference >= 0
        chosen = comparison.aso_ab if reference_better else comparison.aso_ba
        if chosen is not None:
            eps = chosen.eps_min
            marks += MARK_ASO if chosen.dominant else ""
    return {
        "marks": marks,
        "p_value": comparison.p_adjusted,
        "eps_min": eps,
        "compared_with": comparison.a,
    }


def _method(tests: dict[tuple[str, Column], Comparison], alpha: float, named: bool) -> str:
    """The tests, α and corrections, as one paragraph under the table (plain text)."""
    per_column: dict[Column, int] = {}
    for _, column in tests:
        per_column[column] = per_column.get(column, 0) + 1
    family = max(per_column.values())
    who = "the reference configuration" if named else "the best configuration of its column"
    better = "the better of the two by mean" if named else "the best"
    text = (
        f"{MARK_WELCH} differs from {who} by Welch's two-sided t-test at α = {alpha:g}; "
        f"{MARK_ASO} {better} is almost stochastically better (ASO, Dror et al. 2019: "
        f"ε_min < {TAU:g} with confidence 1 − α)."
    )
    if family > 1:
        text += (
            " Each column's comparisons form one family: p-values are Holm-adjusted and ASO's "
            "α is Bonferroni-divided by their number"
            + (f" ({family})." if len(set(per_column.values())) == 1 else ".")
        )
    return text
