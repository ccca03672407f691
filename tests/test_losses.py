"""The contrastive loss (paper Eq. 1) on hand-computed cases."""
import math

import pytest
import torch

from wrongnumber.core.losses import cam_distance, contrastive_loss, pair_labels, total_loss


def maps_at_distance(d_values):
    """CAMs of zeros and targets whose Euclidean distance to them is exactly d (d^2 pixels of 1)."""
    cams = torch.zeros(len(d_values), 1, 28, 28)
    targets = torch.zeros_like(cams)
    for i, d in enumerate(d_values):
        targets[i].view(-1)[: int(d * d)] = 1.0
    return cams, targets


def test_distance():
    cams, targets = maps_at_distance([2, 3])
    torch.testing.assert_close(cam_distance(cams, targets), torch.tensor([2.0, 3.0]))


def test_similar_branch():
    cams, targets = maps_at_distance([2, 3])
    loss, hit = contrastive_loss(cams, targets, torch.ones(2), margin=2.0)
    # 1/2 * d^2 per image: 2 and 4.5; mean 3.25
    assert loss.item() == pytest.approx(3.25)
    assert hit.item() == 0


def test_dissimilar_branch():
    cams, targets = maps_at_distance([2, 3])
    loss, _ = contrastive_loss(cams, targets, torch.zeros(2), margin=5.0)
    # 1/2 * max(0, 5 - d)^2: 4.5 and 2; mean 3.25
    assert loss.item() == pytest.approx(3.25)
    loss, _ = contrastive_loss(cams, targets, torch.zeros(2), margin=2.5)
    # image 1 is past the margin and contributes 0: (1/2 * 0.25 + 0) / 2
    assert loss.item() == pytest.approx(0.0625)


def test_mixed_labels_and_gradient_at_zero_distance():
    cams, targets = maps_at_distance([0, 1])
    cams.requires_grad_(True)
    loss, _ = contrastive_loss(cams, targets, torch.tensor([1.0, 0.0]), margin=2.0)
    # image 0: 1/2 * (0 + eps) ~ 0; image 1: 1/2 * (2 - 1)^2 = 0.5; mean 0.25
    assert loss.item() == pytest.approx(0.25)
    loss.backward()
    assert torch.isfinite(cams.grad).all()  # the epsilon keeps d differentiable at 0


def test_nan_guard_zeroes_and_counts():
    cams, targets = maps_at_distance([1, 1])
    cams[0, 0, 0, 0] = math.nan
    loss, hit = contrastive_loss(cams, targets, torch.ones(2), margin=1.0)
    assert loss.item() == 0.0 and hit.item() == 1


def test_pair_labels():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    labels = torch.tensor([0, 0, 0])
    assert pair_labels(logits, labels, "always_similar").tolist() == [1, 1, 1]
    assert pair_labels(logits, labels, "prediction_correct").tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match="pair_label"):
        pair_labels(logits, labels, "sometimes")


def test_total_loss():
    assert total_loss(torch.tensor(1.5), torch.tensor(2.0), 0.5).item() == pytest.approx(2.5)
