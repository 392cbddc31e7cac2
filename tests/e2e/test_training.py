"""The training studio on CPU with a tiny generated dataset (200 coloured shapes, 16x16):
training, the timelapse, checkpoints the synth plays, job files, resume, and seed 001's
scripted animations."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from app.engine.device import resolve_placement
from app.train.config import TrainConfig
from app.train.dataset import load_dataset
from app.train.run import run_job
from app.train.timelapse import merge_timecuts, tile
from app.train.trainer import Trainer
from tests.media import probe

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TINY = {
    "output_width": 16,
    "output_height": 16,
    "nbr_of_layers_g": 3,
    "nbr_of_layers_d": 3,
    "gf_dim": 16,
    "df_dim": 16,
    "fps": 10.0,
}
CPU = resolve_placement("cpu")


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    """200 images of circles and squares on dark grounds, of mixed sizes, in two folders,
    plus two files that are not images."""
    from PIL import Image, ImageDraw

    root = tmp_path_factory.mktemp("shapes")
    rng = np.random.default_rng(0)
    for i in range(200):
        folder = root / ("circles" if i % 2 else "squares")
        folder.mkdir(exist_ok=True)
        image = Image.new(
            "RGB", (20 + i % 9, 18 + i % 7), tuple(int(v) for v in rng.integers(0, 80, 3))
        )
        x, y = (int(v) for v in rng.integers(0, 8, 2))
        r = int(rng.integers(5, 10))
        draw = ImageDraw.Draw(image)
        (draw.ellipse if i % 2 else draw.rectangle)(
            [x, y, x + r, y + r], fill=tuple(int(v) for v in rng.integers(120, 255, 3))
        )
        image.save(folder / f"shape{i:03d}.png")
    (root / "squares" / "broken.png").write_bytes(b"\x89PNG but not really")
    (root / "circles" / "truncated.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    return root


def job(shapes: Path, **values) -> TrainConfig:
    return TrainConfig(name="shapes", dataset=[str(shapes)], **{**TINY, **values})


def main(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def test_dataset_reads_folders_recursively_and_names_corrupt_files(shapes):
    data = load_dataset([shapes], (16, 16))
    assert data.images.shape == (200, 3, 16, 16) and data.images.dtype == torch.uint8
    assert sorted(p.name for p, _ in data.skipped) == ["broken.png", "truncated.jpg"]


def test_a_hundred_steps_give_finite_changing_losses(shapes):
    trainer = Trainer(job(shapes), load_dataset([shapes], (16, 16)), CPU)
    losses = [trainer.step() for _ in range(100)]
    d = np.array([x.d for x in losses])
    g = np.array([x.g for x in losses])
    assert np.isfinite(d).all() and np.isfinite(g).all()
    assert d[:10].mean() != pytest.approx(d[-10:].mean(), rel=0.05) or g[
        :10
    ].mean() != pytest.approx(g[-10:].mean(), rel=0.05)
    assert trainer.step_count == 100 and trainer.epoch == pytest.approx(100 * 9 / 200)


def test_grid_tiles_row_by_row():
    samples = np.arange(6)[:, None, None, None] * np.ones((6, 2, 3, 3), np.uint8)
    grid = tile(samples, columns=3, rows=2)
    assert grid.shape == (4, 9, 3)
    assert [grid[0, 0, 0], grid[0, 3, 0], grid[0, 6, 0], grid[2, 0, 0]] == [0, 1, 2, 3]


def test_timelapse_grid_and_boxes_have_the_expected_frames_and_layout(shapes, tmp_path):
    grid = run_job(job(shapes, steps=40, video_length=1.2 / 60), tmp_path / "grid", CPU)
    (video,) = grid.videos
    info = probe(video)
    assert info.frames == 12 and info.size == (48, 48) and info.fps == 10
    boxes = run_job(
        job(
            shapes,
            steps=20,
            video_length=0.5 / 60,
            grid_width=2,
            grid_height=1,
            render_res=(32, 32),
        ),
        tmp_path / "boxes",
        CPU,
    )
    assert [v.name for v in boxes.videos] == ["shapes_box01.mp4", "shapes_box02.mp4"]
    assert {(probe(v).frames, probe(v).size) for v in boxes.videos} == {(5, (32, 32))}


def test_time_cuts_are_numbered_and_merge_into_one_video(shapes, tmp_path):
    result = run_job(
        job(shapes, steps=30, video_length=2.5 / 60, auto_render_period=1 / 60), tmp_path, CPU
    )  # 25 frames in cuts of 10
    assert [v.name for v in result.videos] == [f"shapes_timecut000{i}.mp4" for i in (1, 2, 3)]
    assert [probe(v).frames for v in result.videos] == [10, 10, 5]
    (merged,) = merge_timecuts(tmp_path)
    assert merged.name == "shapes.mp4" and probe(merged).frames == 25


def test_the_checkpoint_plays_as_a_dcgan_generator(shapes, tmp_path):
    from app.core.patch import GeneratorSpec, Patch
    from app.core.types import AnalysisFrame
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer

    result = run_job(job(shapes, steps=60), tmp_path, CPU)
    patch = Patch(name="mine", generator=GeneratorSpec(kind="dcgan", path=str(result.checkpoint)))
    renderer = FrameRenderer(patch, build_registry(), (64, 36), CPU)
    analysis = AnalysisFrame(
        t_s=0.0,
        beats=1.5,
        bpm=120.0,
        beat_phase=0.5,
        bar_phase=0.4,
        onset=0.0,
        is_beat=False,
        rms=0.0,
        bands=(0, 0, 0),
        chroma=(0,) * 12,
    )
    frame = renderer.render(analysis, renderer.new_state(), 30.0)
    assert frame.image.shape == (36, 64, 3) and frame.image.std() > 1
    assert renderer.generator.latent_dim == 100


def test_train_cli_skips_and_names_corrupt_files_and_resumes_counting_on(shapes, tmp_path):
    tiny = [f"--{k}={v}" for k, v in TINY.items()]
    first = main(
        "train",
        "--data",
        str(shapes),
        "--name",
        "run",
        "--out",
        str(tmp_path),
        "--steps",
        "30",
        "--auto_render_period",
        str(1 / 60),
        "--video_length",
        str(1 / 60),
        "--no-progress",
        *tiny,
    )
    assert first.returncode == 0, first.stderr
    assert "skipped '" in first.stderr and "broken.png" in first.stderr
    assert "truncated.jpg" in first.stderr
    checkpoint = tmp_path / "run.pt"
    assert torch.load(checkpoint, weights_only=True)["training"]["step"] == 30
    second = main(
        "train",
        "--data",
        str(shapes),
        "--name",
        "run",
        "--out",
        str(tmp_path),
        "--steps",
        "50",
        "--resume",
        str(checkpoint),
        "--auto_render_period",
        str(1 / 60),
        "--video_length",
        str(1 / 60),
        "--no-progress",
        *tiny,
    )
    assert second.returncode == 0, second.stderr
    assert torch.load(checkpoint, weights_only=True)["training"]["step"] == 50
    assert "step 50" in second.stdout
    assert (tmp_path / "run_timecut0002.mp4").exists()  # the timelapse numbering goes on


def test_a_bad_job_row_is_named_and_the_good_rows_run(shapes, tmp_path):
    header = "name,dataset,grid_width,grid_height,video_length,steps," + ",".join(TINY)
    tiny = ",".join(str(v) for v in TINY.values())
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(
        f"{header}\n"
        f"good1,{shapes}/circles,2,2,{0.1 / 60},8,{tiny}\n"
        f"bad,{shapes},2,2,{0.1 / 60},8,{tiny.replace('3', 'x', 1)}\n"
        f"good2,{shapes}/squares,1,2,{0.1 / 60},8,{tiny}\n"
    )
    result = main("train", "--jobs", str(jobs), "--out", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 2
    assert "line 3: nbr_of_layers_g:" in result.stderr
    assert (tmp_path / "out" / "good1.pt").exists() and (tmp_path / "out" / "good2.pt").exists()
    assert not (tmp_path / "out" / "bad.pt").exists()


def test_yaml_jobs_report_bad_entries_by_line(shapes, tmp_path):
    from app.train.jobs import load_jobs

    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(
        f"jobs:\n  - name: a\n    dataset: {shapes}\n    activation_g: swish\n"
        f"  - name: b\n    dataset: {shapes}\n    activation_g: wobble\n"
    )
    entries = load_jobs(jobs)
    assert entries[0].config.activation_g == "swish" and entries[0].line == 2
    assert entries[1].line == 5
    assert entries[1].error.startswith("activation_g: Input should be 'relu'")


def test_every_seed_001_mode_renders_from_a_script(shapes, tmp_path):
    result = run_job(job(shapes, steps=10), tmp_path, CPU)
    made = main(
        "generate",
        "--random",
        "3",
        "--model",
        str(result.checkpoint),
        "-o",
        str(tmp_path / "seeds"),
        "--seed",
        "4",
    )
    assert made.returncode == 0, made.stderr
    names = sorted(p.stem for p in (tmp_path / "seeds").glob("RandGen_*.json"))
    assert len(names) == 3 and len(list((tmp_path / "seeds").glob("RandGen_*.png"))) == 3
    a, b, c = names
    pairs = [[a, b, 4], [b, c, 4]]
    cuts = [
        {"mode_num": 1, "mode_data": pairs},
        {"mode_num": 2, "mode_data": pairs},
        {"mode_num": 3, "start_image": a, "total_frame_num": 5, "amplitude": 0.2, "speed": 0.05},
        {"mode_num": 4, "start_image": a, "total_frame_num": 5, "max_speed": 0.1},
        {
            "mode_num": 5,
            "start_image": a,
            "total_frame_num": 5,
            "max_speed": 0.1,
            "clamp_boundary": 1.0,
        },
        {"mode_num": 6, "mode_data": pairs},
        {
            "mode_num": 7,
            "start_image": b,
            "total_frame_num": 5,
            "max_speed": 0.2,
            "max_accel": 0.05,
            "boundary_mode": "wrap",
        },
        {"mode_num": 8, "start_image": c, "total_frame_num": 5, "max_step": 0.1},
        {"mode_num": 9, "interp_data": pairs, "is_ease_in": "false", "power": 2},
        {"mode_num": 10, "interp_data": pairs, "power": 3},
        {"mode_num": 11, "interp_data": pairs, "max_step": 0.05},
        {"mode_num": 12, "interp_data": pairs, "power": 4},
        {"mode_num": 13, "interp_data": pairs, "power": 4, "max_step": 0.05},
    ]
    script = tmp_path / "seeds" / "script.json"
    script.write_text(
        json.dumps(
            {
                "trained_model": str(result.checkpoint),
                "base_dir": "frames",
                "rand_seed": 7,
                "data": cuts,
            }
        )
    )
    expected = 8 + 7 + 5 * 5 + 7 + 8 + 7 + 8 + 8 + 8  # chains (2, 6, 10) share joints
    video = main("generate", "--script", str(script), "-o", str(tmp_path / "script.mp4"))
    assert video.returncode == 0, video.stderr
    assert probe(tmp_path / "script.mp4").frames == expected
    frames = main("generate", "--script", str(script))
    assert frames.returncode == 0, frames.stderr
    assert len(list((tmp_path / "seeds" / "frames").glob("frame_*.png"))) == expected
    again = main("generate", "--script", str(script))  # never over frames already there
    assert again.returncode == 2 and "has frames already" in again.stderr
    more = main(
        "generate",
        "--random",
        "2",
        "--model",
        str(result.checkpoint),
        "-o",
        str(tmp_path / "seeds"),
    )
    assert more.returncode == 0, more.stderr
    assert sorted(p.stem for p in (tmp_path / "seeds").glob("RandGen_*.json")) == [
        f"RandGen_{i:05d}" for i in range(5)
    ]  # added after the first three


def test_bad_scripts_and_flags_are_one_clear_line(tmp_path):
    script = tmp_path / "s.json"
    script.write_text(
        json.dumps(
            {"data": [{"mode_num": 3, "start_image": 5, "total_frame_num": 4, "amplitude": 0.1}]}
        )
    )
    result = main("generate", "--script", str(script), "-o", str(tmp_path / "f"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "data[0] (mode 3): missing 'speed'" in result.stderr
    result = main("train", "--data", str(tmp_path), "--name", "x", "--k_w", "0")
    assert (
        result.returncode == 2
        and "--k_w: Input should be greater than or equal to 1" in result.stderr
    )


def test_a_video_gives_every_nth_frame_as_training_images(tmp_path):
    from app.engine.video_writer import VideoWriter

    clip = tmp_path / "clip.mp4"
    writer = VideoWriter(clip, (32, 24), 10.0).start()
    for i in range(20):
        assert writer.write(np.full((24, 32, 3), i * 12, np.uint8))
    writer.close()
    data = load_dataset([clip], (16, 16), frame_step=3)
    assert data.images.shape == (7, 3, 16, 16)  # frames 0, 3, ..., 18
    brightness = data.images.float().mean(dim=(1, 2, 3))
    assert bool((brightness[1:] > brightness[:-1]).all())  # in order


def test_a_resumed_run_reports_the_steps_it_ran_itself(shapes, tmp_path):
    first = run_job(job(shapes, steps=10), tmp_path, CPU)
    assert first.first_step == 0 and first.steps == 10
    resumed = run_job(job(shapes, steps=15), tmp_path, CPU, resume=first.checkpoint)
    assert resumed.first_step == 10 and resumed.steps == 15
    assert 0 < resumed.steps_per_s < 5 / resumed.train_s + 1e-6  # 5 steps, not 15
    assert [v.name for v in resumed.videos] == ["shapes_from0000010.mp4"]
