"""The frame renderer: frame = render(patch, params, analysis, events, seed).

One ``FrameRenderer`` serves the offline job and (later) the live render worker, so both
draw the same pictures from the same inputs. State that carries across frames (modulation
smoothing, feedback) is in an explicit ``RenderState``; latent motion is a pure function of
the beat position.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
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
from app.engine.generators import (
    W_PROGRESS,
    ControlledGenerator,
    Generator,
    ScaledGenerator,
    build_generator,
    generator_key,
)
from app.engine.layers import LayerStack
from app.engine.motion import LatentMotion, slerp


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
        return img[..., y0 : y0 + h, x0 : x0 + w]
    out = torch.full((img.shape[0], 3, h, w), -1.0, device=img.device, dtype=img.dtype)
    x0, y0 = (w - nw) // 2, (h - nh) // 2
    out[..., y0 : y0 + nh, x0 : x0 + nw] = img
    return out


def to_uint8_hwc(img: torch.Tensor, size: tuple[int, int] | None = None) -> np.ndarray:
    """[1, 3, H, W] in [0, 1] -> contiguous HxWx3 uint8 on the CPU, upscaled (bilinear) to
    ``size`` (W, H) when given. The picture is quantised first and upscaled as uint8 in
    channels-last layout: torch's fast path, ~4x cheaper than a float upscale and a
    quantisation at the output size (within 1 of it per pixel)."""
    q = (
        (img * 255.0 + 0.5)
        .clamp_(0, 255)
        .to(torch.uint8)
        .cpu()
        .contiguous(memory_format=torch.channels_last)
    )
    if size is not None and q.shape[-2:] != (size[1], size[0]):
        q = F.interpolate(q, size=(size[1], size[0]), mode="bilinear", align_corners=False)
    return q[0].permute(1, 2, 0).contiguous().numpy()


class FrameRenderer:
    """Renders frames of one patch at one size with one generator."""

    def __init__(
        self,
        patch: Patch,
        registry: ParamRegistry,
        size: tuple[int, int],
        placement: Placement,
        seed: int | None = None,
        preset_dir: Path | None = None,
        generator: Generator | None = None,
        layer_feed=None,
    ) -> None:
        """``layer_feed(spec, preset_dir)`` (live) hands a video layer's decoding feed;
        without it the layers decode exact frames on the render thread (offline)."""
        self.patch = patch
        self.size = size
        self.placement = placement
        self.seed = patch.seed if seed is None else seed
        self.generator = generator or build_generator(
            patch.generator, size, placement, self.seed, preset_dir
        )
        self.generator_key = generator_key(patch.generator, self.seed, preset_dir)
        motion_spec = patch.motion
        if motion_spec.keyframes_file and preset_dir is not None:
            kf = Path(motion_spec.keyframes_file)
            if not kf.is_absolute() and not kf.exists():
                motion_spec = motion_spec.model_copy(
                    update={"keyframes_file": str(preset_dir / kf)}
                )
        self.motion = LatentMotion(
            motion_spec,
            self.generator.latent_dim,
            self.seed,
            self.generator.class_dim,
            beats_per_bar=patch.beats_per_bar,
        )
        self.modulator = Modulator(patch.routes, registry)
        self.w_motion = motion_spec.space == "w" and getattr(self.generator, "w_space", False)
        # a generator that draws small and upscales hands over its small picture: the
        # effects run at that size and the frame is upscaled once, after them
        self.scaled = isinstance(
            self.generator, ScaledGenerator
        ) and self.generator.native_size == tuple(size)
        self.work_size = self.generator.internal_size if self.scaled else tuple(size)
        self.effects = Effects(patch.effects, self.work_size, placement)
        self.layers = LayerStack(
            patch.layers, self.work_size, placement, self.seed, preset_dir, layer_feed
        )
        self.dream = live_dream(patch, placement, self.seed, preset_dir)
        self.base_params = {**registry.defaults(), **patch.params}

    def new_state(self) -> RenderState:
        return RenderState(modulation=self.modulator.new_state())

    def effective_params(
        self, analysis: AnalysisFrame, state: RenderState, base: Mapping[str, float] | None = None
    ) -> dict[str, float]:
        """Base values with modulation applied (advances the smoothing state)."""
        return self.modulator.evaluate(base or self.base_params, analysis, state.modulation)

    def motion_point(
        self,
        analysis: AnalysisFrame,
        state: RenderState,
        base: Mapping[str, float] | None = None,
        jumps: Sequence[tuple[float, int]] = (),
    ) -> tuple[dict[str, float], np.ndarray, np.ndarray | None]:
        """This frame's parameters (advances the smoothing), latent vector before
        truncation, and class vector (None for unconditional generators). With motion in
        W on a generator that has a W space, the latent is the rows of
        ``LatentMotion.w_point`` and ``params[W_PROGRESS]`` the progress between them."""
        params = self.effective_params(analysis, state, base)
        z = self.motion.z_at(
            analysis.beats,
            jumps,
            oscillate_amount=params["motion.oscillate.amount"],
            flicker_amount=params["motion.flicker.amount"],
            push=params["motion.push"],
        )
        if self.w_motion:
            rows = self.motion.w_point(analysis.beats, z, jumps)
            if rows is not None:
                ends = self.motion.keyframe_ends(
                    analysis.beats, self.motion.jumps_before(analysis.beats, jumps)
                )
                params[W_PROGRESS] = ends[2]
                z = rows
        return params, z, self.motion.y_at(analysis.beats, analysis)

    def generate(
        self, z: np.ndarray, y: np.ndarray | None, params: Mapping[str, float]
    ) -> torch.Tensor:
        """The generator's picture of ``z`` (truncated by the parameter), fitted to the
        frame at ``work_size``: [1, 3, h, w] in [0, 1]. A latent of rows (motion in W) goes
        to the generator whole when it lerps in W, else its first row (the z point)."""
        if z.ndim == 2 and not getattr(self.generator, "w_space", False):
            z = z[0]
        zt = torch.from_numpy(z * params["motion.truncation"]).float().unsqueeze(0)
        yt = torch.from_numpy(y).float().unsqueeze(0) if y is not None else None
        if self.scaled:
            img = self.generator.draw(zt, yt)
        elif isinstance(self.generator, ControlledGenerator):
            img = fit_to_frame(
                self.generator.draw_with(zt, yt, params), self.size, self.patch.generator.fit
            )
        else:
            img = fit_to_frame(self.generator(zt, yt), self.size, self.patch.generator.fit)
        return (img.to(self.placement.dtype) + 1.0) * 0.5

    def picture(
        self,
        z: np.ndarray,
        y: np.ndarray | None,
        params: Mapping[str, float],
        analysis: AnalysisFrame,
        frame: int,
    ) -> torch.Tensor:
        """The generator's picture with the video layers over it, dreamed (when the patch
        dreams): what the effects then finish."""
        img = self.layers.composite(self.generate(z, y, params), params, analysis)
        if self.dream is not None:
            img = self.dream.apply(
                img, params.get("fx.dream", 1.0), analysis.t_s, analysis.beats, frame
            )
        return img

    def finish(
        self, img: torch.Tensor, params: Mapping[str, float], state: RenderState, fps: float
    ) -> torch.Tensor:
        """Effects, at ``work_size`` (``pixels`` upscales the result once)."""
        return self.effects.apply(img, params, state.effects, fps)

    def pixels(self, img: torch.Tensor, output_size: tuple[int, int] | None) -> np.ndarray:
        """The finished picture as the frame's uint8 pixels, at ``output_size``
        (auto-resolution renders small) or the renderer's size."""
        return to_uint8_hwc(img, output_size or self.size)

    def frame(
        self,
        analysis: AnalysisFrame,
        state: RenderState,
        pixels: np.ndarray,
        params: dict[str, float],
        z: np.ndarray,
        times: Sequence[float],
    ) -> RenderedFrame:
        """Wrap finished pixels as this renderer's next frame (``times``: perf_counter at
        the start, after motion, after the generator, at the end)."""
        t0, t1, t2, t3 = times
        frame = RenderedFrame(
            seq=state.seq,
            t_s=analysis.t_s,
            image=pixels,
            beats=analysis.beats,
            bpm=analysis.bpm,
            bar_phase=analysis.bar_phase,
            params=params,
            latent=z if z.ndim == 1 else z[0],
            lookahead_s=analysis.lookahead_s,
            timings={
                "motion_ms": 1e3 * (t1 - t0),
                "generate_ms": 1e3 * (t2 - t1),
                "effects_ms": 1e3 * (t3 - t2),
                "total_ms": 1e3 * (t3 - t0),
            },
        )
        state.seq += 1
        return frame

    @torch.inference_mode()
    def render(
        self,
        analysis: AnalysisFrame,
        state: RenderState,
        fps: float,
        base: Mapping[str, float] | None = None,
        jumps: Sequence[tuple[float, int]] = (),
        output_size: tuple[int, int] | None = None,
    ) -> RenderedFrame:
        """One frame at ``analysis.t_s``; advances ``state``. ``output_size`` upscales the
        finished frame (auto-resolution renders small and shows it at the output size)."""
        t0 = time.perf_counter()
        params, z, y = self.motion_point(analysis, state, base, jumps)
        t1 = time.perf_counter()
        img = self.picture(z, y, params, analysis, state.seq)
        t2 = time.perf_counter()
        pixels = self.pixels(self.finish(img, params, state, fps), output_size)
        return self.frame(analysis, state, pixels, params, z, (t0, t1, t2, time.perf_counter()))


