"""The CAM method family, batched, as small variations of one base.

Every method builds a raw map at the CAM layer's resolution from the activations A (B, K, h, w)
that `model(x) -> (logits, feats)` returns, optionally with dS/dA (S = the target class's logit):

    raw  = ReLU(sum_k w_k * A_k)          w: (B, K, 1, 1) channel weights, or (B, K, h, w) per pixel
    map  = minmax(bicubic_upsample(raw))  (B, 1, H, W) in [0, 1], the same as `cam.grad_cam`

so a method is only its weight function (Eigen-CAM: w = the first principal component, applied
to the channel-centred A). Gradients come from one `torch.autograd.grad` of the batch-summed
target logits, exact per image because in eval mode nothing after the CAM layer mixes images;
Score-CAM needs forward passes of masked inputs instead, Eigen-CAM neither. No hooks, no numpy,
no mode switches: the caller puts the model in eval mode (in train mode dropout makes every map
random, and BatchNorm mixes the images of a batch, Score-CAM's masked copies included).

Each weight function matches the `grad-cam` package's class of the same name (tests compare the
raw maps before resizing; resizing differs on purpose: grad-cam resizes with OpenCV bilinear,
this package with the bicubic matrix of `cam.py`).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .cam import forward_with_graph, full_precision as _full_precision, grad_cam_raw, minmax_scale, upsample

GRAD_CAM_PP_EPS = 1e-6   # grad-cam's guard in Grad-CAM++'s alpha denominator
XGRAD_CAM_EPS = 1e-7     # grad-cam's guard in XGrad-CAM's sum-of-activations denominator
SCORE_CAM_EPS = 1e-8     # grad-cam's guard when min-max scaling Score-CAM's masks


# ---- gradient weights: w(A, G) with G = dS/dA, both (B, K, h, w) ----

def grad_cam_pp_weights(acts: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """Grad-CAM++ (Chattopadhay et al. 2018): w_k = sum_ij alpha_kij * ReLU(G_kij) with the
    closed-form alpha of their Eq. 19 (higher derivatives as powers of the first one),

        alpha_kij = G^2 / (2 G^2 + sum_ab A_kab * G^3),   alpha = 0 where G = 0.
    """
    g2 = grads ** 2
    sum_a = acts.sum(dim=(2, 3), keepdim=True)                       # (B, K, 1, 1)
    alpha = g2 / (2 * g2 + sum_a * g2 * grads + GRAD_CAM_PP_EPS)
    alpha = torch.where(grads != 0, alpha, torch.zeros_like(alpha))
    return (F.relu(grads) * alpha).sum(dim=(2, 3), keepdim=True)


def xgrad_cam_weights(acts: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """XGrad-CAM (Fu et al. 2020, the weights derived from their Sensitivity and Conservation
    axioms): w_k = sum_ij (A_kij / sum_ab A_kab) * G_kij. Made for ReLU'd activations: at a
    tap with signed ones (ConvNeXt) a channel's sum can come near 0 and its weight blow up."""
    sum_a = acts.sum(dim=(2, 3), keepdim=True)
    return (grads * acts / (sum_a + XGRAD_CAM_EPS)).sum(dim=(2, 3), keepdim=True)


