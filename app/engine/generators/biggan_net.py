"""BigGAN-deep (Brock et al. 2019) rebuilt from the published PyTorch weights' layout
(``config.json`` + ``pytorch_model.bin``, as ``pytorch_pretrained_biggan`` reads them).

Written here; the layout and the arithmetic follow that Apache-2.0 package so the published
biggan-deep-128/256/512 weights give the same pictures, including two of its details:
spectral norms are applied with the stored singular vectors (no power iteration, as in
eval mode), and batch-norm statistics stored for 51 truncation levels are blended with the
package's own weights (``coef`` on the lower level), since the weights were calibrated so.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn


class BigGANConfig(BaseModel):
    """``config.json`` of a BigGAN-deep folder."""

    model_config = ConfigDict(extra="ignore")

    output_dim: int = Field(ge=32, le=2048)
    z_dim: int = Field(ge=1, le=4096)
    class_embed_dim: int = Field(ge=1, le=4096)
    channel_width: int = Field(ge=1, le=4096)
    num_classes: int = Field(ge=1, le=100_000)
    layers: list[tuple[bool, int, int]] = Field(min_length=1)
    attention_layer_position: int
    eps: float = Field(1e-4, gt=0)
    n_stats: int = Field(51, ge=2)


def spectral_normalised(state: dict[str, torch.Tensor], prefix: str) -> torch.Tensor:
    """``weight_orig / sigma`` with sigma = u . (W v) from the stored vectors."""
    weight = state[f"{prefix}.weight_orig"].float()
    u, v = state[f"{prefix}.weight_u"].float(), state[f"{prefix}.weight_v"].float()
    sigma = torch.dot(u, torch.mv(weight.reshape(weight.shape[0], -1), v))
    return weight / sigma


def _param(tensor: torch.Tensor) -> nn.Parameter:
    return nn.Parameter(tensor.detach().float().clone(), requires_grad=False)


def truncation_stats(
    means: torch.Tensor, variances: torch.Tensor, truncation: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """The statistics stored for ``truncation`` (blended between stored levels)."""
    step = 1.0 / (means.shape[0] - 1)
    coef, start = math.modf(truncation / step)
    start = int(start)
    if coef == 0.0:
        return means[start], variances[start]
    return (
        means[start] * coef + means[start + 1] * (1 - coef),
        variances[start] * coef + variances[start + 1] * (1 - coef),
    )


class ConditionalNorm(nn.Module):
    """Batch norm with stored per-truncation statistics, scaled and shifted by linear
    functions of the condition vector (z and the class embedding)."""

    def __init__(self, state: dict[str, torch.Tensor], prefix: str, eps: float) -> None:
        super().__init__()
        self.register_buffer("means", state[f"{prefix}.running_means"].float().clone())
        self.register_buffer("variances", state[f"{prefix}.running_vars"].float().clone())
        self.scale = _param(spectral_normalised(state, f"{prefix}.scale"))
        self.offset = _param(spectral_normalised(state, f"{prefix}.offset"))
        self.eps = eps

    def forward(self, x: torch.Tensor, cond: torch.Tensor, truncation: float) -> torch.Tensor:
        mean, var = truncation_stats(self.means, self.variances, truncation)
        weight = 1 + F.linear(cond, self.scale.to(x.dtype))[:, :, None, None]
        bias = F.linear(cond, self.offset.to(x.dtype))[:, :, None, None]
        mean, var = mean.to(x.dtype)[None, :, None, None], var.to(x.dtype)[None, :, None, None]
        return (x - mean) / torch.sqrt(var + self.eps) * weight + bias


class SNConv(nn.Module):
    def __init__(self, state: dict[str, torch.Tensor], prefix: str, padding: int = 0) -> None:
        super().__init__()
        self.weight = _param(spectral_normalised(state, prefix))
        bias = state.get(f"{prefix}.bias")
        self.bias = _param(bias) if bias is not None else None
        self.padding = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias.to(x.dtype) if self.bias is not None else None
        return F.conv2d(x, self.weight.to(x.dtype), bias, padding=self.padding)


class GenBlock(nn.Module):
    """The deep residual block: 1x1 down to a quarter of the channels, two 3x3 (nearest 2x
    upsampling between), 1x1 out; the skip drops channels and upsamples to match."""

    def __init__(self, state: dict[str, torch.Tensor], prefix: str, up: bool, eps: float) -> None:
        super().__init__()
        self.norms = nn.ModuleList(
            ConditionalNorm(state, f"{prefix}.bn_{i}", eps) for i in range(4)
        )
        self.convs = nn.ModuleList(
            SNConv(state, f"{prefix}.conv_{i}", padding=int(i in (1, 2))) for i in range(4)
        )
        self.up = up

    def forward(self, x: torch.Tensor, cond: torch.Tensor, truncation: float) -> torch.Tensor:
        skip = x
        for i, (norm, conv) in enumerate(zip(self.norms, self.convs)):
            x = F.relu(norm(x, cond, truncation))
            if i == 1 and self.up:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = conv(x)
        if skip.shape[1] != x.shape[1]:
            skip = skip[:, : x.shape[1]]
        if self.up:
            skip = F.interpolate(skip, scale_factor=2, mode="nearest")
        return x + skip


class SelfAttention(nn.Module):
    """SAGAN self-attention with 2x2 max-pooled keys and values."""

    def __init__(self, state: dict[str, torch.Tensor], prefix: str) -> None:
        super().__init__()
        self.theta = SNConv(state, f"{prefix}.snconv1x1_theta")
        self.phi = SNConv(state, f"{prefix}.snconv1x1_phi")
        self.g = SNConv(state, f"{prefix}.snconv1x1_g")
        self.out = SNConv(state, f"{prefix}.snconv1x1_o_conv")
        self.gamma = _param(state[f"{prefix}.gamma"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, ch, h, w = x.shape
        theta = self.theta(x).view(b, ch // 8, h * w)
        phi = F.max_pool2d(self.phi(x), 2).view(b, ch // 8, h * w // 4)
        attn = torch.softmax(torch.bmm(theta.permute(0, 2, 1), phi), dim=-1)
        g = F.max_pool2d(self.g(x), 2).view(b, ch // 2, h * w // 4)
        attn_g = torch.bmm(g, attn.permute(0, 2, 1)).view(b, ch // 2, h, w)
        return x + self.gamma.to(x.dtype) * self.out(attn_g)


class BigGANDeep(nn.Module):
    """(z [B, z_dim], class vector y [B, num_classes], truncation) -> [B, 3, R, R]."""

    def __init__(self, config: BigGANConfig, state: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _param(state["embeddings.weight"])
        self.gen_z_weight = _param(spectral_normalised(state, "generator.gen_z"))
        self.gen_z_bias = _param(state["generator.gen_z.bias"])
        layers: list[nn.Module] = []
        index = 0
        for position, (up, _, _) in enumerate(config.layers):
            if position == config.attention_layer_position:
                layers.append(SelfAttention(state, f"generator.layers.{index}"))
                index += 1
            layers.append(GenBlock(state, f"generator.layers.{index}", bool(up), config.eps))
            index += 1
        self.layers = nn.ModuleList(layers)
        self.register_buffer("bn_means", state["generator.bn.running_means"].float().clone())
        self.register_buffer("bn_vars", state["generator.bn.running_vars"].float().clone())
        self.bn_weight = _param(state["generator.bn.weight"])
        self.bn_bias = _param(state["generator.bn.bias"])
        self.to_rgb = SNConv(state, "generator.conv_to_rgb", padding=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor, truncation: float) -> torch.Tensor:
        dtype = z.dtype
        cond = torch.cat([z, F.linear(y.to(dtype), self.embeddings.to(dtype))], dim=1)
        x = F.linear(cond, self.gen_z_weight.to(dtype), self.gen_z_bias.to(dtype))
        x = x.view(-1, 4, 4, 16 * self.config.channel_width).permute(0, 3, 1, 2).contiguous()
        for layer in self.layers:
            x = layer(x, cond, truncation) if isinstance(layer, GenBlock) else layer(x)
        mean, var = truncation_stats(self.bn_means, self.bn_vars, truncation)
        x = F.batch_norm(
            x,
            mean.to(dtype),
            var.to(dtype),
            self.bn_weight.to(dtype),
            self.bn_bias.to(dtype),
            training=False,
            momentum=0.0,
            eps=self.config.eps,
        )
        x = self.to_rgb(F.relu(x))[:, :3]
        return torch.tanh(x)
