"""Losses: the paper's contrastive loss between a CAM and its input (Eq. 1), and its sum with CE.

    l = 1/2 * (y * d^2 + (1 - y) * max(0, m - d)^2),   d = ||cam - input||_2 per image,

with the batch mean as the loss. y = 1 for a "similar" pair (the CAM should look like the
input), 0 for a "dissimilar" one (push the CAM at least m away). The paper does not say how y
is chosen: `pair_label` names the two readings.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

PAIR_LABELS = ("always_similar", "prediction_correct")
DISTANCE_EPS = 1e-22  # the paper's epsilon: keeps d = sqrt(. + eps) differentiable at 0


def pair_labels(logits: torch.Tensor, labels: torch.Tensor, policy: str) -> torch.Tensor:
    """Pair label y (B,) as float: always 1, or 1 where the prediction is correct else 0."""
    if policy == "always_similar":
        return torch.ones_like(labels, dtype=logits.dtype)
    if policy == "prediction_correct":
        return (logits.detach().argmax(dim=1) == labels).to(logits.dtype)
    raise ValueError(f"pair_label must be one of {PAIR_LABELS}, got {policy!r}")


def cam_distance(cam: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-image Euclidean distance (B,) between (B, 1, H, W) maps."""
    return ((cam - target) ** 2).flatten(1).sum(dim=1).add(DISTANCE_EPS).sqrt()


def contrastive_loss(cam: torch.Tensor, target: torch.Tensor, y: torch.Tensor,
                     margin: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, nan_hit): the batch-mean contrastive loss, and 1 if the NaN guard zeroed it.

    The guard follows the paper ("return a zeroed tensor" on NaN) without a host sync: the
    caller sums `nan_hit` and reports it once per epoch, so a zeroed batch is never silent.
    """
    d = cam_distance(cam, target)
    per_image = 0.5 * (y * d**2 + (1 - y) * F.relu(margin - d) ** 2)
    loss = per_image.mean()
    bad = ~torch.isfinite(loss)
    return torch.where(bad, torch.zeros_like(loss), loss), bad.to(torch.int64)


def total_loss(ce: torch.Tensor, contrastive: torch.Tensor, weight: float) -> torch.Tensor:
    """L_TOT = L_CE + lambda * L_contrastive (the paper: lambda = 1)."""
    return ce + weight * contrastive
