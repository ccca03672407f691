"""GPU placement for jobs that share one multi-GPU machine.

Snakemake's `--resources gpu=N` only caps how many GPU jobs run at once; it never tells a job
*which* GPU to use (snakemake issue #281), so every job would pick cuda:0. A job calls
`claim_gpus(n)` before CUDA starts: it takes an exclusive `flock` on one lock file per free
device under a lock folder and narrows `CUDA_VISIBLE_DEVICES` to the devices it holds, so
`cuda` / `cuda:0` inside the job is its own GPU.

- The lock belongs to the open file, not to a path or a pid file: the kernel releases it when
  the process ends, however it ends (exit, exception, SIGKILL), so a crashed job never leaves
  a device taken. Lock files stay behind, unlocked; they cost nothing.
- Candidates are the devices the process may see: `CUDA_VISIBLE_DEVICES` when set (so a
  user, or SLURM, restricts the pool that way), otherwise `nvidia-smi --list-gpus`.
  No device visible (a CPU machine) or `n == 0`: nothing happens.
- Under a SLURM allocation the lock folder is per job (`.../slurm-<SLURM_JOB_ID>`): SLURM has
  already given the job its GPUs, and two jobs on one node (each seeing its GPU as `0`) must
  not wait on each other. A workflow run inside `salloc` still spreads its jobs over the
  allocation's GPUs.
- All devices taken (more GPU jobs than GPUs, e.g. `--resources gpu=4` on two GPUs): the job
  waits for one to free up instead of sharing it.
"""
from __future__ import annotations

import errno
import fcntl
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

LOCK_DIR_ENV = "WRONGNUMBER_GPU_LOCK_DIR"


def visible_devices(env: dict | None = None) -> list[str]:
    """Device ids this process may use: CUDA_VISIBLE_DEVICES if set, else what nvidia-smi lists."""
    env = os.environ if env is None else env
    if "CUDA_VISIBLE_DEVICES" in env:
        ids = [d.strip() for d in env["CUDA_VISIBLE_DEVICES"].split(",") if d.strip()]
        # CUDA stops at the first invalid id; "-1" / "" is the usual way to hide every GPU
        return [] if not ids or ids[0] in ("-1", "none", "NoDevFiles") else ids
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):  # no driver, no nvidia-smi: no GPU to place
        return []
    return [line.strip() for line in out.splitlines() if line.strip().isdigit()]


def default_lock_dir(env: dict | None = None) -> Path:
    """One folder per user and machine (/tmp is local), narrowed to the SLURM job if inside one."""
    env = os.environ if env is None else env
    if env.get(LOCK_DIR_ENV):
        base = Path(env[LOCK_DIR_ENV])
    else:
        base = Path(tempfile.gettempdir()) / f"wrongnumber-gpu-slots-{os.getuid()}"
    return base / f"slurm-{env['SLURM_JOB_ID']}" if env.get("SLURM_JOB_ID") else base


@dataclass
class Claim:
    """Devices held by this process; `release()` (or process exit) frees them."""
    devices: list[str]
    lock_dir: Path | None = None
    fds: list[int] = field(default_factory=list, repr=False)

    def release(self) -> None:
        for fd in self.fds:
            os.close(fd)  # closing the only descriptor drops the flock
        self.fds.clear()

    def __enter__(self) -> "Claim":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # flock: per open file, so two claims
    except OSError as exc:                              # in one process also exclude each other
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
            return None
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a curious human
    return fd


def claim(n: int, devices: list[str], lock_dir: str | Path, poll_s: float = 1.0,
          timeout_s: float | None = None, log=None) -> Claim:
    """Hold `n` of `devices` exclusively (first free ones, in order); wait while all are taken.

    n == 0 or no devices: an empty claim (nothing locked). Raises ValueError when n exceeds
    the devices there are, TimeoutError after `timeout_s` seconds of waiting.
    """
    if n <= 0 or not devices:
        return Claim([])
    if n > len(devices):
        raise ValueError(f"a job asks for {n} GPUs but only {len(devices)} are visible: {devices}")
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    start, waited = time.monotonic(), False
    while True:
        held = Claim([], lock_dir)
        for dev in devices:
            fd = _try_lock(lock_dir / f"gpu-{re.sub(r'[^A-Za-z0-9_.-]', '_', dev)}.lock")
            if fd is not None:
                held.devices.append(dev)
                held.fds.append(fd)
                if len(held.devices) == n:
                    return held
        held.release()  # all-or-nothing, so two 2-GPU jobs cannot each hold one and wait forever
        if timeout_s is not None and time.monotonic() - start > timeout_s:
            raise TimeoutError(f"no {n} free GPU(s) of {devices} within {timeout_s} s ({lock_dir})")
        if log and not waited:
            log(f"gpu-slot: all of {devices} taken, waiting ({lock_dir})")
        waited = True
        time.sleep(poll_s)


_HELD: list[Claim] = []  # this process's claim lives as long as the process


def claim_gpus(n: int, lock_dir: str | Path | None = None, env: dict | None = None) -> Claim:
    """Claim `n` GPUs for the rest of this process and point CUDA_VISIBLE_DEVICES at them.

    Must run before CUDA is initialised (CUDA reads the variable once, at start-up).
    """
    env = os.environ if env is None else env
    if n <= 0:
        return Claim([])
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        raise RuntimeError("claim_gpus() must run before CUDA is initialised")
    if "CUDA_VISIBLE_DEVICES" not in env:  # ids come from nvidia-smi, which counts in PCI order
        env.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")  # (CUDA's default is fastest first)
    devices = visible_devices(env)
    if not devices:
        print("gpu-slot: no GPU visible, nothing to place", flush=True)
        return Claim([])
    held = claim(n, devices, lock_dir or default_lock_dir(env),
                 log=lambda msg: print(msg, flush=True))
    env["CUDA_VISIBLE_DEVICES"] = ",".join(held.devices)
    _HELD.append(held)
    print(f"gpu-slot: CUDA_VISIBLE_DEVICES={env['CUDA_VISIBLE_DEVICES']} (of {','.join(devices)}; "
          f"locks in {held.lock_dir})", flush=True)
    return held
