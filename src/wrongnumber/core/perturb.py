"""Training on perturbed samples (Gomez & Mouchere, arXiv:2311.17876): the model also sees the
kind of image the faithfulness metrics will show it, so those images are no longer out of its
training distribution.

The perturbation here ("mask") is the one the Deletion metric applies (explain_metrics, black
baseline): pixels replaced by black. Each image of a batch is perturbed with probability `prob`;
a perturbed image gets its own deleted share r ~ U(0, 1), and each pixel is deleted with
probability r, so the batch covers every stage of a deletion curve, from intact to empty. The
label stays; the R variant's contrastive target is the perturbed image (the CAM should match
what the network was shown). Validation and test images are never perturbed.

The draws come from their own CPU generator (seeded from the run's seed), so a run without
perturbation consumes no random numbers for it and stays bit-identical, and a seed gives the
same masks on every device.
"""
from __future__ import annotations

import torch

PERTURBATIONS = ("none", "mask")
SEED_OFFSET = 0x5EED  # the perturbation stream's seed = run seed + this: not the batch-order stream


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed + SEED_OFFSET)


def perturb(images_u8: torch.Tensor, kind: str, prob: float,
            gen: torch.Generator | None) -> torch.Tensor:
    """uint8 (B, H, W) -> the same batch with the chosen images' pixels deleted (set to 0)."""
    if kind == "none":
        return images_u8
    if kind != "mask":
        raise ValueError(f"perturbation must be one of {PERTURBATIONS}, got {kind!r}")
    if gen is None:
        raise ValueError("perturbation 'mask' needs its generator (perturb.generator(seed))")
    b = images_u8.shape[0]
    chosen = torch.rand(b, generator=gen) < prob                       # (B,) which images
    share = torch.rand(b, 1, 1, generator=gen)                         # (B, 1, 1) r per image
    deleted = torch.rand(images_u8.shape, generator=gen) < share       # (B, H, W)
    keep = ~(deleted & chosen.view(b, 1, 1))
    return images_u8 * keep.to(images_u8.device)
