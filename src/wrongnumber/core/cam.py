"""Batched, stateless Grad-CAM (Selvaraju et al. 2017) that training can differentiate through.

    weights_k = mean_{i,j} d(sum_b score_b) / dA_k[b,i,j]     (one autograd.grad call per batch)
    cam       = ReLU(sum_k weights_k * A_k)                   (B, h, w), e.g. 7 x 7
    map       = minmax(bicubic_upsample(cam))                 (B, 1, 28, 28), in [0, 1] per image

Summing the target scores over the batch gives every image its own gradient in one backward
pass, because nothing after the CAM layer mixes images (pooling, dropout and the linear layers
act per image; BatchNorm sits *before* the CAM layer). No hooks, no `model.eval()`, no
per-image loop.

The package's one Grad-CAM: training, validation, the probes, evaluation and the method study
(cam_methods.cam_raw(..., "grad_cam")) all call `grad_cam_raw`.

The bicubic upsampling is a fixed linear map, so it is precomputed once as a matrix: its
forward equals `F.interpolate(..., mode="bicubic", align_corners=False)` and its backward is a
matmul, which stays deterministic on CUDA (the native bicubic backward uses atomic adds).
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

CAM_TARGETS = ("label", "prediction")          # which class the map explains
CAM_WEIGHTS = ("detached", "differentiable")   # do the channel weights carry gradient?
MINMAX_EPS = 1e-7                              # keeps a flat (all-zero) map at 0 instead of 0/0


def full_precision(t: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16 (a model under autocast) -> float32; float32 and float64 as they are."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


@functools.lru_cache(maxsize=16)
def bicubic_matrix(h: int, w: int, out_h: int, out_w: int,
                   device: torch.device = torch.device("cpu"),
                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(h*w, out_h*out_w) matrix M with upsample(x).flatten() == x.flatten() @ M."""
    basis = torch.eye(h * w, dtype=torch.float64).view(h * w, 1, h, w)  # one image per input pixel
    m = F.interpolate(basis, size=(out_h, out_w), mode="bicubic", align_corners=False)
    return m.view(h * w, out_h * out_w).to(device=device, dtype=dtype)


def upsample(cams: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, h, w) -> (B, 1, H, W) bicubic, as one matmul."""
    b, h, w = cams.shape
    m = bicubic_matrix(h, w, size[0], size[1], cams.device, cams.dtype)
    return (cams.reshape(b, h * w) @ m).view(b, 1, *size)


def minmax_scale(maps: torch.Tensor) -> torch.Tensor:
    """Scale each image of (B, 1, H, W) to [0, 1]."""
    lo = maps.amin(dim=(2, 3), keepdim=True)
    hi = maps.amax(dim=(2, 3), keepdim=True)
    return (maps - lo) / (hi - lo + MINMAX_EPS)


def select_targets(logits: torch.Tensor, labels: torch.Tensor, cam_target: str) -> torch.Tensor:
    """Class index each map explains: the true label or the model's prediction."""
    if cam_target == "label":
        return labels
    if cam_target == "prediction":
        return logits.detach().argmax(dim=1)
    raise ValueError(f"cam_target must be one of {CAM_TARGETS}, got {cam_target!r}")


def forward_for_cam(model: torch.nn.Module, images: torch.Tensor):
    """(logits, feats, site): the forward and the tensor whose gradient gives the channel weights.

    `site` is the model's own choice (`forward_cam`, e.g. the paper CNN's max-pool of the CAM
    layer) where per channel its gradient sums to that of `feats`; else `feats` itself.
    """
    if hasattr(model, "forward_cam"):
        return model.forward_cam(images)
    logits, feats = model(images)
    return logits, feats, feats


def grad_cam_raw(logits: torch.Tensor, feats: torch.Tensor, targets: torch.Tensor,
                 weights: str = "detached", site: torch.Tensor | None = None) -> torch.Tensor:
    """Unscaled Grad-CAM at the feature resolution, (B, h, w), from one forward's outputs.

    `weights="detached"` treats the channel weights as constants (what a hook captures: the
    loss then reaches the network only through the activations); `"differentiable"` builds the
    gradient graph (create_graph=True), so the loss also trains through the weights. `site`
    (default `feats`, see `forward_for_cam`) is the tensor differentiated.
    """
    if weights not in CAM_WEIGHTS:
        raise ValueError(f"cam_weights must be one of {CAM_WEIGHTS}, got {weights!r}")
    score = logits.gather(1, targets.view(-1, 1)).sum()
    (grads,) = torch.autograd.grad(score, feats if site is None else site, retain_graph=True,
                                   create_graph=weights == "differentiable")
    # alpha_k = mean over the h x w positions of dS/dA_k. The map in float32 even when the
    # network ran under bf16 autocast (a no-op on float32 and float64 tensors).
    alpha = full_precision(grads).sum(dim=(2, 3)) / (feats.shape[2] * feats.shape[3])  # (B, K)
    # The channel sum taken last in (B, h, w, K) order: with channels_last activations the
    # product and its gradient keep their memory layout, so R's backward adds no NCHW<->NHWC
    # copies (an NCHW-order sum costs ~2 ms per batch-64 step; an einsum, a slow batched gemv).
    weighted = full_precision(feats).permute(0, 2, 3, 1) * alpha[:, None, None, :]  # (B, h, w, K)
    return F.relu(weighted.sum(dim=-1))                        # (B, h, w)


def grad_cam_from_outputs(logits: torch.Tensor, feats: torch.Tensor, targets: torch.Tensor,
                          weights: str = "detached", size: tuple[int, int] = (28, 28),
                          site: torch.Tensor | None = None) -> torch.Tensor:
    """Scaled Grad-CAM maps (B, 1, H, W) in [0, 1], reusing a forward pass (the training path)."""
    return minmax_scale(upsample(grad_cam_raw(logits, feats, targets, weights, site), size))


def grad_cam(model: torch.nn.Module, images: torch.Tensor, targets: torch.Tensor,
             weights: str = "detached") -> torch.Tensor:
    """Grad-CAM maps (B, 1, H, W) of `model` (forward -> (logits, feats)) for `targets` (B,).

    Runs its own forward with gradients enabled, so it also works under `torch.no_grad()`;
    the model's train/eval mode is left as the caller set it.
    """
    with torch.enable_grad():
        logits, feats, site = forward_with_graph(model, images)
        return grad_cam_from_outputs(logits, feats, targets, weights, tuple(images.shape[-2:]), site)


def logits_and_cams(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
                    cam_target: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (B, C), maps (B, 1, H, W)), both detached, from ONE forward: the class each map
    explains (`select_targets`) is read from these logits, so evaluation needs no second,
    gradient-free forward to pick it. Equal to a no-grad forward followed by `grad_cam`."""
    with torch.enable_grad():
        logits, feats, site = forward_with_graph(model, images)
        maps = grad_cam_from_outputs(logits, feats, select_targets(logits, labels, cam_target),
                                     size=tuple(images.shape[-2:]), site=site)
    return logits.detach(), maps.detach()


def forward_with_graph(model: torch.nn.Module, images: torch.Tensor):
    """`forward_for_cam` whose features have a graph to differentiate, even with frozen parameters."""
    out = forward_for_cam(model, images)
    if not out[2].requires_grad:  # frozen parameters: still give the features a graph
        out = forward_for_cam(model, images.detach().requires_grad_(True))
    return out
