"""Seed 002's frame-traverse slider on small synthetic footage (a moving square, made
here): the windows for given lengths, strides and steps, frames in memory with the memory
said first, the validation windows kept apart, and one-line refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from app.core.errors import UserError
from app.train import sequences
from app.train.sequences import Slider, load_sequences


def square_frames(folder, n: int = 40, size: int = 32):
    """A white square moving one pixel a frame over black."""
    folder.mkdir()
    for i in range(n):
        frame = np.zeros((size, size, 3), np.uint8)
        frame[10:16, i % (size - 6) : i % (size - 6) + 6] = 255
        Image.fromarray(frame).save(folder / f"{i:04d}.png")
    return folder


def test_the_slider_cuts_the_expected_windows():
    assert Slider(3, 1).starts(10) == [0, 1, 2, 3, 4, 5, 6]
    assert Slider(3, 1, stride=2).starts(10) == [0, 2, 4, 6]
    assert Slider(3, 1, step=2).span == 7 and Slider(3, 1, step=2).starts(10) == [0, 1, 2, 3]
    assert Slider(8, 2).starts(9) == []
    with pytest.raises(UserError, match="--frames-in: must be at least 1"):
        Slider(0)


def test_footage_becomes_windows_in_memory_with_validation_apart(tmp_path):
    said = []
    seqs = load_sequences(square_frames(tmp_path / "square"), Slider(4, 1, stride=1),
                          (16, 16), validation=0.25, say=said.append)  # fmt: skip
    assert seqs.frames.shape == (40, 16, 16, 3) and seqs.frames.dtype == np.uint8
    assert said[0].startswith("40 frames at 16x16: 0 MB in memory")
    assert seqs.train == list(range(0, 26)) and seqs.validation == list(range(30, 36))
    window = seqs.window(3)
    assert window.shape == (5, 3, 16, 16) and -1.0 <= window.min() and window.max() <= 1.0
    order = [
        int(torch.argmax(w[0, 0].float().mean(0))) for w in seqs.epoch(np.random.default_rng(1))
    ]
    assert len(order) == 26 and order != sorted(order)  # shuffled each epoch


def test_too_short_or_too_large_is_one_line(tmp_path, monkeypatch):
    short = square_frames(tmp_path / "short", n=4)
    with pytest.raises(UserError, match="4 frames, shorter than one window"):
        load_sequences(short, Slider(4, 1), (16, 16), say=lambda line: None)
    monkeypatch.setattr(sequences, "available_memory", lambda: 10_000)
    with pytest.raises(UserError, match=r"need 0 MB; 0 MB are available \(use a smaller"):
        load_sequences(short, Slider(1, 1), (64, 64), say=lambda line: None)


def test_a_video_is_footage_too(tmp_path):
    from tests.unit.test_video_layers import test_video

    video = test_video(tmp_path / "clip.mp4", 1.0)  # 25 frames
    seqs = load_sequences(video, Slider(8, 2, stride=4), (32, 24), frame_step=2,
                          validation=0.0, say=lambda line: None)  # fmt: skip
    assert len(seqs.frames) == 13 and seqs.train == [0] and seqs.validation == []  # 10 a window


def test_a_crop_keeps_a_region_of_each_frame(tmp_path):
    from app.train.video_config import VideoJob

    folder = square_frames(tmp_path / "square")  # the square moves along rows 10-15
    job = VideoJob(name="c", dataset=str(folder), crop="0,0,32,8", size="16x16")
    assert job.crop == (0, 0, 32, 8)
    above = load_sequences(folder, job.slider, job.size, crop=job.crop, say=lambda line: None)
    assert above.frames.max() == 0  # the square never enters the top rows
    band = load_sequences(folder, job.slider, job.size, crop=(0, 8, 32, 10), say=lambda line: None)
    assert band.frames.max() == 255
    with pytest.raises(UserError, match=r"--crop 0,0,40,8: outside the footage's 32x32"):
        load_sequences(folder, job.slider, job.size, crop=(0, 0, 40, 8), say=lambda line: None)
    with pytest.raises(ValueError, match="is not X,Y,W,H"):
        VideoJob(name="c", dataset=str(folder), crop="1,2,3")
