"""The StyleGAN2 / 2-ADA discriminator (the one StyleGAN3 trains with too), rebuilt from a
network pickle's ``D`` as plain data (its code is never run), to dream with: the network
that judged the artist's dataset. Residual blocks from the picture's resolution down to
8x8 (``b64`` ... ``b8``: the layers to dream on), then the epilogue at 4x4 (minibatch
standard deviation, a convolution, two linear layers; projected onto the class for a
conditional one) that scores a picture (``score``, checked against NVIDIA's output)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.engine.model_files import PersistentObject

from .stylegan_ops import (
    LRELU_GAIN,
    LRELU_SLOPE,
    FullyConnected,
    bias_lrelu_clamp,
    normalize_2nd_moment,
    required,
    scalar,
    upfirdn2d,
)


class Conv2dLayer(nn.Module):
    """An equalised-learning-rate convolution, optionally downsampling 2x with the FIR
    filter first (NVIDIA's conv2d_resample: filter with padding, then a strided
    convolution; for a 1x1 kernel, filter and downsample, then convolve)."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        self.weight = nn.Parameter(required(record, "weight"), requires_grad=False)
        bias = record.tensor("bias")
        self.bias = (
            None if bias is None else nn.Parameter(bias.float().clone(), requires_grad=False)
        )
        out_c, in_c, kh, kw = self.weight.shape
        self.weight_gain = scalar(record.attr("weight_gain"), 1.0 / math.sqrt(in_c * kh * kw))
        self.activation = str(record.attr("activation", "linear"))
        if self.activation not in ("linear", "lrelu"):
            raise ValueError(f"activation '{self.activation}' is not supported")
        self.act_gain = scalar(
            record.attr("act_gain"), LRELU_GAIN if self.activation == "lrelu" else 1.0
        )
        self.down = int(record.attr("down", 1))
        if int(record.attr("up", 1)) != 1:
            raise ValueError("an upsampling convolution in a discriminator is not supported")
        self.padding = int(record.attr("padding", kw // 2))
        clamp = record.attr("conv_clamp")
        self.conv_clamp = None if clamp is None else scalar(clamp)
        f = record.tensor("resample_filter")
        self.register_buffer("resample_filter", None if f is None else f.float().clone())

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        w = (self.weight * self.weight_gain).to(x.dtype)
        p = self.padding
        if self.down > 1:
            f = self.resample_filter
            taps = f.shape[-1]
            pads = (p + (taps - self.down + 1) // 2, p + (taps - self.down) // 2)
            padding = (pads[0], pads[1], pads[0], pads[1])
            if w.shape[-1] == 1:  # 1x1: downsample first, then convolve
                x = F.conv2d(upfirdn2d(x, f, down=self.down, padding=padding), w)
            else:
                x = F.conv2d(upfirdn2d(x, f, padding=padding), w, stride=self.down)
        else:
            x = F.conv2d(x, w, padding=p)
        slope = LRELU_SLOPE if self.activation == "lrelu" else 1.0
        clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        return bias_lrelu_clamp(x, self.bias, self.act_gain * gain, slope, clamp)


class DiscriminatorBlock(nn.Module):
    """One resolution of the residual discriminator: fromrgb (the first block), conv0,
    conv1 (2x down), plus a 1x1 downsampling skip; both paths at gain sqrt(1/2)."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        architecture = record.attr("architecture", "resnet")
        if architecture != "resnet":
            raise ValueError(f"discriminator architecture '{architecture}' is not supported")
        self.fromrgb = Conv2dLayer(record.child("fromrgb")) if "fromrgb" in record.modules else None
        self.conv0 = Conv2dLayer(record.child("conv0"))
        self.conv1 = Conv2dLayer(record.child("conv1"))
        self.skip = Conv2dLayer(record.child("skip"))

    def forward(self, x: torch.Tensor | None, img: torch.Tensor) -> torch.Tensor:
        if self.fromrgb is not None:
            y = self.fromrgb(img)
            x = y if x is None else x + y
        y = self.skip(x, gain=math.sqrt(0.5))
        return y + self.conv1(self.conv0(x), gain=math.sqrt(0.5))


class Epilogue(nn.Module):
    """The 4x4 end: minibatch standard deviation, a 3x3 convolution, two linear layers."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        mbstd = record.child("mbstd") if record.modules.get("mbstd") is not None else None
        self.group_size = None if mbstd is None else mbstd.attr("group_size")
        self.mbstd_channels = 0 if mbstd is None else int(mbstd.attr("num_channels", 1))
        self.conv = Conv2dLayer(record.child("conv"))
        self.fc = FullyConnected(record.child("fc"))
        self.out = FullyConnected(record.child("out"))
        self.cmap_dim = int(record.attr("cmap_dim", 0))

    def _mbstd(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = n if self.group_size is None else min(int(self.group_size), n)
        f = self.mbstd_channels
        y = x.reshape(g, -1, f, c // f, h, w)
        y = ((y - y.mean(dim=0)).square().mean(dim=0) + 1e-8).sqrt()
        y = y.mean(dim=[2, 3, 4]).reshape(-1, f, 1, 1).repeat(g, 1, h, w)
        return torch.cat([x, y], dim=1)

    def forward(self, x: torch.Tensor, cmap: torch.Tensor | None) -> torch.Tensor:
        if self.mbstd_channels:
            x = self._mbstd(x)
        x = self.out(self.fc(self.conv(x).flatten(1)))
        if cmap is not None and self.cmap_dim > 0:
            x = (x * cmap).sum(dim=1, keepdim=True) * (1.0 / np.sqrt(self.cmap_dim))
        return x


class StyleGANDiscriminator(nn.Module):
    """``D`` of a StyleGAN2 / 2-ADA / 3 pickle: ``forward`` runs the residual blocks (what
    dreaming reads), ``score`` the whole network (img in [-1, 1], class one-hot c)."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        self.resolution = int(record.attr("img_resolution"))
        self.c_dim = int(record.attr("c_dim", 0))
        self.block_names = [f"b{2**i}" for i in range(int(np.log2(self.resolution)), 2, -1)]
        for name in self.block_names:
            setattr(self, name, DiscriminatorBlock(record.child(name)))
        self.b4 = Epilogue(record.child("b4"))
        self.mapping = None
        if self.c_dim:
            m = record.child("mapping")
            names = sorted((n for n in m.modules if n.startswith("fc")), key=lambda n: int(n[2:]))
            self.embed = FullyConnected(m.child("embed"))
            self.mapping = nn.ModuleList(FullyConnected(m.child(n)) for n in names)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = None
        for name in self.block_names:
            x = getattr(self, name)(x, img)
        return x

    def score(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        cmap = None
        if self.mapping is not None:
            cmap = normalize_2nd_moment(self.embed(c))
            for layer in self.mapping:
                cmap = layer(cmap)
        return self.b4(self(img), cmap)


def pick_discriminator(data: object) -> PersistentObject | None:
    """The pickle's ``D`` when it has one."""
    network = data.get("D") if isinstance(data, dict) else None
    if isinstance(network, PersistentObject) and network.class_name == "Discriminator":
        return network
    return None
