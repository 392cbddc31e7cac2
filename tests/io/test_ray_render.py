"""A render split into chunks on a local Ray (2 CPUs, started here) against the same render
in one process, both encoded losslessly so frames compare exactly: the same frame count,
frames away from the seams identical, the seams' frames within what the pre-roll leaves
(PSNR >= 40 dB, printed), the sound the same; a worker killed mid-chunk is retried and the
result does not change."""

from __future__ import annotations

import sys

import imageio_ffmpeg
import numpy as np
import pytest

from app.audio.demo_track import demo_clip
from app.core.errors import UserError
from app.core.presets import load_preset
from app.engine.device import resolve_placement
from app.engine.offline import RenderJob, RenderRequest
from app.engine.param_specs import build_registry
from app.engine.video_writer import EncoderSettings
from tests.media import probe

ray = pytest.importorskip("ray")
LOSSLESS = EncoderSettings(crf=0, preset="ultrafast")
SIZE, FPS, SECONDS, CHUNK_S = (96, 54), 30.0, 8.0, 2.0


@pytest.fixture(scope="module")
def local_ray():
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1"
    )  # never another address
    yield
    ray.shutdown()


def request(output, preset="nebula-drift"):
    registry = build_registry()
    patch, path = load_preset(preset, registry)
    return RenderRequest(patch=patch, registry=registry, clip=demo_clip(), output=output,
                         size=SIZE, fps=FPS, start_s=10.0, duration_s=SECONDS,
                         placement=resolve_placement("cpu"), preset_dir=path.parent,
                         encoder=LOSSLESS)  # fmt: skip


def decoded(path) -> np.ndarray:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "one.mkv"
    RenderJob(request(out)).run()
    return out


@pytest.fixture(scope="module")
def chunked_on_ray(local_ray, tmp_path_factory):
    from app.cluster.ray_render import render_on_ray

    out = tmp_path_factory.mktemp("chunked") / "chunked.mkv"
    progress = []
    result = render_on_ray(request(out), CHUNK_S, on_progress=lambda d, t: progress.append(d))
    return out, result, progress


def test_chunks_on_ray_make_the_one_process_render(chunked_on_ray, one_process):
    out, result, progress = chunked_on_ray
    assert result.frames == 240 and progress[-1] == 240 and len(progress) == 4
    whole, chunked = decoded(one_process), decoded(out)
    assert whole.shape == chunked.shape == (240, SIZE[1], SIZE[0], 3)
    seams = [int(CHUNK_S * FPS) * k for k in (1, 2, 3)]
    near = {s + d for s in seams for d in range(0, 30)}  # the second after each seam
    for i in range(240):
        if i not in near:
            assert np.array_equal(whole[i], chunked[i]), f"frame {i} differs away from a seam"
    worst = min(psnr(whole[i], chunked[i]) for i in near)
    print(f"\nseam frames: lowest PSNR {worst:.1f} dB against the one-process render")
    assert worst >= 40.0
    a, b = probe(one_process), probe(out)
    assert a.audio_s == pytest.approx(b.audio_s, abs=0.03) and a.frames == b.frames == 240


def test_a_worker_that_dies_mid_chunk_is_retried_and_changes_nothing(chunked_on_ray, tmp_path):
    from app.cluster.ray_render import render_on_ray

    clean, faulty = chunked_on_ray[0], tmp_path / "faulty.mkv"
    marker = tmp_path / "died"
    render_on_ray(request(faulty), CHUNK_S, fault_marker=marker)
    assert marker.exists()  # chunk 2's worker did die once
    assert np.array_equal(decoded(clean), decoded(faulty))


def test_without_ray_the_flag_says_how_to_install_it(monkeypatch):
    from app.cluster.ray_render import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UserError, match=r"pip install 'latentvj\[ray\]'"):
        import_ray()


