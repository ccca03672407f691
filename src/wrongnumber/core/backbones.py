"""Backbones of the 2025 extension ("You've Got the Wrong Outfit"), adapted to 1 x 28 x 28 input.

Each model keeps the contract of `models.PaperCNN`: `forward(x) -> (logits, feats)`, where
`feats` is the output of the stage named by the constructor option `cam_layer`. The CAM layer
is a tap, not a truncation: the logits always come from the whole network.

ResNet-18 (torchvision's `ResNet` and `BasicBlock`, 11,172,810 parameters). The 7x7 stride-2
stem and the max-pool shrink a 28x28 digit to 7x7 before the first block, so the stem is a
3x3 stride-1 conv and the max-pool is dropped (as CIFAR ResNets do). Stage outputs:

    stem 64 x 28x28 -> layer1 64 x 28x28 -> layer2 128 x 14x14 -> layer3 256 x 7x7
                    -> layer4 512 x 4x4 -> avgpool -> dropout -> fc 512 -> 10

ResNet-18 without skips (10,998,986 parameters): the same network whose blocks return
relu(bn2(conv2(relu(bn1(conv1(x)))))) without adding the identity; the three downsample
branches (1x1 conv + BatchNorm, 173,824 parameters) exist only to shape the skip, so they are
not built. Same depth, widths and resolutions: only the skip connections differ.

ConvNeXt: torchvision's `convnext_tiny` has 28 M parameters and, with a 2x2 stem, would
reach 1x1 by its last stage on 28x28 input, so this is a small ConvNeXt-style network built
from torchvision's own `CNBlock` and `LayerNorm2d` (559,946 parameters), with ConvNeXt's
patchify stem and downsampling, scaled to 28x28:

    stem conv 2x2/2 + LN, 64 x 14x14 -> stage1 3 CNBlocks 64 x 14x14
    -> LN + conv 2x2/2 -> stage2 3 CNBlocks 128 x 7x7 -> avgpool -> LN -> dropout -> fc 128 -> 10

CNBlock = depthwise 7x7 conv -> LayerNorm -> 1x1 MLP (4x, GELU) -> layer scale (1e-6 at
init, torchvision's value), plus the identity. Stochastic depth is off (convnext_tiny uses 0.1
on ImageNet): dropout before the classifier is the one regulariser every backbone shares, so
accuracy differences come from the architecture.

Batched Grad-CAM (cam.py) differentiates the *sum* of the class scores over the batch, which
gives each image its own gradient only when nothing after the CAM tap mixes images. That holds
for `resnet18`, `resnet18_noskip` (only avgpool, dropout and fc follow layer4) and for both
ConvNeXt taps (LayerNorm normalises each image on its own). For `resnet18_cam7` and
`resnet18_cam14`, the later stages' BatchNorm in training mode couples the images through the
batch statistics: each of the B-1 other scores adds an O(1/B) term to an image's gradient, and
together they are O(1). Measured at initialisation on a batch of 64 random images, they change
the channel weights by 78 % (cam7) and 83 % (cam14) relative to each image's own gradient, and
the [0, 1] maps by up to 0.72 and 0.89. In eval mode (running statistics) the batched CAM is
exact for every backbone. `cam_batch_exact` on each model and registry entry says which case
applies; tests/test_backbones.py measures it.
"""
from __future__ import annotations

import functools

import torch
from torch import nn
from torchvision.models.convnext import CNBlock, LayerNorm2d
from torchvision.models.resnet import BasicBlock, ResNet


