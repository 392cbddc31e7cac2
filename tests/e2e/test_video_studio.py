"""The video GAN studio end to end on a moving square made here (a video with a tone):
``train-video`` writes a checkpoint, sample grids and a prediction timelapse, and resumes
with its steps and losses; ``compare-video`` keeps the source's frame count and sound; a
trained model plays as a layer in a render (the same frames twice) and in ``live
--headless`` at its target fps; bad input is one line, exit 2, nothing left behind."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import torch

from app.cli import main
from app.engine.video_writer import ffmpeg_exe
from tests.e2e.test_render_cli import run_cli
from tests.e2e.test_video_layer_cli import layered_preset
from tests.media import probe

pytestmark = pytest.mark.slow
TINY = ["--frames-in", "3", "--size", "16x16", "--channels", "8", "--levels", "2",
        "--learning-rate", "2e-3", "--timelapse-frames", "10", "--no-progress"]  # fmt: skip


def square_video(path, frames: int = 50, size: int = 32):
    """A white square sliding one pixel a frame at 25 fps, with a 440 Hz tone."""
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{size}x{size}", "-framerate", "25", "-i", "pipe:0", "-f", "lavfi", "-i",
           f"sine=frequency=440:duration={frames / 25}", "-c:v", "libx264", "-qp", "0",
           "-pix_fmt", "yuv444p", "-c:a", "aac", "-shortest", str(path)]  # fmt: skip
    pictures = np.zeros((frames, size, size, 3), np.uint8)
    for i in range(frames):
        x = i % (size - 6)
        pictures[i, 10:16, x : x + 6] = 255
    subprocess.run(cmd, input=pictures.tobytes(), check=True)
    return path


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A square video and a model trained 30 steps on it (then resumed to 45)."""
    folder = tmp_path_factory.mktemp("studio")
    video = square_video(folder / "square.mp4")
    out = folder / "training"
    first = main(["train-video", "--data", str(video), "--name", "sq", "--out", str(out),
                  "--steps", "30", "--checkpoint-every", "10", *TINY])  # fmt: skip
    resumed = main(["train-video", "--data", str(video), "--name", "sq", "--out", str(out),
                    "--steps", "45", "--checkpoint-every", "10", "--resume",
                    str(out / "sq.pt"), *TINY])  # fmt: skip
    return folder, video, out, (first, resumed)


def test_train_video_writes_checkpoints_grids_and_a_timelapse_and_resumes(studio):
    _, _, out, codes = studio
    assert codes == (0, 0)
    state = torch.load(out / "sq.pt", weights_only=True)["training"]
    assert state["step"] == 45 and [s for s, _, _ in state["history"]] == list(range(1, 46))
    grids = sorted(p.name for p in (out / "sq_samples").iterdir())
    assert grids == [f"step_{s:07d}.png" for s in (10, 20, 30, 40, 45)]
    first, rest = probe(out / "sq.mp4"), probe(out / "sq_from0000030.mp4")
    assert first.size == (3 * 16, 2 * 16)  # 2 validation windows in the last 5 frames
    assert (first.frames, rest.frames) == (10, 3)  # 10 frames over 30 steps, then over 45


def test_compare_video_keeps_the_frame_count_and_the_sound(studio, capsys):
    folder, video, out, _ = studio
    output = folder / "compare.mp4"
    code = main(["compare-video", "--model", str(out / "sq.pt"), "--video", str(video),
                 "-o", str(output), "--height", "64", "--no-progress"])  # fmt: skip
    assert code == 0 and "wrote" in capsys.readouterr().out
    source, made = probe(video), probe(output)
    assert made.frames == source.frames == 50 and made.size == (192, 64)
    assert made.audio_codec == "aac" and made.audio_s == pytest.approx(source.audio_s, abs=0.05)
    rollout = folder / "rollout.mp4"
    assert main(["compare-video", "--model", str(out / "sq.pt"), "--video", str(video), "-o",
                 str(rollout), "--mode", "rollout", "--reseed-every", "12",
                 "--no-progress"]) == 0  # fmt: skip
    assert probe(rollout).frames == 50


