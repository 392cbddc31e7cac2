"""Running one training job: data, networks, timelapse and checkpoints together.

``NAME.pt`` in the output folder is rewritten atomically every ``checkpoint_every`` steps
and at the end (also on Ctrl-C), so a crash loses at most that many steps and the synth can
play the newest one while training goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import UserError
from app.engine.device import Placement

from .config import TrainConfig
from .dataset import load_dataset
from .timelapse import Timelapse, next_cut
from .trainer import StepLosses, Trainer, sample_steps


@dataclass
class TrainResult:
    checkpoint: Path
    videos: list[Path]
    steps: int
    images: int
    losses: StepLosses | None
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    first_step: int = 0  # the step this run started from (a resume's checkpoint step)
    train_s: float = 0.0  # seconds of training, data loading not included

    @property
    def steps_per_s(self) -> float:
        return (self.steps - self.first_step) / max(self.train_s, 1e-9)


def run_job(
    config: TrainConfig,
    out_dir: Path,
    placement: Placement,
    resume: Path | None = None,
    checkpoint_every: int = 500,
    on_step: Callable[[int, int, StepLosses], None] | None = None,
    on_data: Callable[[int, int], None] | None = None,
    on_sample: Callable[[int, object], None] | None = None,
    stop: threading.Event | None = None,
) -> TrainResult:
    """Train ``config`` to its total steps (``--steps`` counts from the start, so a resumed
    job runs the rest); the timelapse takes its frames spread over the whole run.
    ``on_sample(step, samples)`` sees each timelapse sample; ``stop`` ends the run early
    (checkpoint and videos kept, as at the end)."""
    checkpoint = out_dir / f"{config.name}.pt"
    if checkpoint.exists() and resume is None:
        raise UserError(
            f"'{checkpoint}' exists already: --resume it, or choose another name or output folder"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"output folder '{out_dir}': {exc.strerror}") from None
    data = load_dataset([Path(p) for p in config.dataset], config.size, config.frame_step, on_data)
    trainer = Trainer(config, data, placement)
    if resume is not None:
        trainer.resume(resume)
    total = trainer.total_steps()
    schedule = sample_steps(total, config.timelapse_frames)
    cut_frames = (
        round(config.auto_render_period * 60 * config.fps) if config.auto_render_period else None
    )
    name = (
        config.name
        if trainer.step_count == 0 or cut_frames
        else f"{config.name}_from{trainer.step_count:07d}"
    )
    timelapse = Timelapse(
        out_dir,
        name,
        (config.grid_width, config.grid_height),
        config.size,
        config.fps,
        config.render_res,
        cut_frames,
        next_cut(out_dir, config.name),
    )
    losses = None
    first_step, t0 = trainer.step_count, time.perf_counter()
    try:
        while trainer.step_count < total and not (stop and stop.is_set()):
            losses = trainer.step()
            if trainer.step_count in schedule:
                samples = trainer.sample()
                timelapse.add(samples)
                if on_sample:
                    on_sample(trainer.step_count, samples)
            if trainer.step_count % checkpoint_every == 0:
                trainer.save(checkpoint)
            if on_step:
                on_step(trainer.step_count, total, losses)
    finally:  # Ctrl-C or a failure: keep what was learned and what was filmed
        trainer.save(checkpoint)
        videos = timelapse.close()
    return TrainResult(
        checkpoint,
        videos,
        trainer.step_count,
        len(data),
        losses,
        data.skipped,
        first_step,
        time.perf_counter() - t0,
    )
