"""The frame renderer: frame = render(patch, params, analysis, events, seed).

One ``FrameRenderer`` serves the offline job and (later) the live render worker, so both
draw the same pictures from the same inputs. State that carries across frames (modulation
smoothing, feedback) is in an explicit ``RenderState``; latent motion is a pure function of
the beat position.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from app.core.modulation import ModulationState, Modulator
from app.core.params import ParamRegistry
from app.core.patch import Patch
from app.core.types import AnalysisFrame, RenderedFrame
from app.engine.device import Placement
from app.engine.effects import Effects, EffectsState
from app.engine.generators import Generator, build_generator
from app.engine.motion import LatentMotion


@dataclass
class RenderState:
    """Everything a frame inherits from the frames before it."""

    modulation: ModulationState
    effects: EffectsState = field(default_factory=EffectsState)
    seq: int = 0


def fit_to_frame(img: torch.Tensor, size: tuple[int, int], fit: str) -> torch.Tensor:
    """Resize a generator image [B, 3, h, w] to the frame ``size`` (w, h).

    ``cover`` fills the frame and crops the overflow, ``contain`` letterboxes in black (-1),
    ``stretch`` ignores the aspect ratio.
    """
    w, h = size
    ih, iw = img.shape[-2:]
    if (iw, ih) == (w, h):
        return img
    if fit == "stretch":
        return F.interpolate(img, size=(h, w), mode="bilinear", align_corners=False)
    scale = max(w / iw, h / ih) if fit == "cover" else min(w / iw, h / ih)
    nw, nh = max(1, round(iw * scale)), max(1, round(ih * scale))
    img = F.interpolate(img, size=(nh, nw), mode="bilinear", align_corners=False)
    if fit == "cover":
        x0, y0 = (nw - w) // 2, (nh - h) // 2
        return img[..., y0:y0 + h, x0:x0 + w]
    out = torch.full((img.shape[0], 3, h, w), -1.0, device=img.device, dtype=img.dtype)
    x0, y0 = (w - nw) // 2, (h - nh) // 2
    out[..., y0:y0 + nh, x0:x0 + nw] = img
    return out


def to_uint8_hwc(img: torch.Tensor) -> np.ndarray:
    """[1, 3, H, W] in [0, 1] -> contiguous HxWx3 uint8 on the CPU."""
    return (img[0] * 255.0 + 0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0) \
        .contiguous().cpu().numpy()


class FrameRenderer:
    """Renders frames of one patch at one size with one generator."""

    def __init__(self, patch: Patch, registry: ParamRegistry, size: tuple[int, int],
                 placement: Placement, seed: int | None = None,
                 preset_dir: Path | None = None, generator: Generator | None = None) -> None:
        self.patch = patch
        self.size = size
        self.placement = placement
        self.seed = patch.seed if seed is None else seed
        self.generator = generator or build_generator(patch.generator, size, placement,
                                                      self.seed, preset_dir)
        motion_spec = patch.motion
        if motion_spec.keyframes_file and preset_dir is not None:
            kf = Path(motion_spec.keyframes_file)
            if not kf.is_absolute() and not kf.exists():
                motion_spec = motion_spec.model_copy(
                    update={"keyframes_file": str(preset_dir / kf)})
        self.motion = LatentMotion(motion_spec, self.generator.latent_dim, self.seed,
                                   self.generator.class_dim, beats_per_bar=patch.beats_per_bar)
        self.modulator = Modulator(patch.routes, registry)
        self.effects = Effects(patch.effects, size, placement)
        self.base_params = {**registry.defaults(), **patch.params}

    def new_state(self) -> RenderState:
        return RenderState(modulation=self.modulator.new_state())

    def effective_params(self, analysis: AnalysisFrame, state: RenderState,
                         base: Mapping[str, float] | None = None) -> dict[str, float]:
        """Base values with modulation applied (advances the smoothing state)."""
        return self.modulator.evaluate(base or self.base_params, analysis, state.modulation)

    def latent(self, analysis: AnalysisFrame, params: Mapping[str, float],
               jumps: Sequence[tuple[float, int]] = ()) -> tuple[np.ndarray, np.ndarray | None]:
        z = self.motion.z_at(analysis.beats, jumps,
                             oscillate_amount=params["motion.oscillate.amount"],
                             flicker_amount=params["motion.flicker.amount"],
                             push=params["motion.push"])
        return z * params["motion.truncation"], self.motion.y_at(analysis.beats, analysis)

    @torch.inference_mode()
    def render(self, analysis: AnalysisFrame, state: RenderState, fps: float,
               base: Mapping[str, float] | None = None,
               jumps: Sequence[tuple[float, int]] = (),
               output_size: tuple[int, int] | None = None) -> RenderedFrame:
        """One frame at ``analysis.t_s``; advances ``state``. ``output_size`` upscales the
        finished frame (auto-resolution renders small and shows it at the output size)."""
        t0 = time.perf_counter()
        params = self.effective_params(analysis, state, base)
        z, y = self.latent(analysis, params, jumps)
        t1 = time.perf_counter()
        zt = torch.from_numpy(z).float().unsqueeze(0)
        yt = torch.from_numpy(y).float().unsqueeze(0) if y is not None else None
        img = fit_to_frame(self.generator(zt, yt), self.size, self.patch.generator.fit)
        img = (img.to(self.placement.dtype) + 1.0) * 0.5
        t2 = time.perf_counter()
        img = self.effects.apply(img, params, state.effects, fps)
        if output_size is not None and output_size != self.size:
            img = F.interpolate(img, size=(output_size[1], output_size[0]), mode="bilinear",
                                align_corners=False)
        pixels = to_uint8_hwc(img)
        t3 = time.perf_counter()
        frame = RenderedFrame(seq=state.seq, t_s=analysis.t_s, image=pixels, beats=analysis.beats,
                              bpm=analysis.bpm, bar_phase=analysis.bar_phase,
                              params=params, timings={
            "motion_ms": 1e3 * (t1 - t0), "generate_ms": 1e3 * (t2 - t1),
            "effects_ms": 1e3 * (t3 - t2), "total_ms": 1e3 * (t3 - t0)})
        state.seq += 1
        return frame
