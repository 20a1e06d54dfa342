"""The rules a requirement can be met by, on one run's data or on a group of runs.

A run rule takes the record's plain data (``RunRecord.to_dict()``) and the requirement and
returns its problems: ``(location, detail)`` pairs, the location being the place in the data
the problem concerns (so an annotation can point at the field's line). A group rule takes the
data of every run in the group. Nothing here reads a file or imports torch or mlflow.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from typing import Any

from repro.checks.models import Loc, Requirement
from repro.record.orcid import normalize_orcid
from repro.record.paths import MISSING, path_of

Problem = tuple[Loc, str]
Data = dict[str, Any]


def has_value(value: Any) -> bool:
    """Recorded means not absent: 0, 0.0 and False are values; None and empty containers not."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, (list, dict, str)):
        return len(value) > 0
    return True


def located(data: Any, path: str) -> list[tuple[Loc, Any]]:
    """Like :func:`repro.record.paths.resolve`, each value with its concrete location
    (``data[*].splits`` -> ``('data', 0, 'splits')``, ``('data', 1, 'splits')``...)."""
    items: list[tuple[Loc, Any]] = [((), data)]
    for part in path.split("."):
        key, _, index = part.partition("[")
        index = index.rstrip("]")
        nxt: list[tuple[Loc, Any]] = []
        for loc, value in items:
            child = value.get(key, MISSING) if isinstance(value, dict) else MISSING
            here: Loc = (*loc, key)
            if not index:
                nxt.append((here, child))
            elif not isinstance(child, list) or not child:
                nxt.append((here, MISSING))
            elif index == "*":
                nxt.extend(((*here, pos), item) for pos, item in enumerate(child))
            else:
                pos = int(index)
                ok = -len(child) <= pos < len(child)
                nxt.append(((*here, pos), child[pos] if ok else MISSING))
        items = nxt
    return items


def present(data: Data, path: str) -> list[Problem]:
    """Nothing when ``path`` holds a value everywhere; else one problem, at the first gap."""
    values = located(data, path)
    gaps = [loc for loc, value in values if not has_value(value)]
    if not gaps:
        return []
    if len(values) > 1:
        return [(gaps[0], f"{path}: missing in {len(gaps)} of {len(values)} entries")]
    return [(gaps[0], f"{path}: not recorded")]


def answer_problem(key: str, answer: Any) -> str | None:
    """Why an attestation does not count (no answer, no justification), or None when it does."""
    if not isinstance(answer, dict) or not has_value(answer.get("answer")):
        return f"attestations.{key}: not answered (yes, no or n/a, with a justification)"
    if not has_value((answer.get("justification") or "").strip()):
        return f"attestations.{key}: answered {answer['answer']!r} without a justification"
    return None


def attested(data: Data, req: Requirement) -> list[Problem]:
    key = req.attestation_key
    problem = answer_problem(key, data.get("attestations", {}).get(key))
    return [(("attestations", key), problem)] if problem else []


def _people(data: Data) -> Iterable[tuple[int, Data]]:
    return ((i, c) for i, c in enumerate(data.get("contributors", [])) if "group" not in c)


def one_corresponding(data: Data, req: Requirement) -> list[Problem]:
    marked = [i for i, c in enumerate(data.get("contributors", [])) if c.get("corresponding")]
    if len(marked) == 1:
        return []
    if not marked:
        return [(("contributors",), "contributors: no corresponding author marked")]
    names = ", ".join(f"contributors[{i}]" for i in marked)
    return [((("contributors", marked[1], "corresponding")), f"{len(marked)} marked: {names}")]


def degree_where_shared(data: Data, req: Requirement) -> list[Problem]:
    """A degree (lead, equal, supporting) says how a *shared* role was shared: on a role only
    one contributor holds it says nothing, and usually means a role was forgotten."""
    contributors = data.get("contributors", [])
    holders: dict[str, int] = {}
    for person in contributors:
        for role in person.get("roles", []):
            holders[role["role"]] = holders.get(role["role"], 0) + 1
    problems = []
    for i, person in enumerate(contributors):
        for j, role in enumerate(person.get("roles", [])):
            if role.get("degree") and holders[role["role"]] == 1:
                loc: Loc = ("contributors", i, "roles", j, "degree")
                problems.append(
                    (loc, f"{path_of(loc)}: {role['degree']!r} on {role['role']}, which no "
                     "other contributor holds")
                )  # fmt: skip
    return problems


def orcid_valid(data: Data, req: Requirement) -> list[Problem]:
    problems = []
    for i, person in _people(data):
        loc: Loc = ("contributors", i, "orcid")
        if not has_value(person.get("orcid")):
            continue
        try:
            normalize_orcid(person["orcid"])
        except ValueError as exc:
            problems.append((loc, f"{path_of(loc)}: {exc}"))
    return problems


def _results(data: Data) -> Iterable[tuple[int, Data]]:
    return enumerate(data.get("results", []))


