"""Software and hardware the run executed on, and its determinism settings."""

from __future__ import annotations

from pydantic import Field

from .base import NonNegInt, Section


class Device(Section):
    """The accelerator (or CPU) training ran on."""

    type: str = Field(description="'cpu', 'cuda', 'mps', ...")
    name: str | None = Field(None, description="e.g. 'NVIDIA H100 80GB HBM3'.")
    count: NonNegInt = 1
    memory_bytes: NonNegInt | None = None
    capability: str | None = Field(None, description="CUDA compute capability, e.g. '9.0'.")
    driver: str | None = Field(None, description="GPU driver version, e.g. '550.54.15'.")


class Determinism(Section):
    """Settings that decide whether a rerun gives bit-identical results."""

    use_deterministic_algorithms: bool | None = None
    cudnn_deterministic: bool | None = None
    cudnn_benchmark: bool | None = None
    cudnn_enabled: bool | None = None
    cublas_workspace_config: str | None = None


class Distributed(Section):
    """The torch.distributed process group the run trained in (DDP and the like)."""

    world_size: NonNegInt = Field(description="Processes in the group.")
    backend: str | None = Field(None, description="e.g. 'nccl', 'gloo'.")
    rank: NonNegInt | None = Field(
        None, description="Rank of the process that wrote this record (0 unless every rank did)."
    )
    devices: list[str] = Field(
        default_factory=list, description="Each rank's device, in rank order, e.g. 'cuda:0'."
    )


class Environment(Section):
    """Versions, hardware and determinism; absent = not captured."""

    python: str | None = None
    os: str | None = Field(None, description="Platform string, e.g. 'Linux-6.1-x86_64'.")
    torch: str | None = None
    cuda: str | None = None
    cudnn: str | None = None
    cpu: str | None = Field(None, description="CPU model name.")
    cpu_count: NonNegInt | None = None
    device: Device | None = Field(None, description="Where the model's parameters lived.")
    packages: dict[str, str] = Field(
        default_factory=dict,
        description="Distribution -> version: the key packages installed, and every "
        "distribution the training process had imported by the end of the run.",
    )
    determinism: Determinism | None = None
    distributed: Distributed | None = Field(None, description="Absent = a single process.")
    variables: dict[str, str] = Field(
        default_factory=dict, description="Allow-listed environment variables (never secrets)."
    )
