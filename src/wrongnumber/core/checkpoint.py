"""checkpoint.pt: what train() writes after every epoch and what --resume reads back."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from .atomic import atomic_path


@dataclass
class Checkpoint:
    """checkpoint.pt, written after every epoch: all that --resume needs to continue bit for bit.

    The file holds these fields as a plain dict (the same keys as before this class existed, so
    older checkpoints still resume): the weights, the optimiser, every random stream, and the
    loop's records so far.
    """
    config: dict
    epoch: int
    model: dict
    optimizer: dict
    order_rng: torch.Tensor          # batch order
    perturb_rng: torch.Tensor        # --perturbation masks
    cpu_rng: torch.Tensor            # torch's global CPU stream (dropout masks on the CPU)
    cuda_rng: torch.Tensor | None    # dropout masks on a GPU
    history: list
    epoch_seconds: list
    epoch_phases: list
    cams: list
    early_stopping: dict             # EarlyStopping's fields
    best_state: dict | None
    kept: dict                       # --keep-epoch-states: epoch -> weights

    @classmethod
    def capture(cls, cfg, epoch, model, opt, order, perturb_gen, device, history, epoch_seconds,
                phases, cams, rule, best_state, kept) -> "Checkpoint":
        cuda_rng = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
        return cls(asdict(cfg), epoch, model.state_dict(), opt.state_dict(), order.get_state(),
                   perturb_gen.get_state(), torch.get_rng_state(), cuda_rng, history, epoch_seconds,
                   phases, cams, asdict(rule), best_state, kept)

    def restore(self, model, opt, order, perturb_gen, device) -> None:
        """Put the weights, the optimiser and the random streams back; the caller takes the records."""
        model.load_state_dict(self.model)
        opt.load_state_dict(self.optimizer)
        order.set_state(self.order_rng)
        perturb_gen.set_state(self.perturb_rng)
        torch.set_rng_state(self.cpu_rng)
        if device.type == "cuda" and self.cuda_rng is not None:
            torch.cuda.set_rng_state(self.cuda_rng, device)

    def save(self, path: Path) -> None:
        with atomic_path(path) as tmp:
            torch.save({f.name: getattr(self, f.name) for f in fields(self)}, tmp)

    @classmethod
    def load(cls, path: Path, device: torch.device) -> "Checkpoint":
        saved = torch.load(path, map_location=device, weights_only=False)
        # a missing key (an older file) reads as None: train() then reports the config mismatch
        return cls(**{f.name: saved.get(f.name) for f in fields(cls)})
