"""Extension backbones: exact sizes, CAM taps, skip connections, Grad-CAM and training steps."""

import pytest
import torch

from wrongnumber.core.backbones import BACKBONES, PlainBlock, ResNet18
from wrongnumber.core.cam import grad_cam
from wrongnumber.core.models import MODELS, build_model
from wrongnumber.core.train import TrainConfig, step_losses

# Parameter counts, from the layer shapes (see backbones.py): torchvision's resnet18 has
# 11,689,512; our 3x3 one-channel stem saves 9,408 - 576 and the 10-class fc 513,000 - 5,130.
PARAMS = {"resnet18": 11_172_810, "resnet18_cam7": 11_172_810, "resnet18_cam14": 11_172_810,
          "resnet18_noskip": 10_998_986, "convnext": 559_946, "convnext_cam14": 559_946}
CAM_SHAPES = {"resnet18": (512, 4, 4), "resnet18_cam7": (256, 7, 7), "resnet18_cam14": (128, 14, 14),
              "resnet18_noskip": (512, 4, 4), "convnext": (128, 7, 7), "convnext_cam14": (64, 14, 14)}
NAMES = sorted(BACKBONES)


pytestmark = pytest.mark.usefixtures("one_thread")  # batches of 1-8 images (conftest.py)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def images(b, seed=0):
    return torch.randn(b, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def test_registry_and_parameter_counts():
    assert set(BACKBONES) <= set(MODELS) and set(PARAMS) == set(BACKBONES)
    for name in NAMES:
        assert n_params(build_model(name, dropout=0.1)) == PARAMS[name], name
    # Removing the skips removes exactly the three downsample branches (1x1 conv + BN):
    # 64*128 + 2*128 + 128*256 + 2*256 + 256*512 + 2*512.
    assert PARAMS["resnet18"] - PARAMS["resnet18_noskip"] == 173_824
    # ConvNeXt: CNBlock(d) = depthwise 7x7 (49d + d) + LayerNorm 2d + MLP (4d^2 + 4d + 4d^2 + d)
    # + layer scale d = 8d^2 + 58d; stem conv 2x2 + LN, downsample LN + conv 2x2, head LN + fc.
    block = lambda d: 8 * d * d + 58 * d  # noqa: E731
    stem, down, head = 64 * 4 + 64 + 2 * 64, 2 * 64 + 64 * 128 * 4 + 128, 2 * 128 + 128 * 10 + 10
    assert (block(64), block(128)) == (36_480, 138_496)
    assert stem + 3 * block(64) + down + 3 * block(128) + head == PARAMS["convnext"]


@pytest.mark.parametrize("name", NAMES)
def test_output_shapes_and_cam_resolution(name):
    model = build_model(name, num_classes=10, dropout=0.3).eval()
    logits, feats = model(images(2))
    assert logits.shape == (2, 10) and feats.shape == (2, *CAM_SHAPES[name])
    entry = MODELS[name]
    assert entry.cam_layer == model.cam_layer and entry.cam_hw == feats.shape[-1]
    assert entry.cam_batch_exact == model.cam_batch_exact


def test_resnet_stage_resolutions_and_bad_tap():
    model = ResNet18(cam_layer="layer1").eval()
    sizes = []
    hooks = [getattr(model, n).register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1]))
             for n in ("stem", "layer1", "layer2", "layer3", "layer4")]
    _, feats = model(images(1))
    for h in hooks:
        h.remove()
    assert sizes == [28, 28, 14, 7, 4] and feats.shape == (1, 64, 28, 28)
    with pytest.raises(ValueError, match="cam_layer"):
        ResNet18(cam_layer="layer5")
    with pytest.raises(ValueError, match="cam_layer"):
        build_model("convnext", cam_layer="stage3")


def _zero_residual_branch(block):
    """bn2 -> 0 makes the residual branch output exactly 0 (BatchNorm: weight * x_hat + bias)."""
    with torch.no_grad():
        block.bn2.weight.zero_()
        block.bn2.bias.zero_()


