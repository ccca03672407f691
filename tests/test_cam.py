"""Grad-CAM: known answers, batched vs per-image, and agreement with the grad-cam package."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import LogitsOnly
from wrongnumber.core.cam import (bicubic_matrix, grad_cam, grad_cam_from_outputs, grad_cam_raw,
                             minmax_scale, select_targets, upsample)
from wrongnumber.core.models import PaperCNN


def test_bicubic_matrix_equals_interpolate():
    x = torch.randn(5, 7, 7)
    ours = upsample(x, (28, 28))
    ref = F.interpolate(x[:, None], size=(28, 28), mode="bicubic", align_corners=False)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-5)
    assert bicubic_matrix(7, 7, 28, 28).shape == (49, 784)


def test_upsample_backward_is_the_transposed_matrix():
    x = torch.randn(3, 7, 7, requires_grad=True)
    g = torch.randn(3, 1, 28, 28)
    (grad,) = torch.autograd.grad((upsample(x, (28, 28)) * g).sum(), x)
    x2 = x.detach().clone().requires_grad_(True)
    ref = F.interpolate(x2[:, None], size=(28, 28), mode="bicubic", align_corners=False)
    (grad_ref,) = torch.autograd.grad((ref * g).sum(), x2)
    torch.testing.assert_close(grad, grad_ref, rtol=0, atol=1e-5)


def test_minmax_scale_range_and_flat_maps():
    maps = torch.stack([torch.arange(16.0).view(1, 4, 4), torch.zeros(1, 4, 4)])
    s = minmax_scale(maps)
    assert s[0].min() == 0 and abs(s[0].max().item() - 1) < 1e-6
    assert torch.equal(s[1], torch.zeros(1, 4, 4))  # a flat map stays 0, never NaN


def test_grad_cam_known_answer_by_hand(model_and_images):
    """Recompute Grad-CAM for one image from first principles: explicit gradient and weights."""
    model, images = model_and_images
    x = images[:1]
    logits, feats = model(x)
    target = torch.tensor([3])
    (g,) = torch.autograd.grad(logits[0, 3], feats)
    alpha = g[0].mean(dim=(1, 2))                                 # (128,)
    raw = torch.relu(torch.einsum("k,khw->hw", alpha, feats[0].detach()))
    up = F.interpolate(raw[None, None], size=(28, 28), mode="bicubic", align_corners=False)
    ref = (up - up.min()) / (up.max() - up.min() + 1e-7)
    torch.testing.assert_close(grad_cam(model, x, target), ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("dtype,atol", [(torch.float64, 1e-6), (torch.float32, 1e-5)])
def test_batched_equals_per_image(model_and_images, dtype, atol):
    """In float64 the algebra is checked to 1e-6; float32 convolution kernels pick different
    summation orders for batch 1 and batch 6, which moves the scaled maps by ~2e-6."""
    model, images = model_and_images
    model, images = model.to(dtype), images.to(dtype)
    targets = torch.tensor([0, 1, 2, 3, 4, 5])
    batched = grad_cam(model, images, targets)
    single = torch.cat([grad_cam(model, images[i:i + 1], targets[i:i + 1]) for i in range(6)])
    torch.testing.assert_close(batched, single, rtol=0, atol=atol)
    assert batched.shape == (6, 1, 28, 28)


def test_batched_equals_per_image_in_train_mode_given_the_same_features():
    """In train mode BatchNorm mixes the batch *before* the CAM layer; after it nothing does,
    so the batched gradient of the summed scores equals each image's own gradient."""
    torch.manual_seed(1)
    model = PaperCNN(dropout=0.0).train()
    x = torch.randn(4, 1, 28, 28)
    logits, feats = model(x)
    targets = torch.tensor([1, 2, 3, 4])
    batched = grad_cam_raw(logits, feats, targets)
    for i in range(4):
        (g,) = torch.autograd.grad(logits[i, targets[i]], feats, retain_graph=True)
        alpha = g[i].mean(dim=(1, 2))
        ref = torch.relu(torch.einsum("k,khw->hw", alpha, feats[i].detach()))
        torch.testing.assert_close(batched[i].detach(), ref, rtol=0, atol=1e-6)


def test_matches_grad_cam_package(model_and_images):
    pytest.importorskip("pytorch_grad_cam", reason="grad-cam is a test-only dependency")
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model, images = model_and_images

    wrapped = LogitsOnly(model)
    layer = model.block3.act
    targets = [5, 0, 9, 3, 3, 7]
    cam_obj = GradCAM(model=wrapped, target_layers=[layer])
    target_objs = [ClassifierOutputTarget(t) for t in targets]
    cam_obj(images, target_objs)  # runs forward + backward, stores activations and gradients
    acts = cam_obj.activations_and_grads.activations[0].numpy()
    grads = cam_obj.activations_and_grads.gradients[0].numpy()
    theirs = np.maximum(cam_obj.get_cam_image(images, layer, target_objs, acts, grads, False), 0)
    ours = grad_cam_raw(*model(images), torch.tensor(targets)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_weights_modes_same_map_different_gradients():
    torch.manual_seed(2)
    model = PaperCNN(dropout=0.0).train()
    x = torch.randn(8, 1, 28, 28)
    target = torch.rand(8, 1, 28, 28)
    grads = {}
    for mode in ("detached", "differentiable"):
        model.zero_grad()
        logits, feats = model(x)
        cam = grad_cam_from_outputs(logits, feats, torch.arange(8) % 10, mode)
        ((cam - target) ** 2).sum().backward()
        grads[mode] = (cam.detach(), model.fc1.weight.grad, model.block1.conv.weight.grad)
    torch.testing.assert_close(grads["detached"][0], grads["differentiable"][0])
    # Only the differentiable weights let the map's loss reach the FC layers after the CAM layer;
    # both reach the convolutions before it.
    assert grads["detached"][1] is None
    assert grads["differentiable"][1].abs().sum() > 0
    assert grads["detached"][2].abs().sum() > 0


def test_select_targets():
    logits = torch.tensor([[0.0, 2.0], [3.0, 1.0]])
    labels = torch.tensor([0, 0])
    assert select_targets(logits, labels, "label").tolist() == [0, 0]
    assert select_targets(logits, labels, "prediction").tolist() == [1, 0]
    with pytest.raises(ValueError, match="cam_target"):
        select_targets(logits, labels, "logit")


def test_grad_cam_under_no_grad(model_and_images):
    model, images = model_and_images
    with torch.no_grad():
        cams = grad_cam(model, images, torch.zeros(6, dtype=torch.long))
    assert cams.min() >= 0 and cams.max() <= 1 + 1e-6
