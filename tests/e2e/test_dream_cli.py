"""``main.py dream`` end to end with the discriminator of a latentvj checkpoint (random
weights) on a test video made with the bundled ffmpeg (testsrc and a sine tone): frame
count and sound kept, resume gives what one run gives, one picture per layer, and every
bad input is one line, exit 2, nothing left behind."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.dream_fixtures import make_dreamer
from tests.media import probe
from tests.unit.test_video_layers import test_video

ROOT = Path(__file__).resolve().parents[2]
TINY = ("-oct", "2", "-octs", "1.5", "-itr", "2", "-j", "2", "-s", "1.0")


def dream(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "dream", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)  # fmt: skip


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return make_dreamer(tmp_path_factory.mktemp("dreamer"))


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return test_video(tmp_path_factory.mktemp("video") / "clip.mp4", 1.0)


def test_the_layers_are_named(checkpoint):
    result = dream("--net", str(checkpoint), "--list-layers")
    assert result.returncode == 0 and result.stdout.split() == ["conv1", "conv2", "conv3"]


def test_a_dreamed_video_keeps_every_frame_and_the_sound(checkpoint, video, tmp_path):
    out = tmp_path / "dreamed.mp4"
    result = dream(str(video), "--net", str(checkpoint), "-o", str(out), "--frames",
                   str(tmp_path / "frames"), "-l", "conv1", "conv2", "--layer-loop",
                   "-b", "loop", "--quiet", *TINY)  # fmt: skip
    assert result.returncode == 0, result.stderr
    source, dreamed = probe(video), probe(out)
    assert dreamed.frames == source.frames == 25
    assert dreamed.audio_s == pytest.approx(source.audio_s, abs=0.05)
    assert dreamed.frame_hashes != source.frame_hashes
    assert not list(tmp_path.glob(".*partial*"))  # no temporary file left


def test_a_resumed_run_dreams_what_one_run_dreams(checkpoint, video, tmp_path):
    common = ("--net", str(checkpoint), "--mode", "dream", "-b", "0.7", "--quiet", *TINY)
    for folder in ("once", "resumed"):
        assert dream(str(video), "--mode", "extract", "--net", str(checkpoint), "--frames",
                     str(tmp_path / folder)).returncode == 0  # fmt: skip
    assert dream(str(video), "--frames", str(tmp_path / "once"), *common).returncode == 0
    first = dream(str(video), "--frames", str(tmp_path / "resumed"), "-ef", "9", *common)
    assert first.returncode == 0 and "dreamed 9 frames" in first.stdout
    rest = dream(str(video), "--frames", str(tmp_path / "resumed"), *common)
    assert rest.returncode == 0 and "dreamed 16 frames" in rest.stdout, rest.stdout
    once = sorted((tmp_path / "once" / "dreamed").glob("*.jpg"))
    resumed = sorted((tmp_path / "resumed" / "dreamed").glob("*.jpg"))
    assert len(once) == len(resumed) == 25
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(once, resumed))


def test_a_single_picture_is_dreamed_once_per_layer(checkpoint, tmp_path):
    from PIL import Image

    picture = tmp_path / "hulk.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), np.uint8)).save(picture)
    result = dream("--net", str(checkpoint), "-sp", str(picture), "-l", "conv1", "conv3",
                   "--quiet", *TINY)  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "hulk_dream").iterdir())
    assert names == ["hulk_conv1_oct2_octs1.5_itr2_j2_s1.jpg",
                     "hulk_conv3_oct2_octs1.5_itr2_j2_s1.jpg"]  # fmt: skip


def bad_checkpoints(checkpoint: Path, folder: Path) -> dict[str, Path]:
    """A generator-only checkpoint, one whose discriminator does not fit its job, junk."""
    payload = torch.load(checkpoint, weights_only=True)
    generator_only = {k: v for k, v in payload.items() if k != "training"}
    torch.save(generator_only, folder / "generator.pt")
    payload["training"]["job"]["df_dim"] = 16
    torch.save(payload, folder / "mismatched.pt")
    (folder / "junk.pt").write_bytes(b"not a checkpoint")
    return {"generator.pt": folder / "generator.pt", "mismatched.pt": folder / "mismatched.pt",
            "junk.pt": folder / "junk.pt"}  # fmt: skip


def test_bad_input_is_one_line_and_exit_2(checkpoint, video, tmp_path, capsys):
    from app.cli import main

    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    tone = tmp_path / "tone.mp4"
    from tests.media import FFMPEG

    subprocess.run([FFMPEG, "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1", str(tone)], check=True)  # fmt: skip
    bad = bad_checkpoints(checkpoint, tmp_path)
    cases = {
        "not a video": (str(notes), "--net", str(checkpoint)),
        "no video stream": (str(tone), "--net", str(checkpoint)),
        "unknown layer 'conv9'": (str(video), "--net", str(checkpoint), "-l", "conv9"),
        "has no discriminator": (str(video), "--net", str(bad["generator.pt"])),
        "does not fit": (str(video), "--net", str(bad["mismatched.pt"])),
        "not a readable torch checkpoint": (str(video), "--net", str(bad["junk.pt"])),
        "--net '.*missing.pt': not found": (str(video), "--net", str(tmp_path / "missing.pt")),
        "cannot be written": (str(video), "--net", str(checkpoint), "-o",
                              str(notes / "out.mp4"), "--frames", str(tmp_path / "fr"), *TINY),
    }  # fmt: skip
    for expected, args in cases.items():  # in this process: the exit code main() returns
        code = main(["dream", *args, "--quiet"])
        stderr = capsys.readouterr().err
        lines = stderr.strip().splitlines()
        assert code == 2 and len(lines) == 1, (expected, stderr)
        assert re.search(expected, lines[0]), (expected, lines[0])
    assert not (tmp_path / "notes_dream.mp4").exists() and not (tmp_path / "fr").exists()
    assert not (tmp_path / "notes_frames").exists() and not (tmp_path / "tone_frames").exists()


def test_the_dream_plays_live_on_the_generators_stream(checkpoint, tmp_path):
    import json

    from app.core.presets import SHIPPED_PRESETS_DIR

    data = json.loads((SHIPPED_PRESETS_DIR / "nebula-drift.json").read_text())
    data.update(name="nebula-dreaming", dream={"net": str(checkpoint), "layers": ["conv2"],
                                               "layer_loop": "beat"})  # fmt: skip
    data["routes"] = data["routes"] + [{"source": "audio.beat", "target": "fx.dream"}]
    preset = tmp_path / "nebula-dreaming.json"
    preset.write_text(json.dumps(data))
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "live", "--headless",
                             "--play", "--seconds", "4", "--size", "160x90", "--preset",
                             str(preset)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("t=")]
    assert lines and float(lines[-1].split("fps=")[1].split()[0]) > 10.0
    assert "error" not in result.stderr.lower()
