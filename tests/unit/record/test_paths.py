"""Field paths: one walk over a record's data, written as paths or as MLflow keys."""

from __future__ import annotations

from support.paths import EXAMPLE

import repro
from repro.record.paths import flatten, leaves, path_of, resolve
from repro.tracking.flatten import params_of, tags_of


def test_leaves_walk_every_value_once_in_data_order() -> None:
    data = {"a": {"b": [1, {"c": None}], "d": []}, "e": {}}
    assert list(leaves(data)) == [
        (("a", "b", 0), 1),
        (("a", "b", 1, "c"), None),
        (("a", "d"), []),
        (("e",), {}),
    ]
    assert list(leaves({"betas": [0.9, 0.99]}, scalar_lists=True)) == [(("betas",), [0.9, 0.99])]
    assert path_of(("data", 0, "splits")) == "data[0].splits"
    assert flatten(data) == {"a.b[0]": 1, "a.b[1].c": None, "a.d": [], "e": {}}


def test_flattened_paths_resolve_back_to_their_values() -> None:
    data = repro.load_record(EXAMPLE).to_dict()
    for path, value in flatten(data).items():
        assert resolve(data, path) == [value], path


def test_mlflow_params_are_the_same_walk_with_numbered_keys() -> None:
    """MLflow keys allow no brackets: list entries are numbered a.0, the rest is the walk."""
    record = repro.load_record(EXAMPLE)
    params, omitted = params_of(record)
    assert omitted == []
    walk = {
        path: value
        for path, value in flatten(record.to_dict()).items()
        if path.split(".")[0].split("[")[0] in ("architecture", "training", "data")
        and value not in (None, [], {})
    }
    as_keys = {path.replace("[", ".").replace("]", ""): value for path, value in walk.items()}
    scalar_lists = {k for k in params if params[k].startswith("[")}
    assert set(params) - scalar_lists == {
        k for k in as_keys if not any(k.startswith(s + ".") for s in scalar_lists)
    }
    assert params["architecture.recurrent_layers.0.cell"] == "lstm"
    assert params["training.optimizer.settings.betas"] == "[0.9, 0.999]"  # as log_params writes
    assert tags_of(record)[0]["repro.env.determinism.cudnn_benchmark"] == "false"
