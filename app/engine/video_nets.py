"""Video generators (seed 002): networks that take ``frames_in`` frames and draw the next
``frames_out`` ones, with 3D convolutions over (time, height, width). They predict the
change from the last given frame (a residual), so standing still is their starting point.
What trains them (the 3D discriminator, the losses) lives in ``app/train``; here is what
plays them too: the layout (``VideoNetConfig``) and the checkpoint file, read safely.

- ``UNet3D``: levels halving height and width and doubling the channels, skip
  connections at every level (seed 002's layout), time kept until the head.
- ``ResNet3D``: a stem, residual blocks at half size, back up.
- The head folds the ``frames_in`` time steps into ``frames_out`` frames (a convolution
  over the whole time axis)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from torch import nn

from app.core.errors import UserError, validation_message

CHECKPOINT_FORMAT = "latentvj-video-generator"
CHECKPOINT_VERSION = 1


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


class VideoNetConfig(BaseModel):
    """A video generator's layout, and the footage facts a player needs: the frame size it
    was trained at and how many of its frames make a second."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["unet", "resnet"] = "unet"
    frames_in: int = Field(4, ge=1, le=64)
    frames_out: int = Field(1, ge=1, le=64)
    channels: int = Field(32, ge=1, le=512)
    levels: int = Field(3, ge=1, le=7, description="U-Net levels")
    blocks: int = Field(4, ge=1, le=32, description="ResNet residual blocks")
    width: int = Field(64, ge=8, le=2048)
    height: int = Field(64, ge=8, le=2048)
    frame_rate: float = Field(25.0, gt=0.0, le=1000.0, description="the footage's frames a "
                              "second over its frame step: one prediction's time")  # fmt: skip

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def divisor(self) -> int:
        """Width and height must divide by this (the U-Net halves them per level)."""
        return 2 ** (self.levels - 1) if self.kind == "unet" else 2


def build_video_net(config: VideoNetConfig) -> nn.Module:
    if config.kind == "unet":
        return UNet3D(config.frames_in, config.frames_out, config.channels, config.levels)
    return ResNet3D(config.frames_in, config.frames_out, config.channels, config.blocks)


def save_video_checkpoint(path: Path, config: VideoNetConfig, generator: nn.Module,
                          seeds: np.ndarray, training: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Write atomically: the layout, the generator's weights, ``seeds`` (windows of the
    footage, [S, frames_in, H, W, 3] uint8, that a player starts from and re-seeds with,
    so the file plays without the footage) and the training state for a resume."""
    from app.core.atomic import atomic_path

    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": config.model_dump(),
        "generator": {k: v.detach().cpu() for k, v in generator.state_dict().items()},
        "seeds": torch.from_numpy(np.ascontiguousarray(seeds)),
        **({"training": training} if training is not None else {}),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_video_checkpoint(path: Path, where: str | None = None):
    """(generator in eval mode, its config, seed windows [S, T, H, W, 3] uint8, the whole
    payload), read weights-only (tensors and plain data: nothing in the file runs).
    UserError starting with ``where`` (default: the file) for any problem."""
    from app.engine.generators.dcgan import read_torch_file
    from app.engine.model_files import check_weights

    path = Path(path)
    where = where or f"video model '{path}'"
    payload = read_torch_file(path, where)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise UserError(f"{where}: not a latentvj video generator (train one with train-video)")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise UserError(f"{where}: version {payload.get('version')!r} is not supported "
                        f"(expected {CHECKPOINT_VERSION})")  # fmt: skip
    try:
        config = VideoNetConfig.model_validate(payload.get("config"))
    except ValidationError as exc:
        raise UserError(f"{where}: invalid layout ({validation_message(exc)})") from None
    net = build_video_net(config)
    check_weights(where, net, payload.get("generator"))
    seeds = payload.get("seeds")
    shape = (config.frames_in, config.height, config.width, 3)
    if not (isinstance(seeds, torch.Tensor) and seeds.dtype == torch.uint8
            and seeds.ndim == 5 and len(seeds) and tuple(seeds.shape[1:]) == shape):  # fmt: skip
        raise UserError(f"{where}: no seed windows of {config.frames_in} frames at "
                        f"{config.width}x{config.height}")  # fmt: skip
    net.load_state_dict(payload["generator"])
    return net.eval(), config, seeds.numpy(), payload
