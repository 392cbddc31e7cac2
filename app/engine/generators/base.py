"""The Generator protocol (DESIGN §4) shared by every image generator."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


# where a frame is between the two keyframes of a motion in W: a frame parameter the
# renderer adds, never a registry one (not performable: it is the motion's own progress)
W_PROGRESS = "motion.w_progress"


def settle_precision(
    network: torch.nn.Module,
    placement: Placement,
    attach: Callable[[torch.nn.Module, Placement], torch.Tensor],
) -> str:
    """Half precision where the network allows. ``network`` is built in float32 on the CPU;
    a copy in the placement's half precision draws once (``attach`` installs a network and
    placement on the generator and returns a test picture). When that picture overflows
    (inf / NaN: activations above 65504) the float32 original is installed instead, so no
    weight was rounded on the way. Returns a note for the description ("" when unchanged)."""
    if placement.dtype == torch.float32:
        attach(network.to(placement.device), placement)
        return ""
    half = copy.deepcopy(network).to(placement.device, placement.dtype)
    with torch.inference_mode():
        if bool(torch.isfinite(attach(half, placement)).all()):
            return ""
    full = Placement(placement.device, torch.float32)
    attach(network.to(placement.device), full)
    return f" (float32: {str(placement.dtype).removeprefix('torch.')} overflowed)"


@runtime_checkable
class ControlledGenerator(Generator, Protocol):
    """A network with performable controls of its own (StyleGAN's W space, BigGAN's
    truncation and class scale), read from the frame's parameters (``gan.*``)."""

    def info(self) -> "NetworkInfo": ...

    def draw_with(
        self, z: torch.Tensor, y: torch.Tensor | None, params: Mapping[str, float]
    ) -> torch.Tensor: ...


@dataclass(frozen=True)
class NetworkInfo:
    """What ``models inspect`` prints of a network."""

    family: str
    resolution: int
    z_dim: int
    w_dim: int
    classes: int
    num_ws: int
    layers: int
    detail: str = ""

    def lines(self) -> list[str]:
        return [
            f"family      {self.family}",
            f"resolution  {self.resolution}x{self.resolution}",
            f"z dim       {self.z_dim}",
            f"w dim       {self.w_dim or '-'}",
            f"classes     {self.classes or 'unconditional'}",
            f"layers      {self.layers} ({self.num_ws} ws)"
            if self.num_ws
            else f"layers      {self.layers}",
        ] + ([self.detail] if self.detail else [])