def live_dream(patch: Patch, placement: Placement, seed: int, preset_dir: Path | None):
    """The patch's dream effect (None when it does not dream); UserError naming the
    network or the layer that cannot be used."""
    from app.core.errors import UserError
    from app.engine.dream import LiveDream
    from app.engine.dream_nets import cached_dream_net

    spec = patch.dream
    if spec is None:
        return None
    from app.engine.dream_zoo import HUB_FILES

    path = Path(spec.net)
    if spec.net not in HUB_FILES and not path.is_absolute() and preset_dir is not None:
        path = preset_dir / path
    net = cached_dream_net(spec.net if spec.net in HUB_FILES else path)
    net.module.to(placement.device)
    try:
        return LiveDream(spec, net, seed)
    except ValueError as exc:
        raise UserError(f"dream.layers: {exc}") from None


def shares_latent_space(old: FrameRenderer, new: FrameRenderer) -> bool:
    """Whether a crossfade from ``old`` to ``new`` can move through latent space: the same
    generator (weights) drawing at the same size."""
    return (
        old.generator_key == new.generator_key
        and old.size == new.size
        and old.work_size == new.work_size
    )


MotionPoint = tuple[dict[str, float], np.ndarray, "np.ndarray | None"]
# how one side of a crossfade finishes the generator's picture (its effects) at these params
Look = Callable[[torch.Tensor, Mapping[str, float]], torch.Tensor]


