"""Explanation metrics: hand-computed answers on tiny maps and masks, SSIM against scikit-image's definition,
and the scores table on real fixture digits."""
import math

import numpy as np
import pytest
import torch

from conftest import MNIST_MINI
from wrongnumber.core.cam import grad_cam
from wrongnumber.core.data import DATASET_SPECS, load_dataset, to_model_input
from wrongnumber.core.explain_metrics import (METRICS, average_drop, baseline_image, map_complexity,
                                         curve_auc, energy_pointing_game, evaluate_methods,
                                         explanation_image, explanation_scores,
                                         increase_in_confidence, input_mask, l1_to_input,
                                         l2_to_input, perturbation_curve, pointing_game,
                                         sparseness, ssim_to_input, target_probability, topk_iou)
from wrongnumber.core.models import PaperCNN


pytestmark = pytest.mark.usefixtures("one_thread")


def img(*rows):
    """A (1, 1, H, W) float64 image from rows."""
    return torch.tensor(rows, dtype=torch.float64)[None, None]


def test_input_mask_is_the_ink():
    x = img([0.0, 0.2], [0.0, 1.0])
    assert input_mask(x).flatten().tolist() == [False, True, False, True]


def test_pointing_game():
    mask = img([1, 0], [0, 0]).bool()
    assert pointing_game(img([0.9, 0.1], [0.2, 0.3]), mask).item() == 1
    assert pointing_game(img([0.1, 0.9], [0.2, 0.3]), mask).item() == 0
    assert pointing_game(img([1.0, 1.0], [0.2, 0.3]), mask).item() == 0.5     # tied maxima: share inside
    assert pointing_game(img([0.0, 0.0], [0.0, 0.0]), mask).item() == 0.25    # flat map: the mask's area


def test_energy_pointing_game():
    mask = img([1, 0], [0, 0]).bool()
    assert energy_pointing_game(img([1.0, 1.0], [2.0, 0.0]), mask).item() == pytest.approx(1 / 4)
    assert energy_pointing_game(img([0.0, 0.0], [0.0, 0.0]), mask).item() == pytest.approx(1 / 4)
    assert energy_pointing_game(img([3.0, 0.0], [0.0, 0.0]), mask).item() == 1


def test_topk_iou():
    maps = torch.arange(16.0).view(1, 1, 4, 4)           # top 25 % = pixels 12..15
    mask = torch.zeros(1, 1, 16, dtype=torch.bool)
    mask[..., [0, 1, 12, 13]] = True
    mask = mask.view(1, 1, 4, 4)
    assert topk_iou(maps, mask, 25).item() == pytest.approx(2 / 6)
    assert topk_iou(maps, mask, 12.5).item() == pytest.approx(0 / 6)     # pixels 14, 15: none inside
    assert topk_iou(torch.zeros(1, 1, 4, 4), mask, 25).item() == pytest.approx(4 / 16)  # all tie


def test_sparseness_and_complexity():
    one_hot, uniform = torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)
    one_hot[..., 0, 0] = 1
    half = img([0.0, 0.0], [0.7, 0.7])
    # Gini: sum_i (2i - n - 1) p_(i) / n -> one pixel 1 - 1/n; two equal pixels (1 * .5 + 3 * .5) / 4
    assert sparseness(one_hot).item() == pytest.approx(3 / 4)
    assert sparseness(uniform).item() == pytest.approx(0)
    assert sparseness(half).item() == pytest.approx(1 / 2)
    assert sparseness(torch.zeros(1, 1, 2, 2)).item() == pytest.approx(0)   # no energy: uniform
    assert map_complexity(one_hot).item() == pytest.approx(0)
    assert map_complexity(uniform).item() == pytest.approx(math.log(4))
    assert map_complexity(half).item() == pytest.approx(math.log(2))


def test_l1_l2_to_input():
    maps, x = img([0.0, 0.0], [1.0, 0.5]), img([1.0, 0.0], [1.0, 0.0])
    assert l1_to_input(maps, x).item() == pytest.approx((1 + 0 + 0 + 0.5) / 4)
    assert l2_to_input(maps, x).item() == pytest.approx(math.sqrt((1 + 0.25) / 4))


