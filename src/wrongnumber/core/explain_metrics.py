"""Quantitative explanation metrics, batched in torch, and the per-image scores table.

Shapes: `maps` (B, 1, H, W) in [0, 1] (a CAM after `cam_methods.cam_maps`), `x01` (B, C, H, W)
the input in [0, 1], `masks` (B, 1, H, W) bool. Every metric returns one score per image (B,);
`METRICS` says for each whether higher or lower is better.

MNIST-like data has a ground-truth region: the digit, `input_mask(x01)` = every pixel brighter
than 0. A map with no energy at all (a flat 0 map) is treated as uniform everywhere below, so it
scores chance level instead of NaN.

The faithfulness metrics perturb the input in [0, 1] pixel space towards a `baseline` image:
"black" (zeros: the MNIST background, so removing a pixel erases ink), "blur" (an 11x11 Gaussian
blur with sigma 5 and zero padding, Petsiuk et al.'s insertion start), or a float (a constant
grey level, e.g. the dataset mean, which is what 0 in normalised space means).
"""
from __future__ import annotations

import math

import pandas as pd
import torch
import torch.nn.functional as F

from .cam import select_targets
from .cam_methods import METHODS, cam_maps
from .data import to_model_input

METRICS = {  # name -> higher is better?
    "pointing_game": True, "energy_pointing_game": True, "topk_iou": True,
    "average_drop": False, "increase_in_confidence": True,
    "deletion_auc": False, "insertion_auc": True,
    "sparseness": True, "complexity": False,
    "l1_to_input": False, "l2_to_input": False, "ssim_to_input": True,
}
BASELINES = ("black", "blur")  # or a float grey level
SSIM_K1, SSIM_K2 = 0.01, 0.03  # Wang et al. 2004's constants


def input_mask(x01: torch.Tensor) -> torch.Tensor:
    """The ground-truth region (B, 1, H, W): pixels with any ink, x > 0 in some channel."""
    return (x01 > 0).any(dim=1, keepdim=True)


def _distribution(maps: torch.Tensor) -> torch.Tensor:
    """(B, H*W) map / its sum; uniform where the map has no energy."""
    flat = maps.flatten(1)
    total = flat.sum(dim=1, keepdim=True)
    uniform = torch.full_like(flat, 1.0 / flat.shape[1])
    return torch.where(total > 0, flat / total.clamp_min(torch.finfo(flat.dtype).tiny), uniform)


# ---- localisation on the input mask ----