class PlainBlock(BasicBlock):
    """BasicBlock without its skip connection; the downsample branch it would add is not built."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None, *args, **kwargs):
        super().__init__(inplanes, planes, stride, None, *args, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))))


class ResNet18(nn.Module):
    """ResNet-18 for 1 x 28 x 28 input, with (`skip=True`) or without its skip connections."""

    stages = ("layer1", "layer2", "layer3", "layer4")
    exact_taps = ("layer4",)  # taps with no BatchNorm after them (see the module docstring)
    cam_hw = {"layer1": 28, "layer2": 14, "layer3": 7, "layer4": 4}  # side of each stage's output

    def __init__(self, num_classes: int = 10, dropout: float = 0.5, cam_layer: str = "layer4",
                 skip: bool = True):
        super().__init__()
        if cam_layer not in self.stages:
            raise ValueError(f"cam_layer must be one of {self.stages}, got {cam_layer!r}")
        self.cam_layer = cam_layer
        self.cam_batch_exact = cam_layer in self.exact_taps
        net = ResNet(BasicBlock if skip else PlainBlock, [2, 2, 2, 2], num_classes=num_classes)
        conv1 = nn.Conv2d(1, 64, kernel_size=3, stride=1, padding=1, bias=False)
        nn.init.kaiming_normal_(conv1.weight, mode="fan_out", nonlinearity="relu")  # as ResNet's
        self.stem = nn.Sequential(conv1, net.bn1, net.relu)  # no max-pool: stay at 28x28
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4
        self.dropout = nn.Dropout(dropout)
        self.fc = net.fc

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.trunk(x)
        return self.head(feats), feats

    # The forward split at the CAM layer (as PaperCNN's), so `--compile` can compile each half.
    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)                                  # (B, 64, 28, 28)
        for name in self.stages[: self.stages.index(self.cam_layer) + 1]:
            x = getattr(self, name)(x)                    # 28 -> 28 -> 14 -> 7 -> 4
        return x

    def head(self, feats: torch.Tensor) -> torch.Tensor:
        x = feats
        for name in self.stages[self.stages.index(self.cam_layer) + 1:]:
            x = getattr(self, name)(x)
        x = x.mean(dim=(2, 3))                            # global average pool, (B, 512)
        return self.fc(self.dropout(x))


class ConvNeXt28(nn.Module):
    """Small ConvNeXt-style network for 1 x 28 x 28 input, from torchvision's CNBlock."""

    stages = ("stage1", "stage2")
    exact_taps = stages       # LayerNorm is per image: batched Grad-CAM is exact at either tap
    cam_hw = {"stage1": 14, "stage2": 7}

    def __init__(self, num_classes: int = 10, dropout: float = 0.5, cam_layer: str = "stage2",
                 dims: tuple[int, int] = (64, 128), depths: tuple[int, int] = (3, 3),
                 layer_scale: float = 1e-6):
        super().__init__()
        if cam_layer not in self.stages:
            raise ValueError(f"cam_layer must be one of {self.stages}, got {cam_layer!r}")
        self.cam_layer = cam_layer
        self.cam_batch_exact = cam_layer in self.exact_taps
        d1, d2 = dims
        self.stem = nn.Sequential(nn.Conv2d(1, d1, kernel_size=2, stride=2), LayerNorm2d(d1, eps=1e-6))
        self.stage1 = nn.Sequential(*[CNBlock(d1, layer_scale, 0.0) for _ in range(depths[0])])
        self.down = nn.Sequential(LayerNorm2d(d1, eps=1e-6), nn.Conv2d(d1, d2, kernel_size=2, stride=2))
        self.stage2 = nn.Sequential(*[CNBlock(d2, layer_scale, 0.0) for _ in range(depths[1])])
        self.norm = LayerNorm2d(d2, eps=1e-6)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(d2, num_classes)
        for m in self.modules():  # torchvision ConvNeXt's initialisation
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.trunk(x)
        return self.head(feats), feats

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage1(self.stem(x))                     # (B, 64, 14, 14)
        return x if self.cam_layer == "stage1" else self.stage2(self.down(x))  # (B, 128, 7, 7)

    def head(self, feats: torch.Tensor) -> torch.Tensor:
        x = self.stage2(self.down(feats)) if self.cam_layer == "stage1" else feats
        x = self.norm(x.mean(dim=(2, 3), keepdim=True))   # (B, 128, 1, 1)
        return self.fc(self.dropout(torch.flatten(x, 1)))


def _entry(cls, cam_layer: str, **fixed):
    """A registry constructor (num_classes, dropout) with the CAM tap fixed.

    It carries `cam_layer` (like `PaperCNN.cam_layer`), `cam_hw` and `cam_batch_exact`, so the
    report and the trainer can read them without building the model.
    """
    make = functools.partial(cls, cam_layer=cam_layer, **fixed)
    make.cam_layer = cam_layer
    make.cam_batch_exact = cam_layer in cls.exact_taps
    make.cam_hw = cls.cam_hw[cam_layer]
    return make


# Registry names say the CAM resolution wherever the network offers more than one.
BACKBONES = {
    "resnet18": _entry(ResNet18, "layer4"),                       # CAM 4x4 (last stage)
    "resnet18_cam7": _entry(ResNet18, "layer3"),                  # CAM 7x7
    "resnet18_cam14": _entry(ResNet18, "layer2"),                 # CAM 14x14
    "resnet18_noskip": _entry(ResNet18, "layer4", skip=False),    # CAM 4x4, no skip connections
    "convnext": _entry(ConvNeXt28, "stage2"),                     # CAM 7x7 (last stage)
    "convnext_cam14": _entry(ConvNeXt28, "stage1"),               # CAM 14x14
}
