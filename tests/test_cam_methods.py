"""CAM method family: each method against the grad-cam package's class of the same name (raw maps
at the CAM layer's 7x7 resolution, before any resizing), hand-computed weights, batched vs
per-image, and the seeded random baseline."""
import copy

import numpy as np
import pytest
import torch

from conftest import LogitsOnly
from wrongnumber.core.cam import grad_cam
from wrongnumber.core.cam_methods import (GRADIENT_WEIGHTS, METHODS, cam_maps, cam_raw, eigen_cam_raw,
                                     grad_cam_pp_weights, score_cam_weights, xgrad_cam_weights)
from wrongnumber.core.models import PaperCNN, build_model

PACKAGE_CLASSES = {"grad_cam": "GradCAM", "grad_cam_pp": "GradCAMPlusPlus", "xgrad_cam": "XGradCAM",
                   "hires_cam": "HiResCAM", "layer_cam": "LayerCAM", "score_cam": "ScoreCAM",
                   "eigen_cam": "EigenCAM", "random": "RandomCAM"}
TARGETS = [5, 0, 9, 3, 3, 7]


pytestmark = pytest.mark.usefixtures("one_thread")


def package_cam(method, model, images, targets, layer=None):
    """grad-cam's class for `method`, its targets, and the CAM layer: the module whose output
    the model returns as feats (PaperCNN's block3.act unless given)."""
    gc = pytest.importorskip("pytorch_grad_cam", reason="grad-cam is a test-only dependency")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    layer = layer or model.block3.act
    cam_obj = getattr(gc, PACKAGE_CLASSES[method])(model=LogitsOnly(model), target_layers=[layer])
    return cam_obj, [ClassifierOutputTarget(t) for t in targets], layer


def assert_maps_close(ours, theirs):
    """Relative to the map's scale: raw maps of an untrained net are ~1e-3."""
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6 * np.abs(theirs).max())


@pytest.mark.parametrize("method", ["grad_cam", *GRADIENT_WEIGHTS])  # grad_cam: cam.py's
def test_gradient_methods_match_grad_cam_package(model_and_images, method):
    model, images = model_and_images
    cam_obj, targets, layer = package_cam(method, model, images, TARGETS)
    cam_obj(images, targets)  # forward + backward; stores activations and gradients
    acts = cam_obj.activations_and_grads.activations[0].numpy()
    grads = cam_obj.activations_and_grads.gradients[0].numpy()
    theirs = np.maximum(cam_obj.get_cam_image(images, layer, targets, acts, grads, False), 0)
    ours = cam_raw(model, images, torch.tensor(TARGETS), method).numpy()
    assert ours.shape == (6, 7, 7) and theirs.max() > 0
    assert_maps_close(ours, theirs)


def test_score_cam_matches_grad_cam_package(model_and_images):
    """Score-CAM's comparison point: the channel weights (softmax of the masked-input scores)
    and the raw map, both from the same stored activations."""
    model, images = model_and_images
    images, targets_list = images[:2], TARGETS[:2]
    cam_obj, targets, layer = package_cam("score_cam", model, images, targets_list)
    cam_obj.batch_size = 128
    cam_obj.activations_and_grads(images)  # forward only: stores the activations
    acts = cam_obj.activations_and_grads.activations[0].numpy()
    theirs_w = cam_obj.get_cam_weights(images, layer, targets, acts, None)
    ours_w = score_cam_weights(model, images, torch.from_numpy(acts), torch.tensor(targets_list), 100)
    np.testing.assert_allclose(ours_w[:, :, 0, 0].numpy(), theirs_w, rtol=1e-5, atol=1e-9)
    theirs = np.maximum((theirs_w[:, :, None, None] * acts).sum(axis=1), 0)
    assert_maps_close(cam_raw(model, images, torch.tensor(targets_list), "score_cam").numpy(), theirs)


def test_eigen_cam_matches_grad_cam_package_up_to_the_svd_sign(model_and_images):
    """grad-cam keeps LAPACK's arbitrary SVD sign; ours orients the principal component to
    correlate positively with the channel-summed activations. Orienting grad-cam's projection
    the same way must give our map exactly."""
    model, images = model_and_images
    cam_obj, targets, layer = package_cam("eigen_cam", model, images, TARGETS)
    cam_obj.activations_and_grads(images)
    acts = cam_obj.activations_and_grads.activations[0].numpy()
    projection = cam_obj.get_cam_image(images, layer, targets, acts, None, False)     # (6, 7, 7)
    total = acts.sum(axis=1)
    total = (total - total.mean(axis=(1, 2), keepdims=True)).reshape(6, -1)
    sign = np.sign((projection.reshape(6, -1) * total).sum(axis=1))[:, None, None]
    ours = cam_raw(model, images, torch.tensor(TARGETS), "eigen_cam").numpy()
    assert_maps_close(ours, np.maximum(sign * projection, 0))


def test_eigen_cam_known_answer_rank_one():
    """Rank-one activations A_k(p) = u_k m(p): the centred first component is (m - mean m) |u|."""
    m = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [0.0, 0.0, 9.0]], dtype=torch.float64)
    u = torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64)                 # |u| = 3
    acts = (u[:, None, None] * m)[None]                                     # (1, 3, 3, 3)
    expected = torch.relu((m - m.mean()) * 3)
    torch.testing.assert_close(eigen_cam_raw(acts)[0], expected)