def test_render_ray_from_the_command_line(tmp_path):
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "clip.mp4"
    result = subprocess.run(
        [sys.executable, str(root / "main.py"), "render", "--ray", "--chunk-seconds", "1",
         "--duration", "3", "--size", "96x54", "-o", str(out), "--no-progress"],
        cwd=root, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = probe(out)
    assert info.frames == 90 and info.audio_s == pytest.approx(3.0, abs=0.05)
    import soundfile as sf

    clip = demo_clip()
    sf.write(str(tmp_path / "set.wav"), clip.samples.T, clip.sr)
    log = performance_log(tmp_path)
    replay = subprocess.run(
        [sys.executable, str(root / "main.py"), "render", "--ray", "--replay", str(log),
         "--audio", str(tmp_path / "set.wav"), "--chunk-seconds", "3", "--size", "96x54",
         "-o", str(tmp_path / "again.mp4"), "--no-progress"],
        cwd=root, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    assert probe(tmp_path / "again.mp4").frames == 240


def test_a_job_file_of_three_tiny_trainings_runs_as_three_tasks(local_ray, tmp_path, capsys):
    from PIL import Image

    from app.cluster.ray_train import train_jobs_on_ray
    from app.train.jobs import load_jobs

    data = tmp_path / "shapes"
    data.mkdir()
    for i in range(12):
        Image.new("RGB", (16, 16), (20 * i, 90, 240 - 20 * i)).save(data / f"{i}.png")
    tiny = ("output_width,output_height,nbr_of_layers_g,nbr_of_layers_d,gf_dim,df_dim,fps",
            "16,16,3,3,8,8,10")  # fmt: skip
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(f"name,dataset,grid_width,grid_height,video_length,steps,{tiny[0]}\n" + "".join(
        f"run{k},{data},2,2,{0.1 / 60},6,{tiny[1]}\n" for k in range(3)))  # fmt: skip
    status = train_jobs_on_ray(load_jobs(jobs), jobs, tmp_path / "out", 500, "cpu", None)
    out = capsys.readouterr().out
    assert status == 0 and "3 of 3 jobs done on Ray, 0 failed" in out
    for k in range(3):
        assert f"job 'run{k}' (line {k + 2}): done" in out
        assert (tmp_path / "out" / f"run{k}.pt").exists()
        assert (tmp_path / "out" / f"run{k}.mp4").exists()


def performance_log(folder):
    """Eight seconds of a made-up set at 124 BPM: a knob move, a flash, a preset swap with
    a crossfade across a chunk's seam, a blackout."""
    import json

    registry = build_registry()
    patch, path = load_preset("nebula-drift", registry)
    other, _ = load_preset("cell-strobe", registry)
    bpm, fps = 124.0, 30.0
    lines = [{"type": "header", "schema_version": 1, "recording": "set.mkv", "fps": fps,
              "size": [96, 54], "patch": patch.model_dump(mode="json"),
              "preset_dir": str(path.parent), "params": {}, "samplerate": 48000}]  # fmt: skip
    for k in range(240):
        t = k / fps
        lines.append({"type": "clock", "t": round(t, 6), "beats": round(t * bpm / 60, 6),
                      "bpm": bpm, "bar_phase": round((t * bpm / 240) % 1.0, 6)})  # fmt: skip
    lines += [
        {"type": "param", "t": 1.0, "id": "fx.hue.shift", "value": 90.0, "source": "midi"},
        {"type": "flash", "t": 2.5, "beats": 5.2},
        {"type": "patch", "t": 3.0, "fade_beats": 4.0, "start": 8.0,
         "patch": other.model_dump(mode="json"), "preset_dir": str(path.parent)},
        {"type": "blackout", "t": 6.2, "on": True},
        {"type": "blackout", "t": 6.6, "on": False},
    ]  # fmt: skip
    log = folder / "set.performance.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return log


def test_a_replay_in_chunks_is_the_replay(local_ray, tmp_path):
    from app.cluster.ray_render import replay_on_ray
    from app.engine.replay import ReplayJob, ReplayRequest

    log = performance_log(tmp_path)

    def replay_request(output):
        return ReplayRequest(log=log, registry=build_registry(), clip=demo_clip(),
                             output=output, size=SIZE, fps=FPS,
                             placement=resolve_placement("cpu"), encoder=LOSSLESS)  # fmt: skip

    ReplayJob(replay_request(tmp_path / "whole.mkv")).run()
    replay_on_ray(replay_request(tmp_path / "chunked.mkv"), CHUNK_S)
    whole, chunked = decoded(tmp_path / "whole.mkv"), decoded(tmp_path / "chunked.mkv")
    assert whole.shape == chunked.shape and len(whole) == 240
    worst = min(psnr(a, b) for a, b in zip(whole, chunked))
    print(f"\nreplay in chunks: lowest PSNR {worst:.1f} dB against the whole replay")
    assert worst >= 40.0
    assert chunked[6 * 30 + 10].max() == 0  # the blackout, in the fourth chunk


@pytest.mark.parametrize("model", ["stylegan2.pkl", "biggan-deep-tiny"])
def test_a_model_file_or_folder_travels_to_the_workers(local_ray, tmp_path, model):
    from app.cluster.ray_render import render_on_ray
    from app.engine.generators import with_model
    from tests.gan_fixtures import FIXTURES, needs_fixtures

    if not FIXTURES.is_dir():
        pytest.skip(needs_fixtures.kwargs["reason"])
    base = request(tmp_path / "whole.mkv", "stylegan-layers" if model.endswith("pkl")
                   else "biggan-chroma")  # fmt: skip
    patched = base.patch.model_copy(update={"generator": with_model(
        base.patch, str(FIXTURES / model)).generator})  # fmt: skip
    whole = RenderRequest(**{**base.__dict__, "patch": patched, "duration_s": 0.4, "start_s": 0.0,
                             "size": (32, 32)})  # fmt: skip
    RenderJob(whole).run()
    chunked = RenderRequest(**{**whole.__dict__, "output": tmp_path / "chunked.mkv"})
    render_on_ray(chunked, 0.2)
    assert np.array_equal(decoded(tmp_path / "whole.mkv"), decoded(tmp_path / "chunked.mkv"))
