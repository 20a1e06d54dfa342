"""track(config=...): a configuration as the record's config, resolved, secrets masked."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from repro.capture.config import capture_config, config_yaml, sweep_tags
from repro.errors import InvalidInputError
from repro.record import RunRecord
from repro.tracking.flatten import params_of, tags_of


def test_an_omegaconf_config_is_resolved_and_its_secrets_masked() -> None:
    cfg = OmegaConf.create(
        {
            "model": {"hidden": 32, "name": "lstm-${model.hidden}"},
            "api_token": "abc123",
            "store": "https://user:pw@example.org/x",
            "flags": [True, False],
        }
    )
    config = capture_config(cfg)
    assert config.source == "omegaconf" and config.overrides == [] and config.sweep is None
    assert config.values["model"] == {"hidden": 32, "name": "lstm-32"}
    assert config.values["api_token"] == "***" and "pw" not in config.values["store"]
    assert OmegaConf.create(config_yaml(config)) == OmegaConf.create(config.values)
    assert sweep_tags(config) == {}


def test_config_params_are_written_as_log_params_writes_them() -> None:
    record = RunRecord(run={"name": "c"}, config=capture_config({"opt": {"nesterov": False}}))
    params, _ = params_of(record)
    assert params["config.opt.nesterov"] == "False"
    assert "repro.config.overrides" not in tags_of(record)[0]


def test_a_config_that_is_no_mapping_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="config must be"):
        capture_config(["not", "a", "mapping"])
