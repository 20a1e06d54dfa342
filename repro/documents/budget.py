"""The expected-maximum table (``repro report --table expected-max``) as a document: rows are
numbers of trials n, columns are searches; the statistics come from :mod:`repro.report.budget`,
the layout from ``templates/budget/``."""

from __future__ import annotations

from dataclasses import dataclass

from repro.errors import InvalidInputError
from repro.record import RunRecord
from repro.report.budget import BudgetCurve, BudgetPoint, budget_curves

DENSE_UP_TO = 10  # every n up to here, then 20, 50, 100, 200, 500, ... and each search's N


@dataclass(frozen=True)
class BudgetColumn:
    """One search: its label, trial count, trials without a score, and table geometry."""

    label: str
    n_trials: int
    failures: int
    width: int  # cells per row: expected best, unbiased, and P(none) when trials failed
    first_column: int  # LaTeX column of its first cell (column 1 is n)


@dataclass(frozen=True)
class BudgetRow:
    n: int
    cells: list[BudgetPoint | None]  # one per search; None past a search's trials


@dataclass(frozen=True)
class BudgetDocument:
    curves: list[BudgetColumn]
    rows: list[BudgetRow]
    metric: str
    split: str | None
    higher_is_better: bool | None
    note: str  # what each column estimates and each search's trials
    caption: str | None
    label: str = "tab:expected-max"  # LaTeX \label


def shown_budgets(curves: list[BudgetCurve]) -> list[int]:
    """The values of n a printed table shows: 1..10, a 1-2-5 progression, and every N."""
    largest = max((c.n_trials for c in curves), default=0)
    shown = set(range(1, min(largest, DENSE_UP_TO) + 1))
    step = 10
    while step <= largest:
        shown.update(n for n in (step * 2, step * 5, step * 10) if n <= largest)
        step *= 10
    shown.update(c.n_trials for c in curves)
    return sorted(n for n in shown if n >= 1)


def budget_note(curves: list[BudgetCurve]) -> str:
    """The table's caption: what each column estimates, and each search's trials (plain text,
    escaped by the template for its format)."""
    first = curves[0]
    what = f"{first.metric} ({first.split})" if first.split else first.metric
    best = "highest" if first.higher_is_better else "lowest"
    parts = [
        f"Expected {best} {what} among n trials of a random hyperparameter search. "
        "Expected best: mean and standard deviation of the best of n trials drawn with "
        "replacement from the observed ones (Dodge et al., 2019). Unbiased: n trials drawn "
        "without replacement (Tang et al., 2020), defined up to the number of trials."
    ]
    for c in curves:
        text = f"{c.label}: {c.n_trials} trials"
        missing = c.without_result
        if missing:
            counts = ", ".join(f"{status} {n}" for status, n in sorted(missing.items()))
            text += (
                f", {sum(missing.values())} without a score ({counts}), counted as draws that "
                "yield no model; expectations are over draws that yield at least one, and "
                "P(none) is the chance that none of n draws (with replacement) does"
            )
        parts.append(text + ".")
        parts.extend(f"Note: {n}." for n in c.notes)
    return " ".join(parts)


def expected_max(
    source: RunRecord | list[RunRecord] | list[BudgetCurve],
    metric: str | None = None,
    group_by: list[str] | None = None,
    caption: str | None = None,
    every: bool = False,
    label: str = "tab:expected-max",
) -> BudgetDocument:
    """Rows = numbers of trials n, columns = searches; each cell the expected best of n trials
    (Dodge et al. 2019, ± its sd), the unbiased estimate (Tang et al. 2020), and, where trials
    yielded no score, the chance that none of n did."""
    items = [source] if isinstance(source, RunRecord) else list(source)
    if not items:
        raise InvalidInputError("expected-max table: no runs given")
    if all(isinstance(i, BudgetCurve) for i in items):
        curves: list[BudgetCurve] = items  # type: ignore[assignment]
    else:
        curves = budget_curves(items, metric=metric, group_by=group_by)  # type: ignore[arg-type]
    budgets = list(range(1, max(c.n_trials for c in curves) + 1))
    if not every:
        budgets = shown_budgets(curves)
    rows = [
        BudgetRow(n, [curve.points[n - 1] if n <= len(curve.points) else None for curve in curves])
        for n in budgets
    ]
    columns = []
    column = 2
    for c in curves:
        width = 3 if c.without_result else 2
        columns.append(
            BudgetColumn(c.label, c.n_trials, sum(c.without_result.values()), width, column)
        )
        column += width
    first = curves[0]
    return BudgetDocument(
        curves=columns,
        rows=rows,
        metric=first.metric,
        split=first.split,
        higher_is_better=first.higher_is_better,
        note=budget_note(curves),
        caption=caption,
        label=label,
    )


def expected_max_csv(
    source: RunRecord | list[RunRecord] | list[BudgetCurve],
    metric: str | None = None,
    group_by: list[str] | None = None,
    caption: str | None = None,
    every: bool = True,
) -> BudgetDocument:
    """As :func:`expected_max`, with every n by default: CSV is data, not a printed table."""
    return expected_max(source, metric, group_by, caption, every)
