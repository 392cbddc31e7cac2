"""The shipped beat network: numpy streaming inference equals the torch model it was trained
as, the front end gives the same numbers live and in batch, and training targets sit where
the analyzer expects them."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from app.audio.beat_model import (
    HOP,
    N_FFT,
    MODEL_PATH,
    BeatActivation,
    LogMelFrontEnd,
    log_mel,
    network_input,
)
from app.core.errors import UserError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "beat_model"))
import train  # noqa: E402


def test_numpy_inference_matches_torch(tmp_path):
    torch.manual_seed(3)
    model = train.make_model(hidden=16, layers=2)
    path = tmp_path / "net.npz"
    train.export(model, path, {"hidden": 16, "layers": 2})
    logmel = np.random.default_rng(1).uniform(0, 4, (50, 64)).astype(np.float32)
    x = network_input(logmel, np.concatenate([logmel[:1], logmel[:-1]]))
    with torch.no_grad():
        expected = torch.sigmoid(model(torch.from_numpy(x)[None]))[0].numpy()
    net = BeatActivation(path)
    got = np.array([[p.beat, p.downbeat] for p in map(net.step, logmel)])
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_front_end_batch_equals_streaming():
    sr = 44_100
    y = np.random.default_rng(0).normal(0, 0.1, sr).astype(np.float32)
    front = LogMelFrontEnd(sr)
    batch = front.frames(y)
    window = np.zeros(N_FFT, np.float32)
    for k in range(len(y) // HOP):
        window = np.concatenate([window[HOP:], y[k * HOP : (k + 1) * HOP]])
        np.testing.assert_allclose(
            front.mel @ front.magnitude(window), batch[k], rtol=1e-4, atol=1e-5
        )
    assert np.all(np.isfinite(log_mel(batch)))


def test_targets_peak_one_hop_after_the_onset_enters():
    sr = 48_000
    y = train.targets(np.array([1.0]), sr, 200)
    k = int(1.0 * sr // HOP) + 1
    assert y[k] == 1.0 and y[k - 1] == y[k + 1] == 0.5 and y.sum() == 2.0


def test_shipped_model_fires_on_the_beats_of_the_demo_track():
    from app.audio.demo_track import synthesize

    track = synthesize(bars=8)
    net = BeatActivation()
    p = np.array(
        [
            net.step(log_mel(m)).beat
            for m in LogMelFrontEnd(track.sr).frames(track.samples.mean(axis=0))
        ]
    )
    beat_frames = (track.beat_times * track.sr // HOP).astype(int) + 1
    beat_frames = beat_frames[(beat_frames > 2 * track.sr // HOP) & (beat_frames < len(p) - 2)]
    on_beat = np.array([p[k - 1 : k + 2].max() for k in beat_frames])
    half = beat_frames[:-1] + np.diff(beat_frames) // 2  # between beats: off-beat hats
    assert np.median(on_beat) > 0.5
    assert np.median(on_beat) > 3 * np.median(p[half])


def test_unreadable_model_is_one_clear_error(tmp_path):
    bad = tmp_path / "net.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(UserError, match="net.npz"):
        BeatActivation(bad)
    assert MODEL_PATH.name == "beat_activation.npz"