def mix_points(a: MotionPoint, b: MotionPoint, weight: float) -> MotionPoint:
    """``weight`` of the way from motion point ``a`` to ``b``: the latent vectors slerp,
    class vectors and parameter values mix. A point in W (rows: z and two keyframes) mixes
    row by row with one in z, which stands still between its keyframes."""
    (params_a, za, ya), (params_b, zb, yb) = a, b
    params = {k: (1.0 - weight) * params_a.get(k, v) + weight * v for k, v in params_b.items()}
    if W_PROGRESS in params_a and W_PROGRESS not in params_b:
        params[W_PROGRESS] = (1.0 - weight) * params_a[W_PROGRESS]
    y = None if ya is None or yb is None else (1.0 - weight) * ya + weight * yb
    if za.ndim == zb.ndim == 1:
        return params, slerp(za, zb, weight), y
    rows_a, rows_b = (np.broadcast_to(z, (3, z.shape[-1])) for z in (za, zb))
    return params, np.stack([slerp(ra, rb, weight) for ra, rb in zip(rows_a, rows_b)]), y


@torch.inference_mode()
def latent_crossfade(
    old: FrameRenderer,
    old_state: RenderState,
    new: FrameRenderer,
    new_state: RenderState,
    weight: float,
    analysis: AnalysisFrame,
    fps: float,
    base: Mapping[str, float] | None = None,
    jumps: Sequence[tuple[float, int]] = (),
    output_size: tuple[int, int] | None = None,
    old_point: MotionPoint | None = None,
    old_look: Look | None = None,
) -> RenderedFrame:
    """A frame ``weight`` of the way from ``old`` to ``new`` (both playing the same
    generator): the latent vectors slerp, class vectors and parameter values mix, and the
    generator runs once, so the picture morphs instead of dissolving. Structural effects
    that differ (mirror, kaleidoscope) are each applied to the morphed picture and blended.
    Both states advance, so the old patch's smoothing and feedback stay continuous.
    ``old_point``: where the old side is, when that is not ``old``'s own motion point (it
    is still fading in from another patch); the caller advanced ``old_state`` for it.
    ``old_look``: how the old side finishes the picture, when that is not ``old``'s own
    effects alone (the patch it is still fading in from has others)."""
    t0 = time.perf_counter()
    if old_point is None:
        old_point = old.motion_point(analysis, old_state)
    params, z, y = mix_points(old_point, new.motion_point(analysis, new_state, base, jumps), weight)
    t1 = time.perf_counter()
    img = new.picture(z, y, params, analysis, new_state.seq)
    t2 = time.perf_counter()
    out = new.finish(img, params, new_state, fps)
    if old_look is not None:
        out = (1.0 - weight) * old_look(img, params) + weight * out
    elif old.patch.effects != new.patch.effects:
        out = (1.0 - weight) * old.finish(img, params, old_state, fps) + weight * out
    pixels = new.pixels(out, output_size)
    return new.frame(analysis, new_state, pixels, params, z, (t0, t1, t2, time.perf_counter()))