def test_noskip_really_has_no_skip():
    skip, plain = build_model("resnet18").eval(), build_model("resnet18_noskip").eval()
    blocks = [b for layer in (plain.layer1, plain.layer2, plain.layer3, plain.layer4) for b in layer]
    assert all(isinstance(b, PlainBlock) and b.downsample is None for b in blocks)
    x = torch.relu(torch.randn(2, 64, 28, 28))  # a block's input is a ReLU output: >= 0
    for model in (skip, plain):
        _zero_residual_branch(model.layer1[1])
        _zero_residual_branch(model.layer2[0])
    with torch.no_grad():
        torch.testing.assert_close(skip.layer1[1](x), x)              # relu(0 + x) = x
        assert torch.equal(plain.layer1[1](x), torch.zeros_like(x))  # nothing carries x through
        down = torch.relu(skip.layer2[0].downsample(x))               # the projected skip alone
        torch.testing.assert_close(skip.layer2[0](x), down)
        assert torch.equal(plain.layer2[0](x), torch.zeros(2, 128, 14, 14))


@pytest.mark.parametrize("name", NAMES)
def test_cam_layer_is_a_tap_not_a_truncation(name):
    model = build_model(name, dropout=0.0).eval()
    x = images(2)
    logits, feats = model(x)
    torch.testing.assert_close(model.trunk(x), feats, rtol=0, atol=0)  # the --compile split
    torch.testing.assert_close(model.head(feats), logits, rtol=0, atol=0)
    (g_feats,) = torch.autograd.grad(logits.sum(), feats, retain_graph=True)
    assert g_feats.abs().sum() > 0
    logits.sum().backward()
    stages = ["stem", *model.stages, "fc"]  # every stage, before and after the tap, feeds the logits
    for stage in stages:
        grads = [p.grad for p in getattr(model, stage).parameters()]
        assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0, stage


@pytest.mark.parametrize("name", NAMES)
def test_grad_cam_runs_on_every_backbone(name):
    model = build_model(name, dropout=0.5)
    x, targets = images(3), torch.tensor([1, 4, 7])
    for train_mode in (True, False):
        model.train(train_mode)
        maps = grad_cam(model, x, targets)
        assert maps.shape == (3, 1, 28, 28) and torch.isfinite(maps).all()
        assert maps.min() >= 0 and maps.max() <= 1
        assert model.training == train_mode  # grad_cam leaves the mode as the caller set it


@pytest.mark.parametrize("name", ["paper_cnn", *NAMES])
def test_cross_image_gradient(name):
    """d score_0 / d feats[other images]: zero where batched Grad-CAM is exact (cam.py).

    In training mode BatchNorm after the tap couples the images, so the batch's summed score
    leaks into every image's CAM; in eval mode (running statistics) nothing does.
    """
    model = build_model(name, dropout=0.0)
    exact = getattr(model, "cam_batch_exact", True)  # PaperCNN: BatchNorm sits before its tap
    for train_mode in (True, False):
        model.train(train_mode)
        logits, feats = model(images(3))
        (g,) = torch.autograd.grad(logits[0, 3], feats)
        leak = g[1:].abs().max().item()
        if exact or not train_mode:
            assert leak == 0, (name, train_mode)
        else:
            assert leak > 0, name


@pytest.mark.parametrize("name", ["resnet18", "resnet18_noskip", "convnext"])
def test_one_training_step_reduces_the_loss(name):
    torch.manual_seed(0)
    model = build_model(name, dropout=0.0).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = images(4), torch.tensor([0, 3, 5, 9])
    before = torch.nn.functional.cross_entropy(model(x)[0], y)
    before.backward()
    opt.step()
    after = torch.nn.functional.cross_entropy(model(x)[0], y)
    assert after.item() < before.item()


@pytest.mark.parametrize("name", NAMES)
def test_contrastive_training_step_runs(name):
    """The R loss (CE + contrastive on the CAM) trains through every backbone and tap."""
    torch.manual_seed(0)
    model = build_model(name, dropout=0.5).train()
    x01 = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    total, ce, con, _, _ = step_losses(model, (x01 - 0.1307) / 0.3081, x01, torch.tensor([0, 1, 2, 3]),
                                    TrainConfig(variant="R", backbone=name))
    assert torch.isfinite(total) and con > 0
    total.backward()
    grads = [p.grad for p in getattr(model, model.stages[0]).parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)

