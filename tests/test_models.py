import torch

from wrongnumber.models import PaperCNN, build_model


def test_parameter_count_is_the_papers():
    assert sum(p.numel() for p in PaperCNN().parameters()) == 390_858  # Table 2: 390.86 K


def test_forward_returns_logits_and_cam_features():
    model = PaperCNN().eval()
    logits, feats = model(torch.zeros(3, 1, 28, 28))
    assert logits.shape == (3, 10) and feats.shape == (3, 128, 7, 7)
    assert (feats >= 0).all()  # taken after the block's ReLU


def test_build_model_rejects_unknown_backbone():
    import pytest
    with pytest.raises(ValueError, match="unknown backbone"):
        build_model("resnet1000")
