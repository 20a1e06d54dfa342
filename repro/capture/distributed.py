"""torch.distributed: the process group a run trains in (world size, backend, each rank's
device), read when ``track`` starts under an initialised group.

Reading every rank's device is one ``all_gather_object`` on the group, so under a process group
every rank calls ``track`` at the same point (as a DDP script does: the same code on each rank);
rank 0 writes the run and the other ranks get a quiet run (:class:`repro.tracking.run.QuietRun`)
unless ``every_rank=True``.
"""

from __future__ import annotations

import sys
from typing import Any

from repro.record import Distributed


def _device_of(model: Any) -> str:
    """Where this rank computes: the model's parameters, else the current CUDA device, else
    the CPU."""
    import torch

    if model is not None:
        for param in model.parameters():
            return str(param.device)
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return f"cuda:{torch.cuda.current_device()}"
    return "cpu"


def capture_distributed(model: Any = None) -> Distributed | None:
    """The group's facts when torch.distributed is initialised, else None; never imports torch
    for a process that has not (a record-only run is no distributed job)."""
    if "torch" not in sys.modules:
        return None
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return None
    world = dist.get_world_size()
    devices: list[Any] = [None] * world
    dist.all_gather_object(devices, _device_of(model))
    return Distributed(
        world_size=world,
        backend=str(dist.get_backend()),
        rank=dist.get_rank(),
        devices=[str(d) for d in devices],
    )
