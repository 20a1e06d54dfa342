"""Capture the software, hardware and determinism settings a run executed with.

Each fact has its own gatherer; a gatherer that fails (no torch, no /proc, an odd platform) is
logged at debug level and its fact left absent, never failing the run (Sacred's host_info
approach). Environment variables are recorded only from an allow-list, and their values pass
through :func:`repro.capture.redact.redact_value` even then.
"""

from __future__ import annotations

import functools
import logging
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from repro.capture.redact import redact_value
from repro.record import Determinism, Device, Environment

log = logging.getLogger(__name__)

# Distributions whose versions matter for an RNN run; only installed ones are recorded.
PACKAGES: tuple[str, ...] = (
    "repro",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "pydantic",
    "mlflow",
    "torchvision",
    "torchaudio",
    "torchtext",
    "torchdata",
    "triton",
    "lightning",
    "pytorch-lightning",
    "transformers",
    "datasets",
    "accelerate",
    "tokenizers",
)

# Environment variables recorded by exact name ...
ALLOWED_VARIABLES: frozenset[str] = frozenset(
    {
        "CUDA_VISIBLE_DEVICES",
        "CUDA_DEVICE_ORDER",
        "CUDA_LAUNCH_BLOCKING",
        "CUDA_MODULE_LOADING",
        "CUBLAS_WORKSPACE_CONFIG",
        "NVIDIA_TF32_OVERRIDE",
        "PYTHONHASHSEED",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "KMP_AFFINITY",
        "KMP_BLOCKTIME",
        "MKL_CBWR",
        "WORLD_SIZE",
        "RANK",
        "LOCAL_RANK",
        "LOCAL_WORLD_SIZE",
        "MASTER_PORT",
        "SLURM_JOB_ID",
        "SLURM_ARRAY_JOB_ID",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_JOB_NAME",
        "SLURM_JOB_PARTITION",
        "SLURM_CLUSTER_NAME",
        "SLURM_NTASKS",
        "SLURM_PROCID",
        "SLURM_GPUS",
        "SLURM_GPUS_ON_NODE",
        "PBS_JOBID",
        "LSB_JOBID",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_EXPERIMENT_NAME",
        "HF_HUB_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "TRANSFORMERS_OFFLINE",
    }
)
# ... and by prefix (torch's own switches: TORCH_*, PYTORCH_*, NCCL_*).
ALLOWED_PREFIXES: tuple[str, ...] = ("TORCH_", "PYTORCH_", "NCCL_")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _torch() -> Any:
    """torch when it is installed (imported here, on first need), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "cpu model") and value.strip():
                return value.strip()
    if sys.platform == "darwin":
        out = subprocess.run(
            ["sysctl", "-n", "machdep.cpu.brand_string"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        if out.stdout.strip():
            return out.stdout.strip()
    return platform.processor() or None


def _cpu_count() -> int | None:
    """CPUs this process may run on (its affinity mask), else the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def _torch_version() -> str | None:
    torch = _torch()
    return _version("torch") if torch is None else str(torch.__version__)


def _cuda_version() -> str | None:
    torch = _torch()
    return None if torch is None else torch.version.cuda


def _cudnn_version() -> str | None:
    torch = _torch()
    if torch is None or not torch.backends.cudnn.is_available():
        return None
    version = torch.backends.cudnn.version()
    return None if version is None else str(version)


_NVIDIA_VERSION_FILE = Path("/proc/driver/nvidia/version")
_NVIDIA_DRIVER = re.compile(r"Kernel Module\s+(?:for\s+\S+\s+)?([0-9][0-9.]*)")


def nvidia_driver(version_file: Path = _NVIDIA_VERSION_FILE) -> str | None:
    """The NVIDIA driver version: from the kernel module's version file, else NVML (the
    ``nvidia-ml-py`` package, when installed); None when neither can tell."""
    try:
        found = _NVIDIA_DRIVER.search(version_file.read_text(errors="replace"))
    except OSError:
        found = None
    if found:
        return found.group(1).rstrip(".")
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
        try:
            version = pynvml.nvmlSystemGetDriverVersion()
        finally:
            pynvml.nvmlShutdown()
    except Exception as exc:  # no driver loaded, no GPU: not a failure of the run
        log.debug("environment: NVML gave no driver version: %s", exc)
        return None
    return version.decode() if isinstance(version, bytes) else str(version)


