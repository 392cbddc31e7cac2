"""StyleGAN2 (and 2-ADA) and StyleGAN3 generators rebuilt from a network pickle's data.

Each module takes its constructor arguments, derived attributes (paddings, sampling rates,
filter taps) and tensors from the ``PersistentObject`` the safe unpickler returned, so any
published network of these families loads without NVIDIA's code. Written from the papers
and the structure the pickles record; only inference (no training, no EMA updates).
"""

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
    grouped_conv,
    modulate,
    normalize_2nd_moment,
    required,
    scalar,
    upfirdn2d,
)

NOISE_MODES = ("const", "random", "none")


def _buffer(module: nn.Module, name: str, tensor: torch.Tensor | None) -> None:
    module.register_buffer(name, None if tensor is None else tensor.detach().float().clone())


def _clamp(record: PersistentObject) -> float | None:
    value = record.attr("conv_clamp")
    return None if value is None else scalar(value)


class Mapping(nn.Module):
    """z (and class c) -> w, broadcast to every layer; truncation towards ``w_avg``."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        self.z_dim = int(record.attr("z_dim"))
        self.c_dim = int(record.attr("c_dim", 0))
        self.w_dim = int(record.attr("w_dim"))
        self.num_ws = int(record.attr("num_ws"))
        self.embed = FullyConnected(record.child("embed")) if self.c_dim else None
        names = sorted((n for n in record.modules if n.startswith("fc")), key=lambda n: int(n[2:]))
        self.layers = nn.ModuleList(FullyConnected(record.child(n)) for n in names)
        _buffer(self, "w_avg", required(record, "w_avg"))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """Untruncated ws [B, num_ws, w_dim]."""
        parts = [normalize_2nd_moment(z)] if self.z_dim else []
        if self.embed is not None:
            if c is None:
                c = torch.zeros(z.shape[0], self.c_dim, device=z.device, dtype=z.dtype)
            parts.append(normalize_2nd_moment(self.embed(c)))
        x = torch.cat(parts, dim=1)
        for layer in self.layers:
            x = layer(x)
        return x.unsqueeze(1).repeat(1, self.num_ws, 1)


def truncate(
    ws: torch.Tensor, w_avg: torch.Tensor, psi: float, cutoff: int | None = None
) -> torch.Tensor:
    """Pull ws towards the average w by ``psi`` (1: untouched), on the first ``cutoff``
    layers when given (the coarse ones), as NVIDIA's mapping does."""
    if psi == 1.0:
        return ws
    avg = w_avg.to(ws.dtype)
    if cutoff is None:
        return avg.lerp(ws, psi)
    out = ws.clone()
    out[:, :cutoff] = avg.lerp(ws[:, :cutoff], psi)
    return out


# --- StyleGAN2 --------------------------------------------------------------------------


class StyleGAN2Layer(nn.Module):
    """A modulated 3x3 convolution (optionally 2x up), noise, bias, leaky ReLU, clamp."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        self.affine = FullyConnected(record.child("affine"))
        self.weight = nn.Parameter(required(record, "weight"), requires_grad=False)
        self.bias = nn.Parameter(required(record, "bias"), requires_grad=False)
        self.up = int(record.attr("up", 1))
        self.padding = int(record.attr("padding", self.weight.shape[-1] // 2))
        self.resolution = int(record.attr("resolution"))
        self.act_gain = scalar(record.attr("act_gain"), LRELU_GAIN)
        self.conv_clamp = _clamp(record)
        if record.attr("activation", "lrelu") != "lrelu":
            raise ValueError(f"activation '{record.attr('activation')}' is not supported")
        use_noise = bool(record.attr("use_noise", True))
        _buffer(self, "noise_const", record.tensor("noise_const") if use_noise else None)
        strength = record.tensor("noise_strength") if use_noise else None
        self.noise_strength = (
            nn.Parameter(strength.detach().float().clone().reshape(()), requires_grad=False)
            if strength is not None
            else None
        )
        _buffer(self, "resample_filter", required(record, "resample_filter"))

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, noise_mode: str, noise_gain: float
    ) -> torch.Tensor:
        styles = self.affine(w)
        wt = modulate(self.weight.to(x.dtype), styles, demodulate=True)
        if self.up == 1:
            x = grouped_conv(x, wt, padding=self.padding)
        else:  # transposed conv (stride 2) then the FIR filter: a smooth 2x upsampling
            x = grouped_conv(x, wt, transpose=True, stride=2)
            x = upfirdn2d(x, self.resample_filter, padding=(1, 1, 1, 1), gain=4.0)
        if self.noise_strength is not None and noise_mode != "none" and noise_gain != 0.0:
            if noise_mode == "const":
                noise = self.noise_const.to(x.dtype)
            else:
                noise = torch.randn(
                    x.shape[0], 1, self.resolution, self.resolution, device=x.device, dtype=x.dtype
                )
            x = x + noise * (self.noise_strength.to(x.dtype) * noise_gain)
        return bias_lrelu_clamp(x, self.bias, self.act_gain, LRELU_SLOPE, self.conv_clamp)


class StyleGAN2ToRGB(nn.Module):
    """A modulated (not demodulated) 1x1 convolution to RGB."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        self.affine = FullyConnected(record.child("affine"))
        self.weight = nn.Parameter(required(record, "weight"), requires_grad=False)
        self.bias = nn.Parameter(required(record, "bias"), requires_grad=False)
        fan_in = self.weight.shape[1] * self.weight.shape[2] * self.weight.shape[3]
        self.weight_gain = scalar(record.attr("weight_gain"), 1.0 / math.sqrt(fan_in))
        self.conv_clamp = _clamp(record)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        x = grouped_conv(x, modulate(self.weight.to(x.dtype), styles, demodulate=False))
        return bias_lrelu_clamp(x, self.bias, 1.0, 1.0, self.conv_clamp)


