"""What a Ray worker on another machine needs of a patch: every file it reads (generator
model, keyframes, layer clips and video-generator checkpoints, dream network) found by
role, shipped as bytes, written back on the worker; a chunk drawn from the shipped copies
equals the chunk drawn from the originals, after the originals are gone."""

from __future__ import annotations

import shutil

import imageio_ffmpeg
import numpy as np

from app.audio.demo_track import demo_clip
from app.cluster.assets import gather, patch_files, unpack
from app.cluster.chunks import Chunk, SegmentJob, render_segment
from app.core.patch import DreamSpec, LayerSpec
from app.core.presets import load_preset
from app.engine.device import resolve_placement
from app.engine.offline import RenderJob, RenderRequest
from app.engine.param_specs import build_registry
from app.engine.video_writer import EncoderSettings
from app.train.sequences import load_sequences
from app.train.video_config import VideoJob
from app.train.video_trainer import VideoTrainer
from tests.unit.test_sequences import square_frames
from tests.unit.test_video_layers import test_video


def frames_of(segment: bytes, folder) -> np.ndarray:
    path = folder / "segment.mkv"
    path.write_bytes(segment)
    reader = imageio_ffmpeg.read_frames(str(path))
    w, h = next(reader)["size"]
    return np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])


def test_a_chunk_drawn_from_shipped_files_equals_the_originals(tmp_path):
    folder = tmp_path / "show"
    folder.mkdir()
    test_video(folder / "clip.mp4", 1.0, audio=False)
    job = VideoJob(name="sq", dataset=str(square_frames(tmp_path / "sq", n=12, size=16)),
                   frames_in=2, size=(16, 16), channels=4, levels=2)  # fmt: skip
    seqs = load_sequences(job.dataset, job.slider, job.size, validation=0.0, say=lambda x: None)
    VideoTrainer(job, seqs, resolve_placement("cpu")).save(folder / "sq.pt")
    registry = build_registry()
    patch, _ = load_preset("nebula-drift", registry)
    patch = patch.model_copy(update={"layers": [
        LayerSpec(source="video", path="clip.mp4"),
        LayerSpec(source="continuation", path="sq.pt", reseed="beat")]})  # fmt: skip
    files = patch_files(patch, folder)
    assert files == {"layer0": folder / "clip.mp4", "layer1": folder / "sq.pt"}

    size, fps = (48, 28), 12.0
    req = RenderRequest(patch=patch, registry=registry, clip=demo_clip(),
                        output=tmp_path / "x.mp4", size=size, fps=fps, start_s=4.0,
                        duration_s=2.0, placement=resolve_placement("cpu"),
                        preset_dir=folder, encoder=EncoderSettings(crf=0, preset="ultrafast"))  # fmt: skip
    render = RenderJob(req)
    segment_job = SegmentJob(patch.model_dump_json(), str(folder), render.start_s,
                             render.n_frames, size, fps, req.encoder, None, "cpu")  # fmt: skip
    chunk = Chunk(1, 12, 12)
    here = frames_of(render_segment(segment_job, render.track, chunk), tmp_path)
    assets = gather(files)
    shutil.rmtree(folder)  # the worker's machine has none of them
    there = frames_of(render_segment(segment_job, render.track, chunk, assets), tmp_path)
    assert here.shape == (12, 28, 48, 3) and np.array_equal(here, there)


def test_every_kind_of_file_is_found_and_pointed_at(tmp_path):
    registry = build_registry()
    patch, _ = load_preset("nebula-drift", registry)
    (tmp_path / "biggan").mkdir()
    (tmp_path / "biggan" / "config.json").write_text("{}")
    (tmp_path / "keys.json").write_text("[]")
    (tmp_path / "d.pt").write_bytes(b"weights")
    patch = patch.model_copy(update={
        "generator": patch.generator.model_copy(update={"kind": "biggan", "path": "biggan"}),
        "motion": patch.motion.model_copy(update={"keyframes_file": str(tmp_path / "keys.json")}),
        "layers": [LayerSpec(source="camera")],
        "dream": DreamSpec(net="d.pt"),
    })  # fmt: skip
    files = patch_files(patch, tmp_path)
    assert sorted(files) == ["dream", "generator", "keyframes"]  # a camera is not a file
    moved = unpack(patch, gather(files), tmp_path / "worker")
    assert (tmp_path / "worker/generator/biggan/config.json").read_text() == "{}"
    assert moved.generator.path == str(tmp_path / "worker/generator/biggan")
    assert moved.motion.keyframes_file == str(tmp_path / "worker/keyframes/keys.json")
    assert moved.dream.net == str(tmp_path / "worker/dream/d.pt")
    assert moved.layers == patch.layers