def test_ssim_known_answers():
    x = torch.rand(2, 1, 28, 28, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(ssim_to_input(x, x), torch.ones(2, dtype=torch.float64))
    # Constant images: variances and covariance vanish, leaving the luminance term
    # (2 * .5 * 0 + C1) / (.25 + 0 + C1) with C1 = 1e-4.
    b = torch.zeros(1, 1, 28, 28, dtype=torch.float64)
    a = b + 0.5
    assert ssim_to_input(a, b, window=7).item() == pytest.approx(1e-4 / (0.25 + 1e-4))


def reference_ssim(a: np.ndarray, b: np.ndarray, sigma: float) -> float:
    """scikit-image's structural_similarity(gaussian_weights=True, use_sample_covariance=False,
    data_range=1), written out with scipy's Gaussian filter (truncated at 3.5 sigma, as skimage
    does) and the same crop of the borders: an independent route to the same number."""
    from scipy.ndimage import gaussian_filter
    blur = lambda z: gaussian_filter(z, sigma=sigma, truncate=3.5, mode="reflect")
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    ua, ub = blur(a), blur(b)
    va, vb, vab = blur(a * a) - ua * ua, blur(b * b) - ub * ub, blur(a * b) - ua * ub
    s = (2 * ua * ub + c1) * (2 * vab + c2) / ((ua ** 2 + ub ** 2 + c1) * (va + vb + c2))
    pad = int(3.5 * sigma + 0.5)  # skimage's (win_size - 1) // 2
    return float(s[pad:-pad, pad:-pad].mean())


@pytest.mark.parametrize("window,sigma", [(11, 1.5), (7, 0.9)])
def test_ssim_matches_the_scikit_image_definition(window, sigma):
    """skimage truncates its Gaussian at 3.5 sigma, so a 7x7 window there needs sigma < 1."""
    data = load_dataset("mnist", data_dir=MNIST_MINI)
    _, x01 = to_model_input(data.test.images[:3], data.spec)
    maps = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(1)) ** 2
    x01, maps = x01.double(), maps.double()
    ours = ssim_to_input(maps, x01, window, sigma)
    ref = [reference_ssim(maps[i, 0].numpy(), x01[i, 0].numpy(), sigma) for i in range(3)]
    np.testing.assert_allclose(ours.numpy(), ref, rtol=0, atol=1e-12)


def test_average_drop_and_increase_in_confidence():
    y, o = torch.tensor([0.8, 0.5, 0.2]), torch.tensor([0.4, 0.6, 0.2])
    assert average_drop(y, o).tolist() == pytest.approx([50, 0, 0])
    assert increase_in_confidence(y, o).tolist() == [0, 100, 0]


def test_baselines_and_explanation_image():
    x, maps = img([1.0, 0.5], [0.0, 1.0]), img([0.5, 1.0], [1.0, 0.0])
    assert explanation_image(x, maps).flatten().tolist() == [0.5, 0.5, 0.0, 0.0]
    assert explanation_image(x, maps, 0.25).flatten().tolist() == [0.625, 0.5, 0.0, 0.25]
    impulse = torch.zeros(1, 1, 28, 28)
    impulse[..., 14, 14] = 1
    blurred = baseline_image(impulse, "blur")
    assert blurred.sum().item() == pytest.approx(1, abs=1e-6)       # the whole kernel fits inside
    assert blurred[..., 14, 14].item() == blurred.max().item() < 0.02
    with pytest.raises(ValueError, match="baseline"):
        baseline_image(x, "noise")


def mean_intensity(x01, targets):
    """A stand-in model whose confidence is the image's mean brightness."""
    return x01.flatten(1).mean(dim=1)


