"""What trains a video generator besides itself (seed 002): the 3D discriminator that
judges whole windows (the given frames and the next ones, real or drawn) and the
adversarial (DCGAN) and mixed (adversarial + L1 / L2 reconstruction) losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


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
