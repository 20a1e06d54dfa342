"""Expected best validation score as a function of the tuning budget (number of trials).

For the N trials of a random hyperparameter search with scores v_(1) <= ... <= v_(N), the
expected best of n trials is

* with replacement (Dodge et al. 2019, "Show Your Work"): ``sum_i v_(i) [(i/N)^n - ((i-1)/N)^n]``,
  with the spread of that best as ``sqrt(sum_i (v_(i) - E)^2 [(i/N)^n - ((i-1)/N)^n])``;
* without replacement, the unbiased estimator of Tang et al. 2020 ("Showing Your Work
  Doesn't Always Work"): ``sum_i v_(i) C(i-1, n-1) / C(N, n)``, for n <= N.

n = 1 gives the mean score; n = N gives the best score (without replacement) or approaches it
(with replacement). Every trial counts toward N, failed and pruned ones included: a trial
without a score is a draw that yields no model. With f such trials, the weights become those of
the CDF ``F(i) = ((f+i)/N)^n`` (resp. ``C(f+i, n)/C(N, n)``) and the expectation is taken over
draws that yielded at least one model; the chance that none did is reported beside it. With no
failures this is exactly the published estimators. Lower-is-better metrics use the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from repro.errors import InvalidInputError
from repro.record import Metric, RunRecord
from repro.report.fields import check_path
from repro.report.grouping import (
    distinct_labels,
    group_key,
    group_values,
    path_labels,
    require_recorded,
)

SPLIT_ALIASES = {"val": "validation", "valid": "validation", "dev": "validation"}
SEARCH_KEY = ("method", "space", "objective", "trials")
# A named search (an Optuna study) is one search whatever each trial recorded as "trials so far"
# or as the space it had seen by then (define-by-run spaces grow as trials run).
STUDY_KEY = ("method", "study", "objective")


@dataclass(frozen=True)
class BudgetPoint:
    """The expected best score of ``n`` trials, by both estimators."""

    n: int
    expected: float | None  # Dodge et al. 2019, draws with replacement
    std: float | None  # spread of the best of n (same distribution)
    unbiased: float | None  # Tang et al. 2020, draws without replacement
    unbiased_std: float | None
    p_no_result: float  # chance that none of n trials (with replacement) yields a score


@dataclass(frozen=True)
class Trial:
    """One trial of a search: its run, status and score (None: it yielded no score)."""

    run: str
    status: str | None
    value: float | None


@dataclass
class BudgetCurve:
    """One search: its trials and the expected best score for n = 1..N."""

    label: str
    metric: str
    split: str | None
    higher_is_better: bool
    trials: list[Trial]
    points: list[BudgetPoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def n_trials(self) -> int:
        return len(self.trials)

    @property
    def without_result(self) -> dict[str, int]:
        """Trials that yielded no score, counted by run status."""
        counts: dict[str, int] = {}
        for trial in self.trials:
            if trial.value is None:
                status = trial.status or "status not recorded"
                counts[status] = counts.get(status, 0) + 1
        return counts


def _comb(n: int, k: int) -> int:
    return math.comb(n, k) if 0 <= k <= n else 0


def _moments(values: Sequence[float], cdf: Sequence[float]) -> tuple[float, float] | None:
    """Mean and std of a distribution on sorted ``values`` given the CDF at each of them and
    the mass below the first (``cdf[0]``, failures), renormalised to the mass above it."""
    total = cdf[-1] - cdf[0]
    if total <= 0:
        return None
    weights = [(cdf[i + 1] - cdf[i]) / total for i in range(len(values))]
    mean = math.fsum(w * v for w, v in zip(weights, values, strict=True))
    var = math.fsum(w * (v - mean) ** 2 for w, v in zip(weights, values, strict=True))
    return mean, math.sqrt(max(var, 0.0))


def expected_max(
    values: Sequence[float], n: int, failures: int = 0, replace: bool = True
) -> tuple[float, float] | None:
    """(expected best, its std) of ``n`` trials drawn from ``values`` plus ``failures`` trials
    without a score, with replacement (Dodge et al. 2019) or without (Tang et al. 2020).
    Higher is better; None when no draw of n trials can yield a score."""
    scores = sorted(values)
    total = len(scores) + failures
    if n < 1 or not scores or (not replace and n > total):
        return None
    if replace:
        cdf = [((failures + i) / total) ** n for i in range(len(scores) + 1)]
    else:
        denom = _comb(total, n)
        cdf = [_comb(failures + i, n) / denom for i in range(len(scores) + 1)]
    return _moments(scores, cdf)


def p_no_result(n: int, n_trials: int, failures: int, replace: bool = True) -> float:
    """Chance that ``n`` draws from ``n_trials`` trials hit only the ``failures`` ones."""
    if failures == 0:
        return 0.0
    if replace:
        return (failures / n_trials) ** n
    return _comb(failures, n) / _comb(n_trials, n)


def curve_points(
    values: Sequence[float], failures: int, higher_is_better: bool
) -> list[BudgetPoint]:
    """Both estimators for n = 1..N, N counting the trials without a score."""
    sign = 1.0 if higher_is_better else -1.0
    oriented = [sign * v for v in values]
    total = len(values) + failures
    points = []
    for n in range(1, total + 1):
        dodge = expected_max(oriented, n, failures, replace=True)
        tang = expected_max(oriented, n, failures, replace=False)
        points.append(
            BudgetPoint(
                n=n,
                expected=None if dodge is None else sign * dodge[0],
                std=None if dodge is None else dodge[1],
                unbiased=None if tang is None else sign * tang[0],
                unbiased_std=None if tang is None else tang[1],
                p_no_result=p_no_result(n, total, failures),
            )
        )
    return points


# -- from records --------------------------------------------------------------------------


def parse_metric(spec: str) -> tuple[str, str | None]:
    """``mse`` -> (mse, any split); ``validation/mse``, ``val/mse``, ``results/val/mse`` ->
    (mse, validation): the spellings of a search objective and of repro's MLflow metrics."""
    parts = spec.strip().removeprefix("results/").split("/")
    if len(parts) == 1:
        return parts[0], None
    split = "/".join(parts[:-1])
    return parts[-1], SPLIT_ALIASES.get(split, split)