def test_deletion_and_insertion_by_hand():
    x = img([1.0, 0.5], [0.25, 0.0])
    maps = x.clone()                      # delete/insert brightest first, one pixel per step
    targets = torch.zeros(1, dtype=torch.long)
    deletion = perturbation_curve(mean_intensity, x, maps, targets, "deletion", n_steps=4)
    insertion = perturbation_curve(mean_intensity, x, maps, targets, "insertion", n_steps=4)
    assert deletion[0].tolist() == pytest.approx([1.75 / 4, 0.75 / 4, 0.25 / 4, 0, 0])
    assert insertion[0].tolist() == pytest.approx([0, 1 / 4, 1.5 / 4, 1.75 / 4, 1.75 / 4])
    assert curve_auc(deletion).item() == pytest.approx(0.1171875)   # 0.25 * sum of trapezoids
    assert curve_auc(insertion).item() == pytest.approx(0.3203125)
    # Two pixels per step; a flat map removes pixels in index order (stable sort).
    flat = perturbation_curve(mean_intensity, x, torch.zeros_like(x), targets, "deletion", n_steps=2)
    assert flat[0].tolist() == pytest.approx([1.75 / 4, 0.25 / 4, 0])
    with pytest.raises(ValueError, match="mode"):
        perturbation_curve(mean_intensity, x, maps, targets, "both")


@pytest.fixture(scope="module")
def eval_model():
    torch.manual_seed(0)
    model = PaperCNN()
    model.train()  # non-trivial BatchNorm statistics
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(32, 1, 28, 28))
    return model.eval()


def test_target_probability_is_the_softmax_of_the_normalised_input(eval_model):
    spec = DATASET_SPECS["mnist"]
    x01 = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    targets = torch.tensor([0, 3, 9, 1, 1])
    expected = eval_model((x01 - spec.mean) / spec.std)[0].softmax(1)[torch.arange(5), targets]
    torch.testing.assert_close(target_probability(eval_model, spec, batch_size=2)(x01, targets),
                               expected.detach())


def test_evaluate_methods_table_on_real_digits(eval_model):
    data = load_dataset("mnist", data_dir=MNIST_MINI)
    kwargs = dict(methods=("grad_cam", "eigen_cam", "random"), n_samples=3, seed=4, n_steps=4)
    table = evaluate_methods(eval_model, data.test.images, data.test.labels, data.spec, **kwargs)
    assert len(table) == 3 * 3 * len(METRICS)
    assert set(table["metric"]) == set(METRICS) and table["score"].notna().all()
    images = sorted(set(table["image"]))
    assert images == sorted(torch.randperm(200, generator=torch.Generator().manual_seed(4))[:3].tolist())
    again = evaluate_methods(eval_model, data.test.images, data.test.labels, data.spec, **kwargs)
    assert table.equals(again)                           # seeded, random baseline included
    # The table's Grad-CAM rows are the metrics of cam.grad_cam on those images.
    x, x01 = to_model_input(data.test.images[images], data.spec)
    labels = data.test.labels[images]
    direct = energy_pointing_game(grad_cam(eval_model, x, labels).detach(), input_mask(x01))
    rows = table[(table.method == "grad_cam") & (table.metric == "energy_pointing_game")]
    np.testing.assert_allclose(rows.sort_values("image")["score"], direct.numpy(), rtol=1e-6)
    eval_model.train()
    try:
        with pytest.raises(ValueError, match="eval mode"):
            evaluate_methods(eval_model, data.test.images, data.test.labels, data.spec, **kwargs)
    finally:
        eval_model.eval()


def test_explanation_scores_cover_every_metric_in_range(eval_model):
    data = load_dataset("mnist", data_dir=MNIST_MINI)
    x, x01 = to_model_input(data.test.images[:4], data.spec)
    maps = grad_cam(eval_model, x, data.test.labels[:4])
    scores = explanation_scores(maps, x01, data.test.labels[:4], target_probability(eval_model, data.spec),
                                n_steps=4, baseline="blur")
    assert set(scores) == set(METRICS)
    for name in ("pointing_game", "energy_pointing_game", "topk_iou", "deletion_auc", "insertion_auc"):
        assert ((scores[name] >= 0) & (scores[name] <= 1)).all(), name
    assert ((scores["average_drop"] >= 0) & (scores["average_drop"] <= 100)).all()