def pointing_game(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Zhang et al. 2018: 1 if the map's maximum lies inside the mask, else 0; higher is better.
    Where several pixels share the maximum, the share of them inside (a flat map scores the
    mask's area fraction, not an artefact of scan order)."""
    flat, inside = maps.flatten(1), masks.flatten(1)
    at_max = flat == flat.amax(dim=1, keepdim=True)
    return (at_max & inside).sum(dim=1) / at_max.sum(dim=1)


def energy_pointing_game(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Energy-based pointing game (Wang et al. 2020, Score-CAM) = the share of the map's energy
    inside the mask: sum_{p in mask} L_p / sum_p L_p, in [0, 1]; higher is better."""
    return (_distribution(maps) * masks.flatten(1)).sum(dim=1)


def topk_iou(maps: torch.Tensor, masks: torch.Tensor, k_percent: float = 20.0) -> torch.Tensor:
    """IoU of the map's top k % pixels with the mask: |T & M| / |T | M|; higher is better.
    T = pixels >= the value of the ceil(k% * H*W)-th largest, so ties at that threshold all
    count (device-independent). k = 20 % is about an MNIST digit's area."""
    flat, inside = maps.flatten(1), masks.flatten(1)
    n_top = max(1, math.ceil(k_percent * flat.shape[1] / 100 - 1e-9))  # 1e-9: float noise in k*n/100
    top = flat >= flat.topk(n_top, dim=1).values[:, -1:]
    return (top & inside).sum(dim=1) / (top | inside).sum(dim=1)


# ---- complexity / sparseness ----

def sparseness(maps: torch.Tensor) -> torch.Tensor:
    """Gini index of the map (Chalasani et al. 2020): with the n values sorted ascending,
    G = sum_i (2i - n - 1) a_(i) / (n sum a), from 0 (uniform) to 1 - 1/n (one pixel);
    higher is better (a more concise explanation)."""
    p = _distribution(maps).sort(dim=1).values
    n = p.shape[1]
    i = torch.arange(1, n + 1, device=p.device, dtype=p.dtype)
    return ((2 * i - n - 1) * p).sum(dim=1) / n


def map_complexity(maps: torch.Tensor) -> torch.Tensor:
    """Entropy of the map as a distribution (Bhatt et al. 2020): -sum_p q_p ln q_p with
    q = L / sum L, in nats, from 0 (one pixel) to ln(H*W) (uniform); lower is better."""
    p = _distribution(maps)
    return -torch.xlogy(p, p).sum(dim=1)


# ---- similarity of the map to the input (the paper's contrastive target) ----

def l1_to_input(maps: torch.Tensor, x01: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference, mean_p |L_p - x_p|, in [0, 1]; lower is better (closer)."""
    return (maps - x01).abs().flatten(1).mean(dim=1)


def l2_to_input(maps: torch.Tensor, x01: torch.Tensor) -> torch.Tensor:
    """Root-mean-square difference, sqrt(mean_p (L_p - x_p)^2), in [0, 1]; lower is better."""
    return (maps - x01).pow(2).flatten(1).mean(dim=1).sqrt()


def gaussian_kernel(window: int, sigma: float, dtype=torch.float32, device=None) -> torch.Tensor:
    """Normalised 1-D Gaussian of odd length `window` (the separable factor of the 2-D window)."""
    x = torch.arange(window, dtype=dtype, device=device) - (window - 1) / 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def _gaussian_filter(x: torch.Tensor, g: torch.Tensor, padding: int) -> torch.Tensor:
    """Separable 2-D Gaussian filtering of every channel of (N, C, H, W)."""
    c, n = x.shape[1], g.numel()
    x = F.conv2d(x, g.view(1, 1, n, 1).expand(c, 1, n, 1), padding=(padding, 0), groups=c)
    return F.conv2d(x, g.view(1, 1, 1, n).expand(c, 1, 1, n), padding=(0, padding), groups=c)


def ssim_to_input(maps: torch.Tensor, x01: torch.Tensor, window: int = 11, sigma: float = 1.5,
                  data_range: float = 1.0) -> torch.Tensor:
    """Mean SSIM (Wang et al. 2004) with a Gaussian window (11x11, sigma 1.5 as in the paper;
    window=7 for a 7x7 one), over the positions where the window fits (no padding):

        SSIM = (2 mu_a mu_b + C1)(2 cov_ab + C2) / ((mu_a^2 + mu_b^2 + C1)(var_a + var_b + C2)),
        C1 = (0.01 R)^2, C2 = (0.03 R)^2, R = data_range,

    with window-weighted means, variances and covariance; in [-1, 1], higher is better.
    Equals skimage's structural_similarity(gaussian_weights=True, use_sample_covariance=False)."""
    a, b = torch.broadcast_tensors(maps, x01)
    c = a.shape[1]
    g = gaussian_kernel(window, sigma, a.dtype, a.device)
    stats = _gaussian_filter(torch.cat([a, b, a * a, b * b, a * b], dim=1), g, 0)
    mu_a, mu_b, aa, bb, ab = stats.split(c, dim=1)
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    var_a, var_b, cov = aa - mu_a ** 2, bb - mu_b ** 2, ab - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return s.flatten(1).mean(dim=1)


# ---- faithfulness: what happens to the model's confidence when the input is perturbed ----

def baseline_image(x01: torch.Tensor, baseline: str | float = "black") -> torch.Tensor:
    """What a removed pixel becomes (see the module docstring)."""
    if baseline == "black":
        return torch.zeros_like(x01)
    if baseline == "blur":
        return _gaussian_filter(x01, gaussian_kernel(11, 5.0, x01.dtype, x01.device), 5)
    if isinstance(baseline, (int, float)) and not isinstance(baseline, bool):
        return torch.full_like(x01, float(baseline))
    raise ValueError(f"baseline must be one of {BASELINES} or a grey level, got {baseline!r}")


def target_probability(model, spec, batch_size: int = 1024):
    """score_fn(x01 (N, C, H, W), targets (N,)) -> softmax probability of each target (N,),
    normalising as the model was trained (`spec` mean/std) and without autograd."""
    def score_fn(x01: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        out = []
        with torch.no_grad():
            for i in range(0, len(targets), batch_size):
                logits = model((x01[i:i + batch_size] - spec.mean) / spec.std)[0]
                out.append(logits.softmax(dim=1).gather(1, targets[i:i + batch_size, None])[:, 0])
        return torch.cat(out)
    return score_fn


def average_drop(p_full: torch.Tensor, p_expl: torch.Tensor) -> torch.Tensor:
    """Chattopadhay et al. 2018: 100 * max(0, Y - O) / Y per image (Y: confidence on the image,
    O: on the explanation-masked image); the paper's number is the mean; lower is better."""
    return 100 * (p_full - p_expl).clamp_min(0) / p_full


def increase_in_confidence(p_full: torch.Tensor, p_expl: torch.Tensor) -> torch.Tensor:
    """Chattopadhay et al. 2018: 100 * [Y < O] per image, so the mean is the paper's % of images
    whose confidence rises when only the explanation is shown; higher is better."""
    return 100 * (p_full < p_expl).to(p_full.dtype)


def explanation_image(x01: torch.Tensor, maps: torch.Tensor, baseline="black") -> torch.Tensor:
    """E o I of Chattopadhay et al.: x * L + baseline * (1 - L) (just x * L on black)."""
    return x01 * maps + baseline_image(x01, baseline) * (1 - maps)


def perturbation_curve(score_fn, x01: torch.Tensor, maps: torch.Tensor, targets: torch.Tensor,
                       mode: str, n_steps: int = 28, baseline="black") -> torch.Tensor:
    """Petsiuk et al. 2018 (RISE): the target's confidence (B, n_steps + 1) while the pixels are
    deleted (replaced by the baseline) or inserted (into the baseline) in decreasing order of
    the map, floor(s * H*W / n_steps) pixels after step s. Ties keep pixel order (stable sort)."""
    if mode not in ("deletion", "insertion"):
        raise ValueError(f"mode must be 'deletion' or 'insertion', got {mode!r}")
    b, hw = x01.shape[0], maps[0].numel()
    order = maps.flatten(1).argsort(dim=1, descending=True, stable=True)
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(hw, device=order.device).expand(b, hw))
    rank = rank.view(b, 1, *maps.shape[-2:])
    base = baseline_image(x01, baseline)
    first, second = (base, x01) if mode == "deletion" else (x01, base)
    curve = [score_fn(torch.where(rank < s * hw // n_steps, first, second), targets)
             for s in range(n_steps + 1)]
    return torch.stack(curve, dim=1)


def curve_auc(curve: torch.Tensor) -> torch.Tensor:
    """Trapezoidal area under (B, n_steps + 1) on [0, 1] (share of pixels perturbed)."""
    return torch.trapezoid(curve, dx=1.0 / (curve.shape[1] - 1), dim=1)


def explanation_scores(maps: torch.Tensor, x01: torch.Tensor, targets: torch.Tensor, score_fn, *,
                       n_steps: int = 28, baseline="black", k_percent: float = 20.0,
                       ssim_window: int = 11) -> dict[str, torch.Tensor]:
    """Every metric of `METRICS` for one batch: {name: (B,)}."""
    masks = input_mask(x01)
    p_full = score_fn(x01, targets)
    p_expl = score_fn(explanation_image(x01, maps, baseline), targets)
    curves = {m: perturbation_curve(score_fn, x01, maps, targets, m, n_steps, baseline)
              for m in ("deletion", "insertion")}
    return {
        "pointing_game": pointing_game(maps, masks),
        "energy_pointing_game": energy_pointing_game(maps, masks),
        "topk_iou": topk_iou(maps, masks, k_percent),
        "average_drop": average_drop(p_full, p_expl),
        "increase_in_confidence": increase_in_confidence(p_full, p_expl),
        "deletion_auc": curve_auc(curves["deletion"]),
        "insertion_auc": curve_auc(curves["insertion"]),
        "sparseness": sparseness(maps),
        "complexity": map_complexity(maps),
        "l1_to_input": l1_to_input(maps, x01),
        "l2_to_input": l2_to_input(maps, x01),
        "ssim_to_input": ssim_to_input(maps, x01, ssim_window),
    }


def evaluate_methods(model, images_u8: torch.Tensor, labels: torch.Tensor, spec,
                     methods=METHODS, n_samples: int | None = None, seed: int = 0, *,
                     cam_target: str = "label", n_steps: int = 28, baseline="black",
                     k_percent: float = 20.0, ssim_window: int = 11, batch_size: int = 256,
                     cam_batch_size: int = 512) -> pd.DataFrame:
    """Scores of every method on the same images: a long table with one row per (method, image,
    metric) and columns method, image (index into `images_u8`), label, target, metric, score.

    `n_samples` images are drawn without replacement by a randperm seeded with `seed` (all when
    None); `seed` also seeds the random baseline, so the table is a function of the arguments
    (`batch_size` included: the baseline's draws follow the batches). The model must already be
    in eval mode. Every (method, batch) costs 2 * (n_steps + 2) forwards of the batch, plus
    K per image for Score-CAM.
    """
    if model.training:
        raise ValueError("evaluate_methods needs the model in eval mode (call model.eval() first): "
                         "in train mode dropout makes every map and score random")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {METHODS}")
    device = next(model.parameters()).device
    n = len(labels)
    pick = torch.arange(n) if n_samples is None or n_samples >= n else \
        torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:n_samples].sort().values
    score_fn = target_probability(model, spec, batch_size)
    generator = torch.Generator().manual_seed(seed)
    parts = []
    for i in range(0, len(pick), batch_size):
        idx = pick[i:i + batch_size]
        x, x01 = to_model_input(images_u8[idx.to(images_u8.device)].to(device), spec)
        y = labels[idx.to(labels.device)].to(device)
        with torch.no_grad():
            targets = select_targets(model(x)[0], y, cam_target)
        for method in methods:
            maps = cam_maps(model, x, targets, method, batch_size=cam_batch_size, generator=generator)
            scores = explanation_scores(maps, x01, targets, score_fn, n_steps=n_steps,
                                        baseline=baseline, k_percent=k_percent, ssim_window=ssim_window)
            values = torch.stack([v.double() for v in scores.values()]).cpu().numpy()  # one sync
            for metric, row in zip(scores, values):
                parts.append(pd.DataFrame({"method": method, "image": idx.numpy(), "label": y.cpu().numpy(),
                                           "target": targets.cpu().numpy(), "metric": metric, "score": row}))
    return pd.concat(parts, ignore_index=True)
