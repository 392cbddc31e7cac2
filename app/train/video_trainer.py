"""Training a video generator on sequences (seed 002): each step a batch of training
windows (a fresh shuffle each pass), the discriminator judging real windows against windows
ending in the generator's frames, then the generator under the job's loss. What shows the
progress: sample grids of fixed validation windows and the measure that matters, the
prediction error on held-out windows beside the error of repeating the last given frame.

A checkpoint holds the generator as players load it (``app.engine.video_nets``), seed
windows of the footage, and the training state (discriminator, optimisers, data order,
random state, loss history), so a resumed run goes on exactly where it stopped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from app.core.errors import UserError
from app.engine.device import Placement
from app.engine.video_nets import (
    VideoNetConfig,
    build_video_net,
    load_video_checkpoint,
    save_video_checkpoint,
)

from .sequences import Sequences
from .video_config import VideoJob
from .video_losses import Discriminator3D, discriminator_loss, generator_loss

SEED_WINDOWS = 16  # footage windows a checkpoint carries for players to start from


@dataclass(frozen=True)
class VideoLosses:
    generator: float
    discriminator: float


def to_uint8(frames: torch.Tensor) -> np.ndarray:
    """[..., 3, H, W] in [-1, 1] -> [..., H, W, 3] uint8."""
    pixels = ((frames.detach().float().cpu() + 1.0) * 127.5).round().clamp(0, 255)
    return pixels.to(torch.uint8).movedim(-3, -1).numpy()


class VideoTrainer:
    """One job's networks, optimisers and data order; ``step()`` trains one batch."""

    def __init__(self, job: VideoJob, seqs: Sequences, placement: Placement) -> None:
        self.job, self.seqs, self.device = job, seqs, placement.device
        self.config: VideoNetConfig = job.net_config(seqs.frame_rate)
        with torch.random.fork_rng(devices=[]):  # the same job starts from the same weights
            torch.manual_seed(job.seed)
            self.generator = build_video_net(self.config).to(self.device).train()
            levels = max(1, min(3, int(np.log2(min(job.size))) - 2))
            self.discriminator = Discriminator3D(job.slider.length, job.size, job.channels,
                                                 levels).to(self.device).train()  # fmt: skip
        betas = (job.beta1, 0.999)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), job.learning_rate, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), job.learning_rate,
                                      betas=betas)  # fmt: skip
        self.rng = torch.Generator().manual_seed(job.seed)
        self.step_count = 0
        self.history: list[tuple[int, float, float]] = []  # (step, generator, discriminator)
        self._order = torch.empty(0, dtype=torch.long)
        self._cursor = 0
        shown = seqs.validation or seqs.train
        picks = np.linspace(0, len(shown) - 1, min(job.samples, len(shown))).round()
        self.shown = [shown[int(i)] for i in picks]  # the windows every sample grid shows

    def total_steps(self) -> int:
        return self.job.total_steps(len(self.seqs.train))

    def _windows(self, starts: list[int]) -> torch.Tensor:
        """Windows as [B, 3, T + K, H, W] on the device."""
        stacked = torch.stack([self.seqs.window(s) for s in starts])
        return stacked.permute(0, 2, 1, 3, 4).to(self.device)

    def _batch(self) -> torch.Tensor:
        picks: list[int] = []
        while len(picks) < self.job.batch:
            if self._cursor >= len(self._order):
                self._order = torch.randperm(len(self.seqs.train), generator=self.rng)
                self._cursor = 0
            take = self._order[self._cursor : self._cursor + self.job.batch - len(picks)]
            self._cursor += len(take)
            picks += [self.seqs.train[i] for i in take.tolist()]
        return self._windows(picks)

    def step(self) -> VideoLosses:
        window = self._batch()
        t_in = self.job.frames_in
        given, target = window[:, :, :t_in], window[:, :, t_in:]
        predicted = self.generator(given)
        fake = torch.cat([given, predicted], dim=2)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss = discriminator_loss(self.discriminator(window), self.discriminator(fake.detach()))
        d_loss.backward()
        self.opt_d.step()
        self.opt_g.zero_grad(set_to_none=True)
        g_loss = generator_loss(self.job.loss, self.discriminator(fake), predicted, target,
                                self.job.l1, self.job.l2)  # fmt: skip
        g_loss.backward()
        self.opt_g.step()
        self.step_count += 1
        losses = VideoLosses(float(g_loss.detach()), float(d_loss.detach()))
        self.history.append((self.step_count, losses.generator, losses.discriminator))
        return losses

    @torch.no_grad()
    def held_out_error(self) -> tuple[float, float]:
        """(the generator's mean squared error on the validation windows, the error of
        repeating the last given frame), over the predicted frames (eval mode)."""
        if not self.seqs.validation:
            return float("nan"), float("nan")
        self.generator.eval()
        total = repeat = 0.0
        t_in = self.job.frames_in
        for i in range(0, len(self.seqs.validation), 32):
            window = self._windows(self.seqs.validation[i : i + 32])
            given, target = window[:, :, :t_in], window[:, :, t_in:]
            predicted = self.generator(given)
            total += float(((predicted - target) ** 2).mean(dim=(1, 2, 3, 4)).sum())
            still = given[:, :, -1:].expand_as(target)
            repeat += float(((still - target) ** 2).mean(dim=(1, 2, 3, 4)).sum())
        self.generator.train()
        n = len(self.seqs.validation)
        return total / n, repeat / n

    @torch.no_grad()
    def sample(self) -> np.ndarray:
        """The sample grid: a row per shown window, the last given frame, the predicted
        frames, then the true ones; HxWx3 uint8."""
        self.generator.eval()
        window = self._windows(self.shown)
        self.generator.train()
        t_in = self.job.frames_in
        given, target = window[:, :, :t_in], window[:, :, t_in:]
        row = torch.cat([given[:, :, -1:], self.generator(given), target], dim=2)
        pictures = to_uint8(row.permute(0, 2, 1, 3, 4))  # [B, 1 + 2K, H, W, 3]
        b, n, h, w, _ = pictures.shape
        return np.ascontiguousarray(pictures.transpose(0, 2, 1, 3, 4).reshape(b * h, n * w, 3))

    def seed_windows(self) -> np.ndarray:
        """Windows of ``frames_in`` footage frames spread over the footage, [S, T, H, W, 3]."""
        seqs, t_in = self.seqs, self.job.frames_in
        starts = seqs.slider.starts(len(seqs.frames))
        picks = np.linspace(0, len(starts) - 1, min(SEED_WINDOWS, len(starts))).round()
        step = seqs.slider.step
        return np.stack([seqs.frames[starts[int(i)] :: step][:t_in] for i in picks])

    def save(self, path: Path) -> None:
        save_video_checkpoint(path, self.config, self.generator, self.seed_windows(), {
            "job": self.job.model_dump(mode="json"),
            "step": self.step_count,
            "history": self.history,
            "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "rng": self.rng.get_state(),
            "order": self._order,
            "cursor": self._cursor,
        })  # fmt: skip

    def resume(self, path: Path) -> None:
        """Go on from a checkpoint of this layout (UserError naming it otherwise)."""
        where = f"--resume '{path}'"
        generator, config, _, payload = load_video_checkpoint(path, where)
        state = payload.get("training")
        if not isinstance(state, dict):
            raise UserError(f"{where}: has no training state")
        mine = self.config.model_dump(exclude={"frame_rate"})
        if config.model_dump(exclude={"frame_rate"}) != mine:
            raise UserError(f"{where}: its network differs from this job's "
                            f"({config.model_dump()} vs {mine})")  # fmt: skip
        try:
            self.generator.load_state_dict(generator.state_dict())
            self.discriminator.load_state_dict(state["discriminator"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
            self.rng.set_state(state["rng"])
            self._order, self._cursor = state["order"], int(state["cursor"])
            if len(self._order) != len(self.seqs.train):  # other footage: a new shuffle
                self._order, self._cursor = torch.empty(0, dtype=torch.long), 0
            self.step_count = int(state["step"])
            self.history = [(int(s), float(g), float(d)) for s, g, d in state["history"]]
        except (KeyError, RuntimeError, ValueError, TypeError) as exc:
            raise UserError(f"{where}: training state does not fit this job ({exc})") from None
        self.generator.to(self.device).train()
        self.discriminator.to(self.device).train()