def find_metric(results: Sequence[Metric], name: str, split: str | None) -> Metric | None:
    """The result ``name`` on ``split`` (a validation split when split is None and there are
    several of that name, else the only one)."""
    found = [m for m in results if m.name == name]
    if split is not None:
        found = [m for m in found if SPLIT_ALIASES.get(m.split or "", m.split) == split]
    elif len(found) > 1:
        found = [m for m in found if SPLIT_ALIASES.get(m.split or "", m.split) == "validation"]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class _Seen:
    """What a search keeps of one trial's record while records stream past."""

    run: str
    experiment: str | None
    status: str | None
    search: dict[str, Any]
    results: tuple[Metric, ...]
    row: dict[str, Any]


def _search_of(record: RunRecord, source: str) -> dict[str, Any]:
    search = record.training.hyperparameter_search if record.training else None
    if search is None:
        raise InvalidInputError(
            f"{source}: training.hyperparameter_search is not recorded; the expected-maximum "
            "analysis needs every trial of a random search, each recording how it was chosen"
        )
    key = STUDY_KEY if search.study else SEARCH_KEY
    return search.model_dump(mode="json", include=set(key), exclude_none=True)


def _refuse_non_random(searches: dict[str, dict[str, Any]]) -> None:
    other = {run: s["method"] for run, s in searches.items() if s["method"] != "random"}
    if other:
        shown = ", ".join(f"{run} ({method})" for run, method in list(other.items())[:5])
        more = f" and {len(other) - 5} more" if len(other) > 5 else ""
        raise InvalidInputError(
            "expected maximum over trials (Dodge et al. 2019) assumes trials drawn at random "
            "from the search space, but these runs record training.hyperparameter_search.method "
            f"other than 'random': {shown}{more}. A grid or a guided search (bayesian, manual) "
            "does not draw its trials independently, so the estimate would not mean anything."
        )


