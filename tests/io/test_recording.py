"""Recording from the JACK-driven live engine: music from a player process goes into the
engine's input port; the file must hold that sound with the picture, survive kill -9 and a
full disk, and its performance log must replay the same parameter trajectory."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf

from app.audio.demo_track import click_track
from app.audio.ring import SHM_PREFIX, remove_stale_blocks
from app.live.engine import LiveEngine, LiveOptions
from app.engine.recorder import performance_path, sidecar_path
from tests.io.jack import connect, jack_available, jack_server, ports, wait_for_port
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not jack_available(), reason="jackd not installed (make test installs jackd2 as root)"
    ),
]
ROOT = Path(__file__).resolve().parents[2]
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
SR = 48_000
FPS = 30.0


@pytest.fixture(scope="module")
def jack():
    with jack_server(SR) as name:
        yield name


@pytest.fixture(scope="module")
def clicks(tmp_path_factory):
    """60 s of clicks at 120 BPM (every 0.5 s) after a second of silence."""
    path = tmp_path_factory.mktemp("music") / "clicks.wav"
    audio, _ = click_track(120.0, 60.0, SR)
    sf.write(path, np.concatenate([np.zeros(SR, np.float32), audio]), SR)
    return path


@contextmanager
def playing_into(jack: str, wav: Path, name: str):
    """A player process playing ``wav`` into every app input port (not system's)."""
    player = subprocess.Popen(
        [sys.executable, "-m", "app.audio.file_player", str(wav), "--jack-name", name],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(jack, f"{name}:out_0")

        def inputs() -> list[str]:
            return [
                p
                for p in ports(jack)
                if re.search(r":in_\d+$", p) and not p.startswith(("system:", f"{name}:"))
            ]

        wait_until(lambda: bool(inputs()), 10, "the app's input ports")
        for port in inputs():
            connect(jack, f"{name}:out_0", port)
        yield player
    finally:
        player.kill()
        player.wait()


def probe(path: Path) -> dict:
    """Stream codecs, and durations of the decoded video and audio."""
    header = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True
    ).stderr
    frames = sum(1 for _ in list(imageio_ffmpeg.read_frames(str(path)))[1:])
    pcm = subprocess.run(
        [
            FFMPEG,
            "-v",
            "quiet",
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
    )
    audio = np.frombuffer(pcm.stdout, np.int16).astype(np.float32) / 32768
    video = re.search(r"Video: (\w+)", header)
    sound = re.search(r"Audio: (\w+)", header)
    return {
        "video": video and video[1],
        "audio": sound and sound[1],
        "video_s": frames / FPS,
        "audio_s": len(audio) / SR,
        "samples": audio,
    }


def test_record_five_seconds_with_the_input_sound(jack, clicks, tmp_path):
    engine = LiveEngine(LiveOptions(audio_device="system", size=(320, 180), fps=FPS)).start()
    try:
        with playing_into(jack, clicks, "rec-player"):
            wait_until(lambda: engine.analyzer.level_db > -30, what="the clicks to arrive")
            recorder = engine.start_recording(tmp_path / "set.mkv")
            wait_until(lambda: recorder.elapsed_s >= 5.0, what="5 s of recording")
            engine.stop_recording()
            result = recorder.wait(30)
            # beats are predicted as far ahead as the render worker measures it needs
            wait_until(
                lambda: (
                    engine.worker.compensation_s() is not None
                    and abs(engine.status().ahead_ms - 1e3 * engine.worker.compensation_s()) < 3.0
                ),
                5,
                "the analyzer's lookahead to follow the render time",
            )
        assert engine.worker.stats().rendered > 0 and not engine.recording
    finally:
        engine.stop()
    assert result.error is None and result.path == tmp_path / "set.mkv"
    info = probe(result.path)
    assert info["video"] == "h264" and info["audio"] == "aac"
    assert abs(info["video_s"] - result.duration_s) < 1e-6 and 5.0 <= result.duration_s < 5.5
    assert abs(info["audio_s"] - info["video_s"]) <= 1 / FPS + 1024 / SR  # AAC pads a packet
    # the sound is the input's: clicks every 0.5 s, as played
    loud = np.flatnonzero(np.abs(info["samples"]) > 0.3)
    starts = loud[np.concatenate([[True], np.diff(loud) > SR // 10])] / SR
    assert len(starts) >= 9 and np.allclose(np.diff(starts), 0.5, atol=0.002), starts
    side = json.loads(sidecar_path(result.path).read_text())
    assert side["status"] == "complete" and side["frames_dropped"] == result.dropped
    assert side["preset"] == "nebula-drift" and side["audio"]["sr"] == SR
    assert performance_path(result.path).exists()


def test_mp4_is_remuxed_when_the_recording_stops(jack, tmp_path):
    engine = LiveEngine(LiveOptions(audio_device="system", size=(160, 90), fps=FPS)).start()
    try:
        recorder = engine.start_recording(tmp_path / "clip.mp4")
        assert recorder.recording_path.suffix == ".mkv"  # playable while it is recorded
        wait_until(lambda: recorder.elapsed_s >= 1.0, what="1 s of recording")
        engine.stop_recording()
        result = recorder.wait(30)
    finally:
        engine.stop()
    assert result.error is None and result.path.suffix == ".mp4"
    assert not recorder.recording_path.exists()
    info = probe(result.path)
    assert info["video"] == "h264" and info["audio"] == "aac" and info["video_s"] >= 1.0


def test_kill_9_mid_recording_leaves_a_file_that_plays_to_within_a_second(jack, tmp_path):
    env = {**os.environ, "JACK_DEFAULT_SERVER": jack, "JACK_NO_START_SERVER": "1"}
    path = tmp_path / "crash.mkv"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "live",
            "--headless",
            "--audio-device",
            "system",
            "--size",
            "320x180",
            "--record",
            str(path),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )  # its own group: ffmpeg dies with it
    try:
        for line in proc.stdout:
            match = re.search(r"rec=([\d.]+)s", line)
            if match and float(match[1]) >= 4.0:
                seen_at, elapsed = time.monotonic(), float(match[1])
                break
        else:
            pytest.fail("live ended before recording 4 s")
        os.killpg(proc.pid, signal.SIGKILL)  # the engine and its encoder, mid-recording
        elapsed += time.monotonic() - seen_at
    finally:
        proc.kill()
        proc.wait()
    info = probe(path)
    assert info["video"] == "h264" and info["video_s"] >= elapsed - 1.0, (info, elapsed)
    assert info["audio_s"] >= elapsed - 1.0
    assert json.loads(sidecar_path(path).read_text())["status"] == "recording"
    # its input ring could not be unlinked; the next ring made (the next start) removes it
    assert any(name.startswith(f"{SHM_PREFIX}{proc.pid}-") for name in remove_stale_blocks())


@pytest.fixture
def small_disk(tmp_path):
    """A 700 KB filesystem (tmpfs) that the test fills."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=700k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_stops_the_recording_cleanly_and_the_engine_plays_on(jack, small_disk):
    engine = LiveEngine(
        LiveOptions(audio_device="system", size=(640, 360), fps=FPS, record_quality="high")
    ).start()
    try:
        recorder = engine.start_recording(small_disk / "full.mkv")
        assert recorder.wait(60) is not None, "the recording never stopped"
        result = recorder.result
        rendered = engine.worker.rendered
        wait_until(lambda: engine.worker.rendered > rendered + 10, what="frames after it")
        notices = [text for problem, text in engine.take_notices() if problem]
    finally:
        engine.stop()
    assert "No space left on device" in result.error
    assert any("recording stopped" in n and "No space left" in n for n in notices), notices
    info = probe(result.path)
    assert info["video"] == "h264" and info["video_s"] >= 1.0


def test_a_replayed_render_follows_the_recorded_parameter_trajectory(jack, clicks, tmp_path):
    from app.audio.loading import load_audio_file
    from app.engine.replay import ReplayJob, ReplayRequest

    engine = LiveEngine(LiveOptions(audio_device="system", size=(160, 90), fps=FPS)).start()
    live: list[tuple[float, float, float, dict]] = []
    moves = [
        (0.6, "fx.saturation", 0.2),
        (1.3, "fx.brightness", 0.8),
        (1.9, "fx.saturation", 1.7),
        (2.6, "fx.feedback.rotate", 0.3),
    ]
    try:
        with playing_into(jack, clicks, "replay-player"):
            recorder = engine.start_recording(tmp_path / "perf.mkv")
            # each live frame at the instant it shows (where the recording puts it)
            engine.worker.on_frame = lambda f: (
                engine.recordings.on_frame(f),
                live.append((f.shown_s - recorder.t0_s, f.beats, f.bpm, f.params))
                if recorder.active
                else None,
            )
            for at, pid, value in moves:
                wait_until(lambda at=at: recorder.elapsed_s >= at, what=f"{at} s")
                engine.store.set(pid, value, source="midi")
            engine.command("flash")
            wait_until(lambda: recorder.elapsed_s >= 3.5, what="3.5 s")
            engine.stop_recording()
            result = recorder.wait(30)
    finally:
        engine.stop()
    assert result.error is None
    job = ReplayJob(
        ReplayRequest(
            log=performance_path(result.path),
            registry=engine.registry,
            clip=load_audio_file(result.path),
            output=tmp_path / "r.mp4",
            size=(96, 54),
            fps=2 * FPS,
        )
    )
    replayed = [(f.t_s, f.beats, f.params) for f in job.frames()]
    times = np.array([t for t, _, _ in replayed])
    change_times = [e["t"] for e in job.perf.events if e["type"] == "param"]
    live_t = np.array([t for t, *_ in live])
    live_beats = np.array([b for _, b, *_ in live])

    def live_clock(t: float) -> float:
        """The live clock's beats at ``t``; before its first frame, run back at its tempo
        (as the replay's pre-roll does)."""
        if t < live_t[0]:
            return live_beats[0] - (live_t[0] - t) * live[0][2] / 60.0
        return float(np.interp(t, live_t, live_beats))

    compared = 0
    for t, beats, bpm, params in live:
        if t < 0 or t > times[-1] or min(abs(t - c) for c in change_times) < 1 / FPS:
            continue  # at a change, the live frame and its replay twin may straddle it
        k = int(np.argmin(np.abs(times - t)))
        twin_t, twin_beats, twin = replayed[k]
        for pid in ("fx.saturation", "fx.brightness", "fx.feedback.rotate"):
            assert twin[pid] == pytest.approx(params[pid]), (t, pid)
        # musical time: the twin (up to half a replay frame away) is where the live clock
        # was at its instant
        assert twin_beats == pytest.approx(live_clock(twin_t), abs=1e-3), t
        # so an LFO on the beat (90 deg over 64 beats on the hue: at most 8.9 deg a beat)
        # differs only by the beats between the two frames
        slack = 90 * 2 * np.pi / 64 * abs(twin_beats - beats) + 0.01
        assert abs(twin["fx.hue.shift"] - params["fx.hue.shift"]) <= slack, t
        compared += 1
    assert compared > 0.8 * len(live)
    assert [e["type"] for e in job.perf.events].count("flash") == 1
    done = job.run()
    assert done.frames == job.n_frames and probe(done.output)["video"] == "h264"
