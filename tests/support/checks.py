"""Complete example records and groups for the check profiles, and field removal by path."""

from __future__ import annotations

import copy
from typing import Any

import repro
from repro.checks.rules import located
from support.paths import EXAMPLE

CARD_PROSE = {
    "factors": "Accuracy depends on the sequence length and on how far apart the marked "
    "positions are.",
    "ethical_considerations": "Trained and evaluated on synthetic data only; no personal data "
    "was used and the model makes no decisions about people.",
}


def complete_data() -> dict[str, Any]:
    """The example record with the card prose it leaves out: complete for every profile."""
    data = repro.load_record(EXAMPLE).to_dict()
    data["card"].update(CARD_PROSE)
    return data


def group_data(seeds: int = 3) -> list[dict[str, Any]]:
    """The complete record as a group of seeds, each with its own (slightly different) results."""
    runs = []
    for seed in range(seeds):
        data = complete_data()
        data["run"]["name"] = f"lstm-adding-seed{seed}"
        data["training"]["seeds"] = {"python": seed, "numpy": seed, "torch": seed}
        for metric in data["results"]:
            metric["value"] = round(metric["value"] * (1 + 0.01 * (seed - 1)), 6)
        runs.append(data)
    return runs


def records(datas: list[dict[str, Any]]) -> list[repro.RunRecord]:
    return [repro.RunRecord.model_validate(d) for d in datas]


def without(data: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``data`` with the field at ``path`` removed everywhere it fans out to."""
    data = copy.deepcopy(data)
    parent, _, last = path.rpartition(".")
    key = last.split("[")[0]
    holders = [v for _, v in located(data, parent)] if parent else [data]
    for holder in holders:
        if isinstance(holder, dict):
            holder.pop(key, None)
    return data
