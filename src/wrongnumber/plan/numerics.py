"""The floating-point environment a job computes in, chosen before torch loads (docs/numerics.md).

`portable` (the default) pins everything that decides a CPU run's bits, so that one seed trains
to the same bytes on every x86-64 CPU with AVX2, Intel or AMD; `native` leaves torch's own
choices (the widest instructions the CPU has, the thread count asked for): faster, but its bits
depend on the CPU model and the threads. Each pin and why it is needed:

- ATen's vectorised kernels (reductions, BatchNorm, the fused Adam step, ...) dispatch on the
  CPU's ISA: an AVX-512 sum runs in 16 lanes, an AVX2 one in 8, so the additions group
  differently. ATEN_CPU_CAPABILITY=avx2 is the widest level every AVX2 CPU has.
- oneDNN's JIT convolutions pick their blocking and FMA order by ISA: ONEDNN_MAX_CPU_ISA=AVX2.
- MKL's GEMMs (the linear layers) pick a code branch per CPU. Intel documents its AVX2 branch as
  reproducible on Intel CPUs only; COMPATIBLE (SSE2) is the branch meant for every x86-64 CPU.
  MKL_DYNAMIC=FALSE keeps MKL from changing its thread count on its own (Intel's CNR conditions).
- Kernels split their sums across threads, so the thread count is fixed: one intra-op thread
  per job, whatever the machine has; parallelism comes from jobs side by side.
- On CUDA: cuBLAS needs CUBLAS_WORKSPACE_CONFIG for deterministic GEMMs, and training turns on
  torch's deterministic algorithms (train.py). Designed, not yet verified on a GPU.

Torch-free: the package applies the mode named by WRONGNUMBER_NUMERICS in its __init__, before
torch loads; the CLI's --numerics re-executes a command that asks for the other mode.
"""
from __future__ import annotations

import os
from collections.abc import MutableMapping

MODES = ("portable", "native")
DEFAULT = "portable"
ENV = "WRONGNUMBER_NUMERICS"             # the mode a process asks for
APPLIED = "WRONGNUMBER_NUMERICS_APPLIED"  # the mode the package applied (children inherit it)
SET_BY_US = "WRONGNUMBER_NUMERICS_SET"   # the variables the package set, so `native` can undo them
THREADS = 1                              # intra-op threads of a portable job

PORTABLE_ENV = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_CBWR": "COMPATIBLE",
    "MKL_DYNAMIC": "FALSE",
    "MKL_NUM_THREADS": str(THREADS),
    "OMP_NUM_THREADS": str(THREADS),
    "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
}
# What a run records of its numerics, beside the CPU model, torch's capability and the threads
RECORDED_ENV = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_CBWR", "MKL_DYNAMIC",
                "CUBLAS_WORKSPACE_CONFIG")


class NumericsError(ValueError):
    """An unknown mode, or a thread count that portable numerics do not allow."""


def check(mode: str) -> str:
    if mode not in MODES:
        raise NumericsError(f"numerics must be one of {', '.join(MODES)}; got {mode!r} "
                            f"(from --numerics, the config's `numerics` or ${ENV})")
    return mode


def apply(mode: str, environ: MutableMapping[str, str] = os.environ) -> str:
    """Set (portable) or undo (native) the pins in `environ`; must run before torch loads.

    Portable overrides a conflicting value the caller had set; native removes only what an
    earlier portable apply set (a parent process, e.g. Snakemake importing the package), so a
    variable the user exported stays."""
    check(mode)
    ours = [k for k in environ.get(SET_BY_US, "").split(",") if k]
    if mode == "portable":
        for key, value in PORTABLE_ENV.items():
            if environ.get(key) != value:
                environ[key] = value
                ours.append(key)
    else:
        for key in ours:
            if environ.get(key) == PORTABLE_ENV.get(key):
                del environ[key]
        ours = []
    environ[SET_BY_US] = ",".join(dict.fromkeys(ours))
    environ[APPLIED] = mode
    return mode


def applied(environ: MutableMapping[str, str] = os.environ) -> str | None:
    return environ.get(APPLIED)


def job_threads(mode: str, configured: int) -> int:
    """Intra-op threads of a training or evaluation job: fixed under portable, else the config's."""
    return THREADS if check(mode) == "portable" else configured
