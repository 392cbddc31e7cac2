"""ImageNet networks to dream with, built here and filled from the weight files torchvision
keeps in the user's torch hub cache (``vgg16-397923af.pth``, ``googlenet-1378be20.pth``):
the same module layout and parameter names, so the files load as they are, read as every
model file is (``torch.load(weights_only=True)``: tensors only, nothing run). Nothing is
downloaded.

GoogLeNet's layers are named as torchvision names its blocks (``inception4c``; seed 004's
Caffe names ``inception_4c/output`` are accepted too), VGG16's by block and position
(``conv4_3``: after the ReLU; ``pool4``)."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from app.core.errors import UserError, describe
from app.engine.dream import DreamNet

HUB_FILES = {"vgg16": "vgg16-397923af.pth", "googlenet": "googlenet-1378be20.pth"}
_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
# (in, 1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5" (a 3x3 in torchvision's port), pool proj)
GOOGLENET = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}
# seed 004's customloop, in torchvision's names
CUSTOM_LOOP = ("inception4c", "inception4d", "inception4e", "inception5a", "inception5b")


def hub_dir() -> Path:
    """Where torchvision keeps downloaded weights ($TORCH_HOME/hub/checkpoints)."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "torch")  # fmt: skip
    return Path(home) / "hub" / "checkpoints"


def vgg16_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    channels = 3
    for v in VGG16:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, int(v), 3, padding=1), nn.ReLU()]
            channels = int(v)
    return nn.Sequential(*layers)


def vgg16_layer_names(features: nn.Sequential) -> dict[str, nn.Module]:
    names, block, conv = {}, 1, 0
    for module in features:
        if isinstance(module, nn.ReLU):
            conv += 1
            names[f"conv{block}_{conv}"] = module
        elif isinstance(module, nn.MaxPool2d):
            names[f"pool{block}"] = module
            block, conv = block + 1, 0
    return names


class VGG16Net(nn.Module):
    """torchvision's VGG16 without its classifier (``features.N`` as in its files)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = vgg16_features()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


class BasicConv2d(nn.Module):
    def __init__(self, cin: int, cout: int, **kwargs) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, pool) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(cin, c1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(cin, c3r, kernel_size=1),
                                     BasicConv2d(c3r, c3, kernel_size=3, padding=1))  # fmt: skip
        self.branch3 = nn.Sequential(BasicConv2d(cin, c5r, kernel_size=1),
                                     BasicConv2d(c5r, c5, kernel_size=3, padding=1))  # fmt: skip
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(cin, pool, kernel_size=1))  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    """torchvision's GoogLeNet up to its last inception block (no pooling, no classifier:
    the pictures may have any size)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name, widths in GOOGLENET.items():
            setattr(self, name, Inception(*widths))
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.inception3b(self.inception3a(x))
        x = self.maxpool3(x)
        for name in ("inception4a", "inception4b", "inception4c", "inception4d", "inception4e"):
            x = getattr(self, name)(x)
        x = self.maxpool4(x)
        return self.inception5b(self.inception5a(x))


def build(kind: str, state: dict, where: str) -> DreamNet:
    """The ``kind`` network with ``state`` (torchvision's file); UserError naming the file
    when the weights do not fit."""
    module = VGG16Net() if kind == "vgg16" else GoogLeNet()
    ours = module.state_dict()
    missing = [k for k in ours if k not in state]
    if missing:
        raise UserError(f"{where}: not {kind}'s weights (no '{missing[0]}')")
    try:
        module.load_state_dict({k: state[k] for k in ours})
    except RuntimeError as exc:
        raise UserError(f"{where}: {kind}'s weights do not fit ({describe(exc)})") from None
    if kind == "vgg16":  # ImageNet's normalisation
        layers = vgg16_layer_names(module.features)
        low, high = (0.0 - _MEAN) / _STD, (1.0 - _MEAN) / _STD
        return DreamNet(module, layers, lambda x: (x - _MEAN) / _STD,
                        lambda x: x * _STD + _MEAN, low, high, "vgg16")  # fmt: skip
    # torchvision's GoogLeNet weights take [-1, 1] pixels (its transform_input)
    layers = {name: getattr(module, name) for name in ("conv1", "conv2", "conv3", *GOOGLENET)}
    aliases = {f"inception_{name[9:]}/output": name for name in GOOGLENET}
    return DreamNet(module, layers, lambda x: x * 2.0 - 1.0, lambda x: (x + 1.0) * 0.5,
                    -1.0, 1.0, "googlenet", aliases)  # fmt: skip


def kind_of(state: dict) -> str | None:
    """Which of our ImageNet networks a weights file is for (by its parameter names)."""
    if "features.28.weight" in state and "features.0.weight" in state:
        return "vgg16"
    if "inception5b.branch1.conv.weight" in state:
        return "googlenet"
    if "Mixed_7c.branch_pool.conv.weight" in state:
        return "inception_v3"
    return None
