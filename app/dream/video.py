"""Seed 004's pipeline, frame by frame: extract a video's frames, dream them (each input
frame first blended with the previous dreamed frame), assemble the dreamed frames with the
source's sound. Every file is written under a temporary name and renamed when complete, so
an interrupted run leaves only whole frames, and the next run skips them (``resume``):
each frame's randomness comes from (seed, frame number) and the previous dreamed frame is
read back from its file, so a resumed run dreams exactly what one run would."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from app.core.atomic import atomic_path
from app.core.errors import UserError
from app.engine.dream import (
    DreamNet,
    DreamSettings,
    blend_values,
    deepdream,
    guide_features,
    layer_loop,
)


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def video_info(path: Path) -> tuple[float, int]:
    """(frames a second, frame count) of the video at ``path``; UserError naming it when
    it is not a video or has no video stream."""
    from app.engine.video_sources import video_facts

    return video_facts(path, f"'{path}'")


def load_picture(path: Path) -> torch.Tensor:
    """A picture file as [1, 3, H, W] in [0, 1]; UserError naming an unreadable one."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    except OSError as exc:
        raise UserError(f"'{path}': not a picture ({exc})") from None
    return torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0).contiguous()


def save_picture(picture: torch.Tensor, path: Path) -> None:
    """[1, 3, H, W] in [0, 1] written to ``path`` (its type from the name), atomically."""
    from PIL import Image

    pixels = (picture[0].permute(1, 2, 0).clamp(0, 1) * 255.0).round().to(torch.uint8).numpy()
    with atomic_path(path) as tmp:
        Image.fromarray(pixels).save(tmp, format="JPEG" if path.suffix == ".jpg" else "PNG",
                                     **({"quality": 95} if path.suffix == ".jpg" else {}))  # fmt: skip


@dataclass(frozen=True)
class DreamVideo:
    """What to dream and how: a frame is dreamed on ``layers`` all at once, or, with
    ``loop_layers``, on one layer per frame up the list and back."""

    net: DreamNet
    layers: tuple[str, ...]
    settings: DreamSettings
    blend: str = "0.5"
    guide: Path | None = None
    loop_layers: bool = False
    image_type: str = "jpg"
    seed: int = 0

    def frame_layers(self, index: int) -> list[str]:
        if not self.loop_layers:
            return list(self.layers)
        loop = layer_loop(self.layers)
        return [loop[index % len(loop)]]

    def name(self, index: int) -> str:
        return f"{index + 1:06d}.{self.image_type}"


def extract_frames(source: Path, folder: Path, image_type: str) -> int:
    """Every frame of ``source`` into ``folder`` (NNNNNN.jpg or .png, from 1), unless a
    complete extraction is there already; returns the frame count."""
    _, count = video_info(source)
    done = folder / ".complete"
    if done.exists() and len(list(folder.glob(f"*.{image_type}"))) == count:
        return count
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".extract.") as tmp:
        quality = ["-q:v", "2"] if image_type == "jpg" else []
        run_ffmpeg(["-i", str(source), "-fps_mode", "passthrough", *quality, f"{tmp}/%06d.{image_type}"],
                   f"'{source}'")  # fmt: skip
        for name in os.listdir(tmp):
            os.replace(Path(tmp) / name, folder / name)
    done.write_text(str(count))
    return len(list(folder.glob(f"*.{image_type}")))


def dream_frames(
    job: DreamVideo,
    inputs: Path,
    outputs: Path,
    first: int,
    last: int,
    on_frame: Callable[[int], None] | None = None,
    on_step: Callable[[], None] | None = None,
) -> int:
    """Dream input frames ``first`` to ``last`` (0-based, inclusive) into ``outputs``,
    skipping those already there; returns how many were dreamed now."""
    outputs.mkdir(parents=True, exist_ok=True)
    blends = blend_values(job.blend, last + 1, np.random.default_rng(job.seed))
    guide = load_picture(job.guide) if job.guide else None
    dreamed_now = 0
    for index in range(first, last + 1):
        target = outputs / job.name(index)
        if target.exists():  # resume: whole frames only (they are renamed into place)
            if on_frame:
                on_frame(index)
            continue
        frame = load_picture(inputs / job.name(index))
        previous = outputs / job.name(index - 1)
        if index > first and previous.exists():
            b = blends[index]
            frame = (1.0 - b) * load_picture(previous) + b * frame
        layers = job.frame_layers(index)
        guides = guide_features(job.net, guide, layers) if guide is not None else None
        rng = np.random.default_rng([job.seed, index])
        with torch.no_grad():
            dreamed = deepdream(job.net, frame, layers, job.settings, rng, guides, on_step)
        save_picture(dreamed, target)
        dreamed_now += 1
        if on_frame:
            on_frame(index)
    return dreamed_now


def assemble(source: Path, inputs: Path, outputs: Path, output: Path, image_type: str) -> None:
    """The output video: each dreamed frame (the input frame where none was dreamed) at
    the source's rate, with the source's sound; written to a temporary name, renamed."""
    fps, count = video_info(source)
    with tempfile.TemporaryDirectory(dir=outputs.parent, prefix=".assemble.") as seq:
        for index in range(count):
            name = f"{index + 1:06d}.{image_type}"
            chosen = outputs / name if (outputs / name).exists() else inputs / name
            os.link(chosen, Path(seq) / name)
        with atomic_path(output) as tmp:
            run_ffmpeg(["-framerate", f"{fps}", "-i", f"{seq}/%06d.{image_type}", "-i",
                        str(source), "-map", "0:v", "-map", "1:a?", "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",
                        "-c:a", "aac", str(tmp)], f"'{output}'")  # fmt: skip


def run_ffmpeg(args: list[str], what: str) -> None:
    result = subprocess.run([ffmpeg(), "-y", "-loglevel", "error", *args], capture_output=True,
                            text=True, stdin=subprocess.DEVNULL)  # fmt: skip
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["ffmpeg failed"])[-1]
        raise UserError(f"{what}: {last}")


def dream_picture(
    job: DreamVideo, picture: Path, folder: Path, on_step: Callable[[], None] | None = None
) -> list[Path]:
    """One dreamed picture per layer (seed 004's ``--single-picture``), named with the
    settings that made it: NAME_LAYER_oct4_octs1.4_itr10_j32_s1.5.jpg."""
    image = load_picture(picture)
    guide = load_picture(job.guide) if job.guide else None
    s = job.settings
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    for layer in job.layers:
        guides = guide_features(job.net, guide, [layer]) if guide is not None else None
        dreamed = deepdream(job.net, image, [layer], s, np.random.default_rng(job.seed),
                            guides, on_step)  # fmt: skip
        tag = (
            f"oct{s.octaves}_octs{s.octave_scale:g}_itr{s.iterations}_j{s.jitter}_s{s.step_size:g}"
        )
        path = folder / f"{picture.stem}_{layer.replace('/', '-')}_{tag}.{job.image_type}"
        save_picture(dreamed, path)
        written.append(path)
    return written
