"""Optuna: each trial one repro run, and every trial's record describes the search.

    from repro.integrations.optuna import StudyCallback, track_trial

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        model, optimizer = build(lr)
        with track_trial(trial, model, optimizer, objective="validation/loss") as run:
            ...  # train; trial.report(value, step) and optuna.TrialPruned as usual
            return value

    study.optimize(objective, n_trials=50, callbacks=[StudyCallback()])

``track_trial`` is :func:`repro.track` for one trial: its record's
``training.hyperparameter_search`` holds the method (from the sampler: random, grid, TPE and
Gaussian-process samplers as bayesian, others as other), the space (from the distributions of
the study's trials), the trials so far, the objective, the trial's parameters as ``selected``,
the study name, trial number and state; the run is named ``<study>-<number>`` and tagged
``optuna.study``/``optuna.trial``/``optuna.state``. A pruned trial (``optuna.TrialPruned``) ends
KILLED with state pruned, one that raises ends FAILED with state failed; both are kept, since
budget analyses count them. ``StudyCallback`` runs after Optuna has judged the trial: it stores
Optuna's final state and the objective value as the record's result (split and name from
``objective=``, direction from the study).
"""

from __future__ import annotations

import logging
import math
import types
from typing import Any

import optuna

from repro.record import HyperparameterSearch, Metric, RunStatus, Training

log = logging.getLogger("repro.integrations.optuna")

SAMPLER_METHOD = {
    "RandomSampler": "random",
    "GridSampler": "grid",
    "BruteForceSampler": "grid",
    "TPESampler": "bayesian",
    "GPSampler": "bayesian",
    "BoTorchSampler": "bayesian",
}
STATE = {
    optuna.trial.TrialState.COMPLETE: "complete",
    optuna.trial.TrialState.PRUNED: "pruned",
    optuna.trial.TrialState.FAIL: "failed",
    optuna.trial.TrialState.RUNNING: "running",
}
_RUNS: dict[tuple[str, int], Any] = {}  # (study, trial number) -> its run, until StudyCallback


def search_method(sampler: Any) -> str:
    """The record's search method for an Optuna sampler (a PartialFixedSampler: its base)."""
    base = getattr(sampler, "_base_sampler", None)
    if base is not None:
        return search_method(base)
    return SAMPLER_METHOD.get(type(sampler).__name__, "other")


def describe_distribution(distribution: Any) -> Any:
    """An Optuna distribution as the record's space entry: the choices of a categorical, else
    its range (``low``, ``high``, and ``log``/``step`` when set)."""
    if isinstance(distribution, optuna.distributions.CategoricalDistribution):
        return list(distribution.choices)
    entry: dict[str, Any] = {"low": distribution.low, "high": distribution.high}
    if getattr(distribution, "log", False):
        entry["log"] = True
    step = getattr(distribution, "step", None)
    if step is not None and not (isinstance(distribution.low, int) and step == 1):
        entry["step"] = step
    return entry


def search_space(study: optuna.Study, trial: Any) -> dict[str, Any]:
    """The space searched: a grid sampler's grid, else every distribution the study's trials
    have drawn from so far (this one's included)."""
    sampler = study.sampler
    grid = getattr(sampler, "_search_space", None)
    if isinstance(sampler, optuna.samplers.GridSampler) and isinstance(grid, dict):
        return {name: list(values) for name, values in grid.items()}
    space: dict[str, Any] = {}
    for past in study.get_trials(deepcopy=False):
        for name, distribution in past.distributions.items():
            space.setdefault(name, describe_distribution(distribution))
    for name, distribution in trial.distributions.items():
        space.setdefault(name, describe_distribution(distribution))
    return dict(sorted(space.items()))


def split_objective(objective: str | None, study: optuna.Study) -> tuple[str, str | None]:
    """``validation/loss`` -> (loss, validation); without one, the study's metric name (or
    ``objective``) and no split."""
    if objective:
        split, _, name = objective.rpartition("/")
        return name, split or None
    names = getattr(study, "metric_names", None)
    return (names[0] if names else "objective"), None


class TrialRun:
    """The ``with`` block of :func:`track_trial`: a tracked run that knows its trial."""

    def __init__(self, trial: optuna.Trial, objective: str | None, run: Any) -> None:
        self.trial = trial
        self.study = trial.study
        self.objective = objective
        self.run = run

    def __enter__(self) -> Any:
        run = self.run
        self._describe("running")  # before the run starts: its params and tags are logged then
        run.__enter__()
        _RUNS[(self.study.study_name, self.trial.number)] = run
        return run

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> bool:
        if isinstance(exc, optuna.TrialPruned):
            self._describe("pruned")
            self.run.close(RunStatus.KILLED)
            return False
        self._describe("complete" if exc is None else "failed")
        self.run.__exit__(exc_type, exc, tb)
        return False

    def _describe(self, state: str) -> None:
        """The search as seen from this trial, and its state, in the record and its tags."""
        record = self.run.record
        trial, study = self.trial, self.study
        name, split = split_objective(self.objective, study)
        record.training = record.training or Training()
        record.training.hyperparameter_search = HyperparameterSearch(
            method=search_method(study.sampler),
            space=search_space(study, trial),
            trials=len(study.get_trials(deepcopy=False)),
            objective=f"{split}/{name}" if split else name,
            selected=dict(trial.params),
            study=study.study_name,
            sampler=type(study.sampler).__name__,
            trial=trial.number,
            trial_state=state,  # type: ignore[arg-type]
        )
        record.run.tags.update(
            {
                "optuna.study": study.study_name,
                "optuna.trial": str(trial.number),
                "optuna.state": state,
            }
        )


def track_trial(
    trial: optuna.Trial,
    model: Any = None,
    optimizer: Any = None,
    *,
    objective: str | None = None,
    **track_kwargs: Any,
) -> TrialRun:
    """``repro.track(model, optimizer, **track_kwargs)`` for one Optuna trial (see the module
    docstring); ``objective`` names the value the objective returns as ``[split/]name``, e.g.
    ``validation/loss``. The run is named ``<study>-<trial number>`` unless ``name=`` is given
    and goes to the experiment named like the study unless ``experiment=`` is."""
    import repro

    study = trial.study
    track_kwargs.setdefault("name", f"{study.study_name}-{trial.number}")
    track_kwargs.setdefault("experiment", study.study_name)
    run = repro.track(model, optimizer, **track_kwargs)
    return TrialRun(trial, objective, run)


class StudyCallback:
    """``study.optimize(..., callbacks=[StudyCallback()])``: after each trial, its run gets
    Optuna's final state and, for a complete trial, the objective value as its result."""

    def __call__(self, study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        run = _RUNS.pop((study.study_name, frozen.number), None)
        if run is None:
            return
        record = run.record
        search = record.training.hyperparameter_search if record.training else None
        state = STATE.get(frozen.state, "failed")
        if search is not None:
            search.trial_state = state  # type: ignore[assignment]
        record.run.tags["optuna.state"] = state
        results = []
        value = frozen.value if frozen.state == optuna.trial.TrialState.COMPLETE else None
        if value is not None and math.isfinite(value):
            objective = search.objective if search is not None else None
            name, split = split_objective(objective, study)
            higher = study.direction == optuna.study.StudyDirection.MAXIMIZE
            results.append(Metric(name=name, value=value, split=split, higher_is_better=higher))
        try:
            run.add_results(results)
        except Exception as exc:  # never stop a study for tracking
            log.warning("repro: trial %d: final state not stored: %s", frozen.number, exc)
