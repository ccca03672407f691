import torch

from wrongnumber.core.models import PaperCNN, build_model


def test_parameter_count_is_the_papers():
    assert sum(p.numel() for p in PaperCNN().parameters()) == 390_858  # Table 2: 390.86 K


def test_forward_returns_logits_and_cam_features():
    model = PaperCNN().eval()
    logits, feats = model(torch.zeros(3, 1, 28, 28))
    assert logits.shape == (3, 10) and feats.shape == (3, 128, 7, 7)
    assert (feats >= 0).all()  # taken after the block's ReLU


def test_pooling_before_relu_is_bit_identical_to_the_papers_order():
    """Blocks 1-2 pool first (max commutes with ReLU): same logits, features and gradients as
    the Methods section's conv -> BatchNorm -> ReLU -> pool, to the bit, in train mode (BatchNorm
    on batch statistics, dropout) and in both memory layouts."""
    x = torch.randn(16, 1, 28, 28)
    for fmt in (torch.contiguous_format, torch.channels_last):
        results = []
        for relu_before_pool in (False, True):
            torch.manual_seed(0)  # the same initialisation and dropout mask for both
            model = PaperCNN(relu_before_pool=relu_before_pool).to(memory_format=fmt).train()
            logits, feats = model(x)
            (logits.square().sum() + feats.sum()).backward()
            results.append([logits, feats] + [p.grad for p in model.parameters()])
        for ours, paper in zip(*results):
            assert torch.equal(ours, paper)


def test_build_model_rejects_unknown_backbone():
    import pytest
    with pytest.raises(ValueError, match="unknown backbone"):
        build_model("resnet1000")
