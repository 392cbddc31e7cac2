"""A/V sync of the recorder over a 10-minute recording, driven faster than real time.

Frames carry their stream time drawn into the picture as a binary code; the audio has a
1 ms click at every whole second of stream time. The render clock runs 100 ppm off the
audio clock, jitters, skips ticks, draws extra onset frames and draws ahead of the audio
(latency compensation), as live. In the file, the frame that first shows second n must be
on screen when click n sounds, to within a frame.
"""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from app.audio.ring import AudioRing
from app.core.types import RenderedFrame
from app.engine import recorder as recorder_module
from app.engine.recorder import AudioSource, Recorder, RecordingSettings

pytestmark = pytest.mark.slow
FPS, SR, MINUTES = 30.0, 16_000, 10
SIZE = (64, 36)
BITS, BLOCK = 20, (12, 9)  # stream time in ms as 20 bits, in 5 x 4 blocks of 12 x 9 pixels
T0 = 0.5


def coded_frame(t_s: float) -> np.ndarray:
    code = int(round(t_s * 1000))
    img = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    for bit in range(BITS):
        if code >> bit & 1:
            r, c = divmod(bit, 5)
            img[r * BLOCK[1] : (r + 1) * BLOCK[1], c * BLOCK[0] : (c + 1) * BLOCK[0]] = 255
    return img


def decode(img: np.ndarray) -> float:
    code = 0
    for bit in range(BITS):
        r, c = divmod(bit, 5)
        if img[r * BLOCK[1] + BLOCK[1] // 2, c * BLOCK[0] + BLOCK[0] // 2].mean() > 127:
            code |= 1 << bit
    return code / 1000


def test_picture_and_sound_stay_within_a_frame_over_ten_minutes(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder_module, "QUEUE_S", 1e4)  # faster than real time: no drops
    total_s = MINUTES * 60
    ring = AudioRing(int(SR * (total_s + 5)), 1)
    path = tmp_path / "long.mkv"
    rec = Recorder(
        RecordingSettings(path, quality="draft"),
        SIZE,
        FPS,
        AudioSource(ring, origin=0, sr=SR, channels=(0,)),
    ).start(T0)
    rng = np.random.default_rng(1)
    written = 0
    t, k = 0.0, 0
    while t < T0 + total_s:
        k += 1
        t = k * (1 + 1e-4) / FPS + rng.uniform(-0.002, 0.002)
        if rng.random() < 0.01:  # a skipped tick
            continue
        upto = int(t * SR)
        block = np.zeros((upto - written, 1), np.float32)
        for n in range(int(written / SR) + 1, int(upto / SR) + 1):  # clicks at whole seconds
            block[n * SR - written : n * SR - written + 16] = 0.9
        ring.write(block)
        written = upto
        # drawn ahead, as live latency compensation does (render time + output latency,
        # followed as it drifts): the frame of tick t shows the instant t + ahead
        ahead = 0.04 + 0.01 * np.sin(t / 20)
        rec.submit(RenderedFrame(seq=k, t_s=t, image=coded_frame(t + ahead), lookahead_s=ahead))
        if rng.random() < 0.02:  # an onset frame drawn between ticks
            t_onset = t + 0.4 / FPS
            rec.submit(
                RenderedFrame(
                    seq=k, t_s=t_onset, image=coded_frame(t_onset + ahead), lookahead_s=ahead
                )
            )
    ring.write(np.zeros((SR, 1), np.float32))  # the audio the last slot needs
    rec.finish()
    result = rec.wait(120)
    assert result is not None and result.error is None, result
    assert result.dropped == 0 and result.repeated > 0

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    pcm = subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a",
            "-ac",
            "1",
            "-ar",
            str(SR),
            "-f",
            "s16le",
            "-",
        ],
        capture_output=True,
        check=True,
    )
    audio = np.frombuffer(pcm.stdout, np.int16).astype(np.float32) / 32768
    shown = np.array(
        [
            decode(np.frombuffer(f, np.uint8).reshape(SIZE[1], SIZE[0], 3))
            for f in list(imageio_ffmpeg.read_frames(str(path)))[1:]
        ]
    )
    video_s, audio_s = len(shown) / FPS, len(audio) / SR
    assert abs(video_s - result.duration_s) < 1e-6
    assert abs(audio_s - video_s) < 1.0 / FPS + 1024 / SR  # AAC pads its last packet

    offsets = []
    for n in range(1, MINUTES * 60):
        expected = int((n - T0) * SR)
        window = audio[expected - SR // 10 : expected + SR // 10]
        click_s = (expected - SR // 10 + int(np.argmax(np.abs(window)))) / SR
        slot = int(np.argmax(shown >= n - 1e-3))  # the first frame showing second n
        offsets.append(click_s - slot / FPS)  # > 0: the click sounds while it is shown
    offsets = np.array(offsets)
    # within a frame everywhere (1 ms for where a click's peak lands after AAC)
    assert np.all(np.abs(offsets) <= 1.0 / FPS + 0.001), (offsets.min(), offsets.max())
    assert abs(np.median(offsets) - 0.5 / FPS) < 0.5 / FPS  # on average mid-frame
