"""The frames drawn today, held: a refactor of the frame function (issue 25: the player
split out of the render worker) must draw the same pictures. Fingerprints were recorded
on the code before it by ``python -m tests.golden_frames``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.golden_frames import (
    FIXTURES,
    GOLDEN,
    NETWORK_MODELS,
    performance_fingerprints,
    preset_fingerprints,
)

TOLERANCE = 1.0  # levels of 255 in a block mean: far below any change in what is drawn
RECORDED = json.loads(GOLDEN.read_text())


def assert_same(now: list[list[float]], then: list[list[float]], what: str) -> None:
    assert len(now) == len(then), what
    worst = float(np.abs(np.asarray(now) - np.asarray(then)).max())
    assert worst <= TOLERANCE, f"{what}: frames moved by {worst:.1f} levels"


@pytest.mark.parametrize("name", sorted(RECORDED["presets"]))
def test_every_shipped_preset_draws_what_it_drew(name):
    if name in NETWORK_MODELS and not FIXTURES.is_dir():
        pytest.skip(f"GAN fixtures not found at {FIXTURES}")
    assert_same(preset_fingerprints(name), RECORDED["presets"][name], name)


def test_a_performance_through_the_render_worker_draws_what_it_drew():
    """Flash, a dissolve into another preset, a keyframe jump, freeze, blackout, a second
    crossfade and a latent crossfade from a motion edit."""
    frames = performance_fingerprints()
    assert_same(frames, RECORDED["performance"], "performance")
    assert len({tuple(f) for f in frames}) > len(frames) // 2  # a moving picture
    assert any(max(f) == 0.0 for f in frames)  # the blackout is in it
