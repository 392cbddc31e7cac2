"""``stylegan``: StyleGAN2, StyleGAN2-ADA and StyleGAN3 network pickles (NVIDIA's ``.pkl``
format, as every public model zoo and NVIDIA's train.py write them), played with W-space
controls that are parameters (so MIDI, routes, presets and replay reach them):

- ``gan.truncation`` (psi) pulls w towards the network's average ``w_avg`` on the first
  ``gan.truncation.cutoff`` layers (0: all);
- ``gan.mix.coarse`` / ``.middle`` / ``.fine`` mix a second latent into that layer group
  ("shape from A, colour from B"); the second latent is the motion's latent turned by a
  fixed, seeded rotation, so it moves with the music but is another picture;
- ``gan.noise`` scales the per-pixel noise, ``gan.noise.mode`` picks const / random / off
  (StyleGAN2 only: StyleGAN3 has no noise inputs);
- ``gan.translate.x`` / ``.y`` and ``gan.rotate`` move the StyleGAN3 Fourier input, so a
  beat can push or spin the picture inside the network.

The pickle is read by ``model_files.load_network_pickle``: nothing in it is executed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from app.core.errors import UserError, describe
from app.core.seeds import derive_seed
from app.engine.device import Placement
from app.engine.model_files import PersistentObject, load_network_pickle
from app.engine.param_specs import NETWORK_PARAMS

from .base import W_PROGRESS, NetworkInfo, settle_precision
from .stylegan_nets import (
    NOISE_MODES,
    Mapping as MappingNet,
    StyleGAN2Synthesis,
    StyleGAN3Synthesis,
    truncate,
)

LAYER_GROUPS = ("coarse", "middle", "fine")
# the controls this generator reads, at their registry defaults
DEFAULT_CONTROLS: dict[str, float] = {
    spec.id: spec.default for spec in NETWORK_PARAMS if spec.id != "gan.class.scale"
}


def pick_generator(data: object, path: Path) -> PersistentObject:
    """``G_ema`` (the averaged generator NVIDIA's tools play), else ``G``."""
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a StyleGAN network pickle (no G_ema inside)")
    for key in ("G_ema", "G"):
        network = data.get(key)
        if network is None:
            continue
        if not isinstance(network, PersistentObject) or network.class_name != "Generator":
            found = (
                network.class_name
                if isinstance(network, PersistentObject)
                else type(network).__name__
            )
            raise UserError(
                f"{path}: refused: {key} is a '{found}', not a StyleGAN "
                "generator (its code is never run)"
            )
        return network
    raise UserError(f"{path}: not a StyleGAN network pickle (no G_ema inside)")


def layer_group_of(index: int, num_ws: int, stylegan3: bool) -> int:
    """0 coarse, 1 middle, 2 fine. StyleGAN2: ws 0-3 (4-8 px), 4-7 (16-32 px), the rest,
    as in the StyleGAN papers; StyleGAN3 (no per-resolution layers): thirds."""
    if stylegan3:
        return min(2, index * 3 // num_ws)
    return 0 if index < 4 else 1 if index < 8 else 2


def input_transform(translate_x: float, translate_y: float, rotate_deg: float) -> torch.Tensor:
    """The StyleGAN3 input transform for a translation and rotation: the inverse of the
    user matrix, as NVIDIA's gen_images.py sets it."""
    a = math.radians(rotate_deg)
    s, c = math.sin(a), math.cos(a)
    user = np.array([[c, s, translate_x], [-s, c, translate_y], [0.0, 0.0, 1.0]])
    return torch.from_numpy(np.linalg.inv(user)).float()


class StyleGANGenerator:
    """A StyleGAN2/2-ADA/3 ``G_ema`` behind the Generator protocol, with W-space controls."""

    w_space = True  # takes motion in W: latents of rows [z, keyframe, keyframe]

    def __init__(
        self,
        record: PersistentObject,
        placement: Placement,
        seed: int = 0,
        path: Path = Path("network"),
    ) -> None:
        """``record``: the pickled ``G_ema``; ``path`` names it in messages."""
        try:
            self.mapping = MappingNet(record.child("mapping"))
            synthesis = record.child("synthesis")
            self.stylegan3 = "layer_names" in synthesis.state
            self.synthesis = (StyleGAN3Synthesis if self.stylegan3 else StyleGAN2Synthesis)(
                synthesis
            )
        except (KeyError, ValueError, TypeError, AttributeError, RuntimeError) as exc:
            raise UserError(
                f"{path}: not a StyleGAN2/3 generator latentvj can play ({describe(exc)})"
            ) from None
        self.path = path
        self.placement = placement
        # the mapping runs in float32 (w is small and precision matters for truncation);
        # the synthesis in the placement's precision (see _probe)
        self.mapping.to(placement.device).eval()
        self.synthesis.eval()
        self.latent_dim = self.mapping.z_dim
        self.class_dim = self.mapping.c_dim
        self.num_ws = self.mapping.num_ws
        resolution = self.synthesis.resolution
        self.native_size = (resolution, resolution)
        groups = [layer_group_of(i, self.num_ws, self.stylegan3) for i in range(self.num_ws)]
        self.layer_groups = torch.tensor(groups, device=placement.device)
        rng = np.random.default_rng(derive_seed(seed, "style-mix"))
        rotation, _ = np.linalg.qr(rng.standard_normal((self.latent_dim, self.latent_dim)))
        self.mix_rotation = torch.from_numpy(rotation).float().to(placement.device)
        self.family = "StyleGAN3" if self.stylegan3 else "StyleGAN2"
        self.description = (
            f"{self.family}: {path.name}, {resolution}x{resolution}, "
            f"z{self.latent_dim}" + (f", {self.class_dim} classes" if self.class_dim else "")
        )
        self._probe(path)

    def info(self) -> NetworkInfo:
        layers = len(self.synthesis.layers) if self.stylegan3 else self.synthesis.num_layers + 1
        return NetworkInfo(
            self.family,
            self.native_size[0],
            self.latent_dim,
            self.mapping.w_dim,
            self.class_dim,
            self.num_ws,
            layers,
            "noise       "
            + ("none (StyleGAN3)" if self.stylegan3 else f"{self.synthesis.num_layers} inputs"),
        )

    @classmethod
    def from_file(
        cls, path: str | Path, placement: Placement, seed: int = 0
    ) -> "StyleGANGenerator":
        path = Path(path)
        return cls(pick_generator(load_network_pickle(path), path), placement, seed, path)

    def _attach(self, synthesis: torch.nn.Module, placement: Placement) -> torch.Tensor:
        """Play ``synthesis`` on ``placement``; a test picture (for settle_precision)."""
        self.synthesis, self.placement = synthesis, placement
        with torch.inference_mode():
            return self(torch.randn(1, self.latent_dim, generator=torch.Generator().manual_seed(0)))

    def _probe(self, path: Path) -> None:
        try:
            self.description += settle_precision(self.synthesis, self.placement, self._attach)
        except RuntimeError as exc:
            raise UserError(
                f"{path}: its weights do not fit its own structure ({describe(exc)})"
            ) from None

    # -- the network's stages, for tests and tools ------------------------------------------
    def ws(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Untruncated ws [B, num_ws, w_dim] (float32)."""
        dev = self.placement.device
        c = y.to(dev, torch.float32) if (y is not None and self.class_dim) else None
        return self.mapping(z.to(dev, torch.float32), c)

    def synthesize(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        noise_gain: float = 1.0,
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The image of ws [B, num_ws, w_dim], in about [-1, 1] (not clamped)."""
        ws = ws.to(self.placement.device, self.placement.dtype)
        if self.stylegan3:
            if transform is not None:
                transform = transform.to(self.placement.device)
            return self.synthesis(ws, transform)
        gains = torch.full((self.synthesis.num_layers,), float(noise_gain))
        return self.synthesis(ws, noise_mode, gains)

    def _ws_of(self, z: torch.Tensor, y: torch.Tensor | None, progress: float) -> torch.Tensor:
        """ws of a latent [B, dim], or of motion in W [B, 3, dim] (z, keyframe, keyframe):
        the keyframes' ws lerped by ``progress``."""
        if z.dim() == 3:
            return self.ws(z[:, 1], y).lerp(self.ws(z[:, 2], y), progress)
        return self.ws(z, y)

    # -- the Generator protocol ---------------------------------------------------------------
    def __call__(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.draw_with(z, y, DEFAULT_CONTROLS)

    def draw_with(
        self, z: torch.Tensor, y: torch.Tensor | None, params: Mapping[str, float]
    ) -> torch.Tensor:
        """The picture of ``z`` (and class ``y``) under the W-space controls in ``params``
        (missing ones take their neutral values)."""
        control = {**DEFAULT_CONTROLS, **{k: v for k, v in params.items() if k in DEFAULT_CONTROLS}}
        progress = float(params.get(W_PROGRESS, 0.0))
        ws = self._ws_of(z, y, progress)
        mix = torch.tensor([control[f"gan.mix.{g}"] for g in LAYER_GROUPS], device=ws.device)[
            self.layer_groups
        ]
        if bool((mix > 0).any()):
            turned = z.to(ws.device, torch.float32) @ self.mix_rotation
            ws = ws.lerp(self._ws_of(turned, y, progress), mix[None, :, None])
        cutoff = int(round(control["gan.truncation.cutoff"]))
        ws = truncate(
            ws,
            self.mapping.w_avg,
            float(control["gan.truncation"]),
            cutoff if 0 < cutoff < self.num_ws else None,
        )
        mode = NOISE_MODES[min(2, max(0, int(round(control["gan.noise.mode"]))))]
        transform = None
        if self.stylegan3 and any(
            control[k] for k in ("gan.translate.x", "gan.translate.y", "gan.rotate")
        ):
            transform = input_transform(
                control["gan.translate.x"], control["gan.translate.y"], control["gan.rotate"]
            )
        img = self.synthesize(ws, mode, control["gan.noise"], transform)
        return img.clamp(-1.0, 1.0)
