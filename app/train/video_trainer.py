"""Training a video generator on sequences (seed 002): each step a batch of windows, the
discriminator judging real windows against windows ending in the generator's frames, then
the generator under the chosen loss; and the measure that matters, the prediction error
on held-out windows beside the error of repeating the last given frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .sequences import Sequences
from .video_nets import discriminator_loss, generator_loss


@dataclass(frozen=True)
class VideoLosses:
    generator: float
    discriminator: float


def _batch(seqs: Sequences, starts: list[int]) -> torch.Tensor:
    """Windows as [B, 3, T + K, H, W]."""
    return torch.stack([seqs.window(s) for s in starts]).permute(0, 2, 1, 3, 4)


def train_video_steps(generator: nn.Module, discriminator: nn.Module, seqs: Sequences,
                      steps: int, batch: int = 8, loss: str = "mixed", lr: float = 2e-4,
                      seed: int = 0) -> list[VideoLosses]:  # fmt: skip
    """``steps`` steps (Adam, beta1 0.5 as DCGAN); the losses of each."""
    rng = np.random.default_rng(seed)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    t_in = seqs.slider.frames_in
    history = []
    generator.train()
    discriminator.train()
    for _ in range(steps):
        window = _batch(seqs, [int(s) for s in rng.choice(seqs.train, batch)])
        given, target = window[:, :, :t_in], window[:, :, t_in:]
        predicted = generator(given)
        fake = torch.cat([given, predicted], dim=2)
        opt_d.zero_grad()
        d_loss = discriminator_loss(discriminator(window), discriminator(fake.detach()))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        g_loss = generator_loss(loss, discriminator(fake), predicted, target)
        g_loss.backward()
        opt_g.step()
        history.append(VideoLosses(float(g_loss.detach()), float(d_loss.detach())))
    return history


@torch.no_grad()
def held_out_error(generator: nn.Module, seqs: Sequences) -> tuple[float, float]:
    """(the generator's mean squared error on the validation windows, the error of
    repeating the last given frame), both over the predicted frames."""
    generator.eval()
    window = _batch(seqs, seqs.validation)
    t_in = seqs.slider.frames_in
    given, target = window[:, :, :t_in], window[:, :, t_in:]
    predicted = generator(given)
    repeated = given[:, :, -1:].expand_as(target)
    return float(((predicted - target) ** 2).mean()), float(((repeated - target) ** 2).mean())