def _objective(trials: list[_Seen], metric: str | None) -> str:
    if metric:
        return metric
    objectives = {t.search.get("objective") for t in trials} - {None}
    if len(objectives) == 1:
        return str(objectives.pop())
    found = (
        "different objectives: " + ", ".join(sorted(map(str, objectives)))
        if objectives
        else "no objective"
    )
    raise InvalidInputError(
        f"the trials record {found} (training.hyperparameter_search.objective); name the metric "
        "to analyse (--metric, e.g. validation/accuracy)"
    )


def budget_curves(
    records: Iterable[RunRecord],
    metric: str | None = None,
    group_by: list[str] | None = None,
    higher_is_better: bool | None = None,
) -> list[BudgetCurve]:
    """One expected-maximum curve per search: trials sharing ``hyperparameter_search`` (method,
    space, objective, trials; or method, study, objective for a named study) and experiment, or
    per ``group_by`` value. Every record must be a
    trial of a random search (else InvalidInputError). ``metric`` defaults to the search
    objective; a trial that did not record it (failed, pruned before any evaluation) or whose
    score is not finite (diverged) is a trial without a score. Records are read once; only
    each trial's results are kept."""
    paths = [check_path(p) for p in group_by or []]
    trials: list[_Seen] = []
    for record in records:
        search = _search_of(record, f"run {record.run.name}")
        if paths:
            row = group_values(record, paths)
        else:
            row = {f"training.hyperparameter_search.{k}": v for k, v in search.items()}
            row["run.experiment"] = record.run.experiment
        status = str(record.run.status) if record.run.status else None
        trials.append(
            _Seen(
                record.run.name, record.run.experiment, status, search, tuple(record.results), row
            )
        )
    if not trials:
        raise InvalidInputError("expected maximum: no runs given")
    _refuse_non_random({t.run: t.search for t in trials})
    name, split = parse_metric(_objective(trials, metric))
    if not any(find_metric(t.results, name, split) for t in trials):
        wanted = f"{split}/{name}" if split else name
        raise InvalidInputError(
            f"expected maximum: no trial records the metric {wanted!r} among its results; "
            "name another with --metric"
        )
    buckets: dict[str, list[_Seen]] = {}
    for trial in trials:
        buckets.setdefault(group_key(trial.row), []).append(trial)
    fields = {key: members[0].row for key, members in buckets.items()}
    require_recorded(fields.values(), paths, len(trials))
    if paths:
        labels = path_labels(fields, paths)
    elif len(fields) == 1:
        labels = {key: members[0].experiment or "random search" for key, members in buckets.items()}
    else:
        labels = distinct_labels(fields)
    curves = [
        _curve(labels[key], members, name, split, higher_is_better)
        for key, members in buckets.items()
    ]
    return curves


def _curve(
    label: str,
    members: list[_Seen],
    name: str,
    split: str | None,
    higher_is_better: bool | None,
) -> BudgetCurve:
    trials = []
    direction = higher_is_better
    found_split = split
    for member in members:
        found = find_metric(member.results, name, split)
        if found is not None:
            found_split = found_split or found.split
            if direction is None:
                direction = found.higher_is_better
        value = found.value if found is not None and math.isfinite(found.value) else None
        trials.append(Trial(run=member.run, status=member.status, value=value))
    if direction is None:
        raise InvalidInputError(
            f"expected maximum for {label}: no trial records whether higher {name} is better "
            "(results[].higher_is_better), so the best trial cannot be told"
        )
    curve = BudgetCurve(
        label=label, metric=name, split=found_split, higher_is_better=direction, trials=trials
    )
    values = [t.value for t in trials if t.value is not None]
    failures = len(trials) - len(values)
    curve.points = curve_points(values, failures, direction) if values else []
    if found_split is not None and SPLIT_ALIASES.get(found_split, found_split) == "test":
        curve.notes.append(
            "scores are test-set scores; Dodge et al. (2019) compute the curve on validation "
            "scores, which is what a search may select on"
        )
    return curve
