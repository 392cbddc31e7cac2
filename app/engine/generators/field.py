"""``field``: the built-in generator, a seeded random coordinate network (CPPN).

Each pixel's colour is a small random MLP of its coordinates (x, y, radius, angular and
random Fourier features), with the latent vector z entering every layer as a bias. The
network is continuous in z, so moving z moves the image smoothly; the seed and the look's
shape parameters (width, depth, activations, frequency, symmetry, palette) give distinct
styles. No download and no training: the weights are drawn from the seed.

Speed: the coordinate part of the first layer is constant per size and precomputed, so a
frame costs ``depth`` small matmuls per pixel. It renders at ``render_scale`` of the output
size (0.5 by default, i.e. 320x180 for 640x360) and upscales bilinearly: these images are
smooth, so the upscale costs little detail and buys 4x speed on a laptop CPU. The renderer
calls ``draw`` (the internal-size image) and upscales after the effects, so they run at the
small size too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from app.core.errors import UserError
from app.core.seeds import derive_seed
from app.engine.device import Placement

# In place, on the layer's fresh pre-activation: each is a pass over B x pixels x width
# floats, the bulk of a frame. tanh is written as 2 sigmoid(2x) - 1 (equal within 2e-7):
# torch's CPU tanh is about three times slower than that.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin": torch.sin_,
    "tanh": lambda x: torch.sigmoid_(x.mul_(2.0)).mul_(2.0).sub_(1.0),
    "gauss": lambda x: torch.exp_(x.mul_(x).neg_()),
    "softsign": lambda x: x.div_(x.abs().add_(1.0)),
}


@dataclass(frozen=True)
class FieldLook:
    """Shape parameters of a field look; any of them can be overridden from a preset."""

    width: int = 24
    depth: int = 3
    activations: tuple[str, ...] = ("sin", "tanh", "sin")
    frequency: float = 1.5
    fourier: int = 4
    anisotropy: float = 1.0  # vertical / horizontal frequency ratio of the Fourier features
    symmetry: int = 0  # n-fold angular features (0: none)
    gain: float = 1.6  # hidden-layer weight scale: higher is busier
    z_gain: float = 1.0  # how far the image moves per unit of z
    palette: str = "cosine"  # "cosine" (a random IQ palette) or "rgb" (direct channels)
    contrast: float = 1.5


LOOKS: dict[str, FieldLook] = {
    "nebula": FieldLook(activations=("sin", "tanh", "sin"), frequency=1.1, gain=1.4),
    "crystal": FieldLook(
        activations=("tanh", "tanh", "softsign"), frequency=1.6, symmetry=6, gain=2.6, contrast=2.5
    ),
    "cells": FieldLook(
        activations=("gauss", "sin", "gauss"), frequency=3.0, fourier=8, gain=1.8, contrast=2.0
    ),
    "plasma": FieldLook(
        activations=("sin", "sin", "sin"), frequency=2.0, palette="rgb", gain=1.5, contrast=3.0
    ),
    "strata": FieldLook(
        activations=("sin", "softsign", "tanh"), frequency=1.4, anisotropy=5.0, gain=2.0
    ),
    "bloom": FieldLook(
        activations=("gauss", "tanh", "sin", "tanh"),
        depth=4,
        symmetry=3,
        frequency=1.2,
        gain=1.7,
        contrast=1.8,
    ),
}
LATENT_DIM = 64
MIN_INTERNAL = 16


_LOOK_LIMITS = {"width": (1, 256), "depth": (1, 12), "fourier": (0, 64), "symmetry": (0, 32)}


def make_look(name: str, overrides: dict | None = None) -> FieldLook:
    """The named look with a preset's ``generator.shape`` overrides applied and checked;
    UserError naming the field for an unknown look, key, type or range."""
    if name not in LOOKS:
        raise UserError(f"generator.look: unknown field look {name!r}; one of {', '.join(LOOKS)}")
    base = asdict(LOOKS[name])
    for key, value in (overrides or {}).items():
        where = f"generator.shape.{key}"
        if key not in base:
            raise UserError(f"{where}: unknown shape parameter; one of {', '.join(base)}")
        expected = type(base[key])
        if expected is tuple:
            if (
                not isinstance(value, (list, tuple))
                or not value
                or any(a not in ACTIVATIONS for a in value)
            ):
                raise UserError(f"{where}: must be a list of {', '.join(ACTIVATIONS)}")
            value = tuple(value)
        elif expected is int:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or int(value) != value
            ):
                raise UserError(f"{where}: must be an integer, got {value!r}")
            lo, hi = _LOOK_LIMITS[key]
            if not lo <= value <= hi:
                raise UserError(f"{where}: must be between {lo} and {hi}, got {value!r}")
            value = int(value)
        elif expected is float:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or not 0.0 <= value <= 100.0
            ):
                raise UserError(f"{where}: must be a number from 0 to 100, got {value!r}")
            value = float(value)
        elif value not in ("cosine", "rgb"):
            raise UserError(f"{where}: must be 'cosine' or 'rgb', got {value!r}")
        base[key] = value
    return FieldLook(**base)


class FieldGenerator:
    """A seeded CPPN implementing the Generator protocol at any output size and aspect."""

    class_dim = 0
    latent_dim = LATENT_DIM

    def __init__(
        self,
        size: tuple[int, int],
        placement: Placement,
        look: str = "nebula",
        seed: int = 0,
        render_scale: float = 0.5,
        overrides: dict | None = None,
    ) -> None:
        self.look_name = look
        self.look = make_look(look, overrides)
        self.seed = seed
        self.native_size = size
        self.placement = placement
        w, h = size
        self.internal_size = (
            max(MIN_INTERNAL, round(w * render_scale)),
            max(MIN_INTERNAL, round(h * render_scale)),
        )
        # each look draws from its own stream, so looks differ even at the same seed
        gen = torch.Generator().manual_seed(derive_seed(seed, f"field:{look}"))
        self._build(gen)
        iw, ih = self.internal_size
        self.description = (
            f"field:{look} seed {seed}, rendered at {iw}x{ih} and upscaled to {w}x{h}"
            if (iw, ih) != (w, h)
            else f"field:{look} seed {seed} at {w}x{h}"
        )

    def _randn(self, gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
        return torch.randn(*shape, generator=gen) * scale

    def _build(self, gen: torch.Generator) -> None:
        look, width = self.look, self.look.width
        features = self._coordinate_features(gen)
        n_feat = features.shape[1]
        w0 = self._randn(gen, n_feat, width, scale=look.frequency / math.sqrt(n_feat) * 2.0)
        self._hidden = [
            self._randn(gen, width, width, scale=look.gain / math.sqrt(width))
            for _ in range(look.depth - 1)
        ]
        self._z_proj = [
            self._randn(
                gen,
                LATENT_DIM,
                width,
                scale=look.z_gain / math.sqrt(LATENT_DIM) * (1.0 if i == 0 else 0.6),
            )
            for i in range(look.depth)
        ]
        self._biases = [self._randn(gen, width, scale=0.3) for _ in range(look.depth)]
        out_dim = 3 if look.palette == "rgb" else 2
        self._w_out = self._randn(gen, width, out_dim, scale=look.contrast / math.sqrt(width))
        # IQ cosine palette: colour(t) = a + b * cos(2 pi (c t + d)), drawn per seed
        self._palette = (
            0.5 + 0.1 * self._randn(gen, 3),
            0.45 + 0.05 * self._randn(gen, 3),
            0.6 + 0.4 * torch.rand(3, generator=gen),
            torch.rand(3, generator=gen),
        )
        dev, dt = self.placement.device, self.placement.dtype
        self._coord_term = (features @ w0).to(dev, dt)  # [N, width], constant per size
        self._hidden = [w.to(dev, dt) for w in self._hidden]
        self._z_proj = [w.to(dev, dt) for w in self._z_proj]
        self._biases = [b.to(dev, dt) for b in self._biases]
        self._w_out = self._w_out.to(dev, dt)
        self._palette = tuple(p.to(dev, dt) for p in self._palette)

    def _coordinate_features(self, gen: torch.Generator) -> torch.Tensor:
        """[N, F] per-pixel features at the internal size (y down, aspect kept)."""
        iw, ih = self.internal_size
        aspect = iw / ih
        ys = torch.linspace(-1.0, 1.0, ih)
        xs = torch.linspace(-aspect, aspect, iw)
        y, x = torch.meshgrid(ys, xs, indexing="ij")
        r = torch.sqrt(x * x + y * y)
        feats = [x, y, r]
        look = self.look
        if look.symmetry > 0:
            theta = torch.atan2(y, x)
            feats += [r * torch.cos(look.symmetry * theta), r * torch.sin(look.symmetry * theta)]
        if look.fourier > 0:
            freqs = self._randn(gen, look.fourier, 2, scale=look.frequency)
            freqs[:, 1] *= look.anisotropy
            proj = torch.stack([x, y], dim=-1) @ freqs.T  # [ih, iw, fourier]
            feats += list(torch.sin(proj).unbind(-1)) + list(torch.cos(proj).unbind(-1))
        return torch.stack(feats, dim=-1).reshape(ih * iw, -1)

    def __call__(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """[B, 64] latents -> [B, 3, H, W] images in [-1, 1] at ``native_size``."""
        img = self.draw(z, y)
        w, h = self.native_size
        if img.shape[-2:] != (h, w):
            img = F.interpolate(img, size=(h, w), mode="bilinear", align_corners=False)
        return img

    def draw(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """[B, 64] latents -> [B, 3, h, w] images in [-1, 1] at ``internal_size``."""
        z = z.to(self.placement.device, self.placement.dtype)
        acts = self.look.activations
        h = self._coord_term.unsqueeze(0) + (z @ self._z_proj[0] + self._biases[0]).unsqueeze(1)
        h = ACTIVATIONS[acts[0]](h)
        for i, w in enumerate(self._hidden, start=1):
            pre = torch.matmul(h, w).add_((z @ self._z_proj[i] + self._biases[i]).unsqueeze(1))
            h = ACTIVATIONS[acts[i % len(acts)]](pre)
        out = h @ self._w_out  # [B, N, 2 or 3]
        if self.look.palette == "rgb":
            rgb = torch.sigmoid(out)
        else:
            a, b, c, d = self._palette
            t = out[..., :1]
            shade = torch.sigmoid(out[..., 1:2] + 1.0)
            rgb = (a + b * torch.cos(2.0 * math.pi * (c * t + d))) * (0.35 + 0.65 * shade)
        iw, ih = self.internal_size
        img = rgb.clamp(0.0, 1.0).reshape(z.shape[0], ih, iw, 3).permute(0, 3, 1, 2)
        return img * 2.0 - 1.0