def per_seed_count(data: Data, req: Requirement) -> list[Problem]:
    problems = []
    for i, metric in _results(data):
        per_seed, n = metric.get("per_seed") or {}, metric.get("n")
        if per_seed and n is not None and len(per_seed) != n:
            problems.append(
                (("results", i, "n"), f"results[{i}] ({metric['name']}): n is {n} but "
                 f"{len(per_seed)} per-seed values are given")
            )  # fmt: skip
    return problems


def _close(a: float, b: float) -> bool:
    """Equal up to the rounding a record file may apply (4 significant digits)."""
    return math.isclose(a, b, rel_tol=5e-4, abs_tol=1e-12)


def aggregate_recomputable(data: Data, req: Requirement) -> list[Problem]:
    """A mean, std or interval that its own per-seed values do not give is a copying error."""
    problems = []
    for i, metric in _results(data):
        values = [float(v) for v in (metric.get("per_seed") or {}).values()]
        if not values:
            continue
        name = f"results[{i}] ({metric['name']})"
        mean = statistics.fmean(values)
        if not _close(metric["value"], mean):
            problems.append(
                (("results", i, "value"), f"{name}: value {metric['value']:g} is not the mean "
                 f"of its per-seed values ({mean:g})")
            )  # fmt: skip
        std = metric.get("std")
        if std is not None and len(values) > 1 and not _close(std, statistics.stdev(values)):
            problems.append(
                (("results", i, "std"), f"{name}: std {std:g} is not the sample std of its "
                 f"per-seed values ({statistics.stdev(values):g})")
            )  # fmt: skip
        ci = metric.get("ci")
        if ci and not ci["low"] <= mean <= ci["high"]:
            problems.append(
                (("results", i, "ci"), f"{name}: interval [{ci['low']:g}, {ci['high']:g}] "
                 f"does not contain the mean {mean:g}")
            )  # fmt: skip
    return problems


def deterministic_without_benchmark(data: Data, req: Requirement) -> list[Problem]:
    det = (data.get("environment") or {}).get("determinism") or {}
    deterministic = det.get("use_deterministic_algorithms") or det.get("cudnn_deterministic")
    if deterministic and det.get("cudnn_benchmark"):
        return [
            (("environment", "determinism", "cudnn_benchmark"), "deterministic mode is on but "
             "cudnn_benchmark is true: the autotuner picks kernels run to run")
        ]  # fmt: skip
    return []


def dropout_variant_named(data: Data, req: Requirement) -> list[Problem]:
    """Dropout in a recurrent layer with no record of which kind (between layers, variational,
    weight drop...) leaves the reader guessing where the mask goes."""
    named = has_value((data.get("training") or {}).get("dropout"))
    if named:
        return []
    layers = (data.get("architecture") or {}).get("recurrent_layers", [])
    for i, layer in enumerate(layers):
        if layer.get("dropout", 0) > 0:
            loc: Loc = ("architecture", "recurrent_layers", i, "dropout")
            return [(loc, f"{path_of(loc)} is {layer['dropout']:g} but training.dropout names "
                     "no variant")]  # fmt: skip
    return []


def clean_tree(data: Data, req: Requirement) -> list[Problem]:
    git = (data.get("provenance") or {}).get("git") or {}
    if git.get("dirty"):
        saved = " (its diff is saved)" if git.get("diff_artifact") else ""
        return [
            (("provenance", "git", "dirty"), f"the run's code had uncommitted changes{saved}: "
             "the commit alone does not reproduce it")
        ]  # fmt: skip
    return []


def results_in_history(
    data: Data, req: Requirement, history: set[str] | None = None
) -> list[Problem]:
    """Every reported result names a metric the run logged (``name``, or a key ending in
    ``/name`` or ``_name`` such as ``val/mse``); judged only where the run's history is known
    (an MLflow run), and never against repro's own ``results/...`` copies."""
    if history is None:
        return []
    logged = {key for key in history if not key.startswith("results/")}
    if not logged:  # a record logged after the fact (repro log): no history to judge by
        return []
    problems = []
    for i, metric in _results(data):
        name = metric["name"]
        if not any(k == name or k.endswith((f"/{name}", f"_{name}")) for k in logged):
            problems.append(
                (("results", i, "name"), f"results[{i}]: {name!r} is not a metric the run "
                 "logged")
            )  # fmt: skip
    return problems


RULES: dict[str, Callable[..., list[Problem]]] = {
    "attested": attested,
    "one-corresponding": one_corresponding,
    "degree-where-shared": degree_where_shared,
    "orcid-valid": orcid_valid,
    "per-seed-count": per_seed_count,
    "aggregate-recomputable": aggregate_recomputable,
    "deterministic-without-benchmark": deterministic_without_benchmark,
    "dropout-variant-named": dropout_variant_named,
    "clean-tree": clean_tree,
    "results-in-history": results_in_history,
}
