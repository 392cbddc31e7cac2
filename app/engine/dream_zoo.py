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
import torch.nn.functional as F
from torch import nn

from app.core.errors import UserError, describe
from app.engine.dream import DreamNet

HUB_FILES = {
    "vgg16": "vgg16-397923af.pth",
    "googlenet": "googlenet-1378be20.pth",
    "inception_v3": "inception_v3_google-0cc3c7bd.pth",
}
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


def _bc(cin: int, cout: int, kernel, stride=1, padding=0) -> BasicConv2d:
    return BasicConv2d(cin, cout, kernel_size=kernel, stride=stride, padding=padding)


def _avg(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)


class InceptionA(nn.Module):
    def __init__(self, cin: int, pool: int) -> None:
        super().__init__()
        self.branch1x1 = _bc(cin, 64, 1)
        self.branch5x5_1, self.branch5x5_2 = _bc(cin, 48, 1), _bc(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = _bc(cin, 64, 1)
        self.branch3x3dbl_2 = _bc(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _bc(96, 96, 3, padding=1)
        self.branch_pool = _bc(cin, pool, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)), dbl,
                          self.branch_pool(_avg(x))], 1)  # fmt: skip


class InceptionB(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = _bc(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = _bc(cin, 64, 1)
        self.branch3x3dbl_2 = _bc(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _bc(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), dbl, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionC(nn.Module):
    def __init__(self, cin: int, c7: int) -> None:
        super().__init__()
        wide, tall = ((1, 7), (0, 3)), ((7, 1), (3, 0))
        self.branch1x1 = _bc(cin, 192, 1)
        self.branch7x7_1 = _bc(cin, c7, 1)
        self.branch7x7_2 = _bc(c7, c7, wide[0], padding=wide[1])
        self.branch7x7_3 = _bc(c7, 192, tall[0], padding=tall[1])
        self.branch7x7dbl_1 = _bc(cin, c7, 1)
        self.branch7x7dbl_2 = _bc(c7, c7, tall[0], padding=tall[1])
        self.branch7x7dbl_3 = _bc(c7, c7, wide[0], padding=wide[1])
        self.branch7x7dbl_4 = _bc(c7, c7, tall[0], padding=tall[1])
        self.branch7x7dbl_5 = _bc(c7, 192, wide[0], padding=wide[1])
        self.branch_pool = _bc(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for step in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                     self.branch7x7dbl_5):  # fmt: skip
            d = step(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = _bc(cin, 192, 1), _bc(192, 320, 3, stride=2)
        self.branch7x7x3_1 = _bc(cin, 192, 1)
        self.branch7x7x3_2 = _bc(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _bc(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _bc(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7x3_1(x)
        for step in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = step(b7)
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        return torch.cat([b3, b7, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionE(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch1x1 = _bc(cin, 320, 1)
        self.branch3x3_1 = _bc(cin, 384, 1)
        self.branch3x3_2a = _bc(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = _bc(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = _bc(cin, 448, 1)
        self.branch3x3dbl_2 = _bc(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = _bc(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _bc(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = _bc(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(b3), self.branch3x3_2b(b3),
                          self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d),
                          self.branch_pool(_avg(x))], 1)  # fmt: skip


INCEPTION_V3 = (
    ("Mixed_5b", lambda: InceptionA(192, 32)), ("Mixed_5c", lambda: InceptionA(256, 64)),
    ("Mixed_5d", lambda: InceptionA(288, 64)), ("Mixed_6a", lambda: InceptionB(288)),
    ("Mixed_6b", lambda: InceptionC(768, 128)), ("Mixed_6c", lambda: InceptionC(768, 160)),
    ("Mixed_6d", lambda: InceptionC(768, 160)), ("Mixed_6e", lambda: InceptionC(768, 192)),
    ("Mixed_7a", lambda: InceptionD(768)), ("Mixed_7b", lambda: InceptionE(1280)),
    ("Mixed_7c", lambda: InceptionE(2048)),
)  # fmt: skip


class InceptionV3(nn.Module):
    """torchvision's Inception v3 up to Mixed_7c (no auxiliary head, pooling or
    classifier); pictures of 75x75 or more."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = _bc(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = _bc(32, 32, 3)
        self.Conv2d_2b_3x3 = _bc(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = _bc(64, 80, 1)
        self.Conv2d_4a_3x3 = _bc(80, 192, 3)
        for name, make in INCEPTION_V3:
            setattr(self, name, make())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
        for name, _ in INCEPTION_V3:
            x = getattr(self, name)(x)
        return x


def build(kind: str, state: dict, where: str) -> DreamNet:
    """The ``kind`` network with ``state`` (torchvision's file); UserError naming the file
    when the weights do not fit."""
    module = {"vgg16": VGG16Net, "googlenet": GoogLeNet, "inception_v3": InceptionV3}[kind]()
    ours = module.state_dict()
    # files saved before batch norm counted its batches lack the counters: ours stand
    missing = [k for k in ours if k not in state and not k.endswith("num_batches_tracked")]
    if missing:
        raise UserError(f"{where}: not {kind}'s weights (no '{missing[0]}')")
    try:
        module.load_state_dict({k: state.get(k, v) for k, v in ours.items()})
    except RuntimeError as exc:
        raise UserError(f"{where}: {kind}'s weights do not fit ({describe(exc)})") from None
    if kind == "vgg16":  # ImageNet's normalisation
        layers = vgg16_layer_names(module.features)
        low, high = (0.0 - _MEAN) / _STD, (1.0 - _MEAN) / _STD
        return DreamNet(module, layers, lambda x: (x - _MEAN) / _STD,
                        lambda x: x * _STD + _MEAN, low, high, "vgg16")  # fmt: skip
    if kind == "inception_v3":  # its weights too take [-1, 1] pixels (transform_input)
        names = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1",
                 "Conv2d_4a_3x3", *(name for name, _ in INCEPTION_V3))  # fmt: skip
        return DreamNet(module, {n: getattr(module, n) for n in names}, lambda x: x * 2.0 - 1.0,
                        lambda x: (x + 1.0) * 0.5, -1.0, 1.0, "inception_v3")  # fmt: skip
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
