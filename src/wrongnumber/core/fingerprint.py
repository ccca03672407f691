"""The numerics fingerprint: a few training steps of C and R from a fixed seed, hashed.

In seconds it tells whether this machine computes the bits the committed reference was made
with (paper/fingerprint.json): the steps run the package's own `build_training` and
`train_step` on the official MNIST, so a change in any kernel's summation order (another ISA,
MKL branch or thread count) changes the hash. docs/numerics.md lists the CPU models checked.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from . import runinfo
from .data import load_for_config
from .train import TrainConfig, build_training, train_step

STEPS = 50   # about 2 s of CPU for C and R together; one step already changes the bits


def weights_hash(model: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def fingerprint(data_dir: str | Path, device: torch.device, steps: int = STEPS, seed: int = 0) -> dict:
    """{"steps", "seed", "hashes": {"C", "R"}, "numerics": what decided the bits}."""
    hashes = {}
    data = None
    for variant in ("C", "R"):
        cfg = TrainConfig(variant=variant, seed=seed).validate()
        data = data or load_for_config(cfg, device, data_dir=str(data_dir))  # the same for both
        model, net, opt = build_training(cfg, device)
        model.train()
        perm = torch.randperm(len(data.train.labels), generator=torch.Generator().manual_seed(seed))
        for i in range(steps):
            idx = perm[i * cfg.batch_size:(i + 1) * cfg.batch_size].to(device)
            train_step(net, opt, data.train.images[idx], data.train.labels[idx], data.spec, cfg)
        hashes[variant] = weights_hash(model)
    if not data.provenance["official"]:
        raise ValueError(f"{data_dir} is not the official MNIST: the fingerprint is defined on it")
    return {"steps": steps, "seed": seed, "hashes": hashes, "numerics": runinfo.numerics(device)}


def expected(path: str | Path, result: dict) -> dict | None:
    """The committed hashes for this result's steps, seed, mode and device, or None."""
    table = json.loads(Path(path).read_text())
    if (table["steps"], table["seed"]) != (result["steps"], result["seed"]):
        return None
    n = result["numerics"]
    return table["hashes"].get(f"{n['mode']}/{n['device']}")


def mismatch_message(result: dict, want: dict | None, path) -> str:
    n = result["numerics"]
    lines = [f"fingerprint of this machine: C {result['hashes']['C']}, R {result['hashes']['R']}",
             f"committed ({path}): " + (f"C {want['C']}, R {want['R']}" if want else
                                         f"none for {n['mode']} numerics on {n['device']}"),
             f"CPU model: {n['cpu']}", f"torch's CPU capability: {n['cpu_capability']}",
             f"MKL branch (MKL_CBWR): {n['env']['MKL_CBWR']}; oneDNN ISA: {n['env']['ONEDNN_MAX_CPU_ISA']}",
             f"threads: {n['threads']}; numerics: {n['mode']}"]
    return "\n".join(lines)
