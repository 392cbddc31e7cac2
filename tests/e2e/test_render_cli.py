"""End-to-end: ``python main.py render`` as a user runs it, checked with the bundled ffmpeg."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from tests.media import probe

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def three_second_render(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "clip.mp4"
    result = run_cli(
        "render",
        "-o",
        str(out),
        "--size",
        "320x180",
        "--fps",
        "30",
        "--start",
        "4",
        "--duration",
        "3",
        "--preset",
        "crystal-kaleido",
    )
    assert result.returncode == 0, result.stderr
    return out, result


def test_three_second_clip_has_the_right_streams_and_durations(three_second_render):
    out, result = three_second_render
    info = probe(out)
    assert info.video_codec == "h264" and info.pix_fmt == "yuv420p"
    assert info.size == (320, 180) and info.fps == pytest.approx(30.0)
    assert info.frames == 90  # round(duration x fps)
    assert info.video_s == pytest.approx(3.0, abs=1e-6)
    assert info.audio_codec == "aac"
    assert abs(info.audio_s - info.video_s) <= 1.0 / 30.0
    assert "wrote" in result.stdout and "90 frames" in result.stdout
    assert "render" in result.stderr and "100%" in result.stderr  # the progress bar ran
    assert [p.name for p in out.parent.iterdir()] == ["clip.mp4"]  # no temporary left


def test_renders_are_deterministic(tmp_path, three_second_render):
    first, _ = three_second_render
    again = tmp_path / "again.mp4"
    args = [
        "render",
        "--size",
        "320x180",
        "--fps",
        "30",
        "--start",
        "4",
        "--duration",
        "3",
        "--preset",
        "crystal-kaleido",
        "--no-progress",
    ]
    assert run_cli(*args, "-o", str(again)).returncode == 0
    assert probe(first).frame_hashes == probe(again).frame_hashes
    other = tmp_path / "other-seed.mp4"
    assert run_cli(*args, "-o", str(other), "--seed", "999").returncode == 0
    assert probe(first).frame_hashes != probe(other).frame_hashes


def test_renders_a_user_song_file(tmp_path, demo_track):
    song = tmp_path / "song.flac"
    sf.write(song, demo_track.samples[:, : demo_track.sr * 5].T, demo_track.sr)
    out = tmp_path / "song.mp4"
    result = run_cli(
        "render",
        "--audio",
        str(song),
        "-o",
        str(out),
        "--size",
        "160x90",
        "--fps",
        "24",
        "--no-progress",
        "--preset",
        "cell-strobe",
    )
    assert result.returncode == 0, result.stderr
    info = probe(out)
    assert info.frames == round(info.video_s * 24) and abs(info.video_s - 5.0) <= 1 / 24
    assert abs(info.audio_s - info.video_s) <= 1 / 24


def _checkpoint(path: Path, corrupt: bool = False) -> Path:
    import torch

    from app.engine.device import resolve_placement
    from app.engine.generators.dcgan import DCGANConfig, DCGANPlayer, save_checkpoint

    model = DCGANPlayer.random(
        DCGANConfig(nbr_of_layers_g=3, gf_dim=4, output_width=16, output_height=16),
        resolve_placement("cpu"),
    ).model
    save_checkpoint(path, model)
    if corrupt:
        path.write_bytes(path.read_bytes()[:200])
    else:  # mismatched: its config describes another network than its weights
        payload = torch.load(path, weights_only=True)
        payload["config"]["nbr_of_layers_g"] = 4
        payload["config"]["output_width"] = payload["config"]["output_height"] = 32
        torch.save(payload, path)
    return path


def _preset(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _model_preset(tmp: Path, checkpoint: Path) -> Path:
    data = {
        "schema_version": 1,
        "name": "model",
        "generator": {"kind": "dcgan", "path": checkpoint.name},
    }
    return _preset(tmp / "model.json", json.dumps(data))


BAD_INPUTS = {
    "missing audio": (lambda t: ["--audio", str(t / "nope.wav")], r"nope.wav'.*not found"),
    "corrupt audio": (
        lambda t: ["--audio", str(_bytes(t / "broken.wav", b"RIFF\x00\x01junk"))],
        r"broken.wav'.*not a readable audio file",
    ),
    "non-audio file": (
        lambda t: ["--audio", str(_bytes(t / "notes.mp3", b"hello\n" * 300))],
        r"notes.mp3'.*not a readable audio file",
    ),
    "malformed preset": (
        lambda t: ["--preset", str(_preset(t / "p.json", '{"name": "x",'))],
        r"p.json'.*invalid JSON at line 1",
    ),
    "unknown field": (
        lambda t: [
            "--preset",
            str(
                _preset(
                    t / "p.json", '{"schema_version": 1, "name": "x", "motion": {"pathh": "walk"}}'
                )
            ),
        ],
        r"motion\.pathh: unknown field",
    ),
    "wrong type": (
        lambda t: [
            "--preset",
            str(_preset(t / "p.json", '{"schema_version": 1, "name": "x", "seed": "lucky"}')),
        ],
        r"seed: .*integer.*'lucky'",
    ),
    "bad size": (lambda t: ["--size", "641x360"], r"--size.*must be even"),
    "bad size text": (lambda t: ["--size", "big"], r"--size.*not WIDTHxHEIGHT"),
    "bad fps": (lambda t: ["--fps", "0"], r"--fps.*at least 1 and at most 240"),
    "bad duration": (lambda t: ["--duration", "-3"], r"--duration.*above 0"),
    "unwritable output": (
        lambda t: ["-o", str(t / "missing-dir" / "x.mp4")],
        r"missing-dir.*does not exist",
    ),
    "output in a read-only place": (
        lambda t: ["-o", "/proc/latentvj-test.mp4"],
        r"latentvj-test.mp4'.*cannot be written",
    ),
    "mismatched checkpoint": (
        lambda t: ["--preset", str(_model_preset(t, _checkpoint(t / "g.pt")))],
        r"g.pt'.*weights do not match its config",
    ),
    "corrupt checkpoint": (
        lambda t: ["--preset", str(_model_preset(t, _checkpoint(t / "g.pt", corrupt=True)))],
        r"g.pt'.*not a readable torch checkpoint",
    ),
    "start past the end": (lambda t: ["--start", "600"], r"--start 600.*only"),
    "no such device": (lambda t: ["--device", "cuda"], r"--device cuda: no CUDA"),
}


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gives_one_clear_line_exit_2_and_no_output(tmp_path, case):
    import torch

    if case == "no such device" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    make_args, pattern = BAD_INPUTS[case]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = make_args(inputs)
    if "-o" not in args:
        args += ["-o", str(out_dir / "video.mp4")]
    result = run_cli("render", "--duration", "1", "--size", "64x36", "--no-progress", *args)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert list(out_dir.iterdir()) == []
    assert not list(Path("/proc").glob("*latentvj-test*"))


def test_saved_keyframes_reload_into_the_same_motion(tmp_path, registry, cpu, demo_features):
    """keyframes -> JSON -> motion.keyframes_file plays the very same frames."""
    import hashlib

    from app.audio.analysis import AnalysisTrack
    from app.core.presets import load_preset
    from app.engine.renderer import FrameRenderer

    kf = tmp_path / "kf.json"
    result = run_cli("keyframes", "--preset", "bloom-chroma", "-o", str(kf))
    assert result.returncode == 0, result.stderr
    assert "8 keyframes of 64 dimensions" in result.stdout
    patch, _ = load_preset("bloom-chroma", registry)
    from_file = patch.model_copy(
        update={"motion": patch.motion.model_copy(update={"keyframes_file": str(kf)})}
    )
    frames = AnalysisTrack(demo_features).frames(3.0, 8, 30.0)

    def hashes(p):
        renderer = FrameRenderer(p, registry, (64, 36), cpu)
        state = renderer.new_state()
        return [
            hashlib.sha256(renderer.render(f, state, 30.0).image.tobytes()).hexdigest()
            for f in frames
        ]

    assert hashes(patch) == hashes(from_file)


def test_live_headless_prints_a_status_line_per_second_and_locks_the_demo_tempo():
    result = run_cli(
        "live", "--headless", "--play", "--seconds", "7", "--size", "320x180", timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("t=")]
    assert len(lines) >= 6
    import re

    last = dict(re.findall(r"(\w+)=\s*([\dx.]+)", lines[-1]))
    assert abs(float(last["bpm"]) - 124.0) <= 1.0
    assert float(last["fps"]) > 20.0
    for key in ("conf", "render", "latency", "res", "drops", "reconnects", "overflows", "lost"):
        assert key in last


def test_live_with_an_unknown_input_device_is_one_clear_line():
    result = run_cli("live", "--headless", "--audio-device", "no-such-card", "--seconds", "1")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no-such-card" in lines[0], result.stderr


def test_live_tempo_source_switches_from_typed_commands():
    """bpm N switches to a manual tempo, 'audio' back to the tracker, live."""

    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "live",
            "--headless",
            "--play",
            "--seconds",
            "9",
            "--size",
            "160x90",
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    statuses = []

    def send(text):
        proc.stdin.write(text + "\n")
        proc.stdin.flush()

    phase = "start"
    for line in proc.stdout:
        match = re.search(r"bpm=\s*([\d.]+) src=(\w+)", line)
        if not match:
            continue
        statuses.append((phase, float(match[1]), match[2]))
        if phase == "start" and len(statuses) >= 2:
            send("bpm 90")
            send("bogus")
            phase = "manual"
        elif phase == "manual" and match[2] == "manual":
            send("audio")
            phase = "audio"
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0
    manual = [b for p, b, s in statuses if s == "manual"]
    assert manual and all(b == 90.0 for b in manual)
    assert statuses[-1][2] == "audio" and abs(statuses[-1][1] - 124.0) <= 2.0, statuses
    assert "'bogus': commands are" in proc.stderr.read()


BAD_MIDI_INPUTS = {
    "unknown shipped map": (["--midi-map", "nope"], r"--midi-map 'nope': no such shipped map"),
    "missing map file": (["--midi-map", "{t}/gone.json"], r"gone.json: cannot be read"),
    "map that is not JSON": (["--midi-map", "{t}/bad.json"], r"bad.json: not valid JSON"),
    "map with a bad header": (["--midi-map", "{t}/header.json"], r"header.json: name: "),
}


@pytest.mark.parametrize("case", list(BAD_MIDI_INPUTS))
def test_bad_midi_input_is_one_line_and_exit_2(tmp_path, case):
    (tmp_path / "bad.json").write_text("{'name':")
    (tmp_path / "header.json").write_text('{"name": 3, "bindings": []}')
    args, pattern = BAD_MIDI_INPUTS[case]
    result = run_cli(
        "live",
        "--headless",
        "--play",
        "--seconds",
        "1",
        "--midi",
        "x",
        *[a.format(t=tmp_path) for a in args],
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_live_records_headless_and_render_replays_it_at_another_size_and_fps(tmp_path):
    rec = tmp_path / "set.mkv"
    result = run_cli(
        "live",
        "--headless",
        "--play",
        "--seconds",
        "3",
        "--size",
        "160x90",
        "--record",
        str(rec),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"recording to '{rec}'" in result.stdout and f"recorded '{rec}'" in result.stdout
    live = probe(rec)
    assert live.video_codec == "h264" and live.audio_codec == "aac" and live.size == (160, 90)
    out = tmp_path / "again.mp4"
    replay = run_cli(
        "render",
        "--replay",
        str(tmp_path / "set.performance.jsonl"),
        "-o",
        str(out),
        "--size",
        "320x180",
        "--fps",
        "60",
        "--no-progress",
    )
    assert replay.returncode == 0, replay.stderr
    again = probe(out)
    assert again.size == (320, 180) and again.fps == 60.0 and again.audio_codec == "aac"
    assert abs(again.video_s - live.video_s) <= 1 / 30


BAD_RECORDINGS = {
    "container": (["live", "--record", "{t}/set.avi"], r"record '.*set.avi': use a .mkv"),
    "codec in mp4": (
        ["live", "--record", "{t}/set.mp4", "--record-codec", "prores"],
        r"codec 'prores' goes in .mkv, .mov files",
    ),
    "missing folder": (["live", "--record", "{t}/gone/set.mkv"], r"folder .*gone' does not"),
    "missing log": (
        ["render", "--replay", "{t}/gone.jsonl", "-o", "{t}/x.mp4"],
        r"--replay '.*gone.jsonl': not found",
    ),
    "not a log": (
        ["render", "--replay", "{t}/notes.jsonl", "-o", "{t}/x.mp4"],
        r"notes.jsonl': line 1 is not JSON",
    ),
    "replay with a preset": (
        [
            "render",
            "--replay",
            "{t}/notes.jsonl",
            "-o",
            "{t}/x.mp4",
            "--preset",
            "cell-strobe",
            "--seed",
            "3",
        ],
        r"--preset, --seed cannot be used with a replay",
    ),
}


@pytest.mark.parametrize("case", list(BAD_RECORDINGS))
def test_bad_recording_input_is_one_line_and_exit_2(tmp_path, case):
    (tmp_path / "notes.jsonl").write_text("hello\n{}\n")
    args, pattern = BAD_RECORDINGS[case]
    args = [a.format(t=tmp_path) for a in args]
    if args[0] == "live":
        args += ["--headless", "--play", "--seconds", "1"]
    result = run_cli(*args)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob("set.*"))
