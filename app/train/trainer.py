"""DCGAN training (seed 000 in torch): Adam for each network with its own learning rate and
beta1, binary cross-entropy on logits, the generator updated ``g_updates`` times per
discriminator update (carpedm20's choice, kept by seed 000: it stops D winning too fast).

Checkpoints hold the generator exactly as the ``dcgan`` generator loads it, plus a
``training`` section (discriminator, optimisers, step, the fixed timelapse latents and the
job), so training resumes where it stopped and the synth plays the same file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.core.errors import UserError
from app.engine.device import Placement
from app.engine.discriminator import Discriminator
from app.engine.generators.dcgan import (
    DCGANGenerator,
    load_checkpoint_model,
    save_checkpoint,
)

from .config import TrainConfig
from .dataset import Dataset


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """DCGAN initialisation: N(0, 0.02) weights, N(1, 0.02) batch-norm scales."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02, generator=generator)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02, generator=generator)
            nn.init.zeros_(m.bias)


@dataclass
class StepLosses:
    d: float
    g: float


class Trainer:
    """One job's networks, optimisers and data order; ``step()`` trains one batch."""

    def __init__(self, config: TrainConfig, data: Dataset, placement: Placement) -> None:
        self.config = config
        self.data = data
        self.placement = placement
        self.device = placement.device
        self.rng = torch.Generator().manual_seed(config.seed)
        self.generator = DCGANGenerator(config.generator_config())
        self.discriminator = Discriminator(config)
        init_weights(self.generator, self.rng)
        init_weights(self.discriminator, self.rng)
        self.generator.to(self.device).train()
        self.discriminator.to(self.device).train()
        self.opt_g = torch.optim.Adam(
            self.generator.parameters(), lr=config.learning_rate_g, betas=(config.beta1_g, 0.999)
        )
        self.opt_d = torch.optim.Adam(
            self.discriminator.parameters(),
            lr=config.learning_rate_d,
            betas=(config.beta1_d, 0.999),
        )
        self.fixed_z = torch.randn(config.batch_size, config.latent_dim, generator=self.rng)
        self.step_count = 0
        self.samples_taken = 0
        self._order = torch.empty(0, dtype=torch.long)
        self._cursor = 0

    @property
    def epoch(self) -> float:
        return self.step_count * self.config.batch_size / len(self.data)

    def total_steps(self) -> int:
        """--steps, or --epochs over the data, or one step per timelapse frame."""
        c = self.config
        if c.steps is not None:
            return c.steps
        if c.epochs is not None:
            return max(1, math.ceil(c.epochs * len(self.data) / c.batch_size))
        return c.timelapse_frames

    def _batch(self) -> torch.Tensor:
        """The next batch of real images in [-1, 1] (a fresh shuffle each pass)."""
        size = self.config.batch_size
        picks = []
        while len(picks) < size:
            if self._cursor >= len(self._order):
                self._order = torch.randperm(len(self.data), generator=self.rng)
                self._cursor = 0
            take = self._order[self._cursor : self._cursor + size - len(picks)]
            self._cursor += len(take)
            picks += take.tolist()
        real = self.data.images[picks].to(self.device, torch.float32)
        return real / 127.5 - 1.0

    def step(self) -> StepLosses:
        real = self._batch()
        b = real.shape[0]
        z = torch.randn(b, self.config.latent_dim, generator=self.rng).to(self.device)
        fake = self.generator(z)
        ones = torch.ones(b, device=self.device)
        zeros = torch.zeros(b, device=self.device)
        d_loss = F.binary_cross_entropy_with_logits(
            self.discriminator(real), ones
        ) + F.binary_cross_entropy_with_logits(self.discriminator(fake.detach()), zeros)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        for _ in range(self.config.g_updates):
            g_loss = F.binary_cross_entropy_with_logits(self.discriminator(self.generator(z)), ones)
            self.opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            self.opt_g.step()
        self.step_count += 1
        return StepLosses(float(d_loss.detach()), float(g_loss.detach()))

    @torch.no_grad()
    def sample(self) -> np.ndarray:
        """The fixed latent grid drawn by the generator now: [B, H, W, 3] uint8 (eval mode:
        batch norm uses its running statistics, as the synth will)."""
        self.generator.eval()
        images = self.generator(self.fixed_z.to(self.device))
        self.generator.train()
        self.samples_taken += 1
        return (
            ((images + 1.0) * 127.5)
            .round()
            .clamp(0, 255)
            .to(torch.uint8)
            .permute(0, 2, 3, 1)
            .cpu()
            .numpy()
        )

    def save(self, path: Path) -> None:
        """An atomic checkpoint the ``dcgan`` generator plays, with the training state."""
        self.generator.eval()
        save_checkpoint(
            path,
            self.generator.cpu(),
            extra={
                "training": {
                    "job": self.config.model_dump(mode="json"),
                    "step": self.step_count,
                    "samples_taken": self.samples_taken,
                    "discriminator": self.discriminator.state_dict(),
                    "opt_g": self.opt_g.state_dict(),
                    "opt_d": self.opt_d.state_dict(),
                    "fixed_z": self.fixed_z,
                    "rng": self.rng.get_state(),
                }
            },
        )
        self.generator.to(self.device).train()

    def resume(self, path: Path) -> None:
        """Continue from a checkpoint of the same network layout (UserError otherwise)."""
        model, payload = load_checkpoint_model(path)
        state = payload.get("training")
        where = f"--resume '{path}'"
        if not isinstance(state, dict):
            raise UserError(f"{where}: has no training state (a generator-only file)")
        if model.config != self.generator.config:
            raise UserError(
                f"{where}: its generator layout differs from this job's "
                f"({model.config.model_dump()} vs "
                f"{self.generator.config.model_dump()})"
            )
        try:
            self.generator.load_state_dict(model.state_dict())
            self.discriminator.load_state_dict(state["discriminator"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
        except (KeyError, RuntimeError, ValueError) as exc:
            raise UserError(f"{where}: training state does not fit this job ({exc})") from None
        self.generator.to(self.device).train()
        self.discriminator.to(self.device).train()
        self.fixed_z = state["fixed_z"]
        self.rng.set_state(state["rng"])
        self.step_count = int(state["step"])
        self.samples_taken = int(state.get("samples_taken", 0))


def sample_steps(total_steps: int, frames: int) -> set[int]:
    """The steps (1-based, after which a sample is taken) spreading ``frames`` timelapse
    frames evenly over the training; every step when there are fewer steps than frames."""
    if frames >= total_steps:
        return set(range(1, total_steps + 1))
    return {int(s) for s in np.linspace(1, total_steps, frames).round()}
