"""Running one video-generator job (``train-video``): the studio's conventions of
``train`` for seed 002's networks. Everything a bad value can refuse is checked before
anything is written (the memory a training step takes, the footage, the resume file), so
a refused job leaves nothing behind. Then:

- ``NAME.pt``, rewritten atomically every ``checkpoint_every`` steps and at the end (also
  on Ctrl-C or a failure), playable as a layer meanwhile;
- ``NAME_samples/step_NNNNNNN.png``, a sample grid at each checkpoint (a row per
  validation window: last given frame, predicted frames, true frames);
- ``NAME.mp4``, the timelapse of those grids over the training
  (``NAME_fromNNNNNNN.mp4`` for a resumed run's part)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


from app.core.errors import UserError
from app.engine.device import Placement

from .sequences import available_memory, load_sequences
from .timelapse import Timelapse, write_png
from .trainer import sample_steps
from .video_config import VideoJob
from .video_trainer import VideoLosses, VideoTrainer

STEP_BYTES_PER_VALUE = 24 * 4  # measured: a U-Net / ResNet step holds ~24 float32 values
# per (window frame x pixel x first-level channel) of the batch, activations and gradients


@dataclass
class VideoResult:
    checkpoint: Path
    videos: list[Path]
    grids: list[Path]
    steps: int
    losses: VideoLosses | None
    held_out: tuple[float, float]
    first_step: int
    train_s: float
    windows: int

    @property
    def steps_per_s(self) -> float:
        return (self.steps - self.first_step) / max(self.train_s, 1e-9)


def step_bytes(job: VideoJob) -> int:
    """About the memory one training step takes (measured on the CPU, BENCHMARKS.md)."""
    w, h = job.size
    return STEP_BYTES_PER_VALUE * job.batch * job.slider.length * w * h * job.channels


def check_step_memory(job: VideoJob, placement: Placement) -> None:
    """UserError when a training step would not fit in the memory available now (the
    GPU's free memory when training on one)."""
    need = step_bytes(job)
    free = available_memory()
    if placement.device.type == "cuda":
        import torch

        free = torch.cuda.mem_get_info(placement.device)[0]
    if need > 0.8 * free:
        w, h = job.size
        raise UserError(f"train-video '{job.name}': a step of {job.batch} windows of "
                        f"{job.slider.length} frames at {w}x{h} with {job.channels} channels "
                        f"needs about {need / 2**20:.0f} MB; {free / 2**20:.0f} MB are available "
                        "(use a smaller --size, --frames-in, --batch or --channels)")  # fmt: skip


def run_video_job(
    job: VideoJob,
    out_dir: Path,
    placement: Placement,
    resume: Path | None = None,
    checkpoint_every: int = 500,
    on_step: Callable[[int, int, VideoLosses], None] | None = None,
    say: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> VideoResult:
    """Train ``job`` to its total steps (a resumed job runs the rest)."""
    checkpoint = out_dir / f"{job.name}.pt"
    if checkpoint.exists() and resume is None:
        raise UserError(f"'{checkpoint}' exists already: --resume it, or choose another "
                        "name or output folder")  # fmt: skip
    if resume is not None:  # a bad file is refused before the footage loads
        from app.engine.video_nets import load_video_checkpoint

        load_video_checkpoint(resume, f"--resume '{resume}'")
    check_step_memory(job, placement)
    seqs = load_sequences(Path(job.dataset), job.slider, job.size, job.frame_step,
                          job.validation, say, job.folder_fps, job.crop)  # fmt: skip
    trainer = VideoTrainer(job, seqs, placement)
    if resume is not None:
        trainer.resume(resume)
    total = trainer.total_steps()
    name = job.name if trainer.step_count == 0 else f"{job.name}_from{trainer.step_count:07d}"
    grid = trainer.sample()
    timelapse = Timelapse(out_dir, name, (1, 1), (grid.shape[1], grid.shape[0]), job.fps)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{job.name}_samples").mkdir(exist_ok=True)
    except OSError as exc:
        raise UserError(f"output folder '{out_dir}': {exc.strerror}") from None
    w, h = job.size
    say(f"latentvj: training '{job.name}' on {placement.label}: {job.arch}, {job.frames_in} "
        f"frames in, {job.frames_out} out, {w}x{h}, {job.loss} loss; {len(seqs.train)} "
        f"training and {len(seqs.validation)} validation windows; {total} steps of "
        f"{job.batch}")  # fmt: skip
    schedule = sample_steps(total, job.timelapse_frames)
    grids: list[Path] = []
    saved_at = [-1]

    def save() -> None:
        if saved_at[0] == trainer.step_count:
            return
        saved_at[0] = trainer.step_count
        trainer.save(checkpoint)
        path = out_dir / f"{job.name}_samples" / f"step_{trainer.step_count:07d}.png"
        write_png(path, trainer.sample())
        grids.append(path)

    losses = None
    first_step, t0 = trainer.step_count, time.perf_counter()
    try:
        while trainer.step_count < total and not (stop and stop.is_set()):
            losses = trainer.step()
            if trainer.step_count in schedule:
                timelapse.add(trainer.sample()[None])
            if trainer.step_count % checkpoint_every == 0:
                save()
            if on_step:
                on_step(trainer.step_count, total, losses)
    finally:  # Ctrl-C or a failure: keep what was learned and what was filmed
        train_s = time.perf_counter() - t0
        save()
        videos = timelapse.close()
    return VideoResult(checkpoint, videos, grids, trainer.step_count, losses,
                       trainer.held_out_error(), first_step, train_s, len(seqs.train))  # fmt: skip