def continuation_preset(folder, model):
    return layered_preset(folder, {"source": "continuation", "path": str(model),
                                   "reseed": "beat"})  # fmt: skip


def test_a_trained_model_plays_as_a_layer_the_same_twice(studio):
    folder, _, out, _ = studio
    preset = continuation_preset(folder, out / "sq.pt")
    renders = []
    for name in ("a.mkv", "b.mkv"):
        assert main(["render", "--preset", str(preset), "-o", str(folder / name), "--duration",
                     "2", "--size", "96x54", "--fps", "12", "--no-progress"]) == 0  # fmt: skip
        renders.append(probe(folder / name))
    assert renders[0].frames == 24 and renders[0].frame_hashes == renders[1].frame_hashes
    assert len(set(renders[0].frame_hashes)) > 12


def test_a_trained_model_plays_in_live_headless_at_its_fps(studio):
    folder, _, out, _ = studio
    preset = continuation_preset(folder, out / "sq.pt")
    result = run_cli("live", "--headless", "--play", "--seconds", "4", "--size", "128x72",
                     "--fps", "20", "--preset", str(preset), timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("t=")]
    fps = float(lines[-1].split("fps=")[1].split()[0])
    print(f"\nlive --headless with a continuation layer: {fps:.1f} fps (target 20)")
    assert fps >= 18.0 and "layer" not in result.stderr


def one_line_exit_2(capsys, argv, says):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0] and "Traceback" not in err[0], err


def test_bad_input_is_one_line_and_leaves_nothing(studio, tmp_path, capsys):
    folder, video, out, _ = studio
    short = square_video(tmp_path / "short.mp4", frames=3)
    one_line_exit_2(capsys, ["train-video", "--data", str(short), "--name", "s", "--out",
                             str(tmp_path / "a"), *TINY], "3 frames, shorter than one window")  # fmt: skip
    one_line_exit_2(capsys, ["train-video", "--data", str(video), "--name", "s", "--out",
                             str(tmp_path / "b"), "--frames-in", "64", "--size", "2048x2048",
                             "--batch", "64"], "MB are available (use a smaller --size")  # fmt: skip
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes((out / "sq.pt").read_bytes()[:5000])
    one_line_exit_2(capsys, ["compare-video", "--model", str(corrupt), "--video", str(video),
                             "-o", str(tmp_path / "c.mp4")], "not a readable torch checkpoint")  # fmt: skip
    one_line_exit_2(capsys, ["train-video", "--data", str(video), "--name", "s", "--out",
                             str(tmp_path / "d"), "--resume", str(corrupt), *TINY],
                    "--resume")  # fmt: skip
    preset = continuation_preset(tmp_path, corrupt)
    one_line_exit_2(capsys, ["render", "--preset", str(preset), "-o", str(tmp_path / "e.mp4"),
                             "--duration", "1", "--no-progress"], "corrupt.pt': not a readable")  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.pt", "nebula-over-video.json",
                                                         "short.mp4"]  # fmt: skip


def test_a_job_file_trains_the_good_rows_and_names_the_bad(studio, tmp_path, capsys):
    _, video, _, _ = studio
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("name,dataset,frames_in,size,channels,levels,steps,timelapse_frames\n"
                    f"good,{video},3,16x16,4,2,5,2\n"
                    f"bad,{video},0,16x16,4,2,5,2\n")  # fmt: skip
    code = main(["train-video", "--jobs", str(jobs), "--out", str(tmp_path / "out"),
                 "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "line 3: frames_in" in err
    assert (tmp_path / "out" / "good.pt").is_file()
    assert json.dumps(sorted(p.name for p in (tmp_path / "out").iterdir())) == json.dumps(
        ["good.mp4", "good.pt", "good_samples"]
    )
