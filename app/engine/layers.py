"""Video layers over the generator's picture: which position of each source plays at a
musical instant (free-running, stretched over a number of beats, jumping on the beat or
the bar), and how it mixes in (blend modes in torch, opacity and mode as parameters).

Frames stay a pure function of (patch, params, analysis, time): the position comes from
the analysis frame's time and beats, a jump's landing place from the patch seed and the
beat it lands on, and an offline render decodes exactly that frame (``frame_at``); live,
the layer's own decode thread serves the newest frame it has for that position."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from app.core.patch import BLEND_MODES, LayerSpec
from app.core.types import AnalysisFrame
from app.engine.continuation import continuation_cue
from app.engine.device import Placement

KEY_SOFTNESS = 0.05  # the luma key fades in over this much luma either side of its threshold
_LUMA = (0.299, 0.587, 0.114)


def layer_position(
    spec: LayerSpec, duration_s: float, analysis: AnalysisFrame, seed: int, index: int
) -> float:
    """Seconds into the clip that play at ``analysis``'s instant."""
    if spec.timing == "beats":
        position = analysis.beats / spec.loop_beats * duration_s
    else:
        position = analysis.t_s * spec.rate
    if spec.jump != "none":
        unit = 1.0 if spec.jump == "beat" else float(analysis.beats_per_bar)
        landed = int(np.floor(analysis.beats / unit))
        rng = np.random.default_rng([seed, index, landed & 0x7FFFFFFF])
        position += rng.random() * duration_s
    if spec.loop and duration_s > 0:
        return position % duration_s
    return min(max(position, 0.0), duration_s)


def blend(
    base: torch.Tensor, layer: torch.Tensor, mode: str, opacity: float, key: float = 0.2
) -> torch.Tensor:
    """``layer`` over ``base`` ([1, 3, H, W] in [0, 1]) by ``mode``, at ``opacity``."""
    if mode == "mix":
        mixed = layer
    elif mode == "add":
        mixed = (base + layer).clamp(0.0, 1.0)
    elif mode == "screen":
        mixed = 1.0 - (1.0 - base) * (1.0 - layer)
    elif mode == "multiply":
        mixed = base * layer
    elif mode == "difference":
        mixed = (base - layer).abs()
    elif mode == "luma_key":  # the layer's dark parts are keyed out: the picture shows there
        weights = torch.tensor(_LUMA, dtype=layer.dtype, device=layer.device).view(1, 3, 1, 1)
        luma = (layer * weights).sum(dim=1, keepdim=True)
        alpha = ((luma - key + KEY_SOFTNESS) / (2 * KEY_SOFTNESS)).clamp(0.0, 1.0)
        mixed = base + alpha * (layer - base)
    else:
        raise ValueError(f"unknown blend mode {mode!r}")
    return base + opacity * (mixed - base)


def mode_of(value: float) -> str:
    """The blend mode a ``layerN.mode`` parameter value selects (rounded)."""
    return BLEND_MODES[int(round(min(max(value, 0.0), len(BLEND_MODES) - 1)))]


class LayerStack:
    """A patch's layers at one renderer's size. ``feed(spec, preset_dir)`` (live) hands a
    decoding thread's feed for a layer; without it each layer decodes exact frames here.
    Opening a source that cannot open raises UserError naming it (the patch does not
    load; the one playing plays on)."""

    def __init__(
        self,
        specs: list[LayerSpec],
        size: tuple[int, int],
        placement: Placement,
        seed: int,
        preset_dir: Path | None,
        feed: Callable[[LayerSpec, Path | None], object] | None = None,
    ) -> None:
        from app.engine.video_sources import open_source

        self.specs, self.size, self.placement, self.seed = specs, size, placement, seed
        self.live = feed is not None
        device = str(placement.device)
        self.sources = [
            feed(spec, preset_dir) if feed else open_source(spec, size, preset_dir, device)
            for spec in specs
        ]
        self.reseed_at: float | None = None  # the beat of the last reseed trigger (Player)

    def __bool__(self) -> bool:
        return bool(self.specs)

    def _picture(self, i: int, spec: LayerSpec, analysis: AnalysisFrame,
                 noise: float) -> np.ndarray | None:  # fmt: skip
        source = self.sources[i]
        clip = source.source if self.live else source
        if spec.source == "continuation":
            position = continuation_cue(spec, clip.fps, clip.windows, analysis, self.seed, i,
                                        noise, self.reseed_at, self.live)  # fmt: skip
        else:
            duration = getattr(clip, "duration_s", 0.0)
            position = layer_position(spec, duration, analysis, self.seed, i)
        if self.live:
            source.want(position)
            return source.latest()
        return clip.frame_at(position)

    def composite(
        self, img: torch.Tensor, params: Mapping[str, float], analysis: AnalysisFrame
    ) -> torch.Tensor:
        """``img`` with every layer blended over it, in order."""
        for i, spec in enumerate(self.specs):
            n = i + 1
            opacity = params.get(f"layer{n}.opacity", 1.0)
            picture = self._picture(i, spec, analysis, params.get(f"layer{n}.noise", 0.0))
            if picture is None or opacity <= 0.0:
                continue
            # decoded frames are read-only buffers: copied once, onto the device
            layer = torch.tensor(picture, device=self.placement.device).permute(2, 0, 1)[None]
            layer = layer.to(img.dtype) / 255.0
            if layer.shape[-2:] != img.shape[-2:]:
                layer = F.interpolate(
                    layer, size=img.shape[-2:], mode="bilinear", align_corners=False
                )
            img = blend(
                img,
                layer,
                mode_of(params.get(f"layer{n}.mode", 0.0)),
                opacity,
                params.get(f"layer{n}.key", 0.2),
            )
        return img