class StyleGAN2Block(nn.Module):
    """One resolution: (const |) conv0 (2x up), conv1, and an RGB skip output."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        architecture = record.attr("architecture", "skip")
        if architecture != "skip":
            raise ValueError(
                f"synthesis architecture '{architecture}' is not supported "
                "(StyleGAN2 generators use 'skip')"
            )
        self.first = int(record.attr("in_channels", 0)) == 0
        const = record.tensor("const")
        self.const = (
            nn.Parameter(const.detach().float().clone(), requires_grad=False)
            if self.first and const is not None
            else None
        )
        self.conv0 = None if self.first else StyleGAN2Layer(record.child("conv0"))
        self.conv1 = StyleGAN2Layer(record.child("conv1"))
        self.torgb = StyleGAN2ToRGB(record.child("torgb"))
        _buffer(self, "resample_filter", required(record, "resample_filter"))
        self.num_conv = int(record.attr("num_conv", 1 if self.first else 2))

    def forward(
        self,
        x: torch.Tensor | None,
        img: torch.Tensor | None,
        ws: torch.Tensor,
        noise_mode: str,
        noise_gain: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``ws`` [B, num_conv + 1, w_dim]; ``noise_gain`` per conv of this block."""
        if self.first:
            x = self.const.to(ws.dtype).unsqueeze(0).repeat(ws.shape[0], 1, 1, 1)
            x = self.conv1(x, ws[:, 0], noise_mode, float(noise_gain[0]))
        else:
            x = self.conv0(x, ws[:, 0], noise_mode, float(noise_gain[0]))
            x = self.conv1(x, ws[:, 1], noise_mode, float(noise_gain[1]))
        if img is not None:
            img = upfirdn2d(img, self.resample_filter, up=2, padding=(2, 1, 2, 1), gain=4.0)
        y = self.torgb(x, ws[:, self.num_conv])
        return x, (y if img is None else img + y)


class StyleGAN2Synthesis(nn.Module):
    """ws [B, num_ws, w_dim] -> image [B, 3, R, R]: blocks from 4x4 up to the resolution."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        resolutions = [int(r) for r in record.attr("block_resolutions")]
        self.blocks = nn.ModuleList(StyleGAN2Block(record.child(f"b{r}")) for r in resolutions)
        self.num_ws = int(record.attr("num_ws"))
        self.resolution = int(record.attr("img_resolution"))
        # the first w each block reads: convs share one w with the next block's first conv
        starts, index = [], 0
        for block in self.blocks:
            starts.append(index)
            index += block.num_conv
        self.starts = starts
        self.num_layers = index  # convolutions (noise inputs)

    def forward(
        self, ws: torch.Tensor, noise_mode: str = "const", noise_gain: torch.Tensor | None = None
    ) -> torch.Tensor:
        gains = noise_gain if noise_gain is not None else torch.ones(self.num_layers)
        x = img = None
        for block, start in zip(self.blocks, self.starts):
            x, img = block(
                x,
                img,
                ws[:, start : start + block.num_conv + 1],
                noise_mode,
                gains[start : start + block.num_conv],
            )
        return img


# --- StyleGAN3 --------------------------------------------------------------------------


class StyleGAN3Input(nn.Module):
    """Fourier features: sinusoids of fixed frequencies, rotated and translated by an affine
    of w and by the user ``transform`` (a 3x3 matrix: the picture moves inside the network)."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        self.affine = FullyConnected(record.child("affine"))
        self.weight = nn.Parameter(required(record, "weight"), requires_grad=False)
        _buffer(self, "transform", required(record, "transform"))
        _buffer(self, "freqs", required(record, "freqs"))
        _buffer(self, "phases", required(record, "phases"))
        self.channels = int(record.attr("channels"))
        size = np.broadcast_to(np.asarray(record.attr("size")), [2])
        self.size = (int(size[0]), int(size[1]))
        self.sampling_rate = scalar(record.attr("sampling_rate"))
        self.bandwidth = scalar(record.attr("bandwidth"))

    def forward(self, w: torch.Tensor, transform: torch.Tensor | None = None) -> torch.Tensor:
        b, dev = w.shape[0], w.device
        base = (transform if transform is not None else self.transform).to(torch.float32)
        t = self.affine(w.float())  # rotation (cos, sin) and translation, learned from w
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        rot = torch.eye(3, device=dev).repeat(b, 1, 1)
        rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1] = t[:, 0], -t[:, 1], t[:, 1], t[:, 0]
        shift = torch.eye(3, device=dev).repeat(b, 1, 1)
        shift[:, 0, 2], shift[:, 1, 2] = -t[:, 2], -t[:, 3]
        transforms = rot @ shift @ base.unsqueeze(0)
        freqs, phases = self.freqs.float().unsqueeze(0), self.phases.float().unsqueeze(0)
        phases = phases + (freqs @ transforms[:, :2, 2:]).squeeze(2)
        freqs = freqs @ transforms[:, :2, :2]
        amplitudes = (
            1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)
        ).clamp(0, 1)
        theta = torch.eye(2, 3, device=dev)
        theta[0, 0] = 0.5 * self.size[0] / self.sampling_rate
        theta[1, 1] = 0.5 * self.size[1] / self.sampling_rate
        grid = F.affine_grid(
            theta.unsqueeze(0), [1, 1, self.size[1], self.size[0]], align_corners=False
        )
        x = (grid.unsqueeze(3) @ freqs.permute(0, 2, 1).unsqueeze(1).unsqueeze(2)).squeeze(3)
        x = torch.sin((x + phases.unsqueeze(1).unsqueeze(2)) * (2 * np.pi))
        x = x * amplitudes.unsqueeze(1).unsqueeze(2)
        x = x @ (self.weight.float() / math.sqrt(self.channels)).t()
        return x.permute(0, 3, 1, 2).to(w.dtype)


