"""A video layer plays in a render and in ``live --headless`` (a preset naming a test video
made with the bundled ffmpeg), and a preset naming a video that is not one is one line,
exit 2."""

from __future__ import annotations

import json

from app.core.presets import SHIPPED_PRESETS_DIR
from tests.e2e.test_render_cli import run_cli
from tests.media import probe
from tests.unit.test_video_layers import test_video


def layered_preset(folder, layer: dict, mode: float = 0.0):
    """nebula-drift with ``layer`` over it at full opacity (``mode``: the blend)."""
    data = json.loads((SHIPPED_PRESETS_DIR / "nebula-drift.json").read_text())
    data.update(name="nebula-over-video", layers=[layer])
    data["params"] = {**data.get("params", {}), "layer1.mode": mode}
    path = folder / "nebula-over-video.json"
    path.write_text(json.dumps(data))
    return path


def test_a_video_layer_plays_in_a_render(tmp_path):
    test_video(tmp_path / "clip.mp4", 4.0)
    preset = layered_preset(tmp_path, {"source": "video", "path": "clip.mp4"})  # mix: all video
    out = tmp_path / "out.mp4"
    plain = tmp_path / "plain.mp4"
    args = ("--duration", "2", "--size", "160x90", "--fps", "25")
    result = run_cli("render", "--preset", str(preset), "-o", str(out), *args)
    assert result.returncode == 0, result.stderr
    assert run_cli("render", "-o", str(plain), *args).returncode == 0
    layered, without = probe(out), probe(plain)
    assert layered.frames == 50 and layered.frame_hashes != without.frame_hashes
    assert len(set(layered.frame_hashes)) > 40  # testsrc's counter moves every frame


def test_a_video_layer_plays_in_live_headless(tmp_path):
    test_video(tmp_path / "clip.mp4", 2.0)
    preset = layered_preset(tmp_path, {"source": "video", "path": "clip.mp4",
                                       "timing": "beats", "loop_beats": 4, "jump": "bar"},
                            mode=4.0)  # fmt: skip
    result = run_cli("live", "--headless", "--play", "--seconds", "4", "--size", "160x90",
                     "--preset", str(preset), timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("t=")]
    assert lines and float(lines[-1].split("fps=")[1].split()[0]) > 10.0
    assert "layer" not in result.stderr  # no decode errors


def test_a_layer_that_is_not_a_video_is_one_line(tmp_path):
    (tmp_path / "clip.mp4").write_text("not a video")
    preset = layered_preset(tmp_path, {"source": "video", "path": "clip.mp4"})
    out = tmp_path / "out.mp4"
    result = run_cli("render", "--preset", str(preset), "-o", str(out), "--duration", "1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "clip.mp4': not a video" in lines[0], lines
    assert not out.exists()
