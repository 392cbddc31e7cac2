"""Video layers: each blend mode's defining property on small tensors, where a clip plays at
a musical instant, exact decoding of a test video made with the bundled ffmpeg (testsrc
and a sine tone), and one-line refusals of what cannot play."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from app.core.errors import UserError
from app.core.patch import BLEND_MODES, LayerSpec
from app.core.types import AnalysisFrame
from app.engine.layers import blend, layer_position, mode_of
from app.engine.video_sources import Camera, ImageFolder, LiveFeed, VideoClip
from tests.media import FFMPEG
from tests.waiting import wait_until


def test_video(path: Path, seconds: float = 4.0, audio: bool = True) -> Path:
    """``seconds`` of ffmpeg's testsrc at 25 fps (a frame counter on screen), with a 440 Hz
    tone."""
    inputs = ["-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={seconds}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    subprocess.run([FFMPEG, "-y", "-loglevel", "error", *inputs, "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", *(["-c:a", "aac"] if audio else []), str(path)],
                   check=True)  # fmt: skip
    return path


test_video.__test__ = False  # a helper, not a test


def tensors():
    g = torch.Generator().manual_seed(3)
    return torch.rand(1, 3, 8, 8, generator=g), torch.rand(1, 3, 8, 8, generator=g)


def test_each_blend_mode_does_what_its_name_says():
    a, b = tensors()
    assert torch.equal(blend(a, b, "mix", 1.0), b) and torch.equal(blend(a, b, "mix", 0.0), a)
    assert torch.allclose(blend(a, b, "mix", 0.25), 0.75 * a + 0.25 * b)
    assert torch.equal(blend(a, b, "add", 1.0), (a + b).clamp(0, 1))
    screen = blend(a, b, "screen", 1.0)
    assert (screen >= torch.maximum(a, b) - 1e-6).all() and (screen <= 1).all()
    multiply = blend(a, b, "multiply", 1.0)
    assert (multiply <= torch.minimum(a, b) + 1e-6).all()
    assert torch.equal(blend(a, b, "difference", 1.0), blend(b, a, "difference", 1.0))
    assert blend(a, a, "difference", 1.0).abs().max() == 0
    dark, bright = torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8)
    assert torch.equal(blend(a, dark, "luma_key", 1.0, key=0.2), a)  # keyed out
    assert torch.equal(blend(a, bright, "luma_key", 1.0, key=0.2), bright)
    assert [mode_of(v) for v in (0.0, 1.4, 2.6, 5.0, 9.0)] == \
        ["mix", "add", "multiply", "luma_key", "luma_key"]  # fmt: skip
    assert len(BLEND_MODES) == 6


def frame(t_s=0.0, beats=0.0, bpm=120.0):
    return AnalysisFrame(t_s=t_s, beats=beats, bpm=bpm, beat_phase=beats % 1, bar_phase=0.0,
                         onset=0.0, is_beat=False, rms=0.0, bands=(0, 0, 0), chroma=(0,) * 12)  # fmt: skip


def test_a_clip_runs_free_loops_or_follows_the_beats():
    free = LayerSpec(source="video", path="x.mp4", rate=2.0)
    assert layer_position(free, 4.0, frame(t_s=1.5), 0, 0) == pytest.approx(3.0)
    assert layer_position(free, 4.0, frame(t_s=2.5), 0, 0) == pytest.approx(1.0)  # looped
    held = free.model_copy(update={"loop": False})
    assert layer_position(held, 4.0, frame(t_s=2.5), 0, 0) == pytest.approx(4.0)
    beats = LayerSpec(source="video", path="x.mp4", timing="beats", loop_beats=8)
    assert layer_position(beats, 4.0, frame(beats=2.0), 0, 0) == pytest.approx(1.0)
    assert layer_position(beats, 4.0, frame(beats=2.0, t_s=99), 0, 0) == pytest.approx(1.0)
    jumps = beats.model_copy(update={"jump": "beat"})
    same_beat = [layer_position(jumps, 4.0, frame(beats=b), 7, 0) for b in (3.1, 3.6)]
    assert same_beat[1] - same_beat[0] == pytest.approx(0.25)  # plays on within the beat
    across = {round(layer_position(jumps, 4.0, frame(beats=b), 7, 0), 6) for b in range(8)}
    assert len(across) == 8  # a new place every beat ...
    assert layer_position(jumps, 4.0, frame(beats=5.0), 7, 0) == layer_position(
        jumps, 4.0, frame(beats=5.0), 7, 0
    )  # fmt: skip ... the same every time


def test_exact_frames_whichever_way_the_clip_is_read(tmp_path):
    clip = VideoClip(test_video(tmp_path / "t.mp4"), (64, 48))
    assert (clip.fps, clip.frames) == (25.0, 100)
    forward = [clip.frame_at(i / 25).copy() for i in range(0, 100, 7)]
    fresh = VideoClip(clip.path, (64, 48))
    backward = [fresh.frame_at(i / 25).copy() for i in reversed(range(0, 100, 7))]
    assert all(np.array_equal(f, b) for f, b in zip(forward, reversed(backward)))
    assert not np.array_equal(forward[0], forward[5])  # testsrc moves
    clip.close()
    fresh.close()


def test_what_cannot_play_is_one_line(tmp_path):
    with pytest.raises(UserError, match="layer '.*notes.txt': not a video"):
        (tmp_path / "notes.txt").write_text("hello")
        VideoClip(tmp_path / "notes.txt", (64, 48))
    sound = tmp_path / "tone.m4a"
    subprocess.run([FFMPEG, "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1", str(sound)], check=True)  # fmt: skip
    with pytest.raises(UserError, match="no video stream"):
        VideoClip(sound, (64, 48))
    with pytest.raises(UserError, match="no such file"):
        VideoClip(tmp_path / "gone.mp4", (64, 48))
    with pytest.raises(UserError, match="no images"):
        ImageFolder(tmp_path, (64, 48), 2.0)
    with pytest.raises(UserError, match="layer camera '/dev/video9': no camera"):
        Camera("/dev/video9", (64, 48))


def test_an_image_folder_plays_its_images_in_name_order(tmp_path):
    from PIL import Image

    for i, value in enumerate((10, 200, 90)):
        Image.new("RGB", (32, 24), (value, value, value)).save(tmp_path / f"{i:02d}.png")
    folder = ImageFolder(tmp_path, (16, 12), fps=2.0)
    assert [int(folder.frame_at(t)[0, 0, 0]) for t in (0.0, 0.6, 1.2)] == [10, 200, 90]


def test_the_live_feed_decodes_on_its_own_thread(tmp_path):
    feed = LiveFeed(VideoClip(test_video(tmp_path / "t.mp4", 2.0), (64, 48)))
    try:
        assert feed.latest() is None
        feed.want(1.0)
        wait_until(lambda: feed.latest() is not None, 10, "the first decoded frame")
        assert np.array_equal(feed.latest(), VideoClip(feed.source.path, (64, 48)).frame_at(1.0))
    finally:
        feed.close()
