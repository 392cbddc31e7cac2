"""Video networks (seed 002): generators that take ``frames_in`` frames and draw the next
``frames_out`` ones, with 3D convolutions over (time, height, width), and the 3D
discriminator that judges whole windows; the adversarial (DCGAN) and mixed (adversarial +
L1 / L2 reconstruction) losses. The generators predict the change from the last given
frame (a residual), so standing still is their starting point.

- ``UNet3D``: levels halving height and width and doubling the channels, skip
  connections at every level (seed 002's layout), time kept until the head.
- ``ResNet3D``: a stem, residual blocks at half size, back up.
- The head folds the ``frames_in`` time steps into ``frames_out`` frames (a convolution
  over the whole time axis)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1), nn.BatchNorm3d(cout),
                         nn.LeakyReLU(0.2))  # fmt: skip


class _Head(nn.Module):
    """[B, C, T, H, W] -> the next K frames [B, 3, K, H, W], as changes of the last given
    frame (tanh keeps the frames in [-1, 1])."""

    def __init__(self, channels: int, frames_in: int, frames_out: int) -> None:
        super().__init__()
        self.frames_out = frames_out
        self.fold = nn.Conv3d(channels, 3 * frames_out, (frames_in, 1, 1))

    def forward(self, x: torch.Tensor, given: torch.Tensor) -> torch.Tensor:
        b, _, _, h, w = x.shape
        delta = self.fold(x).reshape(b, 3, self.frames_out, h, w)
        last = given[:, :, -1:]
        return torch.tanh(torch.atanh(last.clamp(-0.999, 0.999)) + delta)


class UNet3D(nn.Module):
    """``levels`` levels from ``channels`` doubling; height and width must divide by
    2**(levels - 1)."""

    def __init__(self, frames_in: int, frames_out: int = 1, channels: int = 32,
                 levels: int = 3) -> None:  # fmt: skip
        super().__init__()
        widths = [channels * 2**i for i in range(levels)]
        self.down = nn.ModuleList(
            _block(3 if i == 0 else widths[i - 1], w) for i, w in enumerate(widths))  # fmt: skip
        self.up = nn.ModuleList(
            nn.ConvTranspose3d(widths[i], widths[i - 1], (1, 2, 2), stride=(1, 2, 2))
            for i in range(levels - 1, 0, -1))  # fmt: skip
        self.merge = nn.ModuleList(
            _block(2 * widths[i - 1], widths[i - 1]) for i in range(levels - 1, 0, -1))  # fmt: skip
        self.head = _Head(channels, frames_in, frames_out)

    def forward(self, given: torch.Tensor) -> torch.Tensor:
        """``given`` [B, 3, T, H, W] in [-1, 1] -> [B, 3, K, H, W]."""
        skips, x = [], given
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool3d(x, (1, 2, 2)))
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1])):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.head(x, given)


class ResNet3D(nn.Module):
    """A stem, ``blocks`` residual blocks at half height and width, back up."""

    def __init__(self, frames_in: int, frames_out: int = 1, channels: int = 32,
                 blocks: int = 4) -> None:  # fmt: skip
        super().__init__()
        self.stem = _block(3, channels)
        self.down = nn.Conv3d(channels, channels, (1, 4, 4), stride=(1, 2, 2), padding=(0, 1, 1))
        self.blocks = nn.ModuleList(
            nn.Sequential(_block(channels, channels),
                          nn.Conv3d(channels, channels, 3, padding=1), nn.BatchNorm3d(channels))
            for _ in range(blocks))  # fmt: skip
        self.up = nn.ConvTranspose3d(channels, channels, (1, 2, 2), stride=(1, 2, 2))
        self.head = _Head(channels, frames_in, frames_out)

    def forward(self, given: torch.Tensor) -> torch.Tensor:
        x = self.down(self.stem(given))
        for block in self.blocks:
            x = F.leaky_relu(x + block(x), 0.2)
        return self.head(self.up(x), given)


class Discriminator3D(nn.Module):
    """Judges a whole window [B, 3, T + K, H, W] (the given frames and the next ones,
    real or drawn): 3D convolutions halving height and width, one logit."""

    def __init__(self, frames: int, size: tuple[int, int], channels: int = 32,
                 levels: int = 3) -> None:  # fmt: skip
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for i in range(levels):
            cout = channels * 2**i
            layers += [nn.Conv3d(cin, cout, (3, 4, 4), stride=(1, 2, 2), padding=(1, 1, 1)),
                       nn.LeakyReLU(0.2)]  # fmt: skip
            cin = cout
        self.body = nn.Sequential(*layers)
        w, h = size
        self.out = nn.Linear(cin * frames * (h >> levels) * (w >> levels), 1)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(window).flatten(1)).squeeze(1)


def generator_loss(
    kind: str,
    fake_logits: torch.Tensor,
    predicted: torch.Tensor,
    target: torch.Tensor,
    l1: float = 100.0,
    l2: float = 0.0,
) -> torch.Tensor:
    """``adversarial`` (DCGAN: fool the discriminator) or ``mixed`` (that plus ``l1`` and
    ``l2`` times the reconstruction errors)."""
    adversarial = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    if kind == "adversarial":
        return adversarial
    if kind != "mixed":
        raise ValueError(f"loss {kind!r}: adversarial or mixed")
    return (adversarial + l1 * F.l1_loss(predicted, target)
            + l2 * F.mse_loss(predicted, target))  # fmt: skip


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))  # fmt: skip
