"""Losses: the paper's contrastive loss between a CAM and its input (Eq. 1), its sum with the
classification loss, and the focal loss that the benchmark-reliability study trains with.

    l = 1/2 * (y * d^2 + (1 - y) * max(0, m - d)^2),   d = ||cam - input||_2 per image,

with the batch mean as the loss. y = 1 for a "similar" pair (the CAM should look like the
input), 0 for a "dissimilar" one (push the CAM at least m away). The paper does not say how y
is chosen: `pair_label` names the two readings.

Focal loss (Lin et al. 2017, Eq. 4, without the class weight alpha): FL = -(1 - p_t)^gamma log p_t,
the batch mean; gamma = 0 is cross-entropy. Gomez & Mouchere (arXiv:2311.17876) train with it
for better calibration, which they find makes explanation benchmarks more reliable.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

PAIR_LABELS = ("always_similar", "prediction_correct")
CLASSIFICATION_LOSSES = ("ce", "focal")
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


def total_loss(classification: torch.Tensor, contrastive: torch.Tensor, weight: float) -> torch.Tensor:
    """L_TOT = L_CE + lambda * L_contrastive (the paper: lambda = 1; L_CE may be the focal loss)."""
    return classification + weight * contrastive


def focal_loss(logits: torch.Tensor, labels: torch.Tensor, gamma: float) -> torch.Tensor:
    """Batch-mean focal loss; the (1 - p_t)^gamma factor shrinks the loss of confident, correct
    images, so training stops sharpening them (less over-confidence)."""
    ce = F.cross_entropy(logits, labels, reduction="none")              # -log p_t, (B,)
    weight = 1 - torch.exp(-ce)                                          # 1 - p_t, 0 when certain
    if 0 < gamma < 1:  # x^gamma has an infinite slope at 0: 0 * inf = NaN gradients without this
        weight = weight.clamp_min(torch.finfo(weight.dtype).tiny)
    return (weight ** gamma * ce).mean()


def classification_loss(logits: torch.Tensor, labels: torch.Tensor, kind: str = "ce",
                        gamma: float = 2.0) -> torch.Tensor:
    """The classification term of L_TOT: cross-entropy (the paper) or the focal loss."""
    if kind == "ce":
        return F.cross_entropy(logits, labels)
    if kind == "focal":
        return focal_loss(logits, labels, gamma)
    raise ValueError(f"classification_loss must be one of {CLASSIFICATION_LOSSES}, got {kind!r}")