def test_random_baseline_matches_random_cam_and_is_seeded(model_and_images, monkeypatch):
    model, images = model_and_images
    cam_obj, targets, layer = package_cam("random", model, images, TARGETS)
    cam_obj(images, targets)
    acts = cam_obj.activations_and_grads.activations[0].numpy()
    weights = torch.rand(6, 128, generator=torch.Generator().manual_seed(7), dtype=torch.float64) * 2 - 1
    import pytorch_grad_cam.random_cam as random_cam  # RandomCAM draws np.random.uniform(-1, 1)
    monkeypatch.setattr(random_cam.np.random, "uniform", lambda lo, hi, size: weights.numpy())
    theirs = np.maximum(cam_obj.get_cam_image(images, layer, targets, acts, acts, False), 0)
    ours = cam_raw(model, images, torch.tensor(TARGETS), "random",
                   generator=torch.Generator().manual_seed(7)).numpy()
    assert_maps_close(ours, theirs)
    def seeded(seed):
        return cam_maps(model, images, torch.tensor(TARGETS), "random",
                        generator=torch.Generator().manual_seed(seed))
    assert torch.equal(seeded(7), seeded(7)) and not torch.equal(seeded(7), seeded(8))


def test_weight_functions_by_hand():
    acts = torch.tensor([[[[1.0, 3.0]]]])          # (1, 1, 1, 2): sum of activations 4
    grads = torch.tensor([[[[2.0, 1.0]]]])
    # XGrad-CAM: (2 * 1 + 1 * 3) / 4
    assert xgrad_cam_weights(acts, grads).item() == pytest.approx(5 / 4)
    # Grad-CAM++: alpha = g^2 / (2 g^2 + 4 g^3) -> 4/40 and 1/6; w = 2 * 0.1 + 1 * 1/6
    assert grad_cam_pp_weights(acts, grads).item() == pytest.approx(0.2 + 1 / 6, rel=1e-5)
    # A negative gradient contributes nothing to Grad-CAM++ (ReLU) nor, at G = 0, any alpha.
    assert grad_cam_pp_weights(acts, -grads).item() == 0
    assert grad_cam_pp_weights(acts, torch.zeros_like(grads)).item() == 0


@pytest.mark.parametrize("method", ["grad_cam_pp", "xgrad_cam", "hires_cam", "eigen_cam"])
def test_other_backbone_matches_grad_cam_package(method):
    """Any backbone's CAM layer: ConvNeXt's stage2 tap (LayerNorm, *signed* activations, which
    Grad-CAM++'s and XGrad-CAM's sums of activations and Eigen-CAM's SVD must handle). In
    float64: with signed activations a channel's sum can come near 0, and XGrad-CAM's division
    by it turns float32 summation-order noise into 10 % differences."""
    torch.manual_seed(3)
    model = build_model("convnext", dropout=0.0).double().eval()
    images = torch.randn(2, 1, 28, 28, dtype=torch.float64)
    cam_obj, targets, layer = package_cam(method, model, images, [1, 8], model.stage2)
    cam_obj(images, targets)
    acts = cam_obj.activations_and_grads.activations[0].numpy()
    grads = cam_obj.activations_and_grads.gradients[0].numpy() if method != "eigen_cam" else None
    assert acts.min() < 0
    theirs = cam_obj.get_cam_image(images, layer, targets, acts, grads, False)
    ours = cam_raw(model, images, torch.tensor([1, 8]), method).numpy()
    if method == "eigen_cam":  # grad-cam's SVD sign is LAPACK's: compare up to it, per image
        theirs = np.where((ours * theirs).sum(axis=(1, 2), keepdims=True) < 0, -theirs, theirs)
    assert_maps_close(ours, np.maximum(theirs, 0))


@pytest.mark.parametrize("method", [m for m in METHODS if m != "random"])
def test_batched_equals_per_image(model_and_images, method):
    """In float64, so the check is of the algebra, not of float32 summation orders."""
    model, images = model_and_images
    model64, images = PaperCNN().double(), images[:2].double()
    model64.load_state_dict(model.state_dict())
    model64.eval()
    targets = torch.tensor(TARGETS[:2])
    batched = cam_maps(model64, images, targets, method, batch_size=100)
    single = torch.cat([cam_maps(model64, images[i:i + 1], targets[i:i + 1], method) for i in range(2)])
    torch.testing.assert_close(batched, single, rtol=0, atol=1e-9)


def test_maps_shape_range_and_grad_cam_equals_cam_module(model_and_images):
    model, images = model_and_images
    targets = torch.tensor(TARGETS)
    with torch.no_grad():  # the base takes its own gradients
        maps = {m: cam_maps(model, images, targets, m, generator=torch.Generator().manual_seed(0))
                for m in METHODS}
    for m, x in maps.items():
        assert x.shape == (6, 1, 28, 28), m
        assert x.min() >= 0 and x.max() <= 1 + 1e-6 and x.max() > 0.99, m
    torch.testing.assert_close(maps["grad_cam"], grad_cam(model, images, targets), rtol=0, atol=0)
    assert cam_maps(model, images, targets, "grad_cam", size=(14, 14)).shape == (6, 1, 14, 14)


def test_mode_is_left_to_the_caller_and_unknown_method(model_and_images):
    model, images = model_and_images
    cam_maps(model, images, torch.tensor(TARGETS), "grad_cam_pp")
    assert not model.training
    with pytest.raises(ValueError, match="method must be one of"):
        cam_maps(model, images, torch.tensor(TARGETS), "ablation_cam")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(model_and_images):
    model, images = model_and_images
    targets = torch.tensor(TARGETS)
    on_gpu = copy.deepcopy(model).cuda()
    for method in METHODS:
        cpu = cam_maps(model, images, targets, method, generator=torch.Generator().manual_seed(3))
        gpu = cam_maps(on_gpu, images.cuda(), targets.cuda(), method,
                       generator=torch.Generator().manual_seed(3))
        torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-4, msg=method)