def hires_cam_weights(acts: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """HiResCAM (Draelos & Carin 2020): the gradient itself, per pixel: raw = ReLU(sum_k G_k * A_k),
    which (unlike Grad-CAM's spatial mean) provably keeps the locations the score used."""
    return grads


def layer_cam_weights(acts: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """LayerCAM (Jiang et al. 2021): per-pixel weights w_kij = ReLU(G_kij)."""
    return F.relu(grads)


# Grad-CAM itself (Selvaraju et al. 2017, Eq. 1: w_k = mean_ij G_kij) is not a weight function
# here: `cam_raw` calls cam.grad_cam_raw, the very code training uses, so there is one Grad-CAM.
GRADIENT_WEIGHTS = {
    "grad_cam_pp": grad_cam_pp_weights,
    "xgrad_cam": xgrad_cam_weights,
    "hires_cam": hires_cam_weights,
    "layer_cam": layer_cam_weights,
}
METHODS = ("grad_cam", *GRADIENT_WEIGHTS, "score_cam", "eigen_cam", "random")


# ---- gradient-free weights ----

def score_cam_weights(model, images: torch.Tensor, acts: torch.Tensor, targets: torch.Tensor,
                      batch_size: int = 512) -> torch.Tensor:
    """Score-CAM (Wang et al. 2020, Algorithm 1): w_k = softmax_k( S(X * H_k) ), where H_k is
    channel k upsampled to the input size and min-max scaled to [0, 1], S the target logit.

    The softmax over channels makes the paper's baseline term f(X_b) cancel. As in grad-cam, the
    masks are bilinear with align_corners=True, and they multiply the *model input* (normalised
    images), so a masked-out pixel becomes 0 in normalised space: the dataset-mean grey, not black.
    The B*K masked inputs run `batch_size` at a time; (B, K, 1, 1) weights come back.
    """
    b, k = acts.shape[:2]
    masks = F.interpolate(acts, size=images.shape[-2:], mode="bilinear", align_corners=True)
    lo = masks.amin(dim=(2, 3), keepdim=True)
    hi = masks.amax(dim=(2, 3), keepdim=True)
    masks = ((masks - lo) / (hi - lo + SCORE_CAM_EPS)).flatten(0, 1)  # (B*K, H, W)
    owner = torch.arange(b * k, device=images.device) // k             # image of each masked copy
    scores = []
    with torch.no_grad():
        for i in range(0, b * k, batch_size):
            idx = owner[i:i + batch_size]
            masked = images[idx] * masks[i:i + batch_size, None]        # (n, C, H, W)
            logits = model(masked)[0]
            scores.append(_full_precision(logits.gather(1, targets[idx].view(-1, 1)).squeeze(1)))
    return torch.cat(scores).view(b, k).softmax(dim=1)[:, :, None, None]


def eigen_cam_raw(acts: torch.Tensor) -> torch.Tensor:
    """Eigen-CAM (Muhammad & Yeasin 2020): the projection of the activations on their first
    principal component, class-agnostic (no target, no gradient).

    With X = the (h*w, K) activations of one image, centred per channel as grad-cam does, and
    v = the first right singular vector of X: raw = ReLU(X v) reshaped to (h, w). An SVD fixes v
    only up to sign; grad-cam keeps whatever sign LAPACK returns, which can differ between
    libraries and devices. Here v is oriented so that sum_k v_k >= 0, which is the same as asking
    the projection to correlate positively with the channel-summed activation map (for the top
    eigenvector, cov(Xv, X 1) = sigma_1^2 * sum_k v_k): the map lights up where features fire.
    """
    b, k, h, w = acts.shape
    x = acts.flatten(2).transpose(1, 2)                                 # (B, h*w, K)
    x = x - x.mean(dim=1, keepdim=True)
    v = torch.linalg.svd(x, full_matrices=False).Vh[:, 0, :]            # (B, K), batched SVD
    v = torch.where(v.sum(dim=1, keepdim=True) < 0, -v, v)
    return F.relu((x @ v.unsqueeze(2)).view(b, h, w))


def random_weights(acts: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """The random-map baseline, as grad-cam's RandomCAM: w_k ~ U(-1, 1) per image and channel.

    Drawn on the CPU from `generator` and then moved, so a seed gives the same maps on any
    device. The map still follows the activations (it is a random mix of real feature maps),
    which makes it a stronger baseline than pixel noise: a method must beat feature structure
    without class information.
    """
    b, k = acts.shape[:2]
    w = torch.rand(b, k, generator=generator, dtype=torch.float64) * 2 - 1
    return w.to(device=acts.device, dtype=acts.dtype)[:, :, None, None]


# ---- the base ----

def activations_and_grads(model, images: torch.Tensor, targets: torch.Tensor,
                          need_grads: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(A, dS/dA), both detached (B, K, h, w), from one forward (and one autograd.grad)."""
    if not need_grads:
        with torch.no_grad():
            return _full_precision(model(images)[1]), None
    with torch.enable_grad():
        logits, feats, _ = forward_with_graph(model, images)
        score = logits.gather(1, targets.view(-1, 1)).sum()
        (grads,) = torch.autograd.grad(score, feats)
    return _full_precision(feats.detach()), _full_precision(grads)


def cam_raw(model, images: torch.Tensor, targets: torch.Tensor, method: str = "grad_cam", *,
            batch_size: int = 512, generator: torch.Generator | None = None) -> torch.Tensor:
    """Unscaled map (B, h, w) >= 0 at the CAM layer's resolution: what grad-cam's
    `get_cam_image` + ReLU computes, before any resizing.

    `targets` (B,) are the explained classes (ignored by Eigen-CAM); `batch_size` bounds
    Score-CAM's masked forwards; `generator` seeds the random baseline (None: torch's global RNG).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "grad_cam":  # the very Grad-CAM that training uses (cam.py)
        with torch.enable_grad():
            logits, feats, site = forward_with_graph(model, images)
            return grad_cam_raw(logits, feats, targets, site=site).detach()
    acts, grads = activations_and_grads(model, images, targets, need_grads=method in GRADIENT_WEIGHTS)
    if method == "eigen_cam":
        return eigen_cam_raw(acts)
    if method in GRADIENT_WEIGHTS:
        w = GRADIENT_WEIGHTS[method](acts, grads)
    elif method == "score_cam":
        w = score_cam_weights(model, images.detach(), acts, targets, batch_size)
    else:
        w = random_weights(acts, generator)
    return F.relu((w * acts).sum(dim=1))                                # (B, h, w)


def cam_maps(model, images: torch.Tensor, targets: torch.Tensor, method: str = "grad_cam", *,
             size: tuple[int, int] | None = None, batch_size: int = 512,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Maps (B, 1, H, W) in [0, 1] of `method` for `targets` (B,); H, W = the input's size unless
    `size` is given. Upsampling and scaling are `cam.upsample` and `cam.minmax_scale`, so
    `method="grad_cam"` equals `cam.grad_cam`. Works under `torch.no_grad()`."""
    raw = cam_raw(model, images, targets, method, batch_size=batch_size, generator=generator)
    return minmax_scale(upsample(raw, size or tuple(images.shape[-2:])))
