"""Training sequences for a video generator (seed 002's frame-traverse slider): the frames
of a video or a frame folder at the training size, held in memory as uint8, cut into
windows of ``frames_in + frames_out`` frames (``step``: every Nth frame inside a window;
``stride``: frames between window starts), split into training and validation windows
and shuffled per epoch. The memory the frames will take is said before loading, and a
load that would not fit is refused with one line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from app.core.errors import UserError

from .dataset import IMAGE_SUFFIXES, _video_frames, fit_image

MEMORY_SHARE = 0.8  # at most this share of the memory available now holds the frames


@dataclass(frozen=True)
class Slider:
    """How windows are cut: ``frames_in`` given frames, ``frames_out`` to predict, every
    ``step``-th frame of the footage inside a window, a window starting every ``stride``
    frames."""

    frames_in: int
    frames_out: int = 1
    stride: int = 1
    step: int = 1

    def __post_init__(self) -> None:
        for name in ("frames_in", "frames_out", "stride", "step"):
            if getattr(self, name) < 1:
                raise UserError(f"--{name.replace('_', '-')}: must be at least 1")

    @property
    def length(self) -> int:
        """Frames in a window."""
        return self.frames_in + self.frames_out

    @property
    def span(self) -> int:
        """Frames of footage a window covers, first to last."""
        return (self.length - 1) * self.step + 1

    def starts(self, n_frames: int) -> list[int]:
        """Where each window begins in footage of ``n_frames`` frames."""
        return list(range(0, max(0, n_frames - self.span + 1), self.stride))


def available_memory() -> int:
    """Bytes of memory available now (Linux: MemAvailable), or the physical size."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def footage_length(path: Path, frame_step: int, folder_fps: float = 25.0) -> tuple[int, float]:
    """How many frames loading ``path`` (every ``frame_step``-th) will keep, and how many
    of those make a second (a folder's frames play at ``folder_fps``)."""
    if path.is_dir():
        return len(_frame_files(path)[::frame_step]), folder_fps / frame_step
    import imageio_ffmpeg

    try:
        frames, secs = imageio_ffmpeg.count_frames_and_secs(str(path))
    except (OSError, RuntimeError) as exc:
        raise UserError(f"--data '{path}': not a readable video ({exc})") from None
    fps = frames / secs if secs > 0 else 25.0
    return -(-frames // frame_step), fps / frame_step


def _frame_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


@dataclass
class Sequences:
    """The footage's frames [N, H, W, 3] uint8 and the windows cut from them."""

    frames: np.ndarray
    slider: Slider
    train: list[int]
    validation: list[int]
    fps: float = 25.0  # frames of ``frames`` a second

    @property
    def frame_rate(self) -> float:
        """Frames a second inside a window (one prediction's time)."""
        return self.fps / self.slider.step

    def window(self, start: int) -> torch.Tensor:
        """The window at ``start`` as [T + K, 3, H, W] floats in [-1, 1]."""
        picked = self.frames[start : start + self.slider.span : self.slider.step]
        return torch.from_numpy(picked).permute(0, 3, 1, 2).float() / 127.5 - 1.0

    def epoch(self, rng: np.random.Generator) -> Iterator[torch.Tensor]:
        """The training windows in a new random order."""
        for start in rng.permutation(self.train):
            yield self.window(int(start))


def load_sequences(path: Path, slider: Slider, size: tuple[int, int], frame_step: int = 1,
                   validation: float = 0.1, say=print, folder_fps: float = 25.0,
                   crop: tuple[int, int, int, int] | None = None) -> Sequences:  # fmt: skip
    """The frames of ``path`` (a video, or a folder of frames in name order) at ``size``
    (``crop``: a region x, y, w, h of each frame first; then covered and centre-cropped),
    every ``frame_step``-th; the last ``validation`` share
    of the footage gives the validation windows; ``say`` hears the memory the frames will
    take before they load. UserError naming the file when it is too short for one
    window or the frames would not fit in memory."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"--data '{path}': not found")
    count, fps = footage_length(path, frame_step, folder_fps)
    if count < slider.span:
        raise UserError(f"--data '{path}': {count} frames, shorter than one window "
                        f"({slider.span} frames: {slider.length} every {slider.step})")  # fmt: skip
    w, h = size
    need = count * w * h * 3
    free = available_memory()
    if need > MEMORY_SHARE * free:
        raise UserError(f"--data '{path}': {count} frames at {w}x{h} need "
                        f"{need / 2**20:.0f} MB; {free / 2**20:.0f} MB are available "
                        "(use a smaller --size or a larger --frame-step)")  # fmt: skip
    say(f"{count} frames at {w}x{h}: {need / 2**20:.0f} MB in memory "
        f"({free / 2**20:.0f} MB available)")  # fmt: skip
    if path.is_dir():
        frames = [fit_image(Image.open(p), size, crop) for p in _frame_files(path)[::frame_step]]
    else:
        frames = list(_video_frames(path, size, frame_step, crop=crop))
    stack = np.stack(frames[:count]) if frames else np.zeros((0, h, w, 3), np.uint8)
    starts = slider.starts(len(stack))
    if not starts:
        raise UserError(f"--data '{path}': shorter than one window ({slider.span} frames)")
    # the footage's last part validates: no validation window shares a frame with a
    # training window (neighbouring windows overlap, so a random split would leak)
    boundary = int(round(len(stack) * (1.0 - validation)))
    train = [s for s in starts if s + slider.span <= boundary]
    valid = [s for s in starts if s >= boundary]
    if not train:
        raise UserError(f"--data '{path}': too short to hold training windows before the "
                        f"validation part ({slider.span} frames a window)")  # fmt: skip
    return Sequences(stack, slider, train, valid, fps)
