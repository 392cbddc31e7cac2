"""Real audio through a JACK dummy server: music played by another process into the app's
input port; the online analyzer must find its tempo and beats."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.audio.demo_track import click_track
from tests.io.jack import connect, jack_available, jack_server, wait_for_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not jack_available(), reason="jackd not installed (make test installs jackd2 as root)"
    ),
]
ROOT = Path(__file__).resolve().parents[2]
SR = 48_000
LEAD_IN_S = 2


@pytest.fixture(scope="module")
def jack():
    with jack_server(SR) as name:
        yield name


def capture_and_analyse(
    jack: str, audio: np.ndarray, tmp_path: Path, app_name: str, file_sr: int = SR
):
    """Play ``audio`` (a file at ``file_sr``; the player resamples it to the server's rate)
    from a separate player process into a LiveInput; run the analyzer on what arrives.
    Returns (analyzer, frames, stream time of the file's start)."""
    from app.audio.analysis_thread import POLL_S
    from app.audio.live_input import LiveInput
    from app.audio.online import HOP, OnlineAnalyzer

    wav = tmp_path / "play.wav"
    # a silent lead-in: the player starts playing when its stream opens, and our connection
    # to its port must be in place before the music starts, or its first beats are cut
    sf.write(wav, np.concatenate([np.zeros(LEAD_IN_S * file_sr, np.float32), audio]), file_sr)
    # a ring long enough that the whole run stays in it: stream index = ring index
    live = LiveInput(
        device="system",
        samplerate=SR,
        channels=[1],
        blocksize=512,
        jack_name=app_name,
        ring_seconds=60,
    ).start()
    player = subprocess.Popen(
        [sys.executable, "-m", "app.audio.file_player", str(wav), "--jack-name", "player"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(jack, "player:out_0")
        wait_for_port(jack, f"{app_name}:in_0")
        connect(jack, "player:out_0", f"{app_name}:in_0")
        analyzer = OnlineAnalyzer(SR, lookahead_s=HOP / SR)
        captured, frames, cursor = [], [], 0
        deadline = time.monotonic() + len(audio) / SR + 20.0
        connected_at = live.ring.written
        while player.poll() is None and time.monotonic() < deadline:
            block, cursor, lost = live.ring.read(cursor)
            assert lost == 0, f"the test fell {lost} samples behind the ring"
            mono = live.mono(block)
            captured.append(mono)
            frames += analyzer.process(mono)
            time.sleep(POLL_S)  # the analyzer thread's pace: it looks for new audio as often
        assert player.returncode == 0, player.stderr.read()
    finally:
        player.kill()
        counts = (live.callbacks, live.overflows)
        live.stop()
    stream = np.concatenate(captured)
    first_sound = int(np.argmax(np.abs(stream) > 0.05))
    assert first_sound > connected_at, "connected after the music had started"
    file_first = int(np.argmax(np.abs(audio) > 0.05))
    return analyzer, frames, first_sound / SR - file_first / file_sr, counts


@pytest.mark.parametrize("source", ["demo", "click", "click at 44.1 kHz"])
def test_tempo_within_1_bpm_in_8_s_and_beats_within_30_ms(jack, tmp_path, demo_track, source):
    import librosa

    file_sr = 44_100 if "44.1" in source else SR  # the server runs at 48 kHz
    if source == "demo":
        audio = librosa.resample(
            demo_track.samples[:, : demo_track.sr * 16].mean(axis=0),
            orig_sr=demo_track.sr,
            target_sr=SR,
        )
        bpm, truth = demo_track.bpm, demo_track.beat_times
    else:
        audio, truth = click_track(123.0, 14.0, file_sr, first_beat_s=0.3)
        bpm = 123.0
    analyzer, frames, start, (callbacks, overflows) = capture_and_analyse(
        jack, audio, tmp_path, f"lvj-{source.split()[0]}-{file_sr}", file_sr
    )
    hop_s = frames[1].t_s - frames[0].t_s
    at_8s = frames[int((start + 8.0) / hop_s)]
    assert at_8s.bpm == pytest.approx(bpm, abs=1.0), f"tempo at 8 s: {at_8s.bpm:.2f}"
    true_beats = start + truth[truth < len(audio) / file_sr - 0.2]
    found = np.array(analyzer.beat_times)
    found = found[(found > start + 8.0) & (found < true_beats[-1] + 0.1)]
    offsets = np.array([f - true_beats[np.argmin(np.abs(true_beats - f))] for f in found])
    assert len(found) >= 0.95 * np.sum(true_beats > start + 8.0), (
        f"{len(found)} beats found, {np.sum(true_beats > start + 8.0)} true"
    )
    assert np.max(np.abs(offsets)) <= 0.030, f"offsets ms: {np.round(offsets * 1e3, 1)}"
    print(
        f"\n{source}: tempo {at_8s.bpm:.2f} at 8 s; beat offsets median "
        f"{1e3 * np.median(offsets):+.1f} ms, max {1e3 * np.max(np.abs(offsets)):.1f} ms; "
        f"{callbacks} callbacks, {overflows} overflow flags"
    )
