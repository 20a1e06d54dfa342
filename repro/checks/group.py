"""A group of runs judged as the paper reports it: runs behind each result, their spread, the
search budget (computed from the runs, not stated), and the paper's attestations."""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from collections.abc import Callable
from typing import Any

from repro.checks.models import GroupFacts, Requirement
from repro.checks.rules import Data, Problem, answer_problem, has_value


def result_values(runs: list[Data]) -> dict[tuple[str, str | None], list[float]]:
    """(metric, split) -> the values behind it across the runs: a run's per-seed values when
    it gives them, else its value."""
    values: dict[tuple[str, str | None], list[float]] = {}
    for data in runs:
        for metric in data.get("results", []):
            per_seed = metric.get("per_seed") or {}
            found = [float(v) for v in per_seed.values()] if per_seed else [metric["value"]]
            values.setdefault((metric["name"], metric.get("split")), []).extend(found)
    return values


def configurations(runs: list[Data]) -> dict[str, list[Data]]:
    """The runs by configuration (runs differing only in seed together), each labelled by what
    tells it apart (its cells and sizes; ``""`` when the group is one configuration)."""
    by_key: dict[str, list[Data]] = {}
    for data in runs:
        by_key.setdefault(_configuration(data), []).append(data)
    if len(by_key) == 1:
        return {"": runs}
    out: dict[str, list[Data]] = {}
    for number, members in enumerate(by_key.values(), start=1):
        layers = (members[0].get("architecture") or {}).get("recurrent_layers", [])
        label = "+".join(f"{x.get('cell')} {x.get('hidden_size')}" for x in layers)
        out[label if label and label not in out else f"configuration {number}"] = members
    return out


def _configuration(data: Data) -> str:
    """A seed-free fingerprint of what was tried: cells and sizes, optimizer settings, the
    search's chosen values (SHA-256 of sorted JSON, as TensorBoard's hparams groups do)."""
    training = data.get("training") or {}
    layers = (data.get("architecture") or {}).get("recurrent_layers", [])
    config = {
        "layers": [(x.get("cell"), x.get("hidden_size"), x.get("num_layers")) for x in layers],
        "optimizer": training.get("optimizer"),
        "selected": (training.get("hyperparameter_search") or {}).get("selected"),
    }
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def search_budget(runs: list[Data]) -> tuple[int | None, str | None]:
    """How many configurations the search tried: the trials a run states, else the size of a
    grid, else the distinct configurations among the runs themselves."""
    searches = [(d.get("training") or {}).get("hyperparameter_search") for d in runs]
    searches = [s for s in searches if s]
    trials = [s["trials"] for s in searches if s.get("trials")]
    if trials:
        return max(trials), "trials stated by the search"
    grids = [s for s in searches if s.get("method") == "grid" and s.get("space")]
    if grids and all(isinstance(v, list) for v in grids[0]["space"].values()):
        return math.prod(len(v) for v in grids[0]["space"].values()), "size of the grid"
    if not runs:
        return None, None
    distinct = len({_configuration(d) for d in runs})
    return distinct, f"distinct configurations among the {len(runs)} runs"


def group_facts(runs: list[Data], label: str) -> GroupFacts:
    """Per configuration and result: the number of runs (seeds) behind it, mean and std."""
    results = []
    for config, members in configurations(runs).items():
        for (name, split), values in result_values(members).items():
            results.append(
                {
                    "configuration": config,
                    "name": name,
                    "split": split,
                    "n": len(values),
                    "mean": statistics.fmean(values),
                    "std": statistics.stdev(values) if len(values) > 1 else None,
                    "values": values,
                }
            )
    budget, source = search_budget(runs)
    return GroupFacts(label, len(runs), results, budget, source)


def result_label(entry: dict[str, Any]) -> str:
    """``mse (test)``; in a group of several configurations ``mse (test), lstm 64``."""
    label = f"{entry['name']} ({entry['split']})" if entry["split"] else entry["name"]
    return f"{label}, {entry['configuration']}" if entry.get("configuration") else label


def runs_per_result(runs: list[Data], facts: GroupFacts, req: Requirement) -> list[Problem]:
    if not facts.results:
        return [(("results",), "no run reports a result")]
    thin = [e for e in facts.results if e["n"] < 2]
    return [(("results",), f"{result_label(e)}: {e['n']} run behind it") for e in thin]


def spread_per_result(runs: list[Data], facts: GroupFacts, req: Requirement) -> list[Problem]:
    stated = {
        (m["name"], m.get("split"))
        for d in runs
        for m in d.get("results", [])
        if m.get("std") is not None or m.get("ci")
    }
    return [
        (("results",), f"{result_label(e)}: one value, no spread can be computed")
        for e in facts.results
        if e["std"] is None and (e["name"], e["split"]) not in stated
    ]


def search_budget_rule(runs: list[Data], facts: GroupFacts, req: Requirement) -> list[Problem]:
    methods = [
        ((d.get("training") or {}).get("hyperparameter_search") or {}).get("method") for d in runs
    ]
    if not any(has_value(m) for m in methods):
        return [(("training", "hyperparameter_search"), "no run says how hyperparameters were "
                 "chosen, so the search budget cannot be told")]  # fmt: skip
    return []


def group_attested(runs: list[Data], facts: GroupFacts, req: Requirement) -> list[Problem]:
    """The paper's answer: the runs that answer the item must agree, one answer must count."""
    key = req.attestation_key
    answers = [d["attestations"][key] for d in runs if key in d.get("attestations", {})]
    distinct = {json.dumps(a, sort_keys=True) for a in answers}
    if len(distinct) > 1:
        said = sorted({a.get("answer", "?") for a in answers})
        return [
            (("attestations", key), f"attestations.{key}: the runs disagree ({', '.join(said)})")
        ]
    problem = answer_problem(key, answers[0] if answers else None)
    return [(("attestations", key), problem)] if problem else []


GROUP_RULES: dict[str, Callable[[list[Data], GroupFacts, Requirement], list[Problem]]] = {
    "runs-per-result": runs_per_result,
    "spread-per-result": spread_per_result,
    "search-budget": search_budget_rule,
    "attested": group_attested,
}
