"""The paper's CNN.

Three blocks of conv 3x3 (padding 1) -> BatchNorm -> ReLU -> maxpool 2 with 32/64/128 filters,
dropout, then FC 1152 -> 256 -> ReLU -> FC 256 -> 10. 390,858 parameters; 7,748,608
multiply-accumulates per 28x28 image (convolutions and linear layers).

Blocks 1 and 2 apply the max-pool before the ReLU by default: ReLU is monotonic, so
max(ReLU(x)) = ReLU(max(x)), and both orders give the same values and the same gradients, bit for
bit (tests/test_models.py); pooling first runs the ReLU and its backward on a quarter of the
pixels. `relu_before_pool=True` builds the Methods section's order (what Table 2's operation
counts describe). Block 3 always keeps it: its ReLU output at 7x7 is the CAM layer.

`forward` returns the logits *and* the last conv block's activations (after its ReLU, before
its pooling: 128 x 7 x 7). Grad-CAM differentiates the class score with respect to that tensor,
so the model needs no hooks and no global state.
"""
from __future__ import annotations

import torch
from torch import nn


class ConvBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, relu_before_pool: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(c_out)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.relu_before_pool = relu_before_pool

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))  # the block's activations, before pooling

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # = pool(features(x)), see above
        if self.relu_before_pool:
            return self.pool(self.features(x))
        return self.act(self.pool(self.bn(self.conv(x))))


class PaperCNN(nn.Module):
    """CNN of Ignesti, Martinelli & Moroni (2024), Methods section."""

    cam_layer = "block3.act"  # module whose output `forward` returns as the CAM features
    cam_hw = 7                # its side: the CAM's resolution before upsampling
    cam_batch_exact = True    # nothing after it mixes the images of a batch (see cam.py)

    def __init__(self, num_classes: int = 10, dropout: float = 0.5, relu_before_pool: bool = False):
        super().__init__()
        self.block1 = ConvBlock(1, 32, relu_before_pool)     # 28x28 -> 14x14
        self.block2 = ConvBlock(32, 64, relu_before_pool)    # 14x14 -> 7x7
        self.block3 = ConvBlock(64, 128)   # 7x7 -> 3x3 (floor), CAM taken at 7x7
        self.dropout = nn.Dropout(dropout)
        self.fc1 = nn.Linear(128 * 3 * 3, 256)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(256, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.trunk(x)              # (B, 128, 7, 7)
        return self.head(feats), feats

    def forward_cam(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`forward` plus the tensor Grad-CAM differentiates (cam.py): the max-pool of the CAM
        layer. A non-overlapping max-pool hands each pooled gradient, unscaled, to one of the
        positions it pools, so per channel the pooled gradients sum to the CAM layer's gradients;
        Grad-CAM's weights (their spatial mean) then need no max-pool backward, which on CPU is a
        7x7 scatter plus two NHWC<->NCHW copies per batch."""
        feats = self.trunk(x)              # (B, 128, 7, 7)
        pooled = self.block3.pool(feats)   # (B, 128, 3, 3)
        return self.classifier(pooled), feats, pooled

    # The forward in two halves split at the CAM layer, so that `--compile` can compile each on
    # its own: Grad-CAM needs d(score)/d(feats), which one graph over the whole forward hides.
    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block1(x)                 # (B, 32, 14, 14)
        x = self.block2(x)                 # (B, 64, 7, 7)
        return self.block3.features(x)     # (B, 128, 7, 7)

    def head(self, feats: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.block3.pool(feats))

    def classifier(self, pooled: torch.Tensor) -> torch.Tensor:
        x = self.dropout(torch.flatten(pooled, 1))  # (B, 1152)
        return self.fc2(self.act(self.fc1(x)))      # (B, 10)


def build_model(name: str = "paper_cnn", **kwargs) -> nn.Module:
    """Model registry: later backbones register here under their config name."""
    if name not in MODELS:
        raise ValueError(f"unknown backbone {name!r}; choose one of {sorted(MODELS)}")
    return MODELS[name](**kwargs)


def described_model(name: str = "paper_cnn") -> nn.Module:
    """The model with its operations in the order its paper describes them: what operation
    counts such as Table 2's FLOPs are about (complexity.py); the same function as `build_model`."""
    return build_model(name, **AS_DESCRIBED.get(name, {}))


MODELS = {"paper_cnn": PaperCNN}
AS_DESCRIBED = {"paper_cnn": {"relu_before_pool": True}}

# The extension's backbones (backbones.py imports nothing from here, so no import cycle).
from .backbones import BACKBONES  # noqa: E402

MODELS.update(BACKBONES)