class StyleGAN3Layer(nn.Module):
    """Modulated convolution, then the alias-free nonlinearity: upsample with a low-pass
    filter, leaky ReLU, downsample with another (radial in config R)."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        self.affine = FullyConnected(record.child("affine"))
        self.weight = nn.Parameter(required(record, "weight"), requires_grad=False)
        self.bias = nn.Parameter(required(record, "bias"), requires_grad=False)
        _buffer(self, "magnitude_ema", required(record, "magnitude_ema"))
        _buffer(self, "up_filter", record.tensor("up_filter"))
        _buffer(self, "down_filter", record.tensor("down_filter"))
        self.is_torgb = bool(record.attr("is_torgb"))
        self.conv_kernel = int(record.attr("conv_kernel"))
        self.in_channels = int(record.attr("in_channels"))
        self.up_factor = int(record.attr("up_factor"))
        self.down_factor = int(record.attr("down_factor"))
        self.padding = tuple(int(p) for p in record.attr("padding"))
        self.conv_clamp = _clamp(record)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)
        weight = self.weight.to(x.dtype)
        if self.is_torgb:
            styles = styles * (1.0 / math.sqrt(self.in_channels * self.conv_kernel**2))
        else:  # pre-normalise (keeps half precision in range; exact in float32 too)
            weight = weight * weight.square().mean(dim=[1, 2, 3], keepdim=True).rsqrt()
            styles = styles * styles.square().mean().rsqrt()
        wt = modulate(weight, styles, demodulate=not self.is_torgb)
        wt = wt * self.magnitude_ema.to(x.dtype).rsqrt()  # input gain
        x = grouped_conv(x, wt, padding=self.conv_kernel - 1)
        gain, slope = (1.0, 1.0) if self.is_torgb else (LRELU_GAIN, LRELU_SLOPE)
        x = bias_lrelu_clamp(x, self.bias, 1.0, 1.0, None)
        if self.up_filter is not None:
            x = upfirdn2d(
                x,
                self.up_filter,
                up=self.up_factor,
                padding=self.padding,
                gain=float(self.up_factor**2),
            )
        elif self.padding != (0, 0, 0, 0) or self.up_factor != 1:
            x = upfirdn2d(
                x,
                torch.ones(1, device=x.device),
                up=self.up_factor,
                padding=self.padding,
                gain=float(self.up_factor**2),
            )
        x = bias_lrelu_clamp(x, None, gain, slope, self.conv_clamp)
        if self.down_filter is not None:
            x = upfirdn2d(x, self.down_filter, down=self.down_factor)
        elif self.down_factor > 1:
            x = x[:, :, :: self.down_factor, :: self.down_factor]
        return x


class StyleGAN3Synthesis(nn.Module):
    """ws [B, num_ws, w_dim] -> image: Fourier input, then the layers by name."""

    def __init__(self, record: PersistentObject) -> None:
        super().__init__()
        self.input = StyleGAN3Input(record.child("input"))
        self.layer_names = [str(n) for n in record.attr("layer_names")]
        self.layers = nn.ModuleList(StyleGAN3Layer(record.child(n)) for n in self.layer_names)
        self.output_scale = scalar(record.attr("output_scale"), 1.0)
        self.num_ws = int(record.attr("num_ws"))
        self.resolution = int(record.attr("img_resolution"))

    def forward(self, ws: torch.Tensor, transform: torch.Tensor | None = None) -> torch.Tensor:
        x = self.input(ws[:, 0], transform)
        for index, layer in enumerate(self.layers):
            x = layer(x, ws[:, index + 1])
        return x * self.output_scale if self.output_scale != 1 else x
