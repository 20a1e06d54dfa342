"""``track(..., config=cfg)``: a Hydra/OmegaConf configuration (or a mapping) as the record's
``config``: resolved values, the command-line overrides it was composed with, and the Hydra job
and multirun sweep it belongs to.

Overrides and job facts come from Hydra's runtime (``HydraConfig``, set inside a
``@hydra.main`` app) or, for a config composed with ``compose(..., return_hydra_config=True)``,
from its ``hydra`` node; that node is Hydra's own and is left out of the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repro.errors import InvalidInputError
from repro.record import Config, Sweep

CONFIG_ARTIFACT = "repro/config.yaml"


def _is_omegaconf(value: Any) -> bool:
    return type(value).__module__.startswith("omegaconf")


def _hydra_runtime() -> Any:
    """Hydra's runtime config inside a Hydra app, else None (Hydra may not be installed)."""
    try:
        from hydra.core.hydra_config import HydraConfig
    except ImportError:
        return None
    return HydraConfig.get() if HydraConfig.initialized() else None


def _plain(value: Any) -> Any:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(value, resolve=True, throw_on_missing=False)


def capture_config(cfg: Any) -> Config:
    """The record's ``config`` for ``cfg``: an OmegaConf ``DictConfig`` (resolved) or a
    mapping of plain values."""
    hydra_node = None
    if _is_omegaconf(cfg):
        from omegaconf import DictConfig

        if not isinstance(cfg, DictConfig):
            raise InvalidInputError(
                f"track: config must be a mapping (a DictConfig), got {type(cfg).__name__}"
            )
        from omegaconf import OmegaConf

        if "hydra" in cfg:  # compose(..., return_hydra_config=True): Hydra's node, not the user's
            hydra_node = cfg.hydra
            cfg = OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])
        values = _plain(cfg)
        source = "omegaconf"
    elif isinstance(cfg, Mapping):
        values = dict(cfg)
        source = "mapping"
    else:
        raise InvalidInputError(
            f"track: config must be a Hydra/OmegaConf config or a mapping, got {type(cfg).__name__}"
        )
    values = _redacted(values)
    config = Config(values=values, source=source, artifact=CONFIG_ARTIFACT)  # type: ignore[arg-type]
    runtime = _hydra_runtime()
    hydra = runtime if runtime is not None else hydra_node
    if hydra is not None:
        _hydra_facts(config, hydra)
    return config


def _redacted(tree: Any, name: str = "") -> Any:
    """The tree with credentials masked: secret-named values, passwords in URLs (as the
    environment and command line are; secrets never enter a record)."""
    from repro.capture.redact import is_secret_name, redact_value

    if isinstance(tree, Mapping):
        return {str(k): _redacted(v, str(k)) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_redacted(v, name) for v in tree]
    if isinstance(tree, str):
        return redact_value(name, tree)
    if tree is not None and name and is_secret_name(name):
        return "***"
    return tree


def _select(node: Any, key: str) -> Any:
    """One value of Hydra's node, resolved; None when missing or not resolvable here."""
    from omegaconf import OmegaConf

    try:
        value = OmegaConf.select(node, key, throw_on_missing=False, default=None)
    except Exception:  # an interpolation that only resolves inside a running Hydra app
        return None
    if OmegaConf.is_config(value):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _hydra_facts(config: Config, hydra: Any) -> None:
    """Overrides, job name and (in a multirun) the sweep from Hydra's own config node."""
    from repro.capture.redact import redact_argv

    config.source = "hydra"
    overrides = _select(hydra, "overrides.task") or []
    config.overrides = redact_argv([str(o) for o in overrides])
    name = _select(hydra, "job.name")
    config.job = str(name) if name is not None else None
    if str(_select(hydra, "mode") or "").endswith("MULTIRUN"):
        number = _select(hydra, "job.num")
        job_id = _select(hydra, "job.id")
        sweep_dir = _select(hydra, "sweep.dir")
        config.sweep = Sweep(
            dir=str(sweep_dir) if sweep_dir else None,
            job=int(number) if isinstance(number, int) else None,
            job_id=str(job_id) if job_id is not None else None,
        )


def config_yaml(config: Config) -> str:
    """The configuration as the YAML the ``repro/config.yaml`` artifact holds."""
    import yaml

    return yaml.safe_dump(config.values, sort_keys=False, allow_unicode=True)


def sweep_tags(config: Config) -> dict[str, str]:
    """Run tags of a multirun job: the sweep (its directory) and the job number."""
    if config.sweep is None:
        return {}
    tags = {"hydra.sweep": config.sweep.dir or "multirun"}
    if config.sweep.job is not None:
        tags["hydra.job.num"] = str(config.sweep.job)
    return tags
