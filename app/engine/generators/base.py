"""The Generator protocol (DESIGN §4) shared by every image generator."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from app.engine.device import Placement


@runtime_checkable
class Generator(Protocol):
    """Maps latent vectors (and class vectors) to images.

    ``__call__(z [B, latent_dim], y [B, class_dim] or None) -> [B, 3, H, W]`` in [-1, 1] on
    ``placement.device``. ``native_size`` is (width, height) of the output; the renderer fits
    it to the output size. Calls run under ``torch.inference_mode`` from the render thread.
    """

    latent_dim: int
    class_dim: int
    native_size: tuple[int, int]
    placement: Placement
    description: str

    def __call__(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor: ...


@runtime_checkable
class ScaledGenerator(Generator, Protocol):
    """A generator that draws at a smaller ``internal_size`` with the frame's aspect and
    upscales (the field's ``render_scale``). ``draw`` returns the internal-size image, so
    the renderer can run the effects at that size and upscale once, after them: effects on
    a 640x360 frame drawn at 320x180 cost a quarter, and the upscaled picture is as smooth."""

    internal_size: tuple[int, int]

    def draw(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor: ...
