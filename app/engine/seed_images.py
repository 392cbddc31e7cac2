"""Pictures of latent vectors on their own: the motion editor's seed grid and keyframe
thumbnails, and ``generate --random``'s images (seed 001's random-generation mode).

A seed names a latent vector (``seed_vector``), so a picked picture can be written down,
shared and played as a keyframe. Only the generator draws here: no motion, no effects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch

from app.core.keyframes import seed_vector
from app.engine.renderer import FrameRenderer, to_uint8_hwc


@torch.inference_mode()
def latent_images(renderer: FrameRenderer, vectors: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """The generator's picture (HxWx3 uint8, at the renderer's size) of each latent vector,
    with the patch's base truncation and class mix at its start."""
    params = renderer.base_params
    y = renderer.motion.y_at(0.0, None)
    for z in vectors:
        yield to_uint8_hwc(renderer.generate(np.asarray(z, dtype=np.float64), y, params))


def seed_images(
    renderer: FrameRenderer, seeds: Iterable[int]
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(seed, latent vector, picture) for each seed."""
    for seed in seeds:
        z = seed_vector(seed, renderer.generator.latent_dim)
        yield seed, z, next(latent_images(renderer, [z]))


@torch.inference_mode()
def patch_still(renderer: FrameRenderer, beats: float, bpm: float = 120.0) -> np.ndarray:
    """The whole patch's picture (generator, motion and effects; HxWx3 uint8) ``beats``
    into a steady groove with the audio features at rest: a preset's thumbnail."""
    from app.core.types import AnalysisFrame

    bar = renderer.patch.beats_per_bar
    frame = AnalysisFrame(
        t_s=beats * 60.0 / bpm,
        beats=beats,
        bpm=bpm,
        beat_phase=beats % 1.0,
        bar_phase=(beats / bar) % 1.0,
        onset=0.0,
        is_beat=False,
        rms=0.0,
        bands=(0.0, 0.0, 0.0),
        chroma=(0.0,) * 12,
        beats_per_bar=bar,
    )
    return renderer.render(frame, renderer.new_state(), fps=30.0).image
