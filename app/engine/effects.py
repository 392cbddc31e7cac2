"""Frame effects as torch ops on [1, 3, H, W] images in [0, 1].

Order: mirror / kaleidoscope (geometry of the generated image), feedback (blend with the
previous output, zoomed and rotated), then colour: hue rotation, saturation, brightness and
flash. Feedback, the only effect with memory, keeps its previous frame in ``EffectsState``.
Its per-frame amounts are normalised to 30 fps, so a 60 fps re-render of a set looks the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from app.core.patch import EffectsSpec
from app.engine.device import Placement

REFERENCE_FPS = 30.0
# RGB <-> YIQ: hue rotation is a rotation of the IQ plane
_RGB2YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_YIQ2RGB = torch.linalg.inv(_RGB2YIQ)


@dataclass
class EffectsState:
    """Feedback memory: the previous output frame before colour effects."""

    previous: torch.Tensor | None = None


class Effects:
    """Applies a patch's effects at a fixed frame size."""

    def __init__(self, spec: EffectsSpec, size: tuple[int, int], placement: Placement) -> None:
        self.spec = spec
        self.size = size
        self.placement = placement
        w, h = size
        dev, dt = placement.device, placement.dtype
        ys = torch.linspace(-1.0, 1.0, h, device=dev, dtype=dt)
        xs = torch.linspace(-1.0, 1.0, w, device=dev, dtype=dt)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        aspect = w / h
        self._radius = torch.sqrt((gx * aspect) ** 2 + gy**2)
        self._angle = torch.atan2(gy, gx * aspect)
        self._aspect = aspect
        self._rgb2yiq = _RGB2YIQ.to(dev, dt)
        self._yiq2rgb = _YIQ2RGB.to(dev, dt)

    def _mirror(self, img: torch.Tensor) -> torch.Tensor:
        mode = self.spec.mirror
        if mode in ("horizontal", "quad"):
            w = img.shape[-1]
            left = img[..., : (w + 1) // 2]
            img = torch.cat([left, left.flip(-1)[..., w % 2 :]], dim=-1)
        if mode in ("vertical", "quad"):
            h = img.shape[-2]
            top = img[..., : (h + 1) // 2, :]
            img = torch.cat([top, top.flip(-2)[..., h % 2 :, :]], dim=-2)
        return img

    def _kaleidoscope(self, img: torch.Tensor, rotate_deg: float) -> torch.Tensor:
        """n segments of 2 pi / n, each a wedge and its mirror image: n-fold rotational
        symmetry with 2n mirror lines (a 6-segment kaleidoscope is a snowflake)."""
        segment = 2.0 * math.pi / self.spec.kaleidoscope
        theta = torch.remainder(self._angle + math.radians(rotate_deg), segment)
        theta = torch.where(theta > segment / 2.0, segment - theta, theta)
        theta = theta - segment / 4.0  # centre the sampled wedge on the x axis
        gx = self._radius * torch.cos(theta) / self._aspect
        gy = self._radius * torch.sin(theta)
        grid = torch.stack([gx, gy], dim=-1).unsqueeze(0)
        return F.grid_sample(
            img, grid, mode="bilinear", padding_mode="reflection", align_corners=False
        )

    def _feedback(
        self,
        img: torch.Tensor,
        state: EffectsState,
        amount: float,
        zoom: float,
        rotate_deg: float,
        fps: float,
    ) -> torch.Tensor:
        prev = state.previous
        if amount > 0.0 and prev is not None and prev.shape == img.shape:
            k = REFERENCE_FPS / fps
            a = amount**k
            z = zoom**k
            r = math.radians(rotate_deg * k)
            c, s = math.cos(r), math.sin(r)
            w, h = self.size
            theta = torch.tensor(
                [[c / z, s * h / (w * z), 0.0], [-s * w / (h * z), c / z, 0.0]],
                device=img.device,
                dtype=img.dtype,
            ).unsqueeze(0)
            grid = F.affine_grid(theta, list(img.shape), align_corners=False)
            warped = F.grid_sample(
                prev, grid, mode="bilinear", padding_mode="reflection", align_corners=False
            )
            img = torch.lerp(img, warped, a)
        state.previous = img
        return img

    def _colour(
        self, img: torch.Tensor, hue_deg: float, saturation: float, brightness: float, flash: float
    ) -> torch.Tensor:
        if hue_deg % 360.0 or saturation != 1.0:
            r = math.radians(hue_deg)
            c, s = math.cos(r), math.sin(r)
            rot = torch.tensor(
                [
                    [1.0, 0.0, 0.0],
                    [0.0, c * saturation, -s * saturation],
                    [0.0, s * saturation, c * saturation],
                ],
                device=img.device,
                dtype=img.dtype,
            )
            m = self._yiq2rgb @ rot @ self._rgb2yiq
            img = torch.einsum("ij,bjhw->bihw", m, img)
        if brightness != 1.0:
            img = img * brightness
        if flash > 0.0:
            img = img + flash * (1.0 - img)
        return img.clamp(0.0, 1.0)

    def apply(
        self, img: torch.Tensor, params: Mapping[str, float], state: EffectsState, fps: float
    ) -> torch.Tensor:
        """Run the chain on one frame; updates ``state`` (feedback memory)."""
        if self.spec.mirror != "none":
            img = self._mirror(img)
        if self.spec.kaleidoscope > 0:
            img = self._kaleidoscope(img, params["fx.kaleido.rotate"])
        img = self._feedback(
            img,
            state,
            params["fx.feedback.amount"],
            params["fx.feedback.zoom"],
            params["fx.feedback.rotate"],
            fps,
        )
        img = self._colour(
            img,
            params["fx.hue.shift"],
            params["fx.saturation"],
            params["fx.brightness"],
            params["fx.flash"],
        )
        # the master fader: after everything, outside the feedback loop (a fade to black
        # and back leaves the feedback trails as they were)
        master = params.get("out.master", 1.0)
        return img if master >= 1.0 else img * master
