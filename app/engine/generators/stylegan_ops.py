"""The arithmetic StyleGAN2 and StyleGAN3 networks are made of, written here from the papers'
definitions (Karras et al. 2020, 2021) in plain torch: equalised-learning-rate layers,
FIR resampling (upsample, pad, filter, downsample), style-modulated convolution and the
alias-free filtered leaky ReLU. No custom CUDA kernels: torch's own convolutions do the
work on every device, so CPU, CUDA and MPS give the same pictures.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.engine.model_files import PersistentObject

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)


def scalar(value: Any, default: float | None = None) -> float:
    """A pickled attribute (a Python number, a numpy scalar or 0-d array) as a float."""
    if value is None:
        if default is None:
            raise ValueError("a required attribute is missing")
        return default
    return float(np.asarray(value))


def required(record: PersistentObject, name: str) -> torch.Tensor:
    """A parameter or buffer the network cannot do without, as float32."""
    tensor = record.tensor(name)
    if tensor is None:
        raise ValueError(f"{record.class_name} has no '{name}'")
    return tensor.detach().float().clone()


class FullyConnected(nn.Module):
    """An equalised-learning-rate linear layer: weights stored at unit scale and multiplied
    by ``weight_gain`` (lr_multiplier / sqrt(fan_in)) at run time."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        self.weight = nn.Parameter(required(record, "weight"), requires_grad=False)
        bias = record.tensor("bias")
        self.bias = (
            nn.Parameter(bias.detach().float().clone(), requires_grad=False)
            if bias is not None
            else None
        )
        fan_in = self.weight.shape[1]
        self.weight_gain = scalar(record.attr("weight_gain"), 1.0 / math.sqrt(fan_in))
        self.bias_gain = scalar(record.attr("bias_gain"), 1.0)
        self.activation = str(record.attr("activation", "linear"))
        if self.activation not in ("linear", "lrelu"):
            raise ValueError(f"activation '{self.activation}' is not supported")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.to(x.dtype) * self.weight_gain
        b = self.bias.to(x.dtype) * self.bias_gain if self.bias is not None else None
        x = F.linear(x, w, b)
        if self.activation == "lrelu":
            x = F.leaky_relu(x, LRELU_SLOPE) * LRELU_GAIN
        return x


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor,
    up: int = 1,
    down: int = 1,
    padding: tuple[int, int, int, int] = (0, 0, 0, 0),
    gain: float = 1.0,
) -> torch.Tensor:
    """Upsample by zero insertion, pad (negative: crop) by (x0, x1, y0, y1), convolve with
    the FIR filter ``f`` (1-D: separable, applied along both axes; 2-D: as is), keep every
    ``down``-th sample. ``gain`` scales the filter's total response.

    Computed polyphase where it can be: a separable upsampling is a strided transposed
    convolution (no multiplications by inserted zeros) and a downsampling a strided
    convolution (no samples computed to be thrown away): the same numbers, up to 16x fewer
    operations in StyleGAN3's 4x layers."""
    if f.ndim == 1 and not (up > 1 and down > 1):
        return _separable(x, (f * gain**0.5).to(x.dtype), up, down, padding)
    b, c, h, w = x.shape
    if up > 1:
        x = x.reshape(b, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(b, c, h * up, w * up)
    px0, px1, py0, py1 = padding
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0) : x.shape[2] - max(-py1, 0), max(-px0, 0) : x.shape[3] - max(-px1, 0)]
    f = (f * gain ** (f.ndim / 2)).to(x.dtype).flip(list(range(f.ndim)))
    if f.ndim == 2:
        return F.conv2d(x, f[None, None].expand(c, 1, *f.shape), groups=c, stride=down)
    x = F.conv2d(x, f[None, None, None, :].expand(c, 1, 1, f.shape[0]), groups=c)
    x = F.conv2d(x, f[None, None, :, None].expand(c, 1, f.shape[0], 1), groups=c)
    return x[:, :, ::down, ::down] if down > 1 else x


def _separable(
    x: torch.Tensor, f: torch.Tensor, up: int, down: int, padding: tuple[int, int, int, int]
) -> torch.Tensor:
    """``upfirdn2d`` with a 1-D filter (already scaled), one axis at a time."""
    c, taps = x.shape[1], f.shape[0]
    px0, px1, py0, py1 = padding
    for axis, (p0, p1) in ((3, (px0, px1)), (2, (py0, py1))):
        shape = [c, 1, 1, 1]
        shape[axis] = taps
        stride = [1, 1]
        if up > 1:  # transposed conv = zero insertion + true convolution with f
            stride[axis - 2] = up
            x = F.conv_transpose2d(x, f.reshape(shape[1:]).expand(shape), stride=stride, groups=c)
            pads = [p0 - taps + 1, p1 + up - taps]
        else:
            pads = [p0, p1]
        x = F.pad(x, pads if axis == 3 else [0, 0, *pads])
        if up == 1:
            stride[axis - 2] = down
            x = F.conv2d(x, f.flip(0).reshape(shape[1:]).expand(shape), stride=stride, groups=c)
    return x


def grouped_conv(
    x: torch.Tensor, w: torch.Tensor, padding: int = 0, transpose: bool = False, stride: int = 1
) -> torch.Tensor:
    """Per-sample weights ``w`` [B, out, in, k, k] applied as one grouped convolution."""
    b = x.shape[0]
    _, out_c, in_c, kh, kw = w.shape
    x = x.reshape(1, b * in_c, *x.shape[2:])
    if transpose:
        weight = w.transpose(1, 2).reshape(b * in_c, out_c, kh, kw)
        x = F.conv_transpose2d(x, weight, stride=stride, padding=padding, groups=b)
    else:
        x = F.conv2d(x, w.reshape(b * out_c, in_c, kh, kw), padding=padding, groups=b)
    return x.reshape(b, out_c, *x.shape[2:])


def modulate(weight: torch.Tensor, styles: torch.Tensor, demodulate: bool) -> torch.Tensor:
    """StyleGAN2's weight modulation: scale each input channel by its style, then (when
    demodulating) rescale each output channel to unit expected variance."""
    w = weight.unsqueeze(0) * styles[:, None, :, None, None]
    if demodulate:
        w = w * (w.square().sum(dim=[2, 3, 4], keepdim=True) + 1e-8).rsqrt()
    return w


def bias_lrelu_clamp(
    x: torch.Tensor, bias: torch.Tensor | None, gain: float, slope: float, clamp: float | None
) -> torch.Tensor:
    """Add the bias, leaky ReLU (``slope`` 1: linear), scale by ``gain``, clamp."""
    if bias is not None:
        x = x + bias.to(x.dtype).reshape(1, -1, 1, 1)
    if slope != 1.0:
        x = F.leaky_relu(x, slope)
    if gain != 1.0:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x