def _device(where: Any = None) -> Device:
    """The device ``where`` (a ``torch.device`` or its name) names, else the best one present:
    CUDA (model of the device used, how many, memory, capability, driver), MPS, or the CPU."""
    torch = _torch()
    kind = None if where is None else str(getattr(where, "type", where)).split(":")[0]
    if torch is not None and kind in (None, "cuda") and torch.cuda.is_available():
        index = getattr(where, "index", None) if kind == "cuda" else None
        props = torch.cuda.get_device_properties(index or 0)
        return Device(
            type="cuda",
            name=props.name,
            count=torch.cuda.device_count(),
            memory_bytes=props.total_memory,
            capability=f"{props.major}.{props.minor}",
            driver=nvidia_driver(),
        )
    mps = getattr(getattr(torch, "backends", None), "mps", None)
    if kind in (None, "mps") and mps is not None and mps.is_available():
        return Device(type="mps", name="Apple MPS", count=1)
    if kind not in (None, "cpu", "cuda", "mps"):
        return Device(type=kind, count=1)
    return Device(type="cpu", name=_cpu_model(), count=1)


def _determinism() -> Determinism:
    torch = _torch()
    workspace = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    if torch is None:
        return Determinism(cublas_workspace_config=workspace)
    cudnn = torch.backends.cudnn
    return Determinism(
        use_deterministic_algorithms=torch.are_deterministic_algorithms_enabled(),
        cudnn_deterministic=bool(cudnn.deterministic),
        cudnn_benchmark=bool(cudnn.benchmark),
        cudnn_enabled=bool(cudnn.enabled),
        cublas_workspace_config=workspace,
    )


def _packages(extra: Iterable[str]) -> dict[str, str]:
    found = {}
    for dist in dict.fromkeys([*PACKAGES, *extra]):
        version = _version(dist)
        if version is not None:
            found[dist] = version
    return found


@functools.cache
def _module_distributions() -> dict[str, tuple[str, ...]]:
    """Top-level import name -> distributions providing it (read once: it scans every
    installed distribution, about 0.2 s)."""
    return {name: tuple(dists) for name, dists in metadata.packages_distributions().items()}


def imported_packages(modules: Iterable[str] | None = None) -> dict[str, str]:
    """Distribution -> version of every installed distribution that provides a module this
    process has imported (``modules``: dotted module names, default ``sys.modules``)."""
    providers = _module_distributions()
    names = sys.modules if modules is None else modules
    dists: dict[str, None] = {}
    for top in sorted({name.partition(".")[0] for name in list(names)}):
        for dist in providers.get(top, ()):
            dists[dist] = None
    found = {}
    for dist in dists:
        version = _version(dist)
        if version is not None:
            found[dist] = version
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))


def allowed_variable(name: str, extra: Iterable[str] = ()) -> bool:
    """Whether an environment variable may be recorded (its value is redacted regardless)."""
    return name in ALLOWED_VARIABLES or name.startswith(ALLOWED_PREFIXES) or name in set(extra)


def capture_variables(
    environ: Mapping[str, str] | None = None, extra: Iterable[str] = ()
) -> dict[str, str]:
    """Allow-listed environment variables, values redacted, sorted by name."""
    environ = os.environ if environ is None else environ
    extra = list(extra)
    return {
        name: redact_value(name, environ[name])
        for name in sorted(environ)
        if allowed_variable(name, extra)
    }


def capture_environment(
    *,
    packages: Iterable[str] = (),
    variables: Iterable[str] = (),
    imported: bool = True,
    device: Any = None,
) -> Environment:
    """Versions (Python, OS, torch, CUDA, cuDNN, key packages), CPU and device, determinism
    settings and allow-listed environment variables of this process.

    ``packages`` adds distributions to :data:`PACKAGES`; with ``imported`` the versions of
    every distribution imported so far are added too (:func:`imported_packages`; ``track``
    adds them at the end of the run, when the list is complete). ``device`` (a
    ``torch.device``) says where the model lives; by default the best device present is
    described. ``variables`` adds variable names to :data:`ALLOWED_VARIABLES`. Facts that
    cannot be gathered are left absent.
    """
    gatherers: dict[str, Callable[[], Any]] = {
        "python": platform.python_version,
        "os": platform.platform,
        "torch": _torch_version,
        "cuda": _cuda_version,
        "cudnn": _cudnn_version,
        "cpu": _cpu_model,
        "cpu_count": _cpu_count,
        "device": lambda: _device(device),
        "packages": lambda: {
            **_packages(packages),
            **(imported_packages() if imported else {}),
        },
        "determinism": _determinism,
        "variables": lambda: capture_variables(extra=variables),
    }
    facts: dict[str, Any] = {}
    for name, gather in gatherers.items():
        try:
            value = gather()
        except Exception as exc:  # a fact we cannot get is skipped, never fatal
            log.debug("environment: could not gather %s: %s", name, exc)
            continue
        if value is not None:
            facts[name] = value
    return Environment(**facts)
