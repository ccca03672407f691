"""What produced a result: versions, git commit, device, container. Written beside every result."""
from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import torch
import torchvision

from .. import __version__
from ..plan import numerics as numerics_mode
from .atomic import write_json

write_json_atomic = write_json  # the name benchmarks/train_throughput.py imports


def versions() -> dict:
    """Software versions, and the CPU instruction set torch dispatches to: CPU kernels differ
    between AVX2 and AVX-512 builds of a sum, so it decides whether two CPUs agree bit for bit."""
    return {"python": platform.python_version(), "torch": torch.__version__,
            "torchvision": torchvision.__version__, "numpy": np.__version__,
            "wrongnumber": __version__, "cuda": torch.version.cuda,
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}


def git_commit() -> str:
    """The commit of the source tree the package was imported from, '+dirty' when that tree has
    uncommitted changes to tracked files; WRONGNUMBER_GIT_COMMIT (set in the container image,
    which has no .git) or 'unknown' outside git."""
    where = Path(__file__).parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head, dirty = "", ""
    if not head:
        return os.environ.get("WRONGNUMBER_GIT_COMMIT", "unknown")
    return head + ("+dirty" if dirty else "")


def in_container() -> bool:
    """True inside Docker/Podman (marker files) or our image (it sets WRONGNUMBER_CONTAINER)."""
    return bool(os.environ.get("WRONGNUMBER_CONTAINER")) or any(
        Path(p).exists() for p in ("/.dockerenv", "/run/.containerenv"))


def container() -> str | None:
    """Which container: our image's WRONGNUMBER_CONTAINER description, 'unknown container' when
    only an engine's marker file says so, None outside containers."""
    if os.environ.get("WRONGNUMBER_CONTAINER"):
        return os.environ["WRONGNUMBER_CONTAINER"]
    return "unknown container" if in_container() else None


def resolve_device(name: str) -> torch.device:
    """'auto' -> cuda when available, else cpu. An explicit 'cuda' without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but torch sees no CUDA device; use --device cpu or auto")
    if name != "cpu" and not name.startswith("cuda"):
        raise ValueError(f"--device must be auto, cpu or cuda[:N], got {name!r}")
    return torch.device(name)


def cpu_model() -> str:
    """The CPU's model name ("AMD EPYC", "Intel(R) Xeon(R) ..."), else the architecture. CPU
    kernels (oneDNN, MKL) pick code paths by CPU model, not only by instruction set, so two
    AVX-512 machines of different vendors can train the same seed to different bits."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def numerics(device: torch.device) -> dict:
    """What decided this process's bits (plan/numerics.py): the mode, the CPU model, the ISA
    torch's kernels dispatch to, the pinned variables (MKL's branch among them), the threads and,
    on CUDA, whether torch's deterministic algorithms are on."""
    return {"mode": numerics_mode.applied(), "cpu": cpu_model(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "threads": torch.get_num_threads(),
            "env": {k: os.environ.get(k) for k in numerics_mode.RECORDED_ENV},
            "mkl": torch.backends.mkl.is_available() and _mkl_version(),
            "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
            "device": device.type}


def _mkl_version() -> str | None:
    for line in torch.__config__.show().splitlines():
        if "Math Kernel Library Version" in line:
            return line.split("Version", 1)[1].split("for")[0].strip()
    return None


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_model()} ({torch.get_num_threads()} threads)"
